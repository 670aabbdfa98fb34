//! Okta's side effects of lifecycle changes, in the model and in the truth (help.okta.com,
//! "Deactivate and delete user accounts"), and whether they are logged per edge.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use okta_sim::events::Emitter;
use okta_sim::gen::{generate, Sizes};
use okta_sim::lifecycle;
use okta_sim::model::{AppGroup, AppUser, Org, RoleAssignment};
use okta_sim::render;
use okta_sim::truth::truth;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn org(seed: u64) -> Org {
    generate(seed, Sizes { users: 120, groups: 12, apps: 8, devices: 20, log_events: 50, ..Sizes::default() }, now())
}

fn ids(t: &Value, kind: &str) -> BTreeSet<String> {
    t["record_types"][kind]["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

fn deleted(t: &Value, kind: &str) -> BTreeSet<String> {
    t["deleted"][kind]["ids"].as_array().map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect()).unwrap_or_default()
}

fn assignment(user: u32, scope: &str) -> AppUser {
    AppUser {
        user,
        scope: scope.into(),
        status: "PROVISIONED".into(),
        created: now(),
        last_updated: now(),
        security_answer: "SIMSECRET-answer-test".into(),
        role: "Viewer".into(),
    }
}

/// An ACTIVE user who is the only subject of the scenario: a member of group 1, assigned
/// directly to app 0 (ACTIVE) and app 1 (INACTIVE), neither of which any group is assigned to,
/// holding a direct admin role; group 1 is assigned to app 2 (ACTIVE), which the user is not
/// assigned to.
fn scenario(org: &mut Org) -> usize {
    let ui = (0..org.users.len()).find(|i| org.users[*i].status == "ACTIVE" && *i != org.admin_user as usize).unwrap();
    let u = ui as u32;
    for (k, a) in org.apps.iter_mut().enumerate() {
        a.users.retain(|au| au.user != u);
        a.groups.retain(|ag| ag.group != 1 && k > 1);
        a.status = if k == 1 { "INACTIVE".into() } else { "ACTIVE".into() };
    }
    for k in [0usize, 1] {
        let users = &mut org.apps[k].users;
        let at = users.partition_point(|x| x.user < u);
        users.insert(at, assignment(u, "USER"));
    }
    org.apps[2].groups.push(AppGroup { group: 1, priority: 0, last_updated: now() });
    let members = &mut org.groups[1].members;
    if let Err(at) = members.binary_search(&u) {
        members.insert(at, u);
    }
    let role = RoleAssignment {
        id: "ra1testrole00000001".into(),
        kind: "READ_ONLY_ADMIN".into(),
        role: None,
        label: "Read-only Administrator".into(),
        created: now(),
        group_targets: vec![],
        app_targets: vec![],
    };
    org.user_roles.insert(u, vec![role]);
    ui
}

fn assigned(org: &Org, app: usize, ui: usize) -> bool {
    org.apps[app].users.iter().any(|au| au.user == ui as u32)
}

fn edge(org: &Org, app: usize, ui: usize) -> String {
    format!("{}:{}", org.apps[app].id, org.users[ui].id)
}

fn emitter(rng: &mut ChaCha8Rng) -> Emitter<'_, ChaCha8Rng> {
    Emitter { rng, now: now(), lag_secs: 0, emitted: Vec::new() }
}

