//! Applications, app assignments, policies, devices and factors.

use serde_json::{Map, Value};

use super::secrets::{app_credentials, mask_phone, strip};
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

/// A device; `user_ids` keeps only users for which `keep_user` holds.
pub fn device(dv: &Value, keep_user: impl Fn(&Value) -> bool, links: &AdminLinks) -> Option<Value> {
    let id = s(dv, "/id")?;
    let p = dv.get("profile").cloned().unwrap_or(Value::Null);
    let mut d = Map::new();
    put(&mut d, "status", s(dv, "/status"));
    for (okta, field) in [
        ("displayName", "display_name"),
        ("platform", "platform"),
        ("manufacturer", "manufacturer"),
        ("model", "model"),
        ("osVersion", "os_version"),
        ("serialNumber", "serial_number"),
        ("diskEncryptionType", "disk_encryption_type"),
    ] {
        put(&mut d, field, s(&p, &format!("/{okta}")));
    }
    let model = [s(&p, "/manufacturer"), s(&p, "/model")].into_iter().flatten().collect::<Vec<_>>().join(" ");
    put_title(&mut d, [s(&p, "/displayName"), Some(model), s(&p, "/platform"), Some(id.clone())]);
    put(&mut d, "registered", p.get("registered").and_then(Value::as_bool));
    put(&mut d, "secure_hardware_present", p.get("secureHardwarePresent").and_then(Value::as_bool));
    put(&mut d, "resource_type", s(dv, "/resourceType"));
    // Each kept user once, with its posture on this device (Okta's device-user relation), as
    // three lists in the same order; a user listed twice keeps the last posture listed, and a
    // posture Okta does not give reads UNKNOWN.
    let (mut users, mut managed, mut locks) = (Vec::<Value>::new(), Vec::new(), Vec::new());
    for du in dv.pointer("/_embedded/users").and_then(Value::as_array).into_iter().flatten() {
        let Some(u) = du.get("user").filter(|u| keep_user(u)) else { continue };
        let Some(uid) = s(u, "/id") else { continue };
        let m = Value::from(s(du, "/managementStatus").unwrap_or_else(|| "UNKNOWN".into()));
        let l = Value::from(s(du, "/screenLockType").unwrap_or_else(|| "UNKNOWN".into()));
        match users.iter().position(|x| x.as_str() == Some(uid.as_str())) {
            Some(i) => {
                if let (Some(slot_m), Some(slot_l)) = (managed.get_mut(i), locks.get_mut(i)) {
                    (*slot_m, *slot_l) = (m, l);
                }
            }
            None => {
                users.push(Value::from(uid));
                managed.push(m);
                locks.push(l);
            }
        }
    }
    d.insert("user_ids".into(), Value::Array(users));
    d.insert("management_statuses".into(), Value::Array(managed));
    d.insert("screen_lock_types".into(), Value::Array(locks));
    d.insert("item_url_field".into(), links.link(&format!("/admin/devices/{id}")).into());
    record(&id, ts(dv.get("created")), ts(dv.get("lastUpdated")), d)
}

