//! A round's plan: everything a round of the sync run decides before it calls Okta, built from
//! the stored state alone (a pure function, so each rule has a unit test): whether a new run
//! starts, what is written before any job starts, which jobs are pending, what an earlier
//! invocation already knew (placeholder users, the change set, remembered ids, the System
//! Log's verdict), and which stored keys could not be read.
//!
//! A stored key that does not parse is never taken as empty: it is reported and the part it
//! stood for is read in full (a new run, a full reading of the edges, nothing remembered).

use std::collections::{BTreeMap, HashSet};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::changes::ChangeSet;
use super::job::Job;
use super::jobs::LogVerdict;
use super::state::{keys, EdgePlan, JobState, LogsWindow, Mode, SkipKind, Status, StoredStatus, SyncRun};
use super::Error;
use crate::airsync::extractor::ExtractionScope;

/// A stored key that is there but does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the saved `{key}` does not parse ({detail})")]
pub struct Unreadable {
    /// The key.
    pub key: String,
    /// The parse error.
    pub detail: String,
}

/// Reads a stored key into its type: `Ok(None)` when absent or null.
pub fn read_key<T: DeserializeOwned>(state: &Value, key: &str) -> Result<Option<T>, Unreadable> {
    match state.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone()).map(Some).map_err(|e| Unreadable { key: key.into(), detail: e.to_string() }),
    }
}

/// The stored keys that did not parse, each reported once.
struct Unreadables(Vec<Unreadable>);

impl Unreadables {
    /// The value read, or `None` (absent, or unreadable and noted).
    fn take<T>(&mut self, r: Result<Option<T>, Unreadable>) -> Option<T> {
        r.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "a part of the saved state is unreadable; reading that part in full");
            self.0.push(e);
            None
        })
    }
}

/// Fixes a new sync run from the last run's System Log window, the time of the last full
/// reconciliation and the last run's upper bound (`extract_to`, when the platform sent one).
pub type NewRun<'a> = dyn Fn(&LogsWindow, Option<String>, Option<String>) -> Result<SyncRun, Error> + Sync + 'a;

/// What the plan needs to know of the invocation.
pub struct PlanInputs<'a> {
    /// `lastSyncStarted` of this invocation, normalized.
    pub sync_started: String,
    /// The item types the user chose.
    pub scope: &'a ExtractionScope,
    /// Fixes a new sync run from the last run's System Log window and the time of the last
    /// full reconciliation.
    pub new_run: &'a NewRun<'a>,
}

/// What one round of the sync run does before it calls Okta.
#[derive(Debug)]
pub struct RoundPlan {
    /// The run's settings.
    pub sync: SyncRun,
    /// A new sync run starts here.
    pub fresh: bool,
    /// Checkpoints to write before any job starts, in order.
    pub writes: Vec<(String, Write)>,
    /// Each job's status in this round once `writes` are applied.
    pub status: BTreeMap<Job, Status>,
    /// The stored job entries of a continuing run.
    pub stored: BTreeMap<Job, Value>,
    /// The System Log window the last sync run left.
    pub previous_logs: LogsWindow,
    /// Placeholder users found so far in this run.
    pub placeholders: HashSet<String>,
    /// The change set saved so far in this run.
    pub changes: ChangeSet,
    /// What the events before a full reading's run said, saved so far.
    pub changes_before: ChangeSet,
    /// The System Log's verdict, when it is known before the round starts.
    pub log_verdict: Option<LogVerdict>,
    /// Stored keys that did not parse; the round read their part in full.
    pub unreadable: Vec<Unreadable>,
}

/// The note and skip reason of a job the user left out of the sync.
pub const NOT_SELECTED: &str = "not selected";

