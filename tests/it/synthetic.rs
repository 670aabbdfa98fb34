//! A test connector that yields synthetic records of two item types, with checkpoints, so the
//! runtime can be proven without Okta.

use std::time::Duration;

use okta_airsync::airsync::extractor::{ExtractOutcome, Extractor, Invocation, PhaseError, Sink};
use serde_json::{json, Value};

/// Yields `per_type` records of `widgets` and `gadgets`, `page` at a time.
#[derive(Clone)]
pub struct Synthetic {
    pub per_type: usize,
    pub page: usize,
    pub pause: Duration,
}

/// The ids the connector yields for one type.
pub fn ids(item_type: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{item_type}-{i:05}")).collect()
}

impl Extractor for Synthetic {
    fn state_key(&self) -> &'static str {
        "synthetic"
    }

    fn initial_domain_mapping(&self) -> Value {
        // The smallest mapping DevRev's schema accepts: each type a fresh custom object.
        let custom = json!({"default_mapping": {"object_category": "fresh_custom", "object_type": "custom_object"}});
        json!({"additional_mappings": {"record_type_mappings": {"widgets": custom, "gadgets": custom}}})
    }

    async fn external_sync_units(&self, _inv: &Invocation) -> Result<Vec<Value>, PhaseError> {
        Ok(vec![json!({"id": "unit-1", "name": "Unit", "description": "the only one"})])
    }

    async fn metadata(&self, _inv: &Invocation) -> Result<Value, PhaseError> {
        Ok(
            json!({"schema_version": "v0.2.0", "record_types": {"widgets": {"fields": {"n": {"type": "int"}}}, "gadgets": {"fields": {"n": {"type": "int"}}}}}),
        )
    }

    async fn extract(&self, inv: &Invocation, state: Value, sink: Sink) -> ExtractOutcome {
        // What the runtime handed over, for tests of the time window.
        let window = json!([inv.extract_from, inv.extract_to]);
        if state.get("window") != Some(&window) && sink.checkpoint("window", &window).await.is_err() {
            return ExtractOutcome::Progress;
        }
        for t in ["widgets", "gadgets"].into_iter().filter(|t| inv.scope.wants(t)) {
            let mut next = state.get(t).and_then(Value::as_u64).unwrap_or(0) as usize;
            while next < self.per_type {
                if inv.stop.is_cancelled() {
                    return ExtractOutcome::Progress;
                }
                tokio::time::sleep(self.pause).await;
                let end = (next + self.page).min(self.per_type);
                let recs = (next..end)
                    .map(|i| json!({"id": format!("{t}-{i:05}"), "created_date": "2024-01-01T00:00:00.000Z", "modified_date": format!("2024-02-01T00:00:{:02}.000Z", i % 60), "data": {"n": i}}))
                    .collect();
                if sink.push(t, recs).await.is_err() || sink.checkpoint(t, &json!(end)).await.is_err() {
                    return ExtractOutcome::Progress;
                }
                next = end;
            }
        }
        ExtractOutcome::Done
    }
}
