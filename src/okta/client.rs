//! The one shared Okta HTTP client: auth, pacing, a cap on requests in flight, retries,
//! a body-size cap, typed errors and per-route counters. Cheap to clone.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use super::credentials::{Auth, Credentials, Pass};
use super::error::{Error, Grant};
use super::paging::{body_next, next_link, Page};
use super::ratelimit::{observe, Bucket, LearnedShares, Observation, RateLimiter, Wait};

/// Client settings.
#[derive(Debug, Clone)]
pub struct OktaConfig {
    /// The org's base URL (validated by `org_url`, or a testing override).
    pub base_url: Url,
    /// The API token or the OAuth service app.
    pub credentials: Credentials,
    /// Fraction of each rate-limit bucket this client may use (default 0.5); lowered per
    /// bucket after a 429 that pacing did not expect (see [`super::ratelimit`]).
    pub rate_share: f64,
    /// Shares an earlier client learned from 429s (kept in the connector's state): each
    /// bucket starts at its learned share instead of `rate_share`.
    pub learned_shares: LearnedShares,
    /// The admin's ceiling on this client's requests per minute across all buckets
    /// (`org_rate_limit_per_minute`); `None`: none, as Okta enforces each bucket on its own.
    pub cumulative_limit: Option<u64>,
    /// Requests in flight at most (default 8, at most 75).
    pub max_in_flight: usize,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Per-request timeout (None disables it, for paused-clock tests).
    pub request_timeout: Option<Duration>,
    /// How long idle connections are kept (None: no idle timer, for paused-clock tests, where
    /// the clock would otherwise jump to that timer while a request waits on its socket).
    pub pool_idle_timeout: Option<Duration>,
    /// Waits before the retries of a transient failure (1 s then 2 s by default).
    pub retry_delays: Vec<Duration>,
    /// Consecutive 429s on one request before giving up.
    pub max_rate_limit_retries: u32,
    /// Largest response body accepted.
    pub max_body_bytes: usize,
}

