//! The data phase: resumes (or starts) the sync run, runs every pending job concurrently
//! through one client, and saves each job's end (done or skipped).

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::Value;
use tokio::sync::watch;
use tracing::Instrument;

use super::job::Job;
use super::jobs::{self, JobCtx, JobFail, LogVerdict};
use super::outcome::{job_message, outcome};
use super::plan::{LogEnd, PlanInputs, RoundPlan};
use super::state::{keys, EdgePlan, JobState, LogsWindow, Mode, Position, SkipKind, Status, SyncRun};
use super::{Error, OktaConnector};
use crate::airsync::artifacts::iso_millis;
use crate::airsync::extractor::{ErrorCode, ExtractOutcome, Invocation, Sink};
use crate::extract::AdminLinks;
use crate::okta;

/// Runs (or resumes) the data phase from the connector's committed state section. A full
/// reading that ends with time to spare goes on in this invocation with its catch-up round,
/// from the state the reading committed (every record it sent uploaded first).
pub async fn extract_data(conn: &OktaConnector, inv: &Invocation, state: Value, sink: Sink) -> Result<ExtractOutcome, Error> {
    let learned = super::pacing::stored(&state);
    let client = conn.client_learned(inv, learned.clone())?.with_deadline(inv.deadline);
    let out = rounds(conn, inv, &client, state, &sink).await;
    super::pacing::keep(&client, &sink, &learned, matches!(out, Ok(ExtractOutcome::Done))).await;
    out
}

