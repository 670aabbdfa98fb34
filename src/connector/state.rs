//! The connector's section of the worker state: the current sync run, one entry per job, and
//! the bits that outlive a run (placeholder users, the System Log window end).
//!
//! The section is stored as JSON, but every part is read back into the types below. A job's
//! resume position is a type of its own with `deny_unknown_fields`, so a position written by
//! another version (or a mistyped key) is noticed: that job restarts from its beginning with a
//! warning in the log and a note in its report, never silently.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Keys of the connector section.
pub mod keys {
    /// The current sync run ([`super::SyncRun`]).
    pub const SYNC_RUN: &str = "run";
    /// Placeholder user ids seen so far: edges to them are dropped.
    pub const PLACEHOLDER_USERS: &str = "shadow_user_ids";
    /// The end of the last System Log window and the uuids inside its overlap.
    pub const LOGS_WINDOW: &str = "system_logs_window";
    /// The prefix of each job's key.
    pub const JOB_PREFIX: &str = "job.";
    /// The prefix of each job's key in the catch-up round of a run (`catch_up.job.users`...):
    /// the full reading's own entries stay as they were, for the report.
    pub const CATCH_UP_PREFIX: &str = "catch_up.";
    /// What the System Log read in this sync run asks to read again ([`crate::connector::changes::ChangeSet`]),
    /// saved by the logs job with its position.
    pub const CHANGES: &str = "changes";
    /// What the System Log said before a full reading's run started (its tombstones still count).
    pub const CHANGES_BEFORE: &str = "changes_before";
    /// The last round whose end was compared with the index ([`crate::connector::mirror`]), and
    /// the tombstones that sent.
    pub const MIRRORED: &str = "mirrored";
    /// `lastSyncStarted` of the last run that read every edge in full.
    pub const RECONCILED: &str = "edges_reconciled";
    /// The token's share of each rate-limit bucket learned from 429s
    /// ([`crate::okta::ratelimit::LearnedShares`]): kept across invocations and syncs.
    pub const PACING: &str = "pacing";
}

/// How the entities Okta cannot filter by `lastUpdated` are read in a sync run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", tag = "plan", content = "why")]
pub enum EdgePlan {
    /// The first sync: everything is read.
    #[default]
    Full,
    /// The periodic full reconciliation of the edges (`full_reconciliation_days`).
    Reconcile,
    /// Driven by the System Log events since the last sync.
    Log,
    /// The System Log cannot drive this run: everything is read again, for this reason.
    Fallback(String),
}

/// Settings fixed for the whole sync run at its first data invocation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SyncRun {
    /// `lastSyncStarted` of the run.
    pub sync_started: String,
    /// Lower bound for incremental filters (watermark minus overlap); `None` = full sync.
    pub since: Option<String>,
    /// System Log window start.
    pub logs_since: String,
    /// System Log window end.
    pub logs_until: String,
    /// The platform's `extract_to`: the upper bound of the `lastUpdated` filters and of the
    /// System Log (see [`super::time_scope`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// How factors, assignments, role assignments and policies are read.
    #[serde(default)]
    pub edges: EdgePlan,
    /// This is the catch-up round of a run that read in full: it reads again what changed
    /// while the full reading ran (users, groups and devices by `lastUpdated`, the rest from
    /// the System Log events since the run started), so that the run ends with the org as it
    /// is at its end, not as it was when each page was read.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub catch_up: bool,
}

impl SyncRun {
    /// Whether this run, once every job is over, goes on with a catch-up round: a run that
    /// read the edges in full (hours, in a large org) and is not a catch-up itself.
    pub fn wants_catch_up(&self) -> bool {
        // Under the platform's upper bound, what changed after it is the next run's to read.
        !self.catch_up && !matches!(self.edges, EdgePlan::Log) && self.until.is_none()
    }

    /// The catch-up round of this run, starting at `now`: incremental from the run's start
    /// (less the overlap), log-driven from the events since then, its System Log poll going on
    /// from where this round's stopped.
    pub fn catch_up_round(&self, now: chrono::DateTime<chrono::Utc>, overlap: chrono::Duration) -> SyncRun {
        let started = chrono::DateTime::parse_from_rfc3339(&self.sync_started).map(|d| d.with_timezone(&chrono::Utc)).unwrap_or(now);
        let logs_end = chrono::DateTime::parse_from_rfc3339(&self.logs_until).map(|d| d.with_timezone(&chrono::Utc)).unwrap_or(started);
        SyncRun {
            sync_started: self.sync_started.clone(),
            since: Some(crate::airsync::artifacts::iso_millis(&(started - overlap))),
            logs_since: crate::airsync::artifacts::iso_millis(&(logs_end - overlap)),
            logs_until: crate::airsync::artifacts::iso_millis(&now.max(logs_end)),
            until: None,
            edges: EdgePlan::Log,
            catch_up: true,
        }
    }

