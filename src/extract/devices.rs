//! Devices, with each user's management status and screen lock.

use serde_json::{Map, Value};

use super::{put, put_title, record, s, ts, AdminLinks};

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
