//! The AirSync runtime through the strict emulator, with the synthetic connector.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use devrev_emu::store::Fault;
use devrev_emu::{self as devrev, platform::Invoke, EmuHandle, Platform};
use okta_airsync::airsync::runtime::run_invocation;
use serde_json::Value;

use crate::helpers::fast_runtime;
use crate::synthetic::{ids, Synthetic};

async fn emulator() -> (EmuHandle, tempfile::TempDir) {
    crate::helpers::init_logs();
    let dir = tempfile::tempdir().unwrap();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    (devrev::serve(l, dir.path().to_path_buf(), "devrev-test-token", false).await.unwrap(), dir)
}

fn invoker(c: Synthetic, deadline: Duration) -> Invoke {
    let cfg = fast_runtime(deadline);
    let c = Arc::new(c);
    Arc::new(move |body: Vec<u8>| {
        let (c, cfg) = (c.clone(), cfg.clone());
        Box::pin(async move {
            let _ = run_invocation(&body, c.as_ref(), &cfg).await;
        })
    })
}

fn records_by_id(emu: &EmuHandle, t: &str) -> BTreeMap<String, Value> {
    emu.emu.store.lock().unwrap().records(t).into_iter().map(|r| (r["id"].as_str().unwrap().to_string(), r)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_phase_passes_the_emulator_without_a_violation() {
    let (emu, _d) = emulator().await;
    let p =
        Platform::new(emu.emu.clone(), invoker(Synthetic { per_type: 4500, page: 500, pause: Duration::ZERO }, Duration::from_secs(60)));
    let rep = p.run_sync("INITIAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    assert_eq!(
        rep.replies,
        ["EXTERNAL_SYNC_UNIT_EXTRACTION_DONE", "METADATA_EXTRACTION_DONE", "DATA_EXTRACTION_DONE", "ATTACHMENT_EXTRACTION_DONE"]
    );
    for (event, reply) in [
        ("START_DELETING_EXTRACTOR_STATE", "EXTRACTOR_STATE_DELETION_DONE"),
        ("EXTRACTION_ATTACHMENTS_DELETE", "EXTRACTOR_ATTACHMENTS_STATE_DELETION_DONE"),
        ("SOMETHING_NEW", "UNKNOWN_EVENT_TYPE"),
        ("START_LOADING_DATA", "DATA_LOADING_ERROR"),
        // As ts-adaas's `getNoScriptEventType`: no loader, so no loader state to delete.
        ("START_DELETING_LOADER_STATE", "LOADER_STATE_DELETION_DONE"),
        ("START_DELETING_LOADER_ATTACHMENT_STATE", "LOADER_ATTACHMENT_STATE_DELETION_DONE"),
    ] {
        let r = p.invoke_one(event, "INITIAL").await.expect("a reply");
        assert_eq!(r.event_type, reply);
    }
    let mut st = emu.emu.store.lock().unwrap();
    st.finish_checks();
    assert_eq!(st.violations, Vec::<String>::new());
    assert_eq!(st.idm_installs, 1, "the mapping is installed once per snap-in version");
    for t in ["widgets", "gadgets"] {
        let got: Vec<String> = st.ids(t).into_iter().collect();
        assert_eq!(got, ids(t, 4500));
        // 4500 records in batches of 2000: three artifacts each.
        assert_eq!(st.artifacts.values().filter(|a| a.item_type == t).count(), 3);
    }
    assert!(st.max_state_bytes < 256 * 1024, "state grew to {} bytes", st.max_state_bytes);
    // As in ts-adaas, the delete events are stateless: they neither read nor write the state
    // (the emulator counts a state call on them as a violation, checked above).
    let state: Value = serde_json::from_str(&st.states["su1"]).unwrap();
    assert_eq!(state["synthetic"]["widgets"], 4500, "the delete events left the connector state as it was");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_event_names_are_accepted_and_answered_with_new_names() {
    let (emu, _d) = emulator().await;
    let p = Platform::new(emu.emu.clone(), invoker(Synthetic { per_type: 10, page: 10, pause: Duration::ZERO }, Duration::from_secs(60)));
    assert_eq!(p.invoke_one("EXTRACTION_METADATA_START", "INITIAL").await.unwrap().event_type, "METADATA_EXTRACTION_DONE");
    assert_eq!(p.invoke_one("EXTRACTION_DATA_START", "INITIAL").await.unwrap().event_type, "DATA_EXTRACTION_DONE");
    assert!(emu.emu.store.lock().unwrap().violations.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_phase_cut_by_the_deadline_loses_no_record() {
    let (emu, _d) = emulator().await;
    let c = Synthetic { per_type: 3000, page: 150, pause: Duration::from_millis(8) };
    let p = Platform::new(emu.emu.clone(), invoker(c, Duration::from_millis(60)));
    let rep = p.run_sync("INITIAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    let progress = rep.replies.iter().filter(|r| *r == "DATA_EXTRACTION_PROGRESS").count();
    assert!(progress >= 4, "the deadline cut the phase only {progress} times");
    for t in ["widgets", "gadgets"] {
        let got = records_by_id(&emu, t);
        assert_eq!(got.keys().cloned().collect::<Vec<_>>(), ids(t, 3000), "{t}");
        for (id, r) in got {
            assert_eq!(r["data"]["n"].as_u64().unwrap(), id[t.len() + 1..].parse::<u64>().unwrap());
        }
    }
    let mut st = emu.emu.store.lock().unwrap();
    st.finish_checks();
    assert_eq!(st.violations, Vec::<String>::new());
}

async fn fails_with(fault: Fault, event: &str, expect_in_message: &str) {
    let (emu, _d) = emulator().await;
    let p =
        Platform::new(emu.emu.clone(), invoker(Synthetic { per_type: 2500, page: 500, pause: Duration::ZERO }, Duration::from_secs(60)));
    emu.emu.store.lock().unwrap().faults.push(fault);
    let r = p.invoke_one(event, "INITIAL").await.expect("an ERROR reply still goes out");
    assert!(r.event_type.ends_with("_ERROR"), "{}", r.event_type);
    let msg = r.body["event_data"]["error"]["message"].as_str().unwrap().to_string();
    assert!(msg.contains(expect_in_message), "{msg}");
    assert!(!msg.contains("devrev-test-token"));
}

fn fault(endpoint: &str, status: u16, body: &str) -> Fault {
    Fault::status(endpoint, status, body, 100)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_state_endpoint_gives_an_error_that_names_it() {
    fails_with(fault("state.get", 500, "boom"), "START_EXTRACTING_DATA", "state get answered HTTP 500").await;
    fails_with(fault("state.get", 200, "<html>garbage"), "START_EXTRACTING_DATA", "state get answered with an unusable body").await;
    fails_with(fault("state.get", 200, "{\"state\": \"not json at all\"}"), "START_EXTRACTING_METADATA", "not JSON").await;
    fails_with(fault("state.update", 500, ""), "START_EXTRACTING_DATA", "state update").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_uploads_give_an_error_never_a_done() {
    fails_with(fault("upload-url", 500, ""), "START_EXTRACTING_DATA", "artifacts.upload-url answered HTTP 500").await;
    fails_with(fault("upload", 403, "denied"), "START_EXTRACTING_DATA", "artifact upload answered HTTP 403").await;
    fails_with(fault("confirm", 400, "no"), "START_EXTRACTING_DATA", "confirm-upload answered HTTP 400").await;
    fails_with(fault("idm", 500, ""), "START_EXTRACTING_METADATA", "Error while installing initial domain mapping").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_events_get_an_error_naming_the_field_when_a_reply_is_possible() {
    let (emu, _d) = emulator().await;
    let p = Platform::new(emu.emu.clone(), invoker(Synthetic { per_type: 1, page: 1, pause: Duration::ZERO }, Duration::from_secs(60)));
    let cfg = fast_runtime(Duration::from_secs(5));
    let c = Synthetic { per_type: 1, page: 1, pause: Duration::ZERO };
    let (mut ev, _) = p.event("START_EXTRACTING_DATA", "INITIAL");
    ev[0]["payload"]["event_context"].as_object_mut().unwrap().remove("worker_data_url");
    let r = run_invocation(&serde_json::to_vec(&ev).unwrap(), &c, &cfg).await.unwrap();
    assert_eq!(r[0].reply.as_deref(), Some("DATA_EXTRACTION_ERROR"));
    assert!(r[0].error.as_ref().unwrap().contains("worker_data_url"));
    let (mut ev, _) = p.event("START_EXTRACTING_DATA", "INITIAL");
    ev[0]["payload"]["event_context"]["callback_url"] = "not a url".into();
    let r = run_invocation(&serde_json::to_vec(&ev).unwrap(), &c, &cfg).await.unwrap();
    assert!(r[0].reply.is_none() && r[0].error.as_ref().unwrap().contains("callback_url"));
    let (mut ev, _) = p.event("START_EXTRACTING_DATA", "INITIAL");
    ev[0]["context"]["secrets"].as_object_mut().unwrap().remove("service_account_token");
    let r = run_invocation(&serde_json::to_vec(&ev).unwrap(), &c, &cfg).await.unwrap();
    assert!(r[0].reply.is_none() && r[0].error.as_ref().unwrap().contains("service_account_token"));
    assert!(run_invocation(b"[]", &c, &cfg).await.unwrap_err().to_string().contains("no event"));
    assert!(run_invocation(b"{not json", &c, &cfg).await.unwrap_err().to_string().contains("not valid JSON"));
}

/// Two producers: `a` fills a batch and checkpoints; `b` leaves a partial batch open.
struct TwoScopes;

impl okta_airsync::airsync::extractor::Extractor for TwoScopes {
    fn state_key(&self) -> &'static str {
        "two"
    }
    fn initial_domain_mapping(&self) -> Value {
        serde_json::json!({"additional_mappings": {"record_type_mappings": {}}})
    }
    async fn external_sync_units(
        &self,
        _: &okta_airsync::airsync::extractor::Invocation,
    ) -> Result<Vec<Value>, okta_airsync::airsync::extractor::PhaseError> {
        Ok(Vec::new())
    }
    async fn metadata(
        &self,
        _: &okta_airsync::airsync::extractor::Invocation,
    ) -> Result<Value, okta_airsync::airsync::extractor::PhaseError> {
        Ok(serde_json::json!({}))
    }
    async fn extract(
        &self,
        _: &okta_airsync::airsync::extractor::Invocation,
        _: Value,
        sink: okta_airsync::airsync::extractor::Sink,
    ) -> okta_airsync::airsync::extractor::ExtractOutcome {
        let rec = |t: &str, i: usize| serde_json::json!({"id": format!("{t}-{i}"), "created_date": "2024-01-01T00:00:00Z", "modified_date": "2024-01-01T00:00:00Z", "data": {}});
        let (a, b) = (sink.scoped("a"), sink.scoped("b"));
        b.push("gadgets", (0..10).map(|i| rec("g", i)).collect()).await.unwrap();
        a.push("widgets", (0..2000).map(|i| rec("w", i)).collect()).await.unwrap();
        a.checkpoint("a", &serde_json::json!(1)).await.unwrap();
        a.push("widgets", (2000..4000).map(|i| rec("w", i)).collect()).await.unwrap();
        // The second widgets upload saves the state; then the worker "crashes" (never returns).
        futures::future::pending::<()>().await;
        okta_airsync::airsync::extractor::ExtractOutcome::Done
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_commits_without_waiting_for_another_producers_partial_batch() {
    let (emu, _d) = emulator().await;
    let cfg = fast_runtime(Duration::from_secs(60));
    let invoke: Invoke = Arc::new(move |body: Vec<u8>| {
        let cfg = cfg.clone();
        Box::pin(async move {
            let _ = tokio::time::timeout(Duration::from_secs(2), run_invocation(&body, &TwoScopes, &cfg)).await;
        })
    });
    let p = Platform::new(emu.emu.clone(), invoke);
    assert!(p.invoke_one("START_EXTRACTING_DATA", "INITIAL").await.is_none(), "the worker crashed before replying");
    let state: Value = serde_json::from_str(&emu.emu.store.lock().unwrap().states["su1"]).unwrap();
    assert_eq!(state["two"]["a"], 1, "a's checkpoint was saved with its uploaded records: {}", state["two"]);
    assert_eq!(
        state["airsync_runtime"]["unreported_artifacts"].as_array().unwrap().len(),
        2,
        "both widget artifacts are kept for the next reply"
    );
}
