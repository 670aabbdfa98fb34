//! [mirror] What DevRev holds stays what Okta holds over rounds of ordinary changes, at a size
//! where the index spills out of the state (2 000 users, more than 1 000 factors): a full sync,
//! then rounds of `/__sim/mutate` and an incremental sync: a log-driven round, one with the
//! full reconciliation due, one with the System Log denied, one resetting the factors of more
//! than 1 000 users. Judged as DevRev applies records: in arrival order, a tombstone taking a
//! record away, nothing cascading; and no record's `modified_date` goes backwards.
//!
//! CI runs one seed with the simulator logging and not logging per-edge events for a
//! deactivation's side effects; `MIRROR_SEEDS=a,b,c` runs more (scripts/mirror.sh).

use std::collections::BTreeSet;

use okta_sim::mutate::Mutation;
use okta_sim::{SimConfig, Sizes};
use serde_json::Value;

use crate::helpers::*;

fn org(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        sizes: Sizes { users: 2_000, groups: 40, apps: 12, devices: 60, log_events: 400, ..Sizes::default() },
        ..SimConfig::default()
    }
}

/// An ordinary week in the org: people join, leave, come back; memberships, assignments and
/// roles move; factors are reset.
fn ordinary(round: usize) -> Mutation {
    Mutation {
        users: 5,
        groups: 3,
        logs: 20,
        devices: 2,
        delete_devices: 2,
        deactivate: 6,
        deactivate_reactivate: 2,
        reactivate: 2,
        delete_users: 2,
        delete_groups: 1,
        delete_apps: usize::from(round % 2 == 0),
        remove_members: 5,
        unassign_app_users: 5,
        reset_factors: 5,
        grant_roles: 2,
        revoke_roles: 2,
        ..Mutation::none()
    }
}

fn assert_holds_truth(w: &World, label: &str) {
    let truth = w.sim.sim.truth(None);
    let h = held(w);
    assert!(h.backwards.is_empty(), "{label}: modified_date went backwards for {:?}", h.backwards.iter().take(5).collect::<Vec<_>>());
    for t in okta_airsync::extract::ITEM_TYPES.iter().copied().filter(|t| *t != "system_logs") {
        let want = w.truth_ids(&truth, t);
        let got = h.ids(t);
        let missing: Vec<_> = want.difference(&got).take(5).collect();
        let extra: Vec<_> = got.difference(&want).take(5).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{label}: {t}: {} missing {missing:?}, {} extra {extra:?}",
            want.difference(&got).count(),
            got.difference(&want).count()
        );
    }
}

/// Ages the stored time of the last full reconciliation past `full_reconciliation_days`.
fn age_reconciliation(w: &World) {
    let mut st = w.emu.emu.store.lock().unwrap();
    let key = st.states.keys().next().cloned().unwrap();
    let mut state: Value = serde_json::from_str(&st.states[&key]).unwrap();
    let section = okta_airsync::connector::OktaConnector::STATE_KEY;
    assert!(state[section]["edges_reconciled"].is_string(), "the initial sync stored its reconciliation");
    state[section]["edges_reconciled"] = Value::String("2020-01-01T00:00:00.000Z".into());
    st.states.insert(key, state.to_string());
}

async fn rounds(seed: u64, log_side_effect_edges: bool) {
    let mut w = paused_world(org(seed)).await;
    // The simulator's clock follows the paused one, ahead of the worker's: no upper bound
    // from the worker's clock cuts its events off.
    w.world.platform.extraction_end_time = None;
    w.sim.sim.set_log_side_effect_edges(log_side_effect_edges);
    let label = |r: &str| format!("seed {seed}, per-edge events {log_side_effect_edges}, {r}");
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    assert_holds_truth(&w, &label("initial"));
    let factors = w.truth_ids(&w.sim.sim.truth(None), "factors").len();
    assert!(factors > 1_000, "the org has more factors than the old memory held ({factors})");
    for (round, what) in ["log-driven", "reconciliation due", "System Log denied", "1 100 factor resets"].into_iter().enumerate() {
        let mut m = ordinary(round);
        match what {
            "reconciliation due" => age_reconciliation(&w),
            "System Log denied" => w.sim.sim.set_denied(vec!["logs".into()]),
            "1 100 factor resets" => m.reset_factors = 1_100,
            _ => {}
        }
        w.sim.sim.mutate(&m);
        // Okta's background removals land after the lifecycle event.
        w.sim.sim.clock.advance(5);
        let rep = w.platform.run_sync("INCREMENTAL").await;
        assert_eq!(rep.outcome, "DONE", "{}: {rep:?}", label(what));
        w.sim.sim.set_denied(Vec::new());
        assert_holds_truth(&w, &label(what));
    }
    let v: BTreeSet<String> = w.violations().into_iter().collect();
    assert!(v.is_empty(), "{}: {v:?}", label("violations"));
}

fn seeds() -> Vec<u64> {
    std::env::var("MIRROR_SEEDS")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .filter(|v: &Vec<u64>| !v.is_empty())
        .unwrap_or_else(|| vec![61])
}

#[tokio::test(start_paused = true)]
async fn devrev_holds_the_org_after_every_round_of_ordinary_changes() {
    for seed in seeds() {
        rounds(seed, false).await;
        rounds(seed, true).await;
    }
}
