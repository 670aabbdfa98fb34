//! An org that moves while it is read: deletions, deactivations and removed memberships, each
//! with the System Log events Okta would write, and the truth's record of what went away.
//!
//! [`Churn`] is time-driven: `--churn-per-min N` makes N changes per minute of the simulator's
//! clock, drawn from a seeded generator and applied just before the request that finds them
//! due, so 404s in the middle of a fan-out and pages that shift between two calls happen.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::events::Emitter;
use super::model::{LogTarget, Org, RoleAssignment};

/// One kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// An active user becomes DEPROVISIONED.
    DeactivateUser,
    /// A DEPROVISIONED user is deleted (with its memberships, assignments, roles, factors).
    DeleteUser,
    /// A group (not Everyone) is deleted.
    DeleteGroup,
    /// An app is deactivated and deleted.
    DeleteApp,
    /// A device is deleted.
    DeleteDevice,
    /// A device is deactivated.
    DeactivateDevice,
    /// A user leaves a group.
    RemoveMember,
    /// A user is unassigned from an app.
    UnassignAppUser,
    /// A user's factors are reset.
    ResetFactors,
    /// A user is granted an admin role.
    GrantRole,
    /// A user's direct admin role is revoked.
    RevokeRole,
}

/// The mix churn draws from (weights in percent).
const MIX: &[(Change, u32)] = &[
    (Change::DeactivateUser, 25),
    (Change::DeleteUser, 15),
    (Change::RemoveMember, 20),
    (Change::UnassignAppUser, 15),
    (Change::DeleteGroup, 5),
    (Change::DeleteApp, 3),
    (Change::DeleteDevice, 10),
    (Change::DeactivateDevice, 7),
];

/// Records a removal for the truth.
fn removed(org: &mut Org, kind: &str, id: String) {
    org.removed.entry(kind.to_string()).or_default().push(id);
}

fn pick<R: Rng>(rng: &mut R, xs: &[usize]) -> Option<usize> {
    xs.choose(rng).copied()
}

fn touch_user(org: &mut Org, i: usize, now: DateTime<Utc>) {
    if let Some(u) = org.users.get_mut(i) {
        u.last_updated = now;
    }
    if let Some(c) = org.user_json.get_mut(i) {
        *c = Default::default();
    }
}

/// Whether a user can be changed (not a placeholder, not deleted, not the token owner).
fn changeable_user(org: &Org, i: usize) -> bool {
    let u = &org.users[i];
    !u.deleted && u.status != "shadow" && i != org.admin_user as usize
}

