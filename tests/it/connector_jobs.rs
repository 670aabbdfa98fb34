//! Connector jobs against wiremock: what a real org does while it is read (parents deleted
//! mid fan-out, forbidden or unlicensed children, paged policy rules).

use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use okta_airsync::airsync::extractor::{Sink, SinkMsg};
use okta_airsync::connector::jobs::JobCtx;
use okta_airsync::connector::state::{FanPos, JobState};
use okta_airsync::connector::Job;
use okta_airsync::extract::AdminLinks;
use okta_airsync::okta::{ApiToken, OktaClient, OktaConfig};
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A job context against `server`, and the receiving end of its sink.
fn ctx(server: &MockServer, job: Job) -> (JobCtx, mpsc::Receiver<SinkMsg>) {
    let mut cfg = OktaConfig::new(url::Url::parse(&server.uri()).unwrap(), ApiToken::new("t"));
    cfg.retry_delays = vec![];
    let client = OktaClient::new(cfg).unwrap();
    let (tx, rx) = mpsc::channel(10_000);
    let sink = Sink::new(tx, Arc::new(tokio::sync::Semaphore::new(100_000)));
    let (_ready_tx, ready_rx) = watch::channel(true);
    let ctx = JobCtx {
        job,
        links: AdminLinks::from_base(client.base_url()),
        client,
        sink,
        stop: Default::default(),
        sync: Default::default(),
        fanout: 2,
        placeholders: Arc::new(RwLock::new(HashSet::new())),
        users_ready: ready_rx,
        calls_before: 0,
        calls_counted: 0,
        previous_logs: Default::default(),
        overlap: chrono::Duration::minutes(5),
        scope: Default::default(),
        logs_ready: watch::channel(None).1,
        changes: Default::default(),
        logs_tx: Arc::new(watch::channel(None).0),
        index: None,
        changes_before: Default::default(),
        user_pages: Default::default(),
    };
    (ctx, rx)
}

/// Record ids sent per item type.
fn sent(rx: &mut mpsc::Receiver<SinkMsg>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while let Ok(m) = rx.try_recv() {
        if let SinkMsg::Records(_, t, recs) = m {
            out.extend(recs.iter().map(|r| (t.clone(), r["id"].as_str().unwrap_or("").to_string())));
        }
    }
    out
}

fn user(id: &str) -> Value {
    json!({"id": id, "status": "ACTIVE", "created": "2024-01-01T00:00:00.000Z", "lastUpdated": "2024-01-01T00:00:00.000Z",
           "profile": {"login": format!("{id}@x.com"), "email": format!("{id}@x.com")}})
}

fn factor(id: &str) -> Value {
    json!([{"id": format!("f-{id}"), "factorType": "sms", "provider": "OKTA", "status": "ACTIVE",
            "created": "2024-01-01T00:00:00.000Z", "lastUpdated": "2024-01-01T00:00:00.000Z"}])
}

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({"errorCode": "E0000007", "errorSummary": "Not found: Resource not found: x (User)"}))
}

#[tokio::test]
async fn a_parent_deleted_mid_fan_out_is_skipped_and_counted() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([user("00ua000001"), user("00ua000002"), user("00ua000003")])))
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/users/00ua000001/factors"))
        .respond_with(ResponseTemplate::new(200).set_body_json(factor("1")))
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/users/00ua000002/factors")).respond_with(not_found()).mount(&server).await;
    Mock::given(path("/api/v1/users/00ua000003/factors"))
        .respond_with(ResponseTemplate::new(200).set_body_json(factor("3")))
        .mount(&server)
        .await;
    let (ctx, mut rx) = ctx(&server, Job::Factors);
    let mut st = JobState::<FanPos>::default();
    tokio::time::timeout(Duration::from_secs(20), okta_airsync::connector::jobs::factors::extract(&ctx, &mut st))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(st.parents_gone, 1);
    let ids: Vec<String> = sent(&mut rx).into_iter().filter(|(t, _)| t == "factors").map(|(_, id)| id).collect();
    assert_eq!(ids.len(), 2, "the users after the deleted one still get their factors: {ids:?}");
}

