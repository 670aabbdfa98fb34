//! The worker's memory of what it sent to DevRev (the index): per record, its item type, id,
//! the `modified_date` sent, whether it was a tombstone, and the fields a tombstone of it
//! needs (which fields is the extractor's business: [`super::extractor::Extractor::index_entry`]).
//!
//! It lives outside the connector's state section, under [`STATE_KEY`], as gzipped JSON-lines
//! parts sorted by `(item type, id)`: a **base** (everything sent up to the last compaction,
//! folded, one line per record) and a **journal** (what was sent since, one part per uploaded
//! artifact or group of them, in upload order). A part small enough lives in the state itself
//! (base64, [`INLINE_LIMIT`]); a larger one is the worker's own artifact, uploaded but listed in
//! no reply, read back through `airdrop.artifacts.download-url` (as ts-adaas's uploader reads
//! artifacts back). A journal part is committed in the same state write that lists the data
//! artifact whose records it describes, so the index never claims a record DevRev was not
//! given, nor forgets one it was.
//!
//! [`fold`] reads the parts in one pass, merged by key: for each record the base's line and the
//! journal's last line. [`compact`] folds them into a new base.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};

use base64::Engine;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::devrev::{DevRevClient, DevRevError};

mod spool;
pub use spool::{Data, Spool};

/// The top-level state key holding [`IndexState`].
pub const STATE_KEY: &str = "airsync_index";
/// The most base64 characters a part keeps in the state; past it the part is an artifact. The
/// whole state stays within DevRev's guidance (500 000 characters) with room for the rest.
pub const INLINE_LIMIT: usize = 100_000;

/// The most base64 characters the journal and the tombstones part each keep in the state: the
/// state also carries the artifacts not yet reported (up to 150 000 characters) and the
/// connector's change set, and must stay under 500 000.
pub const SMALL_INLINE_LIMIT: usize = 30_000;

/// [`INLINE_LIMIT`], or less where `OKTA_AIRSYNC_INDEX_INLINE_CHARS` says so (1 000 or more):
/// the crash test sets it so that a small org's index spills into artifacts too.
fn inline_limit() -> usize {
    static LIMIT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        let asked = std::env::var("OKTA_AIRSYNC_INDEX_INLINE_CHARS").ok().and_then(|v| v.trim().parse::<usize>().ok());
        asked.map_or(INLINE_LIMIT, |n| n.clamp(1_000, INLINE_LIMIT))
    })
}
/// The key of a reference to a checkpoint value the writer spilled into its own artifact.
pub const SPILLED: &str = "airsync_spilled";

/// A reference to a spilled value, as the state keeps it.
#[derive(Debug, Deserialize)]
struct Spilled {
    id: String,
    bytes: u64,
    crc32: u32,
}

/// The file name of the worker's own index artifacts (never reported, so never loaded).
pub const FILE_NAME: &str = "airsync_index.jsonl.gz";
/// How long a tombstone's line is kept after it was sent (days): long enough that a record sent
/// again later still carries a later `modified_date`, short enough that the index does not grow
/// with every record ever deleted.
pub const GONE_RETENTION_DAYS: i64 = 30;

/// One record as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Its item type.
    pub t: String,
    /// Its id.
    pub id: String,
    /// The `modified_date` it was sent with.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub m: String,
    /// Sent as a tombstone (deleted or removed).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gone: bool,
    /// Sent with a `modified_date` moved later than the record's own (after a tombstone): a
    /// record sent again must not carry an earlier one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub floor: bool,
    /// What a tombstone of it needs (the extractor's choice); empty for a tombstone.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub f: Map<String, Value>,
}

impl Entry {
    fn key(&self) -> (&str, &str) {
        (&self.t, &self.id)
    }
}

/// Where one part of the index is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "in", rename_all = "snake_case")]
pub enum Part {
    /// In the state: base64 of the gzipped lines.
    State {
        /// The gzipped JSON lines, base64.
        gz: String,
        /// Lines.
        lines: u64,
    },
    /// The worker's own artifact.
    Artifact {
        /// Its id.
        id: String,
        /// Its gzipped size.
        bytes: u64,
        /// CRC-32 of the gzipped bytes.
        crc32: u32,
        /// Lines.
        lines: u64,
    },
}

impl Part {
    /// Characters it takes in the state.
    fn inline_chars(&self) -> usize {
        match self {
            Part::State { gz, .. } => gz.len(),
            Part::Artifact { .. } => 0,
        }
    }

    /// Lines it holds.
    pub fn lines(&self) -> u64 {
        match self {
            Part::State { lines, .. } | Part::Artifact { lines, .. } => *lines,
        }
    }
}

