//! The third generation pass: group rules, authenticators, network zones, identity providers
//! and trusted origins sized from the org, and the System Log's single sign-ons reshaped into
//! sign-ins of real assignments.
//!
//! It draws from a stream of its own, so the first two passes stay as they were; it adds no
//! event to the log (the log keeps `Sizes::log_events` events): each generated
//! `user.authentication.sso` event, which the first pass gave a random actor, becomes a sign-in
//! by one user to one app it is assigned to (directly or through a group), with the client's
//! device and zone, and now and then a FAILURE.

use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::json;

use super::Gen;
use crate::model::*;

/// Builds the org's posture and reshapes its single sign-ons.
pub fn generate(g: &mut Gen, org: &mut Org) {
    let mut p = Posture {
        group_rules: group_rules(g, org),
        authenticators: authenticators(g),
        zones: zones(g, org.users.len()),
        idps: idps(g, org.users.len()),
        trusted_origins: trusted_origins(g, org),
    };
    p.group_rules.sort_by(|a, b| a.id.cmp(&b.id));
    p.authenticators.sort_by(|a, b| a.id.cmp(&b.id));
    p.zones.sort_by(|a, b| a.id.cmp(&b.id));
    p.idps.sort_by(|a, b| a.id.cmp(&b.id));
    p.trusted_origins.sort_by(|a, b| a.id.cmp(&b.id));
    org.posture = p;
    sign_ins(g, org);
}

/// About one rule per 20 groups, at least 3: each adds the users of a department to one or two
/// Okta groups, some excluding a user or two; a few INACTIVE, one INVALID past 5 rules.
fn group_rules(g: &mut Gen, org: &Org) -> Vec<GroupRule> {
    let targets: Vec<u32> = (0..org.groups.len() as u32).filter(|i| org.groups[*i as usize].kind == "OKTA_GROUP").collect();
    let n = (org.groups.len() / 20).max(3);
    (0..n)
        .map(|i| {
            let dept = g.pick(DEPARTMENTS);
            let k = g.rng.gen_range(1..=2).min(targets.len());
            let mut groups: Vec<u32> = targets.choose_multiple(&mut g.rng, k).copied().collect();
            groups.sort_unstable();
            let n_ex = if g.rng.gen_bool(0.3) { g.rng.gen_range(1..=2) } else { 0 };
            let mut exclude: Vec<u32> = (0..n_ex).map(|_| g.rng.gen_range(0..org.users.len() as u32)).collect();
            exclude.sort_unstable();
            exclude.dedup();
            let created = g.past(30, 700);
            let status = match (i, g.rng.gen_range(0..10)) {
                (5, _) => "INVALID",
                (_, 0..=1) => "INACTIVE",
                _ => "ACTIVE",
            };
            GroupRule {
                id: g.id("0pr"),
                name: format!("{dept} auto-membership {i}"),
                status: status.into(),
                created,
                last_updated: created.max(g.past(1, 29)),
                expression: format!("user.department==\"{dept}\""),
                exclude,
                groups,
                deleted: false,
            }
        })
        .collect()
}

const DEPARTMENTS: &[&str] = &["Engineering", "Sales", "Support", "Finance", "Legal", "Marketing", "People", "IT"];

/// Identity Engine's usual set, with Duo (INACTIVE, its provider holding a secret key) and the
/// phone authenticator for recovery only.
fn authenticators(g: &mut Gen) -> Vec<Authenticator> {
    let set: [(&str, &str, &str, &str); 8] = [
        ("okta_password", "password", "Password", "ACTIVE"),
        ("okta_email", "email", "Email", "ACTIVE"),
        ("okta_verify", "app", "Okta Verify", "ACTIVE"),
        ("phone_number", "phone", "Phone", "ACTIVE"),
        ("security_question", "security_question", "Security Question", "INACTIVE"),
        ("webauthn", "security_key", "Security Key or Biometric", "ACTIVE"),
        ("google_otp", "app", "Google Authenticator", "ACTIVE"),
        ("duo", "app", "Duo Security", "INACTIVE"),
    ];
    set.iter()
        .map(|(key, kind, name, status)| {
            let created = g.past(400, 900);
            let settings = match *key {
                "okta_email" => Some(json!({"allowedFor": "any", "tokenLifetimeInMinutes": 5})),
                "phone_number" => Some(json!({"allowedFor": "recovery"})),
                "security_question" => Some(json!({"allowedFor": "recovery"})),
                "okta_verify" => Some(json!({"channelBinding": {"required": "ALWAYS", "style": "NUMBER_CHALLENGE"},
                                            "compliance": {"fips": "OPTIONAL"}, "userVerification": "PREFERRED"})),
                _ => None,
            };
            let provider = (*key == "duo").then(|| {
                json!({"type": "DUO", "configuration": {"host": "api-sim0001.duosecurity.com",
                    "integrationKey": format!("DI{}", g.id("x").to_uppercase()), "secretKey": g.secret("duo"),
                    "userNameTemplate": {"template": "oktaId"}}})
            });
            Authenticator {
                id: g.id("aut"),
                key: key.to_string(),
                kind: kind.to_string(),
                name: name.to_string(),
                status: status.to_string(),
                created,
                last_updated: created.max(g.past(1, 399)),
                settings,
                provider,
            }
        })
        .collect()
}

