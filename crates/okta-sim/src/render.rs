//! Rendering the simulator's model as Okta's JSON, with absolute `_links`.

use serde_json::{json, Value};

use super::model::*;

/// A user's JSON text in collection form, rendered once and cached until the user changes;
/// `credentials: false` is the `okta-response=omitCredentials` form.
pub fn user_text<'a>(org: &'a Org, i: u32, base: &str, credentials: bool) -> &'a str {
    match org.user_json.get(i as usize) {
        Some(cells) => cells[usize::from(!credentials)].get_or_init(|| user_form(org, i, base, credentials, None).to_string()),
        None => "null",
    }
}

/// A JSON array of users from their cached texts.
pub fn users_array(org: &Org, ids: impl Iterator<Item = u32>, base: &str, credentials: bool) -> String {
    let mut out = String::from("[");
    for (n, i) in ids.enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str(user_text(org, i, base, credentials));
    }
    out.push(']');
    out
}

/// Renders a user in collection form (only the `self` link), credentials included.
pub fn user(org: &Org, i: u32, base: &str) -> Value {
    user_form(org, i, base, true, None)
}

/// What the `okta-response` part of a request's `Content-Type` asks to omit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Omit {
    /// `omitCredentials`: no `credentials` object.
    pub credentials: bool,
    /// `omitCredentialsLinks`: none of the credential operation links.
    pub credentials_links: bool,
}

impl Omit {
    /// Reads `okta-response=...` from a `Content-Type` value (the spec's `OktaResponse`
    /// header parameter: a comma-separated list, possibly quoted).
    pub fn from_content_type(ct: &str) -> Omit {
        let mut o = Omit::default();
        for part in ct.split(';').skip(1) {
            let Some((k, v)) = part.split_once('=') else { continue };
            if k.trim().eq_ignore_ascii_case("okta-response") {
                for flag in v.trim().trim_matches('"').split(',') {
                    match flag.trim() {
                        "omitCredentials" => o.credentials = true,
                        "omitCredentialsLinks" => o.credentials_links = true,
                        _ => {}
                    }
                }
            }
        }
        o
    }
}

/// The credential operation links `omitCredentialsLinks` drops (the spec's list: update
/// password, change recovery question, forgot password, reset password, reset factors, unlock).
const CREDENTIAL_LINKS: &[&str] =
    &["changePassword", "changeRecoveryQuestion", "forgotPassword", "resetPassword", "resetFactors", "unlock"];

/// Renders one user as `GET /api/v1/users/{id}` does: the full link set, less what `omit` drops.
pub fn user_single(org: &Org, i: u32, base: &str, omit: Omit) -> Value {
    user_form(org, i, base, !omit.credentials, Some(omit.credentials_links))
}

/// A user's `credentials`: the provider, an empty `password` where Okta keeps one, and the
/// recovery question's text (never an answer: Okta does not return one, and neither does the
/// simulator hold one).
fn credentials(u: &User) -> Value {
    let mut c = serde_json::Map::new();
    if u.provider.has_password() {
        c.insert("password".into(), json!({}));
    }
    if let Some(q) = &u.recovery_question {
        c.insert("recovery_question".into(), json!({"question": q}));
    }
    c.insert("provider".into(), json!({"type": u.provider.kind, "name": u.provider.name}));
    Value::Object(c)
}

