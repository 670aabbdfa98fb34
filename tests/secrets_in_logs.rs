//! No secret in the logs: a whole sync with TRACE logging captured, then searched.
//!
//! Its own test binary (not part of `tests/it`): it installs a global TRACE subscriber, and
//! tracing's callsite cache is process-wide, so sharing a process with other tests made the
//! capture incomplete.
#![allow(clippy::unwrap_used)] // a test binary: unwraps are assertions

#[path = "it/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use helpers::*;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_or_seeded_secret_appears_in_trace_logs_or_errors() {
    let cap = Capture::default();
    let writer = cap.clone();
    let sub = tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(move || writer.clone()).finish();
    tracing::subscriber::set_global_default(sub).unwrap();
    let w = world(small(41), Duration::from_secs(600)).await;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    // And an error path: a wrong token.
    let mut bad = world(small(41), Duration::from_secs(600)).await;
    bad.platform.connection_key = serde_json::json!({"domain": "sim-acme.okta.com", "token": "wrong-secret-token-value"}).to_string();
    let r = bad.platform.invoke_one("START_EXTRACTING_DATA", "INITIAL").await.unwrap();
    let logs = String::from_utf8(cap.0.lock().unwrap().clone()).unwrap();
    assert!(logs.len() > 10_000, "TRACE logging captured the run ({} bytes)", logs.len());
    let mut secrets: Vec<String> =
        w.sim.sim.truth(None)["secrets"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
    secrets.extend(["sim-token".to_string(), "devrev-test-token".to_string(), "wrong-secret-token-value".to_string()]);
    for s in &secrets {
        assert!(!logs.contains(s.as_str()), "{s} appears in the logs");
        assert!(!r.body.to_string().contains(s.as_str()), "{s} appears in the error reply");
    }
    let state = w.emu.emu.store.lock().unwrap().states["su1"].clone();
    for s in &secrets {
        assert!(!state.contains(s.as_str()), "{s} appears in the state");
    }
}
