//! Deterministic change sets, bumping `lastUpdated` and `lastMembershipUpdated` as Okta does,
//! each change written to the System Log with Okta's event type.

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use serde_json::{json, Value};

use super::churn::{self, Change};
use super::events::Emitter;
use super::model::{LogTarget, Org};

/// How much to change.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mutation {
    /// Users whose profile changes (`user.account.update_profile`).
    pub users: usize,
    /// Users deactivated (DEPROVISIONED, `user.lifecycle.deactivate`).
    pub deactivate: usize,
    /// Groups whose membership changes (`group.user_membership.add` / `.remove`).
    pub groups: usize,
    /// System Log events in all: the change events above count, and `user.lifecycle.update`
    /// events make up the rest.
    pub logs: usize,
    /// Devices updated (suspended, `device.lifecycle.suspend`).
    pub devices: usize,
    /// Devices deleted (`device.lifecycle.delete`).
    pub delete_devices: usize,
    /// DEPROVISIONED users deleted, with their memberships, assignments, roles and factors.
    pub delete_users: usize,
    /// Groups deleted (`group.lifecycle.delete`).
    pub delete_groups: usize,
    /// Apps deactivated and deleted (`application.lifecycle.delete`).
    pub delete_apps: usize,
    /// Group members removed.
    pub remove_members: usize,
    /// App-user assignments removed (`application.user_membership.remove`).
    pub unassign_app_users: usize,
    /// Users whose factors are reset (`user.mfa.factor.deactivate`, one per factor).
    pub reset_factors: usize,
    /// Users granted an admin role (`user.account.privilege.grant`).
    pub grant_roles: usize,
    /// Users whose direct admin roles are revoked (`user.account.privilege.revoke`).
    pub revoke_roles: usize,
}

impl Default for Mutation {
    fn default() -> Self {
        Mutation {
            users: 5,
            deactivate: 2,
            groups: 3,
            logs: 20,
            devices: 3,
            delete_devices: 1,
            delete_users: 0,
            delete_groups: 0,
            delete_apps: 0,
            remove_members: 0,
            unassign_app_users: 0,
            reset_factors: 0,
            grant_roles: 0,
            revoke_roles: 0,
        }
    }
}

impl Mutation {
    /// A change set that changes nothing (set the fields wanted on top of it).
    pub fn none() -> Self {
        Mutation { users: 0, deactivate: 0, groups: 0, logs: 0, devices: 0, delete_devices: 0, ..Mutation::default() }
    }
}

/// Applies a change set; returns the ids changed per kind, and the uuids of every System Log
/// event written (`logs`).
pub fn apply(org: &mut Org, m: &Mutation, now: DateTime<Utc>, lag_secs: u64) -> Value {
    org.mutations += 1;
    let mut rng = ChaCha8Rng::seed_from_u64(org.mutations * 7919 + org.users.len() as u64);
    let eligible: Vec<usize> = (0..org.users.len())
        .filter(|i| {
            let u = &org.users[*i];
            !u.deleted && !matches!(u.status.as_str(), "shadow" | "DEPROVISIONED") && *i != org.admin_user as usize
        })
        .collect();
    let mut changes: Vec<(&'static str, Vec<LogTarget>)> = Vec::new();
    let mut users = Vec::new();
    for k in 0..(m.users + m.deactivate).min(eligible.len()) {
        let i = eligible[rng.gen_range(0..eligible.len())];
        let u = &mut org.users[i];
        if k < m.users {
            u.title = Some(format!("Changed title {}", org.mutations));
            changes.push(("user.account.update_profile", vec![LogTarget::User(i as u32)]));
        } else {
            u.status = "DEPROVISIONED".into();
            u.status_changed = now;
            changes.push(("user.lifecycle.deactivate", vec![LogTarget::User(i as u32)]));
        }
        u.last_updated = now;
        users.push(u.id.clone());
        if let Some(c) = org.user_json.get_mut(i) {
            *c = Default::default();
        }
    }
    let mut groups = Vec::new();
    let n_users = org.users.len() as u32;
    let live_groups = org.groups.iter().skip(1).filter(|g| !g.deleted).count();
    for _ in 0..m.groups.min(live_groups) {
        let mut gi = rng.gen_range(1..org.groups.len());
        while org.groups[gi].deleted {
            gi = rng.gen_range(1..org.groups.len());
        }
        let mut add = rng.gen_range(0..n_users);
        while org.users[add as usize].deleted {
            add = rng.gen_range(0..n_users);
        }
        let g = &mut org.groups[gi];
        if let Err(pos) = g.members.binary_search(&add) {
            g.members.insert(pos, add);
            changes.push(("group.user_membership.add", vec![LogTarget::User(add), LogTarget::Group(gi as u32)]));
        }
        if g.members.len() > 1 {
            let rm = rng.gen_range(0..g.members.len());
            if g.members[rm] != add {
                let gone = g.members.remove(rm);
                changes.push(("group.user_membership.remove", vec![LogTarget::User(gone), LogTarget::Group(gi as u32)]));
            }
        }
        g.last_membership_updated = now;
        groups.push(g.id.clone());
    }
    let mut devices = Vec::new();
    let mut deleted = Vec::new();
    let live: Vec<usize> = (0..org.devices.len()).filter(|i| org.devices[*i].status != "DELETED").collect();
    for (k, i) in live.iter().take(m.devices + m.delete_devices).enumerate() {
        let d = &mut org.devices[*i];
        d.last_updated = now;
        if k >= m.devices {
            d.status = "DELETED".into();
            deleted.push(d.id.clone());
            changes.push(("device.lifecycle.delete", vec![LogTarget::Device(*i as u32)]));
        } else {
            d.status = "SUSPENDED".into();
            devices.push(d.id.clone());
            changes.push(("device.lifecycle.suspend", vec![LogTarget::Device(*i as u32)]));
        }
    }
    for id in &deleted {
        org.removed.entry("devices".into()).or_default().push(id.clone());
    }
    let mut ev = Emitter { rng: &mut rng, now, lag_secs, emitted: Vec::new() };
    for (event_type, targets) in changes {
        ev.emit(org, event_type, targets, vec![]);
    }
    let mut more = serde_json::Map::new();
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
        more.insert(key.into(), json!(ids));
    }
    // Filler events up to `logs` in all.
    while ev.emitted.len() < m.logs {
        let target = ev.rng.gen_range(0..n_users);
        ev.emit(org, "user.lifecycle.update", vec![LogTarget::User(target)], vec![]);
    }
    let logs = ev.into_sorted();
    let mut out = json!({"users": users, "groups": groups, "logs": logs, "devices": devices, "deleted_devices": deleted});
    if let Some(o) = out.as_object_mut() {
        o.extend(more);
    }
    out
}