/// Applies one change of `kind` to a random eligible object; returns the id it touched, or
/// `None` when nothing was eligible.
pub fn apply<R: Rng>(org: &mut Org, kind: Change, ev: &mut Emitter<'_, R>) -> Option<String> {
    let now = ev.now;
    match kind {
        Change::DeactivateUser => {
            let ok: Vec<usize> =
                (0..org.users.len()).filter(|i| changeable_user(org, *i) && org.users[*i].status != "DEPROVISIONED").collect();
            let i = pick(ev.rng, &ok)?;
            org.users[i].status = "DEPROVISIONED".into();
            org.users[i].status_changed = now;
            touch_user(org, i, now);
            ev.emit(org, "user.lifecycle.deactivate", vec![LogTarget::User(i as u32)], vec![]);
            Some(org.users[i].id.clone())
        }
        Change::DeleteUser => {
            let ok: Vec<usize> =
                (0..org.users.len()).filter(|i| changeable_user(org, *i) && org.users[*i].status == "DEPROVISIONED").collect();
            let i = pick(ev.rng, &ok)?;
            delete_user(org, i);
            ev.emit(org, "user.lifecycle.delete.initiated", vec![LogTarget::User(i as u32)], vec![]);
            ev.emit(org, "user.lifecycle.delete.completed", vec![LogTarget::User(i as u32)], vec![]);
            Some(org.users[i].id.clone())
        }
        Change::DeleteGroup => {
            let ok: Vec<usize> = (0..org.groups.len()).filter(|g| !org.groups[*g].deleted && org.groups[*g].kind != "BUILT_IN").collect();
            let gi = pick(ev.rng, &ok)?;
            delete_group(org, gi);
            ev.emit(org, "group.lifecycle.delete", vec![LogTarget::Group(gi as u32)], vec![]);
            Some(org.groups[gi].id.clone())
        }
        Change::DeleteApp => {
            let ok: Vec<usize> = (0..org.apps.len()).filter(|a| !org.apps[*a].deleted).collect();
            let ai = pick(ev.rng, &ok)?;
            delete_app(org, ai);
            ev.emit(org, "application.lifecycle.deactivate", vec![LogTarget::App(ai as u32)], vec![]);
            ev.emit(org, "application.lifecycle.delete", vec![LogTarget::App(ai as u32)], vec![]);
            Some(org.apps[ai].id.clone())
        }
        Change::DeleteDevice | Change::DeactivateDevice => {
            let delete = kind == Change::DeleteDevice;
            let ok: Vec<usize> = (0..org.devices.len())
                .filter(|d| org.devices[*d].status != "DELETED" && (delete || org.devices[*d].status != "DEACTIVATED"))
                .collect();
            let di = pick(ev.rng, &ok)?;
            let d = &mut org.devices[di];
            d.last_updated = now;
            d.status = if delete { "DELETED" } else { "DEACTIVATED" }.into();
            let id = d.id.clone();
            if delete {
                removed(org, "devices", id.clone());
            }
            let event = if delete { "device.lifecycle.delete" } else { "device.lifecycle.deactivate" };
            ev.emit(org, event, vec![LogTarget::Device(di as u32)], vec![]);
            Some(id)
        }
        Change::RemoveMember => {
            let ok: Vec<usize> = (0..org.groups.len())
                .filter(|g| !org.groups[*g].deleted && org.groups[*g].kind != "BUILT_IN" && !org.groups[*g].members.is_empty())
                .collect();
            let gi = pick(ev.rng, &ok)?;
            let g = &mut org.groups[gi];
            let at = ev.rng.gen_range(0..g.members.len());
            let ui = g.members.remove(at);
            g.last_membership_updated = now;
            let id = format!("{}:{}", g.id, org.users[ui as usize].id);
            removed(org, "group_members", id.clone());
            ev.emit(org, "group.user_membership.remove", vec![LogTarget::User(ui), LogTarget::Group(gi as u32)], vec![]);
            Some(id)
        }
        Change::UnassignAppUser => {
            let ok: Vec<usize> = (0..org.apps.len()).filter(|a| !org.apps[*a].deleted && !org.apps[*a].users.is_empty()).collect();
            let ai = pick(ev.rng, &ok)?;
            let a = &mut org.apps[ai];
            let at = ev.rng.gen_range(0..a.users.len());
            let ui = a.users.remove(at).user;
            let id = format!("{}:{}", a.id, org.users[ui as usize].id);
            removed(org, "app_user_assignments", id.clone());
            ev.emit(org, "application.user_membership.remove", vec![LogTarget::User(ui), LogTarget::App(ai as u32)], vec![]);
            Some(id)
        }
        Change::ResetFactors => {
            let ok: Vec<usize> = org.factors.keys().map(|k| *k as usize).filter(|i| changeable_user(org, *i)).collect();
            let i = pick(ev.rng, &ok)?;
            let uid = org.users[i].id.clone();
            for f in org.factors.remove(&(i as u32)).unwrap_or_default() {
                removed(org, "factors", format!("{uid}:{}", f.id));
                if let Some(es) = org.enrollments.get_mut(&(i as u32)) {
                    if let Some(at) = es.iter().position(|e| e.id == f.id) {
                        es.remove(at);
                        removed(org, "authenticator_enrollments", format!("{uid}:{}", f.id));
                    }
                }
                let debug = vec![("factor".to_string(), f.factor_type.clone())];
                ev.emit(org, "user.mfa.factor.deactivate", vec![LogTarget::User(i as u32)], debug);
            }
            Some(uid)
        }
        Change::GrantRole => {
            let ok: Vec<usize> = (0..org.users.len())
                .filter(|i| changeable_user(org, *i) && org.users[*i].status == "ACTIVE" && !org.user_roles.contains_key(&(*i as u32)))
                .collect();
            let i = pick(ev.rng, &ok)?;
            let n: u64 = ev.rng.gen();
            let ra = RoleAssignment {
                id: format!("ra1sim{:014}", n % 100_000_000_000_000),
                kind: "READ_ONLY_ADMIN".into(),
                role: None,
                label: "Read-only Administrator".into(),
                created: now,
                group_targets: Vec::new(),
                app_targets: Vec::new(),
            };
            let id = format!("{}:{}", ra.id, org.users[i].id);
            org.user_roles.entry(i as u32).or_default().push(ra);
            let debug = vec![("privilegeGranted".to_string(), "Read-only Administrator".to_string())];
            ev.emit(org, "user.account.privilege.grant", vec![LogTarget::User(i as u32)], debug);
            Some(id)
        }
        Change::RevokeRole => {
            let ok: Vec<usize> = org.user_roles.keys().map(|k| *k as usize).filter(|i| changeable_user(org, *i)).collect();
            let i = pick(ev.rng, &ok)?;
            let uid = org.users[i].id.clone();
            let mut labels = Vec::new();
            for r in org.user_roles.remove(&(i as u32)).unwrap_or_default() {
                removed(org, "iam_role_members", format!("{}:{uid}", r.id));
                labels.push(r.label);
            }
            let debug = vec![("privilegeRevoked".to_string(), labels.join(", "))];
            ev.emit(org, "user.account.privilege.revoke", vec![LogTarget::User(i as u32)], debug);
            Some(uid)
        }
    }
}