impl RoundPlan {
    /// Plans the round from the connector's stored section.
    pub fn from_state(state: &Value, inp: &PlanInputs<'_>) -> Result<RoundPlan, Error> {
        let mut unreadable = Unreadables(Vec::new());
        let previous_logs: LogsWindow = unreadable.take(read_key(state, keys::LOGS_WINDOW)).unwrap_or_default();
        let stored_run: Option<SyncRun> = unreadable.take(read_key(state, keys::SYNC_RUN));
        // The placeholders found so far decide which edges are dropped: without them a run
        // cannot go on, so it starts again (and its users job finds them again).
        let placeholders: Option<HashSet<String>> = unreadable.take(read_key(state, keys::PLACEHOLDER_USERS));
        let placeholders_lost = unreadable.0.iter().any(|u| u.key == keys::PLACEHOLDER_USERS);
        let (continuing, last) = match stored_run {
            Some(r) if r.sync_started == inp.sync_started && !placeholders_lost => (Some(r), None),
            other => (None, other),
        };
        let (sync, fresh) = match continuing {
            Some(r) => (r, false),
            None => {
                let reconciled: Option<String> = unreadable.take(read_key(state, keys::RECONCILED));
                ((inp.new_run)(&previous_logs, reconciled, last.and_then(|r| r.until))?, true)
            }
        };
        let changes: Option<ChangeSet> = if fresh { None } else { unreadable.take(read_key(state, keys::CHANGES)) };
        let changes_before: Option<ChangeSet> = if fresh { None } else { unreadable.take(read_key(state, keys::CHANGES_BEFORE)) };
        let mut plan = RoundPlan {
            writes: if fresh { fresh_writes(&sync) } else { Vec::new() },
            sync,
            fresh,
            status: BTreeMap::new(),
            stored: BTreeMap::new(),
            previous_logs,
            // Placeholder users outlive a run: an incremental run lists only the users that changed.
            placeholders: placeholders.unwrap_or_default(),
            changes: changes.unwrap_or_default(),
            changes_before: changes_before.unwrap_or_default(),
            log_verdict: None,
            unreadable: unreadable.0,
        };
        plan.plan_jobs(state, inp.scope);
        plan.log_verdict = plan.known_log_verdict();
        Ok(plan)
    }

    /// Each job's status, and the skip entries of the jobs the user left out.
    fn plan_jobs(&mut self, state: &Value, scope: &ExtractionScope) {
        for job in Job::ALL {
            let key = self.sync.job_key(job);
            let entry = if self.fresh { None } else { state.get(&key).filter(|v| !v.is_null()).cloned() };
            // An entry whose status does not parse is pending: the job itself reports its state.
            let stored =
                entry.as_ref().and_then(|v| serde_json::from_value::<StoredStatus>(v.clone()).ok()).map_or(Status::Pending, |s| s.status);
            let status = if self.selected(job, scope) {
                stored
            } else {
                if stored == Status::Pending {
                    self.writes.push((key, not_selected(job)));
                }
                Status::Skipped
            };
            if let Some(v) = entry {
                self.stored.insert(job, v);
            }
            self.status.insert(job, status);
        }
    }

    /// Whether the round runs `job`: a job none of whose item types the user chose makes no
    /// call at all; the System Log is still read when it drives the types the user chose.
    pub fn selected(&self, job: Job, scope: &ExtractionScope) -> bool {
        let log_driven = self.sync.edges == EdgePlan::Log && wants_log_driven(scope);
        scope.wants_any(job.item_types()) || (job == Job::SystemLogs && log_driven)
    }

    /// The System Log's verdict when the round can tell it before any job runs: the log was
    /// read (or skipped) by an earlier invocation, it is not selected, or the change set an
    /// earlier invocation saved cannot be read back.
    fn known_log_verdict(&self) -> Option<LogVerdict> {
        if let Some(u) = self.unreadable.iter().find(|u| u.key == keys::CHANGES) {
            return Some(LogVerdict::of(LogEnd::Unreadable(u.to_string())));
        }
        #[derive(serde::Deserialize)]
        struct Skip {
            #[serde(default)]
            skip: Option<SkipKind>,
        }
        let stored_skip = || serde_json::from_value::<Skip>(self.stored.get(&Job::SystemLogs)?.clone()).ok()?.skip;
        match self.status(Job::SystemLogs) {
            Status::Pending => None,
            Status::Skipped if !self.stored.contains_key(&Job::SystemLogs) => Some(LogVerdict::of(LogEnd::Skipped(SkipKind::NotSelected))),
            // An entry an older version wrote says why only in its note.
            Status::Skipped => Some(stored_skip().map_or_else(
                || LogVerdict::Fallback("the System Log was skipped by an earlier invocation".into()),
                |kind| LogVerdict::of(LogEnd::Skipped(kind)),
            )),
            Status::Done => Some(LogVerdict::of(LogEnd::Read { changes: Box::new(self.changes.clone()), whole: true })),
        }
    }

    /// A job's status in this round.
    pub fn status(&self, job: Job) -> Status {
        self.status.get(&job).copied().unwrap_or_default()
    }

    /// The jobs to run, in name order (the order decides whose first pages go first).
    pub fn pending(&self) -> Vec<Job> {
        let mut jobs: Vec<Job> = Job::ALL.into_iter().filter(|j| self.status(*j) == Status::Pending).collect();
        jobs.sort_by_key(|j| j.name());
        jobs
    }
}

