//! The one seam between the AirSync runtime and a source system.
//!
//! The runtime calls an [`Extractor`] for each phase and gives it a [`Sink`] for records and
//! checkpoints. It never names a source entity; the extractor never sees DevRev HTTP.

use std::future::Future;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// What the extractor needs to know about this invocation.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// `INITIAL`, `INCREMENTAL` (or anything else the platform sends).
    pub mode: String,
    /// True on START_EXTRACTING_DATA, false on CONTINUE.
    pub is_start: bool,
    /// `connection_data.org_id`.
    pub org_id: String,
    /// `connection_data.org_name`.
    pub org_name: String,
    /// `connection_data.key` (secret).
    pub connection_key: secrecy::SecretString,
    /// `input_data.global_values`.
    pub global_values: Map<String, Value>,
    /// `event_context.extract_from` when the platform or the window resolution set one.
    pub extract_from: Option<String>,
    /// `event_context.extract_to` when the platform or the window resolution set one.
    pub extract_to: Option<String>,
    /// `event_context.reset_extract_from`: an incremental sync starts again from `extract_from`.
    pub reset_extract_from: bool,
    /// Which item types the user chose to extract.
    pub scope: ExtractionScope,
    /// `lastSuccessfulSyncStarted` from the state ("" when none).
    pub last_successful_sync_started: String,
    /// `lastSyncStarted`: when this sync run started.
    pub sync_started: String,
    /// Cancelled at the soft deadline, on SIGTERM, or when the artifact list is nearly full.
    pub stop: CancellationToken,
    /// The soft deadline itself.
    pub deadline: Instant,
    /// Reads the index's parts back (data phase only).
    pub index: Option<std::sync::Arc<super::index::Reader>>,
}

/// The user's choice of item types: the platform sends it with the state (`objects`,
/// `{"<item_type>": {"extract": true|false}}`, as ts-adaas's `extractionScope`), and a local run
/// can narrow it (`--entities`). As the SDK's `shouldExtract` (which returns
/// `scope[itemType].extract`): an item type the scope does not name is extracted, one it names
/// without `extract: true` is not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtractionScope {
    excluded: std::collections::BTreeSet<String>,
    only: Option<std::collections::BTreeSet<String>>,
}

/// An `objects` document that is not `{"<item_type>": {"extract": bool}}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the extraction scope (`objects`) is not {{\"<item_type>\": {{\"extract\": true|false}}}}: {0}")]
pub struct ScopeError(pub String);

impl ExtractionScope {
    /// Everything.
    pub fn all() -> Self {
        Self::default()
    }

    /// Parses the platform's `objects` text.
    pub fn from_objects(text: &str) -> Result<Self, ScopeError> {
        let v: Value = serde_json::from_str(text).map_err(|e| ScopeError(format!("not JSON ({e})")))?;
        let Value::Object(map) = v else { return Err(ScopeError("not an object".into())) };
        let mut excluded = std::collections::BTreeSet::new();
        for (item_type, choice) in map {
            match choice.get("extract") {
                Some(Value::Bool(false)) | None => {
                    excluded.insert(item_type);
                }
                Some(Value::Bool(true)) => {}
                Some(other) => return Err(ScopeError(format!("`{item_type}.extract` is {other}, not a boolean"))),
            }
        }
        Ok(ExtractionScope { excluded, only: None })
    }

    /// Keeps only `item_types` (a local run's `--entities`), on top of what the platform excluded.
    pub fn narrowed_to<I: IntoIterator<Item = String>>(mut self, item_types: I) -> Self {
        self.only = Some(item_types.into_iter().collect());
        self
    }

    /// Whether `item_type` is to be extracted.
    pub fn wants(&self, item_type: &str) -> bool {
        !self.excluded.contains(item_type) && self.only.as_ref().is_none_or(|o| o.contains(item_type))
    }

    /// Whether any of `item_types` is to be extracted (a job that makes none of them makes no call).
    pub fn wants_any(&self, item_types: &[&str]) -> bool {
        item_types.iter().any(|t| self.wants(t))
    }
}

