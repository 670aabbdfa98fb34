//! The data phase: resumes (or starts) the sync run, runs every pending job concurrently
//! through one client, and saves each job's end (done or skipped).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::Value;
use tokio::sync::watch;
use tracing::Instrument;

use super::changes::{ChangeSet, REMEMBERED_FIELDS};
use super::job::Job;
use super::jobs::{self, JobCtx, JobFail, LogVerdict, SkipReason};
use super::outcome::{job_message, outcome};
use super::state::{keys, EdgePlan, JobState, Known, LogsWindow, Mode, Position, Status, StoredStatus, SyncRun};
use super::{Error, OktaConnector};
use crate::airsync::artifacts::iso_millis;
use crate::airsync::extractor::{ErrorCode, ExtractOutcome, Invocation, Sink};
use crate::extract::AdminLinks;
use crate::okta;

/// Runs (or resumes) the data phase from the connector's committed state section. A full
/// reading that ends with time to spare goes on in this invocation with its catch-up round,
/// from the state the reading committed (every record it sent uploaded first).
pub async fn extract_data(conn: &OktaConnector, inv: &Invocation, state: Value, sink: Sink) -> Result<ExtractOutcome, Error> {
    let client = conn.client(inv)?.with_deadline(inv.deadline);
    match round(conn, inv, &client, state, &sink).await? {
        Round::Ended(out) => Ok(out),
        Round::CatchUpDue if inv.stop.is_cancelled() => Ok(ExtractOutcome::Progress),
        Round::CatchUpDue => {
            crate::crash::point("connector.catch_up.saved");
            let state = sink.settled().await?;
            crate::crash::point("connector.catch_up.settled");
            match round(conn, inv, &client, state, &sink).await? {
                Round::Ended(out) => Ok(out),
                // A catch-up round never asks for another one; should it, the next call runs it.
                Round::CatchUpDue => Ok(ExtractOutcome::Progress),
            }
        }
    }
}

/// How one round of reading (the full reading, or its catch-up) ended.
enum Round {
    /// The invocation's outcome.
    Ended(ExtractOutcome),
    /// Every entity read; the catch-up round is saved and due.
    CatchUpDue,
}

impl From<ExtractOutcome> for Round {
    fn from(o: ExtractOutcome) -> Self {
        Round::Ended(o)
    }
}