impl OktaConfig {
    /// Defaults for one org and credential (an [`super::ApiToken`] or a service app).
    pub fn new(base_url: Url, credentials: impl Into<Credentials>) -> Self {
        OktaConfig {
            base_url,
            credentials: credentials.into(),
            rate_share: 0.5,
            learned_shares: LearnedShares::default(),
            cumulative_limit: None,
            max_in_flight: 8,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Some(Duration::from_secs(60)),
            pool_idle_timeout: Some(Duration::from_secs(90)),
            retry_delays: vec![Duration::from_secs(1), Duration::from_secs(2)],
            max_rate_limit_retries: 20,
            max_body_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Per-route counters.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct RouteStats {
    /// Requests sent (attempts included).
    pub calls: u64,
    /// 429s met.
    pub rate_limited: u64,
    /// Retries after transient failures.
    pub retries: u64,
    /// Body bytes received.
    pub bytes: u64,
}

struct Inner {
    http: reqwest::Client,
    auth: Auth,
    cfg: OktaConfig,
    limiter: RateLimiter,
    in_flight: Semaphore,
    stats: Mutex<BTreeMap<String, RouteStats>>,
    labels: Mutex<BTreeMap<String, u64>>,
}

/// The shared client.
#[derive(Clone)]
pub struct OktaClient {
    inner: Arc<Inner>,
    deadline: Option<Instant>,
    label: Option<Arc<str>>,
}

/// A successful response.
#[derive(Debug)]
pub struct Response {
    /// The parsed body.
    pub body: Value,
    /// The raw headers.
    pub headers: HeaderMap,
}

/// A route template: ids replaced by `{id}` so counters group by endpoint.
pub fn route_of(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.len() >= 10 && seg.chars().any(|c| c.is_ascii_digit()) { "{id}" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

impl OktaClient {
    /// Builds the client. Redirects are never followed.
    pub fn new(cfg: OktaConfig) -> Result<Self, Error> {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(cfg.connect_timeout)
            .pool_idle_timeout(cfg.pool_idle_timeout)
            .user_agent(concat!("okta-airsync/", env!("CARGO_PKG_VERSION")));
        if let Some(t) = cfg.request_timeout {
            b = b.timeout(t);
        }
        let http = b.build().map_err(|e| Error::Unreachable { endpoint: "client setup".into(), detail: e.to_string() })?;
        let max = cfg.max_in_flight.clamp(1, 75);
        let auth = Auth::new(&cfg.credentials, &cfg.base_url, &cfg.retry_delays)?;
        Ok(OktaClient {
            inner: Arc::new(Inner {
                http,
                auth,
                limiter: RateLimiter::new(cfg.rate_share).with_cumulative(cfg.cumulative_limit).with_learned(&cfg.learned_shares),
                in_flight: Semaphore::new(max),
                stats: Mutex::new(BTreeMap::new()),
                labels: Mutex::new(BTreeMap::new()),
                cfg,
            }),
            deadline: None,
            label: None,
        })
    }

    /// A handle that refuses to start requests (or waits) past `deadline`.
    pub fn with_deadline(&self, deadline: Instant) -> Self {
        OktaClient { inner: self.inner.clone(), deadline: Some(deadline), label: self.label.clone() }
    }

    /// A handle whose calls are also counted under `label` (one per extraction job).
    pub fn labeled(&self, label: &str) -> Self {
        OktaClient { inner: self.inner.clone(), deadline: self.deadline, label: Some(Arc::from(label)) }
    }

    /// Calls made through handles labeled `label`.
    pub fn calls_for(&self, label: &str) -> u64 {
        self.inner.labels.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(label).copied().unwrap_or(0)
    }

    /// Whether the client authenticates as an OAuth service app (no user: `/users/me` means
    /// nothing to its token).
    pub fn is_oauth(&self) -> bool {
        self.inner.auth.session().is_some()
    }

    /// OAuth access tokens obtained so far (0 with an API token).
    pub fn tokens_obtained(&self) -> u64 {
        self.inner.auth.session().map_or(0, |s| s.grants())
    }

    /// Requests sent to the token endpoint so far (DPoP nonce rounds included).
    pub fn token_requests(&self) -> u64 {
        self.inner.auth.session().map_or(0, |s| s.token_requests())
    }

    /// The org's base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.cfg.base_url
    }

    /// Builds an API URL from a path and query pairs.
    pub fn url(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let mut u = self.inner.cfg.base_url.clone();
        u.set_path(path);
        if !query.is_empty() {
            u.query_pairs_mut().extend_pairs(query);
        }
        u
    }

    /// A copy of the per-route counters.
    pub fn stats(&self) -> BTreeMap<String, RouteStats> {
        self.inner.stats.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The share of each rate-limit bucket in use now (lowered after 429s pacing did not
    /// expect), by Okta's name for the bucket, and the ceiling across buckets, if any.
    pub fn pacing(&self) -> (BTreeMap<&'static str, f64>, Option<u64>) {
        (self.inner.limiter.shares(), self.inner.limiter.cumulative_limit())
    }

    /// What this client learned of its token's share of each bucket (with what it started
    /// from), to start the next client there ([`OktaConfig::learned_shares`]).
    pub fn learned_shares(&self) -> LearnedShares {
        self.inner.limiter.learned()
    }

    /// The share of each bucket this client was told ([`OktaConfig::rate_share`]).
    pub fn rate_share(&self) -> f64 {
        self.inner.cfg.rate_share
    }

    /// Checks that `url` is on the org's origin (so the token never leaves it).
    pub fn check_origin(&self, url: &Url, endpoint: &str) -> Result<(), Error> {
        if url.origin() == self.inner.cfg.base_url.origin() {
            Ok(())
        } else {
            Err(Error::ForeignNextLink { endpoint: endpoint.to_string(), host: url.host_str().unwrap_or("?").to_string() })
        }
    }

    fn count(&self, route: &str, f: impl FnOnce(&mut RouteStats)) {
        let mut s = self.inner.stats.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(s.entry(route.to_string()).or_default());
    }

    /// Fetches one page of a list: a JSON array, or an object with `roles`/`value`.
    pub async fn get_page(&self, url: &Url) -> Result<Page, Error> {
        let endpoint = format!("GET {}", url.path());
        let resp = self.get(url).await?;
        let next = next_link(&resp.headers).or_else(|| body_next(&resp.body));
        let items = match resp.body {
            Value::Array(a) => a,
            Value::Object(mut o) => match o.remove("roles").or_else(|| o.remove("value")) {
                Some(Value::Array(a)) => a,
                _ => return Err(Error::BadBody { endpoint, detail: "expected a list".into() }),
            },
            _ => return Err(Error::BadBody { endpoint, detail: "expected a JSON array".into() }),
        };
        let next = self.resolve_next(next, url, &endpoint)?;
        Ok(Page { items, next })
    }

    /// GETs one URL with pacing, retries and typed errors; the body parsed as JSON.
    pub async fn get(&self, url: &Url) -> Result<Response, Error> {
        let (bytes, headers) = self.get_bytes(url).await?;
        let body = serde_json::from_slice(&bytes)
            .map_err(|e| Error::BadBody { endpoint: format!("GET {}", url.path()), detail: format!("not valid JSON ({e})") })?;
        Ok(Response { body, headers })
    }

    /// Fetches one page of a JSON-array list straight into `T` (fields `T` does not name are
    /// skipped without being allocated), with its same-origin next link.
    pub async fn get_list_as<T: serde::de::DeserializeOwned>(&self, url: &Url) -> Result<(Vec<T>, Option<Url>), Error> {
        let endpoint = format!("GET {}", url.path());
        let (bytes, headers) = self.get_bytes(url).await?;
        let items: Vec<T> = serde_json::from_slice(&bytes)
            .map_err(|e| Error::BadBody { endpoint: endpoint.clone(), detail: format!("unexpected JSON ({e})") })?;
        let next = self.resolve_next(next_link(&headers), url, &endpoint)?;
        Ok((items, next))
    }

    /// Turns a next link into a URL on the org's origin (a foreign one is refused).
    fn resolve_next(&self, raw: Option<String>, url: &Url, endpoint: &str) -> Result<Option<Url>, Error> {
        let Some(n) = raw else { return Ok(None) };
        let u = Url::parse(&n)
            .or_else(|_| url.join(&n))
            .map_err(|_| Error::BadBody { endpoint: endpoint.to_string(), detail: "unparseable next link".into() })?;
        self.check_origin(&u, endpoint)?;
        Ok(Some(u))
    }

    /// GETs one URL with pacing, retries and typed errors; the raw body on success.
    ///
    /// Each round is one [`OktaClient::attempt`] judged by [`Retries::judge`]: done, retry at
    /// an instant, or fail.
    pub async fn get_bytes(&self, url: &Url) -> Result<(Vec<u8>, HeaderMap), Error> {
        let path = url.path().to_string();
        let endpoint = format!("GET {path}");
        self.check_origin(url, &endpoint)?;
        let route = route_of(&path);
        let bucket = Bucket::of(&path);
        let span = tracing::debug_span!("okta_request", method = "GET", path = %path, status = tracing::field::Empty);
        async {
            let mut retries = Retries { transient: 0, limited: 0, cfg: &self.inner.cfg, oauth: self.is_oauth() };
            let mut recovered = false;
            loop {
                self.check_deadline(&endpoint)?;
                let pass = self.inner.auth.pass(&self.inner.http).await?;
                let attempt = self.attempt(url, bucket, &route, &endpoint, &pass).await?;
                let unauthorized = match &attempt {
                    Attempt::Answered { status, headers, .. } if *status == StatusCode::UNAUTHORIZED => Some(headers.clone()),
                    _ => None,
                };
                match retries.judge(attempt, url, &endpoint) {
                    Verdict::Done(bytes, headers) => return Ok((bytes, headers)),
                    Verdict::Fail(e @ Error::InvalidToken { .. }) if !recovered && !e.feature_unavailable() => {
                        match unauthorized {
                            Some(h) if self.inner.auth.recover(&pass, &h).await => {
                                tracing::info!(endpoint = %endpoint, "Okta rejected the access token or asked for a DPoP nonce; sending again");
                                recovered = true;
                            }
                            _ => return Err(e),
                        }
                    }
                    Verdict::Fail(e) => return Err(e),
                    Verdict::RetryAt { until, why } => {
                        match why {
                            RetryReason::RateLimited => {
                                self.count(&route, |s| s.rate_limited += 1);
                                tracing::info!(endpoint = %endpoint, wait_ms = until.saturating_duration_since(Instant::now()).as_millis() as u64, "rate limited; waiting for the bucket to reset");
                                self.inner.limiter.block_until(bucket, until);
                            }
                            RetryReason::Transient(detail) => {
                                self.count(&route, |s| s.retries += 1);
                                tracing::warn!(endpoint = %endpoint, attempt = retries.transient, error = %detail, "transient failure; retrying");
                            }
                        }
                        self.sleep_until(until, &endpoint).await?;
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    /// One attempt: waits for a request slot (in-flight cap and bucket pacing), sends, reads
    /// the body. Both slots are guards, released however this future ends (dropped included).
    async fn attempt(&self, url: &Url, bucket: Bucket, route: &str, endpoint: &str, pass: &Pass) -> Result<Attempt, Error> {
        let _permit = self
            .inner
            .in_flight
            .acquire()
            .await
            .map_err(|_| Error::Transient { endpoint: endpoint.to_string(), detail: "client shut down".into() })?;
        let slot = loop {
            // Listening before asking, so an answer between the two is not missed.
            let answered = self.inner.limiter.released();
            tokio::pin!(answered);
            answered.as_mut().enable();
            match self.inner.limiter.try_acquire(bucket) {
                Ok(s) => break s,
                Err(Wait::Until(until)) => self.sleep_until(until, endpoint).await?,
                Err(Wait::Answer) => answered.await,
            }
        };
        self.count(route, |s| s.calls += 1);
        if let Some(l) = &self.label {
            if let Ok(mut labels) = self.inner.labels.lock() {
                *labels.entry(l.to_string()).or_default() += 1;
            }
        }
        let mut req = self.inner.http.get(url.clone());
        for (name, value) in self.inner.auth.headers(pass, "GET", url)? {
            req = req.header(name, value);
        }
        let sent = req
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, "application/json; okta-response=omitCredentialsLinks")
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => return Ok(Attempt::Transport { is_connect: e.is_connect(), detail: e.without_url().to_string() }),
        };
        let status = resp.status();
        tracing::Span::current().record("status", status.as_u16());
        let obs = observe(resp.headers());
        if status == StatusCode::TOO_MANY_REQUESTS {
            slot.limited(obs);
        } else {
            slot.observe(obs);
        }
        let headers = resp.headers().clone();
        let body = self.read_body(resp, endpoint, route).await;
        Ok(Attempt::Answered { status, headers, obs, body })
    }

    async fn read_body(&self, mut resp: reqwest::Response, endpoint: &str, route: &str) -> Result<Vec<u8>, Error> {
        let cap = self.inner.cfg.max_body_bytes;
        let mut buf = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    if buf.len() + c.len() > cap {
                        return Err(Error::BodyTooLarge { endpoint: endpoint.to_string(), limit: cap });
                    }
                    buf.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(Error::BadBody {
                        endpoint: endpoint.to_string(),
                        detail: format!("the body was cut off ({})", e.without_url()),
                    })
                }
            }
        }
        self.count(route, |s| s.bytes += buf.len() as u64);
        Ok(buf)
    }

    /// No new attempt starts after the invocation's deadline.
    fn check_deadline(&self, endpoint: &str) -> Result<(), Error> {
        match self.deadline {
            Some(d) if Instant::now() >= d => Err(Error::DeadlineReached { endpoint: endpoint.to_string() }),
            _ => Ok(()),
        }
    }

    async fn sleep_until(&self, until: Instant, endpoint: &str) -> Result<(), Error> {
        if let Some(d) = self.deadline {
            if until > d {
                let wait = until.saturating_duration_since(Instant::now());
                return Err(Error::RateLimited { endpoint: endpoint.to_string(), wait_secs: wait.as_secs_f64().ceil().max(1.0) as u64 });
            }
        }
        tokio::time::sleep_until(until).await;
        Ok(())
    }
}

/// What one attempt produced.
// The answer's error carries what a 403 asks to grant; an attempt lives only until it is
// judged, so boxing it would cost an allocation per request for nothing.
#[allow(clippy::large_enum_variant)]
enum Attempt {
    /// No HTTP answer (connect failure, reset, timeout).
    Transport {
        /// The connection could not be made at all.
        is_connect: bool,
        /// What failed (no URL in it).
        detail: String,
    },
    /// An HTTP answer.
    Answered { status: StatusCode, headers: HeaderMap, obs: Option<Observation>, body: Result<Vec<u8>, Error> },
}

/// Why an attempt is repeated.
enum RetryReason {
    /// A 429.
    RateLimited,
    /// A 5xx or a transport failure, described.
    Transient(String),
}

/// The classifier's answer for one attempt.
enum Verdict {
    /// Success: the body and headers.
    Done(Vec<u8>, HeaderMap),
    /// Try again at `until`.
    RetryAt { until: Instant, why: RetryReason },
    /// Give up with this error.
    Fail(Error),
}

/// The retry budget of one request.
struct Retries<'a> {
    transient: usize,
    limited: u32,
    cfg: &'a OktaConfig,
    /// The client authenticates as a service app (a 403 is about scopes or its admin role).
    oauth: bool,
}

impl Retries<'_> {
    /// Classifies one attempt: done, retry after a wait, or fail.
    fn judge(&mut self, attempt: Attempt, url: &Url, endpoint: &str) -> Verdict {
        let endpoint = endpoint.to_string();
        match attempt {
            Attempt::Transport { is_connect, detail } => match self.transient_delay() {
                Some(d) => Verdict::RetryAt { until: Instant::now() + d, why: RetryReason::Transient(detail) },
                None if is_connect => Verdict::Fail(Error::Unreachable { endpoint, detail }),
                None => Verdict::Fail(Error::Transient { endpoint, detail }),
            },
            Attempt::Answered { status, headers, obs, body } => {
                let err_body = || body.as_ref().ok().and_then(|b| serde_json::from_slice::<Value>(b).ok());
                if status == StatusCode::TOO_MANY_REQUESTS {
                    self.limited += 1;
                    if self.limited > self.cfg.max_rate_limit_retries {
                        return Verdict::Fail(Error::RateLimited { endpoint, wait_secs: 60 });
                    }
                    let wait = match obs {
                        Some(o) if o.limit > 0 => o.reset_in + Duration::from_secs(1),
                        _ => Duration::from_secs(1 << self.limited.min(5)),
                    } + jitter();
                    return Verdict::RetryAt { until: Instant::now() + wait, why: RetryReason::RateLimited };
                }
                if status.is_server_error() {
                    let (code, summary) = error_fields(err_body().as_ref());
                    let detail = format!("HTTP {} {code} {summary}", status.as_u16());
                    return match self.transient_delay() {
                        Some(d) => Verdict::RetryAt { until: Instant::now() + d, why: RetryReason::Transient(detail) },
                        None => Verdict::Fail(Error::Transient { endpoint, detail }),
                    };
                }
                if status.is_success() {
                    return match body {
                        Ok(bytes) => Verdict::Done(bytes, headers),
                        Err(e) => Verdict::Fail(e),
                    };
                }
                let needs = grant_of(&headers, url.path(), self.oauth);
                Verdict::Fail(classify(status, url, endpoint, err_body().as_ref(), needs))
            }
        }
    }

    /// The wait before the next transient retry, or `None` once they are spent.
    fn transient_delay(&mut self) -> Option<Duration> {
        let d = self.cfg.retry_delays.get(self.transient).copied()?;
        self.transient += 1;
        Some(d)
    }
}

fn jitter() -> Duration {
    Duration::from_millis(rand::thread_rng().gen_range(0..250))
}

fn error_fields(body: Option<&Value>) -> (String, String) {
    let field = |k: &str| body.and_then(|b| b.get(k)).and_then(Value::as_str).unwrap_or("").to_string();
    (field("errorCode"), field("errorSummary"))
}

/// What a 403 asks to grant: the scope `insufficient_scope` names in `WWW-Authenticate` (or,
/// when Okta names none, the scope the endpoint needs), else the service app's admin role, else
/// (an API token) the admin's permission.
fn grant_of(headers: &HeaderMap, path: &str, oauth: bool) -> Grant {
    let challenge = headers.get(reqwest::header::WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if challenge.contains("insufficient_scope") {
        let named = challenge.split("scope=\"").nth(1).and_then(|s| s.split('"').next()).filter(|s| !s.is_empty());
        let scope = named.or_else(|| super::oauth::scopes::for_path(path)).unwrap_or("(not named by Okta)");
        return Grant::Scope(scope.to_string());
    }
    if oauth {
        Grant::AdminRole
    } else {
        Grant::AdminPermission
    }
}

fn classify(status: StatusCode, url: &Url, endpoint: String, body: Option<&Value>, needs: Grant) -> Error {
    let (code, summary) = error_fields(body);
    let filtered = url.query_pairs().any(|(k, _)| k == "filter" || k == "search");
    match status.as_u16() {
        401 => Error::InvalidToken { endpoint, code },
        403 => Error::PermissionDenied { endpoint, code, summary, needs },
        404 => Error::NotFound { endpoint, code, summary },
        400 if filtered => Error::FilterRejected { endpoint, code, summary },
        s => Error::Api { endpoint, status: s, code, summary: if summary.is_empty() { format!("HTTP {s}") } else { summary } },
    }
}
