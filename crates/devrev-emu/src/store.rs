//! What the emulator remembers: artifacts (original and decompressed, on disk), states,
//! replies, and every protocol violation it saw.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::PathBuf;

use flate2::read::GzDecoder;
use serde::Serialize;
use serde_json::Value;

/// One artifact as the emulator saw it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ArtifactInfo {
    /// The file name asked for.
    pub file_name: String,
    /// The item type (file name without `.jsonl.gz`).
    pub item_type: String,
    /// The form fields issued with the upload URL.
    pub form: Vec<(String, String)>,
    /// Whether the file arrived.
    pub uploaded: bool,
    /// Whether confirm-upload was called.
    pub confirmed: bool,
    /// How many callbacks reported it.
    pub reported: u32,
    /// Lines in the file.
    pub lines: usize,
    /// Where the decompressed file is.
    pub path: Option<PathBuf>,
    /// The phase (`metadata`, `data`, `attachments`, `external_sync_units`) and run whose request
    /// asked for it, when the driver registered that request.
    pub origin: Option<(String, String)>,
    /// What DevRev would reject in its contents: violations once a reply reports it. A file the
    /// worker keeps for itself (never reported) is not data to load, so nothing judges it.
    pub problems: Vec<String>,
}

/// One received reply.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    /// The incoming event type it answered (when known).
    pub incoming: String,
    /// The reply type.
    pub event_type: String,
    /// The whole body.
    pub body: Value,
}

/// An injected failure: a hostile DevRev, per endpoint.
///
/// The plain form answers `status` with `body`. The extra kinds: `stall_ms` waits before
/// answering (a 2xx fault with an empty body then serves the call normally: a slow DevRev);
/// `truncate` sends the first half of the body and drops the connection (the declared length
/// is never reached); `pad_to` puts JSON whitespace before the body up to that many bytes (a
/// huge body that is still valid JSON); `after` lets that many calls through first.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Fault {
    /// `callback`, `state.get`, `state.update`, `upload-url`, `upload`, `confirm`, `download-url`,
    /// `download`, `snap-in`, `idm`.
    pub endpoint: String,
    /// Status to answer.
    pub status: u16,
    /// Body to answer.
    #[serde(default)]
    pub body: String,
    /// How many times (then normal service resumes).
    pub times: u32,
    /// A `Retry-After` header (seconds) to send with it.
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// Wait this long before answering.
    #[serde(default)]
    pub stall_ms: Option<u64>,
    /// Send half of the body, then drop the connection.
    #[serde(default)]
    pub truncate: bool,
    /// Pad the body with leading whitespace to this many bytes.
    #[serde(default)]
    pub pad_to: Option<usize>,
    /// Calls to let through before the fault applies.
    #[serde(default)]
    pub after: u32,
}

impl Fault {
    /// A plain fault: `status` and `body`, `times` times.
    pub fn status(endpoint: &str, status: u16, body: &str, times: u32) -> Self {
        Fault { endpoint: endpoint.into(), status, body: body.into(), times, ..Fault::default() }
    }

    /// Whether the call is answered by the fault, or (a slow but healthy DevRev) served normally
    /// once the stall is over.
    pub fn serves_normally(&self) -> bool {
        (200..300).contains(&self.status) && self.body.is_empty() && !self.truncate && self.pad_to.is_none()
    }
}

/// The emulator's memory.
#[derive(Debug, Default)]
pub struct Store {
    /// Folder for artifacts.
    pub out: PathBuf,
    /// Artifacts by id.
    pub artifacts: BTreeMap<String, ArtifactInfo>,
    /// States by sync unit.
    pub states: BTreeMap<String, String>,
    /// Replies in arrival order.
    pub received: Vec<Received>,
    /// Incoming event type per request id (registered by the driver).
    pub pending: BTreeMap<String, String>,
    /// The sync run of each request id (registered by the driver).
    pub runs: BTreeMap<String, String>,
    /// The user's choice of item types, served with the state as `objects`
    /// (`{"<item_type>": {"extract": bool}}`); `None` sends no `objects`.
    pub objects: Option<Value>,
    /// Replies counted per request id.
    pub replies: BTreeMap<String, u32>,
    /// Violations.
    pub violations: Vec<String>,
    /// Initial domain mapping installs.
    pub idm_installs: u32,
    /// State updates received.
    pub state_updates: u32,
    /// Largest state seen (bytes).
    pub max_state_bytes: usize,
    /// Injected failures.
    pub faults: Vec<Fault>,
    /// The last artifact sequence number issued.
    pub next_id: u64,
    /// The latest external domain metadata uploaded: every record uploaded after it is checked
    /// against it (`rules::records`).
    pub metadata: Option<Value>,
    /// Records checked against the metadata.
    pub records_checked: u64,
}

/// The invalid records quoted per artifact; the rest are counted.
const QUOTED_INVALID: usize = 3;

