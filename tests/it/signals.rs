//! Signals for access reviews: app sign-ins built from the System Log's SSO events, group
//! rules and the org's sign-in configuration. A full sync equals the truth field by field; sign-ins
//! added later reach DevRev with their new time, and cost no call beyond the log's pages.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use okta_sim::mutate::Mutation;
use okta_sim::{SimConfig, Sizes};
use serde_json::Value;

use crate::helpers::*;

fn org(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        sizes: Sizes { users: 80, groups: 12, apps: 6, devices: 5, log_events: 800, ..Sizes::default() },
        ..SimConfig::default()
    }
}

/// Per new item type, the truth's field and the record's.
const FIELDS: [(&str, &[(&str, &str)]); 6] = [
    ("app_sign_ins", &[("last_sign_in_at", "last_sign_in_at"), ("device", "device"), ("zone", "zone")]),
    ("group_rules", &[("status", "status"), ("name", "name")]),
    ("authenticators", &[("key", "key"), ("status", "status")]),
    ("network_zones", &[("status", "status"), ("type", "zone_type")]),
    ("identity_providers", &[("status", "status"), ("type", "idp_type")]),
    ("trusted_origins", &[("status", "status"), ("origin", "origin")]),
];

fn assert_fields_equal_truth(w: &World, label: &str) {
    let truth = w.sim.sim.truth(None);
    let h = held(w);
    for (t, pairs) in FIELDS {
        assert_eq!(h.ids(t), w.truth_ids(&truth, t), "{label}: {t} ids");
        let want = truth["fields"][t].as_object().unwrap_or_else(|| panic!("the truth has {t}'s fields"));
        assert!(!want.is_empty(), "{t}: the org has some");
        for (id, wf) in want {
            let d = &h.live[t][id]["data"];
            for (truth_key, data_key) in pairs.iter() {
                let w = wf.get(*truth_key).unwrap_or(&Value::Null);
                assert_eq!(d.get(*data_key).unwrap_or(&Value::Null), w, "{label}: {t} {id} {data_key}");
            }
        }
    }
}

/// Calls per route since `before` (a stats snapshot), the System Log's left out.
fn calls_since(w: &World, before: &Value) -> BTreeMap<String, u64> {
    let now = w.sim.sim.stats();
    let count = |s: &Value, r: &str| s["routes"][r]["calls"].as_u64().unwrap_or(0);
    now["routes"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|r| !r.contains("/api/v1/logs"))
        .map(|r| (r.clone(), count(&now, r) - count(before, r)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_item_types_equal_the_truth_field_by_field() {
    let w = world(org(91), Duration::from_secs(600)).await;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    assert_fields_equal_truth(&w, "initial");
    assert_eq!(w.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_sign_ins_reach_devrev_with_their_time_at_no_call_beyond_the_log_pages() {
    let mut w = world(org(92), Duration::from_secs(600)).await;
    w.platform.extraction_end_time = None;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    // A quiet incremental sync: the calls every incremental sync makes.
    w.sim.sim.clock.advance(5);
    let before = w.sim.sim.stats();
    assert_eq!(w.platform.run_sync("INCREMENTAL").await.outcome, "DONE");
    let quiet = calls_since(&w, &before);

    // One pair that signed in before signs in again; others sign in; some sign-ins fail.
    let held_before = held(&w).live["app_sign_ins"].clone();
    let (again, earlier) = held_before.iter().next().map(|(id, r)| (id.clone(), r["data"]["last_sign_in_at"].clone())).unwrap();
    let (app, user) = again.split_once(':').unwrap();
    let sent_before = w.emu.emu.store.lock().unwrap().records("app_sign_ins").len();
    w.sim.sim.clock.advance(60);
    let changed = w.sim.sim.mutate(&Mutation {
        sign_ins: 5,
        sign_in_pairs: vec![(app.to_string(), user.to_string())],
        failed_sign_ins: 3,
        ..Mutation::none()
    });
    let moved: BTreeSet<String> = changed["sign_ins"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert!(moved.contains(&again) && moved.len() >= 4, "{changed}");
    w.sim.sim.clock.advance(5);
    let before = w.sim.sim.stats();
    assert_eq!(w.platform.run_sync("INCREMENTAL").await.outcome, "DONE");

    // Exactly the pairs whose latest sign-in moved were sent, each with its new time.
    let sent: Vec<Value> = w.emu.emu.store.lock().unwrap().records("app_sign_ins").into_iter().skip(sent_before).collect();
    let ids: BTreeSet<String> = sent.iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, moved, "the sign-ins sent are the pairs that signed in");
    assert_eq!(sent.len(), moved.len(), "each once");
    let truth = w.sim.sim.truth(None);
    for r in &sent {
        let id = r["id"].as_str().unwrap();
        assert_eq!(r["data"]["last_sign_in_at"], truth["fields"]["app_sign_ins"][id]["last_sign_in_at"], "{id}");
    }
    let now_at = &held(&w).live["app_sign_ins"][&again]["data"]["last_sign_in_at"];
    assert!(now_at.as_str() > earlier.as_str(), "{again}: {earlier} then {now_at}");
    assert_fields_equal_truth(&w, "after sign-ins");
    // No call beyond the log's pages: the same calls as the quiet sync.
    assert_eq!(calls_since(&w, &before), quiet);
    assert_eq!(w.violations(), Vec::<String>::new());
}
