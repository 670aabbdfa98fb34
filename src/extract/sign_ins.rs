//! App usage: a user's latest successful sign-in to an app, from the System Log's
//! `user.authentication.sso` events (Okta's Event Types catalogue: "Fired when a user performs a
//! single sign-on (SSO) to an app instance ... the event is fired even when the sign-on is
//! unsuccessful", so only `outcome.result` SUCCESS counts). The user is the event's actor, the
//! app its `AppInstance` target. Built while the log is read: no API call of its own.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::item_type::ItemType;
use super::{put, put_title, record, s, ts, AdminLinks};

/// The event type of an app sign-in.
pub const SSO_EVENT: &str = "user.authentication.sso";

/// One successful sign-in, as an event tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct SignIn {
    /// The app instance's id.
    pub app_id: String,
    /// The user's id.
    pub user_id: String,
    /// When (RFC 3339, milliseconds).
    pub at: String,
    event: Value,
}

impl SignIn {
    /// The sign-in an event records, if it is a successful SSO by a user to an app instance.
    pub fn of(e: &Value) -> Option<SignIn> {
        if e.get("eventType").and_then(Value::as_str) != Some(SSO_EVENT) || s(e, "/outcome/result").as_deref() != Some("SUCCESS") {
            return None;
        }
        if s(e, "/actor/type").is_some_and(|t| t != "User") {
            return None;
        }
        let user_id = s(e, "/actor/id")?;
        let targets = e.get("target").and_then(Value::as_array)?;
        let app_id = targets.iter().find(|t| s(t, "/type").as_deref() == Some("AppInstance")).and_then(|t| s(t, "/id"))?;
        let at = ts(e.get("published"))?;
        Some(SignIn { app_id, user_id, at, event: e.clone() })
    }

    /// The record's id: the one edge id of its app and user.
    pub fn id(&self) -> String {
        ItemType::edge_id(&self.app_id, &self.user_id)
    }

    /// The `app_sign_ins` record: its dates are the sign-in's time.
    pub fn record(&self, links: &AdminLinks) -> Option<Value> {
        let e = &self.event;
        let app =
            e.get("target").and_then(Value::as_array).and_then(|ts| ts.iter().find(|t| s(t, "/type").as_deref() == Some("AppInstance")));
        let app_name = app.and_then(|a| s(a, "/displayName")).unwrap_or_else(|| self.app_id.clone());
        let user_name = s(e, "/actor/alternateId").or_else(|| s(e, "/actor/displayName")).unwrap_or_else(|| self.user_id.clone());
        let mut d = Map::new();
        put_title(&mut d, [Some(ItemType::edge_title(&app_name, &user_name))]);
        d.insert("app_id".into(), self.app_id.clone().into());
        d.insert("user_id".into(), self.user_id.clone().into());
        d.insert("last_sign_in_at".into(), self.at.clone().into());
        // Okta writes "Unknown" for a device it could not tell.
        put(&mut d, "device", s(e, "/client/device").filter(|v| v != "Unknown"));
        // Okta writes "null" (a string) when the client is in no network zone.
        put(&mut d, "zone", s(e, "/client/zone").filter(|z| z != "null"));
        put(&mut d, "os", s(e, "/client/userAgent/os"));
        put(&mut d, "browser", s(e, "/client/userAgent/browser"));
        put(&mut d, "country", s(e, "/client/geographicalContext/country"));
        put(&mut d, "event_id", s(e, "/uuid"));
        let uuid = s(e, "/uuid").unwrap_or_default();
        d.insert("item_url_field".into(), links.link(&format!("/report/system_log_2?search={uuid}")).into());
        record(&self.id(), Some(self.at.clone()), Some(self.at.clone()), d)
    }
}

/// The latest successful sign-in per app and user among `events` (a page of the log), in the
/// order of their ids.
pub fn latest(events: &[Value]) -> Vec<SignIn> {
    let mut by_pair: BTreeMap<String, SignIn> = BTreeMap::new();
    for s in events.iter().filter_map(SignIn::of) {
        match by_pair.get(&s.id()) {
            Some(known) if known.at >= s.at => {}
            _ => {
                by_pair.insert(s.id(), s);
            }
        }
    }
    by_pair.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sso(uuid: &str, user: &str, app: &str, at: &str, result: &str) -> Value {
        json!({"uuid": uuid, "published": at, "eventType": SSO_EVENT, "outcome": {"result": result},
            "actor": {"id": user, "type": "User", "alternateId": format!("{user}@acme.com")},
            "client": {"device": "Computer", "zone": "null", "userAgent": {"os": "Mac OS X", "browser": "CHROME"}},
            "target": [{"id": app, "type": "AppInstance", "displayName": "Portal"}, {"id": "0ua1", "type": "AppUser"}]})
    }

    #[test]
    fn the_latest_success_per_pair_wins_and_failures_do_not_count() {
        let page = vec![
            sso("e1", "00u1", "0oa1", "2026-11-01T10:00:00.000Z", "SUCCESS"),
            sso("e2", "00u1", "0oa1", "2026-11-02T10:00:00.000Z", "SUCCESS"),
            sso("e3", "00u1", "0oa1", "2026-11-03T10:00:00.000Z", "FAILURE"),
            sso("e4", "00u2", "0oa1", "2026-11-01T09:00:00Z", "SUCCESS"),
        ];
        let got = latest(&page);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].id().as_str(), got[0].at.as_str()), ("0oa1:00u1", "2026-11-02T10:00:00.000Z"));
        assert_eq!(got[1].at, "2026-11-01T09:00:00.000Z");
        let links = AdminLinks::from_base(&url::Url::parse("https://acme.okta.com").unwrap());
        let r = got[0].record(&links).unwrap();
        assert_eq!(r["modified_date"], "2026-11-02T10:00:00.000Z");
        assert_eq!(r["data"]["record_title"], "Portal ← 00u1@acme.com");
        assert_eq!(r["data"]["device"], "Computer");
        assert!(r["data"].get("zone").is_none(), "Okta's \"null\" zone is no zone");
        assert_eq!(r["data"]["event_id"], "e2");
    }

    #[test]
    fn other_events_and_non_user_actors_are_not_sign_ins() {
        let mut e = sso("e1", "00u1", "0oa1", "2026-11-01T10:00:00.000Z", "SUCCESS");
        e["eventType"] = "user.session.start".into();
        assert!(SignIn::of(&e).is_none());
        let mut e = sso("e1", "00u1", "0oa1", "2026-11-01T10:00:00.000Z", "SUCCESS");
        e["actor"]["type"] = "PublicClientApp".into();
        assert!(SignIn::of(&e).is_none());
        let mut e = sso("e1", "00u1", "0oa1", "2026-11-01T10:00:00.000Z", "SUCCESS");
        e["target"] = json!([{"id": "0ua1", "type": "AppUser"}]);
        assert!(SignIn::of(&e).is_none());
    }
}