#[test]
fn deactivation_removes_active_app_assignments_and_admin_roles_and_keeps_the_rest() {
    let mut org = org(71);
    let ui = scenario(&mut org);
    let (factors, enrollments) = (org.factors.get(&(ui as u32)).cloned(), org.enrollments.get(&(ui as u32)).cloned());
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    lifecycle::deactivate(&mut org, ui, &mut emitter(&mut rng), 0);
    assert_eq!(org.users[ui].status, "DEPROVISIONED");
    assert!(!assigned(&org, 0, ui), "the assignment to an ACTIVE app goes");
    assert!(assigned(&org, 1, ui), "the assignment to an INACTIVE app stays");
    assert!(!org.user_roles.contains_key(&(ui as u32)), "direct admin roles are revoked");
    assert!(org.groups[1].members.binary_search(&(ui as u32)).is_ok(), "memberships stay");
    assert_eq!(org.factors.get(&(ui as u32)).map(Vec::len), factors.map(|f| f.len()), "factors stay");
    assert_eq!(org.enrollments.get(&(ui as u32)).map(Vec::len), enrollments.map(|e| e.len()), "enrollments stay");
    let t = truth(&org, now(), None);
    assert!(!ids(&t, "app_user_assignments").contains(&edge(&org, 0, ui)));
    assert!(ids(&t, "app_user_assignments").contains(&edge(&org, 1, ui)));
    assert!(deleted(&t, "app_user_assignments").contains(&edge(&org, 0, ui)));
    let role = format!("ra1testrole00000001:{}", org.users[ui].id);
    assert!(!ids(&t, "iam_role_members").contains(&role) && deleted(&t, "iam_role_members").contains(&role));
    assert!(ids(&t, "group_members").contains(&format!("{}:{}", org.groups[1].id, org.users[ui].id)));
}

#[test]
fn reactivation_grants_back_what_the_groups_give_and_nothing_else() {
    let mut org = org(72);
    let ui = scenario(&mut org);
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut ev = emitter(&mut rng);
    lifecycle::deactivate(&mut org, ui, &mut ev, 0);
    lifecycle::reactivate(&mut org, ui, &mut ev, 2000);
    assert_eq!(org.users[ui].status, "ACTIVE");
    let granted = org.apps[2].users.iter().find(|au| au.user == ui as u32).expect("group 1 gives app 2");
    assert_eq!(granted.scope, "GROUP");
    assert!(!assigned(&org, 0, ui), "a direct assignment does not come back");
    assert!(!org.user_roles.contains_key(&(ui as u32)), "admin roles do not come back");
    let t = truth(&org, now(), None);
    assert!(ids(&t, "app_user_assignments").contains(&edge(&org, 2, ui)));
    assert!(!ids(&t, "app_user_assignments").contains(&edge(&org, 0, ui)));
    let types: Vec<&str> = org.logs.iter().filter(|e| ev.emitted.contains(&e.uuid)).map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["user.lifecycle.deactivate", "user.lifecycle.activate"], "in order, no per-edge events by default");
}

#[test]
fn deletion_removes_every_edge_of_the_user() {
    let mut org = org(73);
    let ui = scenario(&mut org);
    let u = ui as u32;
    let device = org.devices.iter().position(|d| d.status != "DELETED").unwrap();
    org.devices[device].users.push(u);
    org.devices[device].posture.push(("NOT_MANAGED".into(), "NONE".into()));
    assert!(org.factors.contains_key(&u) || org.enrollments.contains_key(&u));
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    lifecycle::delete_user(&mut org, ui, &mut emitter(&mut rng), 0);
    assert!(org.users[ui].deleted);
    assert!(org.groups.iter().all(|g| g.members.binary_search(&u).is_err()), "memberships go");
    assert!(org.apps.iter().all(|a| a.users.iter().all(|au| au.user != u)), "every assignment goes, inactive apps too");
    assert!(!org.user_roles.contains_key(&u) && !org.factors.contains_key(&u) && !org.enrollments.contains_key(&u));
    assert!(org.devices.iter().all(|d| !d.users.contains(&u) && d.users.len() == d.posture.len()));
    let t = truth(&org, now(), None);
    let uid = &org.users[ui].id;
    for kind in ["group_members", "app_user_assignments", "iam_role_members", "factors", "authenticator_enrollments"] {
        assert!(ids(&t, kind).iter().all(|id| !id.contains(uid.as_str())), "{kind} still names the user");
    }
    assert!(deleted(&t, "app_user_assignments").contains(&edge(&org, 1, ui)));
    assert!(deleted(&t, "group_members").contains(&format!("{}:{uid}", org.groups[1].id)));
}

