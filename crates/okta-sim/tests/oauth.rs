//! The simulator's OAuth 2.0 authorization server on its own: what it refuses (forged, replayed,
//! mis-addressed or expired assertions; ungranted scopes; DPoP proofs missing, stale, replayed,
//! for another URL, token or key) and what it counts.
#![allow(clippy::unwrap_used)]

mod common;

use common::small;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use okta_sim::{self as sim, OAuthApp, SimConfig};
use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{json, Value};

struct Key {
    enc: EncodingKey,
    public_pem: String,
    jwk: jsonwebtoken::jwk::Jwk,
}

fn key() -> Key {
    let sk = p256::SecretKey::random(&mut rand::rngs::OsRng);
    Key {
        enc: EncodingKey::from_ec_der(sk.to_pkcs8_der().unwrap().as_bytes()),
        public_pem: sk.public_key().to_public_key_pem(LineEnding::LF).unwrap(),
        jwk: serde_json::from_str(&sk.public_key().to_jwk_string()).unwrap(),
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn assertion(k: &Key, aud: &str, jti: &str, exp_in: i64) -> String {
    let claims = json!({"iss": "0oa1", "sub": "0oa1", "aud": aud, "iat": now(), "exp": now() + exp_in, "jti": jti});
    jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &k.enc).unwrap()
}

fn proof(k: &Key, htm: &str, htu: &str, jti: &str, ath: Option<&str>, nonce: Option<&str>) -> String {
    let mut h = Header::new(Algorithm::ES256);
    h.typ = Some("dpop+jwt".into());
    h.jwk = Some(k.jwk.clone());
    let claims = json!({"htm": htm, "htu": htu, "iat": now(), "jti": jti, "ath": ath, "nonce": nonce});
    jsonwebtoken::encode(&h, &claims, &k.enc).unwrap()
}

async fn token(base: &str, assertion: &str, scope: &str, dpop: Option<&str>) -> (u16, Option<String>, Value) {
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", scope),
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", assertion),
    ];
    let mut r = reqwest::Client::new().post(format!("{base}/oauth2/v1/token")).form(&form);
    if let Some(p) = dpop {
        r = r.header("dpop", p);
    }
    let r = r.send().await.unwrap();
    let nonce = r.headers().get("dpop-nonce").map(|v| v.to_str().unwrap().to_string());
    (r.status().as_u16(), nonce, r.json().await.unwrap())
}

async fn api(base: &str, path: &str, auth: &str, dpop: Option<&str>) -> (u16, String) {
    let mut r = reqwest::Client::new().get(format!("{base}{path}")).header("authorization", auth);
    if let Some(p) = dpop {
        r = r.header("dpop", p);
    }
    let r = r.send().await.unwrap();
    let www = r.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (r.status().as_u16(), www)
}