/// Runs (or resumes) one round of the sync run from `state`.
async fn round(conn: &OktaConnector, inv: &Invocation, client: &okta::OktaClient, state: Value, sink: &Sink) -> Result<Round, Error> {
    let previous_logs: LogsWindow = read_key(&state, keys::LOGS_WINDOW).unwrap_or_default();
    let stored: Option<SyncRun> = read_key(&state, keys::SYNC_RUN);
    let (sync, fresh) = match stored {
        Some(r) if r.sync_started == iso_or_same(&inv.sync_started) => (r, false),
        other => (start_sync_run(conn, inv, &previous_logs, read_key(&state, keys::RECONCILED), other.and_then(|r| r.until))?, true),
    };
    if fresh {
        tracing::info!(since = ?sync.since, logs_since = %sync.logs_since, "starting a new sync run");
        sink.checkpoint(keys::SYNC_RUN, serde_json::to_value(&sync).unwrap_or_default()).await?;
        sink.checkpoint(keys::CHANGES, serde_json::to_value(ChangeSet::default()).unwrap_or_default()).await?;
        let round = SyncRun { catch_up: true, ..sync.clone() };
        for job in Job::ALL {
            sink.checkpoint(&job.state_key(), serde_json::to_value(JobState::<()>::default()).unwrap_or_default()).await?;
            // The last run's catch-up round is over with it.
            sink.checkpoint(&round.job_key(job), Value::Null).await?;
        }
    }
    // A job none of whose item types the user chose makes no call at all; the System Log is
    // still read when it drives the types the user chose.
    let log_driven = sync.edges == EdgePlan::Log && wants_log_driven(&inv.scope);
    let selected = |j: Job| inv.scope.wants_any(j.item_types()) || (j == Job::SystemLogs && log_driven);
    for job in Job::ALL.into_iter().filter(|j| !selected(*j)) {
        let stored = read_key::<StoredStatus>(&state, &sync.job_key(job)).unwrap_or_default().status;
        if fresh || stored == Status::Pending {
            let mut st = JobState::<()> { status: Status::Skipped, mode: Mode::Skipped, note: NOT_SELECTED.into(), ..JobState::default() };
            for t in job.item_types() {
                st.skipped.insert(t.to_string(), NOT_SELECTED.into());
            }
            sink.checkpoint(&sync.job_key(job), serde_json::to_value(&st).unwrap_or_default()).await?;
        }
    }
    let status = |job: Job| {
        if !selected(job) {
            Status::Skipped
        } else if fresh {
            Status::Pending
        } else {
            read_key::<StoredStatus>(&state, &sync.job_key(job)).unwrap_or_default().status
        }
    };
    let placeholders: HashSet<String> = read_key(&state, keys::PLACEHOLDER_USERS).unwrap_or_default();
    let (ready_tx, ready_rx) = watch::channel(status(Job::Users) != Status::Pending);
    let overlap = chrono::Duration::from_std(conn.settings.overlap).unwrap_or_default();
    let changes: ChangeSet = if fresh { ChangeSet::default() } else { read_key(&state, keys::CHANGES).unwrap_or_default() };
    let (logs_tx, logs_rx) = watch::channel(None);
    // The System Log job finished (or was skipped) in an earlier invocation: its verdict stands.
    match status(Job::SystemLogs) {
        Status::Pending => {}
        _ if !selected(Job::SystemLogs) => {
            logs_tx.send_replace(Some(LogVerdict::Fallback("the System Log is not selected".into())));
        }
        Status::Done if changes.overflow => {
            logs_tx
                .send_replace(Some(LogVerdict::Fallback(format!("more than {} changes since the last sync", super::changes::MAX_CHANGES))));
        }
        Status::Done => {
            logs_tx.send_replace(Some(LogVerdict::Changes(Arc::new(changes.clone()))));
        }
        Status::Skipped => {
            let note = state.get(sync.job_key(Job::SystemLogs)).and_then(|j| j.get("note")).and_then(Value::as_str).unwrap_or("skipped");
            let why = if note.starts_with("missing permission") {
                "System Log denied (403)".to_string()
            } else if note.starts_with("not licensed") {
                "System Log not licensed (401 E0000015)".to_string()
            } else {
                format!("the System Log could not be read ({note})")
            };
            logs_tx.send_replace(Some(LogVerdict::Fallback(why)));
        }
    }
    let known: BTreeMap<String, Known> = REMEMBERED_FIELDS
        .iter()
        .filter_map(|(t, _)| Some((t.to_string(), read_key::<Known>(&state, &format!("{}{t}", keys::KNOWN_PREFIX))?)))
        .collect();
    let base = JobCtx {
        job: Job::Users,
        client: client.clone(),
        sink: sink.clone(),
        stop: inv.stop.child_token(),
        sync: sync.clone(),
        links: AdminLinks::from_base(client.base_url()),
        fanout: conn.settings.fanout,
        placeholders: Arc::new(RwLock::new(placeholders)),
        users_ready: ready_rx,
        calls_before: 0,
        calls_counted: 0,
        previous_logs,
        overlap,
        scope: inv.scope.clone(),
        logs_ready: logs_rx,
        known: Arc::new(known),
        changes: Arc::new(changes),
        logs_tx: Arc::new(logs_tx),
    };
    let ready_tx = Arc::new(ready_tx);
    // Started in name order, as they always were (the order decides whose first pages go first).
    let mut pending: Vec<Job> = Job::ALL.into_iter().filter(|j| status(*j) == Status::Pending).collect();
    pending.sort_by_key(|j| j.name());
    let tasks = pending.into_iter().map(|job| {
        let stored = if fresh { None } else { state.get(base.sync.job_key(job)).cloned() };
        let calls_before = stored.as_ref().and_then(|s| s.get("api_calls")).and_then(Value::as_u64).unwrap_or(0);
        let calls_counted = client.calls_for(job.name());
        let ctx =
            JobCtx { job, client: client.labeled(job.name()), sink: sink.scoped(job.name()), calls_before, calls_counted, ..base.clone() };
        let ready_tx = ready_tx.clone();
        async move {
            let r = drive_job(&ctx, stored).await;
            if job == Job::Users && matches!(r, Ok(_) | Err(JobFail::Skip(_))) {
                let _ = ready_tx.send(true);
            }
            if job == Job::SystemLogs && ctx.logs_tx.borrow().is_none() {
                match &r {
                    Ok(JobEnd::Done) => {
                        ctx.logs_tx.send_replace(Some(LogVerdict::Changes(Arc::new(ChangeSet::default()))));
                    }
                    Ok(JobEnd::Forbidden) => {
                        ctx.logs_tx.send_replace(Some(LogVerdict::Fallback("System Log denied (403)".into())));
                    }
                    Ok(JobEnd::Skipped(why)) => {
                        ctx.logs_tx.send_replace(Some(LogVerdict::Fallback(format!("System Log {why}"))));
                    }
                    // The jobs it drives cannot go on without it: this invocation ends.
                    Err(_) => ctx.stop.cancel(),
                }
            }
            if matches!(r, Err(JobFail::Okta(_)) | Err(JobFail::Broken(_))) {
                ctx.stop.cancel();
            }
            (job, r)
        }
    });
    let results = futures::future::join_all(tasks).await;
    let results: Vec<(Job, Result<JobEnd, JobFail>)> = results;
    // A token refused on every entity of a fresh run can read nothing: a persistent condition.
    let forbidden = results.iter().filter(|(_, r)| matches!(r, Ok(JobEnd::Forbidden))).count();
    if fresh && forbidden > 0 && forbidden == results.len() {
        return Ok(ExtractOutcome::Error(ErrorCode::ExternalSystemNoPermission.message(
            "403 on every entity: the token works but its admin may read nothing here; use a token of a Read-only Administrator or higher",
        ))
        .into());
    }
    // A list that answers 404 may mean the org itself is gone: ask the org.
    if let Some((job, e)) = results.iter().find_map(|(j, r)| match r {
        Err(JobFail::Okta(e @ okta::Error::NotFound { .. })) => Some((*j, e)),
        _ => None,
    }) {
        let org_gone = matches!(okta::endpoints::org::fetch(client).await, Err(okta::Error::NotFound { .. }));
        return Ok(ExtractOutcome::Error(job_message(job, e, org_gone)).into());
    }
    // Which jobs read their entity to the end in this round (here or in an earlier invocation).
    let read_through: Vec<(Job, bool)> = Job::ALL
        .into_iter()
        .map(|j| match results.iter().find(|(k, _)| *k == j) {
            Some((_, r)) => (j, matches!(r, Ok(JobEnd::Done))),
            None => (j, status(j) == Status::Done),
        })
        .collect();
    let out = outcome(results.into_iter().map(|(j, r)| (j, r.map(|_| ()))).collect());
    // Every edge was read in full and uploaded: the next reconciliation is due N days later.
    if matches!(out, ExtractOutcome::Done) && matches!(base.sync.edges, EdgePlan::Full | EdgePlan::Reconcile) {
        sink.checkpoint(keys::RECONCILED, Value::String(base.sync.sync_started.clone())).await?;
    }
    if matches!(out, ExtractOutcome::Done) && base.sync.wants_catch_up() {
        start_catch_up(&base, &read_through).await?;
        return Ok(Round::CatchUpDue);
    }
    // A catch-up round whose System Log could not tell what changed (too many changes, a poll
    // that could not go on) leaves those edges to the next sync, which then reads them in full.
    let logs_read = read_through.iter().any(|(j, done)| *j == Job::SystemLogs && *done);
    let fell_back = matches!(*base.logs_ready.borrow(), Some(LogVerdict::Fallback(_)));
    if matches!(out, ExtractOutcome::Done) && base.sync.catch_up && logs_read && fell_back {
        tracing::warn!("the catch-up round could not follow the System Log; the next sync reconciles the edges");
        sink.checkpoint(keys::RECONCILED, Value::Null).await?;
    }
    Ok(out.into())
}

