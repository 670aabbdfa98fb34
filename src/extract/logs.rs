//! System Log events. The record id is the event's `uuid`; both dates are `published`, kept at
//! full millisecond precision. `debugContext` is not extracted (free-form, may carry tokens).

use serde_json::{Map, Value};

use super::{json_text, put, put_title, record, s, ts, AdminLinks};

/// Normalizes one log event.
pub fn log_event(e: &Value, links: &AdminLinks) -> Option<Value> {
    let id = s(e, "/uuid")?;
    let published = ts(e.get("published"));
    let mut d = Map::new();
    // "User login to Okta — Ada Lovelace (ada@acme.com)": the message and who acted.
    let what = s(e, "/displayMessage").or_else(|| s(e, "/eventType")).unwrap_or_else(|| id.clone());
    let actor = match (s(e, "/actor/displayName"), s(e, "/actor/alternateId")) {
        (Some(n), Some(a)) if n != a => Some(format!("{n} ({a})")),
        (n, a) => n.or(a),
    };
    put_title(&mut d, [Some(actor.map_or_else(|| what.clone(), |a| format!("{what} — {a}")))]);
    // `event_type` is required: an event without one is malformed and skipped.
    d.insert("event_type".into(), s(e, "/eventType")?.into());
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_log_event_is_titled_with_its_message_and_actor() {
        let links = AdminLinks::from_base(&url::Url::parse("https://acme.okta.com").unwrap());
        let e = json!({"uuid": "e1", "published": "2024-01-01T00:00:00.000Z", "eventType": "user.session.start",
            "displayMessage": "User login to Okta", "actor": {"displayName": "Ada Lovelace", "alternateId": "ada@acme.com"}});
        assert_eq!(log_event(&e, &links).unwrap()["data"]["record_title"], "User login to Okta — Ada Lovelace (ada@acme.com)");
        let bare = json!({"uuid": "e2", "published": "2024-01-01T00:00:00.000Z", "eventType": "system.import"});
        assert_eq!(log_event(&bare, &links).unwrap()["data"]["record_title"], "system.import");
    }
}
