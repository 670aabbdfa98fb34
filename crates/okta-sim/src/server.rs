//! The simulator's HTTP server: auth, rate limits, faults, stats, Link headers, and the
//! `/__sim` control endpoints.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::{json, Value};

use super::api::{self, okta_error, ApiError, ApiRequest};
use super::churn::Churn;
use super::gen::{self, Sizes};
use super::limits::{bucket_for, token_limit, Buckets, Clock, Counter, Tier};
use super::model::Org;
use super::oauth::{resource::ApiCall, OAuthApp, OAuthServer};
use super::{mutate, truth};

/// Fault injection and limits.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Added latency per request.
    pub latency_ms: u64,
    /// Per-minute limit for every bucket, overriding the tier's table.
    pub rate_limit_per_min: Option<u64>,
    /// An opt-in per-minute limit across all buckets (`None`: none). Not Okta's behaviour:
    /// Okta enforces each bucket on its own (no org-wide limit documented since 2024).
    pub cumulative_per_min: Option<u64>,
    /// The org's subscription, which sets each bucket's limit
    /// (default Workforce, see [`crate::limits`]).
    pub tier: Tier,
    /// The API token's share of each bucket, in percent (1 to 100). `None` is 100 %: the token
    /// may use a whole bucket. Okta gives a new token 50 %.
    pub token_share_pct: Option<u8>,
    /// Requests in flight at most, latency included (429 with Limit 0 above).
    pub concurrency_cap: Option<usize>,
    /// Probability of a 500 E0000009.
    pub fault_rate: f64,
    /// Probability of a 503 E0000010 ("Service is in read only mode").
    pub unavailable_rate: f64,
    /// Probability of a 502 or 504 from a gateway, with an HTML body rather than JSON.
    pub gateway_error_rate: f64,
    /// Probability of a spurious 429.
    pub rate_429: f64,
    /// Probability that a connection is reset (RST) as soon as it is accepted. With it set,
    /// keep-alive is off, so every request comes on a new connection and can meet a reset.
    pub reset_rate: f64,
    /// Endpoint families answered with 403 E0000006 (users, groups, roles, apps, policies,
    /// logs, devices, factors, schema, org, user_types, authorization_servers,
    /// authenticator_enrollments, group_rules, authenticators, network_zones,
    /// identity_providers, trusted_origins). `roles` covers role targets too.
    pub deny: Vec<String>,
    /// Families whose filter/search is rejected with 400 (users, groups, apps, logs, devices).
    pub reject_filter: Vec<String>,
    /// Families whose next links point at a foreign host.
    pub foreign_next: Vec<String>,
    /// Features the org has not licensed, answered with 401 E0000015: endpoint families as in
    /// `deny` (roles, devices, ...), or `policies:TYPE` for one policy type.
    pub unlicensed: Vec<String>,
    /// Changes per minute of the simulator's clock while it serves (0: none). See
    /// [`crate::churn`].
    pub churn_per_min: f64,
    /// At most this many changes in all, after which the org stands still (`None`: no end).
    /// A test that compares with the truth at the end lets the churn stop before the sync
    /// does, so that the end is well defined.
    pub churn_limit: Option<u64>,
    /// Aim the churn's deletions at the users, groups and apps the latest list pages served,
    /// so that they vanish between their list call and their child calls (see
    /// [`crate::churn`]).
    pub churn_aim: bool,
    /// Churn by requests instead of time: one change every this many requests served
    /// (`churn_per_min` is then ignored).
    pub churn_every_calls: Option<u64>,
    /// System Log events become visible up to this many seconds after their `published` time
    /// (0: at once).
    pub log_lag_secs: u64,
}

/// Simulator settings.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Generator seed.
    pub seed: u64,
    /// Org size.
    pub sizes: Sizes,
    /// The generator's notion of now (defaults to the start time).
    pub anchor: Option<chrono::DateTime<chrono::Utc>>,
    /// The API token accepted.
    pub token: String,
    /// The OAuth 2.0 service app the org's authorization server knows (`None`: API tokens
    /// only). API tokens are accepted either way.
    pub oauth: Option<OAuthApp>,
    /// Faults.
    pub faults: Faults,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig { seed: 1, sizes: Sizes::default(), anchor: None, token: "sim-token".into(), oauth: None, faults: Faults::default() }
    }
}

