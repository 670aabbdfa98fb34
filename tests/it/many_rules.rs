//! A policy of more than 20 rules: Okta refuses `expand=rules` on a list that holds one
//! (issue 25); the connector lists that type again without `expand` and reads each policy's
//! rules on their own, so every rule still arrives.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_of_more_than_20_rules_arrives_with_every_rule() {
    let w = world(small(93), Duration::from_secs(60)).await;
    let (big, n_rules, kind) = {
        let org = w.sim.sim.org.read().unwrap();
        let p = org.policies.iter().find(|p| p.rules.len() > 20).expect("the generator makes a policy of 25 rules");
        (p.id.clone(), p.rules.len(), p.kind.clone())
    };
    let base = &w.sim.base_url;
    let refused = reqwest::Client::new()
        .get(format!("{base}/api/v1/policies?type={kind}&expand=rules"))
        .header("authorization", "SSWS sim-token")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 400, "the simulator refuses the expanded list");
    let rep = w.platform.run_sync("INITIAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    let truth = w.sim.sim.truth(None);
    assert_eq!(w.stored_ids("policies"), w.truth_ids(&truth, "policies"));
    let records: Vec<Value> = w.emu.emu.store.lock().unwrap().records("policies");
    let rec = records.iter().find(|r| r["id"] == big.as_str()).expect("the policy of many rules is sent");
    let rules: Value = serde_json::from_str(rec["data"]["rules"].as_str().unwrap()).unwrap();
    assert_eq!(rules.as_array().unwrap().len(), n_rules, "every rule arrives");
    let same_type: Vec<&Value> = records.iter().filter(|r| r["data"]["type"] == kind.as_str()).collect();
    assert!(
        same_type.iter().all(|r| r["data"]["rules"].as_str().is_some_and(|t| t.starts_with('['))),
        "every policy of that type has its rules"
    );
    assert!(w.violations().is_empty(), "{:?}", w.violations());
}
