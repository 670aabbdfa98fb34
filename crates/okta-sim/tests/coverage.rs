//! User types, credentials providers, authorization servers, role targets, app groups, device
//! posture and authenticator enrollments: served as the truth says, paged, gated and
//! deterministic, with the truth's call counts reachable.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{get, next_of, small, truth_ids};
use okta_sim::{self as sim, Faults, SimConfig};
use serde_json::Value;

/// GETs with a `Content-Type` header.
async fn get_ct(base: &str, path_q: &str, ct: &str) -> Value {
    let r = reqwest::Client::new()
        .get(format!("{base}{path_q}"))
        .header("authorization", "SSWS sim-token")
        .header("content-type", ct)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path_q}");
    r.json().await.unwrap()
}

/// Every item of a paged list and the number of calls it took.
async fn all(base: &str, first: &str) -> (Vec<Value>, usize) {
    let (mut url, mut out, mut calls) = (format!("{base}{first}"), Vec::new(), 0);
    loop {
        let (s, hd, body) = get("", &url).await;
        assert_eq!(s, 200, "{url}");
        calls += 1;
        out.extend(body.as_array().unwrap().iter().cloned());
        match next_of(&hd) {
            Some(n) => url = n,
            None => return (out, calls),
        }
    }
}

fn ids(items: &[Value]) -> BTreeSet<String> {
    items.iter().map(|x| x["id"].as_str().unwrap().to_string()).collect()
}

