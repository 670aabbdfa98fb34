//! Change sets for sign-ins, group rules and the sign-in configuration (`/__sim/mutate`), each
//! logged with the event types of Okta's catalogue:
//!
//! - a sign-in is a `user.authentication.sso` by the user (actor) to the app (targets
//!   `[AppInstance, AppUser]`), SUCCESS, or FAILURE (`VERIFICATION_ERROR`) for a failed one;
//! - group rules: the catalogue has no event for creating, updating or deleting a rule; a
//!   deactivation is `group.user_membership.rule.deactivated`, an invalidation (status INVALID)
//!   `group.user_membership.rule.invalidate` (its debug data naming the rule as
//!   `triggeredByGroupRuleId`), and an activation, which runs the rule,
//!   `group.user_membership.rule.trigger` (the catalogue's "Trigger group membership rule.");
//!   a new rule is INACTIVE, as Okta creates them, and an ACTIVE rule is deactivated before it
//!   is deleted;
//! - network zones `zone.activate` / `.deactivate`; identity providers
//!   `system.idp.lifecycle.activate` / `.deactivate`; authenticators
//!   `security.authenticator.lifecycle.activate` / `.deactivate`; trusted origins
//!   `security.trusted_origin.activate` / `.deactivate` / `.delete`.

use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Map, Value};

use crate::events::Emitter;
use crate::gen::{sign_in_client, sign_in_pairs, sso_debug};
use crate::lifecycle::removed;
use crate::model::{GroupRule, LogTarget, Org};
use crate::truth::posture::{sign_in_of, SSO};

/// Logs a sign-in of user `user` to app `app` at `now`; returns `{appId}:{userId}`.
pub fn sign_in<R: Rng>(org: &mut Org, ev: &mut Emitter<'_, R>, app: u32, user: u32, failed: bool) -> String {
    let client = sign_in_client(ev.rng, org, failed);
    let debug = sso_debug(org, app, true);
    let uuid = ev.emit_by(org, user, SSO, vec![LogTarget::App(app), LogTarget::AppUser { app, user }]);
    if let Some(e) = org.logs.iter_mut().rev().find(|e| e.uuid == uuid) {
        e.client = Some(client);
        e.debug = debug;
        if failed {
            e.severity = "WARN".into();
        }
    }
    format!("{}:{}", org.apps[app as usize].id, org.users[user as usize].id)
}

/// `n` sign-ins of assignment pairs picked at random (`failed`: FAILURE ones).
pub fn random_sign_ins<R: Rng>(org: &mut Org, ev: &mut Emitter<'_, R>, n: usize, failed: bool) -> Vec<String> {
    let pairs = sign_in_pairs(org);
    let picked: Vec<(u32, u32)> = pairs.choose_multiple(ev.rng, n).copied().collect();
    picked.into_iter().map(|(a, u)| sign_in(org, ev, a, u, failed)).collect()
}

/// Successful sign-ins of the given `[appId, userId]` pairs (pairs naming no live app or user
/// are skipped; the pair need not be an assignment).
pub fn explicit_sign_ins<R: Rng>(org: &mut Org, ev: &mut Emitter<'_, R>, pairs: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (app_id, user_id) in pairs {
        let app = org.apps.iter().position(|a| &a.id == app_id && !a.deleted);
        let user = org.users.iter().position(|u| &u.id == user_id && !u.deleted);
        if let (Some(a), Some(u)) = (app, user) {
            out.push(sign_in(org, ev, a as u32, u as u32, false));
        }
    }
    out
}

/// Records as removed every sign-in pair of the log that `gone` matches (a user's or app's
/// about to be deleted) and that could be a record (its app not deleted, its user neither
/// deleted nor a placeholder), so that the truth's `deleted.app_sign_ins` names them.
pub fn forget_sign_ins(org: &mut Org, gone: impl Fn(u32, u32) -> bool) {
    let live = |a: u32, u: u32| {
        let user = &org.users[u as usize];
        !org.apps[a as usize].deleted && !user.deleted && user.status != "shadow"
    };
    let mut ids: Vec<String> = org
        .logs
        .iter()
        .filter_map(sign_in_of)
        .filter(|(a, u)| gone(*a, *u) && live(*a, *u))
        .map(|(a, u)| format!("{}:{}", org.apps[a as usize].id, org.users[u as usize].id))
        .collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        removed(org, "app_sign_ins", id);
    }
}

/// What a change does to a group rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleChange {
    /// A new INACTIVE rule (no event: none in the catalogue).
    Create,
    /// A new name and expression (no event).
    Update,
    /// INACTIVE to ACTIVE (`group.user_membership.rule.trigger`).
    Activate,
    /// ACTIVE to INACTIVE (`group.user_membership.rule.deactivated`).
    Deactivate,
    /// To INVALID (`group.user_membership.rule.invalidate`).
    Invalidate,
    /// Gone (an ACTIVE one is deactivated first).
    Delete,
}