/// A factor enrolment. Activation data, shared secrets and QR codes are never read; phone
/// numbers keep only their last four digits.
pub fn factor(user_id: &str, f: &Value, links: &AdminLinks) -> Option<Value> {
    let fid = s(f, "/id")?;
    let mut d = Map::new();
    d.insert("user_id".into(), user_id.into());
    let kind = s(f, "/factorType").unwrap_or_else(|| fid.clone());
    put_title(&mut d, [Some(s(f, "/provider").map_or_else(|| kind.clone(), |p| format!("{kind} ({p})")))]);
    // `factor_type` is required: a factor without one is malformed and skipped.
    d.insert("factor_type".into(), s(f, "/factorType")?.into());
    put(&mut d, "provider", s(f, "/provider"));
    put(&mut d, "vendor_name", s(f, "/vendorName"));
    put(&mut d, "status", s(f, "/status"));
    put(&mut d, "phone_number_masked", s(f, "/profile/phoneNumber").map(|p| mask_phone(&p)));
    put(&mut d, "device_type", s(f, "/profile/deviceType"));
    put(&mut d, "platform", s(f, "/profile/platform"));
    d.insert("item_url_field".into(), links.link(&format!("/admin/user/profile/view/{user_id}#tab-account")).into());
    record(&ItemType::edge_id(user_id, &fid), ts(f.get("created")), ts(f.get("lastUpdated")), d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn links() -> AdminLinks {
        AdminLinks::from_base(&url::Url::parse("https://acme.okta.com").unwrap())
    }

    #[test]
    fn a_pending_totp_factor_loses_its_activation_secret() {
        let f = json!({"id": "uft1", "factorType": "token:software:totp", "provider": "GOOGLE", "status": "PENDING_ACTIVATION",
            "created": "2024-01-01T00:00:00.000Z", "lastUpdated": "2024-01-01T00:00:00.000Z",
            "profile": {"phoneNumber": "+1 555 555 0123"},
            "_embedded": {"activation": {"sharedSecret": "JBSWY3DPEHPK3PXP", "_links": {"qrcode": {"href": "https://qr"}}}}});
        let r = factor("00u1", &f, &links()).unwrap();
        let text = r.to_string();
        assert!(!text.contains("JBSWY3DPEHPK3PXP") && !text.contains("qr"));
        assert_eq!(r["data"]["phone_number_masked"], "*******0123");
        assert_eq!(r["id"], "00u1:uft1");
    }

    #[test]
    fn an_oidc_app_loses_its_client_secret() {
        let a = json!({"id": "0oa1", "name": "oidc_client", "label": "Portal", "status": "ACTIVE", "signOnMode": "OPENID_CONNECT",
            "created": "2024-01-01T00:00:00.000Z", "lastUpdated": "2024-01-01T00:00:00.000Z",
            "credentials": {"oauthClient": {"client_id": "0oa1", "client_secret": "TOPSECRET"}},
            "settings": {"app": {"clientSecretValue": "ALSOSECRET"}}});
        let r = application(&a, &links()).unwrap();
        assert!(!r.to_string().contains("TOPSECRET") && !r.to_string().contains("ALSOSECRET"));
        assert_eq!(r["data"]["sign_on_mode"], "OPENID_CONNECT");
    }

    #[test]
    fn every_access_record_has_a_readable_title() {
        let day = "2024-01-01T00:00:00.000Z";
        let app = json!({"id": "0oa1", "name": "oidc_client", "label": "Portal", "created": day});
        assert_eq!(application(&app, &links()).unwrap()["data"]["record_title"], "Portal");
        let au = json!({"id": "00u1", "created": day, "credentials": {"userName": "ada@acme.com"}});
        assert_eq!(app_user_for(&app, &au, &links()).unwrap()["data"]["record_title"], "Portal ← ada@acme.com");
        assert_eq!(app_user("0oa1", &json!({"id": "00u1", "created": day}), &links()).unwrap()["data"]["record_title"], "0oa1 ← 00u1");
        let ag = json!({"id": "00g1", "lastUpdated": day, "_embedded": {"group": {"profile": {"name": "Engineering"}}}});
        assert_eq!(app_group_for(&app, &ag, &links()).unwrap()["data"]["record_title"], "Portal ← Engineering");
        let p = json!({"id": "00p1", "name": "Default Policy", "type": "PASSWORD", "created": day});
        assert_eq!(policy(&p, &[], &links()).unwrap()["data"]["record_title"], "Default Policy");
        let dv = json!({"id": "guo1", "created": day, "profile": {"displayName": "Ada's MacBook", "platform": "MACOS"}});
        assert_eq!(device(&dv, |_| true, &links()).unwrap()["data"]["record_title"], "Ada's MacBook");
        let nameless = json!({"id": "guo2", "created": day, "profile": {"manufacturer": "Apple", "model": "iPhone 15"}});
        assert_eq!(device(&nameless, |_| true, &links()).unwrap()["data"]["record_title"], "Apple iPhone 15");
        let f = json!({"id": "uft1", "factorType": "token:software:totp", "provider": "GOOGLE", "created": day});
        assert_eq!(factor("00u1", &f, &links()).unwrap()["data"]["record_title"], "token:software:totp (GOOGLE)");
    }
}