fn ath(token: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(token.as_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assertions_are_verified_scopes_enforced_and_tokens_expire() {
    let (k, other) = (key(), key());
    let app = OAuthApp { granted_scopes: vec!["okta.users.read".into(), "okta.orgs.read".into()], ..OAuthApp::new("0oa1", &k.public_pem) };
    let h = sim::start(SimConfig { oauth: Some(app), ..small(90) }).await.unwrap();
    let (b, aud) = (&h.base_url, format!("{}/oauth2/v1/token", h.base_url));
    let refused = |r: (u16, Option<String>, Value), status: u16, error: &str| {
        assert_eq!((r.0, r.2["error"].as_str()), (status, Some(error)), "{}", r.2);
    };
    refused(token(b, &assertion(&other, &aud, "j1", 300), "okta.users.read", None).await, 401, "invalid_client");
    refused(token(b, &assertion(&k, "https://elsewhere/oauth2/v1/token", "j2", 300), "okta.users.read", None).await, 401, "invalid_client");
    refused(token(b, &assertion(&k, &aud, "j3", -120), "okta.users.read", None).await, 401, "invalid_client");
    refused(token(b, &assertion(&k, &aud, "j4", 7200), "okta.users.read", None).await, 401, "invalid_client");
    refused(token(b, &assertion(&k, &aud, "j5", 300), "okta.users.read okta.logs.read", None).await, 400, "invalid_scope");
    let (s, _, t) = token(b, &assertion(&k, &aud, "j6", 300), "okta.users.read", None).await;
    assert_eq!((s, t["token_type"].as_str(), t["expires_in"].as_i64()), (200, Some("Bearer"), Some(3600)), "{t}");
    refused(token(b, &assertion(&k, &aud, "j6", 300), "okta.users.read", None).await, 401, "invalid_client");
    let bearer = format!("Bearer {}", t["access_token"].as_str().unwrap());
    assert_eq!(api(b, "/api/v1/users?limit=2", &bearer, None).await.0, 200);
    let (s, www) = api(b, "/api/v1/org", &bearer, None).await;
    assert!(s == 403 && www.contains(r#"scope="okta.orgs.read""#) && www.contains("insufficient_scope"), "{s} {www}");
    assert_eq!(api(b, "/api/v1/users", "Bearer forged", None).await.0, 401);
    h.sim.clock.advance(3601);
    let (s, www) = api(b, "/api/v1/users", &bearer, None).await;
    assert!(s == 401 && www.contains("invalid_token"), "{s} {www}");
    let o = h.sim.stats()["oauth"].clone();
    assert_eq!(
        (o["token_requests"].as_u64(), o["tokens_issued"].as_u64(), o["tokens_refused"].as_u64()),
        (Some(7), Some(1), Some(2)),
        "{o}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dpop_needs_a_fresh_proof_with_the_nonce_by_the_bound_key_for_this_request_and_token() {
    let (k, dk, other) = (key(), key(), key());
    let app = OAuthApp { require_dpop: true, ..OAuthApp::new("0oa1", &k.public_pem) };
    let h = sim::start(SimConfig { oauth: Some(app), ..small(91) }).await.unwrap();
    let (b, aud) = (&h.base_url, format!("{}/oauth2/v1/token", h.base_url));
    let (s, _, e) = token(b, &assertion(&k, &aud, "a1", 300), "okta.users.read", None).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_dpop_proof")));
    let (s, nonce, e) =
        token(b, &assertion(&k, &aud, "a2", 300), "okta.users.read", Some(&proof(&dk, "POST", &aud, "p1", None, None))).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("use_dpop_nonce")));
    let nonce = nonce.expect("a DPoP-Nonce header");
    let p = proof(&dk, "POST", &aud, "p2", None, Some(&nonce));
    let (s, _, t) = token(b, &assertion(&k, &aud, "a3", 300), "okta.users.read", Some(&p)).await;
    assert_eq!((s, t["token_type"].as_str()), (200, Some("DPoP")), "{t}");
    let at = t["access_token"].as_str().unwrap();
    let url = format!("{b}/api/v1/users");
    let auth = format!("DPoP {at}");
    assert_eq!(api(b, "/api/v1/users", &format!("Bearer {at}"), None).await.0, 401, "a bound token needs the DPoP scheme");
    assert_eq!(api(b, "/api/v1/users", &auth, None).await.0, 401, "and a proof");
    for (what, bad) in [
        ("another URL", proof(&dk, "GET", &format!("{b}/api/v1/groups"), "r1", Some(&ath(at)), None)),
        ("another method", proof(&dk, "POST", &url, "r2", Some(&ath(at)), None)),
        ("another token", proof(&dk, "GET", &url, "r3", Some(&ath("other")), None)),
        ("another key", proof(&other, "GET", &url, "r4", Some(&ath(at)), None)),
    ] {
        let (s, www) = api(b, "/api/v1/users?limit=1", &auth, Some(&bad)).await;
        assert!(s == 401 && www.contains("invalid_dpop_proof"), "{what}: {s} {www}");
    }
    let good = proof(&dk, "GET", &url, "r5", Some(&ath(at)), None);
    assert_eq!(api(b, "/api/v1/users?limit=1", &auth, Some(&good)).await.0, 200);
    assert_eq!(api(b, "/api/v1/users?limit=1", &auth, Some(&good)).await.0, 401, "a proof is used once");
    let o = h.sim.stats()["oauth"].clone();
    assert_eq!(
        (o["proofs_verified"].as_u64(), o["proofs_rejected"].as_u64(), o["nonce_challenges"].as_u64()),
        (Some(1), Some(6), Some(1)),
        "{o}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_without_an_admin_role_gets_403_without_a_scope_challenge() {
    let k = key();
    let app = OAuthApp { admin_role: false, ..OAuthApp::new("0oa1", &k.public_pem) };
    let h = sim::start(SimConfig { oauth: Some(app), ..small(92) }).await.unwrap();
    let aud = format!("{}/oauth2/v1/token", h.base_url);
    let (_, _, t) = token(&h.base_url, &assertion(&k, &aud, "a1", 300), "okta.users.read", None).await;
    let (s, www) = api(&h.base_url, "/api/v1/users", &format!("Bearer {}", t["access_token"].as_str().unwrap()), None).await;
    assert_eq!((s, www.as_str()), (403, ""));
}
