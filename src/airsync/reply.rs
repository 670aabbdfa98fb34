//! Building the callback body: event type, echoed context, event data, worker metadata.

use serde_json::{Map, Value};

use super::artifacts::DateRange;
use super::devrev::SDK_VERSION;
use super::event::ReplyType;
use super::extractor::ErrorCode;

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

/// The message the platform gets for a failure, and the detail kept for the worker's logs and
/// the event report. ts-adaas defines each `ExtractionCommonError` as the whole message
/// (`src/common/errors.ts`), so a message that leads with one of [`ErrorCode`]'s strings is sent
/// as exactly that string (the platform may compare it whole); any other message is sent as it is.
pub fn platform_message(message: &str) -> (String, Option<String>) {
    let code = ErrorCode::ALL
        .into_iter()
        .map(ErrorCode::as_str)
        .find(|c| message.strip_prefix(c).is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace)));
    match code {
        Some(c) => (c.to_string(), Some(message.to_string()).filter(|m| m.len() > c.len())),
        None => (truncate_message(message), None),
    }
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
    /// What the admin should read about an error whose message is a bare `ERROR_CODE=` (see
    /// [`platform_message`]): logged and kept in the event report, never sent.
    pub detail: Option<String>,
}

impl Reply {
    /// A built-in reply with `event_data: {}` and no artifacts key.
    pub fn bare(kind: ReplyType) -> Self {
        Reply { kind, data: Map::new(), artifacts: None, last_upload: None, detail: None }
    }

    /// An adapter reply carrying artifacts.
    pub fn with_artifacts(kind: ReplyType, artifacts: Vec<Value>) -> Self {
        Reply { kind, data: Map::new(), artifacts: Some(artifacts), last_upload: None, detail: None }
    }

    /// An error reply; `artifacts` is `Some` when the error went through the adapter.
    pub fn error(kind: ReplyType, message: &str, artifacts: Option<Vec<Value>>) -> Self {
        let mut data = Map::new();
        let (sent, detail) = platform_message(message);
        if let Some(d) = &detail {
            tracing::error!(error_code = %sent, detail = %d, "the phase failed on a persistent condition");
        }
        data.insert("error".into(), serde_json::json!({ "message": sent }));
        Reply { kind, data, artifacts, last_upload: None, detail }
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

    #[test]
    fn an_error_code_is_sent_alone_and_its_detail_kept() {
        for code in ErrorCode::ALL {
            let (sent, detail) = platform_message(&code.message("users: Okta answered 401"));
            assert_eq!(sent, code.as_str());
            assert_eq!(detail.as_deref(), Some(format!("{} users: Okta answered 401", code.as_str()).as_str()));
            assert_eq!(platform_message(code.as_str()), (code.as_str().to_string(), None));
        }
        // Only a whole leading code counts.
        let (sent, detail) = platform_message("ERROR_CODE=EXTERNAL_SYSTEM_NO_ACCESSORY x");
        assert_eq!((sent.as_str(), detail), ("ERROR_CODE=EXTERNAL_SYSTEM_NO_ACCESSORY x", None));
        assert_eq!(platform_message("users: timed out").0, "users: timed out");
    }
}
