//! The org's OAuth 2.0 authorization server for one service app, as Okta runs it for the
//! Management API: `POST /oauth2/v1/token` with `client_credentials` and a `private_key_jwt`
//! client assertion checked against the app's registered public key, scoped tokens that expire
//! on the simulator's clock, DPoP (RFC 9449) when the app requires it, with server nonces, and,
//! on every API request, the token, its DPoP proof, the endpoint's scope (from Okta's OpenAPI
//! document) and the app's admin role.
//!
//! Signed times (`exp`, `iat`) are checked against the real clock, as they are signed with it;
//! token lifetimes follow the simulator's clock, so that a test moving it sees tokens expire.

pub mod jose;
pub mod resource;
pub mod scopes;

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

pub use resource::{Denied, Granted};

/// `client_assertion_type` of `private_key_jwt`.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The service app the authorization server knows.
#[derive(Debug, Clone)]
pub struct OAuthApp {
    /// Its client id.
    pub client_id: String,
    /// Its registered public key: a PEM `PUBLIC KEY` or a public JWK (RSA or EC P-256).
    pub public_key: String,
    /// The registered key's `kid`, when the assertion must name it.
    pub key_id: Option<String>,
    /// The scopes granted to the app (requesting another is `invalid_scope`).
    pub granted_scopes: Vec<String>,
    /// Whether the app has an admin role (without one, every API call is 403 E0000006).
    pub admin_role: bool,
    /// Whether the app requires DPoP-bound tokens.
    pub require_dpop: bool,
    /// Lifetime of an access token, in seconds (Okta: 3 600).
    pub token_ttl_secs: i64,
}

impl OAuthApp {
    /// An app with every read scope of the document, a Read-only Administrator role, no DPoP
    /// and hour-long tokens.
    pub fn new(client_id: &str, public_key: &str) -> Self {
        let mut granted: Vec<String> = scopes::all().values().flatten().filter(|s| s.ends_with(".read")).cloned().collect();
        granted.sort();
        granted.dedup();
        OAuthApp {
            client_id: client_id.to_string(),
            public_key: public_key.to_string(),
            key_id: None,
            granted_scopes: granted,
            admin_role: true,
            require_dpop: false,
            token_ttl_secs: 3600,
        }
    }
}

/// An issued access token.
#[derive(Debug, Clone)]
struct Issued {
    scopes: Vec<String>,
    expires: DateTime<Utc>,
    /// The DPoP key thumbprint it is bound to.
    jkt: Option<String>,
}

/// What the authorization server has seen (`/__sim/stats` under `oauth`).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct OAuthStats {
    /// Requests to the token endpoint, answered or not.
    pub token_requests: u64,
    /// Tokens issued.
    pub tokens_issued: u64,
    /// Token requests refused for a missing or stale DPoP nonce.
    pub nonce_challenges: u64,
    /// API requests whose DPoP proof was verified.
    pub proofs_verified: u64,
    /// API requests or token requests refused for their DPoP proof.
    pub proofs_rejected: u64,
    /// API requests refused for a missing scope.
    pub insufficient_scope: u64,
    /// API requests refused for their access token (unknown, expired, revoked, wrong scheme).
    pub tokens_refused: u64,
}

/// Secrets kept for the leak tests at most (a long sync sends a proof per request).
const MAX_SECRETS: usize = 10_000;

#[derive(Debug, Default)]
struct State {
    tokens: BTreeMap<String, Issued>,
    assertion_jtis: HashSet<String>,
    /// The `jti`s of proofs still young enough to be accepted, oldest first, and as a set.
    proof_jtis: (VecDeque<(i64, String)>, HashSet<String>),
    key_revoked: bool,
    stats: OAuthStats,
    /// The first secrets the client sent or was given (assertions, proofs, tokens), for the
    /// secret-leak tests.
    secrets: Vec<String>,
}

impl State {
    fn keep_secret(&mut self, s: &str) {
        if self.secrets.len() < MAX_SECRETS {
            self.secrets.push(s.to_string());
        }
    }

    /// Records a proof's `jti`; `false` when it was used before. Proofs too old to be
    /// accepted again are forgotten, so memory stays bounded on long syncs.
    fn fresh_proof(&mut self, iat: i64, jti: &str) -> bool {
        let (order, seen) = &mut self.proof_jtis;
        let horizon = chrono::Utc::now().timestamp() - jose::PROOF_MAX_AGE_SECS - jose::SKEW_SECS;
        while order.front().is_some_and(|(t, _)| *t < horizon) {
            if let Some((_, old)) = order.pop_front() {
                seen.remove(&old);
            }
        }
        if !seen.insert(jti.to_string()) {
            return false;
        }
        order.push_back((iat, jti.to_string()));
        true
    }
}

/// The authorization server's state.
#[derive(Debug)]
pub struct OAuthServer {
    /// The app.
    pub app: OAuthApp,
    key: Result<jose::PublicKey, String>,
    nonce: String,
    state: Mutex<State>,
}

