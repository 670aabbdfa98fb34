//! The worker state kept by DevRev between invocations.
//!
//! One flat JSON object, as the SDK writes it: the SDK's own keys (`lastSyncStarted`,
//! `lastSuccessfulSyncStarted`, the window bounds, `snapInVersionId`, `toDevRev`) plus one key for
//! the connector and one (`airsync_runtime`) for this runtime's bookkeeping: artifacts uploaded
//! but not yet reported in a callback, so that a crash loses nothing.

use serde_json::{json, Map, Value};

/// The key holding this runtime's own bookkeeping.
pub const RUNTIME_KEY: &str = "airsync_runtime";

/// A state document that is not a JSON object.
#[derive(Debug, thiserror::Error)]
#[error("the stored worker state is not a JSON object ({0}); delete the import's state or re-run the initial sync")]
pub struct StateError(pub String);

/// The whole worker state.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerState {
    map: Map<String, Value>,
}

impl WorkerState {
    /// A fresh extraction state with the SDK defaults and an empty connector section.
    pub fn fresh(connector_key: &str) -> Self {
        let mut map = Map::new();
        map.insert(connector_key.into(), json!({}));
        let sdk = json!({
            "lastSyncStarted": "", "lastSuccessfulSyncStarted": "",
            "pendingWorkersOldest": "", "pendingWorkersNewest": "",
            "workersOldest": "", "workersNewest": "",
            "snapInVersionId": "",
            "toDevRev": {"attachmentsMetadata": {"artifactIds": [], "lastProcessed": 0,
                         "lastProcessedAttachmentsIdsList": []}}
        });
        if let Value::Object(sdk) = sdk {
            map.extend(sdk);
        }
        WorkerState { map }
    }

    /// Parses a stored state; missing keys are tolerated (older versions wrote fewer).
    pub fn parse(text: &str) -> Result<Self, StateError> {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(WorkerState { map }),
            Ok(other) => Err(StateError(format!("found {}", short(&other)))),
            Err(e) => Err(StateError(format!("not JSON: {e}"))),
        }
    }

    /// A top-level string field, or "".
    pub fn get_str(&self, key: &str) -> &str {
        self.map.get(key).and_then(Value::as_str).unwrap_or("")
    }

    /// Sets a top-level string field.
    pub fn set_str(&mut self, key: &str, value: &str) {
        self.map.insert(key.into(), Value::String(value.into()));
    }

    /// The connector's section (an object; empty when absent).
    pub fn connector(&self, key: &str) -> Value {
        self.map.get(key).filter(|v| v.is_object()).cloned().unwrap_or_else(|| json!({}))
    }

    /// Replaces the connector's section.
    pub fn set_connector(&mut self, key: &str, value: Value) {
        self.map.insert(key.into(), value);
    }

    /// Artifacts uploaded by an earlier invocation that never reached a callback.
    pub fn unreported_artifacts(&self) -> Vec<Value> {
        self.map.get(RUNTIME_KEY).and_then(|r| r.get("unreported_artifacts")).and_then(Value::as_array).cloned().unwrap_or_default()
    }

    /// Records the artifacts uploaded but not yet reported.
    pub fn set_unreported_artifacts(&mut self, artifacts: Vec<Value>) {
        self.map.insert(RUNTIME_KEY.into(), json!({ "unreported_artifacts": artifacts }));
    }

    /// Serializes the whole state.
    pub fn to_json(&self) -> String {
        Value::Object(self.map.clone()).to_string()
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        format!("{}…", &s[..s.char_indices().nth(60).map_or(s.len(), |(i, _)| i)])
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_state_has_the_sdk_defaults() {
        let s = WorkerState::fresh("okta");
        let v: Value = serde_json::from_str(&s.to_json()).unwrap();
        assert_eq!(v["lastSyncStarted"], "");
        assert_eq!(v["toDevRev"]["attachmentsMetadata"]["lastProcessed"], 0);
        assert_eq!(v["okta"], json!({}));
    }

    #[test]
    fn a_state_that_is_not_an_object_is_refused() {
        assert!(WorkerState::parse("[1]").is_err());
        assert!(WorkerState::parse("nope").is_err());
        assert!(WorkerState::parse("{}").is_ok());
    }
}
