//! An org that moves while it is read: churn, late System Log events, and the events every
//! mutation writes.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::{get, next_of, small, truth_ids};
use okta_sim::mutate::Mutation;
use okta_sim::{self as sim, Faults, SimConfig};
use serde_json::Value;

/// Every id of a paged list, following next links.
async fn all_ids(base: &str, first: &str) -> BTreeSet<String> {
    let mut url = format!("{base}{first}");
    let mut ids = BTreeSet::new();
    loop {
        let (s, hd, body) = get("", &url).await;
        assert_eq!(s, 200, "{url}");
        ids.extend(body.as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_string()));
        match next_of(&hd) {
            Some(n) => url = n,
            None => return ids,
        }
    }
}

/// Every System Log event from the start of the retention, polling until an empty page.
async fn all_events(base: &str) -> Vec<Value> {
    let since = (chrono::Utc::now() - chrono::Duration::days(89)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut url = format!("{base}/api/v1/logs?since={since}&sortOrder=ASCENDING&limit=1000");
    let mut out = Vec::new();
    loop {
        let (s, hd, body) = get("", &url).await;
        assert_eq!(s, 200);
        let page = body.as_array().unwrap().clone();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
        url = next_of(&hd).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_deletes_while_serving_and_the_truth_follows() {
    // 3 changes a minute: the test's own run time (seconds) adds none; the clock's 20 minutes add 60.
    let cfg = SimConfig {
        sizes: okta_sim::Sizes { users: 300, groups: 40, apps: 10, devices: 40, log_events: 100, ..Default::default() },
        faults: Faults { churn_per_min: 3.0, ..Faults::default() },
        ..small(51)
    };
    let h = sim::start(cfg).await.unwrap();
    let b = &h.base_url;
    let before = h.sim.truth(None);
    let groups_before = truth_ids(&before, "groups");
    assert!(before["deleted"].as_object().unwrap().is_empty());
    h.sim.clock.advance(1200);
    // The next request applies the changes that fell due.
    assert_eq!(get(b, "/api/v1/org").await.0, 200);
    let after = h.sim.truth(None);
    let deleted = after["deleted"].as_object().unwrap();
    let removed: usize = deleted.values().map(|v| v["count"].as_u64().unwrap() as usize).sum();
    assert!(removed >= 20, "about 60 changes, most of them removals: {deleted:?}");
    // Deleted parents answer 404 to their child calls.
    let gone_groups: Vec<String> =
        deleted.get("groups").map(|g| truth_ids(&serde_json::json!({"record_types": {"g": g}}), "g")).unwrap_or_default();
    for g in &gone_groups {
        assert!(groups_before.contains(g));
        let (s, _, body) = get(b, &format!("/api/v1/groups/{g}/users")).await;
        assert_eq!((s, body["errorCode"].as_str()), (404, Some("E0000007")));
    }
    let gone_users: Vec<String> =
        deleted.get("users").map(|u| truth_ids(&serde_json::json!({"record_types": {"u": u}}), "u")).unwrap_or_default();
    for u in &gone_users {
        let (s, _, _) = get(b, &format!("/api/v1/users/{u}/factors")).await;
        assert_eq!(s, 404);
    }
    assert!(!gone_users.is_empty() || !gone_groups.is_empty(), "{deleted:?}");
    // What the API lists equals the truth at the end.
    let mut users = all_ids(b, "/api/v1/users?limit=50").await;
    users.extend(all_ids(b, "/api/v1/users?limit=50&filter=status%20eq%20%22DEPROVISIONED%22").await);
    let shadow: BTreeSet<String> = h.sim.org.read().unwrap().users.iter().filter(|u| u.status == "shadow").map(|u| u.id.clone()).collect();
    let want: BTreeSet<String> = truth_ids(&after, "users").into_iter().collect();
    assert_eq!(users.difference(&shadow).cloned().collect::<BTreeSet<_>>(), want);
    assert_eq!(all_ids(b, "/api/v1/groups").await, truth_ids(&after, "groups").into_iter().collect());
    assert_eq!(all_ids(b, "/api/v1/apps").await, truth_ids(&after, "applications").into_iter().collect());
    assert_eq!(all_ids(b, "/api/v1/devices").await, truth_ids(&after, "devices").into_iter().collect());
    let mut members = BTreeSet::new();
    for g in truth_ids(&after, "groups") {
        for u in all_ids(b, &format!("/api/v1/groups/{g}/users")).await {
            members.insert(format!("{g}:{u}"));
        }
    }
    let want_members: BTreeSet<String> = truth_ids(&after, "group_members").into_iter().collect();
    assert_eq!(members.difference(&shadow_edges(&members, &shadow)).cloned().collect::<BTreeSet<_>>(), want_members);
    // Every deletion is in the System Log.
    let events = all_events(b).await;
    for u in &gone_users {
        assert!(
            events.iter().any(|e| e["eventType"] == "user.lifecycle.delete.completed" && e["target"][0]["id"] == u.as_str()),
            "no delete event for {u}"
        );
    }
    for g in &gone_groups {
        assert!(events.iter().any(|e| e["eventType"] == "group.lifecycle.delete" && e["target"][0]["id"] == g.as_str()));
    }
}

/// The member edges that point at placeholder users (not records).
fn shadow_edges(members: &BTreeSet<String>, shadow: &BTreeSet<String>) -> BTreeSet<String> {
    members.iter().filter(|m| shadow.contains(m.split(':').nth(1).unwrap())).cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_is_seeded_and_off_by_default() {
    let run = |churn: f64| async move {
        let cfg = SimConfig { faults: Faults { churn_per_min: churn, ..Faults::default() }, ..small(52) };
        let h = sim::start(cfg).await.unwrap();
        h.sim.clock.advance(600);
        get(&h.base_url, "/api/v1/org").await;
        h.sim.truth(None)["deleted"].clone()
    };
    assert_eq!(run(0.0).await, serde_json::json!({}));
    let (a, b) = (run(6.0).await, run(6.0).await);
    assert_eq!(a, b, "the same seed and clock give the same changes");
    assert_ne!(a, serde_json::json!({}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_events_are_missed_by_a_bounded_window_and_found_by_polling() {
    let cfg = SimConfig { faults: Faults { log_lag_secs: 600, ..Faults::default() }, ..small(53) };
    let h = sim::start(cfg).await.unwrap();
    let b = &h.base_url;
    // A poller reaches the end of the log; its next link is the checkpoint.
    let since = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut url = format!("{b}/api/v1/logs?since={since}&sortOrder=ASCENDING&limit=1000");
    let checkpoint = loop {
        let (_, hd, body) = get("", &url).await;
        let next = next_of(&hd).unwrap();
        if body.as_array().unwrap().is_empty() {
            break next;
        }
        url = next;
    };
    h.sim.clock.advance(1);
    let window_end = h.sim.clock.now();
    let bounded = format!(
        "/api/v1/logs?since={}&until={}&sortOrder=ASCENDING&limit=1000",
        (window_end - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        window_end.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    );
    let (_, _, early) = get(b, &bounded).await;
    h.sim.clock.advance(300);
    let added = h.sim.mutate(&Mutation { logs: 40, ..Mutation::none() });
    let new: Vec<String> = added["logs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(new.len(), 40);
    // Their `published` lies up to 600 s before they became visible: most before the window end.
    let (_, _, late) = get(b, &bounded).await;
    let uuids = |v: &Value| v.as_array().unwrap().iter().map(|e| e["uuid"].as_str().unwrap().to_string()).collect::<BTreeSet<_>>();
    let late_in_window: BTreeSet<String> = uuids(&late).difference(&uuids(&early)).cloned().collect();
    assert!(!late_in_window.is_empty() && late_in_window.len() < 40, "{}", late_in_window.len());
    // The poller's checkpoint returns every new event once, in persistence order.
    let (_, _, polled) = get("", &checkpoint).await;
    let got: Vec<String> = polled.as_array().unwrap().iter().map(|e| e["uuid"].as_str().unwrap().to_string()).collect();
    assert_eq!(got, new);
    let published: Vec<chrono::DateTime<chrono::Utc>> =
        polled.as_array().unwrap().iter().map(|e| e["published"].as_str().unwrap().parse().unwrap()).collect();
    let now = h.sim.clock.now();
    assert!(published.iter().all(|p| *p <= now && *p >= now - chrono::Duration::seconds(601)));
    assert!(published.windows(2).any(|w| w[0] > w[1]), "persistence order is not published order");
    // Exactly the new events published before the window's end showed up in it, late.
    let want: BTreeSet<String> = polled
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["published"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap() < window_end)
        .map(|e| e["uuid"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(late_in_window, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mutation_writes_okta_s_system_log_events() {
    let h = sim::start(small(54)).await.unwrap();
    let b = &h.base_url;
    let (_, _, me) = get(b, "/api/v1/users/me").await;
    let m = Mutation {
        users: 1,
        deactivate: 1,
        delete_users: 1,
        delete_groups: 1,
        delete_apps: 1,
        remove_members: 1,
        unassign_app_users: 1,
        reset_factors: 1,
        grant_roles: 1,
        revoke_roles: 1,
        ..Mutation::none()
    };
    let changed = h.sim.mutate(&m);
    let new: BTreeSet<String> = changed["logs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    let events: Vec<Value> = all_events(b).await.into_iter().filter(|e| new.contains(e["uuid"].as_str().unwrap())).collect();
    assert_eq!(events.len(), new.len());
    let types: BTreeSet<&str> = events.iter().map(|e| e["eventType"].as_str().unwrap()).collect();
    for t in [
        "user.account.update_profile",
        "user.lifecycle.deactivate",
        "user.lifecycle.delete.completed",
        "group.lifecycle.delete",
        "application.lifecycle.delete",
        "group.user_membership.remove",
        "application.user_membership.remove",
        "user.mfa.factor.deactivate",
        "user.account.privilege.grant",
        "user.account.privilege.revoke",
    ] {
        assert!(types.contains(t), "{t} missing from {types:?}");
    }
    for e in &events {
        assert_eq!(e["actor"]["id"], me["id"], "the token owner acts");
        assert_eq!(e["actor"]["type"], "User");
        let targets = e["target"].as_array().unwrap();
        assert!(!targets.is_empty());
        for t in targets {
            assert!(["User", "UserGroup", "AppInstance", "AppUser", "Device"].contains(&t["type"].as_str().unwrap()), "{t}");
            assert!(t["id"].is_string() && t["displayName"].is_string() && t["alternateId"].is_string());
        }
    }
    let membership = events.iter().find(|e| e["eventType"] == "group.user_membership.remove").unwrap();
    let kinds: Vec<&str> = membership["target"].as_array().unwrap().iter().map(|t| t["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["User", "UserGroup"]);
    let assignment = events.iter().find(|e| e["eventType"] == "application.user_membership.remove").unwrap();
    let kinds: Vec<&str> = assignment["target"].as_array().unwrap().iter().map(|t| t["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["AppUser", "AppInstance", "User"]);
    let grant = events.iter().find(|e| e["eventType"] == "user.account.privilege.grant").unwrap();
    assert!(grant["debugContext"]["debugData"]["privilegeGranted"].is_string());
    // The truth lists what went away.
    let truth = h.sim.truth(None);
    for (key, kind) in [("deleted_users", "users"), ("deleted_groups", "groups"), ("deleted_apps", "applications")] {
        let ids = changed[key].as_array().unwrap();
        assert_eq!(ids.len(), 1, "{key}");
        assert!(truth_ids(&truth["deleted"].clone().as_object().map(|d| serde_json::json!({"record_types": d})).unwrap(), kind)
            .contains(&ids[0].as_str().unwrap().to_string()));
        assert!(!truth_ids(&truth, kind).contains(&ids[0].as_str().unwrap().to_string()));
    }
}
