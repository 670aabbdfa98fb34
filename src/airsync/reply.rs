//! Building the callback body: event type, echoed context, event data, worker metadata.

use serde_json::{Map, Value};

use super::artifacts::DateRange;
use super::devrev::SDK_VERSION;
use super::event::ReplyType;

/// The most UTF-16 code units of an error message the SDK sends.
pub const MAX_MESSAGE_UNITS: usize = 10_000;

/// Truncates like the SDK: the first 10 000 UTF-16 units, then `... N more characters`.
pub fn truncate_message(msg: &str) -> String {
    let units: Vec<u16> = msg.encode_utf16().collect();
    if units.len() <= MAX_MESSAGE_UNITS {
        return msg.to_string();
    }
    let head = String::from_utf16_lossy(units.get(..MAX_MESSAGE_UNITS).unwrap_or_default());
    format!("{head}... {} more characters", units.len() - MAX_MESSAGE_UNITS)
}

/// Everything that goes into one reply.
pub struct Reply {
    /// The reply type.
    pub kind: ReplyType,
    /// Caller data (`error`, `delay`).
    pub data: Map<String, Value>,
    /// `Some` for adapter-style replies (the list may be empty); `None` for built-in replies.
    pub artifacts: Option<Vec<Value>>,
    /// The last uploaded item type and its dates, for `worker_metadata`.
    pub last_upload: Option<(String, DateRange)>,
}

impl Reply {
    /// A built-in reply with `event_data: {}` and no artifacts key.
    pub fn bare(kind: ReplyType) -> Self {
        Reply { kind, data: Map::new(), artifacts: None, last_upload: None }
    }

    /// An adapter reply carrying artifacts.
    pub fn with_artifacts(kind: ReplyType, artifacts: Vec<Value>) -> Self {
        Reply { kind, data: Map::new(), artifacts: Some(artifacts), last_upload: None }
    }

    /// An error reply; `artifacts` is `Some` when the error went through the adapter.
    pub fn error(kind: ReplyType, message: &str, artifacts: Option<Vec<Value>>) -> Self {
        let mut data = Map::new();
        data.insert("error".into(), serde_json::json!({ "message": truncate_message(message) }));
        Reply { kind, data, artifacts, last_upload: None }
    }

    /// Serializes the body in the SDK's key order.
    pub fn body(&self, event_context: &Map<String, Value>) -> Value {
        let mut data = self.data.clone();
        if let Some(a) = &self.artifacts {
            data.insert("artifacts".into(), Value::Array(a.clone()));
        }
        let mut wm = Map::new();
        let per_type =
            matches!(self.kind, ReplyType::DataDone | ReplyType::DataProgress | ReplyType::AttachmentDone | ReplyType::AttachmentProgress);
        if let (true, Some((t, dates))) = (per_type, &self.last_upload) {
            wm.insert("item_type".into(), t.clone().into());
            dates.write_into(&mut wm);
        }
        if let Some(to) = event_context.get("extract_to").filter(|v| v.is_string()) {
            wm.insert("newest_state_date".into(), to.clone());
        }
        if let Some(from) = event_context.get("extract_from").filter(|v| v.is_string()) {
            wm.insert("oldest_state_date".into(), from.clone());
        }
        wm.insert("adaas_library_version".into(), SDK_VERSION.into());
        let mut body = Map::new();
        body.insert("event_type".into(), self.kind.as_str().into());
        body.insert("event_context".into(), Value::Object(event_context.clone()));
        body.insert("event_data".into(), Value::Object(data));
        body.insert("worker_metadata".into(), Value::Object(wm));
        Value::Object(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_like_the_sdk() {
        let msg = "é".repeat(10_005);
        let out = truncate_message(&msg);
        assert!(out.ends_with("... 5 more characters"));
        assert_eq!(truncate_message("short"), "short");
    }
}