#[tokio::test]
async fn a_403_on_one_parents_children_skips_that_parent_only() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([user("00ua000001"), user("00ua000002"), user("00ua000003")])))
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/users/00ua000001/factors"))
        .respond_with(ResponseTemplate::new(200).set_body_json(factor("1")))
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/users/00ua000002/factors"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(json!({"errorCode": "E0000006", "errorSummary": "You do not have permission"})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/users/00ua000003/factors"))
        .respond_with(ResponseTemplate::new(200).set_body_json(factor("3")))
        .mount(&server)
        .await;
    let (mut ctx, mut rx) = ctx(&server, Job::Factors);
    ctx.fanout = 1;
    let mut st = JobState::<FanPos>::default();
    okta_airsync::connector::jobs::factors::extract(&ctx, &mut st).await.unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(st.parents_forbidden, 1);
    assert!(st.skipped.is_empty(), "the kind is not skipped: {:?}", st.skipped);
    let ids: Vec<String> = sent(&mut rx).into_iter().filter(|(t, _)| t == "factors").map(|(_, id)| id).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlicensed_features_are_skipped_as_not_licensed_and_the_sync_is_done() {
    use okta_airsync::airsync::extractor::{ExtractOutcome, Extractor, Invocation};
    use okta_airsync::connector::{OktaConnector, Settings};
    let server = MockServer::start().await;
    // Devices: 401 E0000015. Custom roles: a bare 401 while the token check still passes.
    Mock::given(path("/api/v1/devices"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"errorCode": "E0000015", "errorSummary": "You do not have permission to access the feature you are requesting"}),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/iam/roles"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"errorCode": "E0000011", "errorSummary": "Invalid token provided"})))
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/users/me")).respond_with(ResponseTemplate::new(200).set_body_json(user("00ume00001"))).mount(&server).await;
    Mock::given(path("/api/v1/meta/schemas/user/default"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .with_priority(u8::MAX)
        .mount(&server)
        .await;
    let conn = OktaConnector {
        settings: Settings {
            base_url_override: Some(url::Url::parse(&server.uri()).unwrap()),
            retry_delays: vec![],
            ..Settings::default()
        },
    };
    let inv = Invocation {
        mode: "INITIAL".into(),
        is_start: true,
        org_id: String::new(),
        org_name: String::new(),
        connection_key: "t0k".to_string().into(),
        global_values: Default::default(),
        extract_from: None,
        extract_to: None,
        reset_extract_from: false,
        scope: Default::default(),
        last_successful_sync_started: String::new(),
        sync_started: "2025-06-01T00:00:00.000Z".into(),
        stop: Default::default(),
        deadline: tokio::time::Instant::now() + Duration::from_secs(60),
        index: None,
    };
    // The full reading, then its catch-up round in the same invocation, from the settled state.
    let (tx, mut rx) = mpsc::channel(10_000);
    let sink = Sink::new(tx, Arc::new(tokio::sync::Semaphore::new(100_000)));
    let writer = tokio::spawn(async move {
        let mut state = serde_json::Map::new();
        while let Some(m) = rx.recv().await {
            match m {
                SinkMsg::Checkpoint(_, k, v) => {
                    state.insert(k, v);
                }
                SinkMsg::Settle(reply) => {
                    let _ = reply.send(Some(Value::Object(state.clone())));
                }
                _ => {}
            }
        }
        state
    });
    let out = conn.extract(&inv, Value::Object(Default::default()), sink).await;
    let state = writer.await.unwrap();
    assert_eq!(out, ExtractOutcome::Done);
    assert_eq!(state["catch_up.job.users"]["status"], "done", "{:?}", state.get("catch_up.job.users"));
    let devices = &state["job.devices"];
    assert_eq!(devices["status"], "skipped");
    assert!(devices["note"].as_str().unwrap().contains("not licensed"), "{devices}");
    let roles = &state["job.roles"];
    assert_eq!(roles["status"], "done", "standard roles are still read: {roles}");
    // The same reason says the same words on either entity: not licensed.
    assert!(roles["note"].as_str().unwrap().contains("custom roles skipped (not licensed"), "{roles}");
}
