//! Applications and their user and group assignments (app secrets stripped).

use serde_json::{Map, Value};

use super::secrets::{app_credentials, strip};
use super::{json_text, put, put_title, record, s, ts, AdminLinks, ItemType};

/// An application, its settings and credentials stripped of secrets.
pub fn application(a: &Value, links: &AdminLinks) -> Option<Value> {
    let id = s(a, "/id")?;
    let mut d = Map::new();
    put_title(&mut d, [s(a, "/label"), s(a, "/name"), Some(id.clone())]);
    put(&mut d, "name", s(a, "/name"));
    // `label` is required by the metadata: Okta always sends one; else the name, else the id.
    d.insert("label".into(), s(a, "/label").or_else(|| s(a, "/name")).unwrap_or_else(|| id.clone()).into());
    put(&mut d, "status", s(a, "/status"));
    put(&mut d, "sign_on_mode", s(a, "/signOnMode"));
    if let Some(f) = a.get("features").and_then(Value::as_array) {
        d.insert("features".into(), Value::Array(f.iter().filter(|v| v.is_string()).cloned().collect()));
    }
    if let Some(c) = a.get("credentials") {
        d.insert("credentials".into(), json_text(&app_credentials(c)).into());
    }
    if let Some(st) = a.get("settings") {
        d.insert("settings".into(), json_text(&strip(st)).into());
    }
    if let Some(v) = a.get("visibility") {
        d.insert("visibility".into(), json_text(&strip(v)).into());
    }
    d.insert("item_url_field".into(), links.link(&format!("/admin/app/{}/instance/{id}", s(a, "/name").unwrap_or_default())).into());
    record(&id, ts(a.get("created")), ts(a.get("lastUpdated")), d)
}

/// How an app reads in a title: its label from the app JSON, else its id.
fn app_ref(app: &Value) -> Option<(String, String)> {
    let id = s(app, "/id")?;
    let label = s(app, "/label").or_else(|| s(app, "/name")).unwrap_or_else(|| id.clone());
    Some((id, label))
}

/// A user's assignment to an app, titled with the app's id. Prefer [`app_user_for`].
pub fn app_user(app_id: &str, au: &Value, links: &AdminLinks) -> Option<Value> {
    app_user_for(&serde_json::json!({ "id": app_id }), au, links)
}

/// A user's assignment to `app` (the app JSON from `/apps`), titled "Portal ← ada@acme.com":
/// the app's label and the assignment's `credentials.userName` (the user id without one).
pub fn app_user_for(app: &Value, au: &Value, links: &AdminLinks) -> Option<Value> {
    let (app_id, app_label) = app_ref(app)?;
    let app_id = app_id.as_str();
    let uid = s(au, "/id")?;
    let mut d = Map::new();
    put_title(&mut d, [Some(ItemType::edge_title(&app_label, &s(au, "/credentials/userName").unwrap_or_else(|| uid.clone())))]);
    d.insert("app_id".into(), app_id.into());
    d.insert("user_id".into(), uid.clone().into());
    put(&mut d, "scope", s(au, "/scope"));
    put(&mut d, "status", s(au, "/status"));
    put(&mut d, "sync_state", s(au, "/syncState"));
    put(&mut d, "external_id", s(au, "/externalId"));
    put(&mut d, "last_sync", ts(au.get("lastSync")));
    put(&mut d, "status_changed", ts(au.get("statusChanged")));
    if let Some(p) = au.get("profile").filter(|p| p.is_object()) {
        d.insert("profile".into(), json_text(&strip(p)).into());
    }
    d.insert("item_url_field".into(), links.link(&format!("/admin/app/instance/{app_id}#tab-assignments")).into());
    record(&ItemType::edge_id(app_id, &uid), ts(au.get("created")), ts(au.get("lastUpdated")), d)
}

/// A group's assignment to an app, titled with the app's id. Prefer [`app_group_for`].
pub fn app_group(app_id: &str, ag: &Value, links: &AdminLinks) -> Option<Value> {
    app_group_for(&serde_json::json!({ "id": app_id }), ag, links)
}

/// A group's assignment to `app`, titled "Portal ← Engineering": the app's label and the group's
/// name from `_embedded.group` (present with `expand=group`), else the group id. Okta gives only
/// `lastUpdated`: it serves as both dates.
pub fn app_group_for(app: &Value, ag: &Value, links: &AdminLinks) -> Option<Value> {
    let (app_id, app_label) = app_ref(app)?;
    let app_id = app_id.as_str();
    let gid = s(ag, "/id")?;
    let mut d = Map::new();
    put_title(&mut d, [Some(ItemType::edge_title(&app_label, &s(ag, "/_embedded/group/profile/name").unwrap_or_else(|| gid.clone())))]);
    d.insert("app_id".into(), app_id.into());
    d.insert("group_id".into(), gid.clone().into());
    put(&mut d, "priority", ag.get("priority").and_then(Value::as_i64));
    if let Some(p) = ag.get("profile").filter(|p| p.is_object()) {
        d.insert("profile".into(), json_text(&strip(p)).into());
    }
    d.insert("item_url_field".into(), links.link(&format!("/admin/app/instance/{app_id}#tab-assignments")).into());
    let when = ts(ag.get("lastUpdated"));
    record(&ItemType::edge_id(app_id, &gid), when.clone(), when, d)
}