/// Deletes a user and everything that hangs on it.
fn delete_user(org: &mut Org, i: usize) {
    let ui = i as u32;
    let uid = org.users[i].id.clone();
    org.users[i].deleted = true;
    if let Some(c) = org.user_json.get_mut(i) {
        *c = Default::default();
    }
    removed(org, "users", uid.clone());
    let mut gone = Vec::new();
    for g in org.groups.iter_mut().filter(|g| !g.deleted) {
        if let Ok(at) = g.members.binary_search(&ui) {
            g.members.remove(at);
            gone.push(("group_members", format!("{}:{uid}", g.id)));
        }
    }
    for a in org.apps.iter_mut().filter(|a| !a.deleted) {
        if let Some(at) = a.users.iter().position(|au| au.user == ui) {
            a.users.remove(at);
            gone.push(("app_user_assignments", format!("{}:{uid}", a.id)));
        }
    }
    for r in org.user_roles.remove(&ui).unwrap_or_default() {
        gone.push(("iam_role_members", format!("{}:{uid}", r.id)));
    }
    for f in org.factors.remove(&ui).unwrap_or_default() {
        gone.push(("factors", format!("{uid}:{}", f.id)));
    }
    for d in org.devices.iter_mut() {
        let keep: Vec<bool> = d.users.iter().map(|u| *u != ui).collect();
        let mut k = keep.iter();
        d.posture.retain(|_| *k.next().unwrap_or(&true));
        d.users.retain(|u| *u != ui);
    }
    for e in org.enrollments.remove(&ui).unwrap_or_default() {
        gone.push(("authenticator_enrollments", format!("{uid}:{}", e.id)));
    }
    for (kind, id) in gone {
        removed(org, kind, id);
    }
}

/// Deletes a group, its app assignments and its role assignments.
fn delete_group(org: &mut Org, gi: usize) {
    let g = gi as u32;
    org.groups[gi].deleted = true;
    let gid = org.groups[gi].id.clone();
    removed(org, "groups", gid.clone());
    let mut gone = Vec::new();
    for a in org.apps.iter_mut().filter(|a| !a.deleted) {
        if let Some(at) = a.groups.iter().position(|ag| ag.group == g) {
            a.groups.remove(at);
            gone.push(("app_group_assignments", format!("{}:{gid}", a.id)));
        }
    }
    for r in org.group_roles.remove(&g).unwrap_or_default() {
        gone.push(("iam_role_members", format!("{}:{gid}", r.id)));
    }
    for r in org.user_roles.values().chain(org.group_roles.values()).flatten().filter(|r| r.group_targets.contains(&g)) {
        gone.push(("role_targets", format!("{}:{gid}", r.id)));
    }
    for (kind, id) in gone {
        removed(org, kind, id);
    }
}

