//! The exact HTTP shape of every DevRev call, pinned with wiremock.

use std::time::Duration;

use okta_airsync::airsync::runtime::run_invocation;
use serde_json::{json, Value};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

use crate::helpers::fast_runtime;
use crate::synthetic::Synthetic;

/// Matches the raw query string exactly (order and encoding included).
struct RawQuery(&'static str);
impl Match for RawQuery {
    fn matches(&self, r: &Request) -> bool {
        r.url.query() == Some(self.0)
    }
}

/// Matches one header's raw value exactly (wiremock's `header` splits values on commas).
struct RawHeader(&'static str, &'static str);
impl Match for RawHeader {
    fn matches(&self, r: &Request) -> bool {
        r.headers.get(self.0).and_then(|v| v.to_str().ok()) == Some(self.1)
    }
}

/// Matches a JSON body whose `state` is a string holding a JSON object.
struct StateBody;
impl Match for StateBody {
    fn matches(&self, r: &Request) -> bool {
        let v: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        v.as_object().is_some_and(|o| o.len() == 1)
            && v["state"]
                .as_str()
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
                .is_some_and(|s| s.is_object() && s.get("lastSyncStarted").is_some())
    }
}

/// Matches a multipart body: the issued form fields first, the gzip file last, no filename.
struct Multipart;
impl Match for Multipart {
    fn matches(&self, r: &Request) -> bool {
        let ct = r.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        let body = String::from_utf8_lossy(&r.body);
        let key = body.find("name=\"key\"");
        let file = body.find("name=\"file\"");
        ct.starts_with("multipart/form-data; boundary=")
            && key.is_some()
            && file.is_some()
            && key < file
            && !body.contains("filename=")
            && body.contains("Content-Type: application/octet-stream")
            && r.headers.get("authorization").is_none()
    }
}

fn event(base: &str, event_type: &str) -> Value {
    let text = devrev_emu::platform::TEMPLATE.replace("http://devrev.placeholder", base);
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v[0]["payload"]["event_type"] = json!(event_type);
    v[0]["payload"]["event_context"]["request_id"] = json!("req-artifacts");
    v[0]["payload"]["event_context"]["request_id_adaas"] = json!("req-state");
    v
}

#[tokio::test]
async fn every_devrev_call_has_the_sdk_shape() {
    let s = MockServer::start().await;
    let raw = || header("authorization", "devrev-test-token");
    let bearer = || header("authorization", "Bearer devrev-test-token");
    Mock::given(method("GET"))
        .and(path("/worker_data.get"))
        .and(RawQuery("sync_unit=su1&request_id=req-state"))
        .and(raw())
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/worker_data.update"))
        .and(RawQuery("sync_unit=su1&request_id=req-state"))
        .and(raw())
        .and(StateBody)
        .respond_with(ResponseTemplate::new(200))
        .expect(3)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/internal/snap-ins.get"))
        .and(RawQuery("id=don:integration:dvrv-us-1:devo%2Femu01:snap_in%2Fokta"))
        .and(raw())
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"snap_in": {"imports": [{"name": "airdrop-okta-snap-in"}], "snap_in_version": {"slug": "airdrop-okta-snap-in"}}}),
        ))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST")).and(path("/internal/airdrop.recipe.initial-domain-mappings.install")).and(raw())
        .and(body_partial_json(json!({"external_system_type": "ADaaS", "import_slug": "airdrop-okta-snap-in", "snap_in_slug": "airdrop-okta-snap-in", "record_type_mappings": {"widgets": {}}})))
        .respond_with(ResponseTemplate::new(200)).expect(1).mount(&s).await;
    Mock::given(method("GET"))
        .and(path("/internal/airdrop.artifacts.upload-url"))
        .and(bearer())
        .and(RawQuery("request_id=req-artifacts&file_type=application%2Fx-gzip&file_name=external_domain_metadata.jsonl.gz"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"upload_url": format!("{}/presigned/1", s.uri()), "artifact_id": "art-1", "form_data": [{"key": "key", "value": "k1"}]}),
        ))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST")).and(path("/presigned/1")).and(Multipart).respond_with(ResponseTemplate::new(204)).expect(1).mount(&s).await;
    Mock::given(method("POST"))
        .and(path("/internal/airdrop.artifacts.confirm-upload"))
        .and(bearer())
        .and(body_partial_json(json!({"request_id": "req-artifacts", "artifact_id": "art-1"})))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/callback"))
        .and(raw())
        .and(header("content-type", "application/json"))
        .and(RawHeader("accept", "application/json, text/plain, */*"))
        .and(header("x-devrev-client-platform", "airdrop-okta-snap-in"))
        .and(header("x-devrev-client-id", "don:integration:dvrv-us-1:devo/emu01:snap_in_package/okta:snap_in_version/v1"))
        .and(header("x-devrev-client-version", "1.20.0"))
        .and(body_partial_json(json!({"event_type": "METADATA_EXTRACTION_DONE",
            "event_context": {"request_id": "req-artifacts", "sync_unit_id": "su1"},
            "event_data": {"artifacts": [{"id": "art-1", "item_type": "external_domain_metadata", "item_count": 1}]},
            "worker_metadata": {"adaas_library_version": "1.20.0"}})))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(wiremock::matchers::any()).respond_with(ResponseTemplate::new(418)).with_priority(u8::MAX).expect(0).mount(&s).await;
    let c = Synthetic { per_type: 1, page: 1, pause: Duration::ZERO };
    let r = run_invocation(
        &serde_json::to_vec(&event(&s.uri(), "START_EXTRACTING_METADATA")).unwrap(),
        &c,
        &fast_runtime(Duration::from_secs(30)),
    )
    .await
    .unwrap();
    assert_eq!(r[0].reply.as_deref(), Some("METADATA_EXTRACTION_DONE"), "{r:?}");
    let body = s.received_requests().await.unwrap().into_iter().find(|r| r.url.path() == "/callback").unwrap().body;
    let text = String::from_utf8(body).unwrap();
    assert!(!text.contains(": ") && !text.contains(",\n"), "compact JSON like JSON.stringify");
    let keys: Vec<String> = serde_json::from_str::<serde_json::Map<String, Value>>(&text).unwrap().keys().cloned().collect();
    assert_eq!(keys, ["event_type", "event_context", "event_data", "worker_metadata"]);
}

#[tokio::test]
async fn a_callback_that_fails_is_retried_then_reported_as_no_reply() {
    let s = MockServer::start().await;
    Mock::given(path("/callback")).respond_with(ResponseTemplate::new(502)).expect(3).mount(&s).await;
    let c = Synthetic { per_type: 1, page: 1, pause: Duration::ZERO };
    let r = run_invocation(&serde_json::to_vec(&event(&s.uri(), "SOMETHING_UNKNOWN")).unwrap(), &c, &fast_runtime(Duration::from_secs(30)))
        .await
        .unwrap();
    assert!(r[0].reply.is_none());
    assert!(r[0].error.as_ref().unwrap().contains("callback answered HTTP 502"));
}
