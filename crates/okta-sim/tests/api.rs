//! The simulator on its own: paging, filters, visibility, rate limits, System Log polling,
//! determinism.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::{get, next_of, small};
use okta_sim::{self as sim, gen, Faults, SimConfig, Sizes};

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
    let added = h.sim.mutate(&okta_sim::mutate::Mutation { logs: 4, ..okta_sim::mutate::Mutation::none() });
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
