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

/// The org size of the churn run: an R10k-sized org, 10 000 users (`CHURN_E2E_USERS` sets
/// another), with groups, apps and devices in proportion.
fn churn_sizes() -> Sizes {
    let users = std::env::var("CHURN_E2E_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000usize);
    Sizes {
        users,
        groups: (users / 25).max(12),
        apps: (users / 100).max(6),
        devices: users / 10,
        log_events: users / 2,
        ..Sizes::default()
    }
}

fn ids_of(v: &Value) -> BTreeSet<String> {
    v["ids"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect()
}

#[tokio::test(start_paused = true)]
async fn churn_during_a_full_sync_ends_done_with_every_surviving_record_and_counts_vanished_parents() {
    let sizes = churn_sizes();
    let parents = (sizes.users + sizes.groups + sizes.apps + sizes.devices) as u64;
    // A third of the churn's changes delete an object (users, groups, apps, devices): about
    // 1% of the parents go; the others deactivate users and devices (pages shift) and remove
    // memberships and assignments. The churn stops after that many changes, so that the org
    // at the end is well defined. The sync runs on the paused clock (the client's pacing of
    // the org's cumulative limit costs no real time), so the churn goes by calls: one change
    // every so many requests, ending at about four fifths of a full sync's calls. Its
    // deletions are aimed at what the latest list pages served, so that they fall between a
    // parent's list call and its child calls, as an hours-long sync meets them.
    let limit = parents * 3 / 100;
    let min_calls =
        okta_sim::Sim::new(SimConfig { seed: 77, sizes, ..SimConfig::default() }).truth(None)["min_api_calls"].as_u64().unwrap();
    let cfg = SimConfig {
        seed: 77,
        sizes,
        faults: Faults {
            churn_every_calls: Some(min_calls * 4 / 5 / limit.max(1)),
            churn_limit: Some(limit),
            churn_aim: true,
            ..Faults::default()
        },
        ..SimConfig::default()
    };
    let mut w = paused_world(cfg).await;
    // A platform that sends no upper bound (`extraction_end_time`): the run ends with its
    // catch-up round, so one run leaves DevRev with the org as it is at the end. Under a bound,
    // what changed after it is the next run's (tests/it/time_scoped.rs).
    w.world.platform.extraction_end_time = None;
    let started = std::time::Instant::now();
    let rep = w.platform.run_sync("INITIAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    let stats = w.sim.sim.stats();
    let truth = w.sim.sim.truth(None);
    let gone: usize = ["users", "groups", "applications", "devices"].iter().map(|t| ids_of(&truth["deleted"][t]).len()).sum();
    println!(
        "churn: {parents} parents, {} changes, {gone} parents deleted ({:.2}%); sync {:.1} s, {} invocations, {} API calls",
        stats["churn_changes"],
        gone as f64 * 100.0 / parents as f64,
        started.elapsed().as_secs_f64(),
        rep.invocations,
        stats["total_calls"]
    );
    assert_eq!(stats["churn_changes"], limit, "the churn ran to its end during the sync");
    assert!(gone as u64 * 200 >= parents, "about 1% of the parents were deleted: {gone} of {parents}");

    // What DevRev holds (latest record per id, tombstones applied) is the org at the end.
    let h = held(&w);
    for t in ITEM_TYPES.iter().filter(|t| **t != "system_logs") {
        let (want, got) = (w.truth_ids(&truth, t), h.ids(t));
        let missing: Vec<_> = want.difference(&got).take(5).collect();
        let extra: Vec<_> = got.difference(&want).take(5).collect();
        assert!(missing.is_empty() && extra.is_empty(), "{t}: missing {missing:?}, extra {extra:?}");
    }
    for t in ["users", "groups", "applications", "devices"] {
        let live: Vec<_> = ids_of(&truth["deleted"][t]).into_iter().filter(|id| h.live[t].contains_key(id)).take(5).collect();
        assert!(live.is_empty(), "deleted {t} still live in DevRev: {live:?}");
    }
    // Every record of what still exists carries the values it has at the end.
    let f = &truth["fields"];
    for (id, want) in f["users"].as_object().unwrap() {
        let r = &h.live["users"][id];
        assert_eq!((&r["data"]["status"], &r["modified_date"]), (&want["status"], &want["last_updated"]), "user {id}");
    }
    for (id, want) in f["devices"].as_object().unwrap() {
        let r = &h.live["devices"][id];
        assert_eq!((&r["data"]["status"], &r["modified_date"]), (&want["status"], &want["last_updated"]), "device {id}");
    }
    for (id, want) in f["groups"].as_object().unwrap() {
        let d = &h.live["groups"][id]["data"];
        assert_eq!(
            (&d["group_type"], d.get("source_app_id").unwrap_or(&Value::Null)),
            (&want["type"], &want["source_app_id"]),
            "group {id}"
        );
    }

    // The run says how many parents vanished under it, and its catch-up round ran.
    let st = state(&w);
    let vanished: u64 = okta_airsync::connector::JOBS.iter().map(|(j, _)| okta_airsync::demo::report::parents_gone_of(&st, j)).sum();
    println!("parents gone mid-run, as counted: {vanished}");
    let per_job: Vec<(&str, u64)> =
        okta_airsync::connector::JOBS.iter().map(|(j, _)| (*j, okta_airsync::demo::report::parents_gone_of(&st, j))).collect();
    assert!(vanished > 0, "the state counts the parents that vanished: {per_job:?}");
    assert_eq!(st["catch_up.job.users"]["status"], "done", "{}", st["catch_up.job.users"]);
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
