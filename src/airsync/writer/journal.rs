//! The writer's side of the index: each uploaded artifact's records join the journal in the
//! state write that lists the artifact; the inline journal spills into the worker's own
//! artifact when it outgrows the state; a compaction folds everything into a new base.

use std::sync::Arc;

use serde_json::Value;

use super::Writer;
use crate::airsync::devrev::DevRevError;
use crate::airsync::index::{self, Entry, IndexState, Part};
use crate::crash;

fn encoding(e: impl std::fmt::Display) -> DevRevError {
    DevRevError::BadBody { endpoint: "index encoding", detail: e.to_string() }
}

impl Writer {
    /// Adds the lines of an uploaded artifact's records to the journal (in the state when
    /// small; the inline tail spills into one artifact once it outgrows the state).
    pub(super) async fn journal(&mut self, lines: Vec<Entry>) -> Result<(), DevRevError> {
        if lines.is_empty() {
            return Ok(());
        }
        let (gz, n) = index::encode(lines.clone()).map_err(encoding)?;
        match index::small_inline_part(&gz, n) {
            Some(part) => self.index.journal.push(part),
            None => return self.spill(lines).await,
        }
        if index::journal_overflows(&self.index) {
            self.spill(Vec::new()).await?;
        }
        Ok(())
    }

    /// Replaces the inline tail of the journal (plus `more`) by one artifact of the worker's.
    async fn spill(&mut self, more: Vec<Entry>) -> Result<(), DevRevError> {
        let mut lines = index::inline_entries(&self.index).map_err(encoding)?;
        lines.extend(more);
        let (gz, n) = index::encode(lines).map_err(encoding)?;
        let part = self.upload_part(gz, n, index::FILE_NAME).await?;
        self.index.journal.retain(|p| matches!(p, Part::Artifact { .. }));
        self.index.journal.push(part);
        crash::point("writer.journal.spilled");
        self.merge_journal().await
    }

