//! The Okta simulator on its own: conformance with the official OpenAPI document, paging,
//! filters, visibility, rate limits, System Log polling, determinism.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use okta_sim::{self as sim, gen, Faults, SimConfig, Sizes};
use serde_json::Value;

use crate::helpers::small;

async fn get(base: &str, path_q: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = reqwest::Client::new().get(format!("{base}{path_q}")).header("authorization", "SSWS sim-token").send().await.unwrap();
    let (s, h) = (r.status().as_u16(), r.headers().clone());
    (s, h, r.json().await.unwrap_or(Value::Null))
}

fn next_of(h: &reqwest::header::HeaderMap) -> Option<String> {
    h.get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("rel=\"next\""))
        .map(|v| v[1..v.find('>').unwrap()].to_string())
}

/// Rewrites OpenAPI 3.0 `nullable` into JSON Schema types.
fn json_schemaify(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.remove("nullable") == Some(Value::Bool(true)) {
                if let Some(Value::String(t)) = m.get("type").cloned() {
                    m.insert("type".into(), serde_json::json!([t, "null"]));
                }
                if m.contains_key("$ref") || m.contains_key("allOf") {
                    let inner = Value::Object(std::mem::take(m));
                    m.insert("anyOf".into(), serde_json::json!([inner, {"type": "null"}]));
                }
                if let Some(Value::Array(e)) = m.get_mut("enum") {
                    e.push(Value::Null);
                }
            }
            for x in m.values_mut() {
                json_schemaify(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(json_schemaify),
        _ => {}
    }
}

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/spec/okta-management-openapi.yaml");
        let text = std::fs::read_to_string(path).expect("the official OpenAPI document beside the checkout");
        let mut v: Value = serde_yaml::from_str(&text).unwrap();
        json_schemaify(&mut v);
        v
    })
}

/// The response schema of GET `path` (a concrete path) for `status`.
fn schema_for(path: &str, status: u16) -> Option<Value> {
    let segs: Vec<&str> = path.split('/').collect();
    let paths = spec()["paths"].as_object().unwrap();
    let (_, item) = paths.iter().find(|(t, _)| {
        let ts: Vec<&str> = t.split('/').collect();
        ts.len() == segs.len() && ts.iter().zip(&segs).all(|(a, b)| a.starts_with('{') || a == b)
    })?;
    let responses = &item["get"]["responses"];
    let Some(r) = responses.get(status.to_string()).or_else(|| responses.get("default")) else {
        // Error statuses an operation does not declare still use Okta's error envelope.
        return (status >= 400)
            .then(|| serde_json::json!({"$ref": "#/components/schemas/Error", "components": spec()["components"].clone()}));
    };
    let r = match r.get("$ref").and_then(Value::as_str) {
        Some(rf) => spec().pointer(&rf[1..]).unwrap(),
        None => r,
    };
    let mut s = r.pointer("/content/application~1json/schema")?.clone();
    s["components"] = spec()["components"].clone();
    Some(s)
}