/// Okta's two default IP zones (`LegacyIpZone`, `BlockedIpZone`, the blocklist) and 3 to 6 of
/// the org's own: office and VPN IP zones and a dynamic zone of countries.
fn zones(g: &mut Gen, users: usize) -> Vec<NetworkZone> {
    let n_custom = (3 + users / 5000).min(6);
    let mut specs: Vec<(String, &str, &str, bool)> =
        vec![("LegacyIpZone".into(), "IP", "POLICY", true), ("BlockedIpZone".into(), "IP", "BLOCKLIST", true)];
    for i in 0..n_custom {
        let (name, kind) = match i % 3 {
            0 => (format!("Office {}", i / 3 + 1), "IP"),
            1 => (format!("Corporate VPN {}", i / 3 + 1), "IP"),
            _ => (format!("Allowed countries {}", i / 3 + 1), "DYNAMIC"),
        };
        specs.push((name, kind, "POLICY", false));
    }
    specs
        .into_iter()
        .map(|(name, kind, usage, system)| {
            let created = g.past(200, 900);
            let gateways = match (kind, usage) {
                ("IP", "BLOCKLIST") => vec![format!("192.0.2.{}/32", g.rng.gen_range(1..255))],
                ("IP", _) => vec![format!("203.0.113.{}/28", g.rng.gen_range(0..16) * 16)],
                _ => Vec::new(),
            };
            let countries = if kind == "DYNAMIC" { vec!["US".to_string(), "CA".to_string(), "GB".to_string()] } else { Vec::new() };
            NetworkZone {
                id: g.id("nzo"),
                name,
                kind: kind.into(),
                usage: usage.into(),
                status: "ACTIVE".into(),
                system,
                created,
                last_updated: created.max(g.past(1, 199)),
                gateways,
                countries,
            }
        })
        .collect()
}

/// Two to four identity providers: a partner's SAML 2.0 IdP and Google, then Microsoft and a
/// generic OpenID Connect IdP for bigger orgs. The OIDC-based ones hold a client secret.
fn idps(g: &mut Gen, users: usize) -> Vec<IdentityProvider> {
    let n = 2 + usize::from(users >= 1000) + usize::from(users >= 10_000);
    [("SAML2", "Partner SAML IdP"), ("GOOGLE", "Google"), ("MICROSOFT", "Microsoft"), ("OIDC", "Contoso OIDC")]
        .iter()
        .take(n)
        .map(|(kind, name)| {
            let created = g.past(100, 800);
            IdentityProvider {
                id: g.id("0oa"),
                name: name.to_string(),
                kind: kind.to_string(),
                status: if g.rng.gen_bool(0.85) { "ACTIVE".into() } else { "INACTIVE".into() },
                created,
                last_updated: created.max(g.past(1, 99)),
                client_id: format!("sim-client-{}", g.id("c")),
                client_secret: (*kind != "SAML2").then(|| g.secret("idp")),
            }
        })
        .collect()
}

