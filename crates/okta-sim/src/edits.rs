//! The `/__sim/mutate` changes beyond lifecycle and churn: an assignment's status or profile,
//! authorization servers, a device's users, a user's primary email, and org-wide factor types.
//! Each logs one event from Okta's catalogue and returns the id of what it changed (`None`
//! when nothing was eligible).

use chrono::{DateTime, Utc};
use rand::seq::SliceRandom;
use rand::Rng;

use super::events::{app_membership, Emitter};
use super::lifecycle::{self, removed, restored};
use super::model::{AuthServer, AuthServerPolicy, AuthServerRule, LogTarget, Org, Rule};

/// The factor types the simulator's users hold, which an admin can disable org-wide.
pub const FACTOR_TYPES: &[&str] = &["sms", "push", "token:software:totp", "webauthn"];

/// A change to one app-user assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignmentChange {
    /// Profile `role` and scope (`application.user_membership.update`).
    Update,
    /// Status REVOKED (`application.user_membership.revoke`).
    Revoke,
    /// Status DEPROVISIONED (`application.user_membership.deprovision`).
    Deprovision,
    /// Status PROVISIONED again (`application.user_membership.restore`).
    Restore,
}

impl AssignmentChange {
    /// The event type, the statuses it applies to, and the status it leaves (`None`: kept).
    fn rule(self) -> (&'static str, &'static [&'static str], Option<&'static str>) {
        const LIVE: &[&str] = &["ACTIVE", "PROVISIONED"];
        match self {
            AssignmentChange::Update => {
                ("application.user_membership.update", &["ACTIVE", "PROVISIONED", "REVOKED", "DEPROVISIONED"], None)
            }
            AssignmentChange::Revoke => ("application.user_membership.revoke", LIVE, Some("REVOKED")),
            AssignmentChange::Deprovision => {
                ("application.user_membership.deprovision", &["ACTIVE", "PROVISIONED", "REVOKED"], Some("DEPROVISIONED"))
            }
            AssignmentChange::Restore => ("application.user_membership.restore", &["REVOKED", "DEPROVISIONED"], Some("PROVISIONED")),
        }
    }
}

/// Applies `kind` to a random eligible assignment; returns `appId:userId`.
pub fn assignment<R: Rng>(org: &mut Org, kind: AssignmentChange, ev: &mut Emitter<'_, R>) -> Option<String> {
    let (event, from, to) = kind.rule();
    let mut ok: Vec<(usize, usize)> = Vec::new();
    for (ai, a) in org.apps.iter().enumerate().filter(|(_, a)| !a.deleted) {
        let usable = |au: &&super::model::AppUser| {
            let u = &org.users[au.user as usize];
            !u.deleted && u.status != "shadow" && from.contains(&au.status.as_str())
        };
        ok.extend(a.users.iter().enumerate().filter(|(_, au)| usable(au)).map(|(k, _)| (ai, k)));
    }
    let (ai, k) = *ok.choose(ev.rng)?;
    let au = &mut org.apps[ai].users[k];
    match to {
        Some(status) => au.status = status.into(),
        None => {
            au.scope = "USER".into();
            au.role = if au.role == "Editor" { "Viewer".into() } else { "Editor".into() };
        }
    }
    au.last_updated = ev.now;
    let ui = au.user;
    ev.emit(org, event, app_membership(ai as u32, ui), vec![]);
    Some(format!("{}:{}", org.apps[ai].id, org.users[ui as usize].id))
}

/// A change to an authorization server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerChange {
    /// A new server with a default policy of one rule (`oauth2.as.created`).
    Create,
    /// Its description (`oauth2.as.updated`).
    Update,
    /// ACTIVE to INACTIVE (`oauth2.as.deactivated`).
    Deactivate,
    /// INACTIVE to ACTIVE (`oauth2.as.activated`).
    Activate,
    /// Deleted with its policies (`oauth2.as.deleted`).
    Delete,
}

