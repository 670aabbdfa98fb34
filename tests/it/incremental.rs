//! Incremental syncs driven by the System Log: after a full sync and a sequence of changes
//! (deletions, removals, factor resets, role grants and revokes), what DevRev holds equals the
//! simulator's truth, deletions included; with the log denied, the log-driven entities fall
//! back to a full reading and say so.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use okta_sim::mutate::Mutation;
use okta_sim::{SimConfig, Sizes};
use serde_json::Value;

use crate::helpers::*;

/// The item types this test compares (the System Log is append-only).
fn types() -> impl Iterator<Item = &'static str> {
    okta_airsync::extract::ITEM_TYPES.iter().copied().filter(|t| *t != "system_logs")
}

fn assert_holds_truth(w: &World, label: &str) {
    let truth = w.sim.sim.truth(None);
    let h = held(w);
    assert!(h.backwards.is_empty(), "{label}: modified_date went backwards for {:?}", h.backwards.iter().take(5).collect::<Vec<_>>());
    for t in types() {
        let want = w.truth_ids(&truth, t);
        let got = h.ids(t);
        assert_eq!(
            got,
            want,
            "{label}: {t}: missing {:?} extra {:?}",
            want.difference(&got).take(5).collect::<Vec<_>>(),
            got.difference(&want).take(5).collect::<Vec<_>>()
        );
    }
    // Every deleted object reached DevRev as a tombstone.
    for t in ["users", "groups", "applications", "devices"] {
        let deleted: BTreeSet<String> =
            truth["deleted"][t]["ids"].as_array().into_iter().flatten().map(|v| v.as_str().unwrap().to_string()).collect();
        let missing: Vec<_> = deleted.iter().filter(|id| !h.gone[t].contains(id.as_str()) && h.live[t].contains_key(id.as_str())).collect();
        assert!(missing.is_empty(), "{label}: deleted {t} still live in DevRev: {missing:?}");
    }
}

fn state(w: &World) -> Value {
    w.platform.state_section("su1", okta_airsync::connector::OktaConnector::STATE_KEY)
}

fn changes(round: usize) -> Mutation {
    Mutation {
        users: 2,
        groups: 2,
        logs: 10,
        devices: 1,
        delete_devices: 1,
        delete_users: 1,
        delete_groups: usize::from(round == 1),
        delete_apps: usize::from(round == 2),
        remove_members: 2,
        unassign_app_users: 2,
        reset_factors: 2,
        grant_roles: 1,
        revoke_roles: 1,
        ..Mutation::none()
    }
}