/// Deletes an app and its assignments.
fn delete_app(org: &mut Org, ai: usize) {
    let a = &mut org.apps[ai];
    a.deleted = true;
    a.status = "DELETED".into();
    let aid = a.id.clone();
    let users: Vec<u32> = a.users.drain(..).map(|au| au.user).collect();
    let groups: Vec<u32> = a.groups.drain(..).map(|ag| ag.group).collect();
    removed(org, "applications", aid.clone());
    let targeted: Vec<String> = org
        .user_roles
        .values()
        .chain(org.group_roles.values())
        .flatten()
        .filter(|r| r.app_targets.contains(&crate::model::AppTarget::Instance(ai as u32)))
        .map(|r| format!("{}:{aid}", r.id))
        .collect();
    for id in targeted {
        removed(org, "role_targets", id);
    }
    for u in users {
        let id = format!("{aid}:{}", org.users[u as usize].id);
        removed(org, "app_user_assignments", id);
    }
    for g in groups {
        let id = format!("{aid}:{}", org.groups[g as usize].id);
        removed(org, "app_group_assignments", id);
    }
}

/// Time-driven churn.
pub struct Churn {
    per_min: f64,
    limit: Option<u64>,
    lag_secs: u64,
    state: Mutex<ChurnState>,
}

struct ChurnState {
    last: DateTime<Utc>,
    carry: f64,
    rng: ChaCha8Rng,
    applied: u64,
}

impl Churn {
    /// `per_min` changes per minute from `start` on (at most `limit` in all), seeded by `seed`.
    pub fn new(per_min: f64, limit: Option<u64>, lag_secs: u64, seed: u64, start: DateTime<Utc>) -> Self {
        let state = ChurnState { last: start, carry: 0.0, rng: ChaCha8Rng::seed_from_u64(seed ^ 0xc4a7), applied: 0 };
        Churn { per_min: per_min.max(0.0), limit, lag_secs, state: Mutex::new(state) }
    }

    /// Changes applied so far.
    pub fn applied(&self) -> u64 {
        self.state.lock().map(|s| s.applied).unwrap_or(0)
    }

    /// Applies the changes due by `now`; returns how many were applied.
    pub fn catch_up(&self, org: &std::sync::RwLock<Org>, now: DateTime<Utc>) -> usize {
        if self.per_min <= 0.0 {
            return 0;
        }
        let Ok(mut st) = self.state.lock() else { return 0 };
        let elapsed = (now - st.last).num_milliseconds().max(0) as f64 / 60_000.0;
        let due = st.carry + elapsed * self.per_min;
        let left = self.limit.map_or(u64::MAX, |l| l.saturating_sub(st.applied));
        let n = (due.floor() as u64).min(left) as usize;
        st.carry = due - due.floor();
        st.last = now;
        if n == 0 {
            return 0;
        }
        let Ok(mut org) = org.write() else { return 0 };
        let total: u32 = MIX.iter().map(|(_, w)| w).sum();
        let st = &mut *st;
        let mut ev = Emitter { rng: &mut st.rng, now, lag_secs: self.lag_secs, emitted: Vec::new() };
        let mut applied = 0;
        for _ in 0..n {
            let mut roll = ev.rng.gen_range(0..total);
            let kind = MIX
                .iter()
                .find(|(_, w)| {
                    if roll < *w {
                        true
                    } else {
                        roll -= w;
                        false
                    }
                })
                .map_or(Change::RemoveMember, |(k, _)| *k);
            if apply(&mut org, kind, &mut ev).is_some() {
                applied += 1;
            }
        }
        st.applied += n as u64;
        applied
    }
}
