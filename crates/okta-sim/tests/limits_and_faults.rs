//! Okta's rate-limit table (tiers, token share, no limit across buckets unless asked for), the concurrency cap through
//! latency, unlicensed features, 503/502/504 faults, strict filter dates and paged policies.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::{get, get_text, next_of, small, truth_ids};
use okta_sim::{self as sim, Faults, SimConfig, Tier};

fn header(h: &reqwest::header::HeaderMap, k: &str) -> u64 {
    h[k].to_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_developer_org_with_half_a_token_gets_half_of_each_bucket() {
    let faults = Faults { tier: Tier::Developer, token_share_pct: Some(50), ..Faults::default() };
    let h = sim::start(SimConfig { faults, ..small(41) }).await.unwrap();
    let b = &h.base_url;
    let truth = h.sim.truth(None);
    let user = &truth_ids(&truth, "users")[0];
    let group = &truth_ids(&truth, "groups")[1];
    // /api/v1/logs is 20 per minute on the free plan: 10 for this token. The headers show the
    // org's bucket.
    let mut statuses = Vec::new();
    for i in 1..=11 {
        let (s, hd, _) = get(b, "/api/v1/logs?limit=1").await;
        assert_eq!((header(&hd, "x-rate-limit-limit"), header(&hd, "x-rate-limit-remaining")), (20, 20 - i));
        statuses.push(s);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 10);
    assert_eq!(statuses.last(), Some(&429));
    // User sub-resources are in the /api/v1 catch-all (100, 50 for this token), not the by-id
    // bucket.
    let (_, hd, _) = get(b, &format!("/api/v1/users/{user}/factors")).await;
    assert_eq!((header(&hd, "x-rate-limit-limit"), header(&hd, "x-rate-limit-remaining")), (100, 99));
    let (_, hd, _) = get(b, &format!("/api/v1/users/{user}/roles")).await;
    assert_eq!(header(&hd, "x-rate-limit-remaining"), 98, "roles share the catch-all with factors");
    let (_, hd, _) = get(b, &format!("/api/v1/users/{user}")).await;
    assert_eq!(header(&hd, "x-rate-limit-remaining"), 99, "a user by id has its own bucket");
    // Group sub-resources count against the group-list bucket.
    let (_, hd, _) = get(b, &format!("/api/v1/groups/{group}/users")).await;
    assert_eq!(header(&hd, "x-rate-limit-remaining"), 99);
    let (_, hd, _) = get(b, "/api/v1/groups?limit=1").await;
    assert_eq!(header(&hd, "x-rate-limit-remaining"), 98, "/groups/{{id}}/users and /groups share a bucket");
    let (_, hd, _) = get(b, &format!("/api/v1/groups/{group}")).await;
    assert_eq!(header(&hd, "x-rate-limit-remaining"), 99, "a group by id has its own bucket");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_is_workforce_with_the_whole_bucket() {
    let h = sim::start(small(42)).await.unwrap();
    let (_, hd, _) = get(&h.base_url, "/api/v1/logs?limit=1").await;
    assert_eq!(header(&hd, "x-rate-limit-limit"), 120);
    let (_, hd, _) = get(&h.base_url, "/api/v1/org").await;
    assert_eq!(header(&hd, "x-rate-limit-limit"), 1200);
}

/// Sends up to 990 calls alternating between two buckets; the number of the first 429, if any.
async fn first_429_across_buckets(h: &sim::SimHandle) -> Option<usize> {
    let client = reqwest::Client::new();
    for n in 1..=990 {
        let path = if n % 2 == 0 { "/api/v1/org" } else { "/api/v1/users/me" };
        let r = client.get(format!("{}{path}", h.base_url)).header("authorization", "SSWS sim-token").send().await.unwrap();
        if r.status() == 429 {
            assert_eq!(header(r.headers(), "x-rate-limit-limit"), 980);
            return Some(n);
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_limit_across_buckets_unless_asked_for() {
    // Every bucket at 1000 per minute. Okta enforces each on its own: 990 calls over two
    // buckets pass. With the opt-in cross-bucket limit at 980, the 981st is refused.
    for (cumulative, want) in [(None, None), (Some(980), Some(981))] {
        let faults = Faults { tier: Tier::Developer, rate_limit_per_min: Some(1000), cumulative_per_min: cumulative, ..Faults::default() };
        let h = sim::start(SimConfig { faults, ..small(43) }).await.unwrap();
        assert_eq!(first_429_across_buckets(&h).await, want, "cumulative {cumulative:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_concurrency_cap_counts_a_request_while_it_waits_out_its_latency() {
    let faults = Faults { concurrency_cap: Some(1), latency_ms: 400, ..Faults::default() };
    let h = sim::start(SimConfig { faults, ..small(44) }).await.unwrap();
    let base = h.base_url.clone();
    let first = tokio::spawn(async move { get(&base, "/api/v1/org").await });
    // Wait (without sleeping) until the first request has arrived and is in its latency.
    while h.sim.stats()["total_calls"].as_u64().unwrap() < 1 {
        tokio::task::yield_now().await;
    }
    let (s, hd, body) = get(&h.base_url, "/api/v1/org").await;
    assert_eq!((s, body["errorCode"].as_str()), (429, Some("E0000047")));
    assert_eq!(header(&hd, "x-rate-limit-limit"), 0);
    assert_eq!(first.await.unwrap().0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlicensed_features_answer_401_e0000015() {
    let faults = Faults { unlicensed: vec!["roles".into(), "devices".into(), "policies:ACCESS_POLICY".into()], ..Faults::default() };
    let h = sim::start(SimConfig { faults, ..small(45) }).await.unwrap();
    let b = &h.base_url;
    let user = truth_ids(&h.sim.truth(None), "users")[0].clone();
    for q in [
        format!("/api/v1/users/{user}/roles"),
        "/api/v1/iam/roles".into(),
        "/api/v1/iam/assignees/users".into(),
        "/api/v1/devices".into(),
        "/api/v1/policies?type=ACCESS_POLICY".into(),
    ] {
        let (s, _, body) = get(b, &q).await;
        assert_eq!((s, body["errorCode"].as_str()), (401, Some("E0000015")), "{q}");
        assert_eq!(body["errorSummary"], "You do not have permission to access the feature you are requesting");
    }
    for q in ["/api/v1/users/me", "/api/v1/policies?type=PASSWORD", "/api/v1/groups"] {
        assert_eq!(get(b, q).await.0, 200, "{q}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_include_503_e0000010_and_html_gateway_errors() {
    let h = sim::start(SimConfig { faults: Faults { unavailable_rate: 1.0, ..Faults::default() }, ..small(46) }).await.unwrap();
    let (s, hd, body) = get(&h.base_url, "/api/v1/org").await;
    assert_eq!((s, body["errorCode"].as_str()), (503, Some("E0000010")));
    assert_eq!(hd["content-type"], "application/json");
    let h = sim::start(SimConfig { faults: Faults { gateway_error_rate: 1.0, ..Faults::default() }, ..small(47) }).await.unwrap();
    let mut seen = BTreeSet::new();
    for _ in 0..30 {
        let (s, hd, text) = get_text(&h.base_url, "/api/v1/org").await;
        assert!(s == 502 || s == 504, "{s}");
        assert_eq!(hd["content-type"], "text/html");
        assert!(serde_json::from_str::<serde_json::Value>(&text).is_err(), "a gateway's body is not JSON: {text}");
        seen.insert(s);
    }
    assert_eq!(seen, BTreeSet::from([502, 504]));
    assert_eq!(h.sim.stats()["routes"]["GET /api/v1/org"]["server_errors"], 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filter_dates_must_have_milliseconds_and_a_zone() {
    let h = sim::start(small(48)).await.unwrap();
    let b = &h.base_url;
    let enc = |f: &str| url::form_urlencoded::byte_serialize(f.as_bytes()).collect::<String>();
    for (list, key, field) in
        [("users", "filter", "lastUpdated"), ("groups", "filter", "lastMembershipUpdated"), ("devices", "search", "lastUpdated")]
    {
        for bad in ["2025-01-01T00:00:00Z", "2025-01-01", "2025-01-01T00:00:00.000", "2025-02-30T00:00:00.000Z"] {
            let q = format!("/api/v1/{list}?{key}={}", enc(&format!("{field} gt \"{bad}\"")));
            let (s, _, body) = get(b, &q).await;
            assert_eq!((s, body["errorCode"].as_str()), (400, Some("E0000031")), "{q}");
        }
        let q = format!("/api/v1/{list}?{key}={}", enc(&format!("{field} gt \"2020-01-01T00:00:00.000Z\"")));
        assert_eq!(get(b, &q).await.0, 200, "{q}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_and_policy_rules_page_with_limit_and_next_links() {
    let h = sim::start(small(49)).await.unwrap();
    let b = &h.base_url;
    // A type with two policies pages at limit=1.
    let kind = {
        let org = h.sim.org.read().unwrap();
        let count = |k: &str| org.policies.iter().filter(|p| p.kind == k).count();
        org.policies.iter().map(|p| p.kind.clone()).find(|k| count(k) == 2).unwrap()
    };
    let (s, hd, body) = get(b, &format!("/api/v1/policies?type={kind}&limit=1")).await;
    assert_eq!((s, body.as_array().unwrap().len()), (200, 1));
    let next = next_of(&hd).expect("a second page");
    assert!(next.contains(&format!("type={kind}")), "the next link keeps the type");
    let (_, hd2, body2) = get("", &next).await;
    assert_eq!(body2.as_array().unwrap().len(), 1);
    assert_ne!(body[0]["id"], body2[0]["id"]);
    assert!(next_of(&hd2).is_none());
    // The default ACCESS_POLICY policy has 25 rules.
    let big = {
        let org = h.sim.org.read().unwrap();
        org.policies.iter().find(|p| p.rules.len() == 25).unwrap().id.clone()
    };
    let (_, hd, all) = get(b, &format!("/api/v1/policies/{big}/rules")).await;
    assert_eq!(all.as_array().unwrap().len(), 25, "without a limit every rule comes back");
    assert!(next_of(&hd).is_none());
    let mut url = format!("{b}/api/v1/policies/{big}/rules?limit=10");
    let (mut ids, mut pages) = (Vec::new(), 0);
    loop {
        let (s, hd, body) = get("", &url).await;
        assert_eq!(s, 200);
        ids.extend(body.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()));
        pages += 1;
        match next_of(&hd) {
            Some(n) => url = n,
            None => break,
        }
    }
    let want: Vec<String> = all.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    assert_eq!((ids, pages), (want, 3));
}