/// Ends the full reading of a run: saves its catch-up round (the jobs that read their entity
/// pending again, under their catch-up keys; the others skipped, as they were), to be run from
/// the state the full reading committed.
async fn start_catch_up(base: &JobCtx, read_through: &[(Job, bool)]) -> Result<(), Error> {
    let next = base.sync.catch_up_round(Utc::now(), base.overlap);
    tracing::info!(since = ?next.since, "every entity read; catching up with what changed while the sync ran");
    for (job, read) in read_through {
        let st = if *read {
            JobState::<()>::default()
        } else {
            let note = "not caught up: the full reading skipped it".to_string();
            JobState::<()> { status: Status::Skipped, mode: Mode::Skipped, note, ..JobState::default() }
        };
        base.sink.checkpoint(&next.job_key(*job), serde_json::to_value(&st).unwrap_or_default()).await?;
    }
    base.sink.checkpoint(keys::SYNC_RUN, serde_json::to_value(&next).unwrap_or_default()).await?;
    Ok(())
}

/// Whether an incremental run reads some item type the System Log drives (every item type but
/// the log itself: the others it either names for a re-read or tells the deletions of).
fn wants_log_driven(scope: &crate::airsync::extractor::ExtractionScope) -> bool {
    crate::extract::ITEM_TYPES.iter().any(|t| *t != "system_logs" && scope.wants(t))
}

