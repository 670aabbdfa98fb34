//! Policies in a log-driven run cost calls only for what the System Log names: no policy,
//! rule or authorization-server event, no call; a rule added to a policy, that policy read
//! alone and sent with the new rule; a server event, the servers' policies and no policy list.

use std::time::Duration;

use okta_sim::mutate::Mutation;
use okta_sim::{SimConfig, Sizes};
use serde_json::Value;

use crate::helpers::*;

fn org(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        sizes: Sizes { users: 80, groups: 10, apps: 6, devices: 20, log_events: 300, ..Sizes::default() },
        ..SimConfig::default()
    }
}

/// Calls to the policies and authorization servers' routes (`/api/v1/authorizationServers…`:
/// the simulator's templates make a long segment `{id}`).
fn policy_calls(w: &World) -> Vec<(String, u64)> {
    let stats = w.sim.sim.stats();
    let routes = stats["routes"].as_object().unwrap();
    routes
        .iter()
        .filter(|(r, _)| r.starts_with("GET /api/v1/policies") || r.starts_with("GET /api/v1/{id}"))
        .map(|(r, s)| (r.clone(), s["calls"].as_u64().unwrap()))
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn job(w: &World, name: &str) -> Value {
    w.platform.state_section("su1", okta_airsync::connector::OktaConnector::STATE_KEY)[format!("job.{name}")].clone()
}

fn assert_policies_equal_truth(w: &World) {
    let truth = w.sim.sim.truth(None);
    assert_eq!(held(w).ids("policies"), w.truth_ids(&truth, "policies"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_driven_run_without_a_policy_event_makes_no_policy_call() {
    let w = world(org(71), Duration::from_secs(600)).await;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    assert!(!policy_calls(&w).is_empty(), "a full reading lists the policies");
    w.sim.sim.mutate(&Mutation { users: 2, groups: 2, reset_factors: 1, delete_users: 1, grant_roles: 1, ..Mutation::none() });
    w.sim.sim.reset_stats();
    assert_eq!(w.platform.run_sync("INCREMENTAL").await.outcome, "DONE");
    assert_eq!(job(&w, "policies")["mode"], "log-driven");
    assert_eq!(policy_calls(&w), Vec::<(String, u64)>::new());
    assert_eq!(job(&w, "policies")["api_calls"], 0);
    assert_policies_equal_truth(&w);
    assert_eq!(w.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_added_to_a_policy_sends_that_policy_alone_with_the_new_rule() {
    let w = world(org(72), Duration::from_secs(600)).await;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    let changed = w.sim.sim.mutate(&Mutation { add_policy_rules: 1, users: 1, ..Mutation::none() });
    let pid = changed["policies_with_a_rule_added"][0].as_str().unwrap().to_string();
    let before = held(&w).live["policies"][&pid]["data"]["rule_count"].as_u64().unwrap();
    w.sim.sim.reset_stats();
    assert_eq!(w.platform.run_sync("INCREMENTAL").await.outcome, "DONE");
    // The policy alone, its rules embedded; no listing, no authorization server.
    let calls = policy_calls(&w);
    assert_eq!(calls, vec![("GET /api/v1/policies/{id}".to_string(), 1)], "{calls:?}");
    let sent = &held(&w).live["policies"][&pid];
    assert_eq!(sent["data"]["rule_count"].as_u64().unwrap(), before + 1, "{sent}");
    assert!(sent["data"]["rules"].as_str().unwrap().contains("Added rule"), "{sent}");
    assert_policies_equal_truth(&w);
    assert_eq!(w.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_server_events_read_the_servers_policies_and_no_policy_list() {
    let w = world(org(73), Duration::from_secs(600)).await;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    w.sim.sim.mutate(&Mutation { create_auth_servers: 1, ..Mutation::none() });
    w.sim.sim.reset_stats();
    assert_eq!(w.platform.run_sync("INCREMENTAL").await.outcome, "DONE");
    assert!(policy_calls(&w).iter().all(|(r, _)| !r.starts_with("GET /api/v1/policies")), "{:?}", policy_calls(&w));
    assert_policies_equal_truth(&w);
    // A deleted server's policies get their tombstones at the round's end.
    w.sim.sim.mutate(&Mutation { delete_auth_servers: 1, ..Mutation::none() });
    w.sim.sim.reset_stats();
    assert_eq!(w.platform.run_sync("INCREMENTAL").await.outcome, "DONE");
    assert!(policy_calls(&w).iter().all(|(r, _)| !r.starts_with("GET /api/v1/policies")), "{:?}", policy_calls(&w));
    assert_policies_equal_truth(&w);
    assert_eq!(w.violations(), Vec::<String>::new());
}