/// Per-route counters.
#[derive(Debug, Default, Clone, Serialize)]
pub struct RouteStat {
    /// Calls.
    pub calls: u64,
    /// 429s sent.
    pub rate_limited: u64,
    /// Body bytes sent.
    pub bytes: u64,
    /// 5xx answers sent (each met by a client retry).
    pub server_errors: u64,
}

/// Shared simulator state.
pub struct Sim {
    /// The org.
    pub org: RwLock<Org>,
    /// Settings.
    pub cfg: SimConfig,
    /// The base URL links use.
    pub base: RwLock<String>,
    /// The clock.
    pub clock: Clock,
    buckets: Buckets,
    stats: Mutex<BTreeMap<String, RouteStat>>,
    in_flight: AtomicUsize,
    rng: Mutex<ChaCha8Rng>,
    seq: AtomicUsize,
    resets: AtomicUsize,
    /// Families denied from now on, on top of `cfg.faults.deny` (a token whose admin lost a
    /// permission between two syncs).
    denied: RwLock<Vec<String>>,
    churn: Churn,
    /// The authorization server, when an OAuth app is configured.
    pub oauth: Option<OAuthServer>,
}

impl Sim {
    /// Generates the org.
    pub fn new(cfg: SimConfig) -> Arc<Self> {
        let anchor = cfg.anchor.unwrap_or_else(chrono::Utc::now);
        let org = gen::generate(cfg.seed, cfg.sizes, anchor);
        let clock = Clock::default();
        let churn = Churn::new(cfg.faults.churn_per_min, cfg.faults.churn_limit, cfg.faults.log_lag_secs, cfg.seed, clock.now());
        let churn = if cfg.faults.churn_aim { churn.aimed() } else { churn };
        let churn = match cfg.faults.churn_every_calls {
            Some(n) => churn.every_calls(n),
            None => churn,
        };
        Arc::new(Sim {
            churn,
            oauth: cfg.oauth.clone().map(OAuthServer::new),
            org: RwLock::new(org),
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(cfg.seed ^ 0xfa17)),
            cfg,
            base: RwLock::new(String::new()),
            clock,
            buckets: Buckets::default(),
            stats: Mutex::new(BTreeMap::new()),
            in_flight: AtomicUsize::new(0),
            seq: AtomicUsize::new(0),
            resets: AtomicUsize::new(0),
            denied: RwLock::new(Vec::new()),
        })
    }

    /// The truth document.
    pub fn truth(&self, log_start: Option<chrono::NaiveDate>) -> Value {
        let org = self.org.read().expect("org lock is never poisoned");
        truth::truth(&org, self.clock.now(), log_start)
    }

    /// The stats document.
    pub fn stats(&self) -> Value {
        let s = self.stats.lock().expect("stats lock is never poisoned");
        let total: u64 = s.values().map(|r| r.calls).sum();
        let limited: u64 = s.values().map(|r| r.rate_limited).sum();
        let bytes: u64 = s.values().map(|r| r.bytes).sum();
        json!({"routes": &*s, "total_calls": total, "rate_limited": limited, "bytes": bytes, "connection_resets": self.resets.load(Ordering::Relaxed), "churn_changes": self.churn.applied(), "oauth": self.oauth.as_ref().map(OAuthServer::stats)})
    }

    /// Clears the stats.
    pub fn reset_stats(&self) {
        self.stats.lock().expect("stats lock is never poisoned").clear();
    }

    /// Applies a mutation.
    pub fn mutate(&self, m: &mutate::Mutation) -> Value {
        let now = self.clock.now();
        let mut org = self.org.write().expect("org lock is never poisoned");
        mutate::apply(&mut org, m, now, self.cfg.faults.log_lag_secs)
    }

    /// Denies these families (as `Faults::deny` names them) from now on, besides those denied
    /// from the start; an empty list lifts what an earlier call denied.
    pub fn set_denied(&self, families: Vec<String>) {
        *self.denied.write().expect("denied lock is never poisoned") = families;
    }

    /// Sets whether lifecycle side effects are also logged per edge (see [`crate::lifecycle`];
    /// off by default, as Okta does not document such events). `/__sim/mutate` sets it too
    /// (`log_side_effect_edges`).
    pub fn set_log_side_effect_edges(&self, on: bool) {
        self.org.write().expect("org lock is never poisoned").log_side_effect_edges = on;
    }

    fn record(&self, route: &str, f: impl FnOnce(&mut RouteStat)) {
        f(self.stats.lock().expect("stats lock is never poisoned").entry(route.to_string()).or_default());
    }
}