/// Known spec/reality gaps (okta-api.md §13), each deliberate.
fn is_known_gap(path: &str, error: &str) -> bool {
    // "shadow" is the simulator's placeholder status, not an Okta one: the connector must drop it.
    error.contains("\"shadow\"")
        // An attribute of a type outside the spec's enum (terraform accepts `object`): the
        // connector must declare it as text with a warning.
        || error.contains("legacyBlob/type")
        // Schema attributes carry `unique` as a string in real payloads; the spec says boolean.
        || (path.contains("/meta/schemas") && error.contains("NOT_UNIQUE"))
        // Device status CREATED and new role types are real but missing from the enums.
        || error.contains("\"CREATED\"")
        // The spec's GroupStats misspells the admin flag; reality varies (okta-api.md §7).
        || error.contains("hasAdminPriv")
        // Sign-on modes Okta adds later are kept as strings by clients.
        || error.contains("FUTURE_SIGN_ON_MODE")
        // The minimal spec lacks `nullable` on fields real payloads send as null (okta-api.md's
        // own examples: externalId, legacyEventType, detailEntry).
        || error.starts_with("null is not of type") || error.contains("): null is not of type")
        // Role assignments: the spec's oneOf relies on a discriminator JSON Schema cannot apply.
        || error.contains("valid under more than one of the schemas listed in the 'oneOf'")
        // `expand=rules` embeds the rules as an array; the spec types `_embedded` values as objects.
        || error.ends_with("at /0/_embedded/rules") || error.contains("/_embedded/rules")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_conform_to_the_official_openapi_document() {
    let h = sim::start(small(21)).await.unwrap();
    let b = &h.base_url;
    let truth = h.sim.truth(None);
    let user = truth["record_types"]["users"]["ids"][0].as_str().unwrap().to_string();
    let group = truth["record_types"]["groups"]["ids"][1].as_str().unwrap().to_string();
    let app = truth["record_types"]["applications"]["ids"][0].as_str().unwrap().to_string();
    let policy = truth["record_types"]["policies"]["ids"][0].as_str().unwrap().to_string();
    let mut urls = vec![
        "/api/v1/users?limit=5".to_string(),
        format!("/api/v1/users/{user}"),
        "/api/v1/users/me".into(),
        format!("/api/v1/users/{user}/roles"),
        format!("/api/v1/users/{user}/factors"),
        "/api/v1/groups?limit=5&expand=stats".into(),
        format!("/api/v1/groups/{group}/users"),
        format!("/api/v1/groups/{group}/roles"),
        "/api/v1/iam/roles".into(),
        "/api/v1/iam/assignees/users".into(),
        "/api/v1/apps?limit=5".into(),
        format!("/api/v1/apps/{app}/users"),
        format!("/api/v1/apps/{app}/groups"),
        "/api/v1/policies?type=PASSWORD&expand=rules".into(),
        format!("/api/v1/policies/{policy}/rules"),
        "/api/v1/logs?limit=5".into(),
        "/api/v1/devices?limit=5&expand=user".into(),
        "/api/v1/org".into(),
        "/api/v1/meta/schemas/user/default".into(),
        // Errors.
        "/api/v1/users/00uNOPE0000000000000".into(),
        "/api/v1/users?filter=bogus".into(),
        "/api/v1/policies?type=NOPE".into(),
    ];
    // A later page of each paged list.
    for first in [
        "/api/v1/users?limit=5",
        "/api/v1/groups?limit=5&expand=stats",
        "/api/v1/apps?limit=2",
        "/api/v1/logs?limit=5",
        "/api/v1/devices?limit=5",
    ] {
        let (_, hd, _) = get(b, first).await;
        urls.push(next_of(&hd).unwrap().trim_start_matches(b.as_str()).to_string());
    }
    let mut responses = Vec::new();
    for u in &urls {
        let (status, _, body) = get(b, u).await;
        responses.push((u.clone(), status, body));
    }
    // The spec is deep: parse and compile it on a thread with a large stack.
    let (checked, failures) = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || {
            let mut failures = Vec::new();
            for (u, status, body) in &responses {
                let path = u.split('?').next().unwrap();
                let Some(schema) = schema_for(path, *status) else { panic!("no schema for GET {path} {status}") };
                let validator = jsonschema::validator_for(&schema).unwrap();
                for e in validator.iter_errors(body) {
                    let msg = format!("GET {u} ({status}): {e} at {}", e.instance_path());
                    if !is_known_gap(path, &msg) {
                        failures.push(msg);
                    }
                }
            }
            (responses.len(), failures)
        })
        .unwrap()
        .join()
        .unwrap();
    println!("{checked} responses checked against the OpenAPI document");
    assert!(failures.is_empty(), "{}", failures.iter().take(15).cloned().collect::<Vec<_>>().join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_with_opaque_cursors_and_reject_forged_ones() {
    let h = sim::start(small(22)).await.unwrap();
    let mut url = format!("{}/api/v1/users?limit=7", h.base_url);
    let mut ids = BTreeSet::new();
    let mut pages = 0;
    loop {
        let (s, hd, body) = get("", &url).await;
        assert_eq!(s, 200);
        assert!(hd.get("x-okta-request-id").is_some());
        ids.extend(body.as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_string()));
        pages += 1;
        match next_of(&hd) {
            Some(n) => {
                let after = url::Url::parse(&n).unwrap().query_pairs().find(|(k, _)| k == "after").unwrap().1.to_string();
                assert!(!after.starts_with("00u"), "the cursor is opaque: {after}");
                assert!(n.contains("limit=7"), "the next link carries the original parameters");
                url = n;
            }
            None => break,
        }
    }
    let (visible, forged) = {
        let org = h.sim.org.read().unwrap();
        let visible: BTreeSet<String> = org.users.iter().filter(|u| u.status != "DEPROVISIONED").map(|u| u.id.clone()).collect();
        (visible, format!("/api/v1/users?after={}", org.users[3].id))
    };
    assert_eq!(ids, visible, "a plain list hides DEPROVISIONED users and nothing else");
    assert_eq!(pages, visible.len().div_ceil(7));
    let (s, _, body) = get(&h.base_url, &forged).await;
    assert_eq!((s, body["errorCode"].as_str()), (400, Some("E0000054")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_follow_the_grammar_and_allow_lists() {
    let h = sim::start(small(23)).await.unwrap();
    let b = &h.base_url;
    let (s, _, body) = get(b, "/api/v1/users?filter=status%20eq%20%22DEPROVISIONED%22&limit=200").await;
    assert_eq!(s, 200);
    let deprov = body.as_array().unwrap();
    assert!(!deprov.is_empty() && deprov.iter().all(|u| u["status"] == "DEPROVISIONED"));
    for (q, code) in [
        ("/api/v1/users?filter=status%20eq%20", "E0000031"),
        ("/api/v1/users?filter=profile.title%20eq%20%22x%22", "E0000031"),
        ("/api/v1/users?search=status%20ne%20%22ACTIVE%22", "E0000031"),
        ("/api/v1/users?filter=lastUpdated%20gt%20%22yesterday%22", "E0000031"),
        ("/api/v1/groups?filter=profile.name%20eq%20%22x%22", "E0000031"),
        ("/api/v1/apps?filter=status%20eq%20%22ACTIVE%22%20and%20name%20eq%20%22x%22", "E0000031"),
        ("/api/v1/logs?filter=published%20gt%20%222024-01-01T00:00:00.000Z%22", "E0000053"),
        ("/api/v1/policies?type=OAUTH_AUTHORIZATION_POLICY", "E0000002"),
    ] {
        let (s, _, body) = get(b, q).await;
        assert_eq!((s, body["errorCode"].as_str()), (400, Some(code)), "{q}");
        assert_eq!(body["errorLink"], body["errorCode"]);
        assert!(body["errorId"].is_string() && body["errorCauses"].is_array());
    }
    let (s, _, body) = get(b, "/api/v1/users?search=profile.lastName%20sw%20%22lo%22%20and%20status%20eq%20%22ACTIVE%22").await;
    assert_eq!(s, 200);
    assert!(body.as_array().unwrap().iter().all(|u| u["profile"]["lastName"].as_str().unwrap().to_lowercase().starts_with("lo")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_rate_limit_headers_and_an_exhausted_bucket_answers_429() {
    let cfg = SimConfig { faults: Faults { rate_limit_per_min: Some(5), ..Faults::default() }, ..small(24) };
    let h = sim::start(cfg).await.unwrap();
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let (s, hd, body) = get(&h.base_url, "/api/v1/devices").await;
        for k in ["x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset", "date"] {
            assert!(hd.get(k).is_some(), "{k} missing on {s}");
        }
        if s == 429 {
            assert_eq!(body["errorCode"], "E0000047");
        }
        statuses.push(s);
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429]);
    let (s, hd, _) = get(&h.base_url, "/api/v1/users").await;
    assert_eq!((s, hd["x-rate-limit-remaining"].to_str().unwrap()), (200, "4"), "buckets are per endpoint family");
    let r = reqwest::Client::new().get(format!("{}/api/v1/org", h.base_url)).header("authorization", "SSWS wrong").send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("x-rate-limit-limit").is_some());
    assert_eq!(h.sim.stats()["rate_limited"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_polling_returns_a_next_link_on_an_empty_page_and_new_events_later() {
    let h = sim::start(small(25)).await.unwrap();
    let since = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut url = format!("{}/api/v1/logs?since={since}&sortOrder=ASCENDING&limit=1000", h.base_url);
    let mut seen = 0;
    let empty_next = loop {
        let (s, hd, body) = get("", &url).await;
        assert_eq!(s, 200);
        let next = next_of(&hd).expect("polling always has a next link");
        let n = body.as_array().unwrap().len();
        seen += n;
        if n == 0 {
            let self_link = hd.get_all("link").iter().map(|v| v.to_str().unwrap().to_string()).find(|v| v.contains("self")).unwrap();
            assert!(self_link.contains(&next), "an empty page's next link equals its self link");
            break next;
        }
        url = next;
    };
    let added = h.sim.mutate(&okta_sim::mutate::Mutation { logs: 4, users: 0, deactivate: 0, groups: 0, devices: 0, delete_devices: 0 });
    let (_, _, body) = get("", &empty_next).await;
    let got: Vec<&str> = body.as_array().unwrap().iter().map(|e| e["uuid"].as_str().unwrap()).collect();
    let want: Vec<&str> = added["logs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(got, want, "the next poll returns exactly the new events (after {seen} earlier ones)");
}

#[test]
fn the_same_seed_gives_a_byte_identical_org() {
    let anchor = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05.678Z").unwrap().with_timezone(&chrono::Utc);
    let sizes = Sizes { users: 500, groups: 40, apps: 10, devices: 50, log_events: 800, ..Sizes::default() };
    let a = serde_json::to_string(&gen::generate(42, sizes, anchor)).unwrap();
    let b = serde_json::to_string(&gen::generate(42, sizes, anchor)).unwrap();
    let c = serde_json::to_string(&gen::generate(43, sizes, anchor)).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_connections_are_retried_by_the_client_and_counted() {
    use okta_airsync::okta::{ApiToken, OktaClient, OktaConfig};
    let cfg = SimConfig { faults: Faults { reset_rate: 0.25, ..Faults::default() }, ..small(26) };
    let h = sim::start(cfg).await.unwrap();
    let mut oc = OktaConfig::new(url::Url::parse(&h.base_url).unwrap(), ApiToken::new("sim-token"));
    oc.retry_delays = vec![std::time::Duration::from_millis(5), std::time::Duration::from_millis(10)];
    let c = OktaClient::new(oc).unwrap();
    for _ in 0..12 {
        c.get(&c.url("/api/v1/org", &[])).await.unwrap();
    }
    let resets = h.sim.stats()["connection_resets"].as_u64().unwrap();
    assert!(resets > 0, "the seeded draw reset some connections");
    assert_eq!(c.stats()["/api/v1/org"].retries, resets, "each reset was met by one retry");
}
