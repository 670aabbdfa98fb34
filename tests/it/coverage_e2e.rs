//! End to end for the coverage families (issue 15): the emulator drives the connector against
//! the simulator over several seeds; every new field equals the truth, every record fits the
//! metadata, no seeded secret reaches an artifact or the state, and a full sync's API calls stay
//! within 1.02x of the simulator's minimum (which counts the new families). The TRACE-log check
//! is tests/secrets_in_logs.rs (its own binary: it installs a global subscriber).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use okta_airsync::extract::ITEM_TYPES;
use okta_airsync::metadata::validate::{check_document, check_record};
use okta_sim::{Faults, SimConfig, Sizes};
use serde_json::Value;

use crate::helpers::*;

fn job(w: &World, name: &str) -> Value {
    w.platform.state_section("su1", okta_airsync::connector::OktaConnector::STATE_KEY)[format!("job.{name}")].clone()
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().map(|x| x.as_str().unwrap().to_string()).collect()
}

/// Latest record per id of an item type, as DevRev holds it.
fn records(w: &World, t: &str) -> BTreeMap<String, Value> {
    w.emu.emu.store.lock().unwrap().records(t).into_iter().map(|r| (r["id"].as_str().unwrap().to_string(), r)).collect()
}

fn secrets(truth: &Value) -> Vec<String> {
    strs(&truth["secrets"])
}

/// No seeded secret in any uploaded artifact or in the stored state.
fn assert_no_secret(w: &World, truth: &Value) {
    let secrets = secrets(truth);
    assert!(secrets.len() > 10);
    let st = w.emu.emu.store.lock().unwrap();
    let mut files = 0;
    for entry in std::fs::read_dir(st.out.join("artifacts")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        files += 1;
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "seeded secret {s} in an artifact");
        }
    }
    assert!(files > 0);
    let state = st.states["su1"].clone();
    for s in &secrets {
        assert!(!state.contains(s.as_str()), "seeded secret {s} in the state");
    }
    // A `password` key, not the value: an authenticator enrollment's type may be "password".
    assert!(!state.contains("recovery_question") && !state.contains("\"password\":"), "no credential object in the state");
}

