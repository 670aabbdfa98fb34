//! Rendering the simulator's model as Okta's JSON, with absolute `_links`.

use serde_json::{json, Value};

use super::model::*;

/// A user's JSON text, rendered once and cached until the user changes.
pub fn user_text<'a>(org: &'a Org, i: u32, base: &str) -> &'a str {
    match org.user_json.get(i as usize) {
        Some(cell) => cell.get_or_init(|| user(org, i, base).to_string()),
        None => "null",
    }
}

/// A JSON array of users from their cached texts.
pub fn users_array(org: &Org, ids: impl Iterator<Item = u32>, base: &str) -> String {
    let mut out = String::from("[");
    for (n, i) in ids.enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str(user_text(org, i, base));
    }
    out.push(']');
    out
}

/// Renders a user (collection form: only the `self` link).
pub fn user(org: &Org, i: u32, base: &str) -> Value {
    let u = &org.users[i as usize];
    let mut profile = json!({
        "login": u.login, "email": u.login, "firstName": u.first_name, "lastName": u.last_name,
        "title": u.title, "department": u.department, "mobilePhone": u.mobile_phone,
        "secondEmail": null, "employeeNumber": u.employee_number, "managerId": u.manager_id,
    });
    for (k, v) in &u.custom {
        profile[k] = v.clone();
    }
    json!({
        "id": u.id, "status": u.status, "created": okta_time(&u.created),
        "activated": u.activated.as_ref().map(okta_time), "statusChanged": okta_time(&u.status_changed),
        "lastLogin": u.last_login.as_ref().map(okta_time), "lastUpdated": okta_time(&u.last_updated),
        "passwordChanged": u.password_changed.as_ref().map(okta_time), "type": {"id": "oty1simdefaulttype00"},
        "profile": profile,
        "credentials": {"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}},
        "_links": {"self": {"href": format!("{base}/api/v1/users/{}", u.id)}}
    })
}

/// Renders a group, with stats when asked.
pub fn group(org: &Org, i: u32, base: &str, stats: bool) -> Value {
    let g = &org.groups[i as usize];
    let mut v = json!({
        "id": g.id, "type": g.kind, "created": okta_time(&g.created), "lastUpdated": okta_time(&g.last_updated),
        "lastMembershipUpdated": okta_time(&g.last_membership_updated), "objectClass": ["okta:user_group"],
        "profile": {"name": g.name},
        "_links": {"users": {"href": format!("{base}/api/v1/groups/{}/users", g.id)},
                   "apps": {"href": format!("{base}/api/v1/groups/{}/apps", g.id)}}
    });
    if let Some(d) = &g.description {
        v["profile"]["description"] = json!(d);
    }
    if let Some(src) = &g.source_app {
        v["_links"]["source"] = json!({"href": format!("{base}/api/v1/apps/{src}")});
    }
    if stats {
        v["_embedded"] =
            json!({"stats": {"usersCount": g.members.len(), "appsCount": 0, "groupPushMappingsCount": 0, "hasAdminPrivlege": g.admin}});
    }
    v
}

/// Renders an application (seeded secrets included, as Okta may return them).
pub fn app(a: &App, base: &str) -> Value {
    let mut creds = json!({"userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"}, "signing": {"kid": "sim-kid-1"}});
    match a.sign_on_mode.as_str() {
        "OPENID_CONNECT" => {
            creds["oauthClient"] = json!({"client_id": a.id, "client_secret": a.secret, "token_endpoint_auth_method": "client_secret_basic", "autoKeyRotation": true})
        }
        "BROWSER_PLUGIN" | "AUTO_LOGIN" | "SECURE_PASSWORD_STORE" | "BASIC_AUTH" => {
            creds["scheme"] = json!("SHARED_USERNAME_AND_PASSWORD");
            creds["userName"] = json!("shared-account");
            creds["password"] = json!({"value": a.secret});
        }
        _ => {}
    }
    json!({
        "id": a.id, "name": a.name, "label": a.label, "status": a.status, "signOnMode": a.sign_on_mode,
        "created": okta_time(&a.created), "lastUpdated": okta_time(&a.last_updated), "features": [],
        "visibility": {"autoSubmitToolbar": false, "hide": {"iOS": false, "web": false}},
        "credentials": creds,
        "settings": {"app": {"url": format!("https://{}.example", a.name), "apiToken": a.settings_token, "passwordField": "#pw"},
                     "notifications": {"vpn": {"network": {"connection": "DISABLED"}}}},
        "_links": {"users": {"href": format!("{base}/api/v1/apps/{}/users", a.id)}, "groups": {"href": format!("{base}/api/v1/apps/{}/groups", a.id)}}
    })
}

