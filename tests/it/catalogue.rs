//! Every event type of Okta's catalogue that changes a record the connector extracts reaches
//! DevRev after the next incremental sync: one row per event type, each a change made in the
//! simulated org (`/__sim/mutate`), then what DevRev holds is compared with the truth, ids and
//! the values the change moved. Also: a System Log cursor Okta refuses does not stick a sync.

use std::time::Duration;

use okta_sim::mutate::Mutation;
use okta_sim::{SimConfig, Sizes};
use serde_json::Value;

use crate::helpers::*;

fn org(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        sizes: Sizes { users: 60, groups: 8, apps: 5, devices: 15, log_events: 100, ..Sizes::default() },
        ..SimConfig::default()
    }
}

/// One change per event type (the event Okta logs for it in the comment).
fn rows() -> Vec<(&'static str, Mutation)> {
    let m = Mutation::none;
    vec![
        ("application.user_membership.update", Mutation { update_app_users: 2, ..m() }),
        ("application.user_membership.revoke", Mutation { revoke_app_users: 2, ..m() }),
        ("application.user_membership.deprovision", Mutation { deprovision_app_users: 2, ..m() }),
        ("application.user_membership.restore", Mutation { restore_app_users: 2, ..m() }),
        ("application.user_membership.remove", Mutation { unassign_app_users: 2, ..m() }),
        ("oauth2.as.created", Mutation { create_auth_servers: 1, ..m() }),
        ("oauth2.as.updated", Mutation { update_auth_servers: 1, ..m() }),
        ("oauth2.as.deactivated", Mutation { deactivate_auth_servers: 1, ..m() }),
        ("oauth2.as.activated", Mutation { activate_auth_servers: 1, ..m() }),
        ("oauth2.as.deleted", Mutation { delete_auth_servers: 1, ..m() }),
        ("policy.rule.add", Mutation { add_policy_rules: 1, ..m() }),
        ("device.user.add", Mutation { add_device_users: 2, ..m() }),
        ("device.user.remove", Mutation { remove_device_users: 2, ..m() }),
        ("user.account.update_primary_email", Mutation { update_primary_email: 2, ..m() }),
        ("user.account.update_profile", Mutation { users: 2, ..m() }),
        ("user.lifecycle.deactivate", Mutation { deactivate: 2, ..m() }),
        ("user.lifecycle.activate", Mutation { deactivate_reactivate: 2, ..m() }),
        ("user.lifecycle.reactivate", Mutation { resend_activation: 1, ..m() }),
        ("system.mfa.factor.deactivate", Mutation { deactivate_factor_types: vec!["sms".into()], ..m() }),
        ("system.mfa.factor.activate", Mutation { activate_factor_types: vec!["sms".into()], ..m() }),
    ]
}

/// The values a change moves, as the truth has them and as DevRev holds them.
fn assert_fields(w: &World, label: &str) {
    let truth = w.sim.sim.truth(None);
    let h = held(w);
    let f = &truth["fields"];
    let pairs: [(&str, &[(&str, &str)]); 4] = [
        ("app_user_assignments", &[("status", "status"), ("scope", "scope")]),
        ("authenticator_enrollments", &[]),
        ("users", &[("status", "status"), ("email", "email")]),
        ("devices", &[("status", "status")]),
    ];
    for (t, fields) in pairs {
        for (id, want) in f[t].as_object().into_iter().flatten() {
            let Some(r) = h.live[t].get(id) else { panic!("{label}: {t} {id} is not held") };
            for (truth_key, data_key) in fields.iter() {
                assert_eq!(&r["data"][data_key], &want[truth_key], "{label}: {t} {id} {data_key}");
            }
            if let Some(last) = want.get("last_updated").and_then(Value::as_str) {
                assert_eq!(r["modified_date"].as_str(), Some(last), "{label}: {t} {id} modified_date");
            }
        }
    }
    for (id, want) in f["authenticator_enrollments"].as_object().into_iter().flatten() {
        let d = &h.live["authenticator_enrollments"][id]["data"];
        let shown = d.get("email").or(d.get("phone_number_masked")).and_then(Value::as_str).unwrap_or("");
        let identifier = want["identifier"].as_str().unwrap_or("");
        if identifier.contains('@') {
            assert_eq!(shown, identifier, "{label}: enrollment {id} shows the user's email");
        }
    }
}

fn assert_holds(w: &World, label: &str) {
    let truth = w.sim.sim.truth(None);
    let h = held(w);
    assert!(h.backwards.is_empty(), "{label}: modified_date went backwards: {:?}", h.backwards);
    for t in okta_airsync::extract::ITEM_TYPES.iter().copied().filter(|t| *t != "system_logs") {
        let (want, got) = (w.truth_ids(&truth, t), h.ids(t));
        let missing: Vec<_> = want.difference(&got).take(5).collect();
        let extra: Vec<_> = got.difference(&want).take(5).collect();
        assert!(missing.is_empty() && extra.is_empty(), "{label}: {t}: missing {missing:?}, extra {extra:?}");
    }
    assert_fields(w, label);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_type_that_changes_a_record_reaches_devrev_after_the_next_sync() {
    let mut w = world(org(81), Duration::from_secs(600)).await;
    // The simulator's clock runs ahead of the worker's here (Okta's background removals land
    // seconds after their event): no upper bound from the worker's clock cuts events off.
    w.platform.extraction_end_time = None;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    assert_holds(&w, "initial");
    for (event, m) in rows() {
        let changed = w.sim.sim.mutate(&m);
        assert!(changed["logs"].as_array().is_some_and(|l| !l.is_empty()), "{event}: the change was logged: {changed}");
        w.sim.sim.clock.advance(5);
        let rep = w.platform.run_sync("INCREMENTAL").await;
        assert_eq!(rep.outcome, "DONE", "{event}: {rep:?}");
        assert_holds(&w, event);
    }
    assert_eq!(w.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_system_log_cursor_okta_refuses_does_not_stick_the_sync() {
    let mut w = world(org(82), Duration::from_secs(600)).await;
    w.platform.extraction_end_time = None;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    w.sim.sim.mutate(&Mutation { refuse_log_cursors: true, ..Mutation::none() });
    w.sim.sim.mutate(&Mutation { delete_devices: 1, unassign_app_users: 2, ..Mutation::none() });
    w.sim.sim.clock.advance(5);
    let rep = w.platform.run_sync("INCREMENTAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    let st = w.platform.state_section("su1", okta_airsync::connector::OktaConnector::STATE_KEY);
    assert!(st["job.system_logs"]["note"].as_str().is_some_and(|n| n.contains("refused")), "{}", st["job.system_logs"]);
    assert_holds(&w, "after a refused cursor");
}
