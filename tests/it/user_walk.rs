//! One walk of the user list per full reading: the users job, factors and authenticator
//! enrollments share the plain list's pages (counted by the simulator, per route), while each
//! job keeps its own end (a 403 on factors skips factors alone), its own resume position and
//! the user's choice of item types.

use std::time::Duration;

use okta_sim::{SimConfig, Sizes};
use serde_json::{json, Value};

use crate::helpers::*;

/// Calls the simulator served on one route template.
fn calls(w: &World, route: &str) -> u64 {
    w.sim.sim.stats()["routes"][route]["calls"].as_u64().unwrap_or(0)
}

const LIST: &str = "GET /api/v1/users";
const FACTORS: &str = "GET /api/v1/users/{id}/factors";
/// `/users/{id}/authenticator-enrollments`: the simulator's templates make a long segment `{id}`.
const ENROLLMENTS: &str = "GET /api/v1/users/{id}/{id}";

/// An org of three pages of users (Okta serves at most 200 a page).
fn org(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        sizes: Sizes { users: 450, groups: 8, apps: 4, devices: 10, log_events: 200, ..Sizes::default() },
        ..SimConfig::default()
    }
}

fn family(truth: &Value, name: &str) -> u64 {
    truth["min_api_calls_by_family"][name].as_u64().unwrap()
}

fn job(w: &World, name: &str) -> Value {
    w.platform.state_section("su1", okta_airsync::connector::OktaConnector::STATE_KEY)[format!("job.{name}")].clone()
}

fn assert_equal_to_truth(w: &World, types: &[&str]) {
    let truth = w.sim.sim.truth(None);
    for t in types {
        let want = w.truth_ids(&truth, t);
        assert!(!want.is_empty(), "{t}: the simulated org has none");
        assert_eq!(w.stored_ids(t), want, "{t}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sync_lists_the_users_once_for_users_factors_and_enrollments() {
    let w = world(org(61), Duration::from_secs(600)).await;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    let truth = w.sim.sim.truth(None);
    // The plain list's pages and the DEPROVISIONED pass's, each fetched once.
    assert!(family(&truth, "users") >= 4, "the org spans several pages");
    assert_eq!(calls(&w, LIST), family(&truth, "users"));
    // One call per user that can hold them, none twice.
    assert_eq!(calls(&w, FACTORS), family(&truth, "factors"));
    assert_eq!(calls(&w, ENROLLMENTS), family(&truth, "authenticator_enrollments"));
    assert_equal_to_truth(&w, &["users", "factors", "authenticator_enrollments"]);
    // The round's end still diffs the three types listed whole.
    for (j, t) in [("users", "users"), ("factors", "factors"), ("authenticator_enrollments", "authenticator_enrollments")] {
        assert_eq!(job(&w, j)["listed"], json!([t]), "{j}");
    }
    assert_eq!(w.violations(), Vec::<String>::new());
}

#[tokio::test(start_paused = true)]
async fn a_deadline_mid_walk_resumes_and_ends_equal_to_the_truth() {
    // The per-user calls are paced (a bucket of 200 a minute): several minutes of them against
    // one-minute invocations, so each ends mid-walk.
    let mut cfg = org(62);
    cfg.faults.rate_limit_per_min = Some(200);
    let w = paused_world_with_deadline(cfg, Duration::from_secs(60)).await;
    let rep = w.platform.run_sync("INITIAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    // Each invocation ends at its deadline, or earlier when the next paced call would outlast it.
    let progress = rep.replies.iter().filter(|r| *r == "DATA_EXTRACTION_PROGRESS" || *r == "DATA_EXTRACTION_DELAYED").count();
    assert!(progress >= 2, "the walk spanned several invocations: {:?}", rep.replies);
    assert_equal_to_truth(&w, &["users", "factors", "authenticator_enrollments"]);
    // Each resumed reader fetches the page it stopped in again unless another one has it: at
    // most a page per reader (users, factors, enrollments) per invocation, never a walk per job.
    let truth = w.sim.sim.truth(None);
    let list = calls(&w, LIST);
    println!("users list: {list} calls over {} invocations (one walk: {})", progress + 1, family(&truth, "users"));
    assert!(list <= family(&truth, "users") + 3 * progress as u64, "{list} list calls");
    assert_eq!(w.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn factors_denied_are_skipped_while_users_and_enrollments_complete_from_the_one_walk() {
    let mut cfg = org(63);
    cfg.faults.deny = vec!["factors".into()];
    let w = world(cfg, Duration::from_secs(600)).await;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    assert_eq!(job(&w, "factors")["status"], "skipped");
    assert_eq!(job(&w, "factors")["skip"], "forbidden");
    assert_eq!(job(&w, "authenticator_enrollments")["status"], "done");
    assert_equal_to_truth(&w, &["users", "authenticator_enrollments"]);
    assert!(w.stored_ids("factors").is_empty());
    let truth = w.sim.sim.truth(None);
    assert_eq!(calls(&w, LIST), family(&truth, "users"));
    // The 403 and the calls already in flight beside it (the fan-out's width), then none.
    assert!(calls(&w, FACTORS) <= okta_airsync::connector::Settings::default().fanout as u64, "{}", calls(&w, FACTORS));
    assert_eq!(w.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_left_out_of_the_sync_still_give_factors_and_enrollments_one_walk() {
    let w = world(org(64), Duration::from_secs(600)).await;
    let objects: serde_json::Map<String, Value> =
        okta_airsync::extract::ITEM_TYPES.iter().map(|t| (t.to_string(), json!({"extract": *t != "users"}))).collect();
    w.emu.emu.store.lock().unwrap().objects = Some(Value::Object(objects));
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    assert!(w.stored_ids("users").is_empty());
    assert_equal_to_truth(&w, &["factors", "authenticator_enrollments"]);
    // The plain list only (fewer than 200 users are DEPROVISIONED: their pass is one page,
    // and the users job, not selected, does not run it).
    let truth = w.sim.sim.truth(None);
    assert_eq!(calls(&w, LIST), family(&truth, "users") - 1);
    assert_eq!(w.violations(), Vec::<String>::new());
}