/// Applies `kind` to a random eligible custom authorization server (never `default`); returns
/// the server's id.
pub fn auth_server<R: Rng>(org: &mut Org, kind: ServerChange, ev: &mut Emitter<'_, R>) -> Option<String> {
    if kind == ServerChange::Create {
        return Some(create_server(org, ev));
    }
    let wanted = match kind {
        ServerChange::Deactivate => Some("ACTIVE"),
        ServerChange::Activate => Some("INACTIVE"),
        _ => None,
    };
    let ok: Vec<usize> = (0..org.auth_servers.len())
        .filter(|i| {
            let s = &org.auth_servers[*i];
            !s.deleted && s.name != "default" && wanted.is_none_or(|w| s.status == w)
        })
        .collect();
    let si = *ok.choose(ev.rng)?;
    let (status, event) = match kind {
        ServerChange::Delete => {
            lifecycle::delete_auth_server(org, si, ev);
            return Some(org.auth_servers[si].id.clone());
        }
        ServerChange::Deactivate => (Some("INACTIVE"), "oauth2.as.deactivated"),
        ServerChange::Activate => (Some("ACTIVE"), "oauth2.as.activated"),
        _ => (None, "oauth2.as.updated"),
    };
    let s = &mut org.auth_servers[si];
    match status {
        Some(st) => s.status = st.into(),
        None => s.description = format!("{} (changed {})", s.name, org.mutations),
    }
    s.last_updated = ev.now;
    ev.emit(org, event, vec![LogTarget::AuthServer(si as u32)], vec![]);
    Some(org.auth_servers[si].id.clone())
}

/// An id of Okta's shape: `prefix` then random characters, 20 in all.
fn new_id<R: Rng>(rng: &mut R, prefix: &str) -> String {
    const CH: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut s = prefix.to_string();
    while s.len() < 20 {
        s.push(CH[rng.gen_range(0..CH.len())] as char);
    }
    s
}

/// Creates a custom authorization server with a default policy and rule; returns its id.
fn create_server<R: Rng>(org: &mut Org, ev: &mut Emitter<'_, R>) -> String {
    let now = ev.now;
    let n = org.auth_servers.len();
    let rule = AuthServerRule {
        id: new_id(ev.rng, "0pr"),
        name: "Default Policy Rule".into(),
        priority: 1,
        status: "ACTIVE".into(),
        created: now,
        grant_types: vec!["client_credentials".into()],
        scopes: vec!["*".into()],
        access_token_minutes: 60,
    };
    let policy = policy(new_id(ev.rng, "00p"), now, rule);
    let server = AuthServer {
        id: new_id(ev.rng, "aus"),
        name: format!("Sim API {n}"),
        description: format!("Sim API {n} tokens"),
        audiences: vec![format!("api://sim-{n}")],
        status: "ACTIVE".into(),
        created: now,
        last_updated: now,
        kid: new_id(ev.rng, "kid"),
        policies: vec![policy],
        deleted: false,
    };
    let id = server.id.clone();
    org.auth_servers.push(server);
    ev.emit(org, "oauth2.as.created", vec![LogTarget::AuthServer(n as u32)], vec![]);
    id
}

/// A new server's default policy.
fn policy(id: String, now: DateTime<Utc>, rule: AuthServerRule) -> AuthServerPolicy {
    AuthServerPolicy {
        id,
        name: "Default Policy".into(),
        description: "Default policy description".into(),
        priority: 1,
        status: "ACTIVE".into(),
        system: false,
        created: now,
        last_updated: now,
        clients: vec!["ALL_CLIENTS".into()],
        rules: vec![rule],
    }
}

/// A random live device gains an ACTIVE user it does not have (`add`) or loses one; returns
/// `deviceId:userId`.
pub fn device_user<R: Rng>(org: &mut Org, add: bool, ev: &mut Emitter<'_, R>) -> Option<String> {
    let ok: Vec<usize> =
        (0..org.devices.len()).filter(|d| org.devices[*d].status != "DELETED" && (add || !org.devices[*d].users.is_empty())).collect();
    let di = *ok.choose(ev.rng)?;
    let ui = if add {
        let free: Vec<u32> = (0..org.users.len() as u32)
            .filter(|u| {
                let x = &org.users[*u as usize];
                !x.deleted && x.status == "ACTIVE" && !org.devices[di].users.contains(u)
            })
            .collect();
        let ui = *free.choose(ev.rng)?;
        let d = &mut org.devices[di];
        d.users.push(ui);
        d.posture.push(("NOT_MANAGED".into(), "NONE".into()));
        ui
    } else {
        let d = &mut org.devices[di];
        let at = ev.rng.gen_range(0..d.users.len());
        if at < d.posture.len() {
            d.posture.remove(at);
        }
        d.users.remove(at)
    };
    org.devices[di].last_updated = ev.now;
    let event = if add { "device.user.add" } else { "device.user.remove" };
    ev.emit(org, event, vec![LogTarget::User(ui), LogTarget::Device(di as u32)], vec![]);
    Some(format!("{}:{}", org.devices[di].id, org.users[ui as usize].id))
}

