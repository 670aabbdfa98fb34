//! The shared Okta client against wiremock: auth, paging, retries, typed errors, pacing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use okta_airsync::okta::{ApiToken, EndRule, Error, OktaClient, OktaConfig, Pager};
use serde_json::json;
use tokio::time::Instant;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn client(base: &str) -> OktaClient {
    let mut cfg = OktaConfig::new(url::Url::parse(base).unwrap(), ApiToken::new("SSWS tok-123"));
    // Paused-clock tests: no timer may race the socket, or the clock jumps to it.
    cfg.request_timeout = None;
    cfg.pool_idle_timeout = None;
    OktaClient::new(cfg).unwrap()
}

async fn loud_fallback(server: &MockServer) {
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(418).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .mount(server)
        .await;
}

#[tokio::test]
async fn the_token_is_sent_as_ssws_once_and_redacted_everywhere() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/org"))
        .and(header("authorization", "SSWS tok-123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "00o1"})))
        .expect(1)
        .mount(&server)
        .await;
    loud_fallback(&server).await;
    let c = client(&server.uri());
    c.get(&c.url("/api/v1/org", &[])).await.unwrap();
    let t = ApiToken::new("SSWS tok-123");
    assert_eq!(format!("{t:?} {t}"), "ApiToken([REDACTED]) [REDACTED]");
}

#[tokio::test]
async fn users_are_paged_until_no_next_link_following_links_verbatim() {
    let server = MockServer::start().await;
    let next = format!("{}/api/v1/users?after=opaque%2Bcursor&limit=2&filter=status%20eq%20%22X%22", server.uri());
    Mock::given(path("/api/v1/users"))
        .and(query_param("after", "opaque+cursor"))
        .and(query_param("filter", "status eq \"X\""))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": "3"}])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/users"))
        .and(query_param("limit", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"id": "1"}, {"id": "2"}]))
                .append_header("link", format!("<{}/api/v1/users?limit=2>; rel=\"self\", <{next}>; rel=\"next\"", server.uri()).as_str()),
        )
        .with_priority(10)
        .expect(1)
        .mount(&server)
        .await;
    loud_fallback(&server).await;
    let c = client(&server.uri());
    let mut p = Pager::new(c.clone(), c.url("/api/v1/users", &[("limit", "2")]), EndRule::NoNext);
    let mut ids = Vec::new();
    while let Some(page) = p.next_page().await.unwrap() {
        ids.extend(page.items.into_iter().map(|v| v["id"].as_str().unwrap().to_string()));
    }
    assert_eq!(ids, ["1", "2", "3"]);
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused_and_that_host_gets_nothing() {
    let server = MockServer::start().await;
    let evil = MockServer::start().await;
    Mock::given(wiremock::matchers::any()).respond_with(ResponseTemplate::new(200)).expect(0).mount(&evil).await;
    Mock::given(path("/api/v1/groups"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"id": "g"}]))
                .append_header("link", format!("<{}/api/v1/groups?after=x>; rel=\"next\"", evil.uri()).as_str()),
        )
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let mut p = Pager::new(c.clone(), c.url("/api/v1/groups", &[]), EndRule::NoNext);
    let err = p.next_page().await.unwrap_err();
    assert!(matches!(err, Error::ForeignNextLink { .. }), "{err}");
    assert!(c.check_origin(&url::Url::parse(&evil.uri()).unwrap(), "x").is_err());
}

#[tokio::test]
async fn the_same_next_link_twice_is_a_cursor_loop() {
    let server = MockServer::start().await;
    let me = format!("{}/api/v1/apps?after=same", server.uri());
    Mock::given(path("/api/v1/apps"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{"id": "a"}])).append_header("link", format!("<{me}>; rel=\"next\"").as_str()),
        )
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let mut p = Pager::new(c.clone(), c.url("/api/v1/apps", &[]), EndRule::NoNext);
    p.next_page().await.unwrap();
    p.next_page().await.unwrap();
    assert!(matches!(p.next_page().await.unwrap_err(), Error::CursorLoop { .. }));
}

#[tokio::test]
async fn iam_roles_page_through_the_body_link() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/iam/roles"))
        .and(query_param("after", "cr2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"roles": [{"id": "cr2"}], "_links": {}})))
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/iam/roles"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"roles": [{"id": "cr1"}],
        "_links": {"next": {"href": format!("{}/api/v1/iam/roles?after=cr2", server.uri())}}})))
        .with_priority(10)
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let pages: Vec<_> =
        futures::StreamExt::collect::<Vec<_>>(Pager::new(c.clone(), c.url("/api/v1/iam/roles", &[]), EndRule::NoNext).into_stream()).await;
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[1].as_ref().unwrap().0.items[0]["id"], "cr2");
}

