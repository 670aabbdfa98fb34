//! What DevRev's published SDK (ts-adaas 1.20) does and the platform relies on: stateless delete
//! events, the user's choice of item types, the extraction window, artifacts owned by their phase
//! and run, and DevRev's own 429s.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use devrev_emu::store::Fault;
use devrev_emu::{self as devrev, platform::Invoke, EmuHandle, Platform};
use okta_airsync::airsync::devrev::{DevRevClient, RetryPolicy};
use okta_airsync::airsync::extractor::{ExtractOutcome, Invocation, PhaseError, Sink};
use okta_airsync::airsync::runtime::run_invocation;
use serde_json::{json, Value};
use tokio::time::Instant;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::helpers::fast_runtime;
use crate::synthetic::Synthetic;

async fn emulator() -> (EmuHandle, tempfile::TempDir) {
    crate::helpers::init_logs();
    let dir = tempfile::tempdir().unwrap();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    (devrev::serve(l, dir.path().to_path_buf(), "devrev-test-token", false).await.unwrap(), dir)
}

fn invoker(per_type: usize) -> Invoke {
    let cfg = fast_runtime(Duration::from_secs(60));
    let c = Arc::new(Synthetic { per_type, page: 100, pause: Duration::ZERO });
    Arc::new(move |body: Vec<u8>| {
        let (c, cfg) = (c.clone(), cfg.clone());
        Box::pin(async move {
            let _ = run_invocation(&body, c.as_ref(), &cfg).await;
        })
    })
}