/// A random user's primary email changes, and their email enrollment's with it; returns the
/// user's id.
pub fn primary_email<R: Rng>(org: &mut Org, ev: &mut Emitter<'_, R>) -> Option<String> {
    let ok: Vec<usize> = (0..org.users.len())
        .filter(|i| {
            let u = &org.users[*i];
            !u.deleted && u.status != "shadow" && *i != org.admin_user as usize
        })
        .collect();
    let i = *ok.choose(ev.rng)?;
    let u = &mut org.users[i];
    let email = format!("{}.{}.{}@mail.sim-acme.example", u.first_name.to_lowercase(), u.last_name.to_lowercase(), org.mutations);
    u.email = Some(email.clone());
    lifecycle::touch_user(org, i, ev.now);
    for e in org.enrollments.get_mut(&(i as u32)).into_iter().flatten().filter(|e| e.kind == "email") {
        e.identifier = Some(email.clone());
        e.last_updated = ev.now;
    }
    ev.emit(org, "user.account.update_primary_email", vec![LogTarget::User(i as u32)], vec![]);
    Some(org.users[i].id.clone())
}

/// Enables (`on`) or disables factor type `kind` org-wide (`system.mfa.factor.activate` /
/// `.deactivate`); returns the type, or `None` for an unknown type or no change. Users' factors
/// of a disabled type stay in the model but are not listed (nor in the truth).
pub fn factor_type<R: Rng>(org: &mut Org, kind: &str, on: bool, ev: &mut Emitter<'_, R>) -> Option<String> {
    let key = *FACTOR_TYPES.iter().find(|t| **t == kind)?;
    let changed = if on { org.disabled_factor_types.remove(key) } else { org.disabled_factor_types.insert(key.to_string()) };
    if !changed {
        return None;
    }
    let view: &Org = org;
    let ids: Vec<String> = view
        .factors
        .iter()
        .filter(|(ui, _)| {
            let u = &view.users[**ui as usize];
            !u.deleted && !matches!(u.status.as_str(), "shadow" | "DEPROVISIONED")
        })
        .flat_map(|(ui, fs)| fs.iter().filter(|f| f.factor_type == key).map(move |f| format!("{}:{}", view.users[*ui as usize].id, f.id)))
        .collect();
    for id in ids {
        if on {
            restored(org, "factors", &id);
        } else {
            removed(org, "factors", id);
        }
    }
    let event = if on { "system.mfa.factor.activate" } else { "system.mfa.factor.deactivate" };
    ev.emit(org, event, vec![LogTarget::FactorType(key)], vec![]);
    Some(key.to_string())
}

/// A random policy gains a rule, last in priority (`policy.rule.add`); returns the policy's id.
pub fn policy_rule<R: Rng>(org: &mut Org, ev: &mut Emitter<'_, R>) -> Option<String> {
    if org.policies.is_empty() {
        return None;
    }
    let pi = ev.rng.gen_range(0..org.policies.len());
    let id = new_id(ev.rng, "0pr");
    let p = &mut org.policies[pi];
    let priority = p.rules.iter().map(|r| r.priority).max().unwrap_or(0) + 1;
    p.rules.push(Rule { id, name: format!("Added rule {}", org.mutations), priority, created: ev.now });
    ev.emit(org, "policy.rule.add", vec![LogTarget::Policy(pi as u32)], vec![]);
    Some(org.policies[pi].id.clone())
}