/// The route template of a path (ids become `{id}`).
pub fn route_template(method: &Method, path: &str) -> String {
    let t: Vec<&str> = path.split('/').map(|s| if s.len() >= 15 || s == "me" { "{id}" } else { s }).collect();
    format!("{method} {}", t.join("/"))
}

/// The family used by `deny` for a path.
fn deny_family(segs: &[&str]) -> &'static str {
    match segs {
        ["users"] | ["users", _] => "users",
        ["users", _, "roles", ..] | ["groups", _, "roles", ..] | ["iam", ..] => "roles",
        ["users", _, "factors"] => "factors",
        ["users", _, "authenticator-enrollments", ..] => "authenticator_enrollments",
        ["authorizationServers", ..] => "authorization_servers",
        ["meta", "types", ..] => "user_types",
        ["groups", "rules", ..] => "group_rules",
        ["groups", ..] => "groups",
        ["authenticators", ..] => "authenticators",
        ["zones", ..] => "network_zones",
        ["idps", ..] => "identity_providers",
        ["trustedOrigins", ..] => "trusted_origins",
        ["apps", ..] => "apps",
        ["policies", ..] => "policies",
        ["logs"] => "logs",
        ["devices"] => "devices",
        ["meta", ..] => "schema",
        ["org"] => "org",
        _ => "other",
    }
}

struct InFlight<'a>(&'a AtomicUsize);
impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn error_body(e: &ApiError, seq: usize) -> Value {
    json!({"errorCode": e.code, "errorSummary": e.summary, "errorLink": e.code, "errorId": format!("oaesim{seq:015}"), "errorCauses": []})
}

/// Whether a request falls under an unlicensed feature.
fn unlicensed(list: &[String], family: &str, segs: &[&str], query: &[(String, String)]) -> bool {
    list.iter().any(|u| match u.split_once(':') {
        Some(("policies", kind)) => segs == ["policies"] && query.iter().any(|(k, v)| k == "type" && v.eq_ignore_ascii_case(kind)),
        _ => u == family,
    })
}

const HTML_502: &str = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>";
const HTML_504: &str =
    "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center></body></html>";