#[tokio::test]
async fn log_polling_ends_a_pass_on_an_empty_page() {
    let server = MockServer::start().await;
    let next = format!("{}/api/v1/logs?after=p2", server.uri());
    Mock::given(path("/api/v1/logs"))
        .and(query_param("after", "p2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])).append_header("link", format!("<{next}>; rel=\"next\"").as_str()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/logs"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"uuid": "u1"}]))
                .append_header("link", format!("<{next}>; rel=\"next\"").as_str()),
        )
        .with_priority(10)
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let mut p = Pager::new(c.clone(), c.url("/api/v1/logs", &[]), EndRule::EmptyPage);
    assert_eq!(p.next_page().await.unwrap().unwrap().items.len(), 1);
    assert_eq!(p.next_page().await.unwrap().unwrap().items.len(), 0);
    assert!(p.next_page().await.unwrap().is_none());
}

struct FailTwice(AtomicU64);
impl Respond for FailTwice {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        match self.0.fetch_add(1, Ordering::SeqCst) {
            0 | 1 => ResponseTemplate::new(503).set_body_json(json!({"errorCode": "E0000010", "errorSummary": "read-only"})),
            _ => ResponseTemplate::new(200).set_body_json(json!([])),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_retried_after_one_then_two_seconds() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/devices")).respond_with(FailTwice(AtomicU64::new(0))).expect(3).mount(&server).await;
    let c = client(&server.uri());
    let t0 = Instant::now();
    c.get(&c.url("/api/v1/devices", &[])).await.unwrap();
    let took = t0.elapsed();
    assert!(took >= Duration::from_secs(3) && took < Duration::from_millis(3100), "{took:?}");
    assert_eq!(c.stats()["/api/v1/devices"].retries, 2);
}

#[tokio::test(start_paused = true)]
async fn a_third_server_error_is_a_typed_transient_error() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/devices"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"errorCode": "E0000009"})))
        .expect(3)
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let e = c.get(&c.url("/api/v1/devices", &[])).await.unwrap_err();
    assert!(matches!(e, Error::Transient { .. }), "{e}");
    assert!(e.to_string().contains("/api/v1/devices"));
}

#[tokio::test]
async fn statuses_become_typed_errors() {
    let server = MockServer::start().await;
    let body = |code: &str| json!({"errorCode": code, "errorSummary": "summary", "errorLink": code, "errorId": "x", "errorCauses": []});
    for (p, status, code) in [
        ("/api/v1/a", 401, "E0000011"),
        ("/api/v1/b", 403, "E0000006"),
        ("/api/v1/c", 404, "E0000007"),
        ("/api/v1/users", 400, "E0000031"),
        ("/api/v1/e", 405, "E0000022"),
    ] {
        Mock::given(path(p)).respond_with(ResponseTemplate::new(status).set_body_json(body(code))).mount(&server).await;
    }
    let c = client(&server.uri());
    let get = |p: &str, q: &[(&str, &str)]| {
        let c = c.clone();
        let u = c.url(p, q);
        async move { c.get(&u).await.unwrap_err() }
    };
    assert!(matches!(get("/api/v1/a", &[]).await, Error::InvalidToken { .. }));
    assert!(matches!(get("/api/v1/b", &[]).await, Error::PermissionDenied { .. }));
    assert!(matches!(get("/api/v1/c", &[]).await, Error::NotFound { .. }));
    assert!(matches!(get("/api/v1/users", &[("filter", "x")]).await, Error::FilterRejected { .. }));
    let e = get("/api/v1/e", &[]).await;
    assert!(matches!(&e, Error::Api { status: 405, code, .. } if code == "E0000022"), "{e}");
}

#[tokio::test(start_paused = true)]
async fn a_429_waits_for_the_reset_measured_against_the_date_header() {
    let server = MockServer::start().await;
    // The server's clock is far in the past: only the Date/Reset difference may matter.
    let date = "Mon, 01 Jan 2024 00:00:00 GMT";
    let reset = chrono::DateTime::parse_from_rfc2822(date).unwrap().timestamp() + 30;
    Mock::given(path("/api/v1/logs"))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(json!({"errorCode": "E0000047"}))
                .append_header("date", date)
                .append_header("x-rate-limit-limit", "60")
                .append_header("x-rate-limit-remaining", "0")
                .append_header("x-rate-limit-reset", reset.to_string().as_str()),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/logs")).respond_with(ResponseTemplate::new(200).set_body_json(json!([]))).mount(&server).await;
    let c = client(&server.uri());
    let t0 = Instant::now();
    c.get(&c.url("/api/v1/logs", &[])).await.unwrap();
    let took = t0.elapsed();
    assert!(took >= Duration::from_secs(31) && took < Duration::from_millis(31_300), "{took:?}");
    assert_eq!(c.stats()["/api/v1/logs"].rate_limited, 1);
}

