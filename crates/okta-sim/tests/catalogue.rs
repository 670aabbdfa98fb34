//! The simulator speaks Okta's Event Types catalogue (vendored in
//! `fixtures/okta-event-types.txt`), with targets as Okta sends them, and every `/__sim/mutate`
//! field changes the org and the truth accordingly.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use okta_sim::churn::{self, Change};
use okta_sim::events::Emitter;
use okta_sim::gen::{generate, Sizes};
use okta_sim::model::Org;
use okta_sim::mutate::{apply, Mutation};
use okta_sim::render;
use okta_sim::truth::truth;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn org(seed: u64) -> Org {
    generate(seed, Sizes { users: 150, groups: 12, apps: 8, devices: 20, log_events: 400, ..Sizes::default() }, now())
}

fn catalogue() -> BTreeSet<String> {
    let text = include_str!("fixtures/okta-event-types.txt");
    text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).map(str::to_string).collect()
}

/// Every kind of change at once, side effects logged per edge, plus every churn change.
fn everything(org: &mut Org) -> Value {
    let m = Mutation {
        users: 3,
        deactivate: 3,
        reactivate: 2,
        resend_activation: 1,
        deactivate_reactivate: 2,
        groups: 2,
        logs: 80,
        devices: 1,
        delete_devices: 1,
        delete_users: 2,
        delete_groups: 1,
        delete_apps: 1,
        remove_members: 2,
        unassign_app_users: 2,
        reset_factors: 2,
        grant_roles: 1,
        revoke_roles: 1,
        update_app_users: 2,
        revoke_app_users: 1,
        deprovision_app_users: 2,
        restore_app_users: 1,
        create_auth_servers: 1,
        update_auth_servers: 1,
        deactivate_auth_servers: 1,
        activate_auth_servers: 1,
        delete_auth_servers: 1,
        add_device_users: 1,
        remove_device_users: 1,
        update_primary_email: 1,
        add_policy_rules: 1,
        deactivate_factor_types: vec!["sms".into()],
        activate_factor_types: vec![],
        refuse_log_cursors: false,
        log_side_effect_edges: Some(true),
        sign_ins: 3,
        sign_in_pairs: Vec::new(),
        failed_sign_ins: 2,
        create_group_rules: 1,
        update_group_rules: 1,
        activate_group_rules: 1,
        deactivate_group_rules: 1,
        invalidate_group_rules: 1,
        delete_group_rules: 1,
        deactivate_zones: 1,
        activate_zones: 1,
        deactivate_idps: 1,
        activate_idps: 1,
        deactivate_authenticators: 1,
        activate_authenticators: 1,
        deactivate_trusted_origins: 1,
        activate_trusted_origins: 1,
        delete_trusted_origins: 1,
    };
    let out = apply(org, &m, now(), 0);
    apply(org, &Mutation { activate_factor_types: vec!["sms".into()], ..Mutation::none() }, now(), 0);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut ev = Emitter { rng: &mut rng, now: now(), lag_secs: 0, emitted: Vec::new() };
    for kind in
        [Change::DeactivateUser, Change::DeleteUser, Change::DeleteGroup, Change::DeleteApp, Change::DeleteDevice, Change::DeactivateDevice]
    {
        churn::apply(org, kind, &mut ev);
    }
    out
}

#[test]
fn every_event_the_simulator_writes_has_a_type_from_okta_s_catalogue() {
    let known = catalogue();
    assert!(!known.contains("user.lifecycle.update"), "not an Okta event type");
    let mut org = org(81);
    everything(&mut org);
    let written: BTreeSet<&str> = org.logs.iter().map(|e| e.event_type.as_str()).collect();
    let unknown: Vec<&&str> = written.iter().filter(|t| !known.contains(**t)).collect();
    assert!(unknown.is_empty(), "not in Okta's catalogue: {unknown:?}");
    for t in [
        "user.lifecycle.activate",
        "user.lifecycle.reactivate",
        "application.user_membership.update",
        "application.user_membership.revoke",
        "application.user_membership.deprovision",
        "application.user_membership.restore",
        "oauth2.as.created",
        "oauth2.as.updated",
        "oauth2.as.activated",
        "oauth2.as.deactivated",
        "oauth2.as.deleted",
        "device.user.add",
        "device.user.remove",
        "user.account.update_primary_email",
        "user.account.update_profile",
        "system.mfa.factor.activate",
        "system.mfa.factor.deactivate",
        "user.session.start",
        "user.authentication.sso",
    ] {
        assert!(written.contains(t), "{t} was not written");
    }
}