/// The index's place in the worker state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexState {
    /// Everything sent up to the last compaction, one line per record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<Part>,
    /// What was sent since, in upload order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub journal: Vec<Part>,
    /// The base's tombstones alone: a record sent again after its tombstone must carry a later
    /// `modified_date` (the writer reads this part, not the whole base).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gone: Option<Part>,
}

impl IndexState {
    /// Reads it from the worker state (absent or unreadable: empty, with a warning for the
    /// latter, so nothing is ever tombstoned from an index that could not be read).
    pub fn from_state(state: &super::state::WorkerState) -> Self {
        match state.get(STATE_KEY) {
            None => IndexState::default(),
            Some(v) => serde_json::from_value(v.clone()).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the stored index does not parse; it is ignored and built again");
                IndexState::default()
            }),
        }
    }

    /// Characters the inline journal parts take.
    fn journal_inline_chars(&self) -> usize {
        self.journal.iter().map(Part::inline_chars).sum()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.base.is_none() && self.journal.is_empty() && self.gone.is_none()
    }
}

/// An index part that could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// DevRev did not give it back.
    #[error("the index artifact {id} could not be downloaded: {source}")]
    Download {
        /// The artifact.
        id: String,
        /// Why.
        source: DevRevError,
    },
    /// It came back different from what was uploaded.
    #[error("the index artifact {id} is corrupt: {detail}")]
    Corrupt {
        /// The artifact (or `state` for an inline part).
        id: String,
        /// What was wrong.
        detail: String,
    },
}

/// Encodes entries as one sorted gzip member (the last line per key wins).
pub fn encode(mut entries: Vec<Entry>) -> std::io::Result<(Vec<u8>, u64)> {
    // A stable sort keeps the send order within a key; the last one sent wins.
    entries.sort_by(|a, b| a.key().cmp(&b.key()));
    let mut out = Lines::default();
    let mut iter = entries.iter().peekable();
    while let Some(e) = iter.next() {
        if iter.peek().is_some_and(|n| n.key() == e.key()) {
            continue;
        }
        out.write(e)?;
    }
    out.finish()
}

/// The base part for gzipped bytes: in the state when small enough ([`INLINE_LIMIT`]).
pub fn inline_part(gz: &[u8], lines: u64) -> Option<Part> {
    inline_within(gz, lines, inline_limit())
}

/// A journal or tombstones part: in the state when under [`SMALL_INLINE_LIMIT`].
pub fn small_inline_part(gz: &[u8], lines: u64) -> Option<Part> {
    inline_within(gz, lines, inline_limit().min(SMALL_INLINE_LIMIT))
}

fn inline_within(gz: &[u8], lines: u64, limit: usize) -> Option<Part> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(gz);
    (b64.len() <= limit).then_some(Part::State { gz: b64, lines })
}

/// Reads parts back, downloading an artifact once per invocation (to a temporary file).
pub struct Reader {
    client: DevRevClient,
    request_id: String,
    cache: Mutex<HashMap<String, Arc<Spool>>>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").field("request_id", &self.request_id).finish_non_exhaustive()
    }
}

impl Reader {
    /// A reader that asks DevRev with `request_id`.
    pub fn new(client: DevRevClient, request_id: &str) -> Self {
        Reader { client, request_id: request_id.to_string(), cache: Mutex::new(HashMap::new()) }
    }

    /// The gzipped bytes of a part, checked: an inline part's in memory, an artifact's on disk.
    pub async fn data(&self, part: &Part) -> Result<Data, IndexError> {
        match part {
            Part::State { gz, .. } => base64::engine::general_purpose::STANDARD
                .decode(gz)
                .map(|b| Data::Mem(Arc::from(b)))
                .map_err(|e| IndexError::Corrupt { id: "state".into(), detail: e.to_string() }),
            Part::Artifact { id, bytes, crc32, .. } => {
                if let Some(s) = self.cache.lock().ok().and_then(|c| c.get(id).cloned()) {
                    return Ok(Data::Disk(s));
                }
                let disk = |e: std::io::Error| IndexError::Corrupt { id: id.clone(), detail: format!("a temporary file failed: {e}") };
                let (spool, file) = Spool::create().map_err(disk)?;
                drop(file);
                let (len, crc) = self
                    .client
                    .download_to(&self.request_id, id, spool.path())
                    .await
                    .map_err(|source| IndexError::Download { id: id.clone(), source })?;
                if len != *bytes || crc != *crc32 {
                    return Err(IndexError::Corrupt {
                        id: id.clone(),
                        detail: format!("{len} bytes with CRC-32 {crc:08x}, expected {bytes} with {crc32:08x}"),
                    });
                }
                let spool = Arc::new(spool);
                if let Ok(mut c) = self.cache.lock() {
                    c.insert(id.clone(), spool.clone());
                }
                Ok(Data::Disk(spool))
            }
        }
    }