/// Renders an app-user assignment.
pub fn app_user(org: &Org, a: &App, au: &AppUser, base: &str) -> Value {
    let u = &org.users[au.user as usize];
    json!({
        "id": u.id, "externalId": null, "scope": au.scope, "status": au.status,
        "created": okta_time(&au.created), "lastUpdated": okta_time(&au.last_updated), "statusChanged": okta_time(&au.created),
        "passwordChanged": null, "syncState": "SYNCHRONIZED", "lastSync": okta_time(&au.last_updated),
        "credentials": {"userName": u.login},
        "profile": {"email": u.login, "role": "Viewer", "securityAnswer": au.security_answer},
        "_links": {"app": {"href": format!("{base}/api/v1/apps/{}", a.id)}, "user": {"href": format!("{base}/api/v1/users/{}", u.id)}}
    })
}

/// Renders an app-group assignment.
pub fn app_group(org: &Org, a: &App, ag: &AppGroup, base: &str) -> Value {
    let g = &org.groups[ag.group as usize];
    json!({"id": g.id, "priority": ag.priority, "lastUpdated": okta_time(&ag.last_updated), "profile": {},
           "_links": {"app": {"href": format!("{base}/api/v1/apps/{}", a.id)}, "group": {"href": format!("{base}/api/v1/groups/{}", g.id)}}})
}

/// Renders a role assignment for `assignee_href`.
pub fn role(r: &RoleAssignment, assignment_type: &str, assignee_href: &str, base: &str) -> Value {
    let mut v = json!({
        "id": r.id, "type": r.kind, "label": r.label, "status": "ACTIVE", "assignmentType": assignment_type,
        "created": okta_time(&r.created), "lastUpdated": okta_time(&r.created),
        "_links": {"assignee": {"href": assignee_href}}
    });
    if let Some(cr) = &r.role {
        v["role"] = json!(cr);
        v["resource-set"] = json!("iamsimresourceset001");
        v["_links"]["role"] = json!({"href": format!("{base}/api/v1/iam/roles/{cr}")});
    }
    v
}

/// Renders a custom role definition.
pub fn custom_role(r: &CustomRole, base: &str) -> Value {
    json!({"id": r.id, "label": r.label, "description": r.description, "created": okta_time(&r.created), "lastUpdated": okta_time(&r.created),
           "_links": {"self": {"href": format!("{base}/api/v1/iam/roles/{}", r.id)}}})
}

/// Renders a rule.
pub fn rule(p: &Policy, r: &Rule) -> Value {
    let rule_type = if p.kind == "OKTA_SIGN_ON" { "SIGN_ON".to_string() } else { p.kind.clone() };
    json!({"id": r.id, "type": rule_type, "name": r.name, "status": "ACTIVE", "priority": r.priority, "system": false,
           "created": okta_time(&r.created), "lastUpdated": okta_time(&r.created),
           "conditions": {"people": {"users": {"exclude": []}}, "network": {"connection": "ANYWHERE"}},
           "actions": {"signon": {"access": "ALLOW", "requireFactor": false}}})
}

/// Renders a policy, embedding at most 20 rules when asked.
pub fn policy(p: &Policy, base: &str, expand_rules: bool) -> Value {
    let mut v = json!({
        "id": p.id, "type": p.kind, "name": p.name, "description": p.description, "status": "ACTIVE",
        "priority": p.priority, "system": p.system, "created": okta_time(&p.created), "lastUpdated": okta_time(&p.last_updated),
        "conditions": {"people": {"groups": {"include": []}}}, "settings": {"type": "PASSWORD"},
        "_links": {"self": {"href": format!("{base}/api/v1/policies/{}", p.id)}, "rules": {"href": format!("{base}/api/v1/policies/{}/rules", p.id)}}
    });
    if expand_rules {
        v["_embedded"] = json!({"rules": p.rules.iter().take(super::page_size::EMBEDDED_RULES).map(|r| rule(p, r)).collect::<Vec<_>>()});
    }
    v
}

/// Renders a device with its users embedded.
pub fn device(org: &Org, d: &Device, base: &str, expand_user: bool) -> Value {
    let mut v = json!({
        "id": d.id, "status": d.status, "created": okta_time(&d.created), "lastUpdated": okta_time(&d.last_updated),
        "profile": {"displayName": d.name, "platform": d.platform, "manufacturer": "SimCorp", "model": "Sim-1", "osVersion": "1.0",
                    "serialNumber": d.serial, "registered": true, "secureHardwarePresent": true, "diskEncryptionType": "ALL_INTERNAL_VOLUMES"},
        "resourceType": "UDDevice", "resourceId": d.id, "resourceAlternateId": null,
        "resourceDisplayName": {"value": d.name, "sensitive": false},
        "_links": {"self": {"href": format!("{base}/api/v1/devices/{}", d.id)}}
    });
    if expand_user {
        let us: Vec<Value> = d
            .users
            .iter()
            .map(|i| json!({"managementStatus": "NOT_MANAGED", "created": okta_time(&d.created), "user": user(org, *i, base)}))
            .collect();
        v["_embedded"] = json!({"users": us});
    }
    v
}