    /// Events published from this time on are changes a catch-up round must read again
    /// (`None`: this run is not followed by one).
    pub fn catch_up_from(&self, overlap: chrono::Duration) -> Option<chrono::DateTime<chrono::Utc>> {
        if !self.wants_catch_up() {
            return None;
        }
        chrono::DateTime::parse_from_rfc3339(&self.sync_started).ok().map(|d| d.with_timezone(&chrono::Utc) - overlap)
    }

    /// A job's key in the state for this round.
    pub fn job_key(&self, job: super::job::Job) -> String {
        if self.catch_up {
            format!("{}{}", keys::CATCH_UP_PREFIX, job.state_key())
        } else {
            job.state_key()
        }
    }
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

/// Why a job (or a part of it) was skipped: kept as a kind, so a later invocation reads it back
/// without parsing a note.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SkipKind {
    /// 403: the token's admin lacks the permission.
    Forbidden,
    /// 401 E0000015: the org or the token is not licensed for the feature.
    NotLicensed,
    /// 404 on the list: the org does not have the feature.
    NotAvailable,
    /// The user left the job's item types out.
    NotSelected,
    /// A catch-up round: the full reading skipped it.
    NotCaughtUp,
}

impl SkipKind {
    /// The short form, after the entity's name ("System Log denied (403)").
    pub const fn short(self) -> &'static str {
        match self {
            SkipKind::Forbidden => "denied (403)",
            SkipKind::NotLicensed => "not licensed (401 E0000015)",
            SkipKind::NotAvailable => "not available (404)",
            SkipKind::NotSelected => "not selected",
            SkipKind::NotCaughtUp => "not caught up: the full reading skipped it",
        }
    }
}

/// How a job lists its entity in this run.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Not started yet.
    #[default]
    #[serde(rename = "")]
    NotStarted,
    /// Everything is listed.
    Full,
    /// Only what changed since the last sync.
    Incremental,
    /// Only what the System Log events since the last sync name.
    #[serde(rename = "log-driven")]
    LogDriven,
    /// Read in full because the System Log could not drive it (the note says why).
    Fallback,
    /// Not listed (see the note).
    Skipped,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::NotStarted => "",
            Mode::Full => "full",
            Mode::Incremental => "incremental",
            Mode::LogDriven => "log-driven",
            Mode::Fallback => "fallback",
            Mode::Skipped => "skipped",
        })
    }
}

/// A job position: stored as JSON, read back into its own type.
pub trait Position: Serialize + DeserializeOwned + Default + Clone + Send + Sync + 'static {}
impl<T: Serialize + DeserializeOwned + Default + Clone + Send + Sync + 'static> Position for T {}

/// One job's checkpoint and report; `P` is the job's own resume position.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(bound(deserialize = "P: Deserialize<'de> + Default"))]
pub struct JobState<P> {
    /// Status.
    pub status: Status,
    /// Full, incremental or skipped.
    pub mode: Mode,
    /// Why skipped, or a fallback note.
    pub note: String,
    /// Why skipped, as a kind (`None`: not skipped, or skipped by an older version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<SkipKind>,
    /// Records sent per item type (pages re-read after a resume count again).
    pub records: BTreeMap<String, u64>,
    /// Item types skipped, with the reason.
    pub skipped: BTreeMap<String, String>,
    /// API calls made by this job.
    pub api_calls: u64,
    /// Parents deleted between their list call and their child call (404 on the child call):
    /// skipped, the job went on.
    #[serde(default)]
    pub parents_gone: u64,
    /// Parents whose children the token may not read (403 on that parent only, while other
    /// parents' children were read): skipped, the job went on.
    #[serde(default)]
    pub parents_forbidden: u64,
    /// Child calls that succeeded, so a 403 can tell "this parent" from "this token".
    #[serde(default)]
    pub children_read: u64,
    /// Item types this job listed whole in this round (every record Okta holds, no skip): the
    /// round's end compares them with what DevRev holds.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub listed: BTreeSet<String>,
    /// Tombstones sent per item type (`deleted` objects, `removed` edges).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tombstones: BTreeMap<String, u64>,
    /// Where to resume (`null` reads as the start).
    #[serde(default, deserialize_with = "null_is_start")]
    pub pos: P,
}

fn null_is_start<'de, D: serde::Deserializer<'de>, P: Deserialize<'de> + Default>(d: D) -> Result<P, D::Error> {
    Ok(Option::<P>::deserialize(d)?.unwrap_or_default())
}

/// The status of a stored job entry, read without its position (which only the job knows).
#[derive(Debug, Default, Deserialize)]
pub struct StoredStatus {
    /// Status.
    #[serde(default)]
    pub status: Status,
}

/// A position in a plain list: the URL of the next page to fetch.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ListPos {
    /// The next page (`None`: the first page).
    pub cursor: Option<String>,
}

