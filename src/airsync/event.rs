//! The incoming AirSync event: parsing, validation and the event-type vocabulary.
//!
//! Both the legacy and the current event names are accepted on input; replies always use the
//! current names (ts-adaas `src/types/extraction.ts`). Unknown fields are ignored and kept verbatim in
//! `event_context`, which is echoed back in every reply.

use serde_json::{Map, Value};
use url::Url;

/// The largest invocation (bytes of JSON) this worker accepts. An AirSync event is a few KiB;
/// DevRev's own event bus caps messages at 256 KB.
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// A problem with the invocation's input, naming the field at fault.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EventError {
    /// The input is larger than any AirSync event.
    #[error("the invocation is {0} bytes, over the {MAX_EVENT_BYTES}-byte limit; an AirSync event is a few KiB")]
    TooLarge(usize),
    /// The input was not JSON at all.
    #[error("the invocation is not valid JSON: {0}; send a JSON array of AirSync events or a single event object")]
    NotJson(String),
    /// The input was an empty array.
    #[error("the invocation holds no event: send a JSON array with at least one AirSync event")]
    Empty,
    /// The input was JSON but not an object or array of objects.
    #[error("the invocation must be an AirSync event object or an array of them, found {0}")]
    NotAnEvent(&'static str),
    /// A required field was missing or empty.
    #[error("required field `{0}` is missing or empty in the event")]
    Missing(&'static str),
    /// A field that must hold a URL did not.
    #[error("field `{field}` is not an absolute http(s) URL: {value:?}")]
    BadUrl {
        /// The field's path.
        field: &'static str,
        /// What was found.
        value: String,
    },
}

/// Every event type the platform sends, with both spellings accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// List the external sync units (initial import only; stateless).
    ExtractExternalSyncUnits,
    /// Produce the external domain metadata.
    ExtractMetadata,
    /// Start the data phase.
    StartExtractingData,
    /// Continue the data phase after PROGRESS or DELAYED.
    ContinueExtractingData,
    /// Start the attachments phase.
    StartExtractingAttachments,
    /// Continue the attachments phase.
    ContinueExtractingAttachments,
    /// The import was deleted: drop the extractor state.
    DeleteExtractorState,
    /// The import was deleted: drop the attachments state.
    DeleteExtractorAttachmentsState,
    /// Reverse-sync phases, which this one-way connector does not implement.
    Loading(LoadingKind),
    /// A name this worker does not know.
    Unknown,
}

/// The loading (reverse sync) event families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoadingKind {
    /// START/CONTINUE_LOADING_DATA.
    Data,
    /// START/CONTINUE_LOADING_ATTACHMENTS.
    Attachments,
    /// START_DELETING_LOADER_STATE.
    DeleteState,
    /// START_DELETING_LOADER_ATTACHMENT_STATE.
    DeleteAttachmentState,
}

impl EventType {
    /// Parses an incoming name, legacy or current.
    pub fn parse(name: &str) -> EventType {
        use EventType::*;
        match name {
            "START_EXTRACTING_EXTERNAL_SYNC_UNITS" | "EXTRACTION_EXTERNAL_SYNC_UNITS_START" => ExtractExternalSyncUnits,
            "START_EXTRACTING_METADATA" | "EXTRACTION_METADATA_START" => ExtractMetadata,
            "START_EXTRACTING_DATA" | "EXTRACTION_DATA_START" => StartExtractingData,
            "CONTINUE_EXTRACTING_DATA" | "EXTRACTION_DATA_CONTINUE" => ContinueExtractingData,
            "START_EXTRACTING_ATTACHMENTS" | "EXTRACTION_ATTACHMENTS_START" => StartExtractingAttachments,
            "CONTINUE_EXTRACTING_ATTACHMENTS" | "EXTRACTION_ATTACHMENTS_CONTINUE" => ContinueExtractingAttachments,
            "START_DELETING_EXTRACTOR_STATE" | "EXTRACTION_DATA_DELETE" => DeleteExtractorState,
            "START_DELETING_EXTRACTOR_ATTACHMENTS_STATE" | "EXTRACTION_ATTACHMENTS_DELETE" => DeleteExtractorAttachmentsState,
            "START_LOADING_DATA" | "CONTINUE_LOADING_DATA" => Loading(LoadingKind::Data),
            "START_LOADING_ATTACHMENTS" | "CONTINUE_LOADING_ATTACHMENTS" => Loading(LoadingKind::Attachments),
            "START_DELETING_LOADER_STATE" => Loading(LoadingKind::DeleteState),
            "START_DELETING_LOADER_ATTACHMENT_STATE" => Loading(LoadingKind::DeleteAttachmentState),
            _ => Unknown,
        }
    }