    /// Every byte of a (small) part.
    pub async fn bytes(&self, part: &Part) -> Result<Vec<u8>, IndexError> {
        self.data(part).await?.read_all().map_err(|e| IndexError::Corrupt { id: "part".into(), detail: e.to_string() })
    }

    /// Reads every part of `index` for [`fold`]: the base first, then the journal in order.
    pub async fn load(&self, index: &IndexState) -> Result<Loaded, IndexError> {
        let base = match &index.base {
            Some(p) => Some(self.data(p).await?),
            None => None,
        };
        let mut journal = Vec::with_capacity(index.journal.len());
        for p in &index.journal {
            journal.push(self.data(p).await?);
        }
        Ok(Loaded { base, journal })
    }

    /// Replaces every spilled value among `section`'s top-level keys (the writer's references
    /// to its own artifacts, `{"airsync_spilled": {...}}`) by the value read back. One that
    /// cannot be read back stays a reference, which its reader does not take for its value
    /// (the connector then reads that part in full), and the failure is logged.
    pub async fn resolve(&self, section: &mut Value) {
        let Some(map) = section.as_object_mut() else { return };
        for (key, v) in map.iter_mut() {
            let Some(r) = v.get(SPILLED) else { continue };
            let part =
                serde_json::from_value::<Spilled>(r.clone()).map(|s| Part::Artifact { id: s.id, bytes: s.bytes, crc32: s.crc32, lines: 1 });
            let read = match part {
                Ok(p) => self.bytes(&p).await.and_then(|gz| {
                    let mut text = Vec::new();
                    MultiGzDecoder::new(gz.as_slice())
                        .read_to_end(&mut text)
                        .map_err(|e| IndexError::Corrupt { id: key.clone(), detail: e.to_string() })?;
                    serde_json::from_slice::<Value>(&text).map_err(|e| IndexError::Corrupt { id: key.clone(), detail: e.to_string() })
                }),
                Err(e) => Err(IndexError::Corrupt { id: key.clone(), detail: e.to_string() }),
            };
            match read {
                Ok(value) => *v = value,
                Err(e) => tracing::warn!(key, error = %e, "a saved value could not be read back from the worker's artifact"),
            }
        }
    }

    /// Keeps a part this invocation uploaded from a local file, so reading it back costs no
    /// download.
    pub fn keep(&self, id: &str, spool: Arc<Spool>) {
        if let Ok(mut c) = self.cache.lock() {
            c.insert(id.to_string(), spool);
        }
    }

    /// Forgets the downloaded parts (after a compaction made them useless): their files go.
    pub fn forget(&self) {
        if let Ok(mut c) = self.cache.lock() {
            c.clear();
        }
    }
}

/// Every part's bytes, ready to fold.
pub struct Loaded {
    base: Option<Data>,
    journal: Vec<Data>,
}

/// One record as the index holds it: the base's line and the journal's last line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folded {
    /// The line the base holds (sent before the journal began).
    pub base: Option<Entry>,
    /// The last line the journal holds (sent since).
    pub latest: Option<Entry>,
}

impl Folded {
    /// The last line sent.
    pub fn last(&self) -> Option<&Entry> {
        self.latest.as_ref().or(self.base.as_ref())
    }
}

/// The lines of one gzipped part.
type PartLines = std::io::Lines<BufReader<MultiGzDecoder<Box<dyn Read + Send>>>>;

/// One sorted source in the merge.
struct Source {
    lines: PartLines,
    /// 0 is the base; journal parts count from 1, later ones higher.
    rank: usize,
}

impl Source {
    fn next(&mut self) -> Option<Result<Entry, IndexError>> {
        loop {
            let line = match self.lines.next()? {
                Ok(l) => l,
                Err(e) => return Some(Err(IndexError::Corrupt { id: format!("part {}", self.rank), detail: e.to_string() })),
            };
            if line.trim().is_empty() {
                continue;
            }
            return Some(
                serde_json::from_str(&line).map_err(|e| IndexError::Corrupt { id: format!("part {}", self.rank), detail: e.to_string() }),
            );
        }
    }
}

