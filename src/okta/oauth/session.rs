//! One service app's session with the org authorization server: the current access token
//! (fetched once, shared by every request of the client, fetched again shortly before it
//! expires or after Okta rejects it), whether the server wants DPoP, and its latest nonce.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use url::Url;

use super::dpop::DpopKey;
use super::{ServiceApp, TOKEN_ENDPOINT, TOKEN_PATH};
use crate::okta::Error;

/// `client_assertion_type` of `private_key_jwt`.
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Life of a client assertion (Okta accepts up to an hour).
const ASSERTION_LIFE_SECS: i64 = 300;
/// A token is replaced this long before it expires (at most a quarter of its life).
const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// Largest token-endpoint answer read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// Nonce challenges followed per token request.
const MAX_NONCE_ROUNDS: u32 = 2;

/// An access token and how to send it. Debug is redacted.
pub struct AccessToken {
    value: SecretString,
    dpop: bool,
    refresh_at: Instant,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AccessToken({}, [REDACTED])", if self.dpop { "DPoP" } else { "Bearer" })
    }
}

/// The session. Cheap to share (`Arc`).
pub struct OAuthSession {
    app: ServiceApp,
    token_url: Url,
    dpop_key: DpopKey,
    retry_delays: Vec<Duration>,
    current: tokio::sync::Mutex<Option<Arc<AccessToken>>>,
    dpop: AtomicBool,
    nonce: Mutex<Option<String>>,
    grants: AtomicU64,
    posts: AtomicU64,
}

impl std::fmt::Debug for OAuthSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSession").field("client_id", &self.app.client_id).field("token_url", &self.token_url.as_str()).finish()
    }
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
}

#[derive(Deserialize)]
struct Granted {
    access_token: String,
    #[serde(default)]
    token_type: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize, Default)]
struct Refusal {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

/// What one token-endpoint round gave.
enum Round {
    Token(AccessToken),
    /// Send again (a nonce or DPoP was asked for, or a transient failure after its wait).
    Again,
}

impl OAuthSession {
    /// A session for `app` against the org at `base_url`.
    pub fn new(app: ServiceApp, base_url: &Url, retry_delays: Vec<Duration>) -> Result<Self, Error> {
        let mut token_url = base_url.clone();
        token_url.set_path(TOKEN_PATH);
        token_url.set_query(None);
        let dpop_key = DpopKey::generate().map_err(|detail| Error::Unreachable { endpoint: TOKEN_ENDPOINT.into(), detail })?;
        Ok(OAuthSession {
            app,
            token_url,
            dpop_key,
            retry_delays,
            current: tokio::sync::Mutex::new(None),
            dpop: AtomicBool::new(false),
            nonce: Mutex::new(None),
            grants: AtomicU64::new(0),
            posts: AtomicU64::new(0),
        })
    }

    /// Tokens obtained so far.
    pub fn grants(&self) -> u64 {
        self.grants.load(Ordering::Relaxed)
    }

    /// Requests sent to the token endpoint so far (DPoP nonce rounds and retries included).
    pub fn token_requests(&self) -> u64 {
        self.posts.load(Ordering::Relaxed)
    }

    /// The current token, fetched when there is none or it is about to expire. Concurrent
    /// callers wait for one fetch.
    pub async fn token(&self, http: &reqwest::Client) -> Result<Arc<AccessToken>, Error> {
        let mut cur = self.current.lock().await;
        if let Some(t) = cur.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(t.clone());
        }
        let t = Arc::new(self.fetch(http).await?);
        *cur = Some(t.clone());
        Ok(t)
    }

    /// Drops `used` (Okta rejected it), so that the next request fetches a new token.
    pub async fn forget(&self, used: &Arc<AccessToken>) {
        let mut cur = self.current.lock().await;
        if cur.as_ref().is_some_and(|c| Arc::ptr_eq(c, used)) {
            *cur = None;
        }
    }

    /// Keeps a `DPoP-Nonce` the server sent.
    pub fn observe_nonce(&self, headers: &reqwest::header::HeaderMap) {
        if let Some(n) = headers.get("dpop-nonce").and_then(|v| v.to_str().ok()) {
            if let Ok(mut g) = self.nonce.lock() {
                *g = Some(n.to_string());
            }
        }
    }

    fn nonce(&self) -> Option<String> {
        self.nonce.lock().ok().and_then(|g| g.clone())
    }

    /// The `Authorization` (and `DPoP`) headers of one API request, both marked sensitive.
    pub fn headers(&self, token: &AccessToken, method: &str, url: &Url) -> Result<Vec<(HeaderName, HeaderValue)>, Error> {
        let endpoint = || format!("{method} {}", url.path());
        let scheme = if token.dpop { "DPoP" } else { "Bearer" };
        let mut out = vec![(reqwest::header::AUTHORIZATION, sensitive(&format!("{scheme} {}", token.value.expose_secret()), endpoint)?)];
        if token.dpop {
            let proof = self
                .dpop_key
                .proof(method, url, Some(token.value.expose_secret()), self.nonce().as_deref())
                .map_err(|detail| Error::Unreachable { endpoint: endpoint(), detail })?;
            out.push((HeaderName::from_static("dpop"), sensitive(&proof, endpoint)?));
        }
        Ok(out)
    }

