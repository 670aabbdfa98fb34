//! The second generation pass: user types with their own custom attributes, where each user's
//! credentials are mastered, authorization servers with policies and rules, admin roles
//! limited to groups and apps, device posture, and authenticator enrollments.
//!
//! It draws from a stream of its own (seeded from the org's seed), so the first pass, and with
//! it every id and figure an existing test or demo relies on, stays as it was.

use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Value};

use super::Gen;
use crate::model::*;

/// The default type's custom attributes (one of a type outside the spec's enum, one hashed).
fn default_attributes() -> Vec<(String, Value)> {
    vec![
        attr(
            "costCenterCode",
            json!({"title": "Cost center code", "type": "string", "unique": "NOT_UNIQUE", "mutability": "READ_WRITE", "scope": "NONE"}),
        ),
        attr("clearanceLevel", json!({"title": "Clearance level", "type": "integer", "minimum": 0, "maximum": 5})),
        attr("isContractor", json!({"title": "Contractor", "type": "boolean"})),
        attr("ftePercent", json!({"title": "FTE share", "type": "number"})),
        attr("badgeIds", json!({"title": "Badge IDs", "type": "array", "items": {"type": "integer"}})),
        attr("pinHash", json!({"title": "PIN hash", "type": "string", "format": "hashed"})),
        attr("legacyBlob", json!({"title": "Legacy data", "type": "object"})),
    ]
}

fn attr(name: &str, schema: Value) -> (String, Value) {
    (name.to_string(), schema)
}

