//! Okta's rate-limit buckets, a token share below what the client assumes, no limit across
//! buckets unless the admin states one: against an Okta-shaped mock on the paused clock, and end to end against
//! the simulator.
//!
//! The mock is a small axum server on the test runtime (wiremock serves from a runtime of its
//! own, whose clock the test cannot pause). It classifies paths by Okta's published table on
//! its own, so a client that files a sub-resource in the wrong bucket overspends the real one.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use okta_airsync::okta::{ApiToken, OktaClient, OktaConfig};
use tokio::time::Instant;

/// Okta's bucket of a path, as developer.okta.com "rl-global-mgmt" words it (the paths these
/// tests use only).
fn okta_bucket(path: &str) -> &'static str {
    let segs: Vec<&str> = path.trim_start_matches("/api/v1/").split('/').collect();
    match segs.as_slice() {
        ["users"] => "users",
        ["users", _] => "users/{id}",
        ["groups", _] => "groups/{id}",
        ["groups", ..] => "groups", // "/api/v1/groups except /api/v1/groups/{id}"
        _ => "api/v1",              // user sub-resources, roles, policies: "most other API actions"
    }
}

/// What one request met.
#[derive(Debug, Clone)]
struct Hit {
    at: Duration,
    bucket: &'static str,
    status: u16,
}

#[derive(Default)]
struct Windows {
    buckets: HashMap<&'static str, (Instant, u64)>,
    cumulative: Option<(Instant, u64)>,
}

/// An Okta-shaped server: per-bucket 60 s windows opened by the first request after the last
/// one ended, headers of the org's limits (`X-Rate-Limit-Limit` the bucket's org-wide figure,
/// `Remaining` what the org has left), and 429 E0000047 once this token's share of the bucket
/// or the org's cumulative limit is spent.
#[derive(Clone)]
struct Mock {
    t0: Instant,
    /// The org-wide limit each bucket reports.
    limits: Arc<HashMap<&'static str, u64>>,
    /// The share of each bucket the token may use (what an admin set), in percent.
    token_share_pct: u64,
    /// The org's cumulative per-minute limit across buckets.
    cumulative: Option<u64>,
    windows: Arc<Mutex<Windows>>,
    hits: Arc<Mutex<Vec<Hit>>>,
}

const WINDOW: Duration = Duration::from_secs(60);

async fn serve_mock(State(m): State<Mock>, uri: Uri) -> Response {
    let now = Instant::now();
    let bucket = okta_bucket(uri.path());
    let limit = m.limits.get(bucket).copied().unwrap_or(1200);
    let mut w = m.windows.lock().unwrap();
    let win = w.buckets.entry(bucket).or_insert((now, 0));
    if now >= win.0 + WINDOW {
        *win = (now, 0);
    }
    win.1 += 1;
    let (start, count) = *win;
    let over_token = count > limit * m.token_share_pct / 100;
    let cum = w.cumulative.get_or_insert((now, 0));
    if now >= cum.0 + WINDOW {
        *cum = (now, 0);
    }
    cum.1 += 1;
    let over_cumulative = m.cumulative.is_some_and(|c| cum.1 > c);
    drop(w);
    let status = if over_token || over_cumulative { 429 } else { 200 };
    m.hits.lock().unwrap().push(Hit { at: now - m.t0, bucket, status });
    let base = 1_700_000_000i64;
    let server_now = base + (now - m.t0).as_secs() as i64;
    let reset = base + (start + WINDOW - m.t0).as_secs_f64().ceil() as i64;
    let date = chrono::DateTime::from_timestamp(server_now, 0).unwrap().to_rfc2822().replace("+0000", "GMT");
    let headers = [
        ("x-rate-limit-limit", limit.to_string()),
        ("x-rate-limit-remaining", limit.saturating_sub(count).to_string()),
        ("x-rate-limit-reset", reset.to_string()),
        ("date", date),
        ("content-type", "application/json".to_string()),
    ];
    if status == 429 {
        let body = r#"{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests.","errorLink":"E0000047","errorId":"oae1","errorCauses":[]}"#;
        return (StatusCode::TOO_MANY_REQUESTS, headers, body).into_response();
    }
    (StatusCode::OK, headers, "[]").into_response()
}