fn state_of(emu: &EmuHandle) -> Value {
    serde_json::from_str(&emu.emu.store.lock().unwrap().states["su1"]).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_events_neither_read_nor_write_the_state() {
    let (emu, _d) = emulator().await;
    let p = Platform::new(emu.emu.clone(), invoker(50));
    assert_eq!(p.run_sync("INITIAL").await.outcome, "DONE");
    let (before, updates) = {
        let st = emu.emu.store.lock().unwrap();
        (st.states["su1"].clone(), st.state_updates)
    };
    for event in ["START_DELETING_EXTRACTOR_STATE", "EXTRACTION_DATA_DELETE", "START_DELETING_EXTRACTOR_ATTACHMENTS_STATE"] {
        let r = p.invoke_one(event, "INITIAL").await.expect("a reply");
        assert!(r.event_type.ends_with("_DELETION_DONE"), "{}", r.event_type);
    }
    let st = emu.emu.store.lock().unwrap();
    assert_eq!(st.state_updates, updates, "a delete event wrote the state");
    assert_eq!(st.states["su1"], before);
    assert_eq!(st.violations, Vec::<String>::new(), "a delete event read the state");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_item_types_the_user_chose_are_extracted() {
    let (emu, _d) = emulator().await;
    emu.emu.store.lock().unwrap().objects = Some(json!({"widgets": {"extract": true}, "gadgets": {"extract": false}}));
    let p = Platform::new(emu.emu.clone(), invoker(300));
    assert_eq!(p.run_sync("INITIAL").await.outcome, "DONE");
    let mut st = emu.emu.store.lock().unwrap();
    st.finish_checks();
    assert_eq!(st.violations, Vec::<String>::new());
    assert_eq!(st.ids("widgets").len(), 300);
    assert!(st.ids("gadgets").is_empty(), "an excluded item type was uploaded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_entry_without_extract_is_not_extracted_and_an_unnamed_type_is() {
    let (emu, _d) = emulator().await;
    // ts-adaas's `shouldExtract` returns `scope[itemType].extract`: undefined here, so false.
    emu.emu.store.lock().unwrap().objects = Some(json!({"widgets": {}}));
    let p = Platform::new(emu.emu.clone(), invoker(300));
    assert_eq!(p.run_sync("INITIAL").await.outcome, "DONE");
    let mut st = emu.emu.store.lock().unwrap();
    st.finish_checks();
    assert_eq!(st.violations, Vec::<String>::new());
    assert!(st.ids("widgets").is_empty(), "a scope entry without `extract` was extracted");
    assert_eq!(st.ids("gadgets").len(), 300, "an item type the scope does not name is extracted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_resolved_on_metadata_reaches_every_data_invocation() {
    let (emu, _d) = emulator().await;
    let p = Platform::new(emu.emu.clone(), invoker(10));
    assert_eq!(p.invoke_one("START_EXTRACTING_METADATA", "INITIAL").await.unwrap().event_type, "METADATA_EXTRACTION_DONE");
    // The template's metadata event carries extraction_end_time = current_time and no start.
    let pending = state_of(&emu)["pendingWorkersNewest"].as_str().unwrap().to_string();
    assert!(pending.ends_with('Z') && pending.len() == 24, "{pending}");
    assert_eq!(p.invoke_one("START_EXTRACTING_DATA", "INITIAL").await.unwrap().event_type, "DATA_EXTRACTION_DONE");
    assert_eq!(state_of(&emu)["synthetic"]["window"], json!([null, pending]), "the data phase got the window of the metadata phase");
    assert_eq!(p.invoke_one("START_EXTRACTING_ATTACHMENTS", "INITIAL").await.unwrap().event_type, "ATTACHMENT_EXTRACTION_DONE");
    let s = state_of(&emu);
    assert_eq!(s["workersNewest"], json!(pending), "the attachments phase closes the window");
    assert_eq!(s["pendingWorkersNewest"], "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn artifacts_left_by_an_earlier_run_are_not_reported_by_a_later_one() {
    let (emu, _d) = emulator().await;
    let p = Platform::new(emu.emu.clone(), invoker(250));
    assert_eq!(p.invoke_one("START_EXTRACTING_METADATA", "INITIAL").await.unwrap().event_type, "METADATA_EXTRACTION_DONE");
    // The data reply never gets through: its artifacts stay in the state, uploaded but unreported.
    emu.emu.store.lock().unwrap().faults.push(Fault::status("callback", 500, "down", 100));
    assert!(p.invoke_one("START_EXTRACTING_DATA", "INITIAL").await.is_none());
    let carried: Vec<String> = state_of(&emu)["airsync_runtime"]["unreported_artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!carried.is_empty(), "the failed reply left its artifacts for a later invocation of the same run");
    emu.emu.store.lock().unwrap().faults.clear();
    // A new sync run begins: neither its metadata nor its data replies may report them (the
    // emulator flags an artifact reported by another phase or run).
    let rep = p.run_sync("INCREMENTAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    let st = emu.emu.store.lock().unwrap();
    assert_eq!(st.violations, Vec::<String>::new());
    for id in &carried {
        assert_eq!(st.artifacts[id].reported, 0, "{id} of the earlier run was reported by the new one");
    }
}

/// Answers 429 with `Retry-After` a number of times, then 200.
struct TooManyThenOk {
    left: AtomicU32,
    retry_after: Option<&'static str>,
}

impl Respond for TooManyThenOk {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            let r = ResponseTemplate::new(429).set_body_string("slow down");
            match self.retry_after {
                Some(v) => r.append_header("retry-after", v),
                None => r,
            }
        } else {
            ResponseTemplate::new(200).set_body_json(json!({}))
        }
    }
}

fn devrev_client() -> DevRevClient {
    // Paused-clock tests: no timer may race the socket, or the clock jumps to it.
    let retry = RetryPolicy { max_retries: 5, base_delay: Duration::from_secs(1), timeout: None };
    DevRevClient::new("devrev-test-token".to_string().into(), None, retry, "slug".into(), "version".into()).unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_devrev_429_is_retried_after_its_retry_after_seconds() {
    let server = MockServer::start().await;
    let responder = TooManyThenOk { left: AtomicU32::new(2), retry_after: Some("7") };
    Mock::given(path("/worker_data.update")).respond_with(responder).expect(3).mount(&server).await;
    let t0 = Instant::now();
    devrev_client().state_update(&format!("{}/worker_data", server.uri()), "su1", "r1", "{}").await.unwrap();
    let took = t0.elapsed();
    assert!(took >= Duration::from_secs(14) && took < Duration::from_millis(14_100), "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn a_devrev_429_without_a_usable_retry_after_or_past_the_time_left_is_an_error() {
    let server = MockServer::start().await;
    let responder = TooManyThenOk { left: AtomicU32::new(1), retry_after: Some("Wed, 21 Oct 2037 07:28:00 GMT") };
    Mock::given(path("/worker_data.update")).respond_with(responder).expect(1).mount(&server).await;
    let e = devrev_client().state_update(&format!("{}/worker_data", server.uri()), "su1", "r1", "{}").await.unwrap_err();
    assert!(e.to_string().contains("HTTP 429"), "{e}");

    let server = MockServer::start().await;
    let responder = TooManyThenOk { left: AtomicU32::new(1), retry_after: Some("600") };
    Mock::given(path("/worker_data.update")).respond_with(responder).expect(1).mount(&server).await;
    let client = devrev_client().with_give_up_at(Instant::now() + Duration::from_secs(60));
    let t0 = Instant::now();
    let e = client.state_update(&format!("{}/worker_data", server.uri()), "su1", "r1", "{}").await.unwrap_err();
    assert!(e.to_string().contains("HTTP 429"), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(1), "waited although the wait outlasts the invocation");
}

/// Checkpoints one string of `blob` characters, then is done.
struct Bloated {
    blob: usize,
}

impl okta_airsync::airsync::extractor::Extractor for Bloated {
    fn state_key(&self) -> &'static str {
        "bloated"
    }
    fn initial_domain_mapping(&self) -> Value {
        json!({"additional_mappings": {"record_type_mappings": {}}})
    }
    async fn external_sync_units(&self, _: &Invocation) -> Result<Vec<Value>, PhaseError> {
        Ok(Vec::new())
    }
    async fn metadata(&self, _: &Invocation) -> Result<Value, PhaseError> {
        Ok(json!({"record_types": {}}))
    }
    async fn extract(&self, _: &Invocation, _: Value, sink: Sink) -> ExtractOutcome {
        match sink.checkpoint("blob", &json!("x".repeat(self.blob))).await {
            Ok(()) => ExtractOutcome::Done,
            Err(_) => ExtractOutcome::Progress,
        }
    }
}

async fn data_phase_with_blob(blob: usize) -> (devrev_emu::store::Received, EmuHandle, tempfile::TempDir) {
    let (emu, d) = emulator().await;
    let cfg = fast_runtime(Duration::from_secs(60));
    let invoke: Invoke = Arc::new(move |body: Vec<u8>| {
        let cfg = cfg.clone();
        Box::pin(async move {
            let _ = run_invocation(&body, &Bloated { blob }, &cfg).await;
        })
    });
    let r = Platform::new(emu.emu.clone(), invoke).invoke_one("START_EXTRACTING_DATA", "INITIAL").await.expect("a reply");
    (r, emu, d)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_over_devrevs_500_000_characters_fails_the_phase_naming_its_size_and_largest_keys() {
    let (r, emu, _d) = data_phase_with_blob(500_000).await;
    assert_eq!(r.event_type, "DATA_EXTRACTION_ERROR");
    let msg = r.body.pointer("/event_data/error/message").and_then(Value::as_str).unwrap_or_default().to_string();
    assert!(msg.contains("over DevRev's guidance of 500000"), "{msg}");
    assert!(msg.contains("Largest keys: bloated (5000"), "the message names the largest key first: {msg}");
    assert!(msg.contains("bloated.blob (500002 characters)"), "{msg}");
    {
        let st = emu.emu.store.lock().unwrap();
        assert_eq!(st.violations, Vec::<String>::new(), "no state over the guidance reached DevRev");
        assert!(st.states["su1"].len() < 1_000, "the oversized state was not saved");
    }

    // Just under the guidance, the state is saved whole.
    let (r, emu, _d2) = data_phase_with_blob(499_000).await;
    assert_eq!(r.event_type, "DATA_EXTRACTION_DONE");
    assert!(emu.emu.store.lock().unwrap().states["su1"].len() > 499_000);
}

/// Declares `widgets` with a required `n`, then sends live widgets and, when asked, one
/// tombstone that lacks `n`.
struct Tombstoner {
    bad_tombstone: bool,
}

impl okta_airsync::airsync::extractor::Extractor for Tombstoner {
    fn state_key(&self) -> &'static str {
        "tombstoner"
    }
    fn initial_domain_mapping(&self) -> Value {
        let custom = json!({"default_mapping": {"object_category": "fresh_custom", "object_type": "custom_object"}});
        json!({"additional_mappings": {"record_type_mappings": {"widgets": custom}}})
    }
    async fn external_sync_units(&self, _: &Invocation) -> Result<Vec<Value>, PhaseError> {
        Ok(vec![json!({"id": "unit-1", "name": "Unit", "description": "the only one"})])
    }
    async fn metadata(&self, _: &Invocation) -> Result<Value, PhaseError> {
        Ok(json!({"schema_version": "v0.2.0", "record_types": {"widgets": {"fields": {
            "n": {"type": "int", "is_required": true}, "deleted": {"type": "bool"}}}}}))
    }
    async fn extract(&self, _: &Invocation, _: Value, sink: Sink) -> ExtractOutcome {
        let rec = |id: &str, data: Value| json!({"id": id, "created_date": "2024-01-01T00:00:00.000Z", "modified_date": "2024-02-01T00:00:00.000Z", "data": data});
        let mut recs = vec![rec("w1", json!({"n": 1})), rec("w2", json!({"n": 2, "deleted": true}))];
        if self.bad_tombstone {
            recs.push(rec("w3", json!({"deleted": true})));
        }
        match sink.push("widgets", recs).await {
            Ok(()) => ExtractOutcome::Done,
            Err(_) => ExtractOutcome::Progress,
        }
    }
}

async fn violations_of(bad_tombstone: bool) -> Vec<String> {
    let (emu, _d) = emulator().await;
    let cfg = fast_runtime(Duration::from_secs(60));
    let invoke: Invoke = Arc::new(move |body: Vec<u8>| {
        let cfg = cfg.clone();
        Box::pin(async move {
            let _ = run_invocation(&body, &Tombstoner { bad_tombstone }, &cfg).await;
        })
    });
    assert_eq!(Platform::new(emu.emu.clone(), invoke).run_sync("INITIAL").await.outcome, "DONE");
    let mut st = emu.emu.store.lock().unwrap();
    st.finish_checks();
    assert!(st.records_checked >= 2, "the emulator checked the records against the metadata");
    st.violations.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_tombstone_without_a_required_field_fails_the_run() {
    assert_eq!(violations_of(false).await, Vec::<String>::new(), "a tombstone that carries its required fields passes");
    let v = violations_of(true).await;
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("widgets/w3: required field `n` is missing or empty"), "{v:?}");
}
