//! Deterministic change sets, bumping `lastUpdated` and `lastMembershipUpdated` as Okta does,
//! each change written to the System Log with an event type from Okta's catalogue (targets in
//! Okta's order; see [`crate::events`]), and Okta's own side effects applied
//! ([`crate::lifecycle`]).
//!
//! Events are persisted at the simulator's now, except: a reactivation that follows a
//! deactivation in the same change set ([`REACTIVATE_AFTER_MS`] later), and per-edge
//! side-effect events ([`crate::events::SIDE_EFFECT_DELAY_MS`] after their lifecycle event).
//! Advance the clock by 3 s to see every event of a change set.

use chrono::{DateTime, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::churn::{self, Change};
use super::edits::{self, AssignmentChange, ServerChange};
use super::events::Emitter;
use super::lifecycle::{self, removed, restored};
use super::model::{LogTarget, Org};
use super::mutate_posture;

/// How long after its deactivation a `deactivate_reactivate` user is reactivated (and the
/// reactivation logged).
pub const REACTIVATE_AFTER_MS: i64 = 2000;

/// How much to change. Every count picks its objects at random among the eligible ones
/// (fewer when fewer are eligible); the answer names what changed.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mutation {
    /// Users whose profile changes (title; `user.account.update_profile`).
    pub users: usize,
    /// Users deactivated (DEPROVISIONED, `user.lifecycle.deactivate`), with Okta's side effects:
    /// their assignments to ACTIVE apps go and their direct admin roles are revoked.
    pub deactivate: usize,
    /// DEPROVISIONED users activated again (ACTIVE, `user.lifecycle.activate`, see
    /// [`lifecycle::REACTIVATION_EVENT`]); each gets back the app assignments its groups give
    /// (scope GROUP), nothing else.
    pub reactivate: usize,
    /// PROVISIONED or RECOVERY users whose activation is restarted (Okta's Reactivate User,
    /// `user.lifecycle.reactivate`): only `lastUpdated` changes.
    pub resend_activation: usize,
    /// Users deactivated and then reactivated ([`REACTIVATE_AFTER_MS`] later): they lose
    /// their direct assignments to active apps and their admin roles, and get back what their
    /// groups give.
    pub deactivate_reactivate: usize,
    /// Groups whose membership changes (`group.user_membership.add` / `.remove`).
    pub groups: usize,
    /// System Log events in all: the change events above count, and filler events
    /// (`user.session.start`, `user.authentication.sso`) make up the rest.
    pub logs: usize,
    /// Devices updated (suspended, `device.lifecycle.suspend`).
    pub devices: usize,
    /// Devices deleted (`device.lifecycle.delete`).
    pub delete_devices: usize,
    /// DEPROVISIONED users deleted, with their memberships, assignments, roles and factors.
    pub delete_users: usize,
    /// Groups deleted (`group.lifecycle.delete`), with their memberships, app group
    /// assignments and role assignments.
    pub delete_groups: usize,
    /// Apps deactivated and deleted (`application.lifecycle.deactivate` / `.delete`).
    pub delete_apps: usize,
    /// Group members removed (`group.user_membership.remove`).
    pub remove_members: usize,
    /// App-user assignments removed (`application.user_membership.remove`).
    pub unassign_app_users: usize,
    /// Users whose factors are reset (`user.mfa.factor.deactivate`, one per factor).
    pub reset_factors: usize,
    /// Users granted an admin role (`user.account.privilege.grant`).
    pub grant_roles: usize,
    /// Users whose direct admin roles are revoked (`user.account.privilege.revoke`).
    pub revoke_roles: usize,
    /// Assignments whose profile `role` and scope change (scope becomes USER;
    /// `application.user_membership.update`).
    pub update_app_users: usize,
    /// ACTIVE or PROVISIONED assignments revoked (status REVOKED,
    /// `application.user_membership.revoke`).
    pub revoke_app_users: usize,
    /// ACTIVE, PROVISIONED or REVOKED assignments deprovisioned (status DEPROVISIONED, still
    /// listed; `application.user_membership.deprovision`).
    pub deprovision_app_users: usize,
    /// DEPROVISIONED or REVOKED assignments restored (status PROVISIONED,
    /// `application.user_membership.restore`).
    pub restore_app_users: usize,
    /// Authorization servers created, each with a default policy of one rule (`oauth2.as.created`).
    pub create_auth_servers: usize,
    /// Authorization servers whose description changes (`oauth2.as.updated`).
    pub update_auth_servers: usize,
    /// ACTIVE authorization servers deactivated (INACTIVE, `oauth2.as.deactivated`).
    pub deactivate_auth_servers: usize,
    /// INACTIVE authorization servers activated (`oauth2.as.activated`).
    pub activate_auth_servers: usize,
    /// Authorization servers deleted with their policies and rules (an ACTIVE one is
    /// deactivated first: `oauth2.as.deactivated`, then `oauth2.as.deleted`).
    pub delete_auth_servers: usize,
    /// Devices that gain a user (`device.user.add`).
    pub add_device_users: usize,
    /// Devices that lose a user (`device.user.remove`).
    pub remove_device_users: usize,
    /// Users whose primary email changes, and with it their email enrollment's
    /// (`user.account.update_primary_email`).
    pub update_primary_email: usize,
    /// Policies (of `/api/v1/policies`) that gain a rule (`policy.rule.add`, the policy its
    /// target).
    pub add_policy_rules: usize,
    /// Factor types disabled org-wide (`sms`, `push`, `token:software:totp`, `webauthn`;
    /// `system.mfa.factor.deactivate`): users' factors of these types are no longer listed.
    pub deactivate_factor_types: Vec<String>,
    /// Factor types enabled again (`system.mfa.factor.activate`): their factors are listed again.
    pub activate_factor_types: Vec<String>,
    /// From now on the System Log refuses every `after` cursor it issued before (400 E0000001),
    /// as Okta may refuse a stored cursor.
    pub refuse_log_cursors: bool,
    /// Sets whether lifecycle side effects are also logged per edge (see
    /// [`crate::lifecycle`]); absent leaves the setting as it is (default off).
    pub log_side_effect_edges: Option<bool>,
    /// Successful sign-ins now (`user.authentication.sso`, SUCCESS) of this many (app, user)
    /// pairs picked among the assignments (direct or through a group) of ACTIVE users to ACTIVE
    /// apps. The answer's `sign_ins` lists them as `appId:userId`, followed by those of
    /// `sign_in_pairs`.
    pub sign_ins: usize,
    /// Successful sign-ins now of these `[appId, userId]` pairs (JSON `[["0oa…","00u…"], …]`;
    /// pairs naming no live app or user are skipped).
    pub sign_in_pairs: Vec<(String, String)>,
    /// Failed sign-ins now (FAILURE, `VERIFICATION_ERROR`) of pairs picked as for `sign_ins`:
    /// logged, never in the truth's `app_sign_ins` (`failed_sign_ins`).
    pub failed_sign_ins: usize,
    /// Group rules created, INACTIVE (`created_group_rules`; no event: Okta's catalogue has none).
    pub create_group_rules: usize,
    /// Group rules renamed, with a new expression (`updated_group_rules`; no event).
    pub update_group_rules: usize,
    /// INACTIVE group rules activated (`activated_group_rules`,
    /// `group.user_membership.rule.trigger`).
    pub activate_group_rules: usize,
    /// ACTIVE group rules deactivated (`deactivated_group_rules`,
    /// `group.user_membership.rule.deactivated`).
    pub deactivate_group_rules: usize,
    /// Group rules made INVALID (`invalidated_group_rules`, `group.user_membership.rule.invalidate`).
    pub invalidate_group_rules: usize,
    /// Group rules deleted, an ACTIVE one deactivated first (`deleted_group_rules`).
    pub delete_group_rules: usize,
    /// ACTIVE network zones deactivated (`deactivated_zones`, `zone.deactivate`).
    pub deactivate_zones: usize,
    /// INACTIVE network zones activated (`activated_zones`, `zone.activate`).
    pub activate_zones: usize,
    /// ACTIVE identity providers deactivated (`deactivated_idps`, `system.idp.lifecycle.deactivate`).
    pub deactivate_idps: usize,
    /// INACTIVE identity providers activated (`activated_idps`, `system.idp.lifecycle.activate`).
    pub activate_idps: usize,
    /// ACTIVE authenticators but the password deactivated (`deactivated_authenticators`,
    /// `security.authenticator.lifecycle.deactivate`).
    pub deactivate_authenticators: usize,
    /// INACTIVE authenticators activated (`activated_authenticators`,
    /// `security.authenticator.lifecycle.activate`).
    pub activate_authenticators: usize,
    /// ACTIVE trusted origins deactivated (`deactivated_trusted_origins`,
    /// `security.trusted_origin.deactivate`).
    pub deactivate_trusted_origins: usize,
    /// INACTIVE trusted origins activated (`activated_trusted_origins`,
    /// `security.trusted_origin.activate`).
    pub activate_trusted_origins: usize,
    /// Trusted origins deleted (`deleted_trusted_origins`, `security.trusted_origin.delete`).
    pub delete_trusted_origins: usize,
}

