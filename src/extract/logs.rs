//! System Log events. The record id is the event's `uuid`; both dates are `published`, kept at
//! full millisecond precision. `debugContext` is not extracted (free-form, may carry tokens).

use serde_json::{Map, Value};

use super::{json_text, put, record, s, ts, AdminLinks};

/// Normalizes one log event.
pub fn log_event(e: &Value, links: &AdminLinks) -> Option<Value> {
    let id = s(e, "/uuid")?;
    let published = ts(e.get("published"));
    let mut d = Map::new();
    put(&mut d, "event_type", s(e, "/eventType"));
    put(&mut d, "legacy_event_type", s(e, "/legacyEventType"));
    put(&mut d, "display_message", s(e, "/displayMessage"));
    put(&mut d, "severity", s(e, "/severity"));
    put(&mut d, "published", published.clone());
    put(&mut d, "outcome_result", s(e, "/outcome/result"));
    put(&mut d, "outcome_reason", s(e, "/outcome/reason"));
    put(&mut d, "actor_id", s(e, "/actor/id"));
    put(&mut d, "actor_type", s(e, "/actor/type"));
    put(&mut d, "actor_alternate_id", s(e, "/actor/alternateId"));
    put(&mut d, "actor_display_name", s(e, "/actor/displayName"));
    put(&mut d, "client_ip", s(e, "/client/ipAddress"));
    put(&mut d, "user_agent", s(e, "/client/userAgent/rawUserAgent"));
    put(&mut d, "transaction_id", s(e, "/transaction/id"));
    if let Some(targets) = e.get("target").and_then(Value::as_array) {
        let ids: Vec<Value> = targets.iter().filter_map(|t| s(t, "/id")).map(Value::from).collect();
        d.insert("target_ids".into(), Value::Array(ids));
        let slim: Vec<Value> = targets
            .iter()
            .map(|t| serde_json::json!({"id": t.get("id"), "type": t.get("type"), "alternate_id": t.get("alternateId"), "display_name": t.get("displayName")}))
            .collect();
        d.insert("targets".into(), json_text(&Value::Array(slim)).into());
    }
    d.insert("item_url_field".into(), links.link(&format!("/report/system_log_2?search={id}")).into());
    record(&id, published.clone(), published, d)
}
