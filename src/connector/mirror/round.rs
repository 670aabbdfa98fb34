//! The end of a round, as [`super::reconcile`] needs it told: what was listed whole, which
//! parents were read again whole, what the System Log said; then the index's compaction,
//! committed with the marker that says this round's end is done.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use serde_json::{json, Value};

use super::{reconcile, RoundFacts};
use crate::connector::changes::ChangeSet;
use crate::connector::job::Job;
use crate::connector::jobs::JobCtx;
use crate::connector::state::{keys, EdgePlan};
use crate::connector::Error;

/// Compares the index with the round just ended and folds the index, once per round: the
/// marker under [`keys::MIRRORED`] is committed in the compaction's own state write, so an
/// invocation that ended in between does it again (tombstones already sent are not sent twice).
pub async fn end_round(base: &JobCtx) -> Result<(), Error> {
    let Some(reader) = base.index.as_ref() else { return Ok(()) };
    let mut state = base.sink.settled().await?;
    reader.resolve(&mut state).await;
    let marker = format!("{}{}", base.sync.sync_started, if base.sync.catch_up { "/catch-up" } else { "" });
    if state.pointer(&format!("/{}/round", keys::MIRRORED)).and_then(Value::as_str) == Some(marker.as_str()) {
        return Ok(());
    }
    let facts = facts(base, &state);
    let sent = reconcile(&base.sink, reader, &facts).await?;
    let done = json!({"round": marker, "tombstones": sent});
    base.sink.compact_index(vec![(keys::MIRRORED.to_string(), done)]).await.map_err(Error::Index)?;
    Ok(())
}

/// What the round read and heard, from the committed state.
fn facts(base: &JobCtx, state: &Value) -> RoundFacts {
    let job = |j: Job| state.get(base.sync.job_key(j)).cloned().unwrap_or(Value::Null);
    let done = |v: &Value| v.get("status").and_then(Value::as_str) == Some("done");
    let mode = |v: &Value| v.get("mode").and_then(Value::as_str).unwrap_or("").to_string();
    let mut whole = BTreeSet::new();
    for j in Job::ALL {
        let v = job(j);
        if done(&v) {
            whole.extend(v.get("listed").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string));
        }
    }
    let change_set = |k: &str| state.get(k).cloned().and_then(|v| serde_json::from_value::<ChangeSet>(v).ok());
    let during = change_set(keys::CHANGES).unwrap_or_default();
    let log_driven = base.sync.edges == EdgePlan::Log || base.sync.catch_up;
    let mut events = vec![during.clone()];
    if !log_driven {
        events.extend(change_set(keys::CHANGES_BEFORE));
    }
    // A log-driven job read the parents its events named again, whole (unless a parent's
    // children were forbidden).
    let mut parents = BTreeMap::new();
    let read_again = |j: Job| {
        let v = job(j);
        done(&v) && mode(&v) == "log-driven" && v.get("parents_forbidden").and_then(Value::as_u64).unwrap_or(0) == 0
    };
    let users: BTreeSet<String> =
        during.factor_users.iter().filter(|u| !during.deactivated_users.contains(*u) && !base.is_placeholder(u)).cloned().collect();
    if read_again(Job::Factors) {
        parents.insert("factors".to_string(), ("user_id", users.clone()));
    }
    if read_again(Job::AuthenticatorEnrollments) {
        let more = during.enrollment_users.iter().filter(|u| !during.deactivated_users.contains(*u) && !base.is_placeholder(u));
        let users: BTreeSet<String> = users.iter().cloned().chain(more.cloned()).collect();
        parents.insert("authenticator_enrollments".to_string(), ("user_id", users));
    }
    if read_again(Job::Apps) {
        for t in ["app_user_assignments", "app_group_assignments"] {
            parents.insert(t.to_string(), ("app_id", during.assignment_apps.clone()));
        }
    }
    let excluded = crate::extract::ITEM_TYPES.iter().filter(|t| !base.wants(t)).map(|t| t.to_string()).collect();
    RoundFacts { whole, parents, events, log_driven, now: Utc::now(), excluded }
}
