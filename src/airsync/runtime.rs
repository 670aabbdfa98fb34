//! One invocation, end to end: parse, dispatch by phase, keep the deadline, save state, reply.
//!
//! Invariants: exactly one reply per event (never a second, different one); state is saved
//! before the reply and only with checkpoints whose data is uploaded; a failure that still
//! allows a reply becomes an `*_ERROR` naming what failed and where.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::artifacts::iso_millis;
use super::devrev::{DevRevClient, RetryPolicy};
use super::event::{parse_event, parse_invocation, salvage_reply_target, AirdropEvent, EventError, EventType, LoadingKind, ReplyType};
use super::extractor::{ExtractOutcome, ExtractionScope, Extractor, Invocation, Sink, SinkMsg};
use super::index::Reader;
use super::reply::Reply;
use super::state::{ArtifactOwner, StateError, WorkerState};
use super::window::{self, WindowError};
use super::writer::{self, StateTarget, WriterConfig, WriterResult};

/// How the runtime behaves.
#[derive(Clone)]
#[allow(clippy::type_complexity)]
pub struct RuntimeConfig {
    /// Time after which the data phase stops at the next page boundary.
    pub soft_deadline: Duration,
    /// Retries toward DevRev.
    pub devrev_retry: RetryPolicy,
    /// Records per artifact.
    pub batch_size: usize,
    /// Artifact-list size (bytes) at which the invocation wraps up with PROGRESS.
    pub artifact_list_soft_limit: usize,
    /// Cancelled on SIGTERM.
    pub shutdown: CancellationToken,
    /// Called with the reply type as soon as DevRev accepted a reply (the binary prints a marker
    /// the snap-in shim watches, so it never sends a second reply).
    pub on_reply: Option<std::sync::Arc<dyn Fn(&str) + Send + Sync>>,
    /// A local run's choice of item types (`--entities`), on top of the platform's `objects`.
    pub entities: Option<Vec<String>>,
}

/// How long after the soft deadline the runtime may still wait on DevRev (a 429's Retry-After)
/// to deliver the state and the reply, well inside the platform's hard limit.
pub const REPLY_GRACE: Duration = Duration::from_secs(120);