/// `full_links`: `None` for the collection form; `Some(omit_credential_links)` for one user.
fn user_form(org: &Org, i: u32, base: &str, with_credentials: bool, full_links: Option<bool>) -> Value {
    let u = &org.users[i as usize];
    let mut profile = json!({
        "login": u.login, "email": u.email.as_deref().unwrap_or(&u.login), "firstName": u.first_name, "lastName": u.last_name,
        "title": u.title, "department": u.department, "mobilePhone": u.mobile_phone,
        "secondEmail": null, "employeeNumber": u.employee_number, "managerId": u.manager_id,
    });
    for (k, v) in &u.custom {
        profile[k] = v.clone();
    }
    let ty = org.user_types.get(u.type_index);
    let self_href = format!("{base}/api/v1/users/{}", u.id);
    let mut links = json!({"self": {"href": self_href}});
    if let Some(omit_credential_links) = full_links {
        let lifecycle = [
            ("resetPassword", "reset_password"),
            ("resetFactors", "reset_factors"),
            ("expirePassword", "expire_password"),
            ("forgotPassword", "forgot_password"),
            ("deactivate", "deactivate"),
            ("suspend", "suspend"),
        ];
        for (name, path) in lifecycle {
            links[name] = json!({"href": format!("{self_href}/lifecycle/{path}"), "method": "POST"});
        }
        if u.status == "LOCKED_OUT" {
            links["unlock"] = json!({"href": format!("{self_href}/lifecycle/unlock"), "method": "POST"});
        }
        links["changePassword"] = json!({"href": format!("{self_href}/credentials/change_password"), "method": "POST"});
        links["changeRecoveryQuestion"] = json!({"href": format!("{self_href}/credentials/change_recovery_question"), "method": "POST"});
        if let Some(t) = ty {
            links["schema"] = json!({"href": format!("{base}/api/v1/meta/schemas/user/{}", t.schema_id)});
            links["type"] = json!({"href": format!("{base}/api/v1/meta/types/user/{}", t.id)});
        }
        if let Some(m) = links.as_object_mut() {
            // A federated or social user has no Okta password to change, reset or recover.
            let password_ops = ["changePassword", "changeRecoveryQuestion", "forgotPassword", "resetPassword"];
            m.retain(|k, _| {
                let k = k.as_str();
                !(omit_credential_links && CREDENTIAL_LINKS.contains(&k)) && (u.provider.has_password() || !password_ops.contains(&k))
            });
        }
    }
    let mut v = json!({
        "id": u.id, "status": u.status, "created": okta_time(&u.created),
        "activated": u.activated.as_ref().map(okta_time), "statusChanged": okta_time(&u.status_changed),
        "lastLogin": u.last_login.as_ref().map(okta_time), "lastUpdated": okta_time(&u.last_updated),
        "passwordChanged": u.password_changed.as_ref().map(okta_time), "type": {"id": ty.map_or("", |t| t.id.as_str())},
        "profile": profile,
    });
    if with_credentials {
        v["credentials"] = credentials(u);
    }
    v["_links"] = links;
    v
}

/// What `expand` asks to embed in a group.
#[derive(Debug, Clone, Copy, Default)]
pub struct GroupExpand {
    /// `stats`.
    pub stats: bool,
    /// `app`: the source app of an APP_GROUP.
    pub app: bool,
}

impl GroupExpand {
    /// Reads `expand=stats,app`.
    pub fn parse(expand: Option<&str>) -> Self {
        let has = |x: &str| expand.is_some_and(|e| e.split(',').any(|v| v.trim() == x));
        GroupExpand { stats: has("stats"), app: has("app") }
    }
}