    /// Whether the SDK reads and writes state for this event type.
    pub fn is_stateful(self) -> bool {
        use EventType::*;
        matches!(
            self,
            ExtractMetadata | StartExtractingData | ContinueExtractingData | StartExtractingAttachments | ContinueExtractingAttachments
        )
    }

    /// The reply this phase sends when it fails.
    pub fn error_reply(self) -> ReplyType {
        use EventType::*;
        match self {
            ExtractExternalSyncUnits => ReplyType::ExternalSyncUnitError,
            ExtractMetadata => ReplyType::MetadataError,
            StartExtractingData | ContinueExtractingData => ReplyType::DataError,
            StartExtractingAttachments | ContinueExtractingAttachments => ReplyType::AttachmentError,
            DeleteExtractorState => ReplyType::StateDeletionError,
            DeleteExtractorAttachmentsState => ReplyType::AttachmentsStateDeletionError,
            Loading(LoadingKind::Data) => ReplyType::Other("DATA_LOADING_ERROR"),
            Loading(LoadingKind::Attachments) => ReplyType::Other("ATTACHMENT_LOADING_ERROR"),
            Loading(LoadingKind::DeleteState) => ReplyType::Other("LOADER_STATE_DELETION_ERROR"),
            Loading(LoadingKind::DeleteAttachmentState) => ReplyType::Other("LOADER_ATTACHMENT_STATE_DELETION_ERROR"),
            Unknown => ReplyType::UnknownEventType,
        }
    }

    /// The replies the platform accepts for this incoming type (current names).
    pub fn allowed_replies(self) -> Vec<&'static str> {
        use EventType::*;
        match self {
            ExtractExternalSyncUnits => vec!["EXTERNAL_SYNC_UNIT_EXTRACTION_DONE", "EXTERNAL_SYNC_UNIT_EXTRACTION_ERROR"],
            ExtractMetadata => vec!["METADATA_EXTRACTION_DONE", "METADATA_EXTRACTION_ERROR"],
            StartExtractingData | ContinueExtractingData => {
                vec!["DATA_EXTRACTION_DONE", "DATA_EXTRACTION_PROGRESS", "DATA_EXTRACTION_DELAYED", "DATA_EXTRACTION_ERROR"]
            }
            StartExtractingAttachments | ContinueExtractingAttachments => vec![
                "ATTACHMENT_EXTRACTION_DONE",
                "ATTACHMENT_EXTRACTION_PROGRESS",
                "ATTACHMENT_EXTRACTION_DELAYED",
                "ATTACHMENT_EXTRACTION_ERROR",
            ],
            DeleteExtractorState => vec!["EXTRACTOR_STATE_DELETION_DONE", "EXTRACTOR_STATE_DELETION_ERROR"],
            DeleteExtractorAttachmentsState => {
                vec!["EXTRACTOR_ATTACHMENTS_STATE_DELETION_DONE", "EXTRACTOR_ATTACHMENTS_STATE_DELETION_ERROR"]
            }
            Loading(LoadingKind::Data) => vec!["DATA_LOADING_ERROR"],
            Loading(LoadingKind::Attachments) => vec!["ATTACHMENT_LOADING_ERROR"],
            Loading(LoadingKind::DeleteState) => vec!["LOADER_STATE_DELETION_DONE", "LOADER_STATE_DELETION_ERROR"],
            Loading(LoadingKind::DeleteAttachmentState) => {
                vec!["LOADER_ATTACHMENT_STATE_DELETION_DONE", "LOADER_ATTACHMENT_STATE_DELETION_ERROR"]
            }
            Unknown => vec!["UNKNOWN_EVENT_TYPE"],
        }
    }
}