/// Where the sign-in configuration job stands: the family being listed and its next page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConfigPos {
    /// The index of the family under way (in `Family::ALL`).
    pub family: usize,
    /// Its next page (`None`: the first page).
    pub cursor: Option<String>,
}

/// Where a fan-out over parent pages stands. A parent is named by its id, never by its index in
/// a page that is fetched again: a parent deleted or deactivated between invocations shifts
/// the page, and an index would then skip the parent after it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FanPos {
    /// The cursor of the parent page being worked on (`None` = the first page).
    pub page: Option<String>,
    /// The last parent of that page whose children are done (`None`: none yet). On resume the
    /// page is fetched again and the parents up to and including this one are skipped; if it
    /// is no longer on the page, the whole page is done again (duplicates, never losses).
    #[serde(default)]
    pub last_done: Option<String>,
    /// Whether this page's parent records were already sent.
    pub pushed: bool,
}

/// The users job's passes.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UsersPass {
    /// The plain list (every status but DEPROVISIONED).
    Plain,
    /// `status eq "DEPROVISIONED"`, after the plain list.
    Deprovisioned,
    /// `lastUpdated gt` the watermark (every status).
    Incremental,
}

/// The users job's position.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UsersPos {
    /// The pass under way (`None`: not started).
    pub pass: Option<UsersPass>,
    /// The next page of that pass.
    pub cursor: Option<String>,
    /// Placeholder user ids found on the pages already read, saved with the cursor that
    /// passed them, so a resumed run drops the same edges as an uninterrupted one.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub placeholders: BTreeSet<String>,
    /// The custom attributes of every user type, read when the job started: a resume types
    /// users the same way as the pages already sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_types: Option<crate::extract::users::UserTypeAttrs>,
}

/// The roles job's steps.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RolesStep {
    /// Custom roles from `/iam/roles`.
    #[default]
    Custom,
    /// Users holding roles, and their roles.
    Assignees,
    /// Groups carrying admin roles, and their roles.
    Groups,
}

/// The roles job's position, with the roles already emitted in this run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RolesPos {
    /// The step under way.
    pub step: RolesStep,
    /// The custom-role list's next page.
    pub cursor: Option<String>,
    /// The assignee or group fan-out.
    pub fan: FanPos,
    /// Role ids whose record was already sent in this run.
    pub roles_seen: BTreeSet<String>,
    /// Whether `/iam/roles` could be read.
    pub custom_available: bool,
}

impl Default for RolesPos {
    fn default() -> Self {
        RolesPos { step: RolesStep::Custom, cursor: None, fan: FanPos::default(), roles_seen: BTreeSet::new(), custom_available: true }
    }
}

/// The policies job's position.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PoliciesPos {
    /// The policy type under way (index in the job's list of types).
    pub type_index: usize,
    /// The next page of that type.
    pub cursor: Option<String>,
    /// The authorization servers' policies, read after every type (a fan-out over the servers).
    #[serde(default)]
    pub auth_servers: FanPos,
    /// A log-driven run reads the policies its events name in id order: the last one sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_done: Option<String>,
    /// A log-driven run must read the authorization servers' policies (a named policy is not
    /// one of `/api/v1/policies`), saved with the step that found it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub servers_due: bool,
}

/// A System Log event seen recently: its uuid and `published` time.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeenEvent {
    /// The event's uuid.
    pub uuid: String,
    /// Its `published` time (RFC 3339).
    pub published: String,
}

/// The System Log job's position.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogsPos {
    /// The next page (a polling next link).
    pub cursor: Option<String>,
    /// Events published within the overlap before the newest event seen, for de-duplication.
    #[serde(default)]
    pub recent: Vec<SeenEvent>,
}

/// What the System Log job leaves for the next sync run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct LogsWindow {
    /// When the last run's poll ended (its sync start).
    pub end: String,
    /// uuids published within the overlap before `end` (older state; read, no longer written).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tail_uuids: Vec<String>,
    /// The polling next link of the last page read: the next run continues from it, in
    /// persistence order, so events persisted late are not missed.
    #[serde(default)]
    pub next: Option<String>,
    /// Events published within the overlap before the newest event seen (de-duplication
    /// bounded by time, not by a count).
    #[serde(default)]
    pub recent: Vec<SeenEvent>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_position_key_does_not_parse() {
        let ok: JobState<UsersPos> =
            serde_json::from_value(serde_json::json!({"status": "pending", "mode": "full", "note": "", "records": {}, "skipped": {}, "api_calls": 3, "pos": {"pass": "deprovisioned", "cursor": null}})).unwrap();
        assert_eq!(ok.pos.pass, Some(UsersPass::Deprovisioned));
        let bad = serde_json::from_value::<JobState<UsersPos>>(
            serde_json::json!({"status": "pending", "mode": "full", "note": "", "records": {}, "skipped": {}, "api_calls": 3, "pos": {"passs": "deprovisioned"}}),
        );
        assert!(bad.is_err());
    }
}
