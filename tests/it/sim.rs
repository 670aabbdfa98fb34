//! The connector's Okta client against the simulator (the simulator's own tests live in
//! crates/okta-sim/tests).

use okta_sim::{self as sim, Faults, SimConfig};

use crate::helpers::small;

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
