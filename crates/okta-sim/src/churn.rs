//! An org that moves while it is read: deletions, deactivations and removed memberships, each
//! with the System Log events Okta would write, and the truth's record of what went away.
//!
//! [`Churn`] is time-driven: `--churn-per-min N` makes N changes per minute of the simulator's
//! clock, drawn from a seeded generator and applied just before the request that finds them
//! due, so 404s in the middle of a fan-out and pages that shift between two calls happen.
//!
//! **By calls** (`--churn-every-calls N`). One change every N requests served instead of per
//! minute: a sync compressed into seconds (limits lifted, a paused clock) meets its changes
//! spread over its calls, as an hours-long one meets them over its hours.
//!
//! **Aim** (`--churn-aim`). A real sync runs for hours, and an object deleted at a random
//! moment falls between its list call and its child calls only by the share of the sync that
//! window takes. With aim on, deletions of users, groups and apps pick their victim among the
//! ones the latest list page of that kind served (a user not yet deactivated is deleted as
//! Okta's DELETE does it twice: deactivated, then deleted), so that nearly every deletion
//! lands in that window: the case the connector must survive, met on purpose.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::events::{app_membership, Emitter};
use super::lifecycle::{self, removed};
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

fn pick<R: Rng>(rng: &mut R, xs: &[usize]) -> Option<usize> {
    xs.choose(rng).copied()
}

/// The ids the latest list page of each kind served, for aimed deletions.
#[derive(Debug, Default, Clone)]
pub struct Listed {
    /// The latest `/api/v1/users` page.
    pub users: Vec<String>,
    /// The latest `/api/v1/groups` page.
    pub groups: Vec<String>,
    /// The latest `/api/v1/apps` page.
    pub apps: Vec<String>,
}

