//! Time-scoped syncs (fern-api-docs `airsync/data-extraction.mdx`): the platform's `extract_to`
//! is the upper bound of the System Log and of the `lastUpdated` filters, and what a bounded
//! run leaves is read by the next one.

use std::time::Duration;

use chrono::{DateTime, Utc};
use okta_airsync::airsync::artifacts::iso_millis;
use okta_sim::mutate::Mutation;
use serde_json::{json, Value};

use crate::helpers::*;

fn records(w: &World, t: &str) -> Vec<Value> {
    w.emu.emu.store.lock().unwrap().records(t)
}

fn at(v: &Value, ptr: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.pointer(ptr).and_then(Value::as_str).unwrap()).unwrap().with_timezone(&Utc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_to_bounds_the_system_log_and_the_next_run_reads_the_rest() {
    let mut w = world(small(61), Duration::from_secs(600)).await;
    // The seeded log spreads over the last weeks: bound the initial sync in the middle of it.
    let until = Utc::now() - chrono::Duration::days(5);
    let first_day = (until - chrono::Duration::days(20)).date_naive();
    let from = first_day.and_hms_opt(0, 0, 0).unwrap().and_utc();
    w.platform.extraction_start_time = Some(json!({"type": "absolute_time", "value": iso_millis(&from)}));
    w.platform.extraction_end_time = Some(json!({"type": "absolute_time", "value": iso_millis(&until)}));
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    let logs = records(&w, "system_logs");
    assert!(logs.len() > 10, "the window held events: {}", logs.len());
    let late: Vec<&Value> = logs.iter().filter(|r| at(r, "/data/published") > until).collect();
    assert!(late.is_empty(), "{} events published after extract_to were sent, e.g. {}", late.len(), late[0]);
    let state = w.platform.state_section("su1", okta_airsync::connector::OktaConnector::STATE_KEY);
    assert_eq!(state["run"]["until"], json!(iso_millis(&until)), "{}", state["run"]);

    // The next window (up to now) reads the events the first one left, and loses none.
    w.platform.extraction_start_time = None;
    w.platform.extraction_end_time = Some(json!({"type": "current_time"}));
    assert_eq!(w.platform.run_sync("INCREMENTAL").await.outcome, "DONE");
    assert!(records(&w, "system_logs").iter().any(|r| at(r, "/data/published") > until), "the events past the first bound were read next");
    let truth = w.sim.sim.truth(Some(first_day));
    assert_eq!(w.stored_ids("system_logs"), w.truth_ids(&truth, "system_logs"), "every event since {first_day}, once");
    assert_eq!(w.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_to_bounds_the_last_updated_filters_and_the_next_run_reads_the_rest() {
    let mut w = world(small(62), Duration::from_secs(600)).await;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    let until = Utc::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    w.sim.sim.mutate(&Mutation { users: 3, devices: 2, groups: 2, logs: 7, ..Mutation::none() });
    let modified = |w: &World, t: &str| -> usize { records(w, t).iter().filter(|r| at(r, "/modified_date") > until).count() };

    // A window that ends before the changes: none of them is sent.
    w.platform.extraction_end_time = Some(json!({"type": "absolute_time", "value": iso_millis(&until)}));
    assert_eq!(w.platform.run_sync("INCREMENTAL").await.outcome, "DONE");
    let state = w.platform.state_section("su1", okta_airsync::connector::OktaConnector::STATE_KEY);
    for job in ["users", "groups", "devices"] {
        assert_eq!(state[format!("job.{job}")]["mode"], "incremental", "{job}: {}", state[format!("job.{job}")]);
    }
    for t in ["users", "devices", "system_logs"] {
        assert_eq!(modified(&w, t), 0, "{t} changed after extract_to were sent");
    }
    assert!(records(&w, "system_logs").iter().all(|r| at(r, "/data/published") <= until));

    // The next window reads them: nothing the bound left is lost.
    w.platform.extraction_end_time = Some(json!({"type": "current_time"}));
    assert_eq!(w.platform.run_sync("INCREMENTAL").await.outcome, "DONE");
    assert!(modified(&w, "users") >= 3, "the users changed after the first bound were read next");
    assert!(modified(&w, "devices") >= 2, "the devices changed after the first bound were read next");
    assert!(modified(&w, "system_logs") >= 7, "the events after the first bound were read next");
    assert_eq!(w.violations(), Vec::<String>::new());
}