/// The custom types: `accountCode` is a string on one and an integer on the other (a name
/// collision with different types); `isContractor` is a boolean on both the default type and
/// the contractor type (the same name with the same type).
/// A custom type: name, display name, description, custom attributes.
type CustomType = (&'static str, &'static str, &'static str, Vec<(String, Value)>);

fn custom_types() -> [CustomType; 2] {
    [
        (
            "contractor",
            "Contractor",
            "Contingent workers on a fixed-term contract",
            vec![
                attr("accountCode", json!({"title": "Account code", "type": "string", "maxLength": 20})),
                attr("agency", json!({"title": "Staffing agency", "type": "string"})),
                attr("contractEnd", json!({"title": "Contract end", "type": "string", "format": "date-time"})),
                attr("isContractor", json!({"title": "Contractor", "type": "boolean"})),
            ],
        ),
        (
            "partner",
            "Partner",
            "Staff of partner companies",
            vec![
                attr("accountCode", json!({"title": "Account number", "type": "integer", "minimum": 0})),
                attr("partnerTier", json!({"title": "Partner tier", "type": "string", "enum": ["GOLD", "SILVER", "BRONZE"]})),
                attr("sponsorEmail", json!({"title": "Sponsor", "type": "string", "format": "email"})),
                attr("regions", json!({"title": "Regions", "type": "array", "items": {"type": "string"}})),
            ],
        ),
    ]
}

/// Runs the second pass over a generated org.
pub(super) fn generate(g: &mut Gen, org: &mut Org) {
    user_types(g, org);
    providers(g, org);
    org.auth_servers = auth_servers(g, org);
    role_targets(g, org);
    posture(g, org);
    enrollments(g, org);
}

fn user_types(g: &mut Gen, org: &mut Org) {
    let created = g.past(600, 1500);
    let mut types = vec![UserType {
        id: g.id("oty"),
        schema_id: g.id("osc"),
        name: "user".into(),
        display_name: "User".into(),
        description: "Okta user profile template with default permission settings".into(),
        default: true,
        created,
        attributes: default_attributes(),
    }];
    for (name, display, description, attributes) in custom_types() {
        types.push(UserType {
            id: g.id("oty"),
            schema_id: g.id("osc"),
            name: name.into(),
            display_name: display.into(),
            description: description.into(),
            default: false,
            created: g.past(100, 500),
            attributes,
        });
    }
    let admin = org.admin_user as usize;
    for (i, u) in org.users.iter_mut().enumerate() {
        let t = match g.rng.gen_range(0..100) {
            _ if i == admin => 0,
            0..=14 => 1,
            15..=24 => 2,
            _ => 0,
        };
        if t == 0 {
            continue;
        }
        u.type_index = t;
        u.custom.clear();
        if t == 1 {
            u.custom.insert("accountCode".into(), json!(format!("AC-{:04}", g.rng.gen_range(0..9999))));
            u.custom.insert("agency".into(), json!(["Hays", "Randstad", "Adecco"][g.rng.gen_range(0..3)]));
            u.custom.insert("contractEnd".into(), json!(okta_time(&(g.anchor + chrono::Duration::days(g.rng.gen_range(30..400))))));
            u.custom.insert("isContractor".into(), json!(true));
        } else {
            u.custom.insert("accountCode".into(), json!(g.rng.gen_range(1000..9999)));
            u.custom.insert("partnerTier".into(), json!(["GOLD", "SILVER", "BRONZE"][g.rng.gen_range(0..3)]));
            u.custom.insert("sponsorEmail".into(), json!(format!("sponsor{}@sim-acme.example", g.rng.gen_range(1..50))));
            if g.rng.gen_bool(0.5) {
                u.custom.insert("regions".into(), json!(["EMEA", "AMER"]));
            }
        }
    }
    org.user_types = types;
}

fn providers(g: &mut Gen, org: &mut Org) {
    let admin = org.admin_user as usize;
    for (i, u) in org.users.iter_mut().enumerate() {
        let (kind, name) = match g.rng.gen_range(0..100) {
            _ if i == admin => ("OKTA", "OKTA"),
            0..=11 => ("ACTIVE_DIRECTORY", "sim-acme.local"),
            12..=16 => ("LDAP", "ldap.sim-acme.example"),
            17..=24 => ("FEDERATION", "FEDERATION"),
            25..=29 => ("SOCIAL", "SOCIAL"),
            _ => ("OKTA", "OKTA"),
        };
        u.provider = Provider { kind: kind.into(), name: name.into() };
        if u.provider.kind == "OKTA" && g.rng.gen_bool(0.4) {
            u.recovery_question = Some(g.secret("recoveryq"));
        }
    }
}

fn auth_servers(g: &mut Gen, org: &Org) -> Vec<AuthServer> {
    let oidc: Vec<String> = org.apps.iter().filter(|a| a.sign_on_mode == "OPENID_CONNECT").map(|a| a.id.clone()).collect();
    let n = g.rng.gen_range(2..=3);
    let mut out: Vec<AuthServer> = (0..=n)
        .map(|k| {
            let (name, description, audience) = if k == 0 {
                ("default".to_string(), "Default Authorization Server for your Applications".to_string(), "api://default".to_string())
            } else {
                let name = ["Payments API", "Partner API", "Internal Tools"][k - 1].to_string();
                let audience = format!("api://{}", name.to_lowercase().replace(' ', "-"));
                (name.clone(), format!("{name} tokens"), audience)
            };
            let created = g.past(200, 900);
            let policies = (0..g.rng.gen_range(1..=3))
                .map(|p| {
                    let pc = g.past(30, 199);
                    let rules = (0..g.rng.gen_range(1..=3))
                        .map(|r| AuthServerRule {
                            id: g.id("0pr"),
                            name: if r == 0 { "Default Policy Rule".into() } else { format!("Rule {r}") },
                            priority: r as i64 + 1,
                            status: if g.rng.gen_bool(0.9) { "ACTIVE".into() } else { "INACTIVE".into() },
                            created: pc,
                            grant_types: if r == 0 {
                                vec!["authorization_code".into(), "client_credentials".into()]
                            } else {
                                vec!["client_credentials".into()]
                            },
                            scopes: if r == 0 { vec!["*".into()] } else { vec!["openid".into(), "profile".into()] },
                            access_token_minutes: [5, 60, 120][g.rng.gen_range(0..3)],
                        })
                        .collect();
                    let clients = match (p, oidc.choose(&mut g.rng)) {
                        (0, _) | (_, None) => vec!["ALL_CLIENTS".to_string()],
                        (_, Some(c)) => vec![c.clone()],
                    };
                    AuthServerPolicy {
                        id: g.id("00p"),
                        name: if p == 0 { "Default Policy".into() } else { format!("{name} policy {p}") },
                        description: if p == 0 { "Default policy description".into() } else { format!("Access to {name}") },
                        priority: p as i64 + 1,
                        status: "ACTIVE".into(),
                        system: false,
                        created: pc,
                        last_updated: pc.max(g.past(1, 29)),
                        clients,
                        rules,
                    }
                })
                .collect();
            AuthServer {
                id: g.id("aus"),
                name,
                description,
                audiences: vec![audience],
                status: if k == n && g.rng.gen_bool(0.5) { "INACTIVE".into() } else { "ACTIVE".into() },
                created,
                last_updated: created.max(g.past(1, 199)),
                kid: g.id("kid"),
                policies,
                deleted: false,
            }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// Some roles limited to groups or apps, some org-wide: the group-assigned USER_ADMIN is
/// limited to two groups; the HELP_DESK_ADMIN stays org-wide; a new GROUP_MEMBERSHIP_ADMIN is
/// limited to one group; a new APP_ADMIN is limited to one app instance and one catalog app;
/// a second APP_ADMIN (on a group) is org-wide.
fn role_targets(g: &mut Gen, org: &mut Org) {
    let groups: Vec<u32> = (1..org.groups.len() as u32).collect();
    let pick_groups = |g: &mut Gen, k: usize| {
        let mut v: Vec<u32> = groups.choose_multiple(&mut g.rng, k).copied().collect();
        v.sort_unstable_by(|a, b| org.groups[*a as usize].id.cmp(&org.groups[*b as usize].id));
        v
    };
    let limited_user_admin = pick_groups(g, 2);
    let gma_targets = pick_groups(g, 1);
    for ra in org.group_roles.values_mut().flatten().filter(|r| r.kind == "USER_ADMIN") {
        ra.group_targets = limited_user_admin.clone();
    }
    let active: Vec<u32> =
        (0..org.users.len() as u32).filter(|i| org.users[*i as usize].status == "ACTIVE" && !org.user_roles.contains_key(i)).collect();
    let assign = |g: &mut Gen, kind: &str, label: &str| RoleAssignment {
        id: g.id("ra1"),
        kind: kind.into(),
        role: None,
        label: label.into(),
        created: g.past(10, 300),
        group_targets: Vec::new(),
        app_targets: Vec::new(),
    };
    if let Some(&u) = active.get(2) {
        let mut ra = assign(g, "GROUP_MEMBERSHIP_ADMIN", "Group Membership Administrator");
        ra.group_targets = gma_targets;
        org.user_roles.entry(u).or_default().push(ra);
    }
    if let Some(&u) = active.get(5) {
        let mut ra = assign(g, "APP_ADMIN", "Application Administrator");
        if !org.apps.is_empty() {
            ra.app_targets.push(AppTarget::Instance(g.rng.gen_range(0..org.apps.len() as u32)));
        }
        ra.app_targets.push(AppTarget::Catalog("salesforce".into()));
        org.user_roles.entry(u).or_default().push(ra);
    }
    if let Some((&gi, _)) = org.group_roles.iter().find(|(_, rs)| rs.iter().any(|r| r.kind == "CUSTOM")) {
        let ra = assign(g, "APP_ADMIN", "Application Administrator");
        if let Some(rs) = org.group_roles.get_mut(&gi) {
            rs.push(ra);
        }
    }
}

fn posture(g: &mut Gen, org: &mut Org) {
    for d in &mut org.devices {
        d.posture = d
            .users
            .iter()
            .map(|_| {
                let managed = if g.rng.gen_bool(0.6) { "MANAGED" } else { "NOT_MANAGED" };
                let lock = ["NONE", "PASSCODE", "BIOMETRIC"][g.rng.gen_range(0..3)];
                (managed.to_string(), lock.to_string())
            })
            .collect();
    }
}

/// Every user who can sign in holds an email and (if Okta keeps one) a password
/// enrollment, plus one per active factor, under the factor's id as Identity Engine does.
fn enrollments(g: &mut Gen, org: &mut Org) {
    for (i, u) in org.users.iter().enumerate() {
        if u.status == "DEPROVISIONED" || u.status == "shadow" {
            continue;
        }
        let mut es = Vec::new();
        let created = u.created;
        es.push(Enrollment {
            id: g.id("eae"),
            kind: "email".into(),
            key: "okta_email".into(),
            name: "Email".into(),
            status: "ACTIVE".into(),
            created,
            last_updated: created,
            identifier: Some(u.login.clone()),
            nickname: None,
        });
        if u.provider.has_password() {
            es.push(Enrollment {
                id: g.id("lae"),
                kind: "password".into(),
                key: "okta_password".into(),
                name: "Password".into(),
                status: "ACTIVE".into(),
                created,
                last_updated: u.password_changed.unwrap_or(created),
                identifier: None,
                nickname: None,
            });
        }
        for f in org.factors.get(&(i as u32)).into_iter().flatten().filter(|f| f.status == "ACTIVE") {
            let (kind, key, name) = match f.factor_type.as_str() {
                "sms" => ("phone", "phone_number", "Phone"),
                "push" => ("app", "okta_verify", "Okta Verify"),
                "token:software:totp" => ("app", "google_otp", "Google Authenticator"),
                _ => ("security_key", "webauthn", "Security Key or Biometric"),
            };
            es.push(Enrollment {
                id: f.id.clone(),
                kind: kind.into(),
                key: key.into(),
                name: name.into(),
                status: "ACTIVE".into(),
                created: f.created,
                last_updated: f.created,
                identifier: f.phone.clone(),
                nickname: (kind == "phone").then(|| "Work phone".to_string()),
            });
        }
        org.enrollments.insert(i as u32, es);
    }
}