/// Days between full reconciliations of the edges when the organization sets none.
pub const DEFAULT_RECONCILIATION_DAYS: i64 = 7;

/// Reads `full_reconciliation_days` (a number or a numeric string; empty: the default).
pub fn reconciliation_days(v: Option<&Value>) -> Result<i64, Error> {
    let days = super::inputs::whole_number("full_reconciliation_days", v, 1..=365, "a whole number of days from 1 to 365")?;
    Ok(days.map_or(DEFAULT_RECONCILIATION_DAYS, |d| d as i64))
}

/// How a job that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobEnd {
    /// Everything extracted.
    Done,
    /// Skipped because the token's admin lacks the permission.
    Forbidden,
    /// Skipped for another reason: not licensed (401 E0000015), not available (404).
    Skipped(&'static str),
}

/// The note of a job of a catch-up round that had nothing to read again.
pub const NOTHING_CHANGED: &str = "nothing changed while the sync ran";

/// Whether this job, in a catch-up round, has nothing to read again: the System Log, read up
/// to now, names no change made since the run started. A log that could not be read (denied,
/// not selected, too many changes) tells nothing, and the job reads what changed by itself.
async fn nothing_to_catch_up(ctx: &JobCtx) -> Result<bool, JobFail> {
    if !ctx.sync.catch_up || ctx.job == Job::SystemLogs {
        return Ok(false);
    }
    Ok(match ctx.wait_for_logs().await? {
        LogVerdict::Changes(cs) => !cs.changed_since(&ctx.sync.sync_started),
        LogVerdict::Fallback(_) => false,
    })
}

/// The note and skip reason of a job the user left out of the sync.
const NOT_SELECTED: &str = "not selected";

/// Fixes the sync run's settings at its first data invocation.
fn start_sync_run(
    conn: &OktaConnector,
    inv: &Invocation,
    previous_logs: &LogsWindow,
    reconciled: Option<String>,
    previous_until: Option<String>,
) -> Result<SyncRun, Error> {
    let started = DateTime::parse_from_rfc3339(&inv.sync_started).map(|d| d.with_timezone(&Utc)).unwrap_or_else(|_| Utc::now());
    let overlap = chrono::Duration::from_std(conn.settings.overlap).unwrap_or_default();
    // Time-scoped syncs as DevRev documents them; the lower bound loses the overlap, for Okta's
    // search index lags behind writes.
    let parse = |s: &str| DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc));
    let bounds = super::time_scope::bounds(inv, previous_until.as_deref());
    let since = bounds.since.map(|d| iso_millis(&(d - overlap)));
    let input = inv.global_values.get("system_log_start_date").and_then(Value::as_str);
    let (mut logs_since, warning) = jobs::logs::window_start(input, inv.extract_from.as_deref(), started)?;
    if let Some(w) = warning {
        tracing::warn!(entity = "system_logs", "{w}");
    }
    if inv.mode == "INCREMENTAL" && !bounds.reset {
        if let Ok(end) = DateTime::parse_from_rfc3339(&previous_logs.end) {
            logs_since = end.with_timezone(&Utc) - overlap;
        }
    }
    let days = reconciliation_days(inv.global_values.get("full_reconciliation_days"))?;
    let edges = if since.is_none() {
        EdgePlan::Full
    } else if reconciled.as_deref().and_then(parse).is_none_or(|r| started - r >= chrono::Duration::days(days)) {
        EdgePlan::Reconcile
    } else if parse(&previous_logs.end).is_some_and(|end| end < started - chrono::Duration::days(jobs::logs::RETENTION_DAYS)) {
        EdgePlan::Fallback("the last sync is older than the System Log's retention".into())
    } else {
        // Whether the log can be read from where the last sync stopped is the log job's call.
        EdgePlan::Log
    };
    Ok(SyncRun {
        sync_started: iso_millis(&started),
        since,
        logs_since: iso_millis(&logs_since),
        logs_until: iso_millis(&bounds.until.map_or(started, |u| u.min(started))),
        until: bounds.until.map(|u| iso_millis(&u)),
        edges,
        catch_up: false,
    })
}

fn read_key<T: serde::de::DeserializeOwned>(state: &Value, key: &str) -> Option<T> {
    state.get(key).and_then(|v| serde_json::from_value(v.clone()).ok())
}

fn iso_or_same(s: &str) -> String {
    DateTime::parse_from_rfc3339(s).map(|d| iso_millis(&d.with_timezone(&Utc))).unwrap_or_else(|_| s.to_string())
}