impl Mock {
    async fn start(limits: &[(&'static str, u64)], token_share_pct: u64, cumulative: Option<u64>) -> (Mock, String) {
        let m = Mock {
            t0: Instant::now(),
            limits: Arc::new(limits.iter().copied().collect()),
            token_share_pct,
            cumulative,
            windows: Arc::default(),
            hits: Arc::default(),
        };
        let app = axum::Router::new().fallback(serve_mock).with_state(m.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (m, format!("http://{addr}"))
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// 429s per bucket.
    fn limited(&self) -> BTreeMap<&'static str, usize> {
        let mut out = BTreeMap::new();
        for h in self.hits() {
            *out.entry(h.bucket).or_default() += usize::from(h.status == 429);
        }
        out
    }
}

fn client(base: &str, ceiling: Option<u64>) -> OktaClient {
    let mut cfg = OktaConfig::new(url::Url::parse(base).unwrap(), ApiToken::new("SSWS tok-123"));
    cfg.request_timeout = None;
    cfg.pool_idle_timeout = None;
    cfg.cumulative_limit = ceiling;
    OktaClient::new(cfg).unwrap()
}

/// Runs `paths` four at a time per kind (as the connector's fan-outs do), all kinds at once.
async fn run_all(c: &OktaClient, kinds: Vec<Vec<String>>) {
    let mut tasks = Vec::new();
    for paths in kinds {
        let queue = Arc::new(Mutex::new(paths));
        for _ in 0..4 {
            let (c, queue) = (c.clone(), queue.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let Some(p) = queue.lock().unwrap().pop() else { return };
                    c.get(&c.url(&p, &[])).await.unwrap_or_else(|e| panic!("{p}: {e}"));
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
}

fn paths(n: usize, f: impl Fn(usize) -> String) -> Vec<String> {
    (0..n).map(f).collect()
}

/// Workforce figures of the buckets these tests touch.
const WORKFORCE: &[(&str, u64)] = &[("users", 600), ("users/{id}", 2000), ("groups", 500), ("groups/{id}", 1000), ("api/v1", 1200)];

#[tokio::test(start_paused = true)]
async fn sub_resources_are_paced_in_okta_s_bucket_for_them() {
    // Okta's default token share (50 %), reported with the org's figures. Factors and user
    // roles share the /api/v1 catch-all with policy rules; group members share the group-list
    // bucket with the group list. A client that filed them in buckets of their own would
    // spend 50 % of the same Okta bucket twice.
    let (m, base) = Mock::start(WORKFORCE, 50, None).await;
    let c = client(&base, None);
    run_all(
        &c,
        vec![
            paths(1000, |i| format!("/api/v1/users/00u{i:017}/factors")),
            paths(300, |i| format!("/api/v1/users/00u{i:017}/roles")),
            paths(300, |i| format!("/api/v1/policies/00p{i:017}/rules")),
            paths(1000, |i| format!("/api/v1/groups/00g{i:017}/users")),
            paths(200, |_| "/api/v1/groups".to_string()),
            paths(100, |i| format!("/api/v1/groups/00g{i:017}")),
        ],
    )
    .await;
    let hits = m.hits();
    assert_eq!(hits.len(), 2900, "every call made once");
    assert_eq!(m.limited().values().sum::<usize>(), 0, "429s per bucket: {:?}", m.limited());
    // The buckets were used, not starved: 1600 catch-all calls at 600 a minute take 3 windows.
    let last = hits.iter().filter(|h| h.bucket == "api/v1").map(|h| h.at).max().unwrap();
    assert!(last < Duration::from_secs(4 * 60), "{last:?}");
}

#[tokio::test(start_paused = true)]
async fn a_token_limited_to_30_percent_meets_at_most_one_429_per_bucket() {
    // The admin set this token to 30 %; the headers still show the org's figures.
    let (m, base) = Mock::start(WORKFORCE, 30, None).await;
    let c = client(&base, None);
    run_all(
        &c,
        vec![paths(3600, |i| format!("/api/v1/users/00u{i:017}/factors")), paths(1500, |i| format!("/api/v1/groups/00g{i:017}/users"))],
    )
    .await;
    let limited = m.limited();
    println!("429s per bucket: {limited:?}");
    assert!(limited.values().all(|n| *n <= 1), "{limited:?}");
    let hits = m.hits();
    assert_eq!(hits.iter().filter(|h| h.status == 200).count(), 5100, "every call answered once");
    // Still a fair pace: the catch-all allows 360 a minute to this token; 3600 calls at no less
    // than two thirds of it finish within 16 windows (the group bucket: 150 a minute, 1500).
    for (bucket, n_windows) in [("api/v1", 16), ("groups", 16)] {
        let last = hits.iter().filter(|h| h.bucket == bucket).map(|h| h.at).max().unwrap();
        assert!(last < Duration::from_secs(n_windows * 60), "{bucket}: {last:?}");
    }
    let share = c.pacing();
    println!("shares at the end: {share:?}");
}

/// Four busy buckets of 1000 a minute each on an org with no limit across them (Okta's
/// behaviour), the client told `ceiling`: the most calls any 60 s span held.
async fn busiest_minute(ceiling: Option<u64>) -> usize {
    let limits = [("users", 1000), ("users/{id}", 1000), ("groups", 1000), ("groups/{id}", 1000), ("api/v1", 1000)];
    let (m, base) = Mock::start(&limits, 50, None).await;
    let c = client(&base, ceiling);
    run_all(
        &c,
        vec![
            paths(600, |i| format!("/api/v1/users/00u{i:017}/factors")),
            paths(600, |i| format!("/api/v1/users/00u{i:017}")),
            paths(600, |i| format!("/api/v1/groups/00g{i:017}/users")),
            paths(600, |i| format!("/api/v1/groups/00g{i:017}")),
        ],
    )
    .await;
    let hits = m.hits();
    assert_eq!(m.limited().values().sum::<usize>(), 0, "{ceiling:?}: {:?}", m.limited());
    assert_eq!(hits.len(), 2400);
    let times: Vec<Duration> = hits.iter().map(|h| h.at).collect();
    times.iter().map(|t| times.iter().filter(|u| **u >= *t && **u < *t + WINDOW).count()).max().unwrap()
}

#[tokio::test(start_paused = true)]
async fn no_cap_across_buckets_unless_the_admin_states_one() {
    // Unstated: each bucket gives this token 500 a minute, and four busy buckets are used in
    // full, up to 2000 calls in a minute (the client used to hold all of them to half of a
    // "cumulative" limit Okta does not have).
    let busiest = busiest_minute(None).await;
    assert!(busiest >= 1500, "the buckets used, not a cross-bucket cap: {busiest}");
    // Stated (`org_rate_limit_per_minute`): the admin's ceiling on the connector's own use.
    let busiest = busiest_minute(Some(700)).await;
    assert!((600..=700).contains(&busiest), "the stated ceiling held and used: {busiest}");
}

/// The org size of the simulator runs: an R10k-sized org, `RL_E2E_USERS` users (default
/// 10 000: about 17 900 calls, some 75 s in a debug build on 2 shared cores), and groups, apps,
/// devices and events in proportion.
fn e2e_sizes() -> okta_sim::Sizes {
    let users = std::env::var("RL_E2E_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000usize);
    okta_sim::Sizes {
        users,
        groups: (users / 30).clamp(12, 300),
        apps: (users / 500).clamp(6, 20),
        devices: users / 5,
        log_events: users,
        ..okta_sim::Sizes::default()
    }
}

#[tokio::test(start_paused = true)]
async fn a_throttled_sync_over_ten_minute_invocations_ends_whole_with_at_most_one_429_per_bucket() {
    // The platform's ten-minute invocations: each ends DELAYED when the next window opens past
    // its deadline, and the next one (a new client) goes on from the saved state.
    let sizes = okta_sim::Sizes { users: 600, groups: 12, apps: 6, devices: 100, log_events: 600, ..okta_sim::Sizes::default() };
    let (limited, invocations) = sync_against_a_limited_org_with(30, sizes, Duration::from_secs(600)).await;
    assert!(invocations > 5, "the sync spanned many invocations: {invocations}");
    assert!(limited.values().all(|n| *n <= 1), "{limited:?}");
}

/// A full sync against `--tier developer --token-share PCT` on the paused clock; the
/// simulator's clock follows the test's. Returns 429s per simulator bucket.
async fn sync_against_a_limited_org(token_share_pct: u8) -> BTreeMap<&'static str, u64> {
    sync_against_a_limited_org_with(token_share_pct, e2e_sizes(), Duration::from_secs(7 * 24 * 3600)).await.0
}

/// As [`sync_against_a_limited_org`], an org of `sizes`, invocations ending at `soft_deadline`.
async fn sync_against_a_limited_org_with(
    token_share_pct: u8,
    sizes: okta_sim::Sizes,
    soft_deadline: Duration,
) -> (BTreeMap<&'static str, u64>, u64) {
    let faults = okta_sim::Faults { tier: okta_sim::Tier::Developer, token_share_pct: Some(token_share_pct), ..Default::default() };
    let cfg = okta_sim::SimConfig { seed: 5, sizes, faults, ..okta_sim::SimConfig::default() };
    let w = crate::helpers::paused_world_with_deadline(cfg, soft_deadline).await;
    let floor = floor_of(&w.sim.sim.truth(None), okta_sim::Tier::Developer, token_share_pct);
    let t0 = Instant::now();
    let real = std::time::Instant::now();
    let report = w.platform.run_sync("INITIAL").await;
    assert_eq!(report.outcome, "DONE", "{report:?}");
    let truth = w.sim.sim.truth(None);
    for t in okta_airsync::extract::ITEM_TYPES {
        let (want, got) = (w.truth_ids(&truth, t), w.stored_ids(t));
        if *t == "system_logs" {
            // Hours pass on the simulator's clock: its 90-day retention drops the oldest events
            // the sync read at the start.
            assert!(got.is_superset(&want), "{t}: events missing");
        } else {
            assert!(got == want, "{t}: {} stored, {} in the truth", got.len(), want.len());
        }
    }
    let stats = w.sim.sim.stats();
    let mut limited: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut calls: BTreeMap<&'static str, u64> = BTreeMap::new();
    for (route, s) in stats["routes"].as_object().unwrap() {
        let path = route.split_once(' ').map_or(route.as_str(), |(_, p)| p);
        let b = okta_sim::limits::bucket_for(path).name();
        *limited.entry(b).or_default() += s["rate_limited"].as_u64().unwrap();
        *calls.entry(b).or_default() += s["calls"].as_u64().unwrap();
    }
    println!(
        "token share {token_share_pct}%, {} users, {} invocations: {} calls, {} simulated minutes (floor {:.1}: {} {} calls at {} a minute), {:.1} s real, calls per bucket {calls:?}, 429s per bucket {limited:?}",
        sizes.users,
        report.invocations,
        w.sim_calls(),
        t0.elapsed().as_secs() / 60,
        floor.secs / 60.0,
        floor.bucket.name(),
        floor.calls,
        floor.per_min,
        real.elapsed().as_secs_f64()
    );
    (limited, report.invocations as u64)
}

#[tokio::test(start_paused = true)]
async fn a_developer_org_at_okta_s_default_token_share_meets_no_429() {
    let limited = sync_against_a_limited_org(50).await;
    assert!(limited.values().all(|n| *n == 0), "{limited:?}");
}

#[tokio::test(start_paused = true)]
async fn a_developer_org_with_the_token_at_30_percent_meets_at_most_one_429_per_bucket() {
    let limited = sync_against_a_limited_org(30).await;
    assert!(limited.values().all(|n| *n <= 1), "{limited:?}");
}

/// 429s per simulator bucket so far.
fn limited_per_bucket(sim: &okta_sim::Sim) -> BTreeMap<&'static str, u64> {
    let mut limited: BTreeMap<&'static str, u64> = BTreeMap::new();
    for (route, s) in sim.stats()["routes"].as_object().unwrap() {
        let path = route.split_once(' ').map_or(route.as_str(), |(_, p)| p);
        *limited.entry(okta_sim::limits::bucket_for(path).name()).or_default() += s["rate_limited"].as_u64().unwrap();
    }
    limited
}

#[tokio::test(start_paused = true)]
async fn a_share_learned_from_a_429_is_kept_by_the_next_invocations_and_the_next_sync() {
    // The token may use 30 % of each bucket; the connector is told 50 %. The catch-all's
    // factor and enrollment calls (1 200 at 30 a minute) span several ten-minute invocations,
    // each a new client: only the first may meet the 429, the others start at what it taught.
    let sizes = okta_sim::Sizes { users: 600, groups: 12, apps: 6, devices: 100, log_events: 600, ..okta_sim::Sizes::default() };
    let faults = okta_sim::Faults { tier: okta_sim::Tier::Developer, token_share_pct: Some(30), ..Default::default() };
    let cfg = okta_sim::SimConfig { seed: 9, sizes, faults, ..okta_sim::SimConfig::default() };
    let w = crate::helpers::paused_world_with_deadline(cfg, Duration::from_secs(600)).await;
    let state = || w.platform.state_section("su1", okta_airsync::connector::OktaConnector::STATE_KEY);
    let report = w.platform.run_sync("INITIAL").await;
    assert_eq!(report.outcome, "DONE", "{report:?}");
    assert!(report.invocations > 4, "the catch-all spanned invocations: {}", report.invocations);
    let first = limited_per_bucket(&w.sim.sim);
    println!("first sync: {} invocations, 429s per bucket {first:?}, pacing {}", report.invocations, state()["pacing"]);
    assert_eq!(first.get("/api/v1").copied(), Some(1), "the catch-all met the token's share once: {first:?}");
    assert!(first.values().all(|n| *n <= 1), "at most one 429 per bucket over the whole sync: {first:?}");
    let learned = state()["pacing"]["/api/v1"]["share"].as_f64().expect("the learned share is in the state");
    assert!(learned > 0.25 && learned <= 0.3 + 1e-9, "{learned}");
    // A day later, a second full reading: the new clients start at the learned share.
    w.sim.sim.clock.advance(24 * 3600);
    let report = w.platform.run_sync("INITIAL").await;
    assert_eq!(report.outcome, "DONE", "{report:?}");
    let second = limited_per_bucket(&w.sim.sim);
    assert_eq!(second, first, "no 429 in the second sync");
    // It met none, so the share relaxed one step (5 points) for the sync after it.
    let relaxed = state()["pacing"]["/api/v1"]["share"].as_f64().unwrap();
    assert!((relaxed - (learned + 0.05)).abs() < 1e-9, "{learned} then {relaxed}");
}

/// The org of the pacing benchmarks: R10k-sized by default (10 000 users, 500 groups, 100 apps,
/// 2 000 devices, 50 000 System Log events, the demo's figures), `BENCH_USERS` users otherwise
/// (from 50 000 users on: 300 groups, 20 apps and a device per five users, as
/// `scripts/bench.sh` sizes its 100 000-user org).
fn bench_sizes() -> okta_sim::Sizes {
    let users = std::env::var("BENCH_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000usize);
    let (groups, apps) = if users >= 50_000 { (300, 20) } else { (500, 100) };
    okta_sim::Sizes { users, groups, apps, devices: users / 5, log_events: 50_000, ..okta_sim::Sizes::default() }
}

/// What one sync cost, as the simulator counted it.
struct SyncFigures {
    outcome: String,
    /// Why a sync that did not end DONE failed.
    error: Option<String>,
    invocations: usize,
    calls: u64,
    limited: BTreeMap<&'static str, u64>,
    /// Paused-clock seconds the sync's invocations took.
    simulated_secs: f64,
    real_secs: f64,
}

async fn measured_sync(w: &crate::helpers::PausedWorld, mode: &str) -> SyncFigures {
    let (calls0, limited0) = (w.sim_calls(), limited_per_bucket(&w.sim.sim));
    let (t0, real) = (Instant::now(), std::time::Instant::now());
    let report = w.platform.run_sync(mode).await;
    let mut limited = limited_per_bucket(&w.sim.sim);
    for (b, n) in limited.iter_mut() {
        *n -= limited0.get(b).copied().unwrap_or(0);
    }
    SyncFigures {
        outcome: report.outcome.clone(),
        error: report.error.clone(),
        invocations: report.invocations,
        calls: w.sim_calls() - calls0,
        limited,
        simulated_secs: t0.elapsed().as_secs_f64(),
        real_secs: real.elapsed().as_secs_f64(),
    }
}

/// The floor of a full sync of the simulator's org at `tier`, the token at `share_pct`.
fn floor_of(truth: &serde_json::Value, tier: okta_sim::Tier, share_pct: u8) -> okta_sim::limits::Floor {
    let by_bucket = truth["min_api_calls_by_bucket"].as_object().cloned().unwrap_or_default();
    okta_sim::limits::floor(&by_bucket, |b| tier.limit(b), share_pct).expect("a sync makes calls")
}

fn workforce_world_cfg(token_share_pct: u8) -> okta_sim::SimConfig {
    let faults = okta_sim::Faults { tier: okta_sim::Tier::Workforce, token_share_pct: Some(token_share_pct), ..Default::default() };
    okta_sim::SimConfig { seed: 11, sizes: bench_sizes(), faults, ..okta_sim::SimConfig::default() }
}

#[tokio::test(start_paused = true)]
#[ignore = "a benchmark (minutes of real time in a release build): scripts/bench-pace.sh"]
async fn bench_full_sync_at_workforce_limits_against_the_floor() {
    // Okta's default token share (50 %), which the connector is told (its default).
    let mut w = crate::helpers::paused_world(workforce_world_cfg(50)).await;
    let truth = w.sim.sim.truth(None);
    let floor = floor_of(&truth, okta_sim::Tier::Workforce, 50);
    let f = measured_sync(&w, "INITIAL").await;
    assert_eq!(f.outcome, "DONE");
    let users = bench_sizes().users;
    println!(
        "BENCH full sync, workforce, token share 50 %: {users} users, {} invocations, {} calls (fewest {}), simulated {:.1} min, floor {:.1} min ({} {} calls at {} a minute), ratio {:.3}, 429s {:?}, real {:.1} s",
        f.invocations,
        f.calls,
        truth["min_api_calls"],
        f.simulated_secs / 60.0,
        floor.secs / 60.0,
        floor.bucket.name(),
        floor.calls,
        floor.per_min,
        f.simulated_secs / floor.secs,
        f.limited,
        f.real_secs
    );
    println!("BENCH fewest calls per bucket: {}", truth["min_api_calls_by_bucket"]);
    assert!(f.limited.values().all(|n| *n == 0), "{:?}", f.limited);

    // A day later, 1 % of the org has changed (the mix of scripts/bench.sh): the daily
    // incremental sync at the same limits.
    // The simulator's clock moves a day ahead of the worker's: no upper bound from the
    // worker's clock may cut the day's events off.
    w.sim.sim.clock.advance(24 * 3600);
    w.platform.extraction_end_time = None;
    let pct = users / 100;
    let m = okta_sim::mutate::Mutation {
        users: pct,
        groups: 30,
        deactivate: users / 500,
        delete_users: users / 2000,
        remove_members: users / 300,
        unassign_app_users: users / 300,
        reset_factors: pct,
        grant_roles: 20,
        revoke_roles: 20,
        sign_ins: pct,
        ..okta_sim::mutate::Mutation::none()
    };
    w.sim.sim.mutate(&m);
    let inc = measured_sync(&w, "INCREMENTAL").await;
    assert_eq!(inc.outcome, "DONE", "{:?}", inc.error);
    assert!(inc.calls as usize > pct, "the day's changes were read: {} calls", inc.calls);
    println!(
        "BENCH daily incremental after 1 % changed, workforce, token share 50 %: {users} users, {} invocations, {} calls, simulated {:.1} min, 429s {:?}, real {:.1} s",
        inc.invocations,
        inc.calls,
        inc.simulated_secs / 60.0,
        inc.limited,
        inc.real_secs
    );
}

#[tokio::test(start_paused = true)]
#[ignore = "a benchmark (minutes of real time in a release build): scripts/bench-pace.sh"]
async fn bench_a_token_at_30_percent_told_50_then_a_day_later() {
    // Ten-minute invocations, as the platform runs them: each a new client.
    let w = crate::helpers::paused_world_with_deadline(workforce_world_cfg(30), Duration::from_secs(600)).await;
    let truth = w.sim.sim.truth(None);
    let floor = floor_of(&truth, okta_sim::Tier::Workforce, 30);
    let users = bench_sizes().users;
    let first = measured_sync(&w, "INITIAL").await;
    assert_eq!(first.outcome, "DONE");
    let pacing = w.platform.state_section("su1", okta_airsync::connector::OktaConnector::STATE_KEY)["pacing"].clone();
    println!(
        "BENCH token share 30 %, told 50 %: {users} users, first full sync {} invocations, {} calls, floor {:.1} min, 429s per bucket {:?}, learned {pacing}, real {:.1} s",
        first.invocations,
        first.calls,
        floor.secs / 60.0,
        first.limited,
        first.real_secs
    );
    // A day later, the next sync reads in full again (the demanding case: every per-user call).
    w.sim.sim.clock.advance(24 * 3600);
    let second = measured_sync(&w, "INITIAL").await;
    assert_eq!(second.outcome, "DONE");
    println!(
        "BENCH a day later: second full sync {} invocations, {} calls, 429s per bucket {:?}, real {:.1} s",
        second.invocations, second.calls, second.limited, second.real_secs
    );
    assert!(first.limited.values().all(|n| *n <= 1), "{:?}", first.limited);
    assert!(second.limited.values().all(|n| *n == 0), "{:?}", second.limited);
}