#[tokio::test(start_paused = true)]
async fn a_wait_past_the_deadline_is_a_typed_rate_limit() {
    let server = MockServer::start().await;
    let now = chrono::Utc::now();
    Mock::given(path("/api/v1/logs"))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(json!({"errorCode": "E0000047"}))
                .append_header("date", now.to_rfc2822().replace("+0000", "GMT").as_str())
                .append_header("x-rate-limit-limit", "60")
                .append_header("x-rate-limit-remaining", "0")
                .append_header("x-rate-limit-reset", (now.timestamp() + 45).to_string().as_str()),
        )
        .mount(&server)
        .await;
    let c = client(&server.uri()).with_deadline(Instant::now() + Duration::from_secs(5));
    match c.get(&c.url("/api/v1/logs", &[])).await.unwrap_err() {
        Error::RateLimited { wait_secs, .. } => assert!((45..=47).contains(&wait_secs), "{wait_secs}"),
        e => panic!("{e}"),
    }
}

#[tokio::test]
async fn an_oversized_or_truncated_body_is_an_error_not_a_crash() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/big")).respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(4096))).mount(&server).await;
    Mock::given(path("/api/v1/bad")).respond_with(ResponseTemplate::new(200).set_body_string("[{\"id\": ")).mount(&server).await;
    let mut cfg = OktaConfig::new(url::Url::parse(&server.uri()).unwrap(), ApiToken::new("t"));
    cfg.max_body_bytes = 1024;
    let c = OktaClient::new(cfg).unwrap();
    assert!(matches!(c.get(&c.url("/api/v1/big", &[])).await.unwrap_err(), Error::BodyTooLarge { .. }));
    let e = c.get(&c.url("/api/v1/bad", &[])).await.unwrap_err();
    assert!(matches!(e, Error::BadBody { .. }) && e.to_string().contains("/api/v1/bad"), "{e}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start().await;
    let other = MockServer::start().await;
    Mock::given(wiremock::matchers::any()).respond_with(ResponseTemplate::new(200)).expect(0).mount(&other).await;
    Mock::given(path("/api/v1/org"))
        .respond_with(ResponseTemplate::new(302).append_header("location", format!("{}/steal", other.uri()).as_str()))
        .mount(&server)
        .await;
    let c = client(&server.uri());
    assert!(matches!(c.get(&c.url("/api/v1/org", &[])).await.unwrap_err(), Error::Api { status: 302, .. }));
}

/// A mock bucket of `limit` requests per 60 s window, on the test's own (paused) clock.
#[derive(Clone)]
struct Bucket {
    limit: u64,
    start: Arc<Mutex<(Instant, u64)>>,
    log: Arc<Mutex<Vec<(Duration, bool)>>>,
    t0: Instant,
}

async fn bucket_handler(axum::extract::State(b): axum::extract::State<Bucket>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let now = Instant::now();
    let mut w = b.start.lock().unwrap();
    if now >= w.0 + Duration::from_secs(60) {
        *w = (now, 0);
    }
    w.1 += 1;
    let over = w.1 > b.limit;
    let base = 1_700_000_000i64;
    let server_now = base + (now - b.t0).as_secs() as i64;
    let reset = base + (w.0 + Duration::from_secs(60) - b.t0).as_secs_f64().ceil() as i64;
    b.log.lock().unwrap().push((now - b.t0, over));
    let date = chrono::DateTime::from_timestamp(server_now, 0).unwrap().to_rfc2822().replace("+0000", "GMT");
    let headers = [
        ("x-rate-limit-limit", b.limit.to_string()),
        ("x-rate-limit-remaining", b.limit.saturating_sub(w.1).to_string()),
        ("x-rate-limit-reset", reset.to_string()),
        ("date", date),
    ];
    let status = if over { axum::http::StatusCode::TOO_MANY_REQUESTS } else { axum::http::StatusCode::OK };
    (status, headers, "[]").into_response()
}

