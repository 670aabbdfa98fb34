//! End to end: the emulator drives the in-process connector against the simulator.

use std::collections::BTreeSet;
use std::time::Duration;

use okta_airsync::extract::ITEM_TYPES;
use okta_sim::{Faults, SimConfig, Sizes};
use serde_json::Value;

use crate::helpers::*;

fn assert_truth(w: &World) {
    let truth = w.sim.sim.truth(None);
    for t in ITEM_TYPES {
        let want = w.truth_ids(&truth, t);
        let got = w.stored_ids(t);
        assert!(!want.is_empty(), "{t}: the simulated org has none");
        assert_eq!(
            got,
            want,
            "{t}: missing {:?} extra {:?}",
            want.difference(&got).take(5).collect::<Vec<_>>(),
            got.difference(&want).take(5).collect::<Vec<_>>()
        );
    }
}

/// After a mutation, DevRev keeps records Okta no longer lists (removed memberships, deleted
/// devices): everything Okta lists now must be there.
fn assert_nothing_missing(w: &World) {
    let truth = w.sim.sim.truth(None);
    for t in ITEM_TYPES {
        let want = w.truth_ids(&truth, t);
        let got = w.stored_ids(t);
        let missing: Vec<_> = want.difference(&got).take(5).collect();
        assert!(missing.is_empty(), "{t}: missing {missing:?}");
    }
}

