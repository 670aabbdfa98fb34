//! OAuth 2.0 service apps end to end: the connector against the simulator's authorization
//! server (private_key_jwt, DPoP with nonces, scoped and expiring tokens, admin roles), and the
//! token request's shape against wiremock.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use okta_airsync::okta::oauth::ServiceApp;
use okta_airsync::okta::{OktaClient, OktaConfig};
use okta_sim::{self as sim, OAuthApp, SimConfig};
use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{json, Value};

use crate::helpers::*;

/// A service app's key pair: the private PEM for the connector, the public PEM for Okta.
pub struct Keys {
    pub private_pem: String,
    pub public_pem: String,
}

/// A fresh EC P-256 key pair.
pub fn ec_keys() -> Keys {
    let sk = p256::SecretKey::random(&mut rand::rngs::OsRng);
    Keys {
        private_pem: sk.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
        public_pem: sk.public_key().to_public_key_pem(LineEnding::LF).unwrap(),
    }
}

/// The connection key of the OAuth keyring (the JSON of its fields).
pub fn oauth_key(client_id: &str, keys: &Keys, scopes: &[&str]) -> String {
    json!({"client_id": client_id, "private_key": keys.private_pem, "kid": "", "scopes": scopes.join(" ")}).to_string()
}

/// A world whose org has `app` (registered with `keys`' public half) and whose connection is
/// that app, asking for `scopes` (empty: the connector's default, every read scope it uses).
async fn oauth_world(mut cfg: SimConfig, keys: &Keys, app: impl FnOnce(OAuthApp) -> OAuthApp, scopes: &[&str]) -> World {
    cfg.oauth = Some(app(OAuthApp::new("0oaconnector", &keys.public_pem)));
    let mut w = world(cfg, Duration::from_secs(600)).await;
    w.platform.connection_key = oauth_key("0oaconnector", keys, scopes);
    w
}

fn oauth_stats(w: &World) -> Value {
    w.sim.sim.stats()["oauth"].clone()
}

fn job(w: &World, name: &str) -> Value {
    w.platform.state_section("su1", okta_airsync::connector::OktaConnector::STATE_KEY)[format!("job.{name}")].clone()
}