/// Why a phase could not run; each becomes the `*_ERROR` reply's message.
#[derive(Debug, thiserror::Error)]
enum PhaseFailure {
    #[error("reading the worker state failed: {0}")]
    StateRead(#[source] super::devrev::DevRevError),
    #[error("initialising the worker state failed: {0}")]
    StateInit(#[source] super::devrev::DevRevError),
    #[error(transparent)]
    StateUnusable(#[from] StateError),
    #[error("extraction time window: {0}")]
    Window(#[from] WindowError),
    #[error("artifact writer crashed: {0}")]
    WriterCrashed(#[from] tokio::task::JoinError),
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            soft_deadline: Duration::from_secs(600),
            devrev_retry: RetryPolicy::default(),
            batch_size: 2000,
            artifact_list_soft_limit: 135_000,
            shutdown: CancellationToken::new(),
            on_reply: None,
            entities: None,
        }
    }
}

/// What happened to one event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventReport {
    /// The incoming type as sent.
    pub event_type: String,
    /// The reply that DevRev accepted, if any.
    pub reply: Option<String>,
    /// Why no reply could be sent, or the error reported.
    pub error: Option<String>,
}

/// Handles one invocation (array or single event). `Err` only when nothing could be parsed.
pub async fn run_invocation<E: Extractor>(input: &[u8], ex: &E, cfg: &RuntimeConfig) -> Result<Vec<EventReport>, EventError> {
    let items = parse_invocation(input)?;
    let mut out = Vec::new();
    for raw in items {
        let report = match parse_event(raw.clone()) {
            Ok(ev) => {
                let span = tracing::info_span!("event", event_type = %ev.event_type_name,
                    sync_unit = %ev.ctx_str("sync_unit_id"), request_id = %ev.ctx_str("request_id"));
                handle_event(ev, ex, cfg).instrument(span).await
            }
            Err(e) => reply_to_invalid(&raw, &e, cfg).await,
        };
        out.push(report);
    }
    Ok(out)
}

async fn reply_to_invalid(raw: &Value, err: &EventError, cfg: &RuntimeConfig) -> EventReport {
    let name = raw.pointer("/payload/event_type").and_then(Value::as_str).unwrap_or("").to_string();
    tracing::error!(error = %err, "invalid event");
    let Some((url, token, et)) = salvage_reply_target(raw) else {
        return EventReport { event_type: name, reply: None, error: Some(err.to_string()) };
    };
    let ctx = raw.pointer("/payload/event_context").and_then(Value::as_object).cloned().unwrap_or_default();
    let str_of = |k: &str| ctx.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let client = match DevRevClient::new(token.into(), None, cfg.devrev_retry, str_of("snap_in_slug"), str_of("snap_in_version_id")) {
        Ok(c) => c,
        Err(e) => return EventReport { event_type: name, reply: None, error: Some(e.to_string()) },
    };
    let kind = et.error_reply();
    let reply = Reply::error(kind, &format!("invalid event: {err}"), None);
    match client.emit(&url, &reply.body(&ctx)).await {
        Ok(()) => EventReport { event_type: name, reply: Some(kind.as_str().into()), error: Some(err.to_string()) },
        Err(e) => EventReport { event_type: name, reply: None, error: Some(format!("{err}; and the ERROR reply failed: {e}")) },
    }
}

struct Ctx<'a, E> {
    ev: AirdropEvent,
    ex: &'a E,
    cfg: &'a RuntimeConfig,
    client: DevRevClient,
    stop: CancellationToken,
    deadline: Instant,
    scope: ExtractionScope,
}

/// Handles one parsed event and sends its one reply.
pub async fn handle_event<E: Extractor>(ev: AirdropEvent, ex: &E, cfg: &RuntimeConfig) -> EventReport {
    let deadline = Instant::now() + cfg.soft_deadline;
    let stop = cfg.shutdown.child_token();
    let timer = {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(deadline).await;
            tracing::info!("soft deadline reached; stopping at the next page boundary");
            stop.cancel();
        })
    };
    let client = match DevRevClient::new(
        ev.service_token.clone(),
        ev.devrev_endpoint.clone(),
        cfg.devrev_retry,
        ev.ctx_str("snap_in_slug").to_string(),
        ev.ctx_str("snap_in_version_id").to_string(),
    ) {
        Ok(c) => c.with_give_up_at(deadline + REPLY_GRACE),
        Err(e) => return EventReport { event_type: ev.event_type_name, reply: None, error: Some(e.to_string()) },
    };
    let name = ev.event_type_name.clone();
    let mut ctx = Ctx { ev, ex, cfg, client, stop, deadline, scope: ExtractionScope::all() };
    let (reply, state_to_clear) = dispatch(&mut ctx).await;
    timer.abort();
    let sent = reply.data.get("error").and_then(|e| e.get("message")).and_then(Value::as_str).map(str::to_string);
    let error = reply.detail.clone().or(sent);
    let body = reply.body(&ctx.ev.event_context);
    crate::crash::point("runtime.reply.before");
    match ctx.client.emit(&ctx.ev.callback_url, &body).await {
        Ok(()) => {
            crate::crash::point("runtime.reply.after");
            if let Some(f) = &cfg.on_reply {
                f(reply.kind.as_str());
            }
            tracing::info!(reply = reply.kind.as_str(), artifacts = reply.artifacts.as_ref().map_or(0, Vec::len), "reply sent");
            if let Some(state) = state_to_clear {
                // The artifacts are reported now: drop them from the carried-over list.
                if let Err(e) = save_state(&ctx, &state).await {
                    tracing::warn!(error = %e, "could not clear the reported artifacts from the state; the next invocation reports them again");
                }
                crate::crash::point("runtime.state_clear.after");
            }
            EventReport { event_type: name, reply: Some(reply.kind.as_str().into()), error }
        }
        Err(e) => {
            tracing::error!(error = %e, "the reply could not be delivered");
            EventReport { event_type: name, reply: None, error: Some(format!("reply not delivered: {e}")) }
        }
    }
}

