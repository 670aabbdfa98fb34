//! OAuth 2.0 on the wire (wiremock): the token request's form and client assertion, the
//! `Bearer` scheme, RSA keys; and the README's scope table against Okta's OpenAPI document.

use std::sync::{Arc, Mutex};

use okta_airsync::okta::oauth::{scopes, ServiceApp};
use okta_airsync::okta::{OktaClient, OktaConfig};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::oauth::ec_keys;

#[tokio::test]
async fn the_token_request_is_a_client_credentials_grant_with_a_signed_assertion_and_the_token_goes_as_bearer() {
    let server = MockServer::start().await;
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let s = seen.clone();
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(move |r: &Request| {
            s.lock().unwrap().push(String::from_utf8(r.body.clone()).unwrap());
            ResponseTemplate::new(200)
                .set_body_json(json!({"token_type": "Bearer", "expires_in": 3600, "access_token": "at-123", "scope": "okta.orgs.read"}))
        })
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/org"))
        .and(header("authorization", "Bearer at-123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "00o1"})))
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any()).respond_with(ResponseTemplate::new(418)).with_priority(u8::MAX).mount(&server).await;
    let keys = ec_keys();
    let app = ServiceApp::from_fields("0oa-client", &keys.private_pem, "kid-1", "okta.orgs.read, okta.users.read").unwrap();
    let c = OktaClient::new(OktaConfig::new(url::Url::parse(&server.uri()).unwrap(), app)).unwrap();
    for _ in 0..3 {
        c.get(&c.url("/api/v1/org", &[])).await.unwrap();
    }
    let requests = server.received_requests().await.unwrap();
    assert!(requests.iter().all(|r| !r.headers.contains_key("dpop")), "no DPoP proof unless the server asks for one");
    let body = seen.lock().unwrap()[0].clone();
    let form: std::collections::BTreeMap<String, String> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["scope"], "okta.orgs.read okta.users.read");
    assert_eq!(form["client_assertion_type"], "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    let aud = format!("{}/oauth2/v1/token", server.uri());
    let header = jsonwebtoken::decode_header(&form["client_assertion"]).unwrap();
    assert_eq!((header.alg, header.kid.as_deref()), (jsonwebtoken::Algorithm::ES256, Some("kid-1")));
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    v.set_audience(&[&aud]);
    v.set_issuer(&["0oa-client"]);
    let key = jsonwebtoken::DecodingKey::from_ec_pem(keys.public_pem.as_bytes()).unwrap();
    let claims = jsonwebtoken::decode::<Value>(&form["client_assertion"], &key, &v).unwrap().claims;
    assert_eq!(claims["sub"], "0oa-client");
    let life = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert!((60..=300).contains(&life), "a short-lived assertion ({life} s)");
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16), "a unique jti");
}

#[tokio::test]
async fn an_rsa_service_app_signs_rs256_assertions_okta_verifies() {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    let sk = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
    let private_pem = sk.to_pkcs1_pem(LineEnding::LF).unwrap().to_string();
    let public_pem = sk.to_public_key().to_public_key_pem(LineEnding::LF).unwrap();
    let app = okta_sim::OAuthApp { require_dpop: true, ..okta_sim::OAuthApp::new("0oarsa", &public_pem) };
    let h = okta_sim::start(okta_sim::SimConfig { oauth: Some(app), ..crate::helpers::small(68) }).await.unwrap();
    let service_app = ServiceApp::from_fields("0oarsa", &private_pem, "", "okta.orgs.read").unwrap();
    let c = OktaClient::new(OktaConfig::new(url::Url::parse(&h.base_url).unwrap(), service_app)).unwrap();
    c.get(&c.url("/api/v1/org", &[])).await.unwrap();
    assert_eq!(h.sim.stats()["oauth"]["proofs_verified"], 1);
    // The same key as a private JWK (as Okta's console generates it), with its kid.
    use base64::Engine;
    use rsa::traits::{PrivateKeyParts, PublicKeyParts};
    let b64 = |n: &rsa::BigUint| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(n.to_bytes_be());
    let jwk = json!({"kty": "RSA", "kid": "rsa-1", "use": "sig", "n": b64(sk.n()), "e": b64(sk.e()), "d": b64(sk.d()),
        "p": b64(&sk.primes()[0]), "q": b64(&sk.primes()[1])});
    let service_app = ServiceApp::from_fields("0oarsa", &jwk.to_string(), "", "okta.orgs.read").unwrap();
    let c = OktaClient::new(OktaConfig::new(url::Url::parse(&h.base_url).unwrap(), service_app)).unwrap();
    c.get(&c.url("/api/v1/org", &[])).await.unwrap();
    assert_eq!(h.sim.stats()["oauth"]["proofs_verified"], 2);
    let e = ServiceApp::from_fields("0oarsa", &public_pem, "", "").unwrap_err().to_string();
    assert!(e.contains("public key") && e.contains("private key"), "{e}");
    let e = ServiceApp::from_fields("0oarsa", &private_pem, "", "okta.users.manage").unwrap_err().to_string();
    assert!(e.contains("okta.users.manage") && e.contains("read-only"), "{e}");
}

/// The README's rows `| `scope` | item types | endpoints |` under "OAuth 2.0 service app".
fn readme_scope_rows() -> Vec<(String, Vec<String>, Vec<String>)> {
    let readme = include_str!("../../README.md");
    let section = readme.split("### Scopes").nth(1).expect("README has a Scopes section");
    section
        .lines()
        .take_while(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with("| `okta."))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            let ticked = |c: &str| c.split('`').skip(1).step_by(2).map(str::to_string).collect::<Vec<_>>();
            (cells[0].trim_matches('`').to_string(), ticked(cells[1]), ticked(cells[2]))
        })
        .collect()
}

