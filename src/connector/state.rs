//! The connector's section of the worker state: the current run, one entry per job, and the
//! bits that outlive a run (placeholder users, the System Log window end).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Keys of the connector section.
pub mod keys {
    /// The current run ([`super::RunState`]).
    pub const RUN: &str = "run";
    /// Placeholder (shadow) user ids seen so far: edges to them are dropped.
    pub const SHADOW: &str = "shadow_user_ids";
    /// The end of the last System Log window and the uuids inside its overlap.
    pub const LOGS: &str = "system_logs_window";
    /// The prefix of each job's key.
    pub const JOB_PREFIX: &str = "job.";
}

/// Settings fixed for the whole run at its first data invocation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunState {
    /// `lastSyncStarted` of the run.
    pub sync_started: String,
    /// Lower bound for incremental filters (watermark minus overlap); `None` = full sync.
    pub since: Option<String>,
    /// System Log window start.
    pub logs_since: String,
    /// System Log window end.
    pub logs_until: String,
}

/// A job's status.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not finished.
    #[default]
    Pending,
    /// Finished.
    Done,
    /// Skipped (missing permission, feature not available).
    Skipped,
}

/// One job's checkpoint and report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct JobState {
    /// Status.
    pub status: Status,
    /// `full`, `incremental` or `skipped`.
    pub mode: String,
    /// Why skipped, or a fallback note.
    pub note: String,
    /// Records sent per item type (pages re-read after a resume count again).
    pub records: BTreeMap<String, u64>,
    /// Item types skipped, with the reason.
    pub skipped: BTreeMap<String, String>,
    /// API calls made by this job.
    pub api_calls: u64,
    /// The position to resume from (job-specific).
    pub pos: Value,
    /// Job-specific data that must survive invocations.
    pub extra: Value,
}

/// The System Log window left by the last run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct LogsWindow {
    /// Where the last window ended.
    pub end: String,
    /// uuids published within the overlap before `end` (dropped if seen again).
    pub tail_uuids: Vec<String>,
}
