//! A hostile DevRev (issue 16): the emulator answers with 500s, 429s, garbage, cut bodies, states
//! that are not objects or come from a future version, refused uploads, failed confirms, stalled
//! callbacks and 50 MB bodies. For each, the worker ends with the right outcome (a retry within
//! its time, or one `*_ERROR` naming what failed), never panics, never reports an artifact it did
//! not upload and confirm (the emulator checks every reported id), and loses no record: what a
//! failed upload carried is extracted again by the next invocation.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use devrev_emu::store::Fault;
use devrev_emu::{self as devrev, platform::Invoke, EmuHandle, Platform};
use okta_airsync::airsync::devrev::{RetryPolicy, MAX_STATE_BYTES};
use okta_airsync::airsync::runtime::{run_invocation, EventReport, RuntimeConfig};
use serde_json::{json, Value};

use crate::helpers::fast_runtime;
use crate::synthetic::{ids, Synthetic};

const PER_TYPE: usize = 2500;

/// The emulator, a platform driving the synthetic connector, and every event report.
struct Hostile {
    emu: EmuHandle,
    p: Platform,
    reports: Arc<Mutex<Vec<EventReport>>>,
    _dir: tempfile::TempDir,
}

async fn hostile(cfg: RuntimeConfig) -> Hostile {
    crate::helpers::init_logs();
    let dir = tempfile::tempdir().unwrap();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let emu = devrev::serve(l, dir.path().to_path_buf(), "devrev-test-token", false).await.unwrap();
    let reports = Arc::new(Mutex::new(Vec::new()));
    let c = Arc::new(Synthetic { per_type: PER_TYPE, page: 500, pause: Duration::ZERO });
    let sink = reports.clone();
    let invoke: Invoke = Arc::new(move |body: Vec<u8>| {
        let (c, cfg, sink) = (c.clone(), cfg.clone(), sink.clone());
        Box::pin(async move {
            let r = run_invocation(&body, c.as_ref(), &cfg).await.expect("the invocation parses");
            sink.lock().unwrap().extend(r);
        })
    });
    let p = Platform::new(emu.emu.clone(), invoke);
    Hostile { emu, p, reports, _dir: dir }
}

/// Short per-attempt timeouts, so stalls are seen in well under a second.
fn impatient() -> RuntimeConfig {
    RuntimeConfig {
        devrev_retry: RetryPolicy { max_retries: 2, base_delay: Duration::from_millis(10), timeout: Some(Duration::from_millis(1000)) },
        ..fast_runtime(Duration::from_secs(60))
    }
}

impl Hostile {
    fn fault(&self, f: Fault) {
        self.emu.emu.store.lock().unwrap().faults.push(f);
    }

    fn clear_faults(&self) {
        self.emu.emu.store.lock().unwrap().faults.clear();
    }

    fn last_report(&self) -> EventReport {
        self.reports.lock().unwrap().last().cloned().expect("the worker reported")
    }

    /// The reply must be one `*_ERROR` whose message names `what`; returns the message.
    async fn expect_error(&self, event: &str, what: &str) -> String {
        let r = self.p.invoke_one(event, "INITIAL").await.expect("an ERROR reply still goes out");
        assert!(r.event_type.ends_with("_ERROR"), "{} for {event}", r.event_type);
        let msg = r.body["event_data"]["error"]["message"].as_str().unwrap().to_string();
        assert!(msg.contains(what), "`{msg}` does not name `{what}`");
        assert!(!msg.contains("devrev-test-token"), "{msg}");
        assert!(!msg.contains("crashed") && !msg.contains("panic"), "{msg}");
        msg
    }

    /// Continues the data phase until DONE (bounded), then checks that every record arrived,
    /// in reported artifacts only, with no protocol violation.
    async fn finish_and_check(&self) {
        for _ in 0..10 {
            let r = self.p.invoke_one("CONTINUE_EXTRACTING_DATA", "INITIAL").await.expect("a reply");
            if r.event_type == "DATA_EXTRACTION_DONE" {
                break;
            }
            assert_eq!(r.event_type, "DATA_EXTRACTION_PROGRESS", "{:?}", r.body);
        }
        let mut st = self.emu.emu.store.lock().unwrap();
        st.finish_checks();
        assert_eq!(st.violations, Vec::<String>::new());
        for t in ["widgets", "gadgets"] {
            let got: Vec<String> = st.ids(t).into_iter().collect();
            assert_eq!(got, ids(t, PER_TYPE), "{t}: records lost");
        }
    }