/// Renders a factor (a pending TOTP carries its activation secret, as Okta's does).
pub fn factor(u: &User, f: &Factor, base: &str) -> Value {
    let mut v = json!({
        "id": f.id, "factorType": f.factor_type, "provider": f.provider, "vendorName": f.provider, "status": f.status,
        "created": okta_time(&f.created), "lastUpdated": okta_time(&f.created), "profile": {},
        "_links": {"self": {"href": format!("{base}/api/v1/users/{}/factors/{}", u.id, f.id)}, "user": {"href": format!("{base}/api/v1/users/{}", u.id)}}
    });
    if let Some(p) = &f.phone {
        v["profile"] = json!({"phoneNumber": p});
    }
    if let Some(s) = &f.shared_secret {
        v["_embedded"] = json!({"activation": {"timeStep": 30, "sharedSecret": s, "encoding": "base32", "keyLength": 6,
            "_links": {"qrcode": {"href": format!("{base}/api/v1/users/{}/factors/{}/qr/sim", u.id, f.id), "type": "image/png"}}}});
    }
    v
}

/// Renders a System Log event.
pub fn log_event(org: &Org, e: &LogEvent) -> Value {
    let actor = &org.users[e.actor as usize];
    let targets: Vec<Value> = e.targets.iter().map(|t| log_target(org, *t)).collect();
    let mut debug = json!({"requestId": "simreq", "requestUri": "/api/v1/sim"});
    for (k, v) in &e.debug {
        debug[k] = json!(v);
    }
    json!({
        "uuid": e.uuid, "published": okta_time(&e.published), "eventType": e.event_type, "legacyEventType": null, "version": "0",
        "severity": e.severity, "displayMessage": e.event_type.replace('.', " "),
        "actor": {"id": actor.id, "type": "User", "alternateId": actor.login, "displayName": format!("{} {}", actor.first_name, actor.last_name), "detailEntry": null},
        "target": targets,
        "outcome": {"result": "SUCCESS", "reason": null},
        "client": {"userAgent": {"rawUserAgent": "sim/1.0", "os": "Unknown", "browser": "UNKNOWN"}, "zone": "null", "device": "Unknown", "id": null, "ipAddress": e.ip},
        "debugContext": {"debugData": debug},
        "transaction": {"type": "WEB", "id": "simtx", "detail": {}},
        "request": {"ipChain": [{"ip": e.ip, "version": "V4", "source": null}]}
    })
}

/// The user schema with custom attributes of every type (an unknown one and a hashed one too).
pub fn user_schema(base: &str) -> Value {
    json!({
        "id": format!("{base}/meta/schemas/user/default"), "$schema": "http://json-schema.org/draft-04/schema#",
        "name": "user", "title": "Default Okta user", "type": "object",
        "created": "2021-05-01T12:00:00.000Z", "lastUpdated": "2025-02-14T10:01:00.000Z",
        "definitions": {
            "base": {"id": "#base", "type": "object", "required": ["login", "firstName", "lastName", "email"],
                     "properties": {"login": {"title": "Username", "type": "string", "required": true}}},
            "custom": {"id": "#custom", "type": "object", "required": [], "properties": {
                "costCenterCode": {"title": "Cost center code", "type": "string", "unique": "NOT_UNIQUE", "mutability": "READ_WRITE", "scope": "NONE"},
                "clearanceLevel": {"title": "Clearance level", "type": "integer", "minimum": 0, "maximum": 5},
                "isContractor": {"title": "Contractor", "type": "boolean"},
                "ftePercent": {"title": "FTE share", "type": "number"},
                "badgeIds": {"title": "Badge IDs", "type": "array", "items": {"type": "integer"}},
                "pinHash": {"title": "PIN hash", "type": "string", "format": "hashed"},
                "legacyBlob": {"title": "Legacy data", "type": "object"}
            }}
        },
        "properties": {"profile": {"allOf": [{"$ref": "#/definitions/base"}, {"$ref": "#/definitions/custom"}]}}
    })
}

/// The id of an event's target.
pub fn log_target_id(org: &Org, t: LogTarget) -> &str {
    match t {
        LogTarget::User(i) => &org.users[i as usize].id,
        LogTarget::Group(i) => &org.groups[i as usize].id,
        LogTarget::App(i) => &org.apps[i as usize].id,
        LogTarget::Device(i) => &org.devices[i as usize].id,
    }
}

/// An event target as Okta's LogTarget: id, type, alternateId, displayName, detailEntry.
pub fn log_target(org: &Org, t: LogTarget) -> Value {
    let (kind, alternate, display) = match t {
        LogTarget::User(i) => {
            let u = &org.users[i as usize];
            ("User", u.login.clone(), format!("{} {}", u.first_name, u.last_name))
        }
        LogTarget::Group(i) => ("UserGroup", "unknown".to_string(), org.groups[i as usize].name.clone()),
        LogTarget::App(i) => {
            let a = &org.apps[i as usize];
            ("AppInstance", a.name.clone(), a.label.clone())
        }
        LogTarget::Device(i) => ("Device", "unknown".to_string(), org.devices[i as usize].name.clone()),
    };
    json!({"id": log_target_id(org, t), "type": kind, "alternateId": alternate, "displayName": display, "detailEntry": null})
}