// wiremock serves from its own thread and runtime, whose clock the test cannot pause; this one
// mock needs server time tied to the paused clock, so it is a tiny axum server on the test
// runtime instead.
#[tokio::test(start_paused = true)]
async fn a_thousand_requests_against_a_bucket_of_100_per_minute_meet_no_429() {
    let t0 = Instant::now();
    let b = Bucket { limit: 100, start: Arc::new(Mutex::new((t0, 0))), log: Arc::new(Mutex::new(Vec::new())), t0 };
    let app = axum::Router::new().route("/api/v1/users", axum::routing::get(bucket_handler)).with_state(b.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let c = client(&format!("http://{addr}"));
    let url = c.url("/api/v1/users", &[]);
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let c = c.clone();
            let u = url.clone();
            tokio::spawn(async move { c.get(&u).await.map(|_| ()) })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let log = b.log.lock().unwrap().clone();
    assert_eq!(log.iter().filter(|(_, over)| *over).count(), 0, "429s were met");
    assert_eq!(log.len(), 1000);
    let per_window: Vec<usize> = (0..25).map(|w| log.iter().filter(|(t, _)| t.as_secs() / 60 == w).count()).collect();
    println!("requests per 60 s window: {per_window:?}");
    // Half of 100 per window, so 1000 requests need 20 windows and no window exceeds 50.
    assert!(per_window.iter().all(|n| *n <= 50), "{per_window:?}");
    let windows_used = per_window.iter().filter(|n| **n > 0).count();
    assert!((20..=21).contains(&windows_used), "{per_window:?}");
}

#[tokio::test(start_paused = true)]
async fn a_concurrency_429_with_limit_zero_backs_off_instead_of_trusting_the_reset() {
    let server = MockServer::start().await;
    let now = chrono::Utc::now();
    // Limit 0: the reset is only an estimate (Okta's rate-limit headers page); the client backs off 2 s, then 4 s.
    Mock::given(path("/api/v1/groups"))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(json!({"errorCode": "E0000047"}))
                .append_header("date", now.to_rfc2822().replace("+0000", "GMT").as_str())
                .append_header("x-rate-limit-limit", "0")
                .append_header("x-rate-limit-remaining", "0")
                .append_header("x-rate-limit-reset", (now.timestamp() + 600).to_string().as_str()),
        )
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/groups")).respond_with(ResponseTemplate::new(200).set_body_json(json!([]))).mount(&server).await;
    let c = client(&server.uri());
    let t0 = Instant::now();
    c.get(&c.url("/api/v1/groups", &[])).await.unwrap();
    let took = t0.elapsed();
    assert!(took >= Duration::from_secs(6) && took < Duration::from_millis(6600), "{took:?}");
    assert_eq!(c.stats()["/api/v1/groups"].rate_limited, 2);
}

#[tokio::test(start_paused = true)]
async fn a_request_dropped_mid_flight_frees_its_rate_limit_slot() {
    let server = MockServer::start().await;
    let now = chrono::Utc::now();
    // A bucket of 4 per minute that always has room: at a 50 % share the client may have 2
    // requests of it under way. Two that are dropped mid-flight must not keep their slots.
    let headers = |t: ResponseTemplate| {
        t.append_header("date", now.to_rfc2822().replace("+0000", "GMT").as_str())
            .append_header("x-rate-limit-limit", "4")
            .append_header("x-rate-limit-remaining", "4")
            .append_header("x-rate-limit-reset", (now.timestamp() + 60).to_string().as_str())
    };
    Mock::given(path("/api/v1/users"))
        .and(query_param("slow", "1"))
        .respond_with(headers(ResponseTemplate::new(200).set_body_json(json!([])).set_delay(Duration::from_secs(30))))
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/users"))
        .respond_with(headers(ResponseTemplate::new(200).set_body_json(json!([]))))
        .with_priority(10)
        .mount(&server)
        .await;
    let c = client(&server.uri());
    c.get(&c.url("/api/v1/users", &[])).await.unwrap();
    for _ in 0..2 {
        let slow = c.url("/api/v1/users", &[("slow", "1")]);
        let dropped = tokio::time::timeout(Duration::from_millis(100), c.get(&slow)).await;
        assert!(dropped.is_err(), "the slow request was still in flight when its future was dropped");
    }
    // The two dropped requests spent this window's share (they may have reached Okta), so the
    // next request waits for the reset once; after it the whole share is usable again. Slots
    // leaked by the dropped futures would count as in flight for ever and leave room for one
    // request per window: four requests would then take four windows.
    let t0 = Instant::now();
    for _ in 0..4 {
        c.get(&c.url("/api/v1/users", &[])).await.unwrap();
    }
    let took = t0.elapsed();
    assert!(took < Duration::from_secs(90), "leaked slots shrank the bucket's share: {took:?}");
}