fn assert_types_equal_truth(w: &World, types: &[&str]) {
    let truth = w.sim.sim.truth(None);
    for t in types {
        assert_eq!(w.stored_ids(t), w.truth_ids(&truth, t), "{t} equals the truth");
        assert!(!w.stored_ids(t).is_empty(), "{t}: the org has some");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_as_a_dpop_bound_service_app_equals_the_truth_with_one_token_per_invocation_and_a_verified_proof_per_call() {
    let keys = ec_keys();
    let mut w = oauth_world(small(61), &keys, |a| OAuthApp { require_dpop: true, ..a }, &[]).await;
    // After every reply: the API calls the simulator served and the tokens it issued so far.
    let marks: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
    let (m, s) = (marks.clone(), w.sim.sim.clone());
    w.platform.on_reply = Some(Arc::new(move |_| {
        let st = s.stats();
        m.lock().unwrap().push((st["total_calls"].as_u64().unwrap(), st["oauth"]["tokens_issued"].as_u64().unwrap()));
    }));
    let rep = w.platform.run_sync("INITIAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    assert_types_equal_truth(&w, okta_airsync::extract::ITEM_TYPES);
    assert_eq!(w.violations(), Vec::<String>::new());
    // One token for each invocation that called Okta, none for one that did not (hour-long
    // tokens: no expiry within an invocation here).
    let marks = marks.lock().unwrap().clone();
    assert_eq!(marks.len(), rep.invocations);
    let mut prev = (0, 0);
    for (i, &(calls, tokens)) in marks.iter().enumerate() {
        let expected = u64::from(calls > prev.0);
        assert_eq!(tokens - prev.1, expected, "invocation {i}: {} API calls, {} tokens", calls - prev.0, tokens - prev.1);
        prev = (calls, tokens);
    }
    let o = oauth_stats(&w);
    let calls = w.sim_calls();
    eprintln!("oauth+dpop sync: {} invocations, {calls} API calls, {o}", rep.invocations);
    assert_eq!(o["proofs_verified"].as_u64().unwrap(), calls, "every API call carried a proof the simulator verified");
    assert_eq!(o["proofs_rejected"], 0);
    assert_eq!(o["tokens_refused"], 0);
    assert_eq!(o["insufficient_scope"], 0, "the default scopes cover every endpoint the sync reads");
    // Each invocation's first token request learns that DPoP is required and then the nonce:
    // three requests for its one token.
    assert_eq!(o["token_requests"].as_u64().unwrap(), 3 * o["tokens_issued"].as_u64().unwrap());
}

#[tokio::test(start_paused = true)]
async fn a_token_is_reused_until_shortly_before_it_expires_then_replaced_once() {
    let keys = ec_keys();
    let app = OAuthApp { require_dpop: true, token_ttl_secs: 300, ..OAuthApp::new("0oaclient", &keys.public_pem) };
    let h = sim::start(SimConfig { oauth: Some(app), ..small(62) }).await.unwrap();
    let service_app = ServiceApp::from_fields("0oaclient", &keys.private_pem, "", "okta.orgs.read okta.users.read").unwrap();
    let mut cfg = OktaConfig::new(url::Url::parse(&h.base_url).unwrap(), service_app);
    cfg.request_timeout = None;
    cfg.pool_idle_timeout = None;
    let c = OktaClient::new(cfg).unwrap();
    // The simulator's clock follows the paused one. A 300 s token is replaced 60 s early.
    let mut at = 0;
    for t in [0u64, 100, 200, 239, 241, 400, 479, 481, 500] {
        tokio::time::sleep(Duration::from_secs(t - at)).await;
        h.sim.clock.advance((t - at) as i64);
        at = t;
        c.get(&c.url("/api/v1/org", &[])).await.unwrap();
        c.get(&c.url("/api/v1/users", &[("limit", "2")])).await.unwrap();
    }
    let o = h.sim.stats()["oauth"].clone();
    assert_eq!(c.tokens_obtained(), 3, "one token, then one per expiry (at 240 s and 480 s)");
    assert_eq!(o["tokens_issued"], 3);
    assert_eq!(o["proofs_verified"], 18);
    assert_eq!(o["tokens_refused"], 0);
    // DPoP and the nonce are learned once per client.
    assert_eq!(o["token_requests"], 5);
    assert_eq!(c.token_requests(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_okta_rejects_mid_run_is_replaced_once_and_the_request_repeated() {
    let keys = ec_keys();
    let h = sim::start(SimConfig { oauth: Some(OAuthApp::new("0oaclient", &keys.public_pem)), ..small(63) }).await.unwrap();
    let app = ServiceApp::from_fields("0oaclient", &keys.private_pem, "", "").unwrap();
    let c = OktaClient::new(OktaConfig::new(url::Url::parse(&h.base_url).unwrap(), app)).unwrap();
    c.get(&c.url("/api/v1/org", &[])).await.unwrap();
    h.sim.oauth.as_ref().unwrap().revoke_tokens();
    c.get(&c.url("/api/v1/org", &[])).await.unwrap();
    let o = h.sim.stats()["oauth"].clone();
    assert_eq!((o["tokens_issued"].as_u64(), o["tokens_refused"].as_u64()), (Some(2), Some(1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_scopes_skip_exactly_their_item_types_with_the_scope_named() {
    let keys = ec_keys();
    let granted: Vec<String> = okta_airsync::okta::oauth::scopes::all()
        .into_iter()
        .filter(|s| s != "okta.roles.read" && s != "okta.devices.read" && s != "okta.logs.read")
        .collect();
    let asked: Vec<&str> = granted.iter().map(String::as_str).collect();
    let g = granted.clone();
    let w = oauth_world(small(64), &keys, move |a| OAuthApp { granted_scopes: g, ..a }, &asked).await;
    let rep = w.platform.run_sync("INITIAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    for (j, types, scope) in [
        ("roles", &["iam_roles", "iam_role_members"][..], "okta.roles.read"),
        ("devices", &["devices"][..], "okta.devices.read"),
        ("system_logs", &["system_logs", "app_sign_ins"][..], "okta.logs.read"),
    ] {
        let st = job(&w, j);
        assert_eq!(st["status"], "skipped", "{j}: {st}");
        for t in types {
            let note = st["skipped"][t].as_str().unwrap_or_else(|| panic!("{j}: no note for {t}: {st}"));
            assert!(note.contains(scope) && note.contains("insufficient_scope") && note.contains("grant"), "{t}: {note}");
            assert!(w.stored_ids(t).is_empty(), "{t}: nothing sent");
        }
    }
    let skipped: BTreeSet<&str> = ["iam_roles", "iam_role_members", "devices", "system_logs", "app_sign_ins"].into();
    let rest: Vec<&str> = okta_airsync::extract::ITEM_TYPES.iter().copied().filter(|t| !skipped.contains(t)).collect();
    assert_types_equal_truth(&w, &rest);
    assert_eq!(oauth_stats(&w)["insufficient_scope"].as_u64().map(|n| n > 0), Some(true));
}

/// The admin's detail of an event's error: the reply says only ts-adaas's exact code; the
/// detail goes to the worker's log and its event report, which this reads by running the same
/// event in-process.
async fn error_detail(w: &World, event: &str, mode: &str) -> (String, String) {
    use okta_airsync::connector::{OktaConnector, Settings};
    let settings = Settings { base_url_override: Some(url::Url::parse(&w.sim.base_url).unwrap()), ..Settings::default() };
    let (ev, _) = w.platform.event(event, mode);
    let cfg = fast_runtime(Duration::from_secs(60));
    let reports =
        okta_airsync::airsync::runtime::run_invocation(&serde_json::to_vec(&ev).unwrap(), &OktaConnector { settings }, &cfg).await.unwrap();
    let reply = reports[0].reply.clone().unwrap_or_default();
    (reply, reports[0].error.clone().unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_app_without_an_admin_role_is_told_to_assign_one() {
    let keys = ec_keys();
    let w = oauth_world(small(65), &keys, |a| OAuthApp { admin_role: false, ..a }, &[]).await;
    let rep = w.platform.run_sync("INITIAL").await;
    assert_ne!(rep.outcome, "DONE");
    // The reply carries exactly ts-adaas's string; the detail is in the event report.
    assert_eq!(rep.error.unwrap_or_default(), "ERROR_CODE=EXTERNAL_SYSTEM_NO_PERMISSION");
    w.platform.new_run();
    let (_, err) = error_detail(&w, "START_EXTRACTING_EXTERNAL_SYNC_UNITS", "INITIAL").await;
    assert!(
        err.contains("EXTERNAL_SYSTEM_NO_PERMISSION") && err.contains("admin role") && err.contains("Read-only Administrator"),
        "{err}"
    );
    assert!(!err.contains("insufficient_scope"), "{err}");
    // A data phase whose every entity answers 403 gives the service app's advice too.
    let (_, err) = error_detail(&w, "START_EXTRACTING_DATA", "INITIAL").await;
    assert!(err.contains("EXTERNAL_SYSTEM_NO_PERMISSION") && err.contains("assign the app an admin role"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_client_key_ends_the_next_phase_with_external_system_no_access() {
    let keys = ec_keys();
    let w = oauth_world(small(66), &keys, |a| a, &[]).await;
    assert_eq!(w.platform.run_sync("INITIAL").await.outcome, "DONE");
    w.sim.sim.oauth.as_ref().unwrap().revoke_key();
    for event in ["START_EXTRACTING_METADATA", "START_EXTRACTING_DATA"] {
        let r = w.platform.invoke_one(event, "INCREMENTAL").await.unwrap();
        let msg = r.body.pointer("/event_data/error/message").and_then(Value::as_str).unwrap_or_default().to_string();
        assert!(r.event_type.ends_with("_ERROR"), "{event}: {}", r.event_type);
        assert_eq!(msg, "ERROR_CODE=EXTERNAL_SYSTEM_NO_ACCESS", "{event}");
        let (_, detail) = error_detail(&w, event, "INCREMENTAL").await;
        assert!(detail.contains("invalid_client"), "{event}: {detail}");
        assert!(detail.contains("public key registered"), "{event}: says what to check: {detail}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scopes_the_app_was_not_granted_end_with_no_access_naming_them() {
    let keys = ec_keys();
    let w = oauth_world(small(67), &keys, |a| OAuthApp { granted_scopes: vec!["okta.orgs.read".into()], ..a }, &[]).await;
    let r = w.platform.invoke_one("START_EXTRACTING_EXTERNAL_SYNC_UNITS", "INITIAL").await.unwrap();
    let msg = r.body.pointer("/event_data/error/message").and_then(Value::as_str).unwrap_or_default().to_string();
    assert_eq!(msg, "ERROR_CODE=EXTERNAL_SYSTEM_NO_ACCESS");
    let (_, detail) = error_detail(&w, "START_EXTRACTING_EXTERNAL_SYNC_UNITS", "INITIAL").await;
    assert!(detail.contains("invalid_scope") && detail.contains("okta.users.read"), "{detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_connects_as_a_service_app_to_the_sim_command_with_dpop_and_explains_a_wrong_key() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let (keys, other) = (ec_keys(), ec_keys());
    let public = dir.path().join("public.pem");
    std::fs::write(&public, &keys.public_pem).unwrap();
    /// Ends the simulator it started however the test ends.
    struct Child(std::process::Child);
    impl Drop for Child {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut sim = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_okta-airsync"))
            .args(["sim", "--listen", "127.0.0.1:0", "--users", "20", "--oauth-client-id", "0oacli", "--require-dpop"])
            .arg("--oauth-public-key")
            .arg(&public)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = std::io::BufReader::new(sim.0.stdout.take().unwrap()).lines();
    let ready = lines.next().unwrap().unwrap();
    let base = ready.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_string();
    assert!(lines.next().unwrap().unwrap().contains("OAuth service app 0oacli"));
    let path = dir.path().to_path_buf();
    let check = move |name: &str, key: &str| {
        let file = path.join(name);
        std::fs::write(&file, key).unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_okta-airsync"))
            .args(["check", "--domain", "sim-acme", "--okta-base-url", &base, "--client-id", "0oacli", "--scopes", "okta.orgs.read"])
            .arg("--private-key-file")
            .arg(&file)
            .env_remove("OKTA_API_TOKEN")
            .output()
            .unwrap()
    };
    let (good, bad) = tokio::task::spawn_blocking({
        let (k, o) = (keys.private_pem.clone(), other.private_pem.clone());
        move || (check("right.pem", &k), check("wrong.pem", &o))
    })
    .await
    .unwrap();
    drop(sim);
    assert!(good.status.success(), "{}", String::from_utf8_lossy(&good.stderr));
    assert!(String::from_utf8_lossy(&good.stdout).contains("as the OAuth service app"));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success() && err.contains("invalid_client") && err.contains("public key registered"), "{err}");
    assert!(!err.contains(&other.private_pem[40..80]), "the key is not quoted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_user_type_and_authorization_server_scopes_users_and_the_orgs_policies_are_still_read() {
    let keys = ec_keys();
    let granted: Vec<String> = okta_airsync::okta::oauth::scopes::all()
        .into_iter()
        .filter(|s| s != "okta.userTypes.read" && s != "okta.authorizationServers.read")
        .collect();
    let asked: Vec<&str> = granted.iter().map(String::as_str).collect();
    let g = granted.clone();
    let w = oauth_world(small(69), &keys, move |a| OAuthApp { granted_scopes: g, ..a }, &asked).await;
    let rep = w.platform.run_sync("INITIAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    let truth = w.sim.sim.truth(None);
    let org_policies: BTreeSet<String> =
        truth["record_types"]["policies"]["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(w.stored_ids("policies"), org_policies, "the org's policies, not the authorization servers'");
    let note = job(&w, "policies")["note"].as_str().unwrap_or_default().to_string();
    assert!(note.contains("okta.authorizationServers.read"), "{note}");
    assert_types_equal_truth(&w, &["users", "groups", "factors", "applications"]);
    let users = job(&w, "users")["note"].as_str().unwrap_or_default().to_string();
    assert!(users.contains("okta.userTypes.read"), "{users}");
}
