//! Okta's own side effects of lifecycle changes, as help.okta.com documents them ("Deactivate
//! and delete user accounts", "Activate and deactivate users"), applied to the model and
//! recorded for the truth (`Org::removed`):
//!
//! - **Deactivation** (`user.lifecycle.deactivate`): the user's assignments to ACTIVE apps are
//!   removed and the user's direct admin roles revoked. Group memberships, factors,
//!   authenticator enrollments and assignments to INACTIVE apps stay.
//! - **Reactivation** of a deactivated user ([`REACTIVATION_EVENT`]): the user is ACTIVE again
//!   and gets back the assignments its groups give (apps assigned to a group it is a member
//!   of, scope GROUP); nothing else comes back.
//! - **Deletion** (`user.lifecycle.delete.initiated` / `.completed`): everything that hangs
//!   on the user goes (memberships, app assignments, role assignments, factors, enrollments,
//!   device links).
//! - A deleted group takes its memberships, app group assignments and role assignments along;
//!   a deleted app its assignments; a deleted authorization server its policies and rules.
//!   The sign-ins of a deleted user or app leave the truth (`deleted.app_sign_ins`).
//!
//! With `Org::log_side_effect_edges`, each removed or granted edge of a user's lifecycle
//! change is also logged (`application.user_membership.remove` / `.add`,
//! `user.account.privilege.revoke`, `group.user_membership.remove`), a little after the
//! lifecycle event ([`crate::events::SIDE_EFFECT_DELAY_MS`]); without it only the lifecycle
//! event is logged.

use chrono::{DateTime, Utc};
use rand::Rng;

use super::events::{app_membership, Emitter};
use super::model::{AppTarget, AppUser, LogTarget, Org, RoleAssignment};

/// The event of a deactivated user made ACTIVE again. Okta's Users API activates a
/// DEPROVISIONED user with `POST /lifecycle/activate` (its Reactivate operation is for
/// PROVISIONED or RECOVERY users only, and restarts their activation), and the Admin Console
/// calls it "Activate": so `user.lifecycle.activate`, not `user.lifecycle.reactivate` (which
/// [`resend_activation`] logs).
pub const REACTIVATION_EVENT: &str = "user.lifecycle.activate";

/// Records a removal for the truth.
pub fn removed(org: &mut Org, kind: &str, id: String) {
    org.removed.entry(kind.to_string()).or_default().push(id);
}

/// Forgets a removal that was undone (the record exists again).
pub fn restored(org: &mut Org, kind: &str, id: &str) {
    if let Some(ids) = org.removed.get_mut(kind) {
        ids.retain(|x| x != id);
    }
}

/// Marks user `i` as changed at `now` (its cached JSON goes).
pub fn touch_user(org: &mut Org, i: usize, now: DateTime<Utc>) {
    if let Some(u) = org.users.get_mut(i) {
        u.last_updated = now;
    }
    if let Some(c) = org.user_json.get_mut(i) {
        *c = Default::default();
    }
}

/// The truth id of the assignment of user `ui` to app `ai`.
fn assignment_id(org: &Org, ai: usize, ui: u32) -> String {
    format!("{}:{}", org.apps[ai].id, org.users[ui as usize].id)
}

/// Deactivates user `i` (logged `at_ms` after now) with Okta's side effects.
pub fn deactivate<R: Rng>(org: &mut Org, i: usize, ev: &mut Emitter<'_, R>, at_ms: i64) {
    let now = ev.now;
    org.users[i].status = "DEPROVISIONED".into();
    org.users[i].status_changed = now;
    touch_user(org, i, now);
    ev.emit_after(org, at_ms, "user.lifecycle.deactivate", vec![LogTarget::User(i as u32)], vec![]);
    unassign_apps(org, i as u32, ev, at_ms, |status| status == "ACTIVE");
    let labels = revoke_roles(org, i);
    if !labels.is_empty() {
        let debug = vec![("privilegeRevoked".to_string(), labels.join(", "))];
        ev.side_effect(org, at_ms, "user.account.privilege.revoke", vec![LogTarget::User(i as u32)], debug);
    }
}