    fn state(&self) -> Value {
        serde_json::from_str(&self.emu.emu.store.lock().unwrap().states["su1"]).unwrap()
    }

    fn violations(&self) -> Vec<String> {
        let mut st = self.emu.emu.store.lock().unwrap();
        st.finish_checks();
        st.violations.clone()
    }
}

fn with(endpoint: &str, status: u16, body: &str, times: u32) -> Fault {
    Fault::status(endpoint, status, body, times)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_500s_and_429s_are_retried_within_the_invocation() {
    let h = hostile(fast_runtime(Duration::from_secs(60))).await;
    h.fault(with("state.get", 500, "busy", 1));
    h.fault(Fault { retry_after: Some(0), ..with("upload-url", 429, "slow down", 2) });
    h.fault(with("upload", 503, "", 1));
    h.fault(with("confirm", 502, "", 1));
    h.fault(with("state.update", 500, "", 1));
    h.fault(with("callback", 500, "", 1));
    let r = h.p.invoke_one("START_EXTRACTING_DATA", "INITIAL").await.expect("a reply after retries");
    assert_eq!(r.event_type, "DATA_EXTRACTION_DONE");
    assert!(h.emu.emu.store.lock().unwrap().faults.iter().all(|f| f.times == 0), "every fault was met and retried");
    h.finish_and_check().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistent_500s_and_429s_end_in_one_error_naming_the_endpoint() {
    let h = hostile(fast_runtime(Duration::from_secs(60))).await;
    h.fault(with("upload-url", 500, "down", 100));
    h.expect_error("START_EXTRACTING_DATA", "artifacts.upload-url answered HTTP 500").await;
    h.clear_faults();
    // A 429 without a numeric Retry-After fails at once, as in the SDK.
    h.fault(with("confirm", 429, "", 100));
    h.expect_error("CONTINUE_EXTRACTING_DATA", "artifacts.confirm-upload answered HTTP 429").await;
    h.clear_faults();
    h.finish_and_check().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_json_body_with_200_is_an_error_naming_the_endpoint() {
    let h = hostile(fast_runtime(Duration::from_secs(60))).await;
    h.fault(with("snap-in", 200, "[]", 100));
    h.expect_error("START_EXTRACTING_METADATA", "Error while installing initial domain mapping").await;
    h.clear_faults();
    h.fault(with("upload-url", 200, "<html>gateway</html>", 100));
    let msg = h.expect_error("START_EXTRACTING_DATA", "artifacts.upload-url answered with an unusable body").await;
    assert!(msg.contains("not JSON"), "{msg}");
    h.fault(with("state.get", 200, "{\"state\": 42}", 100));
    h.expect_error("CONTINUE_EXTRACTING_DATA", "state get answered with an unusable body").await;
    h.clear_faults();
    h.finish_and_check().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_body_is_retried_like_a_dropped_connection() {
    let h = hostile(impatient()).await;
    // Once: the retry gets the whole state.
    h.p.invoke_one("START_EXTRACTING_METADATA", "INITIAL").await.unwrap();
    let whole = json!({"state": h.emu.emu.store.lock().unwrap().states["su1"]}).to_string();
    h.fault(Fault { truncate: true, ..with("state.get", 200, &whole, 1) });
    h.fault(Fault { truncate: true, ..with("upload-url", 200, "{\"upload_url\": \"http://127.0.0.1:1/x\", \"artifact_id\": \"a\"}", 1) });
    let r = h.p.invoke_one("START_EXTRACTING_DATA", "INITIAL").await.unwrap();
    assert_eq!(r.event_type, "DATA_EXTRACTION_DONE");
    // Always: one ERROR that says the call could not complete.
    h.fault(Fault { truncate: true, ..with("state.get", 200, &whole, 100) });
    h.expect_error("CONTINUE_EXTRACTING_DATA", "state get could not be reached").await;
    h.clear_faults();
    h.finish_and_check().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_that_is_not_json_or_not_an_object_is_refused_and_left_alone() {
    let h = hostile(fast_runtime(Duration::from_secs(60))).await;
    for bad in ["not json {", "[1, 2]", "\"a string\"", "null", "{\"truncated\": "] {
        h.emu.emu.store.lock().unwrap().states.insert("su1".into(), bad.into());
        let msg = h.expect_error("START_EXTRACTING_DATA", "the stored worker state is not a JSON object").await;
        assert!(msg.contains("delete the import's state"), "the message says what to do: {msg}");
        assert_eq!(h.emu.emu.store.lock().unwrap().states["su1"], bad, "the worker did not overwrite a state it could not read");
    }
    assert!(h.emu.emu.store.lock().unwrap().artifacts.is_empty(), "nothing was extracted on an unreadable state");
    assert_eq!(h.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_from_a_future_version_keeps_its_unknown_keys() {
    let h = hostile(fast_runtime(Duration::from_secs(60))).await;
    let future = json!({
        "lastSyncStarted": "", "lastSuccessfulSyncStarted": "", "snapInVersionId": "",
        "schemaVersion": 7, "aNewSdkKey": {"nested": [1, 2, {"deep": true}]},
        "synthetic": {"widgets": 500, "fromTheFuture": {"cursor": "opaque"}},
        "airsync_runtime": {"phase": "data", "run_id": "another-run", "unreported_artifacts": [], "v2": "x"}
    });
    h.emu.emu.store.lock().unwrap().states.insert("su1".into(), future.to_string());
    let r = h.p.invoke_one("START_EXTRACTING_DATA", "INITIAL").await.unwrap();
    assert_eq!(r.event_type, "DATA_EXTRACTION_DONE");
    let saved = h.state();
    assert_eq!(saved["schemaVersion"], 7);
    assert_eq!(saved["aNewSdkKey"], future["aNewSdkKey"]);
    assert_eq!(saved["synthetic"]["fromTheFuture"], future["synthetic"]["fromTheFuture"], "the connector section keeps unknown keys");
    assert_eq!(saved["synthetic"]["widgets"], PER_TYPE);
    // The state said widgets 0..500 were done: the worker resumed after them.
    let st = h.emu.emu.store.lock().unwrap();
    let widgets = st.ids("widgets");
    assert_eq!(widgets.len(), PER_TYPE - 500);
    assert!(!widgets.contains("widgets-00499") && widgets.contains("widgets-00500"));
    assert!(st.violations.is_empty(), "{:?}", st.violations);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_url_that_refuses_the_upload_loses_no_record() {
    let h = hostile(fast_runtime(Duration::from_secs(60))).await;
    // The first artifact goes through; the second upload is refused by the pre-signed URL.
    h.fault(Fault { after: 1, ..with("upload", 403, "<Error><Code>AccessDenied</Code></Error>", 100) });
    h.expect_error("START_EXTRACTING_DATA", "artifact upload answered HTTP 403").await;
    let reported: usize = h.emu.emu.store.lock().unwrap().artifacts.values().filter(|a| a.reported > 0).count();
    assert_eq!(reported, 1, "the ERROR reports the one artifact that was uploaded, never the refused one");
    assert_eq!(h.violations(), Vec::<String>::new());
    h.clear_faults();
    h.finish_and_check().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirm_that_fails_reports_nothing_unconfirmed_and_loses_no_record() {
    let h = hostile(fast_runtime(Duration::from_secs(60))).await;
    h.fault(Fault { after: 2, ..with("confirm", 500, "confirm is down", 100) });
    h.expect_error("START_EXTRACTING_DATA", "artifacts.confirm-upload answered HTTP 500").await;
    let unconfirmed: Vec<u32> = {
        let st = h.emu.emu.store.lock().unwrap();
        st.artifacts.values().filter(|a| a.uploaded && !a.confirmed).map(|a| a.reported).collect()
    };
    assert_eq!(unconfirmed.len(), 1, "the third upload was not confirmed");
    assert!(unconfirmed.iter().all(|r| *r == 0), "an unconfirmed artifact is never reported");
    h.clear_faults();
    h.finish_and_check().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_callback_is_retried_and_answered_once() {
    let h = hostile(impatient()).await;
    // The first delivery hangs past the per-attempt timeout (and is never processed).
    h.fault(Fault { stall_ms: Some(5_000), ..with("callback", 504, "", 1) });
    let started = Instant::now();
    let r = h.p.invoke_one("START_EXTRACTING_DATA", "INITIAL").await.expect("the retry delivers the reply");
    assert_eq!(r.event_type, "DATA_EXTRACTION_DONE");
    assert!(started.elapsed() < Duration::from_secs(5), "the stall was cut by the timeout, not waited out");
    // A slow but healthy callback (under the timeout) is just slow.
    h.fault(Fault { stall_ms: Some(100), ..with("callback", 200, "", 1) });
    assert_eq!(h.p.invoke_one("CONTINUE_EXTRACTING_DATA", "INITIAL").await.unwrap().event_type, "DATA_EXTRACTION_DONE");
    assert_eq!(h.violations(), Vec::<String>::new(), "one reply per event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_that_never_answers_leaves_the_data_for_the_next_invocation() {
    let h = hostile(impatient()).await;
    h.fault(Fault { stall_ms: Some(5_000), ..with("callback", 504, "", 100) });
    assert!(h.p.invoke_one("START_EXTRACTING_DATA", "INITIAL").await.is_none(), "no reply got through");
    let rep = h.last_report();
    assert!(rep.reply.is_none());
    assert!(rep.error.as_deref().unwrap_or("").contains("callback could not be reached"), "{rep:?}");
    // The uploaded artifacts wait in the state; the next invocation of the run reports them.
    let carried = h.state()["airsync_runtime"]["unreported_artifacts"].as_array().unwrap().len();
    assert_eq!(carried, 4, "2500 records of two types in batches of 2000");
    h.clear_faults();
    h.finish_and_check().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mb_body_is_refused_with_the_limit_named() {
    let h = hostile(fast_runtime(Duration::from_secs(60))).await;
    const FIFTY_MB: usize = 50 * 1024 * 1024;
    h.fault(Fault { pad_to: Some(FIFTY_MB), ..with("state.get", 200, "{\"state\": \"{}\"}", 100) });
    h.expect_error("START_EXTRACTING_DATA", "state get: the answer is over the").await;
    h.clear_faults();
    h.fault(Fault { pad_to: Some(FIFTY_MB), ..with("upload-url", 200, "{}", 100) });
    h.expect_error("START_EXTRACTING_DATA", "artifacts.upload-url: the answer is over the 1048576-byte limit").await;
    h.clear_faults();
    // A 50 MB error body is cut, not read whole into the message.
    h.fault(Fault { pad_to: Some(FIFTY_MB), ..with("confirm", 400, "no", 100) });
    let msg = h.expect_error("CONTINUE_EXTRACTING_DATA", "artifacts.confirm-upload answered HTTP 400").await;
    assert!(msg.len() < 2_000, "{} bytes", msg.len());
    h.clear_faults();
    // A stored state over the limit (valid JSON, inside a body under the cap) is refused too.
    let big = json!({"synthetic": {}, "pad": "x".repeat(MAX_STATE_BYTES)}).to_string();
    let before = h.emu.emu.store.lock().unwrap().states.insert("su1".into(), big.clone());
    h.expect_error("CONTINUE_EXTRACTING_DATA", "the stored state is over the 4194304-byte limit").await;
    assert_eq!(h.emu.emu.store.lock().unwrap().states["su1"], big, "left alone");
    h.emu.emu.store.lock().unwrap().states.insert("su1".into(), before.unwrap());
    h.finish_and_check().await;
    let ids: BTreeSet<String> = h.emu.emu.store.lock().unwrap().ids("widgets");
    assert_eq!(ids.len(), PER_TYPE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_asking_to_wait_forever_is_not_waited_out() {
    let h = hostile(fast_runtime(Duration::from_secs(60))).await;
    let started = Instant::now();
    h.fault(Fault { retry_after: Some(u64::MAX), ..with("state.get", 429, "", 100) });
    h.expect_error("START_EXTRACTING_DATA", "state get answered HTTP 429").await;
    h.clear_faults();
    h.fault(Fault { retry_after: Some(u64::MAX), ..with("callback", 429, "", 100) });
    assert!(h.p.invoke_one("START_EXTRACTING_DATA", "INITIAL").await.is_none());
    assert!(h.last_report().error.unwrap().contains("callback answered HTTP 429"));
    assert!(started.elapsed() < Duration::from_secs(20), "no wait was taken");
    h.clear_faults();
    h.finish_and_check().await;
}