/// A token-endpoint answer: status and body, and a `DPoP-Nonce` to send.
pub struct TokenAnswer {
    /// HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
    /// The nonce header, when the client must use it.
    pub dpop_nonce: Option<String>,
}

fn oauth_error(status: u16, error: &str, description: &str) -> TokenAnswer {
    TokenAnswer { status, body: json!({"error": error, "error_description": description}), dpop_nonce: None }
}

impl OAuthServer {
    /// The server for `app`.
    pub fn new(app: OAuthApp) -> Self {
        let key = jose::PublicKey::parse(&app.public_key);
        OAuthServer { app, key, nonce: format!("simnonce-{}", uuid::Uuid::new_v4().simple()), state: Mutex::new(State::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Revokes the app's key (an admin deactivating it): every later assertion is refused.
    pub fn revoke_key(&self) {
        self.lock().key_revoked = true;
    }

    /// Revokes every token issued so far.
    pub fn revoke_tokens(&self) {
        self.lock().tokens.clear();
    }

    /// The counters.
    pub fn stats(&self) -> OAuthStats {
        self.lock().stats.clone()
    }

    /// The assertions, proofs and tokens exchanged so far (the first 10 000).
    pub fn secrets(&self) -> Vec<String> {
        self.lock().secrets.clone()
    }

    /// Answers `POST /oauth2/v1/token` (`form`: the decoded body; `dpop`: the DPoP header;
    /// `token_url`: this endpoint's URL, the assertion's audience and the proof's `htu`).
    pub fn token(&self, form: &BTreeMap<String, String>, dpop: Option<&str>, token_url: &str, now: DateTime<Utc>) -> TokenAnswer {
        let mut st = self.lock();
        st.stats.token_requests += 1;
        if let Some(a) = form.get("client_assertion") {
            st.keep_secret(a);
        }
        if let Some(p) = dpop {
            st.keep_secret(p);
        }
        let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
        if field("grant_type") != "client_credentials" {
            return oauth_error(
                400,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            );
        }
        if field("client_assertion_type") != ASSERTION_TYPE || field("client_assertion").is_empty() {
            return oauth_error(401, "invalid_client", "Client authentication failed: a private_key_jwt client_assertion is required.");
        }
        if form.get("client_id").is_some_and(|c| c != &self.app.client_id) {
            return oauth_error(401, "invalid_client", "The client_id does not match the client_assertion.");
        }
        let jkt = if self.app.require_dpop {
            let Some(proof) = dpop else {
                return oauth_error(400, "invalid_dpop_proof", "The DPoP proof JWT header is missing.");
            };
            let p = match jose::verify_proof(proof, "POST", token_url) {
                Ok(p) => p,
                Err(why) => {
                    st.stats.proofs_rejected += 1;
                    return oauth_error(400, "invalid_dpop_proof", &why);
                }
            };
            if p.claims.nonce.as_deref() != Some(self.nonce.as_str()) {
                st.stats.nonce_challenges += 1;
                let mut a = oauth_error(400, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof.");
                a.dpop_nonce = Some(self.nonce.clone());
                return a;
            }
            if !st.fresh_proof(p.claims.iat, &p.claims.jti) {
                st.stats.proofs_rejected += 1;
                return oauth_error(400, "invalid_dpop_proof", "The DPoP proof jti was used before.");
            }
            Some(p.jkt)
        } else {
            None
        };
        let key = match (&self.key, st.key_revoked) {
            (Ok(k), false) => k,
            _ => return oauth_error(401, "invalid_client", "The client_assertion signature is invalid."),
        };
        let audience = token_url;
        let claims = match jose::verify_assertion(field("client_assertion"), key, self.app.key_id.as_deref(), &self.app.client_id, audience)
        {
            Ok(c) => c,
            Err(why) => return oauth_error(401, "invalid_client", &why),
        };
        if !st.assertion_jtis.insert(claims.jti) {
            return oauth_error(401, "invalid_client", "The client_assertion token has already been used (jti replay).");
        }
        let asked: Vec<String> = field("scope").split_whitespace().map(str::to_string).collect();
        if asked.is_empty() {
            return oauth_error(400, "invalid_scope", "The authorization server requires a scope for the client_credentials grant.");
        }
        let refused: Vec<&str> = asked.iter().filter(|s| !self.app.granted_scopes.contains(s)).map(String::as_str).collect();
        if !refused.is_empty() {
            return oauth_error(400, "invalid_scope", &format!("The following scopes are not allowed: {}", refused.join(" ")));
        }
        let token = format!("simat-{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        let token_type = if jkt.is_some() { "DPoP" } else { "Bearer" };
        let expires = now + chrono::Duration::seconds(self.app.token_ttl_secs);
        st.tokens.insert(token.clone(), Issued { scopes: asked.clone(), expires, jkt });
        st.stats.tokens_issued += 1;
        st.keep_secret(&token);
        TokenAnswer {
            status: 200,
            body: json!({"token_type": token_type, "expires_in": self.app.token_ttl_secs, "access_token": token, "scope": asked.join(" ")}),
            dpop_nonce: None,
        }
    }
}
