//! Large checkpoint values go to the worker's own artifact. A value whose JSON is longer than
//! [`SPILL_CHARS`] (the System Log's change set after a burst of changes, say) is gzipped and
//! uploaded like an index part (never confirmed, never reported), and the state keeps a
//! reference to it ([`spilled_ref`]); [`crate::airsync::index::Reader::resolve`] reads it back.
//! The reference is committed in the same state write as the value would have been, so the
//! crash rule holds. Only a writer that can read its artifacts back (the data phase's, with an
//! index) spills.

use std::io::Write;

use serde_json::{json, Value};

use super::Writer;
use crate::airsync::index::{Part, SPILLED};

/// The file name of a spilled value's artifact (the worker's own: never reported).
pub const SPILL_FILE_NAME: &str = "airsync_spill.json.gz";

/// Checkpoint values longer than this many characters of JSON are spilled.
pub const SPILL_CHARS: usize = 40_000;

/// [`SPILL_CHARS`], or less where `OKTA_AIRSYNC_SPILL_CHARS` says so (500 or more): the crash
/// test sets it so that a small org's change set is spilled too.
fn spill_chars() -> usize {
    static LIMIT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        let asked = std::env::var("OKTA_AIRSYNC_SPILL_CHARS").ok().and_then(|v| v.trim().parse::<usize>().ok());
        asked.map_or(SPILL_CHARS, |n| n.clamp(500, SPILL_CHARS))
    })
}

impl Writer {
    /// `value`, or the reference to the artifact it was spilled into.
    pub(super) async fn spill_large(&mut self, key: &str, value: Value) -> Value {
        if self.cfg.index.is_none() {
            return value;
        }
        let text = match serde_json::to_vec(&value) {
            Ok(t) if t.len() > spill_chars() => t,
            _ => return value,
        };
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let gz = match gz.write_all(&text).and_then(|_| gz.finish()) {
            Ok(gz) => gz,
            Err(e) => {
                tracing::warn!(key, error = %e, "a large checkpoint could not be compressed; kept in the state");
                return value;
            }
        };
        match self.upload_part(gz, 1, SPILL_FILE_NAME).await {
            Ok(Part::Artifact { id, bytes, crc32, .. }) => {
                crate::crash::point("writer.spill.uploaded");
                tracing::info!(key, chars = text.len(), bytes, "a large checkpoint went to the worker's own artifact");
                json!({ SPILLED: {"id": id, "bytes": bytes, "crc32": crc32} })
            }
            Ok(Part::State { .. }) => value,
            Err(e) => {
                self.fail(e);
                value
            }
        }
    }
}