/// The candidates among `xs` that `listed` names (by `id_of`), else `xs` itself.
fn aimed(xs: Vec<usize>, listed: Option<&[String]>, id_of: impl Fn(usize) -> String) -> Vec<usize> {
    let Some(listed) = listed.filter(|l| !l.is_empty()) else { return xs };
    let hot: Vec<usize> = xs.iter().copied().filter(|i| listed.contains(&id_of(*i))).collect();
    if hot.is_empty() {
        xs
    } else {
        hot
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
    apply_aimed(org, kind, ev, None)
}

/// As [`apply`]; with `aim`, a deletion picks its victim among the objects the latest list
/// pages served, where any is eligible.
fn apply_aimed<R: Rng>(org: &mut Org, kind: Change, ev: &mut Emitter<'_, R>, aim: Option<&Listed>) -> Option<String> {
    let now = ev.now;
    match kind {
        Change::DeactivateUser => {
            let ok: Vec<usize> =
                (0..org.users.len()).filter(|i| changeable_user(org, *i) && org.users[*i].status != "DEPROVISIONED").collect();
            let i = pick(ev.rng, &ok)?;
            lifecycle::deactivate(org, i, ev, 0);
            Some(org.users[i].id.clone())
        }
        Change::DeleteUser => {
            // Okta deletes a DEPROVISIONED user; a DELETE on any other deactivates it first.
            // Aimed, the users of the latest page are eligible too (deleted twice over).
            let listed = aim.map(|a| a.users.as_slice()).filter(|l| !l.is_empty());
            let ok: Vec<usize> = (0..org.users.len())
                .filter(|i| {
                    changeable_user(org, *i)
                        && (org.users[*i].status == "DEPROVISIONED" || listed.is_some_and(|l| l.contains(&org.users[*i].id)))
                })
                .collect();
            let i = pick(ev.rng, &aimed(ok, listed, |i| org.users[i].id.clone()))?;
            lifecycle::delete_user(org, i, ev, 0);
            Some(org.users[i].id.clone())
        }
        Change::DeleteGroup => {
            let ok: Vec<usize> = (0..org.groups.len()).filter(|g| !org.groups[*g].deleted && org.groups[*g].kind != "BUILT_IN").collect();
            let gi = pick(ev.rng, &aimed(ok, aim.map(|a| a.groups.as_slice()), |g| org.groups[g].id.clone()))?;
            lifecycle::delete_group(org, gi, ev);
            Some(org.groups[gi].id.clone())
        }
        Change::DeleteApp => {
            let ok: Vec<usize> = (0..org.apps.len()).filter(|a| !org.apps[*a].deleted).collect();
            let ai = pick(ev.rng, &aimed(ok, aim.map(|a| a.apps.as_slice()), |a| org.apps[a].id.clone()))?;
            lifecycle::delete_app(org, ai, ev);
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
            super::lifecycle::left_group(org, ui, gi, ev);
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
            ev.emit(org, "application.user_membership.remove", app_membership(ai as u32, ui), vec![]);
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
            let labels = lifecycle::revoke_roles(org, i);
            let debug = vec![("privilegeRevoked".to_string(), labels.join(", "))];
            ev.emit(org, "user.account.privilege.revoke", vec![LogTarget::User(i as u32)], debug);
            Some(uid)
        }
    }
}

/// Time-driven churn.
pub struct Churn {
    per_min: f64,
    limit: Option<u64>,
    lag_secs: u64,
    /// Aimed deletions: the latest list pages, else `None`.
    aim: Option<Mutex<Listed>>,
    /// One change every this many requests, instead of per minute.
    every_calls: Option<u64>,
    state: Mutex<ChurnState>,
}

struct ChurnState {
    /// Requests seen (for `every_calls`).
    calls: u64,
    last: DateTime<Utc>,
    carry: f64,
    rng: ChaCha8Rng,
    applied: u64,
}

impl Churn {
    /// `per_min` changes per minute from `start` on (at most `limit` in all), seeded by `seed`.
    pub fn new(per_min: f64, limit: Option<u64>, lag_secs: u64, seed: u64, start: DateTime<Utc>) -> Self {
        let state = ChurnState { calls: 0, last: start, carry: 0.0, rng: ChaCha8Rng::seed_from_u64(seed ^ 0xc4a7), applied: 0 };
        Churn { per_min: per_min.max(0.0), limit, lag_secs, aim: None, every_calls: None, state: Mutex::new(state) }
    }

    /// One change every `n` requests served, instead of per minute (see the module doc).
    pub fn every_calls(mut self, n: u64) -> Self {
        self.every_calls = Some(n.max(1));
        self
    }

    /// Aims the deletions at the objects the latest list pages served (see the module doc).
    pub fn aimed(mut self) -> Self {
        self.aim = Some(Mutex::new(Listed::default()));
        self
    }

    /// Whether deletions are aimed (the server then reports the list pages it serves).
    pub fn is_aimed(&self) -> bool {
        self.aim.is_some() && self.active()
    }

    fn active(&self) -> bool {
        self.per_min > 0.0 || self.every_calls.is_some()
    }

    /// Records the ids a list page of `kind` (`users`, `groups`, `apps`) served.
    pub fn listed(&self, kind: &str, ids: Vec<String>) {
        let Some(Ok(mut l)) = self.aim.as_ref().map(Mutex::lock) else { return };
        match kind {
            "users" => l.users = ids,
            "groups" => l.groups = ids,
            "apps" => l.apps = ids,
            _ => {}
        }
    }

    /// Changes attempted so far: those that found nothing eligible count too (toward the limit
    /// as well, so that a churn that runs out of victims still ends).
    pub fn applied(&self) -> u64 {
        self.state.lock().map(|s| s.applied).unwrap_or(0)
    }

    /// Applies the changes due by `now` (or by this request, churning by calls); returns how
    /// many were applied.
    pub fn catch_up(&self, org: &std::sync::RwLock<Org>, now: DateTime<Utc>) -> usize {
        if !self.active() {
            return 0;
        }
        let Ok(mut st) = self.state.lock() else { return 0 };
        let left = self.limit.map_or(u64::MAX, |l| l.saturating_sub(st.applied));
        let due = match self.every_calls {
            Some(every) => {
                st.calls += 1;
                u64::from(st.calls % every == 0)
            }
            None => {
                let elapsed = (now - st.last).num_milliseconds().max(0) as f64 / 60_000.0;
                let due = st.carry + elapsed * self.per_min;
                st.carry = due - due.floor();
                due.floor() as u64
            }
        };
        let n = due.min(left) as usize;
        st.last = now;
        if n == 0 {
            return 0;
        }
        let aim: Option<Listed> = self.aim.as_ref().and_then(|a| a.lock().ok().map(|l| l.clone()));
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
            if apply_aimed(&mut org, kind, &mut ev, aim.as_ref()).is_some() {
                applied += 1;
            }
        }
        st.applied += n as u64;
        applied
    }
}
