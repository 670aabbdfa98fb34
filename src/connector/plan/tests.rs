//! One test per rule of the round plan.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::*;

const STARTED: &str = "2026-11-10T12:00:00.000Z";

fn run(edges: EdgePlan) -> SyncRun {
    SyncRun {
        sync_started: STARTED.into(),
        since: Some("2026-11-09T12:00:00.000Z".into()),
        logs_since: "2026-11-09T12:00:00.000Z".into(),
        logs_until: STARTED.into(),
        edges,
        catch_up: false,
        until: None,
    }
}

fn plan(state: &Value, scope: &ExtractionScope) -> RoundPlan {
    let new_run = |_: &LogsWindow, _: Option<String>, _: Option<String>| Ok(run(EdgePlan::Log));
    RoundPlan::from_state(state, &PlanInputs { sync_started: STARTED.into(), scope, new_run: &new_run }).unwrap()
}

fn written(p: &RoundPlan, key: &str) -> Option<Value> {
    p.writes.iter().find(|(k, _)| k == key).map(|(_, v)| serde_json::to_value(v).unwrap())
}

/// A run under way: its settings, and these jobs' entries.
fn continuing(edges: EdgePlan, jobs: &[(&str, Value)]) -> Value {
    let mut s = json!({ "run": run(edges), "changes": ChangeSet::default() });
    for (j, v) in jobs {
        s[format!("job.{j}")] = v.clone();
    }
    s
}

#[test]
fn a_new_run_resets_every_job_and_clears_the_last_catch_up_round() {
    let p = plan(&json!({}), &ExtractionScope::all());
    assert!(p.fresh);
    assert_eq!(written(&p, "run").unwrap()["sync_started"], STARTED);
    assert_eq!(written(&p, "changes").unwrap()["events"], 0);
    for job in Job::ALL {
        assert_eq!(written(&p, &job.state_key()).unwrap()["status"], "pending", "{job}");
        assert_eq!(written(&p, &format!("catch_up.{}", job.state_key())), Some(Value::Null), "{job}");
    }
    assert_eq!(p.pending().len(), Job::ALL.len());
    assert!(p.log_verdict.is_none(), "the log job decides");
}

#[test]
fn a_continuing_run_runs_only_what_is_pending_and_keeps_what_earlier_invocations_found() {
    let mut state = continuing(EdgePlan::Log, &[("users", json!({"status": "done"})), ("groups", json!({"status": "skipped"}))]);
    state["shadow_user_ids"] = json!(["00u9"]);
    let p = plan(&state, &ExtractionScope::all());
    assert!(!p.fresh);
    assert!(p.writes.is_empty(), "{:?}", p.writes);
    assert!(!p.pending().contains(&Job::Users) && !p.pending().contains(&Job::Groups));
    assert!(p.pending().contains(&Job::Factors));
    assert!(p.placeholders.contains("00u9"));
    assert_eq!(p.stored[&Job::Users]["status"], "done");
}

#[test]
fn the_reconciliation_is_due_after_its_days_or_when_its_time_is_unknown() {
    let started: DateTime<Utc> = STARTED.parse().unwrap();
    assert_eq!(edge_plan(false, None, None, started, 7), EdgePlan::Full);
    assert_eq!(edge_plan(true, None, None, started, 7), EdgePlan::Reconcile);
    assert_eq!(edge_plan(true, Some(started - Duration::days(7)), None, started, 7), EdgePlan::Reconcile);
    assert_eq!(edge_plan(true, Some(started - Duration::days(6)), Some(started - Duration::hours(1)), started, 7), EdgePlan::Log);
    assert!(matches!(
        edge_plan(true, Some(started - Duration::days(1)), Some(started - Duration::days(91)), started, 7),
        EdgePlan::Fallback(_)
    ));
}

#[test]
fn a_denied_system_log_makes_the_edges_fall_back_to_a_full_reading() {
    let denied = json!({"status": "skipped", "mode": "skipped", "skip": "forbidden", "note": "missing permission: 403"});
    let p = plan(&continuing(EdgePlan::Log, &[("system_logs", denied)]), &ExtractionScope::all());
    match p.log_verdict {
        Some(LogVerdict::Fallback(why)) => assert_eq!(why, "System Log denied (403)"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_scope_without_any_edge_job_skips_them_and_reads_the_log_only_for_deletions() {
    let scope = ExtractionScope::all().narrowed_to(["users".to_string(), "devices".to_string()]);
    // A log-driven run reads the System Log for the users and devices it deleted.
    let p = plan(&continuing(EdgePlan::Log, &[]), &scope);
    assert_eq!(p.pending(), vec![Job::Devices, Job::SystemLogs, Job::Users]);
    for job in [Job::Groups, Job::Roles, Job::Apps, Job::Policies, Job::Factors, Job::AuthenticatorEnrollments] {
        assert_eq!(p.status(job), Status::Skipped, "{job}");
        let w = written(&p, &job.state_key()).unwrap();
        assert_eq!((w["skip"].as_str(), w["note"].as_str()), (Some("not_selected"), Some(NOT_SELECTED)), "{job}");
    }
    assert!(p.log_verdict.is_none());
    // A run that reads in full has no use for it.
    let p = plan(&continuing(EdgePlan::Full, &[]), &scope);
    assert_eq!(p.pending(), vec![Job::Devices, Job::Users]);
    assert!(matches!(p.log_verdict, Some(LogVerdict::Fallback(ref why)) if why.contains("not selected")), "{:?}", p.log_verdict);
}

#[test]
fn an_unreadable_key_is_reported_and_its_part_read_in_full() {
    // The change set of a run under way: the edges fall back to a full reading, said so.
    let mut state = continuing(EdgePlan::Log, &[]);
    state["changes"] = json!("not a change set");
    let p = plan(&state, &ExtractionScope::all());
    assert!(!p.fresh);
    assert_eq!(p.unreadable.iter().map(|u| u.key.as_str()).collect::<Vec<_>>(), ["changes"]);
    assert!(
        matches!(p.log_verdict, Some(LogVerdict::Fallback(ref why)) if why.contains("`changes` does not parse")),
        "{:?}",
        p.log_verdict
    );
    // The run itself, or the placeholders it found: the run starts again.
    for (key, bad) in [("run", json!(42)), ("shadow_user_ids", json!({"a": 1}))] {
        let mut state = continuing(EdgePlan::Log, &[("users", json!({"status": "done"}))]);
        state[key] = bad;
        let p = plan(&state, &ExtractionScope::all());
        assert!(p.fresh, "{key}");
        assert_eq!(p.unreadable.len(), 1, "{key}: {:?}", p.unreadable);
        assert!(p.pending().contains(&Job::Users), "{key}");
    }
    // What the events said before a full reading's run: its tombstones are not sent.
    let mut state = continuing(EdgePlan::Full, &[]);
    state["changes_before"] = json!([1, 2]);
    let p = plan(&state, &ExtractionScope::all());
    assert_eq!(p.changes_before, ChangeSet::default());
    assert_eq!(p.unreadable[0].key, "changes_before");
}