async fn api_handler(State(sim): State<Arc<Sim>>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let seq = sim.seq.fetch_add(1, Ordering::Relaxed);
    let path = uri.path().to_string();
    let route = route_template(&method, &path);
    sim.record(&route, |s| s.calls += 1);
    let f = &sim.cfg.faults;
    // In flight from arrival to answer, latency included.
    let n = sim.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    let _guard = InFlight(&sim.in_flight);
    if f.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(f.latency_ms)).await;
    }
    let now = sim.clock.now();
    let bucket = bucket_for(&path);
    let mut out = HeaderMap::new();
    out.insert("x-okta-request-id", HeaderValue::from_str(&format!("simreq{seq}")).unwrap_or(HeaderValue::from_static("simreq")));
    out.insert("date", HeaderValue::from_str(&now.to_rfc2822().replace("+0000", "GMT")).unwrap_or(HeaderValue::from_static("")));
    let respond = |status: u16, body: Value, raw: Option<String>, content_type: &'static str, mut out: HeaderMap| {
        let bytes = raw.unwrap_or_else(|| body.to_string());
        sim.record(&route, |s| {
            s.bytes += bytes.len() as u64;
            if status == 429 {
                s.rate_limited += 1;
            }
            if status >= 500 {
                s.server_errors += 1;
            }
        });
        out.insert("content-type", HeaderValue::from_static(content_type));
        (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), out, bytes).into_response()
    };
    let fail = |e: ApiError, out: HeaderMap| respond(e.status, error_body(&e, seq), None, "application/json", out);
    let too_many = || okta_error(429, "E0000047", "API call exceeded rate limit due to too many requests.");
    if let Some(cap) = f.concurrency_cap {
        if n > cap {
            out.insert("x-rate-limit-limit", HeaderValue::from_static("0"));
            out.insert("x-rate-limit-remaining", HeaderValue::from_static("0"));
            out.insert("x-rate-limit-reset", HeaderValue::from((now.timestamp() + 1).to_string().parse::<u64>().unwrap_or(0)));
            return fail(too_many(), out);
        }
    }
    let org_limit = f.rate_limit_per_min.unwrap_or_else(|| f.tier.limit(bucket));
    let v = sim.buckets.hit(Counter::Bucket(bucket), token_limit(org_limit, f.token_share_pct.unwrap_or(100)), now);
    let cumulative = f.cumulative_per_min.map(|c| sim.buckets.hit(Counter::Cumulative, c, now));
    let over_cumulative = cumulative.as_ref().is_some_and(|c| c.exceeded);
    let shown = match cumulative {
        Some(c) if !v.exceeded && c.exceeded => c,
        _ => v.shown(org_limit),
    };
    out.insert("x-rate-limit-limit", HeaderValue::from(shown.limit));
    out.insert("x-rate-limit-remaining", HeaderValue::from(shown.remaining));
    out.insert("x-rate-limit-reset", HeaderValue::from(shown.reset.max(0) as u64));
    if v.exceeded || over_cumulative {
        return fail(too_many(), out);
    }
    let base = sim.base.read().map(|b| b.clone()).unwrap_or_default();
    if let Err((e, www)) = authenticate(&sim, &headers, &method, &base, &path, now) {
        if let Some(v) = www.and_then(|w| HeaderValue::from_str(&w).ok()) {
            out.insert("www-authenticate", v);
        }
        return fail(e, out);
    }

    if method != Method::GET {
        return fail(okta_error(405, "E0000022", "The endpoint does not support the provided HTTP method"), out);
    }
    let roll: f64 = sim.rng.lock().map(|mut r| r.gen()).unwrap_or(1.0);
    let mut threshold = f.rate_429;
    if roll < threshold {
        return fail(too_many(), out);
    }
    threshold += f.fault_rate;
    if roll < threshold {
        return fail(okta_error(500, "E0000009", "Internal Server Error"), out);
    }
    threshold += f.unavailable_rate;
    if roll < threshold {
        return fail(okta_error(503, "E0000010", "Service is in read only mode"), out);
    }
    if roll < threshold + f.gateway_error_rate {
        let bad_gateway = roll < threshold + f.gateway_error_rate / 2.0;
        let (status, html) = if bad_gateway { (502, HTML_502) } else { (504, HTML_504) };
        return respond(status, Value::Null, Some(html.to_string()), "text/html", out);
    }
    let segs: Vec<&str> = path.trim_start_matches("/api/v1/").split('/').filter(|s| !s.is_empty()).collect();
    let query: Vec<(String, String)> = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect();
    let family = deny_family(&segs);
    if unlicensed(&f.unlicensed, family, &segs, &query) {
        return fail(okta_error(401, "E0000015", "You do not have permission to access the feature you are requesting"), out);
    }
    let denied_now = sim.denied.read().map(|d| d.iter().any(|x| x == family)).unwrap_or(false);
    if denied_now || f.deny.iter().any(|d| d == family) {
        return fail(okta_error(403, "E0000006", "You do not have permission to perform the requested action"), out);
    }
    sim.churn.catch_up(&sim.org, now);
    let req = ApiRequest {
        segs: segs.clone(),
        query: query.clone(),
        base: &base,
        reject_filter: &f.reject_filter,
        now,
        log_lag_secs: f.log_lag_secs,
        omit: headers.get("content-type").and_then(|h| h.to_str().ok()).map(crate::render::Omit::from_content_type).unwrap_or_default(),
    };
    let answer = {
        let org = sim.org.read().expect("org lock is never poisoned");
        api::dispatch(&org, &req)
    };
    match answer {
        Err(e) => fail(e, out),
        Ok(a) => {
            if let (true, [kind @ ("users" | "groups" | "apps")]) = (sim.churn.is_aimed(), segs.as_slice()) {
                sim.churn.listed(kind, listed_ids(&a));
            }
            let self_url = link_url(&base, &path, &query, None);
            out.append("link", HeaderValue::from_str(&format!("<{self_url}>; rel=\"self\"")).unwrap_or(HeaderValue::from_static("")));
            if let Some(after) = a.next_after {
                let link_base = if f.foreign_next.iter().any(|x| x == deny_family(&segs)) {
                    "https://foreign.example.com".to_string()
                } else {
                    base.clone()
                };
                let next = if after.is_empty() {
                    link_url(&link_base, &path, &query, None)
                } else {
                    link_url(&link_base, &path, &query, Some(&after))
                };
                out.append("link", HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")).unwrap_or(HeaderValue::from_static("")));
            }
            respond(200, a.body, a.raw, "application/json", out)
        }
    }
}

