//! The worker state kept by DevRev between invocations.
//!
//! One flat JSON object, as the SDK writes it: the SDK's own keys (`lastSyncStarted`,
//! `lastSuccessfulSyncStarted`, the window bounds, `snapInVersionId`, `toDevRev`) plus one key for
//! the connector and one (`airsync_runtime`) for this runtime's bookkeeping: artifacts uploaded
//! but not yet reported in a callback, so that a crash loses nothing.

use serde_json::{json, Map, Value};

/// The key holding this runtime's own bookkeeping.
pub const RUNTIME_KEY: &str = "airsync_runtime";

/// Who may report the carried-over artifacts: one phase of one sync run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactOwner {
    /// `metadata`, `data` or `attachments`.
    pub phase: &'static str,
    /// The sync run (`event_context.run_id`, or the deprecated `sync_run_id` / `sync_run`).
    pub run_id: String,
}

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

    /// A top-level value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }

    /// Sets (or, with `Value::Null`, removes) a top-level value.
    pub fn set(&mut self, key: &str, value: Value) {
        if value.is_null() {
            self.map.remove(key);
        } else {
            self.map.insert(key.into(), value);
        }
    }

    /// The connector's section (an object; empty when absent).
    pub fn connector(&self, key: &str) -> Value {
        self.map.get(key).filter(|v| v.is_object()).cloned().unwrap_or_else(|| json!({}))
    }

    /// Replaces the connector's section.
    pub fn set_connector(&mut self, key: &str, value: Value) {
        self.map.insert(key.into(), value);
    }

    /// Artifacts uploaded by an earlier invocation of this phase and run that never reached a
    /// callback (see [`WorkerState::claim_artifacts`]).
    pub fn unreported_artifacts(&self) -> Vec<Value> {
        self.runtime_section().get("unreported_artifacts").and_then(Value::as_array).cloned().unwrap_or_default()
    }

    /// Records the artifacts uploaded but not yet reported, under the current owner.
    pub fn set_unreported_artifacts(&mut self, artifacts: Vec<Value>) {
        let mut section = self.runtime_section();
        section.insert("unreported_artifacts".into(), Value::Array(artifacts));
        self.map.insert(RUNTIME_KEY.into(), Value::Object(section));
    }

    /// Ids of carried-over artifacts whose confirmation may not have reached DevRev: the state
    /// lists an artifact before its `confirm-upload`, so a crash between the two leaves it here
    /// and the next invocation confirms it again before reporting it.
    pub fn unconfirmed_artifacts(&self) -> Vec<String> {
        let ids = self.runtime_section().get("unconfirmed_artifacts").and_then(Value::as_array).cloned().unwrap_or_default();
        ids.iter().filter_map(Value::as_str).map(str::to_string).collect()
    }

    /// Records which of the unreported artifacts still need their confirmation.
    pub fn set_unconfirmed_artifacts(&mut self, ids: &[String]) {
        let mut section = self.runtime_section();
        if ids.is_empty() {
            section.remove("unconfirmed_artifacts");
        } else {
            section.insert("unconfirmed_artifacts".into(), json!(ids));
        }
        self.map.insert(RUNTIME_KEY.into(), Value::Object(section));
    }

    /// Makes `owner` (a phase of a sync run) the owner of the carried-over artifact list. An
    /// artifact list left by another phase or another run is not this reply's to report: it is
    /// dropped and logged, and its count returned. A list from a state without an owner (an older
    /// version) is dropped too.
    pub fn claim_artifacts(&mut self, owner: &ArtifactOwner) -> usize {
        let section = self.runtime_section();
        let carried = self.unreported_artifacts();
        let same = section.get("phase").and_then(Value::as_str) == Some(owner.phase)
            && section.get("run_id").and_then(Value::as_str) == Some(owner.run_id.as_str());
        let dropped = if same { 0 } else { carried.len() };
        if dropped > 0 {
            let from_phase = section.get("phase").and_then(Value::as_str).unwrap_or("?");
            let from_run = section.get("run_id").and_then(Value::as_str).unwrap_or("?");
            tracing::warn!(
                dropped,
                from_phase,
                from_run,
                phase = owner.phase,
                run_id = %owner.run_id,
                "dropping artifacts uploaded by another phase or run: they are not this reply's to report"
            );
        }
        let kept = if same { carried } else { Vec::new() };
        let unconfirmed = if same { self.unconfirmed_artifacts() } else { Vec::new() };
        self.map.insert(RUNTIME_KEY.into(), json!({ "phase": owner.phase, "run_id": owner.run_id, "unreported_artifacts": kept }));
        self.set_unconfirmed_artifacts(&unconfirmed);
        dropped
    }

    fn runtime_section(&self) -> Map<String, Value> {
        self.map.get(RUNTIME_KEY).and_then(Value::as_object).cloned().unwrap_or_default()
    }

    /// Serializes the whole state.
    pub fn to_json(&self) -> String {
        Value::Object(self.map.clone()).to_string()
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
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
    fn artifacts_of_another_phase_or_run_are_dropped_not_reported() {
        let data = ArtifactOwner { phase: "data", run_id: "run-1".into() };
        let mut s = WorkerState::fresh("okta");
        assert_eq!(s.claim_artifacts(&data), 0);
        s.set_unreported_artifacts(vec![json!({"id": "a1"})]);
        let mut again = WorkerState::parse(&s.to_json()).unwrap();
        assert_eq!(again.claim_artifacts(&data), 0, "the same phase and run keep their artifacts");
        assert_eq!(again.unreported_artifacts(), vec![json!({"id": "a1"})]);
        let mut next_run = WorkerState::parse(&s.to_json()).unwrap();
        assert_eq!(next_run.claim_artifacts(&ArtifactOwner { phase: "data", run_id: "run-2".into() }), 1);
        assert!(next_run.unreported_artifacts().is_empty());
        let mut next_phase = WorkerState::parse(&s.to_json()).unwrap();
        assert_eq!(next_phase.claim_artifacts(&ArtifactOwner { phase: "metadata", run_id: "run-1".into() }), 1);
        assert!(next_phase.unreported_artifacts().is_empty());
    }

    #[test]
    fn a_state_that_is_not_an_object_is_refused() {
        assert!(WorkerState::parse("[1]").is_err());
        assert!(WorkerState::parse("nope").is_err());
        assert!(WorkerState::parse("{}").is_ok());
    }
}