/// The head of a source in the merge heap: smallest key first, then the latest part.
struct Head {
    entry: Entry,
    rank: usize,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap pops the greatest: reverse the key order, and prefer the later part.
        other.entry.key().cmp(&self.entry.key()).then(self.rank.cmp(&other.rank))
    }
}

/// Calls `visit` once per record, in key order, with its base line and its journal's last line.
pub fn fold(loaded: &Loaded, mut visit: impl FnMut(Folded)) -> Result<(), IndexError> {
    let open = |data: &Data, rank: usize| -> Result<Source, IndexError> {
        let r = data.reader().map_err(|e| IndexError::Corrupt { id: format!("part {rank}"), detail: e.to_string() })?;
        Ok(Source { lines: BufReader::new(MultiGzDecoder::new(r)).lines(), rank })
    };
    let mut sources: Vec<Source> = Vec::with_capacity(loaded.journal.len() + 1);
    for (i, d) in loaded.base.iter().map(|b| (0, b)).chain(loaded.journal.iter().enumerate().map(|(i, d)| (i + 1, d))) {
        sources.push(open(d, i)?);
    }
    let mut heap = BinaryHeap::new();
    for (i, s) in sources.iter_mut().enumerate() {
        if let Some(e) = s.next() {
            heap.push(Head { entry: e?, rank: i });
        }
    }
    let base_rank = if loaded.base.is_some() { Some(0) } else { None };
    while let Some(head) = heap.pop() {
        let mut folded = Folded { base: None, latest: None };
        let key = (head.entry.t.clone(), head.entry.id.clone());
        let mut take = |h: Head, heap: &mut BinaryHeap<Head>, sources: &mut Vec<Source>| -> Result<(), IndexError> {
            if let Some(next) = sources.get_mut(h.rank).and_then(Source::next) {
                heap.push(Head { entry: next?, rank: h.rank });
            }
            if Some(h.rank) == base_rank {
                folded.base = Some(h.entry);
            } else if folded.latest.is_none() {
                // The heap gives the latest part first among equal keys.
                folded.latest = Some(h.entry);
            }
            Ok(())
        };
        take(head, &mut heap, &mut sources)?;
        while heap.peek().is_some_and(|h| h.entry.t == key.0 && h.entry.id == key.1) {
            if let Some(h) = heap.pop() {
                take(h, &mut heap, &mut sources)?;
            }
        }
        visit(folded);
    }
    Ok(())
}

/// A part written to a temporary file, with what its upload names: its lines, its size and
/// its CRC-32 (counted as it was written, so the upload does not read the file twice).
pub struct Spooled {
    /// The file.
    pub spool: Spool,
    /// Its lines.
    pub lines: u64,
    /// Its size in bytes.
    pub bytes: u64,
    /// The CRC-32 of its bytes.
    pub crc32: u32,
}

impl Spooled {
    /// Gzipped bytes already in memory, written to a temporary file.
    pub fn from_bytes(gz: &[u8], lines: u64) -> std::io::Result<Spooled> {
        let (spool, mut file) = Spool::create()?;
        file.write_all(gz)?;
        let mut crc = flate2::Crc::new();
        crc.update(gz);
        Ok(Spooled { spool, lines, bytes: gz.len() as u64, crc32: crc.sum() })
    }
}

/// Lines written to a temporary file, their CRC counted on the way.
type FileLines = Lines<flate2::CrcWriter<std::io::BufWriter<std::fs::File>>>;

fn file_lines() -> std::io::Result<(Spool, FileLines)> {
    let (spool, file) = Spool::create()?;
    Ok((spool, Lines::to(flate2::CrcWriter::new(std::io::BufWriter::with_capacity(64 * 1024, file)))))
}

fn finish_file(spool: Spool, lines: FileLines) -> std::io::Result<Spooled> {
    let (mut w, n) = lines.finish()?;
    w.flush()?;
    let crc32 = w.crc().sum();
    let bytes = spool.size()?;
    Ok(Spooled { spool, lines: n, bytes, crc32 })
}

/// [`fold`], with `each` writing lines: its first error stops the writing and is returned.
fn fold_writing(loaded: &Loaded, mut each: impl FnMut(&Folded) -> std::io::Result<()>) -> Result<std::io::Result<()>, IndexError> {
    let mut failed = Ok(());
    fold(loaded, |f| {
        if failed.is_ok() {
            failed = each(&f);
        }
    })?;
    Ok(failed)
}

/// A compaction's output: the new base, and its tombstones and moved dates alone (for the
/// writer's guard).
pub struct Compacted {
    /// Every record's last line, gzipped in a temporary file.
    pub base: Spooled,
    /// The tombstones among them, gzipped, and how many.
    pub gone: (Vec<u8>, u64),
}