fn org(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        sizes: Sizes { users: 80, groups: 10, apps: 6, devices: 20, log_events: 300, ..Sizes::default() },
        ..SimConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_driven_incremental_syncs_keep_devrev_equal_to_the_truth_deletions_included() {
    for seed in [31, 32, 33] {
        let w = world(org(seed), Duration::from_secs(600)).await;
        assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
        assert_holds_truth(&w, &format!("seed {seed}, initial"));
        w.sim.sim.reset_stats();
        let initial_calls = {
            let w2 = world(org(seed), Duration::from_secs(600)).await;
            assert_eq!(w2.platform.run_sync("INITIAL").await.outcome, "DONE");
            w2.sim_calls()
        };
        for round in 0..3 {
            w.sim.sim.mutate(&changes(round));
            w.sim.sim.reset_stats();
            let rep = w.platform.run_sync("INCREMENTAL").await;
            assert_eq!(rep.outcome, "DONE", "{rep:?}");
            let label = format!("seed {seed}, round {round}");
            assert_holds_truth(&w, &label);
            let s = state(&w);
            for j in ["factors", "apps", "roles", "policies"] {
                assert_eq!(s[format!("job.{j}")]["mode"], "log-driven", "{label}: {j}");
            }
            let calls = w.sim_calls();
            assert!(calls * 2 < initial_calls, "{label}: an incremental run costs {calls} calls, a full one {initial_calls}");
            // Factors: one call per user an event names (2 resets, 1 deleted user), not per user.
            let factor_calls = s["job.factors"]["api_calls"].as_u64().unwrap();
            assert!(factor_calls <= 4, "{label}: factors cost {factor_calls} calls");
            let tombstones: u64 = Job::names()
                .iter()
                .map(|j| s[format!("job.{j}")]["tombstones"].as_object().map_or(0, |m| m.values().map(|v| v.as_u64().unwrap()).sum()))
                .sum();
            assert!(tombstones > 0, "{label}: deletions were sent as tombstones");
        }
        assert_eq!(w.violations(), Vec::<String>::new());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_system_log_denied_incremental_syncs_fall_back_to_full_readings_and_say_so() {
    let mut cfg = org(41);
    cfg.faults.deny = vec!["logs".into()];
    let w = world(cfg, Duration::from_secs(600)).await;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    for round in 0..2 {
        // Changes a full reading sees: factor resets, role grants and revokes, new members.
        let m = Mutation { users: 2, groups: 2, reset_factors: 2, grant_roles: 1, revoke_roles: 1, ..Mutation::none() };
        w.sim.sim.mutate(&m);
        let rep = w.platform.run_sync("INCREMENTAL").await;
        assert_eq!(rep.outcome, "DONE", "{rep:?}");
        let s = state(&w);
        assert_eq!(s["job.system_logs"]["status"], "skipped");
        for j in ["factors", "apps", "roles", "policies"] {
            let job = &s[format!("job.{j}")];
            assert_eq!(job["mode"], "fallback", "round {round}: {j}: {job}");
            assert!(job["note"].as_str().unwrap().starts_with("fallback: System Log denied (403)"), "{job}");
        }
        let truth = w.sim.sim.truth(None);
        let h = held(&w);
        // A full re-reading compares with the ids remembered: reset factors and revoked roles
        // are tombstoned without the log.
        for t in ["factors", "iam_role_members", "applications", "app_user_assignments", "policies", "group_members"] {
            let want = w.truth_ids(&truth, t);
            let got = h.ids(t);
            if ["factors", "iam_role_members"].contains(&t) {
                assert_eq!(got, want, "round {round}: {t}");
            } else {
                let missing: Vec<_> = want.difference(&got).take(5).collect();
                assert!(missing.is_empty(), "round {round}: {t}: missing {missing:?}");
            }
        }
    }
    assert_eq!(w.violations(), Vec::<String>::new());
}

/// The job names, for summing the tombstones.
struct Job;

impl Job {
    fn names() -> Vec<&'static str> {
        okta_airsync::connector::JOBS.iter().map(|(j, _)| *j).collect()
    }
}

#[tokio::test(start_paused = true)]
async fn a_deactivated_user_s_factors_and_enrollments_are_tombstoned_when_too_many_to_remember() {
    // More factors than the state remembers: the deactivated users' factors and enrollments
    // are listed once more to be tombstoned, not left live in DevRev. (The paused clock: the
    // client's pacing of the org's cumulative limit costs no real time.)
    let sizes = Sizes { users: 1500, groups: 10, apps: 6, devices: 20, log_events: 300, ..Sizes::default() };
    let w = paused_world(SimConfig { seed: 34, sizes, ..SimConfig::default() }).await;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    let s = state(&w);
    for t in ["factors", "authenticator_enrollments"] {
        assert_ne!(s[format!("known.{t}")]["complete"], true, "{t}: this org must hold more than the state remembers");
    }
    let changed = w.sim.sim.mutate(&Mutation { deactivate: 8, ..Mutation::none() });
    let deactivated: BTreeSet<String> = changed["users"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert!(!deactivated.is_empty(), "{changed}");
    assert_eq!(w.platform.run_sync("INCREMENTAL").await.outcome, "DONE");
    assert_holds_truth(&w, "after the deactivations");
    let h = held(&w);
    for t in ["factors", "authenticator_enrollments"] {
        let gone = h.gone[t].iter().filter(|id| deactivated.iter().any(|u| id.starts_with(&format!("{u}:")))).count();
        assert!(gone > 0, "{t}: the deactivated users' records were tombstoned");
    }
}

/// The benchmark behind scripts/bench-incremental.sh (release build; ignored in the suite):
/// a full sync of an R10k-sized org, 1 % of it changed (users, memberships, factors, app and
/// role assignments, deletions included), then an incremental sync; prints its API calls as a
/// share of the full sync's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench-incremental.sh"]
async fn bench_incremental_calls_after_changing_one_percent_of_an_r10k_org() {
    let users: usize = std::env::var("BENCH_USERS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let mut cfg = SimConfig {
        seed: 10,
        sizes: Sizes { users, groups: 500, apps: 100, devices: 2000, log_events: 50_000, ..Sizes::default() },
        ..SimConfig::default()
    };
    cfg.faults.rate_limit_per_min = Some(100_000_000);
    let w = world(cfg, Duration::from_secs(3600)).await;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    let full = w.sim_calls();
    let full_jobs = state(&w);
    let pct = users / 100;
    let m = Mutation {
        users: pct * 3 / 10,
        deactivate: pct / 10,
        delete_users: pct / 10,
        groups: 5,
        remove_members: pct / 5,
        unassign_app_users: pct / 5,
        reset_factors: pct * 3 / 10,
        grant_roles: 5,
        revoke_roles: 5,
        devices: pct / 10,
        delete_devices: pct / 10,
        delete_groups: 2,
        delete_apps: 1,
        ..Mutation::none()
    };
    let changed = w.sim.sim.mutate(&m);
    w.sim.sim.reset_stats();
    assert_eq!(w.platform.run_sync("INCREMENTAL").await.outcome, "DONE");
    let inc = w.sim_calls();
    let s = state(&w);
    println!(
        "changed: {}",
        serde_json::to_string(
            &changed.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_array().map_or(0, Vec::len))).collect::<BTreeMap<_, _>>()
        )
        .unwrap()
    );
    println!("{:<12} {:>12} {:>12} {:>10}  read", "job", "full calls", "incr calls", "tombstones");
    for j in Job::names() {
        let job = &s[format!("job.{j}")];
        let read = match job["mode"].as_str().unwrap_or("") {
            "fallback" => job["note"].as_str().unwrap_or("").to_string(),
            m => m.to_string(),
        };
        let tomb: u64 = job["tombstones"].as_object().map_or(0, |m| m.values().map(|v| v.as_u64().unwrap()).sum());
        println!("{j:<12} {:>12} {:>12} {tomb:>10}  {read}", full_jobs[format!("job.{j}")]["api_calls"], job["api_calls"]);
    }
    let share = inc as f64 * 100.0 / full as f64;
    println!("BENCH full sync {full} API calls, incremental {inc} API calls: {share:.1} % of the full sync's");
    assert!(share <= 10.0, "{share:.1} %");
}