fn family(truth: &Value, name: &str) -> u64 {
    truth["min_api_calls_by_family"][name].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_types_have_their_own_schemas_and_users_carry_their_type_s_attributes() {
    let h = sim::start(small(31)).await.unwrap();
    let b = &h.base_url;
    let truth = h.sim.truth(None);
    let (_, _, types) = get(b, "/api/v1/meta/types/user").await;
    let types = types.as_array().unwrap();
    assert_eq!(ids(types), truth_ids(&truth, "user_types").into_iter().collect());
    assert_eq!(types.len(), 3);
    assert_eq!(types.iter().filter(|t| t["default"] == true).count(), 1);
    let mut attr_types: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut calls = 1;
    for t in types {
        let href = t["_links"]["schema"]["href"].as_str().unwrap();
        let (s, _, schema) = get("", href).await;
        calls += 1;
        assert_eq!(s, 200, "{href}");
        let custom = schema["definitions"]["custom"]["properties"].as_object().unwrap();
        let want = &truth["fields"]["user_types"][t["id"].as_str().unwrap()]["attributes"];
        assert_eq!(want.as_object().unwrap().len(), custom.len());
        for (name, p) in custom {
            assert_eq!(&p["type"], &want[name], "{name}");
            attr_types.entry(name.clone()).or_default().insert(p["type"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(calls, family(&truth, "user_types"), "one list call and one schema call per type");
    assert_eq!(attr_types["accountCode"], BTreeSet::from(["integer".to_string(), "string".to_string()]), "a name on two types, two types");
    assert_eq!(attr_types["isContractor"].len(), 1, "same name, same type");
    // The default schema answers under `default` as well as its own id; an unknown id is a 404.
    assert_eq!(get(b, "/api/v1/meta/schemas/user/default").await.2["definitions"]["custom"]["properties"]["pinHash"]["format"], "hashed");
    assert_eq!(get(b, "/api/v1/meta/schemas/user/oscNOPE000000000000").await.0, 404);
    // Users carry their type's id and only that type's custom attributes.
    let (users, _) = all(b, "/api/v1/users?limit=200").await;
    let by_type: BTreeMap<&str, &Value> = types.iter().map(|t| (t["id"].as_str().unwrap(), t)).collect();
    let mut seen_types = BTreeSet::new();
    for u in &users {
        let tid = u["type"]["id"].as_str().unwrap();
        seen_types.insert(tid.to_string());
        if u["status"] != "shadow" {
            assert_eq!(truth["fields"]["users"][u["id"].as_str().unwrap()]["user_type"], tid);
        }
        let attrs = truth["fields"]["user_types"][tid]["attributes"].as_object().unwrap();
        for k in ["accountCode", "costCenterCode", "partnerTier", "agency"] {
            if u["profile"].get(k).is_some() {
                assert!(attrs.contains_key(k), "{k} on a user of type {}", by_type[tid]["name"]);
            }
        }
        if let Some(v) = u["profile"].get("accountCode") {
            let want = if by_type[tid]["name"] == "partner" { v.is_i64() } else { v.is_string() };
            assert!(want, "accountCode {v} on {}", by_type[tid]["name"]);
        }
    }
    assert_eq!(seen_types.len(), 3, "users of every type");
    let partner = types.iter().find(|t| t["name"] == "partner").unwrap()["id"].as_str().unwrap().to_string();
    let (filtered, _) = all(b, &format!("/api/v1/users?search=type.id%20eq%20%22{partner}%22")).await;
    assert!(!filtered.is_empty() && filtered.iter().all(|u| u["type"]["id"] == partner.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_show_the_provider_and_okta_response_omits_what_it_names() {
    let h = sim::start(small(32)).await.unwrap();
    let b = &h.base_url;
    let truth = h.sim.truth(None);
    let secrets: Vec<String> = truth["secrets"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
    let (plain, _) = all(b, "/api/v1/users?limit=200").await;
    let mut kinds = BTreeSet::new();
    for u in &plain {
        let want = &truth["fields"]["users"][u["id"].as_str().unwrap()];
        if want.is_null() {
            assert_eq!(u["status"], "shadow", "only placeholders are no records");
            continue;
        }
        let p = &u["credentials"]["provider"];
        assert_eq!((&p["type"], &p["name"]), (&want["credentials_provider_type"], &want["credentials_provider_name"]));
        kinds.insert(p["type"].as_str().unwrap().to_string());
        let federated = ["FEDERATION", "SOCIAL"].contains(&p["type"].as_str().unwrap());
        assert_eq!(u["credentials"].get("password").is_none(), federated, "no password object for federated users");
        if let Some(pw) = u["credentials"].get("password") {
            assert_eq!(pw, &serde_json::json!({}), "a password value is never served");
        }
        if let Some(q) = u["credentials"].get("recovery_question") {
            assert!(q.get("answer").is_none());
            assert!(secrets.contains(&q["question"].as_str().unwrap().to_string()), "recovery questions are listed as secrets");
        }
    }
    assert_eq!(kinds.len(), 5, "{kinds:?}");
    let omitted = get_ct(b, "/api/v1/users?limit=200", "application/json; okta-response=omitCredentials").await;
    assert!(omitted.as_array().unwrap().iter().all(|u| u.get("credentials").is_none() && u["_links"]["self"].is_object()));
    let no_links = get_ct(b, "/api/v1/users?limit=200", "application/json; okta-response=\"omitCredentialsLinks\"").await;
    assert_eq!(no_links.as_array().unwrap().len(), omitted.as_array().unwrap().len());
    assert!(no_links.as_array().unwrap().iter().all(|u| u["credentials"]["provider"]["type"].is_string()));
    // One user: the full link set, less the credential operations with omitCredentialsLinks.
    let okta_user = plain.iter().find(|u| u["credentials"]["provider"]["type"] == "OKTA").unwrap()["id"].as_str().unwrap().to_string();
    let full = get_ct(b, &format!("/api/v1/users/{okta_user}"), "application/json").await;
    for k in ["changePassword", "resetPassword", "forgotPassword", "changeRecoveryQuestion", "resetFactors", "schema", "type"] {
        assert!(full["_links"][k]["href"].is_string(), "{k}");
    }
    let lean = get_ct(b, &format!("/api/v1/users/{okta_user}"), "application/json; okta-response=omitCredentialsLinks").await;
    for k in ["changePassword", "resetPassword", "forgotPassword", "changeRecoveryQuestion", "resetFactors", "unlock"] {
        assert!(lean["_links"].get(k).is_none(), "{k}");
    }
    assert_eq!(lean["credentials"]["provider"], full["credentials"]["provider"]);
    let both =
        get_ct(b, &format!("/api/v1/users/{okta_user}"), "application/json; okta-response=omitCredentials,omitCredentialsLinks").await;
    assert!(both.get("credentials").is_none() && both["_links"].get("changePassword").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_servers_policies_and_rules_page_and_match_the_truth() {
    let h = sim::start(small(33)).await.unwrap();
    let b = &h.base_url;
    let truth = h.sim.truth(None);
    let (servers, pages) = all(b, "/api/v1/authorizationServers?limit=1").await;
    assert_eq!(pages, servers.len(), "limit=1 pages one by one");
    assert!(servers.len() >= 3 && servers.iter().any(|s| s["name"] == "default"));
    let (servers, mut calls) = all(b, "/api/v1/authorizationServers").await;
    assert_eq!(ids(&servers), truth_ids(&truth, "authorization_servers").into_iter().collect());
    let (mut policies, mut rules) = (BTreeSet::new(), BTreeSet::new());
    for s in &servers {
        let (_, _, ps) = get("", s["_links"]["policies"]["href"].as_str().unwrap()).await;
        calls += 1;
        for p in ps.as_array().unwrap() {
            assert_eq!(p["type"], "OAUTH_AUTHORIZATION_POLICY");
            policies.insert(p["id"].as_str().unwrap().to_string());
            let (_, _, rs) = get("", p["_links"]["rules"]["href"].as_str().unwrap()).await;
            calls += 1;
            rules.extend(rs.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()));
        }
    }
    assert_eq!(policies, truth_ids(&truth, "authorization_server_policies").into_iter().collect());
    assert_eq!(rules, truth_ids(&truth, "authorization_server_policy_rules").into_iter().collect());
    assert_eq!(calls as u64, family(&truth, "authorization_servers"));
    let (s, _, body) = get(b, "/api/v1/authorizationServers/ausNOPE000000000000/policies").await;
    assert_eq!((s, body["errorCode"].as_str()), (404, Some("E0000007")));
    // No secret of the org anywhere in these answers.
    let text = serde_json::to_string(&servers).unwrap();
    assert!(truth["secrets"].as_array().unwrap().iter().all(|x| !text.contains(x.as_str().unwrap())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_targets_limit_some_roles_and_not_others() {
    let h = sim::start(small(34)).await.unwrap();
    let b = &h.base_url;
    let truth = h.sim.truth(None);
    let assignees: Vec<(String, String, String)> = {
        let org = h.sim.org.read().unwrap();
        let u = org.user_roles.iter().filter(|(u, _)| org.users[**u as usize].status != "shadow").flat_map(|(u, rs)| {
            rs.iter().map(|r| ("users".to_string(), org.users[*u as usize].id.clone(), r.id.clone())).collect::<Vec<_>>()
        });
        let g = org.group_roles.iter().flat_map(|(g, rs)| {
            rs.iter().map(|r| ("groups".to_string(), org.groups[*g as usize].id.clone(), r.id.clone())).collect::<Vec<_>>()
        });
        u.chain(g).collect()
    };
    let fields = truth["fields"]["role_assignments"].as_object().unwrap();
    let scopes: BTreeSet<&str> = fields.values().map(|f| f["scope"].as_str().unwrap()).collect();
    assert_eq!(scopes, BTreeSet::from(["ALL", "LIMITED"]));
    let mut found = BTreeSet::new();
    for (kind, who, ra) in &assignees {
        let f = &fields[ra.as_str()];
        let (gs, _) = all(b, &format!("/api/v1/{kind}/{who}/roles/{ra}/targets/groups?limit=1")).await;
        let (apps, _) = all(b, &format!("/api/v1/{kind}/{who}/roles/{ra}/targets/catalog/apps?limit=1")).await;
        let got_groups: Vec<&str> = gs.iter().map(|g| g["id"].as_str().unwrap()).collect();
        let want_groups: Vec<&str> = f["target_groups"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
        assert_eq!(got_groups, want_groups, "{ra}");
        let got_apps: BTreeSet<String> = apps.iter().map(|a| a.get("id").unwrap_or(&a["name"]).as_str().unwrap().to_string()).collect();
        let want_apps: BTreeSet<String> = f["target_apps"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect();
        assert_eq!(got_apps, want_apps, "{ra}");
        found.extend(got_groups.iter().chain(got_apps.iter().map(String::as_str).collect::<Vec<_>>().iter()).map(|t| format!("{ra}:{t}")));
        // The same targets embedded in the roles list.
        let (_, _, roles) = get(b, &format!("/api/v1/{kind}/{who}/roles?expand=targets/groups")).await;
        let role = roles.as_array().unwrap().iter().find(|r| r["id"] == ra.as_str()).unwrap();
        if ["USER_ADMIN", "HELP_DESK_ADMIN", "GROUP_MEMBERSHIP_ADMIN"].contains(&f["type"].as_str().unwrap()) {
            assert_eq!(role["_embedded"]["targets"]["groups"].as_array().unwrap().len(), want_groups.len());
        } else {
            assert!(role.get("_embedded").is_none());
        }
    }
    assert_eq!(found, truth_ids(&truth, "role_targets").into_iter().collect());
    let app_admin = fields.iter().find(|(_, f)| f["type"] == "APP_ADMIN" && f["scope"] == "LIMITED").unwrap();
    let (kind, who, ra) = assignees.iter().find(|(_, _, r)| r == app_admin.0).unwrap();
    let (_, _, roles) = get(b, &format!("/api/v1/{kind}/{who}/roles?expand=targets/catalog/apps")).await;
    let role = roles.as_array().unwrap().iter().find(|r| r["id"] == ra.as_str()).unwrap();
    assert_eq!(role["_embedded"]["targets"]["catalog"]["apps"].as_array().unwrap().len(), 2, "an instance and a catalog app");
    let (s, _, body) = get(b, &format!("/api/v1/{kind}/{who}/roles?expand=targets/groups,targets/catalog/apps")).await;
    assert_eq!((s, body["errorCode"].as_str()), (400, Some("E0000001")), "one documented expand value per request");
    let (s, _, _) = get(b, &format!("/api/v1/{kind}/{who}/roles/ra1NOPE/targets/groups")).await;
    assert_eq!(s, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_groups_name_their_source_and_devices_carry_posture() {
    let h = sim::start(small(35)).await.unwrap();
    let b = &h.base_url;
    let truth = h.sim.truth(None);
    let (groups, _) = all(b, "/api/v1/groups?expand=app").await;
    let mut kinds = BTreeSet::new();
    for g in &groups {
        let want = &truth["fields"]["groups"][g["id"].as_str().unwrap()];
        assert_eq!(g["type"], want["type"]);
        kinds.insert(g["type"].as_str().unwrap().to_string());
        let source = g["_links"]["source"]["href"].as_str().map(|h| h.rsplit('/').next().unwrap().to_string());
        assert_eq!(source.as_deref(), want["source_app_id"].as_str());
        if let Some(s) = source {
            assert_eq!(g["_embedded"]["app"]["id"], s.as_str());
            assert_eq!(g["objectClass"][0], "okta:windows_security_principal");
        }
    }
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    let (devices, _) = all(b, "/api/v1/devices?expand=user").await;
    let mut postures = BTreeSet::new();
    for d in &devices {
        let want = &truth["fields"]["devices"][d["id"].as_str().unwrap()]["users"];
        for du in d["_embedded"]["users"].as_array().unwrap() {
            let w = &want[du["user"]["id"].as_str().unwrap()];
            assert_eq!((&du["managementStatus"], &du["screenLockType"]), (&w["managementStatus"], &w["screenLockType"]));
            postures.insert(format!("{}/{}", du["managementStatus"], du["screenLockType"]));
        }
    }
    assert!(postures.len() >= 4, "{postures:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authenticator_enrollments_match_the_truth_and_mask_phones() {
    let h = sim::start(small(36)).await.unwrap();
    let b = &h.base_url;
    let truth = h.sim.truth(None);
    let want: BTreeSet<String> = truth_ids(&truth, "authenticator_enrollments").into_iter().collect();
    let owners: BTreeSet<String> = want.iter().map(|x| x.split(':').next().unwrap().to_string()).collect();
    let mut got = BTreeSet::new();
    let mut phone_user = None;
    for u in &owners {
        let (s, _, es) = get(b, &format!("/api/v1/users/{u}/authenticator-enrollments")).await;
        assert_eq!(s, 200);
        for e in es.as_array().unwrap() {
            got.insert(format!("{u}:{}", e["id"].as_str().unwrap()));
            if e["type"] == "phone" {
                assert!(e["profile"]["phoneNumber"].as_str().unwrap().starts_with("+1 XXX-XXX-"));
                phone_user = Some(u.clone());
            }
        }
    }
    assert_eq!(got, want);
    assert_eq!(owners.len() as u64, family(&truth, "authenticator_enrollments"));
    let u = phone_user.expect("some user has a phone enrollment");
    let (_, _, es) = get(b, &format!("/api/v1/users/{u}/authenticator-enrollments?discloseIdentifiers=phone")).await;
    let phone = es.as_array().unwrap().iter().find(|e| e["type"] == "phone").unwrap();
    assert!(!phone["profile"]["phoneNumber"].as_str().unwrap().contains('X'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_families_are_gated_like_the_rest() {
    let cfg = SimConfig {
        faults: Faults {
            deny: vec!["authorization_servers".into(), "user_types".into()],
            unlicensed: vec!["authenticator_enrollments".into()],
            ..Faults::default()
        },
        ..small(37)
    };
    let h = sim::start(cfg).await.unwrap();
    let b = &h.base_url;
    let user = truth_ids(&h.sim.truth(None), "users")[0].clone();
    for (path, status, code) in [
        ("/api/v1/authorizationServers".to_string(), 403, "E0000006"),
        ("/api/v1/meta/types/user".into(), 403, "E0000006"),
        (format!("/api/v1/users/{user}/authenticator-enrollments"), 401, "E0000015"),
    ] {
        let (s, _, body) = get(b, &path).await;
        assert_eq!((s, body["errorCode"].as_str()), (status, Some(code)), "{path}");
    }
    assert_eq!(get(b, "/api/v1/meta/schemas/user/default").await.0, 200, "schemas are their own family");
    let cfg = SimConfig { faults: Faults { deny: vec!["roles".into()], ..Faults::default() }, ..small(37) };
    let h = sim::start(cfg).await.unwrap();
    let (who, ra) = {
        let org = h.sim.org.read().unwrap();
        let (g, rs) = org.group_roles.iter().next().unwrap();
        (org.groups[*g as usize].id.clone(), rs[0].id.clone())
    };
    assert_eq!(get(&h.base_url, &format!("/api/v1/groups/{who}/roles/{ra}/targets/groups")).await.0, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_families_are_deterministic_from_the_seed() {
    let anchor = chrono::DateTime::parse_from_rfc3339("2026-03-04T05:06:07.000Z").unwrap().with_timezone(&chrono::Utc);
    let run = |seed: u64| {
        let cfg = SimConfig { anchor: Some(anchor), ..small(seed) };
        async move {
            let h = sim::start(cfg).await.unwrap();
            let t = h.sim.truth(None);
            let (servers, _) = all(&h.base_url, "/api/v1/authorizationServers").await;
            let keep =
                ["user_types", "authorization_servers", "authorization_server_policies", "role_targets", "authenticator_enrollments"];
            let ids: Vec<Value> = keep.iter().map(|k| t["record_types"][*k].clone()).collect();
            (serde_json::to_string(&(ids, &t["fields"], &t["min_api_calls"])).unwrap(), serde_json::to_string(&servers).unwrap())
        }
    };
    let (a, b, c) = (run(38).await, run(38).await, run(39).await);
    assert_eq!(a.0, b.0);
    // Served JSON carries the base URL (its port differs between runs).
    assert_eq!(a.1.matches("\"id\"").count(), b.1.matches("\"id\"").count());
    assert_ne!(a.0, c.0);
}