/// How the System Log job ended, for [`LogVerdict::of`].
#[derive(Debug, Clone)]
pub enum LogEnd {
    /// The log was read; `whole` when it went on from where the last sync stopped.
    Read {
        /// What the events asked for.
        changes: Box<ChangeSet>,
        /// Whether the log since the last sync was read completely.
        whole: bool,
    },
    /// The log job was skipped.
    Skipped(SkipKind),
    /// The saved change set cannot be read back.
    Unreadable(String),
}

impl LogVerdict {
    /// The one place that turns how the System Log was read into what it tells the jobs it
    /// drives.
    pub fn of(end: LogEnd) -> LogVerdict {
        match end {
            LogEnd::Read { whole: false, .. } => LogVerdict::Fallback(
                "the System Log since the last sync cannot be read completely (the last sync kept no position in it)".into(),
            ),
            LogEnd::Read { changes, .. } if changes.overflow => {
                LogVerdict::Fallback(format!("more than {} changes since the last sync", super::changes::MAX_CHANGES))
            }
            LogEnd::Read { changes, .. } => LogVerdict::Changes(std::sync::Arc::new(*changes)),
            LogEnd::Skipped(SkipKind::NotSelected) => LogVerdict::Fallback("the System Log is not selected".into()),
            LogEnd::Skipped(kind) => LogVerdict::Fallback(format!("System Log {}", kind.short())),
            LogEnd::Unreadable(why) => LogVerdict::Fallback(format!("{why}; the edges are read in full")),
        }
    }
}

/// How a new run reads the edges (what Okta cannot filter by `lastUpdated`): everything in a
/// first sync; everything again once `days` have passed since the last full reading (or when
/// its time is not known); everything when the last sync is older than the System Log keeps
/// events; otherwise as the log's events since the last sync say.
pub fn edge_plan(
    incremental: bool,
    reconciled: Option<chrono::DateTime<chrono::Utc>>,
    last_log_end: Option<chrono::DateTime<chrono::Utc>>,
    started: chrono::DateTime<chrono::Utc>,
    days: i64,
) -> EdgePlan {
    let retention = chrono::Duration::days(super::jobs::logs::RETENTION_DAYS);
    if !incremental {
        EdgePlan::Full
    } else if reconciled.is_none_or(|r| started - r >= chrono::Duration::days(days)) {
        EdgePlan::Reconcile
    } else if last_log_end.is_some_and(|end| end < started - retention) {
        EdgePlan::Fallback("the last sync is older than the System Log's retention".into())
    } else {
        // Whether the log can be read from where the last sync stopped is the log job's call.
        EdgePlan::Log
    }
}

/// A value the plan writes to the state before any job starts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Write {
    /// The sync run.
    Run(SyncRun),
    /// A change set.
    Changes(ChangeSet),
    /// A job's entry.
    Job(JobState<()>),
    /// Nothing: the key is cleared.
    Clear(Option<()>),
}

/// A new run's writes: the run, an empty change set, every job pending, and the last run's
/// catch-up round over with it.
fn fresh_writes(sync: &SyncRun) -> Vec<(String, Write)> {
    let mut w =
        vec![(keys::SYNC_RUN.to_string(), Write::Run(sync.clone())), (keys::CHANGES.to_string(), Write::Changes(ChangeSet::default()))];
    w.push((keys::CHANGES_BEFORE.to_string(), Write::Clear(None)));
    let catch_up = SyncRun { catch_up: true, ..sync.clone() };
    for job in Job::ALL {
        w.push((job.state_key(), Write::Job(JobState::default())));
        w.push((catch_up.job_key(job), Write::Clear(None)));
    }
    w
}

/// The entry of a job the user left out.
fn not_selected(job: Job) -> Write {
    let mut st = JobState::<()> { status: Status::Skipped, mode: Mode::Skipped, note: NOT_SELECTED.into(), ..JobState::default() };
    st.skip = Some(SkipKind::NotSelected);
    for t in job.item_types() {
        st.skipped.insert(t.to_string(), NOT_SELECTED.into());
    }
    Write::Job(st)
}

/// Whether an incremental run reads some item type the System Log drives (every item type but
/// the log itself: the others it either names for a re-read or tells the deletions of).
fn wants_log_driven(scope: &ExtractionScope) -> bool {
    crate::extract::ITEM_TYPES.iter().any(|t| *t != "system_logs" && scope.wants(t))
}

#[cfg(test)]
mod tests;
