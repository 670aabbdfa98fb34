//! The Okta connector under DevRev's platform rules: the user's choice of item types, the
//! platform's time window, and the `ERROR_CODE=` prefixes of persistent conditions.

use std::time::Duration;

use okta_airsync::connector::OktaConnector;
use serde_json::{json, Value};

use crate::helpers::*;

fn error_message(r: &devrev_emu::store::Received) -> String {
    r.body["event_data"]["error"]["message"].as_str().unwrap_or("").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_users_and_groups_chosen_makes_no_call_for_anything_else() {
    let w = world(small(41), Duration::from_secs(600)).await;
    let objects: serde_json::Map<String, Value> =
        okta_airsync::extract::ITEM_TYPES.iter().map(|t| (t.to_string(), json!({ "extract": *t == "users" || *t == "groups" }))).collect();
    w.emu.emu.store.lock().unwrap().objects = Some(Value::Object(objects));
    w.sim.sim.reset_stats();
    let rep = w.platform.run_sync("INITIAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    let truth = w.sim.sim.truth(None);
    for t in ["users", "groups"] {
        assert_eq!(w.stored_ids(t), w.truth_ids(&truth, t), "{t}");
    }
    let st = w.emu.emu.store.lock().unwrap();
    let uploaded: Vec<String> = st.artifact_counts().keys().filter(|t| !devrev_emu::store::is_special(t)).cloned().collect();
    assert_eq!(uploaded, ["groups", "users"], "only the chosen item types are uploaded");
    assert_eq!(st.violations, Vec::<String>::new());
    drop(st);
    let stats = w.sim.sim.stats();
    let routes: Vec<&String> = stats["routes"].as_object().unwrap().keys().collect();
    for family in ["factors", "apps", "policies", "devices", "logs", "roles", "iam"] {
        assert!(!routes.iter().any(|r| r.contains(family)), "a call for {family}: {routes:?}");
    }
    let state = w.platform.state_section("su1", OktaConnector::STATE_KEY);
    assert_eq!(state["job.factors"]["skipped"]["factors"], "not selected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_from_bounds_an_incremental_sync_only_with_reset_extract_from() {
    let mut w = world(small(42), Duration::from_secs(600)).await;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    let five_min = chrono::Duration::minutes(5);
    let minus_overlap = |t: &str| {
        let t = chrono::DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&chrono::Utc);
        okta_airsync::airsync::artifacts::iso_millis(&(t - five_min))
    };
    let start_at = chrono::Utc::now() - chrono::Duration::days(1);
    let start = okta_airsync::airsync::artifacts::iso_millis(&start_at);
    w.platform.extraction_start_time = Some(json!({"type": "absolute_time", "value": start}));

    // Without reset_extract_from, an incremental sync goes on from the last one (the earlier of
    // its start and its upper bound, extract_to), whatever extract_from says.
    let sdk = serde_json::from_str::<Value>(&w.emu.emu.store.lock().unwrap().states["su1"]).unwrap();
    let last_until = w.platform.state_section("su1", OktaConnector::STATE_KEY)["run"]["until"].as_str().unwrap().to_string();
    let last_start = sdk["lastSuccessfulSyncStarted"].as_str().unwrap().to_string();
    assert!(last_until <= last_start, "extract_to is resolved on metadata, before the data phase starts");
    assert_eq!(w.platform.run_sync("INCREMENTAL").await.outcome, "DONE");
    let state = w.platform.state_section("su1", OktaConnector::STATE_KEY);
    assert_eq!(state["run"]["since"], json!(minus_overlap(&last_until)), "{}", state["run"]);
    for job in ["users", "groups", "devices"] {
        assert_eq!(state[format!("job.{job}")]["mode"], "incremental", "{job}: {}", state[format!("job.{job}")]);
    }

    // With it, the sync starts again from extract_from (less the overlap for Okta's index).
    w.platform.reset_extract_from = true;
    assert_eq!(w.platform.run_sync("INCREMENTAL").await.outcome, "DONE");
    let state = w.platform.state_section("su1", OktaConnector::STATE_KEY);
    assert_eq!(state["run"]["since"], json!(minus_overlap(&start)), "{}", state["run"]);
    let whole = serde_json::from_str::<Value>(&w.emu.emu.store.lock().unwrap().states["su1"]).unwrap();
    assert_eq!(whole["workersOldest"], start, "the attachments phase records the window");

    // With it and no extract_from, everything is read again.
    w.platform.extraction_start_time = None;
    assert_eq!(w.platform.run_sync("INCREMENTAL").await.outcome, "DONE");
    let state = w.platform.state_section("su1", OktaConnector::STATE_KEY);
    assert_eq!(state["run"]["since"], Value::Null, "{}", state["run"]);
    assert_eq!(state["job.users"]["mode"], "full");
    assert_eq!(w.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_external_system_no_access() {
    let mut w = world(small(43), Duration::from_secs(600)).await;
    w.platform.connection_key = json!({"domain": "sim-acme.okta.com", "token": "revoked-token"}).to_string();
    for event in ["START_EXTRACTING_EXTERNAL_SYNC_UNITS", "START_EXTRACTING_METADATA", "START_EXTRACTING_DATA"] {
        let r = w.platform.invoke_one(event, "INITIAL").await.unwrap();
        assert!(r.event_type.ends_with("_ERROR"), "{event}: {}", r.event_type);
        let msg = error_message(&r);
        // Exactly ts-adaas's `ExtractionCommonError` string: the platform may compare it whole.
        assert_eq!(msg, "ERROR_CODE=EXTERNAL_SYSTEM_NO_ACCESS", "{event}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_that_is_gone_is_external_sync_unit_deleted() {
    // DevRev's emulator answers 404 for every Okta path: no org at that address.
    let w = world(small(44), Duration::from_secs(600)).await;
    let settings =
        okta_airsync::connector::Settings { base_url_override: Some(url::Url::parse(&w.emu.base_url).unwrap()), ..Default::default() };
    let invoke = okta_airsync::demo::in_process(OktaConnector { settings }, fast_runtime(Duration::from_secs(30)));
    let p = devrev_emu::Platform::new(w.emu.emu.clone(), invoke);
    let r = p.invoke_one("START_EXTRACTING_EXTERNAL_SYNC_UNITS", "INITIAL").await.unwrap();
    assert_eq!(error_message(&r), "ERROR_CODE=EXTERNAL_SYNC_UNIT_DELETED");
    let r = p.invoke_one("START_EXTRACTING_DATA", "INITIAL").await.unwrap();
    assert_eq!(r.event_type, "DATA_EXTRACTION_ERROR");
    assert_eq!(error_message(&r), "ERROR_CODE=EXTERNAL_SYNC_UNIT_DELETED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_refused_everywhere_is_external_system_no_permission_and_one_refusal_is_not() {
    let mut cfg = small(45);
    cfg.faults.deny = [
        "users",
        "groups",
        "roles",
        "apps",
        "policies",
        "logs",
        "devices",
        "factors",
        "schema",
        "group_rules",
        "authenticators",
        "network_zones",
        "identity_providers",
        "trusted_origins",
    ]
    .map(String::from)
    .to_vec();
    let w = world(cfg, Duration::from_secs(600)).await;
    let r = w.platform.invoke_one("START_EXTRACTING_DATA", "INITIAL").await.unwrap();
    let state = w.platform.state_section("su1", OktaConnector::STATE_KEY);
    assert_eq!(r.event_type, "DATA_EXTRACTION_ERROR", "{state:#}");
    assert_eq!(error_message(&r), "ERROR_CODE=EXTERNAL_SYSTEM_NO_PERMISSION");

    let mut cfg = small(46);
    cfg.faults.deny = vec!["roles".into()];
    let w = world(cfg, Duration::from_secs(600)).await;
    let rep = w.platform.run_sync("INITIAL").await;
    assert_eq!(rep.outcome, "DONE", "one missing permission skips that entity only: {rep:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_keep_plain_messages() {
    let mut cfg = small(47);
    cfg.faults.fault_rate = 1.0;
    let w = world(cfg, Duration::from_secs(600)).await;
    let r = w.platform.invoke_one("START_EXTRACTING_EXTERNAL_SYNC_UNITS", "INITIAL").await.unwrap();
    assert_eq!(r.event_type, "EXTERNAL_SYNC_UNIT_EXTRACTION_ERROR");
    assert!(!error_message(&r).contains("ERROR_CODE="), "{}", error_message(&r));
}