/// The reply event types this worker sends (always the current names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ReplyType {
    ExternalSyncUnitDone,
    ExternalSyncUnitError,
    MetadataDone,
    MetadataError,
    DataDone,
    DataProgress,
    DataDelayed,
    DataError,
    AttachmentDone,
    AttachmentProgress,
    AttachmentDelayed,
    AttachmentError,
    StateDeletionDone,
    StateDeletionError,
    AttachmentsStateDeletionDone,
    AttachmentsStateDeletionError,
    UnknownEventType,
    /// A reply spelled verbatim (loader errors).
    Other(&'static str),
}

impl ReplyType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        use ReplyType::*;
        match self {
            ExternalSyncUnitDone => "EXTERNAL_SYNC_UNIT_EXTRACTION_DONE",
            ExternalSyncUnitError => "EXTERNAL_SYNC_UNIT_EXTRACTION_ERROR",
            MetadataDone => "METADATA_EXTRACTION_DONE",
            MetadataError => "METADATA_EXTRACTION_ERROR",
            DataDone => "DATA_EXTRACTION_DONE",
            DataProgress => "DATA_EXTRACTION_PROGRESS",
            DataDelayed => "DATA_EXTRACTION_DELAYED",
            DataError => "DATA_EXTRACTION_ERROR",
            AttachmentDone => "ATTACHMENT_EXTRACTION_DONE",
            AttachmentProgress => "ATTACHMENT_EXTRACTION_PROGRESS",
            AttachmentDelayed => "ATTACHMENT_EXTRACTION_DELAYED",
            AttachmentError => "ATTACHMENT_EXTRACTION_ERROR",
            StateDeletionDone => "EXTRACTOR_STATE_DELETION_DONE",
            StateDeletionError => "EXTRACTOR_STATE_DELETION_ERROR",
            AttachmentsStateDeletionDone => "EXTRACTOR_ATTACHMENTS_STATE_DELETION_DONE",
            AttachmentsStateDeletionError => "EXTRACTOR_ATTACHMENTS_STATE_DELETION_ERROR",
            UnknownEventType => "UNKNOWN_EVENT_TYPE",
            Other(s) => s,
        }
    }
}

/// The connection the user chose (`payload.connection_data`).
#[derive(Debug, Clone, Default)]
pub struct ConnectionData {
    /// The organization id the user picked (for Okta: the subdomain, as a fallback source).
    pub org_id: String,
    /// Its display name.
    pub org_name: String,
    /// The transformed secret. Never logged.
    pub key: secrecy::SecretString,
}

/// One parsed AirSync event.
#[derive(Debug, Clone)]
pub struct AirdropEvent {
    /// The event type as sent (legacy or current name).
    pub event_type_name: String,
    /// The parsed event type.
    pub event_type: EventType,
    /// The incoming `event_context`, kept verbatim for echoing.
    pub event_context: Map<String, Value>,
    /// `payload.event_data`, or an empty object.
    pub event_data: Value,
    /// The user's connection.
    pub connection: ConnectionData,
    /// `context.secrets.service_account_token`. Never logged.
    pub service_token: secrecy::SecretString,
    /// `context.snap_in_version_id`.
    pub snap_in_version_id: String,
    /// `context.snap_in_id`.
    pub snap_in_id: String,
    /// `execution_metadata.devrev_endpoint`.
    pub devrev_endpoint: Option<Url>,
    /// `input_data.global_values`, as strings.
    pub global_values: Map<String, Value>,
    /// `event_context.callback_url`.
    pub callback_url: Url,
    /// `event_context.worker_data_url` (needed for stateful phases).
    pub worker_data_url: Option<String>,
}

impl AirdropEvent {
    /// A string field of `event_context`, or "".
    pub fn ctx_str(&self, key: &str) -> &str {
        self.event_context.get(key).and_then(Value::as_str).unwrap_or("")
    }
}