/// Checks the request's credentials: the API token (`SSWS`), or an access token of the OAuth
/// app (`Bearer`, or `DPoP` with its proof). A refusal carries Okta's error and, for OAuth, the
/// `WWW-Authenticate` header.
fn authenticate(
    sim: &Sim,
    headers: &HeaderMap,
    method: &Method,
    base: &str,
    path: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), (ApiError, Option<String>)> {
    let auth = headers.get("authorization").and_then(|h| h.to_str().ok()).unwrap_or("");
    let (scheme, credential) = auth.split_once(' ').unwrap_or((auth, ""));
    match (scheme, &sim.oauth) {
        ("SSWS", _) if credential == sim.cfg.token => Ok(()),
        ("SSWS", _) => Err((okta_error(401, "E0000011", "Invalid token provided"), None)),
        ("Bearer" | "DPoP", Some(server)) => {
            let url = format!("{base}{path}");
            let proof = headers.get("dpop").and_then(|h| h.to_str().ok());
            let call = ApiCall { scheme, token: credential, proof, method: method.as_str(), url: &url, path };
            server.authorize(&call, now).map(|_| ()).map_err(|d| (d.error(), d.www_authenticate(scheme, base, path)))
        }
        _ => Err((okta_error(403, "E0000005", "Invalid session"), None)),
    }
}

/// `POST /oauth2/v1/token`: the authorization server's token endpoint (404 without an OAuth
/// app, as an org without one has no client to authenticate).
async fn token_handler(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(server) = &sim.oauth else {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "invalid_client", "error_description": "No OAuth app in this org."})))
            .into_response();
    };
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let dpop = headers.get("dpop").and_then(|h| h.to_str().ok());
    let base = sim.base.read().map(|b| b.clone()).unwrap_or_default();
    let a = server.token(&form, dpop, &format!("{base}/oauth2/v1/token"), sim.clock.now());
    let mut out = HeaderMap::new();
    out.insert("cache-control", HeaderValue::from_static("no-store"));
    if let Some(n) = a.dpop_nonce.and_then(|n| HeaderValue::from_str(&n).ok()) {
        out.insert("dpop-nonce", n);
    }
    (StatusCode::from_u16(a.status).unwrap_or(StatusCode::BAD_REQUEST), out, Json(a.body)).into_response()
}

/// `POST /__sim/oauth/revoke-key`: deactivates the app's registered key.
async fn revoke_key_handler(State(sim): State<Arc<Sim>>) -> Response {
    match &sim.oauth {
        Some(s) => {
            s.revoke_key();
            Json(json!({"ok": true})).into_response()
        }
        None => (StatusCode::NOT_FOUND, "no OAuth app configured").into_response(),
    }
}

/// The ids of a list page (for the churn's aim).
fn listed_ids(a: &api::Answer) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: String,
    }
    let items: Vec<Id> = match &a.raw {
        Some(raw) => serde_json::from_str(raw).unwrap_or_default(),
        None => serde_json::from_value(a.body.clone()).unwrap_or_default(),
    };
    items.into_iter().map(|i| i.id).collect()
}

fn link_url(base: &str, path: &str, query: &[(String, String)], after: Option<&str>) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        if k == "after" && after.is_some() {
            continue;
        }
        if k == "since" && after.is_some() {
            continue;
        }
        ser.append_pair(k, v);
    }
    if let Some(a) = after {
        ser.append_pair("after", a);
    }
    let q = ser.finish().replace('+', "%20");
    if q.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{q}")
    }
}

async fn truth_handler(State(sim): State<Arc<Sim>>, Query(q): Query<BTreeMap<String, String>>) -> Response {
    let start = q.get("system_log_start_date").and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    Json(sim.truth(start)).into_response()
}

async fn mutate_handler(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let m: mutate::Mutation = if body.is_empty() {
        mutate::Mutation::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(m) => m,
            Err(e) => return (StatusCode::BAD_REQUEST, format!("bad mutation: {e}")).into_response(),
        }
    };
    Json(sim.mutate(&m)).into_response()
}

async fn advance_handler(State(sim): State<Arc<Sim>>, Query(q): Query<BTreeMap<String, String>>) -> Response {
    let secs = q.get("seconds").and_then(|s| s.parse::<i64>().ok()).unwrap_or(60);
    sim.clock.advance(secs);
    Json(json!({"now": sim.clock.now().to_rfc3339()})).into_response()
}

