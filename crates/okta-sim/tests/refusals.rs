//! What the simulator refuses as Okta does: `expand=rules` over a policy of more than 20 rules,
//! and System Log cursors issued before `refuse_log_cursors`.
#![allow(clippy::unwrap_used)]

mod common;

use common::{get, next_of, small};
use okta_sim::mutate::Mutation;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_list_with_expand_rules_over_a_policy_of_more_than_20_rules_is_a_400() {
    let h = okta_sim::start(small(91)).await.unwrap();
    let b = &h.base_url;
    let big = {
        let org = h.sim.org.read().unwrap();
        let p = org.policies.iter().find(|p| p.rules.len() > 20).expect("the generator makes an ACCESS_POLICY of 25 rules");
        (p.id.clone(), p.kind.clone(), p.rules.len())
    };
    let (s, _, body) = get(b, &format!("/api/v1/policies?type={}&expand=rules", big.1)).await;
    assert_eq!((s, body["errorCode"].as_str()), (400, Some("E0000001")), "{body}");
    let (s, _, body) = get(b, &format!("/api/v1/policies?type={}", big.1)).await;
    assert_eq!(s, 200);
    assert!(body.as_array().unwrap().iter().any(|p| p["id"] == big.0.as_str()));
    let (s, _, rules) = get(b, &format!("/api/v1/policies/{}/rules", big.0)).await;
    assert_eq!((s, rules.as_array().unwrap().len()), (200, big.2));
    // A type whose policies have at most 20 rules each embeds them.
    let (s, _, body) = get(b, "/api/v1/policies?type=PASSWORD&expand=rules").await;
    assert_eq!(s, 200, "{body}");
    assert!(body.as_array().unwrap().iter().all(|p| p["_embedded"]["rules"].is_array()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_cursors_issued_before_the_switch_are_refused() {
    let h = okta_sim::start(small(92)).await.unwrap();
    let b = &h.base_url;
    let (s, head, _) = get(b, "/api/v1/logs?limit=5").await;
    assert_eq!(s, 200);
    let next = next_of(&head).unwrap();
    let path = next.strip_prefix(b.as_str()).unwrap().to_string();
    let (s, _, _) = get(b, &path).await;
    assert_eq!(s, 200, "a fresh cursor is taken");
    h.sim.mutate(&Mutation { refuse_log_cursors: true, ..Mutation::none() });
    let (s, _, body) = get(b, &path).await;
    assert_eq!((s, body["errorCode"].as_str()), (400, Some("E0000001")), "{body}");
    let (s, head, _) = get(b, "/api/v1/logs?limit=5").await;
    assert_eq!(s, 200, "a request without a cursor still works");
    let again = next_of(&head).unwrap();
    let (s, _, _) = get(b, again.strip_prefix(b.as_str()).unwrap()).await;
    assert_eq!(s, 200, "and the cursors it issues are good");
}