impl Invocation {
    /// Time left before the soft deadline.
    pub fn time_left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

/// How a data phase invocation ended, from the extractor's side.
#[derive(Debug, Clone, PartialEq)]
pub enum ExtractOutcome {
    /// Everything was extracted.
    Done,
    /// Stopped early (deadline, SIGTERM, size guard): call again.
    Progress,
    /// The source asked to wait this many seconds.
    Delayed(u64),
    /// The phase failed; the message says what and where.
    Error(String),
}

/// A failure in the sync-unit or metadata phases.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PhaseError(pub String);

/// The persistent conditions the platform understands (ts-adaas `ExtractionCommonError`): an
/// error message that starts with one of these stops periodic syncs instead of retrying them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The credentials no longer give access (invalid or revoked token).
    ExternalSystemNoAccess,
    /// The credentials work but lack every permission needed.
    ExternalSystemNoPermission,
    /// The sync unit (the Okta org) no longer exists.
    ExternalSyncUnitDeleted,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [ErrorCode; 3] =
        [ErrorCode::ExternalSystemNoAccess, ErrorCode::ExternalSystemNoPermission, ErrorCode::ExternalSyncUnitDeleted];

    /// The exact string, as ts-adaas 1.20 spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ExternalSystemNoAccess => "ERROR_CODE=EXTERNAL_SYSTEM_NO_ACCESS",
            ErrorCode::ExternalSystemNoPermission => "ERROR_CODE=EXTERNAL_SYSTEM_NO_PERMISSION",
            ErrorCode::ExternalSyncUnitDeleted => "ERROR_CODE=EXTERNAL_SYNC_UNIT_DELETED",
        }
    }

    /// The code followed by what happened and what to do. The reply sends the code alone (ts-adaas
    /// defines each as the whole message); the rest goes to the logs and the event report
    /// (`airsync::reply::platform_message`).
    pub fn message(self, detail: &str) -> String {
        format!("{} {detail}", self.as_str())
    }
}

/// Who sent a record or a checkpoint, which decides what a checkpoint waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The extractor as a whole (the sink the runtime hands it). Its checkpoints are the run's
    /// transitions (a new run, a round ending, the next round due): each waits for every
    /// record any scope sent before it, and every checkpoint sent after it waits for it.
    Run,
    /// One independent producer (an extraction job): its checkpoints wait only for the
    /// records it sent itself, not for other jobs' partial batches.
    Job(std::sync::Arc<str>),
}

impl Scope {
    /// The job's name, or `None` for the run.
    pub fn job(&self) -> Option<&str> {
        match self {
            Scope::Run => None,
            Scope::Job(name) => Some(name),
        }
    }
}

/// Messages the sink carries to the runtime's writer.
#[derive(Debug)]
pub enum SinkMsg {
    /// Records of one item type, already normalized, from a scope.
    Records(Scope, String, Vec<Value>),
    /// A checkpoint: set `key` in the connector state once the records it covers are uploaded
    /// (see [`Scope`]), in the same state write that lists their artifacts.
    Checkpoint(Scope, String, Value),
    /// Upload every open batch, commit every checkpoint, and answer with the connector state
    /// section as it now stands (`None` when the writer failed and committed nothing more).
    Settle(tokio::sync::oneshot::Sender<Option<Value>>),
    /// Upload every open batch and answer with the index as it now stands (`None` when the
    /// writer failed).
    Index(tokio::sync::oneshot::Sender<Option<super::index::IndexState>>),
    /// Upload every open batch, fold the index into a new base, and commit it together with
    /// these run transitions (key, value) in one state write.
    Compact(Vec<(String, Value)>, tokio::sync::oneshot::Sender<Result<(), String>>),
    /// Sent by the runtime only, once the extractor returned: flush and finish. A writer whose
    /// channel closes without it was abandoned (the invocation was cancelled) and uploads
    /// nothing more; what it uploaded before is already in the saved state.
    Finish,
}

/// Records that may be on their way to the writer at once: memory stays bounded however big
/// an entity is.
pub const RECORDS_IN_FLIGHT: usize = 8192;

/// Where the extractor sends records and checkpoints (cheap to clone).
#[derive(Clone)]
pub struct Sink {
    tx: mpsc::Sender<SinkMsg>,
    room: std::sync::Arc<tokio::sync::Semaphore>,
    scope: Scope,
}

/// The runtime's writer is gone (it failed); the extractor should stop.
#[derive(Debug, thiserror::Error)]
#[error("the artifact writer stopped; see the upload error")]
pub struct SinkClosed;