/// The phase an incoming event type belongs to (artifacts belong to the phase that uploaded them).
pub fn phase_of(incoming: &str) -> &'static str {
    match incoming {
        "START_EXTRACTING_EXTERNAL_SYNC_UNITS" | "EXTRACTION_EXTERNAL_SYNC_UNITS_START" => "external_sync_units",
        "START_EXTRACTING_METADATA" | "EXTRACTION_METADATA_START" => "metadata",
        "START_EXTRACTING_DATA" | "CONTINUE_EXTRACTING_DATA" | "EXTRACTION_DATA_START" | "EXTRACTION_DATA_CONTINUE" => "data",
        "START_EXTRACTING_ATTACHMENTS"
        | "CONTINUE_EXTRACTING_ATTACHMENTS"
        | "EXTRACTION_ATTACHMENTS_START"
        | "EXTRACTION_ATTACHMENTS_CONTINUE" => "attachments",
        "START_DELETING_EXTRACTOR_STATE"
        | "EXTRACTION_DATA_DELETE"
        | "START_DELETING_EXTRACTOR_ATTACHMENTS_STATE"
        | "EXTRACTION_ATTACHMENTS_DELETE" => "delete",
        _ => "other",
    }
}

/// Item types whose lines are not normalized records.
pub fn is_special(item_type: &str) -> bool {
    matches!(item_type, "external_domain_metadata" | "external_sync_units" | "ssor_attachment")
}

impl Store {
    /// Records a violation (and logs it).
    pub fn violation(&mut self, v: String) {
        tracing::warn!(violation = %v, "protocol violation");
        self.violations.push(v);
    }

    /// Takes one injected failure for `endpoint`, if any is left.
    pub fn take_fault(&mut self, endpoint: &str) -> Option<Fault> {
        let f = self.faults.iter_mut().find(|f| f.endpoint == endpoint && f.times > 0)?;
        if f.after > 0 {
            f.after -= 1;
            return None;
        }
        f.times -= 1;
        Some(f.clone())
    }

    /// A fresh artifact id, asked for by request `request_id`.
    pub fn new_artifact(&mut self, file_name: &str, form: Vec<(String, String)>, request_id: &str) -> String {
        self.next_id += 1;
        let id = format!("don:core:dvrv-us-1:devo/emu:artifact/{}", self.next_id);
        let item_type = file_name.strip_suffix(".jsonl.gz").unwrap_or(file_name).to_string();
        if !is_special(&item_type) && !self.wants(&item_type) {
            self.violation(format!("upload-url: {item_type} was extracted although the user excluded it (objects)"));
        }
        let origin = self.origin(request_id);
        self.artifacts.insert(id.clone(), ArtifactInfo { file_name: file_name.into(), item_type, form, origin, ..Default::default() });
        id
    }

    /// The phase and run of a registered request.
    pub fn origin(&self, request_id: &str) -> Option<(String, String)> {
        let incoming = self.pending.get(request_id)?;
        Some((phase_of(incoming).to_string(), self.runs.get(request_id).cloned().unwrap_or_default()))
    }

    /// Whether the user's choice (`objects`) includes `item_type`: as ts-adaas's `shouldExtract`,
    /// an item type it does not name is included, one it names only with `extract: true`.
    pub fn wants(&self, item_type: &str) -> bool {
        match self.objects.as_ref().and_then(|o| o.get(item_type)) {
            None => true,
            Some(choice) => choice.get("extract") == Some(&Value::Bool(true)),
        }
    }