async fn save_state<E>(ctx: &Ctx<'_, E>, state: &WorkerState) -> Result<(), super::devrev::DevRevError> {
    let url = ctx.ev.worker_data_url.as_deref().unwrap_or("");
    ctx.client.state_update(url, ctx.ev.ctx_str("sync_unit_id"), ctx.ev.ctx_str("request_id_adaas"), &state.to_json()).await
}

async fn dispatch<E: Extractor>(ctx: &mut Ctx<'_, E>) -> (Reply, Option<WorkerState>) {
    let et = ctx.ev.event_type;
    match et {
        EventType::Unknown => {
            tracing::warn!("unknown event type; answering UNKNOWN_EVENT_TYPE");
            (Reply::bare(ReplyType::UnknownEventType), None)
        }
        EventType::DeleteExtractorState => (Reply::bare(ReplyType::StateDeletionDone), None),
        EventType::DeleteExtractorAttachmentsState => (Reply::bare(ReplyType::AttachmentsStateDeletionDone), None),
        // As ts-adaas's `getNoScriptEventType`: a connector without a loader has no loader state
        // to delete, so deleting it is done at once.
        EventType::Loading(LoadingKind::DeleteState) => (Reply::bare(ReplyType::Other("LOADER_STATE_DELETION_DONE")), None),
        EventType::Loading(LoadingKind::DeleteAttachmentState) => {
            (Reply::bare(ReplyType::Other("LOADER_ATTACHMENT_STATE_DELETION_DONE")), None)
        }
        EventType::Loading(_) => (
            Reply::error(
                et.error_reply(),
                "okta-airsync is a one-way connector: it never writes to Okta, so loading is not supported",
                None,
            ),
            None,
        ),
        EventType::ExtractExternalSyncUnits => (sync_units(ctx).await, None),
        _ => stateful(ctx).await,
    }
}

/// The phase of a stateful event, which owns the artifacts it uploads until they are reported.
fn phase_of(et: EventType) -> &'static str {
    match et {
        EventType::ExtractMetadata => "metadata",
        EventType::StartExtractingData | EventType::ContinueExtractingData => "data",
        _ => "attachments",
    }
}

/// The sync run: `run_id`, or the deprecated names older platforms send.
fn run_id<E>(ctx: &Ctx<'_, E>) -> String {
    ["run_id", "sync_run_id", "sync_run"].iter().map(|k| ctx.ev.ctx_str(k)).find(|v| !v.is_empty()).unwrap_or("").to_string()
}

fn invocation<E>(ctx: &Ctx<'_, E>, state: &WorkerState) -> Invocation {
    Invocation {
        mode: ctx.ev.ctx_str("mode").to_string(),
        is_start: ctx.ev.event_type == EventType::StartExtractingData,
        org_id: ctx.ev.connection.org_id.clone(),
        org_name: ctx.ev.connection.org_name.clone(),
        connection_key: ctx.ev.connection.key.clone(),
        global_values: ctx.ev.global_values.clone(),
        extract_from: Some(ctx.ev.ctx_str("extract_from").to_string()).filter(|s| !s.is_empty()),
        extract_to: Some(ctx.ev.ctx_str("extract_to").to_string()).filter(|s| !s.is_empty()),
        reset_extract_from: matches!(ctx.ev.event_context.get("reset_extract_from"), Some(Value::Bool(true))),
        scope: ctx.scope.clone(),
        last_successful_sync_started: state.get_str("lastSuccessfulSyncStarted").to_string(),
        sync_started: state.get_str("lastSyncStarted").to_string(),
        stop: ctx.stop.clone(),
        deadline: ctx.deadline,
        index: None,
    }
}