/// Every new field of the coverage families equals the truth's.
fn assert_new_fields(w: &World, truth: &Value) {
    let f = &truth["fields"];
    let users = records(w, "users");
    let mut providers = BTreeSet::new();
    for (id, r) in &users {
        let want = &f["users"][id];
        let d = &r["data"];
        assert_eq!(
            (&d["user_type_id"], &d["user_type_name"], &d["credentials_provider_type"], &d["credentials_provider_name"]),
            (&want["user_type"], &want["user_type_name"], &want["credentials_provider_type"], &want["credentials_provider_name"]),
            "user {id}"
        );
        providers.insert(d["credentials_provider_type"].as_str().unwrap().to_string());
        assert!(d.get("credentials").is_none() && d.get("recovery_question").is_none());
    }
    assert!(providers.len() >= 3, "users mastered in several places: {providers:?}");
    // Each user carries only its own type's custom attributes, typed as its schema says.
    let meta = metadata(w);
    let custom: BTreeMap<String, String> = meta["record_types"]["users"]["fields"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v["description"].as_str().is_some_and(|d| d.starts_with("Okta custom attribute")))
        .map(|(k, v)| (k.clone(), v["name"].as_str().unwrap().to_string()))
        .collect();
    let account_fields: Vec<&String> = custom.keys().filter(|k| k.contains("account_code")).collect();
    assert_eq!(account_fields.len(), 2, "accountCode, an integer on one type and a string on another, is two fields: {custom:?}");
    let types_of: BTreeMap<&str, String> =
        f["users"].as_object().unwrap().iter().map(|(id, v)| (id.as_str(), v["user_type"].as_str().unwrap_or("").to_string())).collect();
    let mut by_field_type: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (id, r) in &users {
        for k in custom.keys() {
            if r["data"].get(k).is_some() {
                by_field_type.entry(k.as_str()).or_default().insert(types_of[id.as_str()].clone());
            }
        }
    }
    for k in &account_fields {
        assert_eq!(by_field_type.get(k.as_str()).map(BTreeSet::len), Some(1), "{k} comes from one user type only");
    }
    for (id, r) in records(w, "groups") {
        let want = &f["groups"][&id];
        assert_eq!(
            (&r["data"]["group_type"], r["data"].get("source_app_id").unwrap_or(&Value::Null)),
            (&want["type"], &want["source_app_id"])
        );
    }
    for (id, r) in records(w, "devices") {
        let want = &f["devices"][&id]["users"];
        for (i, uid) in strs(&r["data"]["user_ids"]).iter().enumerate() {
            let w = &want[uid];
            assert_eq!(
                (&r["data"]["management_statuses"][i], &r["data"]["screen_lock_types"][i]),
                (&w["managementStatus"], &w["screenLockType"])
            );
        }
    }
    let members = records(w, "iam_role_members");
    let mut scopes = BTreeSet::new();
    for (id, r) in &members {
        let ra = id.split(':').next().unwrap();
        let want = &f["role_assignments"][ra];
        let d = &r["data"];
        assert_eq!(
            (&d["scope"], &d["target_group_ids"], &d["target_app_ids"]),
            (&want["scope"], &want["target_groups"], &want["target_apps"]),
            "{id}"
        );
        scopes.insert(d["scope"].as_str().unwrap().to_string());
    }
    assert_eq!(members.len(), f["role_assignments"].as_object().unwrap().len());
    assert_eq!(scopes.len(), 2, "limited and org-wide roles");
    let servers: BTreeSet<String> = w.truth_ids(truth, "authorization_servers");
    let server_policies: BTreeSet<String> = w.truth_ids(truth, "authorization_server_policies");
    let mut rules = 0;
    for (id, r) in records(w, "policies") {
        let d = &r["data"];
        if server_policies.contains(&id) {
            assert_eq!(d["policy_type"], "OAUTH_AUTHORIZATION_POLICY");
            assert!(servers.contains(d["authorization_server_id"].as_str().unwrap()));
            rules += d["rule_count"].as_u64().unwrap();
            let text = d["rules"].as_str().unwrap();
            assert!(text.contains("lifetimes_minutes"), "token lifetimes are kept: {text}");
        } else {
            assert!(d.get("authorization_server_id").is_none());
        }
    }
    assert_eq!(rules as usize, w.truth_ids(truth, "authorization_server_policy_rules").len());
    let mut phones = 0;
    for (id, r) in records(w, "authenticator_enrollments") {
        assert!(id.starts_with(r["data"]["user_id"].as_str().unwrap()));
        if let Some(p) = r["data"]["phone_number_masked"].as_str() {
            assert_eq!(p.chars().filter(char::is_ascii_digit).count(), 4, "only the last four digits: {p}");
            phones += 1;
        }
    }
    assert!(phones > 0, "phone enrollments are extracted, masked");
}

fn metadata(w: &World) -> Value {
    let st = w.emu.emu.store.lock().unwrap();
    let meta = st.records("external_domain_metadata");
    assert_eq!(meta.len(), 1);
    meta[0].clone()
}