#[test]
fn app_membership_events_name_the_app_user_the_app_and_the_user() {
    let mut org = org(82);
    everything(&mut org);
    let mut seen = 0;
    for e in org.logs.iter().filter(|e| e.event_type.starts_with("application.user_membership.")) {
        let json = render::log_event(&org, e);
        let t = json["target"].as_array().unwrap();
        let kinds: Vec<&str> = t.iter().map(|x| x["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["AppUser", "AppInstance", "User"], "{}", e.event_type);
        let (app_user, user) = (&t[0], &t[2]);
        let id = app_user["id"].as_str().unwrap();
        assert!(id.starts_with("0ua") && id.len() == 20 && id != user["id"].as_str().unwrap(), "{id}");
        assert_eq!(app_user["alternateId"], user["alternateId"], "the app username is the login here");
        assert_eq!(app_user["displayName"], user["displayName"]);
        seen += 1;
    }
    assert!(seen > 10, "only {seen} app membership events");
    let sso = org.logs.iter().find(|e| e.event_type == "user.authentication.sso").unwrap();
    let json = render::log_event(&org, sso);
    let kinds: Vec<&str> = json["target"].as_array().unwrap().iter().map(|x| x["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["AppInstance", "AppUser"]);
    // Most single sign-ons succeed; a failed one says why.
    let result = json["outcome"]["result"].as_str().unwrap();
    assert!(result == "SUCCESS" || (result == "FAILURE" && json["outcome"]["reason"].is_string()), "{json}");
}

fn ids(t: &Value, kind: &str) -> BTreeSet<String> {
    t["record_types"][kind]["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

fn first(out: &Value, key: &str) -> String {
    out[key][0].as_str().unwrap_or_else(|| panic!("nothing under {key}: {out}")).to_string()
}

#[test]
fn assignment_changes_show_in_the_truth() {
    let mut org = org(83);
    let out = apply(&mut org, &Mutation { update_app_users: 1, deprovision_app_users: 1, ..Mutation::none() }, now(), 0);
    let t = truth(&org, now(), None);
    let updated = &t["fields"]["app_user_assignments"][first(&out, "updated_app_users")];
    assert_eq!(updated["scope"], "USER");
    assert_eq!(updated["last_updated"], okta_sim::model::okta_time(&now()));
    let gone = first(&out, "deprovisioned_app_users");
    assert_eq!(t["fields"]["app_user_assignments"][&gone]["status"], "DEPROVISIONED");
    let out = apply(&mut org, &Mutation { restore_app_users: 1, ..Mutation::none() }, now(), 0);
    let t = truth(&org, now(), None);
    assert_eq!(t["fields"]["app_user_assignments"][first(&out, "restored_app_users")]["status"], "PROVISIONED");
}

#[test]
fn authorization_servers_come_and_go_with_their_policies() {
    let mut org = org(84);
    let before = truth(&org, now(), None);
    let out = apply(&mut org, &Mutation { create_auth_servers: 1, deactivate_auth_servers: 1, ..Mutation::none() }, now(), 0);
    let t = truth(&org, now(), None);
    let created = first(&out, "created_auth_servers");
    assert!(ids(&t, "authorization_servers").contains(&created));
    assert_eq!(ids(&t, "authorization_server_policies").len(), ids(&before, "authorization_server_policies").len() + 1);
    assert_eq!(t["fields"]["authorization_servers"][first(&out, "deactivated_auth_servers")]["status"], "INACTIVE");
    let server = org.auth_servers.iter().find(|s| s.id == created).unwrap().clone();
    let out = apply(&mut org, &Mutation { delete_auth_servers: 5, ..Mutation::none() }, now(), 0);
    let t = truth(&org, now(), None);
    let deleted: Vec<&str> = out["deleted_auth_servers"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(deleted.contains(&created.as_str()), "every custom server goes: {deleted:?}");
    assert!(!ids(&t, "authorization_server_policies").contains(&server.policies[0].id));
    assert!(!ids(&t, "authorization_server_policy_rules").contains(&server.policies[0].rules[0].id));
    assert!(ids(&t, "authorization_servers").len() == 1, "only the default server is left");
}

#[test]
fn device_users_email_and_factor_types_show_in_the_truth() {
    let mut org = org(85);
    let out =
        apply(&mut org, &Mutation { add_device_users: 1, remove_device_users: 1, update_primary_email: 1, ..Mutation::none() }, now(), 0);
    let t = truth(&org, now(), None);
    let (device, user) = first(&out, "added_device_users").split_once(':').map(|(d, u)| (d.to_string(), u.to_string())).unwrap();
    assert!(t["fields"]["devices"][&device]["users"].get(&user).is_some());
    let (device, user) = first(&out, "removed_device_users").split_once(':').map(|(d, u)| (d.to_string(), u.to_string())).unwrap();
    assert!(t["fields"]["devices"][&device]["users"].get(&user).is_none());
    let who = first(&out, "updated_primary_emails");
    let email = t["fields"]["users"][&who]["email"].as_str().unwrap().to_string();
    assert!(email.contains("@mail.sim-acme.example"), "{email}");
    let ui = org.users.iter().position(|u| u.id == who).unwrap() as u32;
    let enrollment = org.enrollments[&ui].iter().find(|e| e.kind == "email").unwrap();
    assert_eq!(t["fields"]["authenticator_enrollments"][format!("{who}:{}", enrollment.id)]["identifier"], email.as_str());
    let sms_ids: BTreeSet<String> = org.factors.values().flatten().filter(|f| f.factor_type == "sms").map(|f| f.id.clone()).collect();
    let sms = |t: &Value| ids(t, "factors").iter().filter(|id| id.split_once(':').is_some_and(|(_, f)| sms_ids.contains(f))).count();
    let before = sms(&t);
    assert!(before > 0);
    apply(&mut org, &Mutation { deactivate_factor_types: vec!["sms".into()], ..Mutation::none() }, now(), 0);
    assert_eq!(sms(&truth(&org, now(), None)), 0, "a disabled factor type is not listed");
    apply(&mut org, &Mutation { activate_factor_types: vec!["sms".into()], ..Mutation::none() }, now(), 0);
    assert_eq!(sms(&truth(&org, now(), None)), before);
}

#[test]
fn reactivated_users_are_active_with_their_factors_in_the_truth_again() {
    let mut org = org(86);
    let out = apply(&mut org, &Mutation { deactivate_reactivate: 4, deactivate: 4, ..Mutation::none() }, now(), 0);
    let t = truth(&org, now(), None);
    let pair: Vec<&str> = out["deactivated_reactivated"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(pair.len(), 4);
    for id in &pair {
        assert_eq!(t["fields"]["users"][*id]["status"], "ACTIVE");
    }
    let off: Vec<&str> = out["deactivated"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for id in &off {
        assert_eq!(t["fields"]["users"][*id]["status"], "DEPROVISIONED");
        assert!(ids(&t, "factors").iter().all(|f| !f.starts_with(id)), "factors of deactivated users are no records");
    }
    let out = apply(&mut org, &Mutation { reactivate: 10, ..Mutation::none() }, now(), 0);
    let back: Vec<&str> = out["reactivated"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(off.iter().any(|id| back.contains(id)) || back.len() == 10);
    let t = truth(&org, now(), None);
    for id in &back {
        assert_eq!(t["fields"]["users"][*id]["status"], "ACTIVE");
    }
}