#[test]
fn deleted_groups_apps_and_authorization_servers_take_their_edges_along() {
    let mut org = org(74);
    scenario(&mut org);
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let mut ev = emitter(&mut rng);
    let gid = org.groups[1].id.clone();
    let member = org.users[org.groups[1].members[0] as usize].id.clone();
    lifecycle::delete_group(&mut org, 1, &mut ev);
    let aid = org.apps[0].id.clone();
    lifecycle::delete_app(&mut org, 0, &mut ev);
    let si = org.auth_servers.iter().position(|s| !s.policies.is_empty()).unwrap();
    let policy = org.auth_servers[si].policies[0].id.clone();
    lifecycle::delete_auth_server(&mut org, si, &mut ev);
    let t = truth(&org, now(), None);
    assert!(deleted(&t, "group_members").contains(&format!("{gid}:{member}")));
    assert!(!ids(&t, "app_group_assignments").iter().any(|id| id.ends_with(&gid)), "the group's app assignments go");
    assert!(deleted(&t, "app_group_assignments").contains(&format!("{}:{gid}", org.apps[2].id)));
    assert!(!ids(&t, "app_user_assignments").iter().any(|id| id.starts_with(&aid)));
    assert!(!ids(&t, "authorization_server_policies").contains(&policy));
    assert!(deleted(&t, "authorization_server_policies").contains(&policy));
    assert!(!ids(&t, "authorization_servers").contains(&org.auth_servers[si].id));
}

/// The events a deactivation then a deletion write, as (type, target types, delay in ms).
fn logged(edges: bool) -> Vec<(String, Vec<String>, i64)> {
    let mut org = org(75);
    org.log_side_effect_edges = edges;
    let ui = scenario(&mut org);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut ev = emitter(&mut rng);
    lifecycle::deactivate(&mut org, ui, &mut ev, 0);
    lifecycle::delete_user(&mut org, ui, &mut ev, 0);
    let emitted = ev.emitted.clone();
    let mut out: Vec<_> = org
        .logs
        .iter()
        .filter(|e| emitted.contains(&e.uuid))
        .map(|e| {
            let json = render::log_event(&org, e);
            let kinds = json["target"].as_array().unwrap().iter().map(|t| t["type"].as_str().unwrap().to_string()).collect();
            (e.event_type.clone(), kinds, (e.persisted - now()).num_milliseconds())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn side_effect_edges_are_logged_only_when_the_flag_is_on_a_little_after_the_lifecycle_event() {
    let off: Vec<String> = logged(false).into_iter().map(|(t, _, _)| t).collect();
    assert_eq!(off, ["user.lifecycle.deactivate", "user.lifecycle.delete.completed", "user.lifecycle.delete.initiated"]);
    let on = logged(true);
    let edge = |t: &str| on.iter().filter(|(x, _, _)| x == t).collect::<Vec<_>>();
    let removes = edge("application.user_membership.remove");
    assert_eq!(removes.len(), 2, "the ACTIVE app on deactivation, the INACTIVE one on deletion: {on:?}");
    for (_, kinds, delay) in &removes {
        assert_eq!(kinds, &["AppUser", "AppInstance", "User"]);
        assert_eq!(*delay, okta_sim::events::SIDE_EFFECT_DELAY_MS);
    }
    assert_eq!(edge("user.account.privilege.revoke").len(), 1);
    assert!(!edge("group.user_membership.remove").is_empty(), "a deletion logs its memberships");
    for (t, _, delay) in &on {
        if t.starts_with("user.lifecycle.") {
            assert_eq!(*delay, 0, "{t}");
        }
    }
}

#[test]
fn factors_of_more_than_1000_users_reset_in_one_change_set() {
    let mut org = generate(76, Sizes { users: 2500, groups: 20, apps: 10, devices: 50, log_events: 100, ..Sizes::default() }, now());
    let m = okta_sim::mutate::Mutation { reset_factors: 1200, ..okta_sim::mutate::Mutation::none() };
    let out = okta_sim::mutate::apply(&mut org, &m, now(), 0);
    let reset: BTreeSet<String> = out["reset_factors"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(reset.len(), 1200, "distinct users");
    let t = truth(&org, now(), None);
    assert!(ids(&t, "factors").iter().all(|f| !reset.contains(f.split(':').next().unwrap())), "no factor of a reset user is left");
    assert!(deleted(&t, "factors").len() >= 1200);
}