/// The full reading, and its catch-up round when one is due and there is time.
async fn rounds(
    conn: &OktaConnector,
    inv: &Invocation,
    client: &okta::OktaClient,
    state: Value,
    sink: &Sink,
) -> Result<ExtractOutcome, Error> {
    match round(conn, inv, client, state, sink).await? {
        Round::Ended(out) => Ok(out),
        Round::CatchUpDue if inv.stop.is_cancelled() => Ok(ExtractOutcome::Progress),
        Round::CatchUpDue => {
            crate::crash::point("connector.catch_up.saved");
            let state = sink.settled().await?;
            crate::crash::point("connector.catch_up.settled");
            match round(conn, inv, client, state, sink).await? {
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

/// Runs (or resumes) one round of the sync run from `state`: plans it, writes what the plan
/// writes, runs the pending jobs and concludes.
async fn round(conn: &OktaConnector, inv: &Invocation, client: &okta::OktaClient, mut state: Value, sink: &Sink) -> Result<Round, Error> {
    // Large values (a burst's change set) are kept in the worker's own artifacts.
    if let Some(reader) = &inv.index {
        reader.resolve(&mut state).await;
    }
    let new_run =
        |logs: &LogsWindow, reconciled: Option<String>, last_until: Option<String>| start_sync_run(conn, inv, logs, reconciled, last_until);
    let inputs = PlanInputs { sync_started: iso_or_same(&inv.sync_started), scope: &inv.scope, new_run: &new_run };
    let plan = RoundPlan::from_state(&state, &inputs)?;
    if plan.fresh {
        tracing::info!(since = ?plan.sync.since, logs_since = %plan.sync.logs_since, "starting a new sync run");
    }
    for (key, value) in &plan.writes {
        sink.checkpoint(key, value).await?;
    }
    if plan.fresh && inv.index.is_some() {
        // What an unfinished run left in the journal joins the base before this run's own.
        sink.compact_index(Vec::new()).await.map_err(Error::Index)?;
    }
    let (base, users_ready) = job_context(conn, inv, client, sink, &plan);
    let results = run_jobs(&base, &plan, client, users_ready).await;
    conclude(&base, &plan, client, results).await
}

/// The context every job of the round starts from.
fn job_context(
    conn: &OktaConnector,
    inv: &Invocation,
    client: &okta::OktaClient,
    sink: &Sink,
    plan: &RoundPlan,
) -> (JobCtx, watch::Sender<bool>) {
    let (ready_tx, ready_rx) = watch::channel(plan.status(Job::Users) != Status::Pending);
    let (logs_tx, logs_rx) = watch::channel(plan.log_verdict.clone());
    let base = JobCtx {
        job: Job::Users,
        client: client.clone(),
        sink: sink.clone(),
        stop: inv.stop.child_token(),
        sync: plan.sync.clone(),
        links: AdminLinks::from_base(client.base_url()),
        fanout: conn.settings.fanout,
        placeholders: Arc::new(RwLock::new(plan.placeholders.clone())),
        users_ready: ready_rx,
        calls_before: 0,
        calls_counted: 0,
        previous_logs: plan.previous_logs.clone(),
        overlap: chrono::Duration::from_std(conn.settings.overlap).unwrap_or_default(),
        scope: inv.scope.clone(),
        logs_ready: logs_rx,
        changes: Arc::new(plan.changes.clone()),
        logs_tx: Arc::new(logs_tx),
        index: inv.index.clone(),
        changes_before: plan.changes_before.clone(),
        user_pages: Arc::new(jobs::user_walk::UserPages::new(plan.pending())),
    };
    (base, ready_tx)
}

/// Runs the round's pending jobs concurrently through the one client; a job that fails in a
/// way the others cannot outlive ends the invocation.
async fn run_jobs(
    base: &JobCtx,
    plan: &RoundPlan,
    client: &okta::OktaClient,
    users_ready: watch::Sender<bool>,
) -> Vec<(Job, Result<JobEnd, JobFail>)> {
    let users_ready = Arc::new(users_ready);
    let tasks = plan.pending().into_iter().map(|job| {
        let stored = plan.stored.get(&job).cloned();
        let calls_before = stored.as_ref().and_then(|s| s.get("api_calls")).and_then(Value::as_u64).unwrap_or(0);
        let calls_counted = client.calls_for(job.name());
        let sink = base.sink.scoped(job.name());
        let ctx = JobCtx { job, client: client.labeled(job.name()), sink, calls_before, calls_counted, ..base.clone() };
        let users_ready = users_ready.clone();
        async move {
            let r = drive_job(&ctx, stored).await;
            ctx.user_pages.leave(job);
            if job == Job::Users && matches!(r, Ok(_) | Err(JobFail::Skip(_))) {
                let _ = users_ready.send(true);
            }
            if job == Job::SystemLogs {
                match &r {
                    Ok(JobEnd::Done) => ctx.publish_log_verdict(LogVerdict::of(LogEnd::Read { changes: Box::default(), whole: true })),
                    Ok(JobEnd::Skipped(kind)) => ctx.publish_log_verdict(LogVerdict::of(LogEnd::Skipped(*kind))),
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
    futures::future::join_all(tasks).await
}

/// Turns the jobs' ends into the round's: persistent conditions first, then the outcome, the
/// reconciliation's time and the catch-up round.
async fn conclude(
    base: &JobCtx,
    plan: &RoundPlan,
    client: &okta::OktaClient,
    results: Vec<(Job, Result<JobEnd, JobFail>)>,
) -> Result<Round, Error> {
    if let Some(out) = persistent_condition(plan, client, &results).await {
        return Ok(out.into());
    }
    // Which jobs read their entity to the end in this round (here or in an earlier invocation).
    let read_through: Vec<(Job, bool)> = Job::ALL
        .into_iter()
        .map(|j| match results.iter().find(|(k, _)| *k == j) {
            Some((_, r)) => (j, matches!(r, Ok(JobEnd::Done))),
            None => (j, plan.status(j) == Status::Done),
        })
        .collect();
    let out = outcome(results.into_iter().map(|(j, r)| (j, r.map(|_| ()))).collect());
    if !matches!(out, ExtractOutcome::Done) {
        return Ok(out.into());
    }
    // What no longer exists gets its tombstone; the index is folded for the next round.
    super::mirror::end_round(base).await?;
    let sync = &base.sync;
    // Every edge was read in full and uploaded: the next reconciliation is due N days later.
    if matches!(sync.edges, EdgePlan::Full | EdgePlan::Reconcile) {
        base.sink.checkpoint(keys::RECONCILED, &sync.sync_started).await?;
    }
    if sync.wants_catch_up() {
        start_catch_up(base, &read_through).await?;
        return Ok(Round::CatchUpDue);
    }
    // A catch-up round whose System Log could not tell what changed (too many changes, a poll
    // that could not go on) leaves those edges to the next sync, which then reads them in full.
    let logs_read = read_through.iter().any(|(j, done)| *j == Job::SystemLogs && *done);
    let fell_back = matches!(*base.logs_ready.borrow(), Some(LogVerdict::Fallback(_)));
    if sync.catch_up && logs_read && fell_back {
        tracing::warn!("the catch-up round could not follow the System Log; the next sync reconciles the edges");
        base.sink.checkpoint(keys::RECONCILED, &Value::Null).await?;
    }
    Ok(out.into())
}

/// A condition that ends the run whatever else happened: a token refused on every entity of
/// a fresh run, or a list answering 404 because the org itself is gone.
async fn persistent_condition(
    plan: &RoundPlan,
    client: &okta::OktaClient,
    results: &[(Job, Result<JobEnd, JobFail>)],
) -> Option<ExtractOutcome> {
    let forbidden = results.iter().filter(|(_, r)| matches!(r, Ok(JobEnd::Skipped(SkipKind::Forbidden)))).count();
    if plan.fresh && forbidden > 0 && forbidden == results.len() {
        let what = if client.is_oauth() {
            "403 on every entity: the service app's token works but may read nothing here; assign the app an admin role (Read-only Administrator) and grant it the read scopes"
        } else {
            "403 on every entity: the token works but its admin may read nothing here; use a token of a Read-only Administrator or higher"
        };
        return Some(ExtractOutcome::Error(ErrorCode::ExternalSystemNoPermission.message(what)));
    }
    // A list that answers 404 may mean the org itself is gone: ask the org.
    let (job, e) = results.iter().find_map(|(j, r)| match r {
        Err(JobFail::Okta(e @ okta::Error::NotFound { .. })) => Some((*j, e)),
        _ => None,
    })?;
    let org_gone = matches!(okta::endpoints::org::fetch(client).await, Err(okta::Error::NotFound { .. }));
    Some(ExtractOutcome::Error(job_message(job, e, org_gone)))
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
            let kind = SkipKind::NotCaughtUp;
            JobState::<()> {
                status: Status::Skipped,
                mode: Mode::Skipped,
                note: kind.short().into(),
                skip: Some(kind),
                ..JobState::default()
            }
        };
        base.sink.checkpoint(&next.job_key(*job), &st).await?;
    }
    base.sink.checkpoint(keys::SYNC_RUN, &next).await?;
    Ok(())
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
    /// Skipped, and why.
    Skipped(SkipKind),
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
    let edges = super::plan::edge_plan(since.is_some(), reconciled.as_deref().and_then(parse), parse(&previous_logs.end), started, days);
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

fn iso_or_same(s: &str) -> String {
    DateTime::parse_from_rfc3339(s).map(|d| iso_millis(&d.with_timezone(&Utc))).unwrap_or_else(|_| s.to_string())
}

fn is_edge(t: &str) -> bool {
    crate::extract::item_type::ItemType::parse(t).is_some_and(|t| t.is_edge())
}

/// Whether a whole listing can hold every record of the type (not events, not sign-ins).
fn is_listed(t: &str) -> bool {
    crate::extract::item_type::ItemType::parse(t).is_some_and(|t| t.is_listed())
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
        Job::GroupRules => drive(ctx, stored, |c, s| jobs::group_rules::extract(c, s).boxed()).await,
        Job::SignInConfig => drive(ctx, stored, |c, s| jobs::sign_in_config::extract(c, s).boxed()).await,
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
            if st.listed.is_empty() && matches!(st.mode, Mode::Full | Mode::Fallback) {
                let edges_cut = st.parents_forbidden > 0;
                st.listed = ctx
                    .job
                    .item_types()
                    .iter()
                    .filter(|t| is_listed(t) && !(st.skipped.contains_key(**t) || (edges_cut && is_edge(t))))
                    .map(|t| t.to_string())
                    .collect();
            }
            ctx.save(&mut st).await?;
            tracing::info!(entity = ctx.job.name(), records = ?st.records, api_calls = st.api_calls, mode = %st.mode, "entity done");
            Ok(JobEnd::Done)
        }
        Err(JobFail::Skip(reason)) => {
            let kind = reason.kind();
            let reason = reason.to_string();
            tracing::warn!(entity = ctx.job.name(), %reason, "entity skipped");
            st.status = Status::Skipped;
            st.mode = Mode::Skipped;
            st.skip = Some(kind);
            // A type the job skipped on its own keeps its own reason.
            for t in ctx.job.item_types() {
                st.skipped.entry(t.to_string()).or_insert_with(|| reason.clone());
            }
            st.note = reason;
            st.pos = P::default();
            ctx.save(&mut st).await?;
            Ok(JobEnd::Skipped(kind))
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