impl Sink {
    /// Wraps a channel and the writer's room for records (the runtime creates both).
    pub fn new(tx: mpsc::Sender<SinkMsg>, room: std::sync::Arc<tokio::sync::Semaphore>) -> Self {
        Sink { tx, room, scope: Scope::Run }
    }

    /// The same sink for one independent producer (an extraction job): its checkpoints wait
    /// only for its own records, not for other producers' partial batches.
    pub fn scoped(&self, scope: &str) -> Self {
        Sink { tx: self.tx.clone(), room: self.room.clone(), scope: Scope::Job(std::sync::Arc::from(scope)) }
    }

    /// Sends normalized records of one item type, waiting while the writer is full.
    pub async fn push(&self, item_type: &str, mut records: Vec<Value>) -> Result<(), SinkClosed> {
        while !records.is_empty() {
            let rest = if records.len() > RECORDS_IN_FLIGHT { records.split_off(RECORDS_IN_FLIGHT) } else { Vec::new() };
            let permits = self.room.acquire_many(records.len() as u32).await.map_err(|_| SinkClosed)?;
            permits.forget(); // the writer gives them back once the records are encoded
            self.tx.send(SinkMsg::Records(self.scope.clone(), item_type.to_string(), records)).await.map_err(|_| SinkClosed)?;
            records = rest;
        }
        Ok(())
    }

    /// Records a checkpoint that becomes durable once the records it covers are uploaded: this
    /// scope's records sent before it, or, on the run's own sink, every record sent before it.
    pub async fn checkpoint<T: serde::Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<(), SinkClosed> {
        // A value that does not serialize (a map with non-text keys) is a bug: the extraction
        // stops, said so, rather than checkpointing something else.
        let value = serde_json::to_value(value).map_err(|e| {
            tracing::error!(key, error = %e, "a checkpoint does not serialize; stopping the extraction");
            SinkClosed
        })?;
        self.tx.send(SinkMsg::Checkpoint(self.scope.clone(), key.to_string(), value)).await.map_err(|_| SinkClosed)
    }

    /// Uploads every record sent so far (open batches included), commits every checkpoint,
    /// and returns the connector state section as it now stands: what a next invocation would
    /// be handed, so an extractor can go on in this one from there.
    pub async fn settled(&self) -> Result<Value, SinkClosed> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tx.send(SinkMsg::Settle(tx)).await.map_err(|_| SinkClosed)?;
        rx.await.ok().flatten().ok_or(SinkClosed)
    }

    /// Uploads every record sent so far and returns the index as it now stands, this
    /// invocation's records included.
    pub async fn index(&self) -> Result<super::index::IndexState, SinkClosed> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tx.send(SinkMsg::Index(tx)).await.map_err(|_| SinkClosed)?;
        rx.await.ok().flatten().ok_or(SinkClosed)
    }

    /// Folds the index into a new base and commits it with `transitions` (run-level state keys)
    /// in one state write; an error says why nothing was committed.
    pub async fn compact_index(&self, transitions: Vec<(String, Value)>) -> Result<(), String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tx.send(SinkMsg::Compact(transitions, tx)).await.map_err(|_| SinkClosed.to_string())?;
        rx.await.map_err(|_| SinkClosed.to_string())?
    }
}

/// A source system, seen from the runtime.
pub trait Extractor: Send + Sync + 'static {
    /// The state key under which this extractor's section lives.
    fn state_key(&self) -> &'static str;

    /// The initial domain mapping to install when the snap-in version changes.
    fn initial_domain_mapping(&self) -> Value;

    /// Lists the external sync units.
    fn external_sync_units(&self, inv: &Invocation) -> impl Future<Output = Result<Vec<Value>, PhaseError>> + Send;

    /// Builds the external domain metadata document.
    fn metadata(&self, inv: &Invocation) -> impl Future<Output = Result<Value, PhaseError>> + Send;

    /// What the index keeps of each record sent (`None`, the default: no index).
    fn index_fn(&self) -> Option<super::writer::IndexFn> {
        None
    }

    /// Runs (or resumes) the data phase from `state`, the connector's committed section.
    fn extract(&self, inv: &Invocation, state: Value, sink: Sink) -> impl Future<Output = ExtractOutcome> + Send;
}