/// Removes user `ui`'s assignments to the live apps whose status `which` accepts.
fn unassign_apps<R: Rng>(org: &mut Org, ui: u32, ev: &mut Emitter<'_, R>, at_ms: i64, which: impl Fn(&str) -> bool) {
    for ai in 0..org.apps.len() {
        let a = &mut org.apps[ai];
        if a.deleted || !which(&a.status) {
            continue;
        }
        let Some(at) = a.users.iter().position(|au| au.user == ui) else { continue };
        a.users.remove(at);
        let id = assignment_id(org, ai, ui);
        removed(org, "app_user_assignments", id);
        ev.side_effect(org, at_ms, "application.user_membership.remove", app_membership(ai as u32, ui), vec![]);
    }
}

/// Revokes user `i`'s direct admin roles (and with them their targets); returns their labels.
pub fn revoke_roles(org: &mut Org, i: usize) -> Vec<String> {
    let uid = org.users[i].id.clone();
    let mut labels = Vec::new();
    for r in org.user_roles.remove(&(i as u32)).unwrap_or_default() {
        removed(org, "iam_role_members", format!("{}:{uid}", r.id));
        for t in live_targets(org, &r) {
            removed(org, "role_targets", format!("{}:{t}", r.id));
        }
        labels.push(r.label);
    }
    labels
}

/// The ids of a role assignment's targets that are still there.
fn live_targets(org: &Org, r: &RoleAssignment) -> Vec<String> {
    let groups = r.group_targets.iter().map(|g| &org.groups[*g as usize]).filter(|g| !g.deleted).map(|g| g.id.clone());
    let apps = r.app_targets.iter().filter_map(|t| match t {
        AppTarget::Instance(a) => Some(&org.apps[*a as usize]).filter(|a| !a.deleted).map(|a| a.id.clone()),
        AppTarget::Catalog(name) => Some(name.clone()),
    });
    groups.chain(apps).collect()
}

/// Reactivates DEPROVISIONED user `i` (logged `at_ms` after now): ACTIVE again, with the app
/// assignments its groups give.
pub fn reactivate<R: Rng>(org: &mut Org, i: usize, ev: &mut Emitter<'_, R>, at_ms: i64) {
    let now = ev.now;
    org.users[i].status = "ACTIVE".into();
    org.users[i].status_changed = now;
    touch_user(org, i, now);
    ev.emit_after(org, at_ms, REACTIVATION_EVENT, vec![LogTarget::User(i as u32)], vec![]);
    for ai in group_apps(org, i as u32) {
        grant(org, ai, i as u32, now);
        ev.side_effect(org, at_ms, "application.user_membership.add", app_membership(ai as u32, i as u32), vec![]);
    }
}

/// User `ui` just left group `gi`: as Okta does, the app assignments that group gave (scope
/// GROUP) go, unless another of the user's groups gives the same app; each is logged
/// `application.user_membership.remove`.
pub fn left_group<R: Rng>(org: &mut Org, ui: u32, gi: usize, ev: &mut Emitter<'_, R>) {
    let other_groups: Vec<u32> = (0..org.groups.len() as u32)
        .filter(|g| *g as usize != gi && !org.groups[*g as usize].deleted && org.groups[*g as usize].members.binary_search(&ui).is_ok())
        .collect();
    let apps: Vec<usize> = (0..org.apps.len())
        .filter(|ai| {
            let a = &org.apps[*ai];
            !a.deleted
                && a.groups.iter().any(|ag| ag.group as usize == gi)
                && !a.groups.iter().any(|ag| other_groups.contains(&ag.group))
                && a.users.iter().any(|au| au.user == ui && au.scope == "GROUP")
        })
        .collect();
    for ai in apps {
        org.apps[ai].users.retain(|au| au.user != ui);
        removed(org, "app_user_assignments", format!("{}:{}", org.apps[ai].id, org.users[ui as usize].id));
        ev.emit(org, "application.user_membership.remove", app_membership(ai as u32, ui), vec![]);
    }
}

/// Restarts the activation of PROVISIONED (or RECOVERY) user `i`, Okta's Reactivate User
/// operation (`user.lifecycle.reactivate`): the status stays, nothing else changes.
pub fn resend_activation<R: Rng>(org: &mut Org, i: usize, ev: &mut Emitter<'_, R>) {
    touch_user(org, i, ev.now);
    ev.emit(org, "user.lifecycle.reactivate", vec![LogTarget::User(i as u32)], vec![]);
}

