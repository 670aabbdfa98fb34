//! Sign-ins, group rules and the sign-in configuration: what the endpoints serve, what the
//! truth says, and what `/__sim/mutate` changes.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::{get, next_of, small, truth_ids};
use okta_sim as sim;
use okta_sim::mutate::Mutation;
use serde_json::{json, Value};

/// Every page of a list, following the Link headers.
async fn all_pages(base: &str, first: &str) -> Vec<Value> {
    let (mut out, mut url) = (Vec::new(), first.to_string());
    loop {
        let (status, h, body) = get(base, &url).await;
        assert_eq!(status, 200, "{url}: {body}");
        out.extend(body.as_array().unwrap().iter().cloned());
        match next_of(&h) {
            Some(n) => url = n.trim_start_matches(base).to_string(),
            None => return out,
        }
    }
}

/// The latest successful single sign-on per `appId:userId` among `events`, as a connector
/// reading the System Log would work it out: `(published, device, zone)`.
fn latest_sign_ins(events: &[Value]) -> BTreeMap<String, (String, String, String)> {
    let mut out: BTreeMap<String, (String, String, String)> = BTreeMap::new();
    for e in events.iter().filter(|e| e["eventType"] == "user.authentication.sso" && e["outcome"]["result"] == "SUCCESS") {
        let app = e["target"].as_array().unwrap().iter().find(|t| t["type"] == "AppInstance").unwrap()["id"].as_str().unwrap();
        let key = format!("{app}:{}", e["actor"]["id"].as_str().unwrap());
        let row = (e["published"].as_str().unwrap().to_string(), e["client"]["device"].to_string(), e["client"]["zone"].to_string());
        if out.get(&key).is_none_or(|x| x.0 < row.0) {
            out.insert(key, row);
        }
    }
    out
}