#[test]
fn the_readme_scope_table_is_the_connectors_and_okta_openapi_document_agrees() {
    let rows = readme_scope_rows();
    let expected: Vec<(String, Vec<String>, Vec<String>)> = scopes::READ_SCOPES
        .iter()
        .map(|s| {
            (s.scope.to_string(), s.item_types.iter().map(|t| t.to_string()).collect(), s.paths.iter().map(|p| p.to_string()).collect())
        })
        .collect();
    let render: Vec<String> = expected
        .iter()
        .map(|(s, t, p)| {
            let tick = |v: &[String]| v.iter().map(|x| format!("`{x}`")).collect::<Vec<_>>().join(", ");
            format!("| `{s}` | {} | {} |", if t.is_empty() { "the connection".to_string() } else { tick(t) }, tick(p))
        })
        .collect();
    assert_eq!(rows, expected, "README rows should be:\n{}", render.join("\n"));
    // Every endpoint's scope is the one Okta's OpenAPI document gives its GET operation.
    let document = okta_sim::oauth::scopes::all();
    for s in scopes::READ_SCOPES {
        for p in s.paths {
            let theirs = document.get(*p).unwrap_or_else(|| panic!("{p} is a GET operation of the document"));
            assert_eq!(theirs, &vec![s.scope.to_string()], "{p}");
            assert_eq!(scopes::for_path(p), Some(s.scope), "{p}");
        }
    }
    // Every item type needs at least one scope.
    for t in okta_airsync::extract::ITEM_TYPES {
        assert!(scopes::READ_SCOPES.iter().any(|s| s.item_types.contains(t)), "{t} has a scope");
    }
}

#[tokio::test]
async fn a_403_names_the_scope_from_www_authenticate_or_the_endpoint_else_the_admin_role() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token_type": "Bearer", "expires_in": 3600, "access_token": "at-1"})))
        .expect(1)
        .mount(&server)
        .await;
    let denied = json!({"errorCode": "E0000006", "errorSummary": "You do not have permission to perform the requested action"});
    for (p, challenge) in [
        ("/api/v1/iam/roles", Some(r#"Bearer realm="x", scope="okta.roles.read", error="insufficient_scope", error_description="..."#)),
        ("/api/v1/logs", Some(r#"Bearer error="insufficient_scope""#)),
        ("/api/v1/apps", None),
    ] {
        let mut r = ResponseTemplate::new(403).set_body_json(denied.clone());
        if let Some(c) = challenge {
            r = r.insert_header("www-authenticate", c);
        }
        Mock::given(method("GET")).and(path(p)).respond_with(r).mount(&server).await;
    }
    let keys = ec_keys();
    let app = ServiceApp::from_fields("0oa-client", &keys.private_pem, "", "").unwrap();
    let c = OktaClient::new(OktaConfig::new(url::Url::parse(&server.uri()).unwrap(), app)).unwrap();
    let err = |p: &'static str| {
        let c = c.clone();
        async move { c.get(&c.url(p, &[])).await.unwrap_err() }
    };
    let roles = err("/api/v1/iam/roles").await;
    assert_eq!(roles.status(), Some(403));
    assert!(roles.to_string().contains("lacks the scope okta.roles.read (insufficient_scope): grant okta.roles.read"), "{roles}");
    let logs = err("/api/v1/logs").await.to_string();
    assert!(logs.contains("lacks the scope okta.logs.read"), "Okta named no scope; the endpoint's is named: {logs}");
    let apps = err("/api/v1/apps").await.explain();
    assert!(apps.contains("admin role does not") && apps.contains("Read-only Administrator") && !apps.contains("scope okta"), "{apps}");
}

#[tokio::test]
async fn a_dpop_nonce_asked_for_by_the_api_is_used_without_a_new_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token_type": "DPoP", "expires_in": 3600, "access_token": "at-d"})))
        .expect(1)
        .mount(&server)
        .await;
    // The API answers use_dpop_nonce until a proof carries its nonce.
    let nonce_of = |r: &Request| -> Option<String> {
        let proof = r.headers.get("dpop")?.to_str().ok()?.to_string();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        v.insecure_disable_signature_validation();
        v.validate_exp = false;
        v.set_required_spec_claims::<&str>(&[]);
        let c = jsonwebtoken::decode::<Value>(&proof, &jsonwebtoken::DecodingKey::from_secret(b""), &v).ok()?.claims;
        c["nonce"].as_str().map(str::to_string)
    };
    Mock::given(method("GET"))
        .and(path("/api/v1/org"))
        .and(header("authorization", "DPoP at-d"))
        .respond_with(move |r: &Request| match nonce_of(r).as_deref() {
            Some("n-1") => ResponseTemplate::new(200).set_body_json(json!({"id": "00o1"})),
            _ => ResponseTemplate::new(401)
                .insert_header(
                    "www-authenticate",
                    r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#,
                )
                .insert_header("dpop-nonce", "n-1")
                .set_body_json(json!({"errorCode": "E0000011", "errorSummary": "Invalid token provided"})),
        })
        .expect(3)
        .mount(&server)
        .await;
    let keys = ec_keys();
    let app = ServiceApp::from_fields("0oa-client", &keys.private_pem, "", "okta.orgs.read").unwrap();
    let c = OktaClient::new(OktaConfig::new(url::Url::parse(&server.uri()).unwrap(), app)).unwrap();
    c.get(&c.url("/api/v1/org", &[])).await.unwrap();
    c.get(&c.url("/api/v1/org", &[])).await.unwrap();
    assert_eq!(c.tokens_obtained(), 1, "the token was kept");
}