/// Every item type equals the truth's ids, and every record fits the metadata.
fn assert_truth_and_metadata(w: &World, truth: &Value) {
    let meta = metadata(w);
    assert!(check_document(&meta).is_empty());
    for t in ITEM_TYPES {
        let want = w.truth_ids(truth, t);
        let got = w.stored_ids(t);
        assert!(!want.is_empty(), "{t}: the simulated org has none");
        assert_eq!(
            got,
            want,
            "{t}: missing {:?} extra {:?}",
            want.difference(&got).take(5).collect::<Vec<_>>(),
            got.difference(&want).take(5).collect::<Vec<_>>()
        );
        for r in w.emu.emu.store.lock().unwrap().records(t) {
            let errs = check_record(&meta, t, &r);
            assert!(errs.is_empty(), "{t}: {errs:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coverage_families_equal_the_truth_fit_the_metadata_and_leak_nothing_over_several_seeds() {
    for cfg in [
        small(51),
        SimConfig {
            seed: 52,
            sizes: Sizes { users: 800, groups: 50, apps: 10, devices: 300, log_events: 4000, ..Sizes::default() },
            ..SimConfig::default()
        },
        SimConfig {
            seed: 53,
            sizes: Sizes { users: 400, groups: 30, apps: 8, devices: 60, log_events: 1500, ..Sizes::default() },
            ..SimConfig::default()
        },
    ] {
        let seed = cfg.seed;
        let w = world(cfg, Duration::from_secs(600)).await;
        let rep = w.platform.run_sync("INITIAL").await;
        assert_eq!(rep.outcome, "DONE", "seed {seed}: {rep:?}");
        let truth = w.sim.sim.truth(None);
        assert_truth_and_metadata(&w, &truth);
        assert_new_fields(&w, &truth);
        assert_no_secret(&w, &truth);
        let min = truth["min_api_calls"].as_u64().unwrap();
        // Includes the sync-unit phase (the org) and the metadata phase (the user types again).
        let calls = w.sim_calls();
        let ratio = calls as f64 / min as f64;
        println!("seed {seed}: API calls {calls}, minimum {min}, ratio {ratio:.4}");
        if ratio > 1.02 {
            let routes = &w.sim.sim.stats()["routes"];
            let calls: BTreeMap<&String, &Value> = routes.as_object().unwrap().iter().map(|(k, v)| (k, &v["calls"])).collect();
            println!("by route: {calls:?}\nminimum by family: {}", truth["min_api_calls_by_family"]);
        }
        // A sync costs a few calls beyond the data phase's minimum whatever the org's size: the
        // org (sync units), the user types again (metadata phase: 1 + 3), the user list walked
        // by the factors and the enrollments fan-outs, the group list by the roles job, and the
        // catch-up round's System Log poll (which finds nothing changed, so nothing else is read
        // again). On a 60-user org (~180 calls) those 9 are 5 %; from a few hundred users on,
        // under 2 %.
        if w.truth_ids(&truth, "users").len() >= 300 {
            assert!(ratio <= 1.02, "seed {seed}: ratio {ratio}");
        } else {
            assert!(calls <= min + 9, "seed {seed}: {calls} calls, minimum {min}");
        }
        assert_eq!(job(&w, "authenticator_enrollments")["status"], "done");
        assert_eq!(w.violations(), Vec::<String>::new());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_or_unlicensed_coverage_families_skip_only_themselves() {
    let cfg = SimConfig {
        faults: Faults {
            deny: vec!["authorization_servers".into(), "user_types".into()],
            unlicensed: vec!["authenticator_enrollments".into()],
            ..Faults::default()
        },
        ..SimConfig { sizes: Sizes { users: 400, groups: 30, apps: 8, devices: 60, log_events: 1500, ..Sizes::default() }, ..small(54) }
    };
    let w = world(cfg, Duration::from_secs(600)).await;
    let rep = w.platform.run_sync("INITIAL").await;
    assert_eq!(rep.outcome, "DONE", "{rep:?}");
    let truth = w.sim.sim.truth(None);
    // The other policies are all there; the servers' policies are skipped with a note.
    let policies = job(&w, "policies");
    assert_eq!(policies["status"], "done");
    assert!(policies["note"].as_str().unwrap().contains("authorization server policies skipped: missing permission"), "{policies}");
    let plain: BTreeSet<String> = strs(&truth["record_types"]["policies"]["ids"]).into_iter().collect();
    assert_eq!(w.stored_ids("policies"), plain);
    // Enrollments: not licensed, the job skipped; factors untouched.
    let e = job(&w, "authenticator_enrollments");
    assert_eq!(e["status"], "skipped");
    assert!(e["skipped"]["authenticator_enrollments"].as_str().unwrap().starts_with("not licensed"), "{e}");
    assert!(w.stored_ids("authenticator_enrollments").is_empty());
    assert_eq!(w.stored_ids("factors"), w.truth_ids(&truth, "factors"));
    // User types denied: the default schema alone types every user.
    let users = job(&w, "users");
    assert!(users["note"].as_str().unwrap().contains("only the default user type's custom attributes"), "{users}");
    assert_eq!(w.stored_ids("users"), w.truth_ids(&truth, "users"));
    let meta = metadata(&w);
    for (t, recs) in [("users", records(&w, "users")), ("iam_role_members", records(&w, "iam_role_members"))] {
        for r in recs.values() {
            assert!(check_record(&meta, t, r).is_empty());
        }
    }
    assert_no_secret(&w, &truth);
    // Calls: the minimum less the denied families, plus what learning the denial costs (the
    // type list and the default schema in two phases, one server list, the enrollments in flight).
    let by = &truth["min_api_calls_by_family"];
    let min = truth["min_api_calls"].as_u64().unwrap()
        - ["authorization_servers", "user_types", "authenticator_enrollments"].iter().map(|f| by[f].as_u64().unwrap()).sum::<u64>();
    let calls = w.sim_calls();
    println!("denied families: API calls {calls}, minimum without them {min}");
    assert!(calls as f64 <= min as f64 * 1.02 + 10.0, "calls {calls}, minimum {min}");
}