    /// Keeps the journal's artifacts few, as a binary counter does: while the newest part holds
    /// at least as many lines as the one before, the two become one. A sync of a million
    /// records then leaves about twenty parts, not thousands (each part read at once costs a
    /// decoder's memory in a fold, and a line in the state). The merged part replaces the two
    /// in the next state write; until then they stand.
    async fn merge_journal(&mut self) -> Result<(), DevRevError> {
        let Some((_, reader)) = self.cfg.index.clone() else { return Ok(()) };
        loop {
            let n = self.index.journal.len();
            let (Some(Part::Artifact { lines: older, .. }), Some(Part::Artifact { lines: newer, .. })) =
                (n.checked_sub(2).and_then(|i| self.index.journal.get(i)), self.index.journal.last())
            else {
                return Ok(());
            };
            if newer < older {
                return Ok(());
            }
            let pair = self.index.journal.split_off(n - 2);
            let two = IndexState { base: None, journal: pair.clone(), gone: None };
            let merged = match reader.load(&two).await.and_then(|l| index::merge(&l)) {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(error = %e, "journal parts could not be merged; they stay as they are");
                    self.index.journal.extend(pair);
                    return Ok(());
                }
            };
            let part = self.upload_spool(merged, index::FILE_NAME).await?;
            crash::point("writer.journal.merged");
            self.index.journal.push(part);
        }
    }

    /// Uploads index bytes as the worker's own artifact: never confirmed, never reported.
    pub(super) async fn upload_part(&mut self, gz: Vec<u8>, lines: u64, file_name: &str) -> Result<Part, DevRevError> {
        let spooled = index::Spooled::from_bytes(&gz, lines).map_err(encoding)?;
        drop(gz);
        self.upload_spool(spooled, file_name).await
    }

    /// Uploads a part's file as the worker's own artifact, read as it is sent (a large org's
    /// base is never in memory whole), and keeps the file for reading it back in this
    /// invocation.
    async fn upload_spool(&mut self, s: index::Spooled, file_name: &str) -> Result<Part, DevRevError> {
        let target = self.client.upload_url(&self.cfg.artifact_request_id, file_name, "application/x-gzip").await?;
        self.client.upload_file(&target, s.spool.path(), s.bytes).await?;
        tracing::info!(artifact_id = %target.artifact_id, bytes = s.bytes, lines = s.lines, "index part uploaded");
        if let Some((_, reader)) = &self.cfg.index {
            reader.keep(&target.artifact_id, std::sync::Arc::new(s.spool));
        }
        Ok(Part::Artifact { id: target.artifact_id, bytes: s.bytes, crc32: s.crc32, lines: s.lines })
    }

    /// Uploads every open batch, folds the index into a new base and commits it with the
    /// run transitions in one state write. A crash before that write leaves the old index
    /// (and the transitions undone), so the next invocation does the same again.
    pub(super) async fn compact(&mut self, transitions: Vec<(String, Value)>) -> Result<(), String> {
        self.upload_all().await;
        if let Some(e) = &self.error {
            return Err(e.to_string());
        }
        if !self.pending.is_empty() {
            return Err("checkpoints are still waiting for their records".into());
        }
        let new = self.folded().await.map_err(|e| e.to_string())?;
        crash::point("writer.compact.uploaded");
        self.index = new;
        for (k, v) in transitions {
            self.connector.insert(k, v);
        }
        if let Some(t) = self.state_target.clone() {
            let snapshot = self.snapshot();
            if let Err(e) = self.client.state_update(&t.worker_data_url, &t.sync_unit, &t.request_id, &snapshot.to_json()).await {
                let msg = e.to_string();
                self.fail(e);
                return Err(msg);
            }
        }
        crash::point("writer.compact.saved");
        Ok(())
    }

    /// The index folded into one base part (uploaded when too big for the state).
    async fn folded(&mut self) -> Result<IndexState, DevRevError> {
        if self.index.journal.is_empty() {
            return Ok(self.index.clone());
        }
        let Some((_, reader)) = self.cfg.index.clone() else { return Ok(IndexState::default()) };
        let reader: Arc<index::Reader> = reader;
        // An index that cannot be read back is not folded in: a new one starts from what can
        // be read (the round's end sent no tombstone from it either).
        let loaded = match reader.load(&self.index).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "the index could not be read back; a new one starts from this round's records");
                let journal_only = IndexState { base: None, journal: self.index.journal.clone(), gone: None };
                match reader.load(&journal_only).await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, "this round's part of the index could not be read back either; the index starts empty");
                        return Ok(IndexState::default());
                    }
                }
            }
        };
        let c = index::compact(&loaded, chrono::Utc::now()).map_err(encoding)?;
        drop(loaded);
        reader.forget();
        let base = self.base_part(c.base).await?;
        let gone = if c.gone.1 > 0 { Some(self.part(c.gone, index::small_inline_part).await?) } else { None };
        Ok(IndexState { base: Some(base), journal: Vec::new(), gone })
    }

    /// The compacted base: in the state when small enough, else uploaded from its file.
    async fn base_part(&mut self, base: index::Spooled) -> Result<Part, DevRevError> {
        // Base64 takes four characters for every three bytes.
        if base.bytes.div_ceil(3) * 4 <= index::INLINE_LIMIT as u64 {
            let gz = std::fs::read(base.spool.path()).map_err(encoding)?;
            if let Some(p) = index::inline_part(&gz, base.lines) {
                return Ok(p);
            }
        }
        self.upload_spool(base, index::FILE_NAME).await
    }

    /// A part in the state when small enough, else uploaded.
    async fn part(&mut self, (gz, lines): (Vec<u8>, u64), inline: fn(&[u8], u64) -> Option<Part>) -> Result<Part, DevRevError> {
        match inline(&gz, lines) {
            Some(p) => Ok(p),
            None => self.upload_part(gz, lines, index::FILE_NAME).await,
        }
    }

    /// Reads the tombstones part, for [`Writer::after_tombstone`].
    pub(super) async fn load_gone(&mut self) {
        let (Some(part), Some((_, reader))) = (self.index.gone.clone(), self.cfg.index.clone()) else { return };
        let lines = match reader.bytes(&part).await {
            Ok(bytes) => index::lines_of(&bytes),
            Err(e) => Err(e),
        };
        match lines {
            Ok(lines) => self.gone_at.extend(lines.into_iter().map(|e| ((e.t, e.id), e.m))),
            Err(e) => {
                tracing::warn!(error = %e, "the index's tombstones could not be read back; records sent again keep their own modified_date")
            }
        }
    }

    /// A record sent again after its tombstone (or a second tombstone) carries a later
    /// `modified_date` than the tombstone, and never one earlier than a date moved so before,
    /// so DevRev ends the same whether it applies records by arrival or by date. Returns the
    /// record and whether its date was moved.
    pub(super) fn after_tombstone(&mut self, item_type: &str, mut r: Value) -> (Value, bool) {
        let data = r.get("data");
        let is_tomb = ["deleted", "removed"].iter().any(|k| data.and_then(|d| d.get(k)) == Some(&Value::Bool(true)));
        // Most records are neither tombstones nor under a floor: nothing to look up or keep.
        if !is_tomb && self.gone_at.is_empty() {
            return (r, false);
        }
        let Some(id) = r.get("id").and_then(Value::as_str).map(str::to_string) else { return (r, false) };
        let key = (item_type.to_string(), id);
        let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&chrono::Utc));
        let mut moved = false;
        if let Some(floor) = self.gone_at.get(&key).and_then(|g| parse(g)) {
            let mine = r.get("modified_date").and_then(Value::as_str).and_then(parse);
            if mine.is_none_or(|m| m <= floor) {
                let later = crate::airsync::artifacts::iso_millis(&(floor + chrono::Duration::milliseconds(1)));
                if let Some(o) = r.as_object_mut() {
                    o.insert("modified_date".into(), Value::String(later));
                    moved = true;
                }
            }
        }
        if is_tomb || moved {
            let m = r.get("modified_date").and_then(Value::as_str).unwrap_or("").to_string();
            self.gone_at.insert(key, m);
        } else {
            // Its own date is past every floor: nothing to hold any more.
            self.gone_at.remove(&key);
        }
        (r, moved)
    }
}