fn writer_cfg<E>(ctx: &Ctx<'_, E>, confirm: bool, batch_size: usize) -> WriterConfig {
    WriterConfig {
        batch_size,
        artifact_list_soft_limit: ctx.cfg.artifact_list_soft_limit,
        artifact_request_id: ctx.ev.ctx_str("request_id").to_string(),
        confirm,
        index: None,
    }
}

async fn sync_units<E: Extractor>(ctx: &Ctx<'_, E>) -> Reply {
    let err = ReplyType::ExternalSyncUnitError;
    let state = WorkerState::fresh(ctx.ex.state_key());
    let units = match ctx.ex.external_sync_units(&invocation(ctx, &state)).await {
        Ok(u) => u,
        Err(e) => return Reply::error(err, &e.0, Some(Vec::new())),
    };
    let (tx, room, handle) =
        writer::spawn(ctx.client.clone(), writer_cfg(ctx, false, 25_000), state, ctx.ex.state_key(), None, ctx.stop.clone());
    let sent = Sink::new(tx.clone(), room).push("external_sync_units", units).await;
    let _ = tx.send(SinkMsg::Finish).await;
    drop(tx);
    let res = match handle.await {
        Ok(r) => r,
        Err(e) => return Reply::error(err, &format!("artifact writer crashed: {e}"), Some(Vec::new())),
    };
    match (res.error, sent) {
        (Some(e), _) => Reply::error(err, &format!("uploading the external sync units failed: {e}"), Some(res.artifacts)),
        (None, Err(e)) => Reply::error(err, &e.to_string(), Some(res.artifacts)),
        (None, Ok(())) => Reply::with_artifacts(ReplyType::ExternalSyncUnitDone, res.artifacts),
    }
}

async fn load_state<E: Extractor>(ctx: &mut Ctx<'_, E>) -> Result<WorkerState, PhaseFailure> {
    let url = ctx.ev.worker_data_url.as_deref().unwrap_or("");
    let got = ctx
        .client
        .state_get(url, ctx.ev.ctx_str("sync_unit_id"), ctx.ev.ctx_str("request_id_adaas"))
        .await
        .map_err(PhaseFailure::StateRead)?;
    let mut scope = match got.as_ref().and_then(|g| g.objects.as_deref()) {
        // As the SDK: a scope that cannot be read is logged and everything is extracted.
        Some(text) => ExtractionScope::from_objects(text).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "ignoring the extraction scope; extracting every item type");
            ExtractionScope::all()
        }),
        None => ExtractionScope::all(),
    };
    if let Some(only) = &ctx.cfg.entities {
        scope = scope.narrowed_to(only.iter().cloned());
    }
    ctx.scope = scope;
    let mut state = match got {
        Some(stored) => WorkerState::parse(&stored.state)?,
        None => {
            let fresh = WorkerState::fresh(ctx.ex.state_key());
            save_state(ctx, &fresh).await.map_err(PhaseFailure::StateInit)?;
            fresh
        }
    };
    state.claim_artifacts(&ArtifactOwner { phase: phase_of(ctx.ev.event_type), run_id: run_id(ctx) });
    Ok(state)
}

async fn stateful<E: Extractor>(ctx: &mut Ctx<'_, E>) -> (Reply, Option<WorkerState>) {
    let err = ctx.ev.event_type.error_reply();
    let mut state = match load_state(ctx).await {
        Ok(s) => s,
        Err(e) => return (Reply::error(err, &e.to_string(), None), None),
    };
    if state.get_str("snapInVersionId") != ctx.ev.snap_in_version_id {
        let idm = ctx.ex.initial_domain_mapping();
        if let Err(e) = ctx.client.install_idm(&ctx.ev.snap_in_id, &idm).await {
            let msg = format!("Error while installing initial domain mapping. {e}");
            return (Reply::error(err, &msg, None), None);
        }
        tracing::info!(snap_in_version_id = %ctx.ev.snap_in_version_id, "initial domain mapping installed");
        state.set_str("snapInVersionId", &ctx.ev.snap_in_version_id.clone());
    }
    if let Err(e) = apply_window(ctx, &mut state) {
        return (Reply::error(err, &PhaseFailure::from(e).to_string(), None), None);
    }
    match ctx.ev.event_type {
        EventType::ExtractMetadata => metadata(ctx, state).await,
        EventType::StartExtractingData | EventType::ContinueExtractingData => data(ctx, state).await,
        _ => attachments(ctx, state).await,
    }
}

