//! Every bad query answers 400 with Okta's error envelope, never a panic or a dropped connection.
#![allow(clippy::unwrap_used)]

mod common;

use common::{get, small, truth_ids};
use okta_sim as sim;
use serde_json::Value;

fn assert_envelope(q: &str, status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!((status, body["errorCode"].as_str()), (want_status, Some(want_code)), "{q}: {body}");
    assert_eq!(body["errorLink"], body["errorCode"], "{q}");
    assert!(body["errorSummary"].is_string() && body["errorId"].is_string() && body["errorCauses"].is_array(), "{q}: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_non_ascii_cursors_answer_400_e0000054() {
    let h = sim::start(small(31)).await.unwrap();
    let truth = h.sim.truth(None);
    let group = &truth_ids(&truth, "groups")[0];
    let app = &truth_ids(&truth, "applications")[0];
    let policy = &truth_ids(&truth, "policies")[0];
    let cursors = ["sc%C3%A91", "sc%C3%A9%C3%A9", "%F0%9F%98%80", "sc%F0%9F%98%80", "sczz", "sc0", "%FF%FE", "sc%FF", "00uABC", "sc3g"];
    let lists = [
        "/api/v1/users".to_string(),
        "/api/v1/groups".into(),
        format!("/api/v1/groups/{group}/users"),
        "/api/v1/apps".into(),
        format!("/api/v1/apps/{app}/users"),
        format!("/api/v1/apps/{app}/groups"),
        "/api/v1/iam/roles".into(),
        "/api/v1/iam/assignees/users".into(),
        "/api/v1/logs".into(),
        "/api/v1/devices".into(),
        "/api/v1/policies?type=PASSWORD".into(),
        format!("/api/v1/policies/{policy}/rules"),
    ];
    for list in &lists {
        for c in cursors {
            let sep = if list.contains('?') { '&' } else { '?' };
            let q = format!("{list}{sep}after={c}");
            let (s, _, body) = get(&h.base_url, &q).await;
            assert_envelope(&q, s, &body, 400, "E0000054");
        }
    }
    // The server is still up and serving.
    let (s, _, _) = get(&h.base_url, "/api/v1/users?limit=2").await;
    assert_eq!(s, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_are_clamped_defaulted_or_rejected() {
    let h = sim::start(small(32)).await.unwrap();
    let b = &h.base_url;
    let (s, _, body) = get(b, "/api/v1/users?limit=1000000").await;
    let visible = h.sim.org.read().unwrap().users.iter().filter(|u| u.status != "DEPROVISIONED").count();
    assert_eq!((s, body.as_array().unwrap().len()), (200, visible), "a limit above the maximum is clamped, not refused");
    let (s, hd, body) = get(b, "/api/v1/users?limit=2").await;
    assert_eq!((s, body.as_array().unwrap().len()), (200, 2));
    assert!(common::next_of(&hd).is_some());
    let (s, _, body) = get(b, "/api/v1/devices?limit=3").await;
    assert_eq!((s, body.as_array().unwrap().len()), (200, 3));
    let (s, _, body) = get(b, "/api/v1/devices?limit=-4").await;
    assert_eq!(s, 200);
    assert!(body.as_array().unwrap().len() > 3, "a negative limit means the default");
    for q in [
        "/api/v1/users?limit=99999999999999999999999999",
        "/api/v1/users?limit=abc",
        "/api/v1/groups?limit=1.5",
        "/api/v1/logs?limit=%C3%A9",
        "/api/v1/apps?limit=",
        "/api/v1/devices?limit=1e3",
    ] {
        let (s, _, body) = get(b, q).await;
        assert_envelope(q, s, &body, 400, "E0000001");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_filters_searches_and_dates_answer_400() {
    let h = sim::start(small(33)).await.unwrap();
    let b = &h.base_url;
    for (q, code) in [
        ("/api/v1/users?filter=%28%28%28", "E0000031"),
        ("/api/v1/users?filter=status%20eq%20%22unterminated", "E0000031"),
        ("/api/v1/users?filter=%C3%A9t%C3%A9%20eq%20%22x%22", "E0000031"),
        ("/api/v1/users?search=profile.login%20eq%20%22%F0%9F%98%80%22%20and", "E0000031"),
        ("/api/v1/users?filter=status%20eq%20%22A%22%20%5Cor", "E0000031"),
        ("/api/v1/groups?search=%5C%22", "E0000031"),
        ("/api/v1/devices?search=status%20eq%20", "E0000031"),
        ("/api/v1/apps?filter=%22%22", "E0000031"),
        ("/api/v1/logs?filter=eventType%20eq", "E0000053"),
        ("/api/v1/logs?since=yesterday", "E0000001"),
        ("/api/v1/logs?until=%C3%A9", "E0000001"),
    ] {
        let (s, _, body) = get(b, q).await;
        assert_envelope(q, s, &body, 400, code);
    }
}