impl Default for Mutation {
    fn default() -> Self {
        Mutation { users: 5, deactivate: 2, groups: 3, logs: 20, devices: 3, delete_devices: 1, ..Mutation::none() }
    }
}

impl Mutation {
    /// A change set that changes nothing (set the fields wanted on top of it).
    pub fn none() -> Self {
        Mutation {
            users: 0,
            deactivate: 0,
            reactivate: 0,
            resend_activation: 0,
            deactivate_reactivate: 0,
            groups: 0,
            logs: 0,
            devices: 0,
            delete_devices: 0,
            delete_users: 0,
            delete_groups: 0,
            delete_apps: 0,
            remove_members: 0,
            unassign_app_users: 0,
            reset_factors: 0,
            grant_roles: 0,
            revoke_roles: 0,
            update_app_users: 0,
            revoke_app_users: 0,
            deprovision_app_users: 0,
            restore_app_users: 0,
            create_auth_servers: 0,
            update_auth_servers: 0,
            deactivate_auth_servers: 0,
            activate_auth_servers: 0,
            delete_auth_servers: 0,
            add_device_users: 0,
            remove_device_users: 0,
            update_primary_email: 0,
            add_policy_rules: 0,
            deactivate_factor_types: Vec::new(),
            activate_factor_types: Vec::new(),
            refuse_log_cursors: false,
            log_side_effect_edges: None,
            sign_ins: 0,
            sign_in_pairs: Vec::new(),
            failed_sign_ins: 0,
            create_group_rules: 0,
            update_group_rules: 0,
            activate_group_rules: 0,
            deactivate_group_rules: 0,
            invalidate_group_rules: 0,
            delete_group_rules: 0,
            deactivate_zones: 0,
            activate_zones: 0,
            deactivate_idps: 0,
            activate_idps: 0,
            deactivate_authenticators: 0,
            activate_authenticators: 0,
            deactivate_trusted_origins: 0,
            activate_trusted_origins: 0,
            delete_trusted_origins: 0,
        }
    }