/// Applies one change to a group rule picked at random among those it fits; returns its id.
pub fn group_rule<R: Rng>(org: &mut Org, kind: RuleChange, ev: &mut Emitter<'_, R>) -> Option<String> {
    if kind == RuleChange::Create {
        return Some(create_rule(org, ev));
    }
    let fits = |r: &GroupRule| {
        !r.deleted
            && match kind {
                RuleChange::Activate => r.status == "INACTIVE",
                RuleChange::Deactivate => r.status == "ACTIVE",
                RuleChange::Invalidate => r.status != "INVALID",
                _ => true,
            }
    };
    let candidates: Vec<usize> = (0..org.posture.group_rules.len()).filter(|i| fits(&org.posture.group_rules[*i])).collect();
    let i = *candidates.choose(ev.rng)?;
    let target = vec![LogTarget::GroupRule(i as u32)];
    let (now, mutations) = (ev.now, org.mutations);
    let r = &mut org.posture.group_rules[i];
    r.last_updated = now;
    let id = r.id.clone();
    let event = match kind {
        RuleChange::Update => {
            let base = r.name.split(" (edited").next().unwrap_or_default().to_string();
            r.name = format!("{base} (edited {mutations})");
            r.expression = format!("{} or user.title==\"Lead\"", r.expression);
            None
        }
        RuleChange::Activate => set(r, "ACTIVE", "group.user_membership.rule.trigger"),
        RuleChange::Deactivate => set(r, "INACTIVE", "group.user_membership.rule.deactivated"),
        RuleChange::Invalidate => set(r, "INVALID", "group.user_membership.rule.invalidate"),
        RuleChange::Delete | RuleChange::Create => {
            let was_active = r.status == "ACTIVE";
            r.deleted = true;
            r.status = "INACTIVE".into();
            was_active.then_some("group.user_membership.rule.deactivated")
        }
    };
    if kind == RuleChange::Delete {
        removed(org, "group_rules", id.clone());
    }
    // The catalogue's `GroupRuleDebugData` (of `.rule.invalidate` and `.rule.error`) names the
    // rule as `triggered_by_group_rule_id`, written in camelCase as Okta writes debug data.
    let debug = if kind == RuleChange::Invalidate { vec![("triggeredByGroupRuleId".to_string(), id.clone())] } else { vec![] };
    if let Some(e) = event {
        ev.emit(org, e, target, debug);
    }
    Some(id)
}

fn set(r: &mut GroupRule, status: &str, event: &'static str) -> Option<&'static str> {
    r.status = status.into();
    Some(event)
}

/// A new INACTIVE rule adding the IT department to the first live Okta group.
fn create_rule<R: Rng>(org: &mut Org, ev: &mut Emitter<'_, R>) -> String {
    let group = org.groups.iter().position(|g| !g.deleted && g.kind == "OKTA_GROUP").map(|g| g as u32);
    let b: [u8; 9] = ev.rng.gen();
    let tail: String = b.iter().map(|x| format!("{x:02x}")).collect::<String>().chars().take(17).collect();
    let id = format!("0pr{tail}");
    let rule = GroupRule {
        id: id.clone(),
        name: format!("New rule {}", org.mutations),
        status: "INACTIVE".into(),
        created: ev.now,
        last_updated: ev.now,
        expression: "user.department==\"IT\"".into(),
        exclude: Vec::new(),
        groups: group.into_iter().collect(),
        deleted: false,
    };
    let at = org.posture.group_rules.partition_point(|r| r.id < id);
    org.posture.group_rules.insert(at, rule);
    crate::lifecycle::restored(org, "group_rules", &id);
    id
}

/// The sign-in configuration's objects whose status a change set flips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Config {
    /// Network zones.
    Zone,
    /// Identity providers.
    Idp,
    /// Authenticators (never `okta_password`, which cannot be deactivated).
    Authenticator,
    /// Trusted origins.
    TrustedOrigin,
}