/// Renders a group. An APP_GROUP is an imported Active Directory group
/// (`okta:windows_security_principal`, the AD profile) whose `_links.source` names the app it
/// came from, and whose app `expand=app` embeds.
pub fn group(org: &Org, i: u32, base: &str, expand: GroupExpand) -> Value {
    let g = &org.groups[i as usize];
    let app_group = g.kind == "APP_GROUP";
    let mut v = json!({
        "id": g.id, "type": g.kind, "created": okta_time(&g.created), "lastUpdated": okta_time(&g.last_updated),
        "lastMembershipUpdated": okta_time(&g.last_membership_updated),
        "objectClass": [if app_group { "okta:windows_security_principal" } else { "okta:user_group" }],
        "profile": {"name": g.name},
        "_links": {"users": {"href": format!("{base}/api/v1/groups/{}/users", g.id)},
                   "apps": {"href": format!("{base}/api/v1/groups/{}/apps", g.id)}}
    });
    if let Some(d) = &g.description {
        v["profile"]["description"] = json!(d);
    }
    if app_group {
        let sam = g.name.replace(' ', "_");
        v["profile"]["samAccountName"] = json!(sam);
        v["profile"]["dn"] = json!(format!("CN={},OU=Groups,DC=sim-acme,DC=local", g.name));
        v["profile"]["windowsDomainQualifiedName"] = json!(format!("SIM-ACME\\{sam}"));
        v["profile"]["externalId"] = json!(format!("{}==", g.id));
    }
    let source = g.source_app.as_ref().and_then(|src| org.apps.iter().find(|a| &a.id == src));
    if let Some(src) = &g.source_app {
        v["_links"]["source"] = json!({"href": format!("{base}/api/v1/apps/{src}")});
    }
    let mut embedded = serde_json::Map::new();
    if expand.stats {
        embedded.insert(
            "stats".into(),
            json!({"usersCount": g.members.len(), "appsCount": 0, "groupPushMappingsCount": 0, "hasAdminPrivlege": g.admin}),
        );
    }
    if let (true, Some(a)) = (expand.app, source) {
        embedded.insert("app".into(), json!({"id": a.id, "name": a.name, "label": a.label, "signOnMode": a.sign_on_mode}));
    }
    if !embedded.is_empty() {
        v["_embedded"] = Value::Object(embedded);
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
        "profile": {"email": u.email.as_deref().unwrap_or(&u.login), "role": au.role, "securityAnswer": au.security_answer},
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
            .enumerate()
            .map(|(k, i)| {
                let (managed, lock) = d.posture.get(k).map_or(("NOT_MANAGED", "NONE"), |(m, l)| (m.as_str(), l.as_str()));
                json!({"managementStatus": managed, "screenLockType": lock, "created": okta_time(&d.created), "user": user(org, *i, base)})
            })
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
    // Okta writes "null" (a string) for no zone and "Unknown" for no device.
    let c = e.client.as_ref();
    let zone = c.and_then(|c| c.zone.as_deref()).unwrap_or("null");
    let device = c.map_or("Unknown", |c| c.device.as_str());
    let failure = c.and_then(|c| c.failure.as_deref());
    for (k, v) in &e.debug {
        debug[k] = json!(v);
    }
    json!({
        "uuid": e.uuid, "published": okta_time(&e.published), "eventType": e.event_type, "legacyEventType": null, "version": "0",
        "severity": e.severity, "displayMessage": e.event_type.replace('.', " "),
        "actor": {"id": actor.id, "type": "User", "alternateId": actor.login, "displayName": format!("{} {}", actor.first_name, actor.last_name), "detailEntry": null},
        "target": targets,
        "outcome": {"result": if failure.is_some() { "FAILURE" } else { "SUCCESS" }, "reason": failure},
        "client": {"userAgent": {"rawUserAgent": "sim/1.0", "os": "Unknown", "browser": "UNKNOWN"}, "zone": zone, "device": device, "id": null, "ipAddress": e.ip},
        "debugContext": {"debugData": debug},
        "transaction": {"type": "WEB", "id": "simtx", "detail": {}},
        "request": {"ipChain": [{"ip": e.ip, "version": "V4", "source": null}]}
    })
}

/// A user type (`GET /api/v1/meta/types/user`): `_links.schema` names its schema.
pub fn user_type(t: &UserType, base: &str, created_by: &str) -> Value {
    json!({
        "id": t.id, "name": t.name, "displayName": t.display_name, "description": t.description,
        "createdBy": created_by, "lastUpdatedBy": created_by,
        "created": okta_time(&t.created), "lastUpdated": okta_time(&t.created), "default": t.default,
        "_links": {"self": {"href": format!("{base}/api/v1/meta/types/user/{}", t.id)},
                   "schema": {"href": format!("{base}/api/v1/meta/schemas/user/{}", t.schema_id)}}
    })
}

/// A user type's schema: Okta's base attributes and the type's own custom attributes (the
/// default type's include one of a type outside the spec's enum and a hashed one).
pub fn user_schema(t: &UserType, base: &str) -> Value {
    let custom: serde_json::Map<String, Value> = t.attributes.iter().cloned().collect();
    let id = if t.default { "default" } else { t.schema_id.as_str() };
    json!({
        "id": format!("{base}/meta/schemas/user/{id}"), "$schema": "http://json-schema.org/draft-04/schema#",
        "name": t.name, "title": if t.default { "Default Okta user".to_string() } else { t.display_name.clone() }, "type": "object",
        "created": okta_time(&t.created), "lastUpdated": "2025-02-14T10:01:00.000Z",
        "definitions": {
            "base": {"id": "#base", "type": "object", "required": ["login", "firstName", "lastName", "email"],
                     "properties": {"login": {"title": "Username", "type": "string", "required": true}}},
            "custom": {"id": "#custom", "type": "object", "required": [], "properties": custom}
        },
        "properties": {"profile": {"allOf": [{"$ref": "#/definitions/base"}, {"$ref": "#/definitions/custom"}]}}
    })
}

/// The id of an app assignment as System Log targets name it (`0ua...`, the AppUser's own id,
/// not the user's): derived from the app and user ids, so stable for the assignment's life.
pub fn app_user_id(org: &Org, app: u32, user: u32) -> String {
    use sha2::{Digest, Sha256};
    const CH: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let digest = Sha256::digest(format!("{}:{}", org.apps[app as usize].id, org.users[user as usize].id));
    let tail: String = digest.iter().take(17).map(|b| CH[usize::from(*b) % CH.len()] as char).collect();
    format!("0ua{tail}")
}

/// The id of an event's target.
pub fn log_target_id(org: &Org, t: LogTarget) -> String {
    match t {
        LogTarget::User(i) => org.users[i as usize].id.clone(),
        LogTarget::Group(i) => org.groups[i as usize].id.clone(),
        LogTarget::App(i) => org.apps[i as usize].id.clone(),
        LogTarget::Device(i) => org.devices[i as usize].id.clone(),
        LogTarget::AppUser { app, user } => app_user_id(org, app, user),
        LogTarget::AuthServer(i) => org.auth_servers[i as usize].id.clone(),
        LogTarget::FactorType(key) => key.to_string(),
        LogTarget::Policy(i) => org.policies[i as usize].id.clone(),
        LogTarget::GroupRule(i) => org.posture.group_rules[i as usize].id.clone(),
        LogTarget::Authenticator(i) => org.posture.authenticators[i as usize].id.clone(),
        LogTarget::Zone(i) => org.posture.zones[i as usize].id.clone(),
        LogTarget::Idp(i) => org.posture.idps[i as usize].id.clone(),
        LogTarget::TrustedOrigin(i) => org.posture.trusted_origins[i as usize].id.clone(),
    }
}

/// The type, alternateId and displayName of a group rule or sign-in configuration target. The
/// catalogue gives no target schema for these events: the types are the simulator's choice
/// (Okta's object names: `GroupRule`, `Authenticator`, `NetworkZone`, `IdentityProvider`,
/// `TrustedOrigin`).
fn posture_target(org: &Org, t: LogTarget) -> (&'static str, String, String) {
    let p = &org.posture;
    match t {
        LogTarget::GroupRule(i) => ("GroupRule", "unknown".into(), p.group_rules[i as usize].name.clone()),
        LogTarget::Authenticator(i) => {
            let a = &p.authenticators[i as usize];
            ("Authenticator", a.key.clone(), a.name.clone())
        }
        LogTarget::Zone(i) => ("NetworkZone", "unknown".into(), p.zones[i as usize].name.clone()),
        LogTarget::Idp(i) => ("IdentityProvider", "unknown".into(), p.idps[i as usize].name.clone()),
        LogTarget::TrustedOrigin(i) => {
            let o = &p.trusted_origins[i as usize];
            ("TrustedOrigin", o.origin.clone(), o.name.clone())
        }
        _ => ("Unknown", "unknown".into(), "unknown".into()),
    }
}

/// An event target as Okta's LogTarget: id, type, alternateId, displayName, detailEntry. An
/// `AppUser` target's alternateId is the user's username in the app and its displayName the
/// user's name, as in Okta's events; an org-level factor (`system.mfa.factor.*`) is named by
/// its factor type (the simulator's choice: the catalogue gives no example).
pub fn log_target(org: &Org, t: LogTarget) -> Value {
    let user_name = |i: u32| {
        let u = &org.users[i as usize];
        (u.login.clone(), format!("{} {}", u.first_name, u.last_name))
    };
    let (kind, alternate, display) = match t {
        LogTarget::User(i) => {
            let (login, name) = user_name(i);
            ("User", login, name)
        }
        LogTarget::Group(i) => ("UserGroup", "unknown".to_string(), org.groups[i as usize].name.clone()),
        LogTarget::App(i) => {
            let a = &org.apps[i as usize];
            ("AppInstance", a.name.clone(), a.label.clone())
        }
        LogTarget::Device(i) => ("Device", "unknown".to_string(), org.devices[i as usize].name.clone()),
        LogTarget::AppUser { user, .. } => {
            let (login, name) = user_name(user);
            ("AppUser", login, name)
        }
        LogTarget::AuthServer(i) => {
            let s = &org.auth_servers[i as usize];
            ("AuthorizationServer", s.name.clone(), s.name.clone())
        }
        LogTarget::FactorType(key) => ("Factor", key.to_string(), key.to_string()),
        LogTarget::Policy(i) => ("PolicyEntity", "unknown".to_string(), org.policies[i as usize].name.clone()),
        other => posture_target(org, other),
    };
    json!({"id": log_target_id(org, t), "type": kind, "alternateId": alternate, "displayName": display, "detailEntry": null})
}