    /// What this change set asks of [`crate::mutate_posture`].
    fn posture(&self) -> mutate_posture::Asked<'_> {
        use mutate_posture::{Config as C, RuleChange as R};
        mutate_posture::Asked {
            sign_ins: self.sign_ins,
            sign_in_pairs: &self.sign_in_pairs,
            failed_sign_ins: self.failed_sign_ins,
            rules: [
                (R::Create, self.create_group_rules),
                (R::Update, self.update_group_rules),
                (R::Activate, self.activate_group_rules),
                (R::Deactivate, self.deactivate_group_rules),
                (R::Invalidate, self.invalidate_group_rules),
                (R::Delete, self.delete_group_rules),
            ],
            flips: [
                (C::Zone, false, self.deactivate_zones),
                (C::Zone, true, self.activate_zones),
                (C::Idp, false, self.deactivate_idps),
                (C::Idp, true, self.activate_idps),
                (C::Authenticator, false, self.deactivate_authenticators),
                (C::Authenticator, true, self.activate_authenticators),
                (C::TrustedOrigin, false, self.deactivate_trusted_origins),
                (C::TrustedOrigin, true, self.activate_trusted_origins),
            ],
            delete_trusted_origins: self.delete_trusted_origins,
        }
    }
}

/// Applies a change set; returns the ids changed per kind, and the uuids of every System Log
/// event written (`logs`).
pub fn apply(org: &mut Org, m: &Mutation, now: DateTime<Utc>, lag_secs: u64) -> Value {
    org.mutations += 1;
    if let Some(on) = m.log_side_effect_edges {
        org.log_side_effect_edges = on;
    }
    if m.refuse_log_cursors {
        org.log_cursor_epoch += 1;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(org.mutations * 7919 + org.users.len() as u64);
    let mut ev = Emitter { rng: &mut rng, now, lag_secs, emitted: Vec::new() };
    let mut out = Map::new();
    users(org, m, &mut ev, &mut out);
    out.insert("groups".into(), json!(memberships(org, m.groups, &mut ev)));
    devices(org, m, &mut ev, &mut out);
    for (key, kind, n) in [
        ("deleted_users", Change::DeleteUser, m.delete_users),
        ("deleted_groups", Change::DeleteGroup, m.delete_groups),
        ("deleted_apps", Change::DeleteApp, m.delete_apps),
        ("removed_members", Change::RemoveMember, m.remove_members),
        ("unassigned_app_users", Change::UnassignAppUser, m.unassign_app_users),
        ("reset_factors", Change::ResetFactors, m.reset_factors),
        ("granted_roles", Change::GrantRole, m.grant_roles),
        ("revoked_roles", Change::RevokeRole, m.revoke_roles),
    ] {
        let ids: Vec<String> = (0..n).filter_map(|_| churn::apply(org, kind, &mut ev)).collect();
        out.insert(key.into(), json!(ids));
    }
    edits_of(org, m, &mut ev, &mut out);
    mutate_posture::apply(org, &m.posture(), &mut ev, &mut out);
    filler(org, m.logs, &mut ev);
    out.insert("logs".into(), json!(ev.into_sorted()));
    Value::Object(out)
}

/// Up to `n` distinct users among those `ok` accepts (never the token owner, a placeholder or
/// a deleted user).
fn pick_users<R: Rng>(org: &Org, rng: &mut R, n: usize, ok: impl Fn(&str) -> bool) -> Vec<usize> {
    let all: Vec<usize> = (0..org.users.len())
        .filter(|i| {
            let u = &org.users[*i];
            !u.deleted && u.status != "shadow" && *i != org.admin_user as usize && ok(&u.status)
        })
        .collect();
    all.choose_multiple(rng, n).copied().collect()
}

/// Profile updates, deactivations, reactivations and restarted activations (`users`,
/// `deactivated`, `reactivated`, `deactivated_reactivated`, `activation_resent`).
fn users<R: Rng>(org: &mut Org, m: &Mutation, ev: &mut Emitter<'_, R>, out: &mut Map<String, Value>) {
    let back = pick_users(org, ev.rng, m.reactivate, |s| s == "DEPROVISIONED");
    let live = pick_users(org, ev.rng, m.users + m.deactivate + m.deactivate_reactivate, |s| s != "DEPROVISIONED");
    let (profile, rest) = live.split_at(m.users.min(live.len()));
    let (gone, pair) = rest.split_at(m.deactivate.min(rest.len()));
    let id = |org: &Org, i: &usize| org.users[*i].id.clone();
    for i in profile {
        org.users[*i].title = Some(format!("Changed title {}", org.mutations));
        lifecycle::touch_user(org, *i, ev.now);
        ev.emit(org, "user.account.update_profile", vec![LogTarget::User(*i as u32)], vec![]);
    }
    for i in gone {
        lifecycle::deactivate(org, *i, ev, 0);
    }
    for i in &back {
        lifecycle::reactivate(org, *i, ev, 0);
    }
    for i in pair {
        lifecycle::deactivate(org, *i, ev, 0);
        lifecycle::reactivate(org, *i, ev, REACTIVATE_AFTER_MS);
    }
    let pending = pick_users(org, ev.rng, m.resend_activation, |s| s == "PROVISIONED" || s == "RECOVERY");
    for i in &pending {
        lifecycle::resend_activation(org, *i, ev);
    }
    out.insert("activation_resent".into(), json!(pending.iter().map(|i| id(org, i)).collect::<Vec<_>>()));
    let users: Vec<String> = profile.iter().chain(gone).map(|i| id(org, i)).collect();
    out.insert("users".into(), json!(users));
    out.insert("deactivated".into(), json!(gone.iter().map(|i| id(org, i)).collect::<Vec<_>>()));
    out.insert("reactivated".into(), json!(back.iter().map(|i| id(org, i)).collect::<Vec<_>>()));
    out.insert("deactivated_reactivated".into(), json!(pair.iter().map(|i| id(org, i)).collect::<Vec<_>>()));
}

/// `n` groups each gain a random member and lose another; returns their ids.
fn memberships<R: Rng>(org: &mut Org, n: usize, ev: &mut Emitter<'_, R>) -> Vec<String> {
    let mut groups = Vec::new();
    let n_users = org.users.len() as u32;
    let live_groups = org.groups.iter().skip(1).filter(|g| !g.deleted).count();
    for _ in 0..n.min(live_groups) {
        let mut gi = ev.rng.gen_range(1..org.groups.len());
        while org.groups[gi].deleted {
            gi = ev.rng.gen_range(1..org.groups.len());
        }
        let mut add = ev.rng.gen_range(0..n_users);
        while org.users[add as usize].deleted {
            add = ev.rng.gen_range(0..n_users);
        }
        let (gid, add_id) = (org.groups[gi].id.clone(), org.users[add as usize].id.clone());
        if let Err(pos) = org.groups[gi].members.binary_search(&add) {
            org.groups[gi].members.insert(pos, add);
            restored(org, "group_members", &format!("{gid}:{add_id}"));
            ev.emit(org, "group.user_membership.add", vec![LogTarget::User(add), LogTarget::Group(gi as u32)], vec![]);
        }
        if org.groups[gi].members.len() > 1 {
            let rm = ev.rng.gen_range(0..org.groups[gi].members.len());
            if org.groups[gi].members[rm] != add {
                let gone = org.groups[gi].members.remove(rm);
                removed(org, "group_members", format!("{gid}:{}", org.users[gone as usize].id));
                ev.emit(org, "group.user_membership.remove", vec![LogTarget::User(gone), LogTarget::Group(gi as u32)], vec![]);
                super::lifecycle::left_group(org, gone, gi, ev);
            }
        }
        org.groups[gi].last_membership_updated = ev.now;
        groups.push(gid);
    }
    groups
}

/// Suspended and deleted devices (`devices`, `deleted_devices`).
fn devices<R: Rng>(org: &mut Org, m: &Mutation, ev: &mut Emitter<'_, R>, out: &mut Map<String, Value>) {
    let mut suspended = Vec::new();
    let mut deleted = Vec::new();
    let live: Vec<usize> = (0..org.devices.len()).filter(|i| org.devices[*i].status != "DELETED").collect();
    for (k, i) in live.iter().take(m.devices + m.delete_devices).enumerate() {
        let d = &mut org.devices[*i];
        d.last_updated = ev.now;
        let (status, event) =
            if k >= m.devices { ("DELETED", "device.lifecycle.delete") } else { ("SUSPENDED", "device.lifecycle.suspend") };
        d.status = status.into();
        let id = d.id.clone();
        if k >= m.devices {
            removed(org, "devices", id.clone());
            deleted.push(id);
        } else {
            suspended.push(id);
        }
        ev.emit(org, event, vec![LogTarget::Device(*i as u32)], vec![]);
    }
    out.insert("devices".into(), json!(suspended));
    out.insert("deleted_devices".into(), json!(deleted));
}

/// Assignment, authorization server, device-user, email and factor-type changes.
fn edits_of<R: Rng>(org: &mut Org, m: &Mutation, ev: &mut Emitter<'_, R>, out: &mut Map<String, Value>) {
    for (key, kind, n) in [
        ("updated_app_users", AssignmentChange::Update, m.update_app_users),
        ("revoked_app_users", AssignmentChange::Revoke, m.revoke_app_users),
        ("deprovisioned_app_users", AssignmentChange::Deprovision, m.deprovision_app_users),
        ("restored_app_users", AssignmentChange::Restore, m.restore_app_users),
    ] {
        let ids: Vec<String> = (0..n).filter_map(|_| edits::assignment(org, kind, ev)).collect();
        out.insert(key.into(), json!(ids));
    }
    for (key, kind, n) in [
        ("created_auth_servers", ServerChange::Create, m.create_auth_servers),
        ("updated_auth_servers", ServerChange::Update, m.update_auth_servers),
        ("deactivated_auth_servers", ServerChange::Deactivate, m.deactivate_auth_servers),
        ("activated_auth_servers", ServerChange::Activate, m.activate_auth_servers),
        ("deleted_auth_servers", ServerChange::Delete, m.delete_auth_servers),
    ] {
        let ids: Vec<String> = (0..n).filter_map(|_| edits::auth_server(org, kind, ev)).collect();
        out.insert(key.into(), json!(ids));
    }
    for (key, add, n) in [("added_device_users", true, m.add_device_users), ("removed_device_users", false, m.remove_device_users)] {
        let ids: Vec<String> = (0..n).filter_map(|_| edits::device_user(org, add, ev)).collect();
        out.insert(key.into(), json!(ids));
    }
    let emails: Vec<String> = (0..m.update_primary_email).filter_map(|_| edits::primary_email(org, ev)).collect();
    out.insert("updated_primary_emails".into(), json!(emails));
    let rules: Vec<String> = (0..m.add_policy_rules).filter_map(|_| edits::policy_rule(org, ev)).collect();
    out.insert("policies_with_a_rule_added".into(), json!(rules));
    let off: Vec<String> = m.deactivate_factor_types.iter().filter_map(|t| edits::factor_type(org, t, false, ev)).collect();
    let on: Vec<String> = m.activate_factor_types.iter().filter_map(|t| edits::factor_type(org, t, true, ev)).collect();
    out.insert("deactivated_factor_types".into(), json!(off));
    out.insert("activated_factor_types".into(), json!(on));
}

/// Sign-ins and single sign-ons (both in Okta's catalogue, outcome SUCCESS) until the change
/// set has written `logs` events.
fn filler<R: Rng>(org: &mut Org, logs: usize, ev: &mut Emitter<'_, R>) {
    let live: Vec<u32> = (0..org.users.len() as u32).filter(|i| org.users[*i as usize].status == "ACTIVE").collect();
    while ev.emitted.len() < logs {
        let Some(user) = live.choose(ev.rng).copied() else { return };
        let assigned: Vec<u32> =
            (0..org.apps.len() as u32).filter(|a| org.apps[*a as usize].users.iter().any(|au| au.user == user)).collect();
        match assigned.choose(ev.rng).copied() {
            Some(app) if ev.rng.gen_bool(0.5) => {
                let targets = vec![LogTarget::App(app), LogTarget::AppUser { app, user }];
                ev.emit_by(org, user, "user.authentication.sso", targets);
            }
            _ => {
                ev.emit_by(org, user, "user.session.start", vec![]);
            }
        }
    }
}
