//! Policies with their rules, the org's and the custom authorization servers'.

use serde_json::{Map, Value};

use super::secrets::strip;
use super::{json_text, put, put_title, record, s, ts, AdminLinks};

/// A policy with its (stripped) rules embedded as JSON text.
pub fn policy(p: &Value, rules: &[Value], links: &AdminLinks) -> Option<Value> {
    let id = s(p, "/id")?;
    let mut d = Map::new();
    put_title(&mut d, [s(p, "/name"), Some(id.clone())]);
    // `name` and `policy_type` are required: a policy without a type is malformed and skipped.
    d.insert("name".into(), s(p, "/name").unwrap_or_else(|| id.clone()).into());
    d.insert("policy_type".into(), s(p, "/type")?.into());
    put(&mut d, "status", s(p, "/status"));
    put(&mut d, "description", s(p, "/description"));
    put(&mut d, "priority", p.get("priority").and_then(Value::as_i64));
    put(&mut d, "system", p.get("system").and_then(Value::as_bool));
    if let Some(c) = p.get("conditions").filter(|c| !c.is_null()) {
        d.insert("conditions".into(), json_text(&strip(c)).into());
    }
    if let Some(st) = p.get("settings").filter(|c| !c.is_null()) {
        d.insert("settings".into(), json_text(&strip(st)).into());
    }
    let stripped: Vec<Value> = rules.iter().map(strip).collect();
    d.insert("rule_count".into(), stripped.len().into());
    d.insert("rules".into(), json_text(&Value::Array(stripped)).into());
    d.insert("item_url_field".into(), links.link(&format!("/admin/access/policies/{id}")).into());
    record(&id, ts(p.get("created")), ts(p.get("lastUpdated")), d)
}

// ------------------------------------------------------------ authorization servers
/// A rule of an authorization server policy without secrets, its token lifetimes kept: the
/// generic stripping drops every key naming a token, so the documented lifetimes (numbers,
/// never secrets) are put back as `actions.lifetimes_minutes`.
fn oauth_rule(r: &Value) -> Value {
    let mut out = strip(r);
    let lifetime = |k: &str| r.pointer(&format!("/actions/token/{k}")).and_then(Value::as_i64);
    let mut lt = Map::new();
    for (okta, key) in [
        ("accessTokenLifetimeMinutes", "access"),
        ("refreshTokenLifetimeMinutes", "refresh"),
        ("refreshTokenWindowMinutes", "refresh_window"),
    ] {
        if let Some(v) = lifetime(okta) {
            lt.insert(key.into(), v.into());
        }
    }
    if let (false, Some(o)) = (lt.is_empty(), out.as_object_mut()) {
        let actions = o.entry("actions").or_insert_with(|| Value::Object(Map::new()));
        if let Some(a) = actions.as_object_mut() {
            a.insert("lifetimes_minutes".into(), Value::Object(lt));
        }
    }
    out
}

/// A policy of a custom authorization server (`OAUTH_AUTHORIZATION_POLICY`) as a `policies`
/// record, its rules embedded as other policies carry theirs (`rules` as JSON text without
/// secrets, `rule_count`), with `authorization_server_id` and `authorization_server_name`.
/// Titled "Default Policy (HR API)": server policies are often named alike.
pub fn auth_server_policy(server: &Value, p: &Value, rules: &[Value], links: &AdminLinks) -> Option<Value> {
    let sid = s(server, "/id")?;
    let mut p = p.clone();
    if let Some(o) = p.as_object_mut().filter(|o| o.get("type").and_then(Value::as_str).is_none_or(str::is_empty)) {
        o.insert("type".into(), "OAUTH_AUTHORIZATION_POLICY".into());
    }
    let mut rec = policy(&p, &[], links)?;
    let d = rec.get_mut("data").and_then(Value::as_object_mut)?;
    let rules: Vec<Value> = rules.iter().map(oauth_rule).collect();
    d.insert("rule_count".into(), rules.len().into());
    d.insert("rules".into(), json_text(&Value::Array(rules)).into());
    let server_name = s(server, "/name");
    let name = d.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
    put_title(d, [Some(format!("{name} ({})", server_name.clone().unwrap_or_else(|| sid.clone())))]);
    d.insert("authorization_server_id".into(), sid.clone().into());
    put(d, "authorization_server_name", server_name);
    d.insert("item_url_field".into(), links.link(&format!("/admin/oauth2/as/{sid}#policies")).into());
    Some(rec)
}