/// The live apps user `ui` is not assigned to that a live group of the user is assigned to.
fn group_apps(org: &Org, ui: u32) -> Vec<usize> {
    let groups: Vec<u32> = (0..org.groups.len() as u32)
        .filter(|g| !org.groups[*g as usize].deleted && org.groups[*g as usize].members.binary_search(&ui).is_ok())
        .collect();
    (0..org.apps.len())
        .filter(|ai| {
            let a = &org.apps[*ai];
            !a.deleted && a.groups.iter().any(|ag| groups.contains(&ag.group)) && a.users.iter().all(|au| au.user != ui)
        })
        .collect()
}

/// Assigns user `ui` to app `ai` through a group (scope GROUP), in user order.
fn grant(org: &mut Org, ai: usize, ui: u32, now: DateTime<Utc>) {
    let answer = format!("SIMSECRET-answer-{}{}", org.apps[ai].id, org.users[ui as usize].id);
    let au = AppUser {
        user: ui,
        scope: "GROUP".into(),
        status: "PROVISIONED".into(),
        created: now,
        last_updated: now,
        security_answer: answer,
        role: "Viewer".into(),
    };
    let users = &mut org.apps[ai].users;
    let at = users.partition_point(|x| x.user < ui);
    users.insert(at, au);
    let id = assignment_id(org, ai, ui);
    restored(org, "app_user_assignments", &id);
}

/// Deletes user `i` and everything that hangs on it; a user not yet DEPROVISIONED is
/// deactivated first, as Okta's DELETE does.
pub fn delete_user<R: Rng>(org: &mut Org, i: usize, ev: &mut Emitter<'_, R>, at_ms: i64) {
    if org.users[i].status != "DEPROVISIONED" {
        deactivate(org, i, ev, at_ms);
    }
    let ui = i as u32;
    let uid = org.users[i].id.clone();
    crate::mutate_posture::forget_sign_ins(org, |_, u| u == ui);
    org.users[i].deleted = true;
    touch_user(org, i, ev.now);
    removed(org, "users", uid.clone());
    ev.emit_after(org, at_ms, "user.lifecycle.delete.initiated", vec![LogTarget::User(ui)], vec![]);
    for gi in 0..org.groups.len() {
        let g = &mut org.groups[gi];
        if g.deleted {
            continue;
        }
        let Ok(at) = g.members.binary_search(&ui) else { continue };
        g.members.remove(at);
        let id = format!("{}:{uid}", g.id);
        removed(org, "group_members", id);
        ev.side_effect(org, at_ms, "group.user_membership.remove", vec![LogTarget::User(ui), LogTarget::Group(gi as u32)], vec![]);
    }
    unassign_apps(org, ui, ev, at_ms, |_| true);
    let labels = revoke_roles(org, i);
    if !labels.is_empty() {
        let debug = vec![("privilegeRevoked".to_string(), labels.join(", "))];
        ev.side_effect(org, at_ms, "user.account.privilege.revoke", vec![LogTarget::User(ui)], debug);
    }
    drop_factors(org, i);
    unlink_devices(org, ui);
    ev.emit_after(org, at_ms, "user.lifecycle.delete.completed", vec![LogTarget::User(ui)], vec![]);
}

/// Removes user `i`'s factors and authenticator enrollments.
fn drop_factors(org: &mut Org, i: usize) {
    let uid = org.users[i].id.clone();
    for f in org.factors.remove(&(i as u32)).unwrap_or_default() {
        removed(org, "factors", format!("{uid}:{}", f.id));
    }
    for e in org.enrollments.remove(&(i as u32)).unwrap_or_default() {
        removed(org, "authenticator_enrollments", format!("{uid}:{}", e.id));
    }
}

/// Takes user `ui` off every device.
fn unlink_devices(org: &mut Org, ui: u32) {
    for d in org.devices.iter_mut() {
        if let Some(at) = d.users.iter().position(|u| *u == ui) {
            d.users.remove(at);
            if at < d.posture.len() {
                d.posture.remove(at);
            }
        }
    }
}