/// Parses one invocation: a JSON array of events or a single event object.
pub fn parse_invocation(input: &[u8]) -> Result<Vec<Value>, EventError> {
    if input.len() > MAX_EVENT_BYTES {
        return Err(EventError::TooLarge(input.len()));
    }
    let value: Value = serde_json::from_slice(input).map_err(|e| EventError::NotJson(e.to_string()))?;
    let items = match value {
        Value::Array(items) if items.is_empty() => return Err(EventError::Empty),
        Value::Array(items) => items,
        obj @ Value::Object(_) => vec![obj],
        other => return Err(EventError::NotAnEvent(json_kind(&other))),
    };
    Ok(items)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().filter(|s| !s.trim().is_empty())
}

/// Parses one event object, checking the fields every phase needs.
pub fn parse_event(v: Value) -> Result<AirdropEvent, EventError> {
    if !v.is_object() {
        return Err(EventError::NotAnEvent(json_kind(&v)));
    }
    let event_type_name = str_at(&v, &["payload", "event_type"])
        .or_else(|| str_at(&v, &["execution_metadata", "event_type"]))
        .ok_or(EventError::Missing("payload.event_type"))?
        .to_string();
    let event_type = EventType::parse(&event_type_name);
    let event_context =
        v.pointer("/payload/event_context").and_then(Value::as_object).cloned().ok_or(EventError::Missing("payload.event_context"))?;
    let callback_raw = event_context
        .get("callback_url")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(EventError::Missing("payload.event_context.callback_url"))?;
    let callback_url = parse_http_url("payload.event_context.callback_url", callback_raw)?;
    let service_token =
        str_at(&v, &["context", "secrets", "service_account_token"]).ok_or(EventError::Missing("context.secrets.service_account_token"))?;
    let worker_data_url = event_context.get("worker_data_url").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    if event_type.is_stateful() {
        let raw = worker_data_url.as_deref().ok_or(EventError::Missing("payload.event_context.worker_data_url"))?;
        parse_http_url("payload.event_context.worker_data_url", raw)?;
    }
    let devrev_endpoint = match str_at(&v, &["execution_metadata", "devrev_endpoint"]) {
        Some(raw) => Some(parse_http_url("execution_metadata.devrev_endpoint", raw)?),
        None => None,
    };
    let needs_endpoint = event_type.is_stateful() || matches!(event_type, EventType::ExtractExternalSyncUnits);
    if needs_endpoint && devrev_endpoint.is_none() {
        return Err(EventError::Missing("execution_metadata.devrev_endpoint"));
    }
    let cd = v.pointer("/payload/connection_data");
    let connection = ConnectionData {
        org_id: cd.and_then(|c| str_at(c, &["org_id"])).unwrap_or("").to_string(),
        org_name: cd.and_then(|c| str_at(c, &["org_name"])).unwrap_or("").to_string(),
        key: cd.and_then(|c| c.get("key")).and_then(Value::as_str).unwrap_or("").to_string().into(),
    };
    Ok(AirdropEvent {
        event_type_name,
        event_type,
        event_data: v.pointer("/payload/event_data").cloned().filter(Value::is_object).unwrap_or_else(|| Value::Object(Map::new())),
        connection,
        service_token: service_token.to_string().into(),
        snap_in_version_id: str_at(&v, &["context", "snap_in_version_id"]).unwrap_or("").to_string(),
        snap_in_id: str_at(&v, &["context", "snap_in_id"]).unwrap_or("").to_string(),
        devrev_endpoint,
        global_values: v.pointer("/input_data/global_values").and_then(Value::as_object).cloned().unwrap_or_default(),
        callback_url,
        worker_data_url,
        event_context,
    })
}

fn parse_http_url(field: &'static str, raw: &str) -> Result<Url, EventError> {
    match Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u),
        _ => Err(EventError::BadUrl { field, value: raw.chars().take(200).collect() }),
    }
}

/// The best-effort callback URL of an event that failed validation, so an ERROR can still go out.
pub fn salvage_reply_target(v: &Value) -> Option<(Url, String, EventType)> {
    let cb = v.pointer("/payload/event_context/callback_url")?.as_str()?;
    let url = parse_http_url("callback_url", cb).ok()?;
    let token = str_at(v, &["context", "secrets", "service_account_token"])?.to_string();
    let et = str_at(v, &["payload", "event_type"]).map(EventType::parse).unwrap_or(EventType::Unknown);
    Some((url, token, et))
}