fn apply_window<E>(ctx: &mut Ctx<'_, E>, state: &mut WorkerState) -> Result<(), WindowError> {
    let now = Utc::now();
    if ctx.ev.event_type == EventType::ExtractMetadata {
        let ec = &ctx.ev.event_context;
        if let Some(from) = window::resolve(ec.get("extraction_start_time"), state, now)? {
            state.set_str("pendingWorkersOldest", &from);
        }
        if let Some(to) = window::resolve(ec.get("extraction_end_time"), state, now)? {
            state.set_str("pendingWorkersNewest", &to);
        }
    }
    for (pending, key) in [("pendingWorkersOldest", "extract_from"), ("pendingWorkersNewest", "extract_to")] {
        let v = state.get_str(pending).to_string();
        if !v.is_empty() {
            ctx.ev.event_context.insert(key.into(), Value::String(v));
        }
    }
    let from = ctx.ev.ctx_str("extract_from").to_string();
    let to = ctx.ev.ctx_str("extract_to").to_string();
    if !from.is_empty() && !to.is_empty() && from >= to {
        return Err(WindowError::Reversed { from, to });
    }
    Ok(())
}

/// Tells the writer the extractor is done, then waits for its flush.
async fn finish_writer(
    tx: tokio::sync::mpsc::Sender<SinkMsg>,
    handle: tokio_util::task::AbortOnDropHandle<WriterResult>,
) -> Result<WriterResult, PhaseFailure> {
    let _ = tx.send(SinkMsg::Finish).await;
    drop(tx);
    Ok(handle.await?)
}

async fn metadata<E: Extractor>(ctx: &Ctx<'_, E>, state: WorkerState) -> (Reply, Option<WorkerState>) {
    let err = ReplyType::MetadataError;
    let doc = match ctx.ex.metadata(&invocation(ctx, &state)).await {
        Ok(d) => d,
        Err(e) => return (Reply::error(err, &e.0, Some(Vec::new())), None),
    };
    let (tx, room, handle) =
        writer::spawn(ctx.client.clone(), writer_cfg(ctx, true, ctx.cfg.batch_size), state, ctx.ex.state_key(), None, ctx.stop.clone());
    let _ = Sink::new(tx.clone(), room).push("external_domain_metadata", vec![doc]).await;
    let res = match finish_writer(tx, handle).await {
        Ok(r) => r,
        Err(e) => return (Reply::error(err, &e.to_string(), Some(Vec::new())), None),
    };
    conclude(ctx, res, ReplyType::MetadataDone, |e| format!("uploading the metadata failed: {e}")).await
}

/// Saves the state (with artifacts still listed as unreported) and builds the reply.
async fn conclude<E: Extractor>(
    ctx: &Ctx<'_, E>,
    res: WriterResult,
    ok: ReplyType,
    describe: impl Fn(&super::devrev::DevRevError) -> String,
) -> (Reply, Option<WorkerState>) {
    let err = ctx.ev.event_type.error_reply();
    let mut pre = res.state.clone();
    pre.set_unreported_artifacts([pre.unreported_artifacts(), res.artifacts.clone()].concat());
    crate::crash::point("runtime.state_save.before");
    if let Err(e) = save_state(ctx, &pre).await {
        return (Reply::error(err, &format!("saving the worker state failed: {e}"), Some(res.artifacts)), None);
    }
    if let Some(e) = &res.error {
        return (Reply::error(err, &describe(e), Some(res.artifacts)), Some(res.state));
    }
    let mut reply = Reply::with_artifacts(ok, res.artifacts);
    reply.last_upload = res.last_upload;
    (reply, Some(res.state))
}