/// Runs one job with its own position type.
async fn drive_job(ctx: &JobCtx, stored: Option<Value>) -> Result<JobEnd, JobFail> {
    match ctx.job {
        Job::Users => drive(ctx, stored, |c, s| jobs::users::extract(c, s).boxed()).await,
        Job::Groups => drive(ctx, stored, |c, s| jobs::groups::extract(c, s).boxed()).await,
        Job::Roles => drive(ctx, stored, |c, s| jobs::roles::extract(c, s).boxed()).await,
        Job::Apps => drive(ctx, stored, |c, s| jobs::apps::extract(c, s).boxed()).await,
        Job::Policies => drive(ctx, stored, |c, s| jobs::policies::extract(c, s).boxed()).await,
        Job::SystemLogs => drive(ctx, stored, |c, s| jobs::logs::extract(c, s).boxed()).await,
        Job::Devices => drive(ctx, stored, |c, s| jobs::devices::extract(c, s).boxed()).await,
        Job::Factors => drive(ctx, stored, |c, s| jobs::factors::extract(c, s).boxed()).await,
        Job::AuthenticatorEnrollments => drive(ctx, stored, |c, s| jobs::enrollments::extract(c, s).boxed()).await,
    }
}

/// Reads a job's stored state into its types. A state that does not parse (another version's
/// position, a mistyped key) restarts the job from its beginning, logged and noted.
fn load<P: Position>(job: Job, stored: Option<Value>) -> JobState<P> {
    let Some(v) = stored else { return JobState::default() };
    match serde_json::from_value::<JobState<P>>(v) {
        Ok(st) => st,
        Err(e) => {
            tracing::warn!(entity = job.name(), error = %e, "the saved position of this job does not parse; restarting the job from its beginning");
            JobState {
                note: format!("the saved position did not parse ({e}); the job restarted from its beginning"),
                ..JobState::default()
            }
        }
    }
}

async fn drive<P: Position>(
    ctx: &JobCtx,
    stored: Option<Value>,
    extract: impl for<'a> FnOnce(&'a JobCtx, &'a mut JobState<P>) -> BoxFuture<'a, Result<(), JobFail>>,
) -> Result<JobEnd, JobFail> {
    let mut st = load::<P>(ctx.job, stored);
    if nothing_to_catch_up(ctx).await? {
        st.status = Status::Done;
        st.mode = Mode::LogDriven;
        st.note = NOTHING_CHANGED.into();
        st.pos = P::default();
        ctx.save(&mut st).await?;
        tracing::info!(entity = ctx.job.name(), "nothing changed while the sync ran; no call made");
        return Ok(JobEnd::Done);
    }
    let span = tracing::info_span!("job", entity = ctx.job.name());
    let r = extract(ctx, &mut st).instrument(span).await;
    let r = match r {
        Err(JobFail::Okta(e @ okta::Error::InvalidToken { .. })) => Err(jobs::token_or_licence(ctx, e).await),
        other => other,
    };
    match r {
        Ok(()) => {
            st.status = Status::Done;
            st.pos = P::default();
            ctx.save(&mut st).await?;
            tracing::info!(entity = ctx.job.name(), records = ?st.records, api_calls = st.api_calls, mode = %st.mode, "entity done");
            Ok(JobEnd::Done)
        }
        Err(JobFail::Skip(reason)) => {
            let end = match reason {
                SkipReason::Forbidden(_) => JobEnd::Forbidden,
                SkipReason::NotLicensed(_) => JobEnd::Skipped("not licensed (401 E0000015)"),
                SkipReason::NotAvailable(_) => JobEnd::Skipped("not available (404)"),
            };
            let reason = reason.to_string();
            tracing::warn!(entity = ctx.job.name(), %reason, "entity skipped");
            st.status = Status::Skipped;
            st.mode = Mode::Skipped;
            for t in ctx.job.item_types() {
                st.skipped.insert(t.to_string(), reason.clone());
            }
            st.note = reason;
            st.pos = P::default();
            ctx.save(&mut st).await?;
            Ok(end)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_reconciliation_days_is_checked() {
        assert_eq!(reconciliation_days(None).unwrap(), 7);
        assert_eq!(reconciliation_days(Some(&Value::String(" ".into()))).unwrap(), 7);
        assert_eq!(reconciliation_days(Some(&Value::String("3".into()))).unwrap(), 3);
        assert_eq!(reconciliation_days(Some(&serde_json::json!(30))).unwrap(), 30);
        for bad in [serde_json::json!("0"), serde_json::json!("weekly"), serde_json::json!(400), serde_json::json!(true)] {
            let e = reconciliation_days(Some(&bad)).unwrap_err().to_string();
            assert!(e.contains("full_reconciliation_days"), "{e}");
        }
    }
}