    /// Stores an uploaded file and checks its contents.
    pub fn store_file(&mut self, id: &str, bytes: &[u8]) {
        let Some(info) = self.artifacts.get(id).cloned() else {
            return self.violation(format!("upload to unknown artifact {id}"));
        };
        let seq = id.rsplit('/').next().unwrap_or("x").to_string();
        let _ = std::fs::create_dir_all(self.out.join("artifacts"));
        let _ = std::fs::write(self.out.join("artifacts").join(format!("{seq}.{}.jsonl.gz", info.item_type)), bytes);
        let mut text = String::new();
        if GzDecoder::new(bytes).read_to_string(&mut text).is_err() {
            if let Some(a) = self.artifacts.get_mut(id) {
                a.uploaded = true;
                a.problems = vec![format!("artifact {seq} ({}) is not valid gzip", info.item_type)];
            }
            return;
        }
        let path = self.out.join("artifacts").join(format!("{seq}.{}.jsonl", info.item_type));
        let _ = std::fs::write(&path, &text);
        let mut lines = 0;
        let mut bad = Vec::new();
        let mut invalid = 0usize;
        for line in text.split('\n').filter(|l| !l.trim().is_empty()) {
            lines += 1;
            match serde_json::from_str::<Value>(line) {
                Ok(v) if info.item_type == "external_domain_metadata" => {
                    bad.extend(crate::rules::records::check_metadata(&v).into_iter().map(|e| format!("artifact {seq}: {e}")));
                    self.metadata = Some(v);
                }
                Ok(v) if is_special(&info.item_type) => {
                    let _ = v;
                }
                Ok(v) => {
                    if let Some(doc) = &self.metadata {
                        self.records_checked += 1;
                        let errs = crate::rules::records::check_record(doc, &info.item_type, &v);
                        if !errs.is_empty() {
                            invalid += 1;
                            if invalid <= QUOTED_INVALID {
                                bad.push(format!("artifact {seq}: a record DevRev would reject: {}", errs.join("; ")));
                            }
                        }
                    }
                    let ok = ["id", "created_date", "modified_date"]
                        .iter()
                        .all(|k| v.get(k).and_then(Value::as_str).is_some_and(|s| !s.is_empty()))
                        && v.get("data").is_some_and(Value::is_object);
                    if !ok && bad.len() < 3 {
                        bad.push(format!(
                            "artifact {seq} ({}): a record lacks id/created_date/modified_date/data: {}",
                            info.item_type,
                            line.chars().take(200).collect::<String>()
                        ));
                    }
                }
                Err(_) => bad.push(format!("artifact {seq} ({}): a line is not JSON", info.item_type)),
            }
        }
        if invalid > QUOTED_INVALID {
            bad.push(format!("artifact {seq} ({}): {} more records DevRev would reject", info.item_type, invalid - QUOTED_INVALID));
        }
        if text.ends_with('\n') {
            bad.push(format!("artifact {seq} ({}): trailing newline (the SDK writes none)", info.item_type));
        }
        if let Some(a) = self.artifacts.get_mut(id) {
            a.uploaded = true;
            a.lines = lines;
            a.path = Some(path);
            a.problems = bad;
        }
    }

    /// End-of-run checks: every confirmed artifact was reported.
    pub fn finish_checks(&mut self) {
        let missing: Vec<String> = self
            .artifacts
            .iter()
            .filter(|(_, a)| (a.confirmed || (a.uploaded && a.item_type == "external_sync_units")) && a.reported == 0)
            .map(|(id, a)| format!("artifact {id} ({}) was uploaded but never reported", a.item_type))
            .collect();
        for m in missing {
            self.violation(m);
        }
    }

    /// The original (gzipped) bytes of an uploaded artifact, as `download-url` serves them.
    pub fn original(&self, id: &str) -> Option<Vec<u8>> {
        let info = self.artifacts.get(id).filter(|a| a.uploaded)?;
        let seq = id.rsplit('/').next()?;
        std::fs::read(self.out.join("artifacts").join(format!("{seq}.{}.jsonl.gz", info.item_type))).ok()
    }

    /// Every record stored for `item_type` (duplicates included), read from disk, in the order
    /// the artifacts were issued (ids sort as text, where `artifact/10` comes before `artifact/9`).
    pub fn records(&self, item_type: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let seq = |id: &str| id.rsplit('/').next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
        let mut issued: Vec<(&String, &ArtifactInfo)> =
            self.artifacts.iter().filter(|(_, a)| a.item_type == item_type && a.reported > 0).collect();
        issued.sort_by_key(|(id, _)| seq(id));
        for (_, a) in issued {
            if let Some(p) = &a.path {
                if let Ok(text) = std::fs::read_to_string(p) {
                    out.extend(text.split('\n').filter_map(|l| serde_json::from_str::<Value>(l).ok()));
                }
            }
        }
        out
    }

    /// Distinct record ids per item type, over reported artifacts.
    pub fn ids(&self, item_type: &str) -> BTreeSet<String> {
        self.records(item_type).iter().filter_map(|r| r.get("id").and_then(Value::as_str).map(str::to_string)).collect()
    }

    /// Reported artifacts per item type.
    pub fn artifact_counts(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for a in self.artifacts.values().filter(|a| a.reported > 0) {
            *m.entry(a.item_type.clone()).or_default() += 1;
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_record_is_quoted_safely_whatever_its_characters() {
        let dir = std::env::temp_dir().join(format!("devrev-emu-store-{}", std::process::id()));
        let mut st = Store { out: dir, ..Default::default() };
        let id = st.new_artifact("users.jsonl.gz", Vec::new(), "r");
        // A record without its dates, whose 200th byte falls inside a multi-byte character.
        let line = format!("{{\"id\":\"{}\"}}", "é".repeat(150));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, line.as_bytes()).unwrap_or_default();
        st.store_file(&id, &gz.finish().unwrap_or_default());
        // Judged when a reply reports it: a file never reported is the worker's own.
        assert!(st.violations.is_empty(), "{:?}", st.violations);
        let problems = &st.artifacts[&id].problems;
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("lacks id/created_date"), "{problems:?}");
    }
}