async fn data<E: Extractor>(ctx: &Ctx<'_, E>, mut state: WorkerState) -> (Reply, Option<WorkerState>) {
    // The SDK sets it on START only. A START killed before its first state save leaves it empty
    // for the CONTINUE the platform sends next; without a start time of its own, every such
    // invocation would look like a new sync run and begin again from nothing.
    let starts = matches!(ctx.ev.event_type, EventType::StartExtractingData | EventType::ContinueExtractingData);
    if starts && state.get_str("lastSyncStarted").is_empty() {
        state.set_str("lastSyncStarted", &iso_millis(&Utc::now()));
    }
    let mut inv = invocation(ctx, &state);
    let reader = Arc::new(Reader::new(ctx.client.clone(), ctx.ev.ctx_str("request_id")));
    inv.index = Some(reader.clone());
    let connector_state = state.connector(ctx.ex.state_key());
    let mut cfg = writer_cfg(ctx, true, ctx.cfg.batch_size);
    cfg.index = ctx.ex.index_fn().map(|f| (f, reader));
    let target = StateTarget {
        worker_data_url: ctx.ev.worker_data_url.clone().unwrap_or_default(),
        sync_unit: ctx.ev.ctx_str("sync_unit_id").to_string(),
        request_id: ctx.ev.ctx_str("request_id_adaas").to_string(),
    };
    let (tx, room, handle) = writer::spawn(ctx.client.clone(), cfg, state, ctx.ex.state_key(), Some(target), ctx.stop.clone());
    let outcome = ctx.ex.extract(&inv, connector_state, Sink::new(tx.clone(), room)).await;
    let res = match finish_writer(tx, handle).await {
        Ok(r) => r,
        Err(e) => return (Reply::error(ReplyType::DataError, &e.to_string(), Some(Vec::new())), None),
    };
    tracing::info!(outcome = ?outcome, artifacts = res.artifacts.len(), "data phase invocation ends");
    let (ok, extra) = match &outcome {
        // A writer failure outranks what the extractor saw (it stopped because of it).
        _ if res.error.is_some() => (ReplyType::DataDone, None),
        ExtractOutcome::Done => (ReplyType::DataDone, None),
        ExtractOutcome::Progress => (ReplyType::DataProgress, None),
        ExtractOutcome::Delayed(s) => (ReplyType::DataDelayed, Some(("delay", json!(s)))),
        ExtractOutcome::Error(_) => (ReplyType::DataError, None),
    };
    let (mut reply, clear) = conclude(ctx, res, ok, |e| format!("uploading artifacts failed: {e}")).await;
    let failed_before = reply.kind == ReplyType::DataError && reply.data.contains_key("error");
    if let (Some((k, v)), false) = (extra, failed_before) {
        reply.data.insert(k.into(), v);
    }
    if let (ExtractOutcome::Error(m), false, ReplyType::DataError) = (&outcome, failed_before, ok) {
        let failed = Reply::error(ReplyType::DataError, m, None);
        reply.data.extend(failed.data);
        reply.detail = failed.detail;
    }
    if ok != ReplyType::DataDone && ok != ReplyType::DataProgress {
        reply.last_upload = None;
    }
    (reply, clear)
}

async fn attachments<E: Extractor>(ctx: &Ctx<'_, E>, mut state: WorkerState) -> (Reply, Option<WorkerState>) {
    // Okta has no attachments: the phase is done at once, which closes the sync window.
    let from = Some(ctx.ev.ctx_str("extract_from")).filter(|s| !s.is_empty());
    let to = Some(ctx.ev.ctx_str("extract_to")).filter(|s| !s.is_empty());
    window::roll_forward(&mut state, from, to);
    let mut pre = state.clone();
    let carried = state.unreported_artifacts();
    pre.set_unreported_artifacts(carried.clone());
    if let Err(e) = save_state(ctx, &pre).await {
        return (Reply::error(ReplyType::AttachmentError, &format!("saving the worker state failed: {e}"), Some(carried)), None);
    }
    state.set_unreported_artifacts(Vec::new());
    (Reply::with_artifacts(ReplyType::AttachmentDone, carried), Some(state))
}
