//! A real org moves while it is read (issue 13): parents deleted mid fan-out, pages that
//! shift, unlicensed features. The simulator churns on its own clock; its truth at the end
//! lists what still exists and what went away.

use std::collections::BTreeSet;
use std::time::Duration;

use okta_airsync::extract::ITEM_TYPES;
use okta_sim::{Faults, SimConfig, Sizes};
use serde_json::Value;

use crate::helpers::*;

fn state(w: &World) -> Value {
    w.platform.state_section("su1", okta_airsync::connector::OktaConnector::STATE_KEY)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_during_a_full_sync_ends_done_with_every_surviving_record_and_counts_vanished_parents() {
    // 3 000 users (an R10k org takes minutes in a debug build; this one well under a minute).
    let cfg = SimConfig {
        seed: 77,
        sizes: Sizes { users: 3000, groups: 120, apps: 30, devices: 300, log_events: 1500, ..Sizes::default() },
        // With the simulator's limits lifted the full sync takes seconds, not the hours a real
        // org's would: the churn is as fast in proportion, so that parents vanish mid fan-out.
        faults: Faults { churn_per_min: 1500.0, ..Faults::default() },
        ..SimConfig::default()
    };
    let w = world(cfg, Duration::from_secs(600)).await;
    let rep = w.platform.run_sync("INITIAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    let truth = w.sim.sim.truth(None);
    let deleted = |t: &str| -> BTreeSet<String> {
        truth["deleted"][t]["ids"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect()
    };
    let gone: usize = ["users", "groups", "applications", "devices"].iter().map(|t| deleted(t).len()).sum();
    println!("parents deleted during the sync: {gone}; deleted: {}", truth["deleted"]);
    assert!(gone > 0, "the org churned during the sync");
    // System Log events the churn wrote after the logs job caught up belong to the next sync.
    for t in ITEM_TYPES.iter().filter(|t| **t != "system_logs") {
        let want = w.truth_ids(&truth, t);
        let got = w.stored_ids(t);
        let missing: Vec<_> = want.difference(&got).take(5).collect();
        assert!(missing.is_empty(), "{t}: records of objects that still exist are missing: {missing:?}");
    }
    for t in ["groups", "applications", "devices"] {
        let extra: Vec<_> = w.stored_ids(t).difference(&w.truth_ids(&truth, t)).cloned().collect();
        let unexplained: Vec<_> = extra.iter().filter(|id| !deleted(t).contains(*id)).collect();
        assert!(unexplained.is_empty(), "{t}: extracted, neither existing nor deleted: {unexplained:?}");
    }
    let st = state(&w);
    let vanished: u64 = okta_airsync::connector::Job::ALL.iter().map(|j| st[j.state_key()]["parents_gone"].as_u64().unwrap_or(0)).sum();
    println!("parents gone mid-run, as counted: {vanished}");
    assert!(vanished > 0, "the state counts the parents that vanished: {st}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlicensed_roles_devices_and_one_policy_type_end_done_skipped_as_not_licensed() {
    let mut cfg = small(15);
    cfg.faults.unlicensed = vec!["roles".into(), "devices".into(), "policies:ACCESS_POLICY".into()];
    let w = world(cfg, Duration::from_secs(600)).await;
    let rep = w.platform.run_sync("INITIAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    let st = state(&w);
    for j in ["roles", "devices"] {
        assert_eq!(st[format!("job.{j}")]["status"], "skipped", "{j}: {}", st[format!("job.{j}")]);
        assert!(st[format!("job.{j}")]["note"].as_str().unwrap().contains("not licensed"), "{j}: {}", st[format!("job.{j}")]);
    }
    let policies = &st["job.policies"];
    assert_eq!(policies["status"], "done", "{policies}");
    let truth = w.sim.sim.truth(None);
    let want: BTreeSet<String> = w.truth_ids(&truth, "policies");
    let got = w.stored_ids("policies");
    assert!(!got.is_empty() && got.is_subset(&want), "the other policy types are extracted");
    assert_eq!(w.stored_ids("users"), w.truth_ids(&truth, "users"));
}