/// Three to six trusted origins for the org's own web apps.
fn trusted_origins(g: &mut Gen, org: &Org) -> Vec<TrustedOrigin> {
    let n = (3 + org.users.len() / 10_000).min(6);
    let admin = org.users.get(org.admin_user as usize).map(|u| u.id.clone()).unwrap_or_default();
    (0..n)
        .map(|i| {
            let created = g.past(30, 600);
            let scopes: Vec<String> = match i % 3 {
                0 => vec!["CORS".into(), "REDIRECT".into()],
                1 => vec!["CORS".into()],
                _ => vec!["IFRAME_EMBED".into()],
            };
            TrustedOrigin {
                id: g.id("tos"),
                name: format!("Portal {i}"),
                origin: format!("https://portal{i}.{}.example", org.subdomain),
                scopes,
                status: if i == n - 1 { "INACTIVE".into() } else { "ACTIVE".into() },
                created,
                last_updated: created.max(g.past(1, 29)),
                created_by: admin.clone(),
                deleted: false,
            }
        })
        .collect()
}

/// Every (app, user) pair that can sign in: ACTIVE users assigned to ACTIVE apps, directly or
/// through a group the app is assigned to; sorted, without duplicates.
pub fn sign_in_pairs(org: &Org) -> Vec<(u32, u32)> {
    let active = |u: u32| org.users.get(u as usize).is_some_and(|x| x.status == "ACTIVE" && !x.deleted);
    let mut pairs = Vec::new();
    for (ai, a) in org.apps.iter().enumerate().filter(|(_, a)| a.status == "ACTIVE" && !a.deleted) {
        let direct = a.users.iter().map(|au| au.user);
        let via_groups = a.groups.iter().flat_map(|ag| org.groups[ag.group as usize].members.iter().copied());
        pairs.extend(direct.chain(via_groups).filter(|u| active(*u)).map(|u| (ai as u32, u)));
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// A sign-in's client: mostly a computer, in one of the org's own policy zones more often than
/// not; `failed` gives it a FAILURE outcome.
pub fn client<R: Rng>(rng: &mut R, org: &Org, failed: bool) -> SignInClient {
    let policy_zones: Vec<&str> =
        org.posture.zones.iter().filter(|z| z.usage == "POLICY" && z.status == "ACTIVE").map(|z| z.name.as_str()).collect();
    let device = if rng.gen_bool(0.75) { "Computer" } else { "Mobile" };
    let zone = if rng.gen_bool(0.6) { policy_zones.choose(rng).map(|z| z.to_string()) } else { None };
    SignInClient { device: device.into(), zone, failure: failed.then(|| "VERIFICATION_ERROR".to_string()) }
}

/// The `debugContext.debugData` of a single sign-on to app `app`, as the catalogue's
/// `UserSsoAuthenticationDebugData` names it (`initiation_type`, `sign_on_mode`; written in
/// camelCase, as Okta writes `request_id` as `requestId`).
pub fn sso_debug(org: &Org, app: u32, idp_initiated: bool) -> Vec<(String, String)> {
    let mode = match org.apps[app as usize].sign_on_mode.as_str() {
        "SAML_2_0" => "SAML 2.0",
        "OPENID_CONNECT" => "OpenID Connect",
        "AUTO_LOGIN" | "BROWSER_PLUGIN" | "SECURE_PASSWORD_STORE" => "Secure Web Authentication",
        other => other,
    };
    let initiation = if idp_initiated { "IDP_INITIATED" } else { "SP_INITIATED" };
    vec![("initiationType".into(), initiation.into()), ("signOnMode".into(), mode.into())]
}

/// Makes each generated single sign-on a sign-in of an assigned user (actor) to its app
/// (targets `[AppInstance, AppUser]`), one in twelve a FAILURE.
fn sign_ins(g: &mut Gen, org: &mut Org) {
    let pairs = sign_in_pairs(org);
    if pairs.is_empty() {
        return;
    }
    for k in 0..org.logs.len() {
        if org.logs[k].event_type != "user.authentication.sso" {
            continue;
        }
        let (app, user) = pairs[g.rng.gen_range(0..pairs.len())];
        let failed = g.rng.gen_ratio(1, 12);
        let c = client(&mut g.rng, org, failed);
        let debug = sso_debug(org, app, g.rng.gen_bool(0.7));
        let e = &mut org.logs[k];
        e.debug = debug;
        e.actor = user;
        e.targets = vec![LogTarget::App(app), LogTarget::AppUser { app, user }];
        e.client = Some(c);
        e.severity = if failed { "WARN".into() } else { "INFO".into() };
    }
}