    fn assertion(&self) -> Result<String, Error> {
        let now = chrono::Utc::now().timestamp();
        let claims = AssertionClaims {
            iss: &self.app.client_id,
            sub: &self.app.client_id,
            aud: self.token_url.as_str(),
            iat: now,
            exp: now + ASSERTION_LIFE_SECS,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let mut header = jsonwebtoken::Header::new(self.app.key.alg());
        header.kid = self.app.key_id.clone().or_else(|| self.app.key.jwk_kid.clone());
        jsonwebtoken::encode(&header, &claims, self.app.key.encoding_key()).map_err(|e| Error::Unreachable {
            endpoint: TOKEN_ENDPOINT.into(),
            detail: format!("signing the client assertion failed ({e})"),
        })
    }

    /// Requests a token, following DPoP and nonce challenges and retrying transient failures.
    async fn fetch(&self, http: &reqwest::Client) -> Result<AccessToken, Error> {
        let (mut transient, mut nonce_rounds) = (0usize, 0u32);
        loop {
            match self.round(http, &mut transient, &mut nonce_rounds).await? {
                Round::Token(t) => {
                    self.grants.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(client_id = %self.app.client_id, dpop = t.dpop, "obtained an OAuth access token");
                    return Ok(t);
                }
                Round::Again => continue,
            }
        }
    }

    async fn round(&self, http: &reqwest::Client, transient: &mut usize, nonce_rounds: &mut u32) -> Result<Round, Error> {
        let assertion = self.assertion()?;
        let scope = self.app.scopes.join(" ");
        let form = [
            ("grant_type", "client_credentials"),
            ("scope", scope.as_str()),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion.as_str()),
        ];
        let mut req = http.post(self.token_url.clone()).header(reqwest::header::ACCEPT, "application/json").form(&form);
        if self.dpop.load(Ordering::Relaxed) {
            let proof = self
                .dpop_key
                .proof("POST", &self.token_url, None, self.nonce().as_deref())
                .map_err(|detail| Error::Unreachable { endpoint: TOKEN_ENDPOINT.into(), detail })?;
            req = req.header(HeaderName::from_static("dpop"), sensitive(&proof, || TOKEN_ENDPOINT.into())?);
        }
        self.posts.fetch_add(1, Ordering::Relaxed);
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                let is_connect = e.is_connect();
                return self.transient(transient, e.without_url().to_string(), is_connect).await;
            }
        };
        let status = resp.status();
        self.observe_nonce(resp.headers());
        let body = read_capped(resp).await;
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return self.transient(transient, format!("HTTP {}", status.as_u16()), false).await;
        }
        let body = body.map_err(|detail| Error::BadBody { endpoint: TOKEN_ENDPOINT.into(), detail })?;
        if status.is_success() {
            return self.granted(&body).map(Round::Token);
        }
        let r: Refusal = serde_json::from_slice(&body).unwrap_or_default();
        let dpop_on = self.dpop.load(Ordering::Relaxed);
        match r.error.as_str() {
            "invalid_dpop_proof" if !dpop_on => {
                tracing::info!("the token endpoint requires DPoP; sending proofs");
                self.dpop.store(true, Ordering::Relaxed);
                Ok(Round::Again)
            }
            "use_dpop_nonce" if *nonce_rounds < MAX_NONCE_ROUNDS => {
                *nonce_rounds += 1;
                self.dpop.store(true, Ordering::Relaxed);
                Ok(Round::Again)
            }
            _ => Err(Error::OAuthRefused {
                endpoint: TOKEN_ENDPOINT.into(),
                status: status.as_u16(),
                error: if r.error.is_empty() { format!("HTTP {}", status.as_u16()) } else { r.error },
                description: r.error_description,
            }),
        }
    }

    fn granted(&self, body: &[u8]) -> Result<AccessToken, Error> {
        let g: Granted = serde_json::from_slice(body)
            .map_err(|_| Error::BadBody { endpoint: TOKEN_ENDPOINT.into(), detail: "the token answer has no access_token".into() })?;
        let dpop = g.token_type.eq_ignore_ascii_case("DPoP");
        if dpop {
            self.dpop.store(true, Ordering::Relaxed);
        }
        let life = Duration::from_secs(g.expires_in.unwrap_or(3600));
        let margin = REFRESH_MARGIN.min(life / 4);
        Ok(AccessToken { value: SecretString::from(g.access_token), dpop, refresh_at: Instant::now() + life - margin })
    }

    async fn transient(&self, transient: &mut usize, detail: String, is_connect: bool) -> Result<Round, Error> {
        match self.retry_delays.get(*transient).copied() {
            Some(d) => {
                *transient += 1;
                tracing::warn!(endpoint = TOKEN_ENDPOINT, error = %detail, "token request failed; retrying");
                tokio::time::sleep(d).await;
                Ok(Round::Again)
            }
            None if is_connect => Err(Error::Unreachable { endpoint: TOKEN_ENDPOINT.into(), detail }),
            None => Err(Error::Transient { endpoint: TOKEN_ENDPOINT.into(), detail }),
        }
    }
}

fn sensitive(v: &str, endpoint: impl FnOnce() -> String) -> Result<HeaderValue, Error> {
    let mut h = HeaderValue::from_str(v)
        .map_err(|_| Error::BadBody { endpoint: endpoint(), detail: "the access token holds characters a header cannot carry".into() })?;
    h.set_sensitive(true);
    Ok(h)
}

async fn read_capped(mut resp: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    while let Some(c) = resp.chunk().await.map_err(|e| format!("the answer was cut off ({})", e.without_url()))? {
        if buf.len() + c.len() > MAX_ANSWER_BYTES {
            return Err(format!("the answer exceeds {MAX_ANSWER_BYTES} bytes"));
        }
        buf.extend_from_slice(&c);
    }
    Ok(buf)
}