/// The truth's sign-ins as `(last_sign_in_at, device, zone)`, absent fields as Okta writes them.
fn truth_sign_ins(truth: &Value) -> BTreeMap<String, (String, String, String)> {
    truth["fields"]["app_sign_ins"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, f)| {
            let device = f.get("device").map_or_else(|| json!("Unknown").to_string(), Value::to_string);
            let zone = f.get("zone").map_or_else(|| json!("null").to_string(), Value::to_string);
            (k.clone(), (f["last_sign_in_at"].as_str().unwrap().to_string(), device, zone))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_truth_s_sign_ins_are_what_the_system_log_serves() {
    let h = sim::start(sim::SimConfig { sizes: sim::Sizes { log_events: 2000, ..small(41).sizes }, ..small(41) }).await.unwrap();
    let b = &h.base_url;
    let truth = h.sim.truth(None);
    let now = h.sim.clock.now();
    let start = sim::truth::default_log_start(now);
    let since = start.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let until = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let events = all_pages(b, &format!("/api/v1/logs?since={since}&until={until}&limit=1000")).await;
    let from_log = latest_sign_ins(&events);
    assert!(from_log.len() >= 10, "a realistic share of assignments signs in: {}", from_log.len());
    assert_eq!(truth_sign_ins(&truth), from_log);
    assert_eq!(truth_ids(&truth, "app_sign_ins").len(), from_log.len());
    // Sign-ins are made by the user to an app it is assigned to, some fail, some name a zone.
    let sso: Vec<&Value> = events.iter().filter(|e| e["eventType"] == "user.authentication.sso").collect();
    assert!(sso.iter().any(|e| e["outcome"]["result"] == "FAILURE"));
    assert!(sso.iter().any(|e| e["client"]["zone"] != "null"));
    for e in &sso {
        let types: Vec<&str> = e["target"].as_array().unwrap().iter().map(|t| t["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["AppInstance", "AppUser"]);
        assert_eq!(e["target"][1]["alternateId"], e["actor"]["alternateId"], "the AppUser is the actor's");
        assert!(e["debugContext"]["debugData"]["signOnMode"].is_string() && e["debugContext"]["debugData"]["initiationType"].is_string());
    }
    // No API call is counted for sign-ins.
    assert!(truth["min_api_calls_by_family"].get("app_sign_ins").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_added_by_a_change_set_move_the_latest_sign_in_and_deletions_take_pairs_away() {
    let h = sim::start(small(42)).await.unwrap();
    let before = h.sim.truth(None);
    h.sim.clock.advance(5);
    let app = truth_ids(&before, "applications")[0].clone();
    let user = truth_ids(&before, "users")[0].clone();
    let out =
        h.sim.mutate(&Mutation { sign_ins: 4, sign_in_pairs: vec![(app.clone(), user.clone())], failed_sign_ins: 3, ..Mutation::none() });
    let ins: Vec<String> = out["sign_ins"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(ins.len(), 5);
    assert_eq!(ins[4], format!("{app}:{user}"));
    h.sim.clock.advance(1);
    let after = h.sim.truth(None);
    let event_time = |k: &str| after["fields"]["app_sign_ins"][k]["last_sign_in_at"].as_str().unwrap().to_string();
    let newest = ins.iter().map(|k| event_time(k)).max().unwrap();
    for k in &ins {
        assert!(event_time(k).as_str() > before["fields"]["app_sign_ins"][k]["last_sign_in_at"].as_str().unwrap_or(""), "{k} moved");
        assert_eq!(event_time(k), newest, "{k} signed in now");
    }
    // Failed sign-ins are logged, never counted.
    for k in out["failed_sign_ins"].as_array().unwrap().iter().filter(|k| !ins.contains(&k.as_str().unwrap().to_string())) {
        let k = k.as_str().unwrap();
        assert_eq!(after["fields"]["app_sign_ins"][k]["last_sign_in_at"], before["fields"]["app_sign_ins"][k]["last_sign_in_at"], "{k}");
    }
    // A deleted app's pairs leave the truth and are listed as deleted.
    let app_pairs = |t: &Value| truth_ids(t, "app_sign_ins").into_iter().filter(|k| k.starts_with(&app)).collect::<Vec<_>>();
    let gone = app_pairs(&after);
    {
        let mut org = h.sim.org.write().unwrap();
        let ai = org.apps.iter().position(|a| a.id == app).unwrap();
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(1);
        let mut ev = sim::events::Emitter { rng: &mut rng, now: h.sim.clock.now(), lag_secs: 0, emitted: Vec::new() };
        sim::lifecycle::delete_app(&mut org, ai, &mut ev);
    }
    let last = h.sim.truth(None);
    assert!(app_pairs(&last).is_empty());
    let deleted: Vec<String> =
        last["deleted"]["app_sign_ins"]["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert!(gone.iter().all(|k| deleted.contains(k)), "{gone:?} in {deleted:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_rules_and_the_configuration_page_and_change_as_asked() {
    let h = sim::start(small(43)).await.unwrap();
    let b = &h.base_url;
    let truth = h.sim.truth(None);
    for (kind, path) in [
        ("group_rules", "/api/v1/groups/rules?limit=2"),
        ("network_zones", "/api/v1/zones?limit=2"),
        ("identity_providers", "/api/v1/idps?limit=1"),
        ("trusted_origins", "/api/v1/trustedOrigins?limit=1"),
        ("authenticators", "/api/v1/authenticators"),
    ] {
        let ids: Vec<String> = all_pages(b, path).await.iter().map(|v| v["id"].as_str().unwrap().to_string()).collect();
        assert_eq!(ids, truth_ids(&truth, kind), "{kind}");
    }
    let (_, _, rules) = get(b, "/api/v1/groups/rules?limit=500&expand=groupIdToGroupNameMap").await;
    assert!(rules.as_array().unwrap().len() >= 3);
    assert!(rules[0]["_embedded"]["groupIdToGroupNameMap"].is_object());
    let keys: Vec<String> =
        truth["fields"]["authenticators"].as_object().unwrap().values().map(|f| f["key"].as_str().unwrap().to_string()).collect();
    for key in ["okta_password", "okta_email", "okta_verify", "phone_number", "webauthn", "duo"] {
        assert!(keys.iter().any(|k| k == key), "{key}");
    }
    let (_, _, zones) = get(b, "/api/v1/zones").await;
    assert!(zones.as_array().unwrap().iter().any(|z| z["usage"] == "BLOCKLIST"));
    assert!(zones.as_array().unwrap().iter().any(|z| z["type"] == "DYNAMIC"));
    // Seeded secrets are served where Okta serves them, and listed.
    let secrets: Vec<String> = truth["secrets"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    let (_, _, idps) = get(b, "/api/v1/idps").await;
    let (_, _, auths) = get(b, "/api/v1/authenticators").await;
    let served = format!("{idps}{auths}");
    let seeded: Vec<&String> = secrets.iter().filter(|s| s.starts_with("SIMSECRET-idp") || s.starts_with("SIMSECRET-duo")).collect();
    assert!(seeded.len() >= 2 && seeded.iter().all(|s| served.contains(s.as_str())), "{seeded:?}");

    let out = h.sim.mutate(&Mutation {
        create_group_rules: 1,
        deactivate_group_rules: 1,
        delete_group_rules: 1,
        deactivate_zones: 1,
        deactivate_idps: 1,
        deactivate_authenticators: 1,
        delete_trusted_origins: 1,
        ..Mutation::none()
    });
    let after = h.sim.truth(None);
    let created = out["created_group_rules"][0].as_str().unwrap();
    assert_eq!(after["fields"]["group_rules"][created]["status"], "INACTIVE");
    let deleted = out["deleted_group_rules"][0].as_str().unwrap();
    assert!(!truth_ids(&after, "group_rules").contains(&deleted.to_string()));
    assert_eq!(after["deleted"]["group_rules"]["ids"][0], deleted);
    for (kind, key) in [
        ("network_zones", "deactivated_zones"),
        ("identity_providers", "deactivated_idps"),
        ("authenticators", "deactivated_authenticators"),
    ] {
        let id = out[key][0].as_str().unwrap();
        assert_eq!(after["fields"][kind][id]["status"], "INACTIVE", "{kind}");
    }
    assert_eq!(truth_ids(&after, "trusted_origins").len() + 1, truth_ids(&truth, "trusted_origins").len());
    let (status, _, _) = get(b, &format!("/api/v1/groups/rules/{deleted}")).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_endpoints_have_okta_s_buckets_scopes_refusals_and_page_sizes() {
    let cfg = sim::SimConfig {
        faults: sim::Faults { unlicensed: vec!["identity_providers".into()], ..Default::default() },
        sizes: sim::Sizes { groups: 120, ..small(44).sizes },
        ..small(44)
    };
    let h = sim::start(cfg).await.unwrap();
    let b = &h.base_url;
    let limit_of = |hd: &reqwest::header::HeaderMap| hd["x-rate-limit-limit"].to_str().unwrap().to_string();
    let (_, hd, rules) = get(b, "/api/v1/groups/rules").await;
    assert_eq!(limit_of(&hd), "500", "the group-list bucket (Workforce)");
    assert_eq!(rules.as_array().unwrap().len(), 6, "120 groups: 6 rules, all on the default page of 50");
    for path in ["/api/v1/authenticators", "/api/v1/zones", "/api/v1/trustedOrigins"] {
        let (status, hd, _) = get(b, path).await;
        assert_eq!((status, limit_of(&hd).as_str()), (200, "1200"), "{path}: the catch-all");
    }
    let (status, _, body) = get(b, "/api/v1/idps").await;
    assert_eq!((status, body["errorCode"].as_str()), (401, Some("E0000015")));
    h.sim.set_denied(vec!["group_rules".into(), "trusted_origins".into()]);
    for path in ["/api/v1/groups/rules", "/api/v1/trustedOrigins"] {
        let (status, _, body) = get(b, path).await;
        assert_eq!((status, body["errorCode"].as_str()), (403, Some("E0000006")), "{path}");
    }
    let (status, _, _) = get(b, "/api/v1/groups?limit=1").await;
    assert_eq!(status, 200, "groups stay readable");
    for (path, scope) in [
        ("/api/v1/groups/rules", "okta.groups.read"),
        ("/api/v1/groups/rules/0pr1", "okta.groups.read"),
        ("/api/v1/authenticators", "okta.authenticators.read"),
        ("/api/v1/authenticators/aut1", "okta.authenticators.read"),
        ("/api/v1/zones", "okta.networkZones.read"),
        ("/api/v1/idps", "okta.idps.read"),
        ("/api/v1/trustedOrigins", "okta.trustedOrigins.read"),
    ] {
        assert_eq!(sim::oauth::scopes::for_get(path).map(|s| s.to_vec()), Some(vec![scope.to_string()]), "{path}");
    }
    let truth = h.sim.truth(None);
    let family = |k: &str| truth["min_api_calls_by_family"][k].as_u64().unwrap();
    assert_eq!((family("group_rules"), family("authenticators"), family("network_zones")), (1, 1, 1));
    assert_eq!((family("identity_providers"), family("trusted_origins")), (1, 1));
    let sum: u64 = truth["min_api_calls_by_bucket"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(Some(sum), truth["min_api_calls"].as_u64());
}