fn job(w: &World, name: &str) -> Value {
    w.platform.state_section("su1", okta_airsync::connector::OktaConnector::STATE_KEY)[format!("job.{name}")].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_initial_sync_extracts_exactly_the_ground_truth_for_two_seeds_and_sizes() {
    for cfg in [
        small(7),
        SimConfig {
            seed: 23,
            sizes: Sizes { users: 450, groups: 35, apps: 9, devices: 40, log_events: 2500, ..Sizes::default() },
            ..SimConfig::default()
        },
    ] {
        let w = world(cfg, Duration::from_secs(600)).await;
        let report = w.platform.run_sync("INITIAL").await;
        assert_eq!(report.outcome, "DONE", "{report:?}");
        assert_truth(&w);
        assert_eq!(w.violations(), Vec::<String>::new());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_is_valid_against_the_metadata_and_no_secret_leaks() {
    let w = world(small(11), Duration::from_secs(600)).await;
    let report = w.platform.run_sync("INITIAL").await;
    assert_eq!(report.outcome, "DONE", "{report:?}");
    let truth = w.sim.sim.truth(None);
    let st = w.emu.emu.store.lock().unwrap();
    let meta = st.records("external_domain_metadata");
    assert_eq!(meta.len(), 1);
    let meta = &meta[0];
    assert!(okta_airsync::metadata::validate::check_document(meta).is_empty());
    for custom in ["cost_center_code", "clearance_level", "is_contractor", "fte_percent", "badge_ids", "legacy_blob"] {
        assert!(meta["record_types"]["users"]["fields"].get(custom).is_some(), "custom attribute {custom} is declared");
    }
    assert!(meta["record_types"]["users"]["fields"].get("pin_hash").is_none(), "hashed attributes are not declared");
    let secrets: Vec<String> = truth["secrets"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
    assert!(secrets.len() > 10);
    for t in ITEM_TYPES {
        for r in &st.records(t) {
            let errs = okta_airsync::metadata::validate::check_record(meta, t, r);
            assert!(errs.is_empty(), "{errs:?}");
        }
    }
    let ids_of = |t: &str| st.ids(t);
    let (users, groups, roles, apps) = (ids_of("users"), ids_of("groups"), ids_of("iam_roles"), ids_of("applications"));
    for (t, field, target) in [
        ("group_members", "user_id", &users),
        ("group_members", "group_id", &groups),
        ("iam_role_members", "role_id", &roles),
        ("app_user_assignments", "user_id", &users),
        ("app_user_assignments", "app_id", &apps),
        ("factors", "user_id", &users),
        ("users", "manager_id", &users),
    ] {
        for r in st.records(t) {
            if let Some(id) = r["data"][field].as_str() {
                assert!(target.contains(id), "{t}.{field} = {id} dangles");
            }
        }
    }
    for entry in std::fs::read_dir(st.out.join("artifacts")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            let text = std::fs::read_to_string(path).unwrap();
            for s in &secrets {
                assert!(!text.contains(s.as_str()), "secret {s} leaked into an artifact");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incremental_sync_uploads_every_change_with_fewer_calls() {
    let w = world(small(5), Duration::from_secs(600)).await;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    let initial_calls = w.sim_calls();
    w.sim.sim.reset_stats();
    let changed = w.sim.sim.mutate(&Default::default());
    let before: BTreeSet<String> = w.emu.emu.store.lock().unwrap().artifacts.keys().cloned().collect();
    let rep = w.platform.run_sync("INCREMENTAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    let incremental_calls = w.sim_calls();
    println!("API calls: initial {initial_calls}, incremental {incremental_calls}");
    assert!(incremental_calls < initial_calls);
    let st = w.emu.emu.store.lock().unwrap();
    let new_ids = |t: &str| -> BTreeSet<String> {
        st.artifacts
            .iter()
            .filter(|(id, a)| !before.contains(*id) && a.item_type == t && a.reported > 0)
            .flat_map(|(_, a)| {
                std::fs::read_to_string(a.path.as_ref().unwrap())
                    .unwrap()
                    .lines()
                    .map(|l| serde_json::from_str::<Value>(l).unwrap())
                    // Tombstones (removed members) are checked apart.
                    .filter(|r| r["data"]["removed"] != true && r["data"]["deleted"] != true)
                    .map(|r| r["id"].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let list = |k: &str| changed[k].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect::<BTreeSet<_>>();
    assert!(list("users").is_subset(&new_ids("users")), "changed users were not all uploaded");
    assert!(list("groups").is_subset(&new_ids("groups")));
    assert!(list("devices").is_subset(&new_ids("devices")));
    assert!(list("logs").is_subset(&new_ids("system_logs")), "new log events were not all uploaded");
    assert!(new_ids("users").len() < 20, "an incremental run lists only changed users");
    // Re-listing only groups whose membership moved gives what a full listing of them gives.
    let truth = w.sim.sim.truth(None);
    let changed_groups = list("groups");
    let want: BTreeSet<String> =
        w.truth_ids(&truth, "group_members").into_iter().filter(|m| changed_groups.contains(m.split(':').next().unwrap())).collect();
    let got: BTreeSet<String> = new_ids("group_members");
    assert_eq!(got, want);
    drop(st);
    let state = w.platform.state_section("su1", okta_airsync::connector::OktaConnector::STATE_KEY);
    assert_eq!(state["job.users"]["mode"], "incremental");
    assert_eq!(state["job.devices"]["mode"], "incremental");
    // Every record of both runs, tombstones included, passed the emulator's check against the
    // metadata (a record that fails it is a violation).
    let (checked, tombstones) = {
        let st = w.emu.emu.store.lock().unwrap();
        let tomb = okta_airsync::extract::ITEM_TYPES
            .iter()
            .flat_map(|t| st.records(t))
            .filter(|r| r["data"]["removed"] == true || r["data"]["deleted"] == true)
            .count();
        (st.records_checked, tomb)
    };
    assert!(checked > 500 && tombstones > 0, "{checked} records checked, {tombstones} tombstones among them");
    assert_eq!(w.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_second_deadline_needs_several_invocations_and_loses_nothing() {
    let mut cfg = small(9);
    cfg.faults.latency_ms = 150;
    let w = world(cfg, Duration::from_secs(2)).await;
    let rep = w.platform.run_sync("INITIAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    let progress = rep.replies.iter().filter(|r| *r == "DATA_EXTRACTION_PROGRESS").count();
    println!("data phase invocations: {}", progress + 1);
    assert!(progress >= 1, "{rep:?}");
    assert_truth(&w);
    assert_eq!(w.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_without_role_permissions_ends_done_with_roles_skipped() {
    let mut cfg = small(3);
    cfg.faults.deny = vec!["roles".into()];
    let w = world(cfg, Duration::from_secs(600)).await;
    let rep = w.platform.run_sync("INITIAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    let roles = job(&w, "roles");
    assert_eq!(roles["status"], "skipped");
    assert!(roles["skipped"]["iam_roles"].as_str().unwrap().contains("403"));
    assert!(roles["skipped"]["iam_role_members"].is_string());
    assert!(w.stored_ids("users").len() > 10);
    assert_eq!(job(&w, "users")["status"], "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_logs_devices_and_factors_are_skipped_and_the_rest_completes() {
    let mut cfg = small(4);
    cfg.faults.deny = vec!["logs".into(), "devices".into(), "factors".into(), "apps".into(), "policies".into()];
    let w = world(cfg, Duration::from_secs(600)).await;
    let rep = w.platform.run_sync("INITIAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    for j in ["system_logs", "devices", "factors", "apps", "policies"] {
        assert_eq!(job(&w, j)["status"], "skipped", "{j}");
    }
    let truth = w.sim.sim.truth(None);
    assert_eq!(w.stored_ids("groups"), w.truth_ids(&truth, "groups"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_sync_api_calls_are_within_ten_percent_of_the_minimum() {
    for cfg in [
        small(12),
        SimConfig {
            seed: 13,
            sizes: Sizes { users: 800, groups: 50, apps: 10, devices: 300, log_events: 4000, ..Sizes::default() },
            ..SimConfig::default()
        },
    ] {
        let w = world(cfg, Duration::from_secs(600)).await;
        assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
        let min = w.sim.sim.truth(None)["min_api_calls"].as_u64().unwrap();
        // The count includes the sync-unit and metadata phases (org and schema calls).
        let calls = w.sim_calls();
        let ratio = calls as f64 / min as f64;
        println!("API calls {calls}, minimum {min}, ratio {ratio:.3}");
        assert!(ratio <= 1.10, "ratio {ratio}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_incremental_filter_falls_back_to_a_full_listing() {
    let mut cfg = small(6);
    cfg.faults.reject_filter = vec!["devices".into(), "groups".into()];
    let w = world(cfg, Duration::from_secs(600)).await;
    // A full sync needs no filter on these two, so it works; the incremental one falls back.
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    w.sim.sim.mutate(&Default::default());
    let rep = w.platform.run_sync("INCREMENTAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    for j in ["devices", "groups"] {
        let s = job(&w, j);
        assert_eq!(s["mode"], "full", "{j}");
        assert!(s["note"].as_str().unwrap().contains("falling back to full sync"), "{s}");
    }
    assert_eq!(job(&w, "users")["mode"], "incremental");
    assert_nothing_missing(&w);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_sends_external_system_no_access_and_reports_the_401() {
    use okta_airsync::connector::{OktaConnector, Settings};
    let mut p = crate::helpers::world(small(1), Duration::from_secs(600)).await;
    p.platform.connection_key = serde_json::json!({"domain": "sim-acme.okta.com", "token": "wrong"}).to_string();
    let r = p.platform.invoke_one("START_EXTRACTING_DATA", "INITIAL").await.unwrap();
    assert_eq!(r.event_type, "DATA_EXTRACTION_ERROR");
    // Exactly ts-adaas's string for a revoked token: the platform may compare it whole.
    assert_eq!(r.body["event_data"]["error"]["message"], "ERROR_CODE=EXTERNAL_SYSTEM_NO_ACCESS");
    // The admin's detail is in the event report (and the worker's log), never in the reply.
    let settings = Settings { base_url_override: Some(url::Url::parse(&p.sim.base_url).unwrap()), ..Settings::default() };
    let (ev, _) = p.platform.event("START_EXTRACTING_DATA", "INITIAL");
    let cfg = fast_runtime(Duration::from_secs(30));
    let reports =
        okta_airsync::airsync::runtime::run_invocation(&serde_json::to_vec(&ev).unwrap(), &OktaConnector { settings }, &cfg).await.unwrap();
    assert_eq!(reports[0].reply.as_deref(), Some("DATA_EXTRACTION_ERROR"));
    let detail = reports[0].error.clone().unwrap_or_default();
    assert!(detail.starts_with("ERROR_CODE=EXTERNAL_SYSTEM_NO_ACCESS ") && detail.contains("401"), "{detail}");
    assert!(!detail.contains("wrong"), "the token is not in the detail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_schema_gives_users_without_custom_fields() {
    let mut cfg = small(2);
    cfg.faults.deny = vec!["schema".into()];
    let w = world(cfg, Duration::from_secs(600)).await;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    let users = w.emu.emu.store.lock().unwrap().records("users");
    assert!(!users.is_empty() && users.iter().all(|u| u["data"].get("cost_center_code").is_none()));
    assert!(job(&w, "users")["note"].as_str().unwrap().contains("custom attributes are not extracted"));
    assert_truth(&w);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_server_errors_lose_nothing() {
    let mut cfg = small(8);
    cfg.faults = Faults { rate_limit_per_min: Some(40), fault_rate: 0.01, ..Faults::default() };
    let w = world(cfg, Duration::from_secs(2)).await;
    let rep = w.platform.run_sync("INITIAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    println!("delays: {:?}", rep.delays);
    assert!(!rep.delays.is_empty(), "a 40/min bucket forces DATA_EXTRACTION_DELAYED");
    // Waiting out a DELAYED moves the simulator's clock, and the System Log (polled without an
    // end) may then hold events newer than the truth's window: those are extras, not losses.
    let truth = w.sim.sim.truth(None);
    let logs = w.stored_ids("system_logs");
    assert!(w.truth_ids(&truth, "system_logs").is_subset(&logs), "no System Log event is lost");
    for t in ITEM_TYPES.iter().filter(|t| **t != "system_logs") {
        assert_eq!(w.stored_ids(t), w.truth_ids(&truth, t), "{t}");
    }
    assert_eq!(w.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_is_no_okta_org_is_external_sync_unit_deleted() {
    use okta_airsync::connector::{OktaConnector, Settings};
    let w = world(small(1), Duration::from_secs(600)).await;
    let settings = Settings { base_url_override: Some(url::Url::parse(&w.emu.base_url).unwrap()), ..Settings::default() };
    let invoke = okta_airsync::demo::in_process(OktaConnector { settings }, fast_runtime(Duration::from_secs(30)));
    let p = devrev_emu::Platform::new(w.emu.emu.clone(), invoke);
    let r = p.invoke_one("START_EXTRACTING_EXTERNAL_SYNC_UNITS", "INITIAL").await.unwrap();
    assert_eq!(r.event_type, "EXTERNAL_SYNC_UNIT_EXTRACTION_ERROR");
    assert_eq!(r.body["event_data"]["error"]["message"], "ERROR_CODE=EXTERNAL_SYNC_UNIT_DELETED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_system_log_start_date_is_an_error_before_anything_is_uploaded() {
    for (date, words) in [("2099-01-01", "in the future"), ("last tuesday", "YYYY-MM-DD")] {
        let mut w = world(small(1), Duration::from_secs(60)).await;
        w.platform.global_values.insert("system_log_start_date".into(), date.into());
        let r = w.platform.invoke_one("START_EXTRACTING_DATA", "INITIAL").await.unwrap();
        assert_eq!(r.event_type, "DATA_EXTRACTION_ERROR");
        let msg = r.body["event_data"]["error"]["message"].as_str().unwrap();
        assert!(msg.contains("system_log_start_date") && msg.contains(words), "{msg}");
        assert_eq!(r.body["event_data"]["artifacts"], serde_json::json!([]), "nothing was uploaded");
        assert_eq!(w.sim_calls(), 0, "no Okta call was made");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_org_rate_limit_is_an_error_that_names_the_input_in_every_phase() {
    let input = okta_airsync::connector::inputs::ORG_RATE_LIMIT;
    for (event, reply) in [("START_EXTRACTING_METADATA", "METADATA_EXTRACTION_ERROR"), ("START_EXTRACTING_DATA", "DATA_EXTRACTION_ERROR")] {
        let mut w = world(small(1), Duration::from_secs(60)).await;
        w.platform.global_values.insert(input.into(), "fast".into());
        let r = w.platform.invoke_one(event, "INITIAL").await.unwrap();
        assert_eq!(r.event_type, reply);
        let msg = r.body["event_data"]["error"]["message"].as_str().unwrap();
        assert!(msg.contains(input) && msg.contains("requests per minute"), "{msg}");
        assert_eq!(w.sim_calls(), 0, "no Okta call was made");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_start_date_is_clamped_to_the_retention_and_an_empty_window_is_fine() {
    let mut w = world(SimConfig { sizes: Sizes { log_events: 0, ..small(2).sizes }, ..small(2) }, Duration::from_secs(60)).await;
    w.platform.global_values.insert("system_log_start_date".into(), "2001-01-01".into());
    let rep = w.platform.run_sync("INITIAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    assert!(w.stored_ids("system_logs").is_empty());
    assert_eq!(job(&w, "system_logs")["status"], "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_system_log_events_are_extracted_by_the_next_sync_and_none_twice() {
    let mut cfg = small(21);
    cfg.faults.log_lag_secs = 600;
    let w = world(cfg, Duration::from_secs(600)).await;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    // Changes whose events become visible up to ten minutes after their `published` time.
    w.sim.sim.mutate(&Default::default());
    w.sim.sim.clock.advance(601);
    let rep = w.platform.run_sync("INCREMENTAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    w.sim.sim.clock.advance(601);
    assert_eq!(w.platform.run_sync("INCREMENTAL").await.outcome, "DONE");
    let truth = w.sim.sim.truth(None);
    let want = w.truth_ids(&truth, "system_logs");
    let got = w.stored_ids("system_logs");
    let missing: Vec<_> = want.difference(&got).take(5).collect();
    assert!(missing.is_empty(), "late events were lost: {missing:?}");
    let uploaded = w.emu.emu.store.lock().unwrap().records("system_logs").len();
    assert_eq!(uploaded, got.len(), "an event was uploaded twice");
    assert_eq!(job(&w, "system_logs")["mode"], "incremental");
}