/// The simulator's router.
pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/__sim/stats", get(|State(s): State<Arc<Sim>>| async move { Json(s.stats()) }))
        .route(
            "/__sim/reset-stats",
            post(|State(s): State<Arc<Sim>>| async move {
                s.reset_stats();
                Json(json!({"ok": true}))
            }),
        )
        .route("/__sim/truth", get(truth_handler))
        .route("/__sim/mutate", post(mutate_handler))
        .route("/__sim/advance", post(advance_handler))
        .route("/__sim/oauth/revoke-key", post(revoke_key_handler))
        .route("/oauth2/v1/token", post(token_handler))
        .fallback(api_handler)
        .with_state(sim)
}

/// A running simulator.
pub struct SimHandle {
    /// Its base URL.
    pub base_url: String,
    /// Its state.
    pub sim: Arc<Sim>,
    /// The server task.
    pub task: tokio::task::JoinHandle<()>,
}

/// Generates the org and fixes the base URL its links use.
fn prepare(
    cfg: SimConfig,
    listener: &tokio::net::TcpListener,
    public_url: Option<String>,
    scheme: &str,
) -> std::io::Result<(Arc<Sim>, String, Router)> {
    let sim = Sim::new(cfg);
    let addr = listener.local_addr()?;
    let base = public_url.unwrap_or_else(|| format!("{scheme}://{addr}")).trim_end_matches('/').to_string();
    if let Ok(mut b) = sim.base.write() {
        *b = base.clone();
    }
    let app = router(sim.clone());
    Ok((sim, base, app))
}

/// Whether the next accepted connection is reset (a seeded draw, so tests are repeatable).
fn reset_now(sim: &Sim) -> bool {
    let p = sim.cfg.faults.reset_rate;
    p > 0.0 && sim.rng.lock().map(|mut r| r.gen::<f64>() < p).unwrap_or(false)
}

/// Accepts connections and serves them one request each, resetting some (the reset fault).
async fn serve_with_resets(sim: Arc<Sim>, listener: tokio::net::TcpListener, app: Router) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else { continue };
        if reset_now(&sim) {
            sim.resets.fetch_add(1, Ordering::Relaxed);
            let _ = tcp.set_zero_linger(); // close with RST, not FIN
            drop(tcp);
            continue;
        }
        let app = app.clone();
        tokio::spawn(async move {
            let svc = hyper_util::service::TowerToHyperService::new(app);
            let _ =
                hyper::server::conn::http1::Builder::new().keep_alive(false).serve_connection(hyper_util::rt::TokioIo::new(tcp), svc).await;
        });
    }
}

/// Serves the simulator on `listener`; links use `public_url` or the listener's address.
pub async fn serve(cfg: SimConfig, listener: tokio::net::TcpListener, public_url: Option<String>) -> std::io::Result<SimHandle> {
    let (sim, base, app) = prepare(cfg, &listener, public_url, "http")?;
    if sim.cfg.faults.reset_rate > 0.0 {
        let task = tokio::spawn(serve_with_resets(sim.clone(), listener, app));
        return Ok(SimHandle { base_url: base, sim, task });
    }
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "okta simulator stopped");
        }
    });
    Ok(SimHandle { base_url: base, sim, task })
}

/// Starts a simulator on 127.0.0.1 with an ephemeral port.
pub async fn start(cfg: SimConfig) -> std::io::Result<SimHandle> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    serve(cfg, listener, None).await
}

/// Serves the simulator over TLS (for third-party Okta clients that insist on https).
pub async fn serve_tls(
    cfg: SimConfig,
    listener: tokio::net::TcpListener,
    public_url: Option<String>,
    cert_pem: &std::path::Path,
    key_pem: &std::path::Path,
) -> std::io::Result<SimHandle> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls;
    let bad = |what: &str, e: &dyn std::fmt::Display| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{what}: {e}"));
    let certs = CertificateDer::pem_file_iter(cert_pem)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| bad(&format!("reading the certificate {}", cert_pem.display()), &e))?;
    let key = PrivateKeyDer::from_pem_file(key_pem).map_err(|e| bad(&format!("reading the key {}", key_pem.display()), &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("TLS set-up", &e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| bad("TLS certificate", &e))?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let (sim, base, app) = prepare(cfg, &listener, public_url, "https")?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { continue };
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(tcp).await else { return };
                let svc = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(stream), svc).await;
            });
        }
    });
    Ok(SimHandle { base_url: base, sim, task })
}