/// Deletes group `gi` with its memberships, app group assignments and role assignments.
pub fn delete_group<R: Rng>(org: &mut Org, gi: usize, ev: &mut Emitter<'_, R>) {
    // Its members lose the apps only it gave them, as when they leave it.
    for m in org.groups[gi].members.clone() {
        left_group(org, m, gi, ev);
    }
    let g = gi as u32;
    let gid = org.groups[gi].id.clone();
    let mut gone: Vec<(&str, String)> = vec![("groups", gid.clone())];
    for m in &org.groups[gi].members {
        let u = &org.users[*m as usize];
        if !u.deleted && u.status != "shadow" {
            gone.push(("group_members", format!("{gid}:{}", u.id)));
        }
    }
    for r in org.group_roles.get(&g).into_iter().flatten() {
        gone.push(("iam_role_members", format!("{}:{gid}", r.id)));
        gone.extend(live_targets(org, r).into_iter().map(|t| ("role_targets", format!("{}:{t}", r.id))));
    }
    for r in org.user_roles.values().chain(org.group_roles.values()).flatten().filter(|r| r.group_targets.contains(&g)) {
        gone.push(("role_targets", format!("{}:{gid}", r.id)));
    }
    org.group_roles.remove(&g);
    org.groups[gi].deleted = true;
    for a in org.apps.iter_mut().filter(|a| !a.deleted) {
        if let Some(at) = a.groups.iter().position(|ag| ag.group == g) {
            a.groups.remove(at);
            gone.push(("app_group_assignments", format!("{}:{gid}", a.id)));
        }
    }
    for (kind, id) in gone {
        removed(org, kind, id);
    }
    ev.emit(org, "group.lifecycle.delete", vec![LogTarget::Group(g)], vec![]);
}

/// Deactivates and deletes app `ai` with its assignments.
pub fn delete_app<R: Rng>(org: &mut Org, ai: usize, ev: &mut Emitter<'_, R>) {
    crate::mutate_posture::forget_sign_ins(org, |a, _| a as usize == ai);
    let aid = org.apps[ai].id.clone();
    let mut gone: Vec<(&str, String)> = vec![("applications", aid.clone())];
    for r in org.user_roles.values().chain(org.group_roles.values()).flatten() {
        if r.app_targets.contains(&AppTarget::Instance(ai as u32)) {
            gone.push(("role_targets", format!("{}:{aid}", r.id)));
        }
    }
    let a = &mut org.apps[ai];
    a.deleted = true;
    a.status = "DELETED".into();
    let users: Vec<u32> = a.users.drain(..).map(|au| au.user).collect();
    let groups: Vec<u32> = a.groups.drain(..).map(|ag| ag.group).collect();
    gone.extend(users.into_iter().map(|u| ("app_user_assignments", format!("{aid}:{}", org.users[u as usize].id))));
    gone.extend(groups.into_iter().map(|g| ("app_group_assignments", format!("{aid}:{}", org.groups[g as usize].id))));
    for (kind, id) in gone {
        removed(org, kind, id);
    }
    ev.emit(org, "application.lifecycle.deactivate", vec![LogTarget::App(ai as u32)], vec![]);
    ev.emit(org, "application.lifecycle.delete", vec![LogTarget::App(ai as u32)], vec![]);
}

/// Deletes authorization server `si` with its policies and their rules (an ACTIVE one is
/// deactivated first, as Okta requires).
pub fn delete_auth_server<R: Rng>(org: &mut Org, si: usize, ev: &mut Emitter<'_, R>) {
    if org.auth_servers[si].status == "ACTIVE" {
        org.auth_servers[si].status = "INACTIVE".into();
        ev.emit(org, "oauth2.as.deactivated", vec![LogTarget::AuthServer(si as u32)], vec![]);
    }
    let s = &mut org.auth_servers[si];
    s.deleted = true;
    s.last_updated = ev.now;
    let mut gone: Vec<(&str, String)> = vec![("authorization_servers", s.id.clone())];
    for p in &s.policies {
        gone.push(("authorization_server_policies", p.id.clone()));
        gone.extend(p.rules.iter().map(|r| ("authorization_server_policy_rules", r.id.clone())));
    }
    for (kind, id) in gone {
        removed(org, kind, id);
    }
    ev.emit(org, "oauth2.as.deleted", vec![LogTarget::AuthServer(si as u32)], vec![]);
}
