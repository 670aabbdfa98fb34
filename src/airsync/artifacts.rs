//! Gzipped JSON-lines artifacts: records are encoded as they arrive, never held as a whole.
//!
//! The file format is the SDK's: compact JSON objects joined by `\n`, no trailing newline,
//! gzip-compressed, named `<item_type>.jsonl.gz` (ts-adaas `src/uploader/uploader.ts`). Each batch tracks
//! the oldest and newest `created_date`/`modified_date` it holds for the artifact descriptor.

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use flate2::{write::GzEncoder, Compression};
use serde_json::{Map, Value};

/// Min/max of record dates, formatted as the SDK formats them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DateRange {
    /// Oldest `created_date`.
    pub oldest_created: Option<DateTime<Utc>>,
    /// Newest `created_date`.
    pub newest_created: Option<DateTime<Utc>>,
    /// Oldest `modified_date`.
    pub oldest_modified: Option<DateTime<Utc>>,
    /// Newest `modified_date`.
    pub newest_modified: Option<DateTime<Utc>>,
}

fn parse_date(v: Option<&Value>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v?.as_str()?).ok().map(|d| d.with_timezone(&Utc))
}

/// Formats a timestamp as `YYYY-MM-DDTHH:mm:ss.sssZ`.
pub fn iso_millis(d: &DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl DateRange {
    /// Widens the range with one record's dates.
    pub fn observe(&mut self, record: &Value) {
        if let Some(c) = parse_date(record.get("created_date")) {
            self.oldest_created = Some(self.oldest_created.map_or(c, |o| o.min(c)));
            self.newest_created = Some(self.newest_created.map_or(c, |o| o.max(c)));
        }
        if let Some(m) = parse_date(record.get("modified_date")) {
            self.oldest_modified = Some(self.oldest_modified.map_or(m, |o| o.min(m)));
            self.newest_modified = Some(self.newest_modified.map_or(m, |o| o.max(m)));
        }
    }

    /// Widens the range with another.
    pub fn merge(&mut self, other: &DateRange) {
        let lo = |a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let hi = |a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>| match (a, b) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.oldest_created = lo(self.oldest_created, other.oldest_created);
        self.newest_created = hi(self.newest_created, other.newest_created);
        self.oldest_modified = lo(self.oldest_modified, other.oldest_modified);
        self.newest_modified = hi(self.newest_modified, other.newest_modified);
    }

    /// Writes the four date keys (those that are known) into `out`, in the SDK's order.
    pub fn write_into(&self, out: &mut Map<String, Value>) {
        if let (Some(o), Some(n)) = (self.oldest_created, self.newest_created) {
            out.insert("oldest_created_date".into(), iso_millis(&o).into());
            out.insert("newest_created_date".into(), iso_millis(&n).into());
        }
        if let (Some(o), Some(n)) = (self.oldest_modified, self.newest_modified) {
            out.insert("oldest_modified_date".into(), iso_millis(&o).into());
            out.insert("newest_modified_date".into(), iso_millis(&n).into());
        }
    }
}

/// One artifact being encoded.
pub struct Batch {
    /// The item type.
    pub item_type: String,
    // Buffered: serde_json writes token by token, and each small write into the gzip encoder
    // would zero-fill its 32 KiB output buffer (flate2's write path).
    encoder: std::io::BufWriter<GzEncoder<Vec<u8>>>,
    /// Records written so far.
    pub count: usize,
    /// Dates seen so far.
    pub dates: DateRange,
}

impl Batch {
    /// Starts an empty batch.
    pub fn new(item_type: &str) -> Self {
        Batch {
            item_type: item_type.to_string(),
            encoder: std::io::BufWriter::with_capacity(256 * 1024, GzEncoder::new(Vec::new(), Compression::default())),
            count: 0,
            dates: DateRange::default(),
        }
    }

    /// Appends one record as a line.
    pub fn push(&mut self, record: &Value) -> std::io::Result<()> {
        if self.count > 0 {
            self.encoder.write_all(b"\n")?;
        }
        serde_json::to_writer(&mut self.encoder, record)?;
        self.dates.observe(record);
        self.count += 1;
        Ok(())
    }

    /// Finishes the gzip stream.
    pub fn finish(self) -> std::io::Result<(Vec<u8>, usize, DateRange)> {
        let gz = self.encoder.into_inner().map_err(|e| e.into_error())?;
        Ok((gz.finish()?, self.count, self.dates))
    }

    /// The file name DevRev gets.
    pub fn file_name(&self) -> String {
        format!("{}.jsonl.gz", self.item_type)
    }
}

/// The descriptor reported in `event_data.artifacts`.
pub fn descriptor(id: &str, item_type: &str, count: usize, dates: Option<&DateRange>) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), id.into());
    m.insert("item_type".into(), item_type.into());
    m.insert("item_count".into(), count.into());
    if let Some(d) = dates {
        d.write_into(&mut m);
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use serde_json::json;
    use std::io::Read;

    #[test]
    fn lines_are_joined_without_a_trailing_newline() {
        let mut b = Batch::new("users");
        b.push(&json!({"id":"1","created_date":"2024-01-01T00:00:00Z","modified_date":"2024-02-01T00:00:00.5Z","data":{}})).unwrap();
        b.push(&json!({"id":"2","created_date":"2023-01-01T00:00:00Z","modified_date":"x","data":{}})).unwrap();
        let (bytes, n, dates) = b.finish().unwrap();
        let mut s = String::new();
        GzDecoder::new(&bytes[..]).read_to_string(&mut s).unwrap();
        assert_eq!(n, 2);
        assert_eq!(s.lines().count(), 2);
        assert!(!s.ends_with('\n'));
        let d = descriptor("a", "users", n, Some(&dates));
        assert_eq!(d["oldest_created_date"], "2023-01-01T00:00:00.000Z");
        assert_eq!(d["newest_modified_date"], "2024-02-01T00:00:00.500Z");
        assert_eq!(d["oldest_modified_date"], "2024-02-01T00:00:00.500Z");
    }
}
