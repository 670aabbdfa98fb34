//! Helpers shared by the simulator's tests.
#![allow(dead_code, clippy::unwrap_used)]

use okta_sim::{SimConfig, Sizes};
use serde_json::Value;

/// A small org.
pub fn small(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        sizes: Sizes { users: 60, groups: 12, apps: 6, devices: 20, log_events: 300, ..Sizes::default() },
        ..SimConfig::default()
    }
}

/// GETs `base` + `path_q` with the simulator's token: status, headers, JSON body (null if none).
pub async fn get(base: &str, path_q: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = reqwest::Client::new().get(format!("{base}{path_q}")).header("authorization", "SSWS sim-token").send().await.unwrap();
    let (s, h) = (r.status().as_u16(), r.headers().clone());
    (s, h, r.json().await.unwrap_or(Value::Null))
}

/// GETs and returns the status, headers and the raw body text.
pub async fn get_text(base: &str, path_q: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let r = reqwest::Client::new().get(format!("{base}{path_q}")).header("authorization", "SSWS sim-token").send().await.unwrap();
    let (s, h) = (r.status().as_u16(), r.headers().clone());
    (s, h, r.text().await.unwrap())
}

/// The `rel="next"` target of the Link headers.
pub fn next_of(h: &reqwest::header::HeaderMap) -> Option<String> {
    h.get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("rel=\"next\""))
        .map(|v| v[1..v.find('>').unwrap()].to_string())
}

/// The ids of one record type in a truth document.
pub fn truth_ids(truth: &Value, kind: &str) -> Vec<String> {
    truth["record_types"][kind]["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}