/// Activates (`active`) or deactivates one object of `kind` picked at random among those in
/// the other status; returns its id.
pub fn flip<R: Rng>(org: &mut Org, kind: Config, active: bool, ev: &mut Emitter<'_, R>) -> Option<String> {
    let (from, to) = if active { ("INACTIVE", "ACTIVE") } else { ("ACTIVE", "INACTIVE") };
    let p = &org.posture;
    let statuses: Vec<(&str, bool)> = match kind {
        Config::Zone => p.zones.iter().map(|z| (z.status.as_str(), true)).collect(),
        Config::Idp => p.idps.iter().map(|i| (i.status.as_str(), true)).collect(),
        Config::Authenticator => p.authenticators.iter().map(|a| (a.status.as_str(), a.key != "okta_password")).collect(),
        Config::TrustedOrigin => p.trusted_origins.iter().map(|t| (t.status.as_str(), !t.deleted)).collect(),
    };
    let candidates: Vec<usize> = (0..statuses.len()).filter(|i| statuses[*i] == (from, true)).collect();
    let i = *candidates.choose(ev.rng)?;
    let (now, p, verb) = (ev.now, &mut org.posture, if active { "activate" } else { "deactivate" });
    let (id, target, event) = match kind {
        Config::Zone => {
            let z = &mut p.zones[i];
            (z.status, z.last_updated) = (to.into(), now);
            (z.id.clone(), LogTarget::Zone(i as u32), format!("zone.{verb}"))
        }
        Config::Idp => {
            let x = &mut p.idps[i];
            (x.status, x.last_updated) = (to.into(), now);
            (x.id.clone(), LogTarget::Idp(i as u32), format!("system.idp.lifecycle.{verb}"))
        }
        Config::Authenticator => {
            let a = &mut p.authenticators[i];
            (a.status, a.last_updated) = (to.into(), now);
            (a.id.clone(), LogTarget::Authenticator(i as u32), format!("security.authenticator.lifecycle.{verb}"))
        }
        Config::TrustedOrigin => {
            let t = &mut p.trusted_origins[i];
            (t.status, t.last_updated) = (to.into(), now);
            (t.id.clone(), LogTarget::TrustedOrigin(i as u32), format!("security.trusted_origin.{verb}"))
        }
    };
    ev.emit(org, &event, vec![target], vec![]);
    Some(id)
}

/// Deletes one trusted origin picked at random (`security.trusted_origin.delete`).
pub fn delete_trusted_origin<R: Rng>(org: &mut Org, ev: &mut Emitter<'_, R>) -> Option<String> {
    let live: Vec<usize> = (0..org.posture.trusted_origins.len()).filter(|i| !org.posture.trusted_origins[*i].deleted).collect();
    let i = *live.choose(ev.rng)?;
    let t = &mut org.posture.trusted_origins[i];
    t.deleted = true;
    t.last_updated = ev.now;
    let id = t.id.clone();
    removed(org, "trusted_origins", id.clone());
    ev.emit(org, "security.trusted_origin.delete", vec![LogTarget::TrustedOrigin(i as u32)], vec![]);
    Some(id)
}

/// What a change set asks of this module (see [`crate::mutate::Mutation`]).
pub struct Asked<'a> {
    /// Random successful sign-ins.
    pub sign_ins: usize,
    /// Explicit successful sign-ins.
    pub sign_in_pairs: &'a [(String, String)],
    /// Random failed sign-ins.
    pub failed_sign_ins: usize,
    /// Group rule changes, by kind.
    pub rules: [(RuleChange, usize); 6],
    /// Status flips: kind, to ACTIVE, how many.
    pub flips: [(Config, bool, usize); 8],
    /// Trusted origins deleted.
    pub delete_trusted_origins: usize,
}

/// Applies everything `a` asks; writes what changed into `out` (keys in the doc of each
/// `Mutation` field).
pub fn apply<R: Rng>(org: &mut Org, a: &Asked<'_>, ev: &mut Emitter<'_, R>, out: &mut Map<String, Value>) {
    let mut ins = random_sign_ins(org, ev, a.sign_ins, false);
    ins.extend(explicit_sign_ins(org, ev, a.sign_in_pairs));
    out.insert("sign_ins".into(), json!(ins));
    out.insert("failed_sign_ins".into(), json!(random_sign_ins(org, ev, a.failed_sign_ins, true)));
    for (kind, n) in a.rules {
        let ids: Vec<String> = (0..n).filter_map(|_| group_rule(org, kind, ev)).collect();
        out.insert(rule_key(kind).into(), json!(ids));
    }
    for (kind, active, n) in a.flips {
        let ids: Vec<String> = (0..n).filter_map(|_| flip(org, kind, active, ev)).collect();
        out.insert(flip_key(kind, active), json!(ids));
    }
    let gone: Vec<String> = (0..a.delete_trusted_origins).filter_map(|_| delete_trusted_origin(org, ev)).collect();
    out.insert("deleted_trusted_origins".into(), json!(gone));
}

fn rule_key(kind: RuleChange) -> &'static str {
    match kind {
        RuleChange::Create => "created_group_rules",
        RuleChange::Update => "updated_group_rules",
        RuleChange::Activate => "activated_group_rules",
        RuleChange::Deactivate => "deactivated_group_rules",
        RuleChange::Invalidate => "invalidated_group_rules",
        RuleChange::Delete => "deleted_group_rules",
    }
}

fn flip_key(kind: Config, active: bool) -> String {
    let what = match kind {
        Config::Zone => "zones",
        Config::Idp => "idps",
        Config::Authenticator => "authenticators",
        Config::TrustedOrigin => "trusted_origins",
    };
    format!("{}_{what}", if active { "activated" } else { "deactivated" })
}
