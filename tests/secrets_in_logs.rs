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
use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};

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

    // An OAuth service app with DPoP: the private key, the client assertions, the access
    // tokens and the DPoP proofs appear in no log, reply, state or artifact; nor on the error
    // paths (a token rejected mid-run, a revoked key).
    let sk = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let private_pem = sk.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let public_pem = sk.public_key().to_public_key_pem(LineEnding::LF).unwrap();
    let mut cfg = small(42);
    cfg.oauth = Some(okta_sim::OAuthApp { require_dpop: true, ..okta_sim::OAuthApp::new("0oaleak", &public_pem) });
    let mut o = world(cfg, Duration::from_secs(600)).await;
    o.platform.connection_key = serde_json::json!({"client_id": "0oaleak", "private_key": private_pem, "scopes": ""}).to_string();
    let before = cap.0.lock().unwrap().len();
    assert_eq!(o.platform.run_sync("INITIAL").await.outcome, "DONE");
    let server = o.sim.sim.oauth.as_ref().unwrap();
    server.revoke_tokens();
    server.revoke_key();
    let revoked = o.platform.invoke_one("START_EXTRACTING_DATA", "INCREMENTAL").await.unwrap();
    assert!(revoked.body.to_string().contains("EXTERNAL_SYSTEM_NO_ACCESS"), "{}", revoked.body);
    let logs = String::from_utf8(cap.0.lock().unwrap()[before..].to_vec()).unwrap();
    assert!(logs.contains("obtained an OAuth access token"), "TRACE logging captured the OAuth run");
    let exchanged = server.secrets();
    let (assertions, proofs, tokens) = (
        exchanged.iter().filter(|s| jsonwebtoken::decode_header(s).is_ok_and(|h| h.typ.as_deref() != Some("dpop+jwt"))).count(),
        exchanged.iter().filter(|s| jsonwebtoken::decode_header(s).is_ok_and(|h| h.typ.as_deref() == Some("dpop+jwt"))).count(),
        exchanged.iter().filter(|s| s.starts_with("simat-")).count(),
    );
    assert!(
        assertions > 2 && proofs > 100 && tokens > 2,
        "the run exchanged assertions, proofs and tokens ({assertions}, {proofs}, {tokens})"
    );
    let mut oauth_secrets = exchanged;
    // The key: its PEM whole and every line of its body, and the private scalar.
    oauth_secrets.push(private_pem.clone());
    oauth_secrets.extend(private_pem.lines().filter(|l| !l.starts_with("-----")).map(str::to_string));
    oauth_secrets.push(serde_json::from_str::<serde_json::Value>(&sk.to_jwk_string()).unwrap()["d"].as_str().unwrap().to_string());
    let st = o.emu.emu.store.lock().unwrap();
    let state = st.states["su1"].clone();
    let artifacts: String = okta_airsync::extract::ITEM_TYPES.iter().map(|t| serde_json::to_string(&st.records(t)).unwrap()).collect();
    assert!(artifacts.len() > 10_000, "the artifacts were captured");
    for s in &oauth_secrets {
        let s = s.as_str();
        assert!(!logs.contains(s), "an OAuth secret appears in the logs: {}…", &s[..12.min(s.len())]);
        assert!(!revoked.body.to_string().contains(s), "an OAuth secret appears in the error reply");
        assert!(!state.contains(s), "an OAuth secret appears in the state");
        assert!(!artifacts.contains(s), "an OAuth secret appears in the artifacts");
    }
}
