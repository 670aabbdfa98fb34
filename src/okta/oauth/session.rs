//! One service app's session with the org authorization server: the current access token
//! (fetched once, shared by every request of the client, fetched again shortly before it
//! expires or after Okta rejects it), whether the server wants DPoP, and its latest nonce.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;
use url::Url;

use super::dpop::DpopKey;
use super::{ServiceApp, TOKEN_ENDPOINT, TOKEN_PATH};
use crate::okta::Error;

mod grant;

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
}

fn sensitive(v: &str, endpoint: impl FnOnce() -> String) -> Result<HeaderValue, Error> {
    let mut h = HeaderValue::from_str(v)
        .map_err(|_| Error::BadBody { endpoint: endpoint(), detail: "the access token holds characters a header cannot carry".into() })?;
    h.set_sensitive(true);
    Ok(h)
}