/// Folds every part into one new base: a record's last line, a tombstone's only while it is
/// younger than [`GONE_RETENTION_DAYS`] at `now`.
pub fn compact(loaded: &Loaded, now: chrono::DateTime<chrono::Utc>) -> Result<Compacted, IndexError> {
    let corrupt = |e: std::io::Error| IndexError::Corrupt { id: "compaction".into(), detail: e.to_string() };
    let horizon = now - chrono::Duration::days(GONE_RETENTION_DAYS);
    let (spool, mut base) = file_lines().map_err(corrupt)?;
    let mut gone = Lines::default();
    fold_writing(loaded, |f| {
        let Some(last) = f.last() else { return Ok(()) };
        let expired =
            last.gone && chrono::DateTime::parse_from_rfc3339(&last.m).map(|m| m.with_timezone(&chrono::Utc) < horizon).unwrap_or(true);
        if expired {
            return Ok(());
        }
        base.write(last)?;
        if last.gone || last.floor {
            gone.write(last)?;
        }
        Ok(())
    })?
    .map_err(corrupt)?;
    Ok(Compacted { base: finish_file(spool, base).map_err(corrupt)?, gone: gone.finish().map_err(corrupt)? })
}

/// Folds journal parts (no base) into one part in a temporary file: each record's last line,
/// tombstones included (a journal merge forgets nothing; only [`compact`] does).
pub fn merge(loaded: &Loaded) -> Result<Spooled, IndexError> {
    let corrupt = |e: std::io::Error| IndexError::Corrupt { id: "journal merge".into(), detail: e.to_string() };
    let (spool, mut out) = file_lines().map_err(corrupt)?;
    fold_writing(loaded, |f| f.last().map_or(Ok(()), |last| out.write(last)))?.map_err(corrupt)?;
    finish_file(spool, out).map_err(corrupt)
}

/// Gzipped JSON lines being written (to memory, or to a file): buffered, for serde writes in
/// small pieces and each write straight into the encoder costs a compression call.
struct Lines<W: Write = Vec<u8>> {
    out: std::io::BufWriter<GzEncoder<W>>,
    n: u64,
}

impl Default for Lines {
    fn default() -> Self {
        Lines::to(Vec::new())
    }
}

impl<W: Write> Lines<W> {
    fn to(w: W) -> Self {
        Lines { out: std::io::BufWriter::with_capacity(64 * 1024, GzEncoder::new(w, flate2::Compression::fast())), n: 0 }
    }

    fn write(&mut self, e: &Entry) -> std::io::Result<()> {
        if self.n > 0 {
            self.out.write_all(b"\n")?;
        }
        serde_json::to_writer(&mut self.out, e)?;
        self.n += 1;
        Ok(())
    }

    fn finish(self) -> std::io::Result<(W, u64)> {
        let gz = self.out.into_inner().map_err(std::io::IntoInnerError::into_error)?;
        Ok((gz.finish()?, self.n))
    }
}

/// Every line of one part (the tombstones part is small: a month of deletions).
pub fn lines_of(bytes: &[u8]) -> Result<Vec<Entry>, IndexError> {
    let corrupt = |detail: String| IndexError::Corrupt { id: "tombstones".into(), detail };
    let mut text = String::new();
    MultiGzDecoder::new(bytes).read_to_string(&mut text).map_err(|e| corrupt(e.to_string()))?;
    text.split('\n').filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).map_err(|e| corrupt(e.to_string()))).collect()
}

/// Whether the inline journal parts have grown past what the state should hold.
pub fn journal_overflows(index: &IndexState) -> bool {
    index.journal_inline_chars() > inline_limit().min(SMALL_INLINE_LIMIT)
}

/// Decodes the gzipped lines of inline journal parts (for merging them into one artifact).
pub fn inline_entries(index: &IndexState) -> Result<Vec<Entry>, IndexError> {
    let mut out = Vec::new();
    for p in &index.journal {
        let Part::State { gz, .. } = p else { continue };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(gz)
            .map_err(|e| IndexError::Corrupt { id: "state".into(), detail: e.to_string() })?;
        let mut text = String::new();
        MultiGzDecoder::new(bytes.as_slice())
            .read_to_string(&mut text)
            .map_err(|e| IndexError::Corrupt { id: "state".into(), detail: e.to_string() })?;
        for line in text.split('\n').filter(|l| !l.trim().is_empty()) {
            out.push(serde_json::from_str(line).map_err(|e| IndexError::Corrupt { id: "state".into(), detail: e.to_string() })?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
