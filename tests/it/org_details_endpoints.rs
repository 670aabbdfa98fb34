//! The coverage families' endpoints (`okta::endpoints`): paths, query parameters, page sizes and
//! error meanings against wiremock, then every family against the simulator, compared with its
//! truth (ids and the fewest calls).

use std::collections::BTreeSet;

use okta_airsync::okta::endpoints::{auth_servers, enrollments, role_targets, user_types};
use okta_airsync::okta::{ApiToken, EndRule, Error, OktaClient, OktaConfig, Pager};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(base: &str) -> OktaClient {
    let mut cfg = OktaConfig::new(url::Url::parse(base).unwrap(), ApiToken::new("SSWS tok-123"));
    cfg.request_timeout = None;
    cfg.pool_idle_timeout = None;
    cfg.retry_delays = vec![];
    OktaClient::new(cfg).unwrap()
}

/// Any request no mock expects answers 418, so a wrong path or query fails the test.
async fn loud_fallback(server: &MockServer) {
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(418).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .mount(server)
        .await;
}

fn okta_error(status: u16, code: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"errorCode": code, "errorSummary": "x", "errorCauses": []}))
}

#[tokio::test]
async fn user_types_are_listed_once_and_each_schema_read_on_the_org_by_its_schema_id() {
    let server = MockServer::start().await;
    // Links name another host: only the schema id is taken from them.
    let types = json!([
        {"id": "otyDEF", "name": "user", "default": true, "_links": {"schema": {"href": "https://elsewhere.example/api/v1/meta/schemas/user/oscDEF"}}},
        {"id": "otyPART", "name": "partner", "default": false, "_links": {"schema": {"href": "https://acme.okta.com/api/v1/meta/schemas/user/oscPART?x=1"}}}
    ]);
    Mock::given(method("GET"))
        .and(path("/api/v1/meta/types/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&types))
        .expect(1)
        .mount(&server)
        .await;
    for id in ["oscDEF", "oscPART"] {
        Mock::given(path(format!("/api/v1/meta/schemas/user/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": id, "definitions": {"custom": {"properties": {}}}})))
            .expect(1)
            .mount(&server)
            .await;
    }
    loud_fallback(&server).await;
    let c = client(&server.uri());
    let got = user_types::fetch_with_schemas(&c).await.unwrap();
    assert_eq!(
        got.iter().map(|(t, s)| (t["id"].clone(), s["id"].clone())).collect::<Vec<_>>(),
        vec![(json!("otyDEF"), json!("oscDEF")), (json!("otyPART"), json!("oscPART"))]
    );
    // A default type without a link reads `default`; another without one, or with an id that is
    // not a plain segment, is a clear error, not a request.
    assert_eq!(user_types::schema_url(&c, &json!({"id": "oty1", "default": true})).unwrap().path(), "/api/v1/meta/schemas/user/default");
    for bad in [json!({"id": "oty2"}), json!({"id": "oty3", "_links": {"schema": {"href": "https://a/api/v1/meta/schemas/user/..%2F"}}})] {
        let e = user_types::schema_url(&c, &bad).unwrap_err();
        assert!(matches!(e, Error::BadBody { .. }), "{e}");
    }
}

#[tokio::test]
async fn user_types_unavailable_means_404_or_e0000015_and_a_403_stays_a_permission_gap() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/meta/types/user")).respond_with(okta_error(401, "E0000015")).up_to_n_times(1).mount(&server).await;
    Mock::given(path("/api/v1/meta/types/user")).respond_with(okta_error(404, "E0000007")).up_to_n_times(1).mount(&server).await;
    Mock::given(path("/api/v1/meta/types/user")).respond_with(okta_error(403, "E0000006")).mount(&server).await;
    let c = client(&server.uri());
    assert!(user_types::not_available(&user_types::fetch(&c).await.unwrap_err()));
    assert!(user_types::not_available(&user_types::fetch(&c).await.unwrap_err()));
    let denied = user_types::fetch(&c).await.unwrap_err();
    assert!(!user_types::not_available(&denied) && matches!(denied, Error::PermissionDenied { .. }));
}

#[tokio::test]
async fn authorization_servers_page_at_200_and_policies_and_rules_are_one_call_each() {
    let server = MockServer::start().await;
    let next = format!("{}/api/v1/authorizationServers?after=aus2&limit=200", server.uri());
    Mock::given(path("/api/v1/authorizationServers"))
        .and(query_param("after", "aus2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": "aus2", "name": "hr"}])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/authorizationServers"))
        .and(query_param("limit", "200"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"id": "aus1", "name": "default"}]))
                .insert_header("link", format!("<{next}>; rel=\"next\"").as_str()),
        )
        .expect(1)
        .with_priority(5)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/authorizationServers/aus1/policies"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": "00p1", "type": "OAUTH_AUTHORIZATION_POLICY"}])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/authorizationServers/aus1/policies/00p1/rules"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": "0pr1"}, {"id": "0pr2"}])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/authorizationServers/aus2/policies"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "x"})))
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/authorizationServers/ausGONE/policies")).respond_with(okta_error(404, "E0000007")).mount(&server).await;
    loud_fallback(&server).await;
    let c = client(&server.uri());
    let mut pager = Pager::new(c.clone(), auth_servers::list(&c), EndRule::NoNext);
    let mut ids = Vec::new();
    while let Some(p) = pager.next_page().await.unwrap() {
        ids.extend(p.items.iter().map(|s| s["id"].as_str().unwrap().to_string()));
    }
    assert_eq!(ids, ["aus1", "aus2"]);
    assert_eq!(auth_servers::fetch_policies(&c, "aus1").await.unwrap()[0]["id"], "00p1");
    assert_eq!(auth_servers::fetch_rules(&c, "aus1", "00p1").await.unwrap().len(), 2);
    assert!(matches!(auth_servers::fetch_policies(&c, "aus2").await.unwrap_err(), Error::BadBody { .. }), "an object where a list belongs");
    assert!(matches!(auth_servers::fetch_policies(&c, "ausGONE").await.unwrap_err(), Error::NotFound { .. }));
    assert!(auth_servers::policies(&c, "aus1/../../users").is_err(), "an id never changes the path");
    assert!(auth_servers::not_available(&Error::InvalidToken { endpoint: "e".into(), code: "E0000015".into() }));
    assert!(!auth_servers::not_available(&Error::InvalidToken { endpoint: "e".into(), code: "E0000011".into() }));
}

#[tokio::test]
async fn roles_take_one_expand_per_request_and_targets_page_at_200() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/users/00u1/roles"))
        .and(query_param("expand", "targets/groups"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{"id": "ra1", "type": "USER_ADMIN"}, {"id": "ra2", "type": "APP_ADMIN"}])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/groups/00g1/roles"))
        .and(query_param("expand", "targets/catalog/apps"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let next = format!("{}/api/v1/users/00u1/roles/ra1/targets/groups?after=00g2&limit=200", server.uri());
    Mock::given(path("/api/v1/users/00u1/roles/ra1/targets/groups"))
        .and(query_param("after", "00g2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": "00g2"}])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/users/00u1/roles/ra1/targets/groups"))
        .and(query_param("limit", "200"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"id": "00g1"}]))
                .insert_header("link", format!("<{next}>; rel=\"next\"").as_str()),
        )
        .expect(1)
        .with_priority(5)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/groups/00g1/roles/ra9/targets/catalog/apps")).respond_with(okta_error(404, "E0000007")).mount(&server).await;
    loud_fallback(&server).await;
    let c = client(&server.uri());
    use role_targets::{Assignee, Kind};
    let roles = role_targets::fetch_roles_expanded(&c, Assignee::User("00u1"), Kind::Groups).await.unwrap();
    let me = Assignee::User("00u1");
    assert!(role_targets::any_can_have(&roles, me, Kind::Apps) && role_targets::any_can_have(&roles, me, Kind::Groups));
    assert!(!role_targets::any_can_have(&roles[..1], me, Kind::Apps));
    let inherited = [json!({"id": "ra3", "type": "APP_ADMIN", "assignmentType": "GROUP"})];
    assert!(!role_targets::any_can_have(&inherited, me, Kind::Apps), "a group's role is read on the group");
    assert!(role_targets::any_can_have(&inherited, Assignee::Group("00g1"), Kind::Apps));
    assert!(role_targets::fetch_roles_expanded(&c, Assignee::Group("00g1"), Kind::Apps).await.unwrap().is_empty());
    let targets = role_targets::fetch(&c, Assignee::User("00u1"), "ra1", Kind::Groups).await.unwrap();
    assert_eq!(targets.iter().map(|g| g["id"].as_str().unwrap()).collect::<Vec<_>>(), ["00g1", "00g2"]);
    let gone = role_targets::fetch(&c, Assignee::Group("00g1"), "ra9", Kind::Apps).await.unwrap_err();
    assert!(role_targets::assignment_gone(&gone), "{gone}");
    assert!(role_targets::roles_expanded(&c, Assignee::User("00u1?expand=x"), Kind::Groups).is_err());
    assert!(Kind::Groups.applies_to("HELP_DESK_ADMIN") && !Kind::Groups.applies_to("SUPER_ADMIN") && Kind::Apps.applies_to("APP_ADMIN"));
}

#[tokio::test]
async fn enrollments_are_read_as_a_list_or_one_object_and_their_404s_are_told_apart() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/users/00u1/authenticator-enrollments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": "eae1", "type": "email"}, {"id": "mbl1", "type": "phone"}])))
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/users/00u2/authenticator-enrollments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "eae2", "type": "email"})))
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/users/00u3/authenticator-enrollments")).respond_with(okta_error(404, "E0000007")).mount(&server).await;
    Mock::given(path("/api/v1/users/00u4/authenticator-enrollments")).respond_with(okta_error(404, "E0000008")).mount(&server).await;
    Mock::given(path("/api/v1/users/00u5/authenticator-enrollments")).respond_with(okta_error(401, "E0000015")).mount(&server).await;
    loud_fallback(&server).await;
    let c = client(&server.uri());
    assert_eq!(enrollments::fetch(&c, "00u1").await.unwrap().len(), 2);
    assert_eq!(enrollments::fetch(&c, "00u2").await.unwrap()[0]["id"], "eae2");
    let gone = enrollments::fetch(&c, "00u3").await.unwrap_err();
    assert!(enrollments::user_gone(&gone) && !enrollments::not_available(&gone));
    let no_path = enrollments::fetch(&c, "00u4").await.unwrap_err();
    assert!(enrollments::not_available(&no_path) && !enrollments::user_gone(&no_path));
    let unlicensed = enrollments::fetch(&c, "00u5").await.unwrap_err();
    assert!(enrollments::not_available(&unlicensed) && !enrollments::user_gone(&unlicensed));
    let u = enrollments::list(&c, "00u1").unwrap();
    assert_eq!(u.query(), None, "phone numbers stay masked: no discloseIdentifiers");
}

/// Every family against the simulator: the ids its truth lists, in the fewest calls it counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_family_reads_the_simulators_truth_in_its_fewest_calls() {
    let h = okta_sim::start(crate::helpers::small(41)).await.unwrap();
    let c = OktaClient::new(OktaConfig::new(url::Url::parse(&h.base_url).unwrap(), ApiToken::new("sim-token"))).unwrap();
    let truth = h.sim.truth(None);
    let ids = |k: &str| -> BTreeSet<String> {
        truth["record_types"][k]["ids"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect()
    };
    let family = |k: &str| truth["min_api_calls_by_family"][k].as_u64().unwrap();
    let id_of = |v: &Value| v["id"].as_str().unwrap().to_string();

    let ut = c.labeled("user_types");
    let types = user_types::fetch_with_schemas(&ut).await.unwrap();
    assert_eq!(types.iter().map(|(t, _)| id_of(t)).collect::<BTreeSet<_>>(), ids("user_types"));
    for (t, s) in &types {
        let want = truth["fields"]["user_types"][id_of(t)]["attributes"].as_object().unwrap();
        assert_eq!(s["definitions"]["custom"]["properties"].as_object().unwrap().len(), want.len());
    }
    assert_eq!(c.calls_for("user_types"), family("user_types"));

    let az = c.labeled("authorization_servers");
    let mut pager = Pager::new(az.clone(), auth_servers::list(&az), EndRule::NoNext);
    let (mut servers, mut policies, mut rules) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    while let Some(p) = pager.next_page().await.unwrap() {
        for s in &p.items {
            servers.insert(id_of(s));
            for pol in auth_servers::fetch_policies(&az, &id_of(s)).await.unwrap() {
                policies.insert(id_of(&pol));
                rules.extend(auth_servers::fetch_rules(&az, &id_of(s), &id_of(&pol)).await.unwrap().iter().map(id_of));
            }
        }
    }
    assert_eq!(
        (servers, policies, rules),
        (ids("authorization_servers"), ids("authorization_server_policies"), ids("authorization_server_policy_rules"))
    );
    assert_eq!(c.calls_for("authorization_servers"), family("authorization_servers"));

    let en = c.labeled("authenticator_enrollments");
    let want = ids("authenticator_enrollments");
    let owners: BTreeSet<&str> = want.iter().map(|x| x.split(':').next().unwrap()).collect();
    let mut got = BTreeSet::new();
    for u in &owners {
        for e in enrollments::fetch(&en, u).await.unwrap() {
            if let Some(p) = e["profile"]["phoneNumber"].as_str() {
                assert!(p.contains("XXX"), "masked: {p}");
            }
            got.insert(format!("{u}:{}", id_of(&e)));
        }
    }
    assert_eq!(got, want);
    assert_eq!(c.calls_for("authenticator_enrollments"), family("authenticator_enrollments"));

    // Role targets: the groups expand on every roles list, the apps expand where an APP_ADMIN is.
    let ro = c.labeled("roles");
    let assignees: Vec<(bool, String)> = {
        let org = h.sim.org.read().unwrap();
        let users =
            org.user_roles.keys().filter(|u| org.users[**u as usize].status != "shadow").map(|u| (true, org.users[*u as usize].id.clone()));
        let groups = org.group_roles.keys().map(|g| (false, org.groups[*g as usize].id.clone()));
        users.chain(groups).collect()
    };
    let mut found = BTreeSet::new();
    for (is_user, id) in &assignees {
        let who = if *is_user { role_targets::Assignee::User(id) } else { role_targets::Assignee::Group(id) };
        let roles = role_targets::fetch_roles_expanded(&ro, who, role_targets::Kind::Groups).await.unwrap();
        for r in roles.iter().filter(|r| role_targets::is_direct(r, who)) {
            for g in r["_embedded"]["targets"]["groups"].as_array().into_iter().flatten() {
                found.insert(format!("{}:{}", id_of(r), id_of(g)));
            }
        }
        if role_targets::any_can_have(&roles, who, role_targets::Kind::Apps) {
            let with_apps = role_targets::fetch_roles_expanded(&ro, who, role_targets::Kind::Apps).await.unwrap();
            for r in with_apps.into_iter().filter(|r| role_targets::is_direct(r, who)) {
                for a in r["_embedded"]["targets"]["catalog"]["apps"].as_array().into_iter().flatten() {
                    found.insert(format!("{}:{}", id_of(&r), a.get("id").unwrap_or(&a["name"]).as_str().unwrap()));
                }
            }
        }
    }
    assert_eq!(found, ids("role_targets"));
    // The family's minimum also counts the /iam/roles and /iam/assignees/users pages.
    let iam_pages = {
        let org = h.sim.org.read().unwrap();
        (org.custom_roles.len().div_ceil(20).max(1) + org.user_roles.len().div_ceil(100).max(1)) as u64
    };
    assert_eq!(c.calls_for("roles") + iam_pages, family("roles"));
}

/// The normalizers over what these endpoints read from the simulator: every record valid
/// against the metadata declaring the org's custom attributes, every new field equal to the
/// truth, no seeded secret anywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulators_families_normalize_to_the_truths_fields() {
    use okta_airsync::extract::{devices, factors, groups, policies, roles, users, AdminLinks};
    use okta_airsync::metadata::{document, validate::check_record};
    use okta_airsync::okta::endpoints;
    let h = okta_sim::start(crate::helpers::small(42)).await.unwrap();
    let c = OktaClient::new(OktaConfig::new(url::Url::parse(&h.base_url).unwrap(), ApiToken::new("sim-token"))).unwrap();
    let truth = h.sim.truth(None);
    let fields = &truth["fields"];
    let links = AdminLinks::from_base(c.base_url());
    let all_pages = |url| {
        let c = c.clone();
        async move {
            let mut p = Pager::new(c, url, EndRule::NoNext);
            let mut out = Vec::new();
            while let Some(page) = p.next_page().await.unwrap() {
                out.extend(page.items);
            }
            out
        }
    };
    let (types, warnings) = users::user_type_attrs(&user_types::fetch_with_schemas(&c).await.unwrap());
    assert!(warnings.iter().any(|w| w.contains("pinHash")), "{warnings:?}");
    let doc = document(&types.all());
    let mut records: Vec<(&str, Value)> = Vec::new();
    let mut typed = 0;
    for u in all_pages(endpoints::users::list(&c, None)).await.iter().filter(|u| !users::is_shadow(u)) {
        let r = users::user(u, &types, &links).unwrap();
        let want = &fields["users"][r["id"].as_str().unwrap()];
        assert_eq!((&r["data"]["user_type_id"], &r["data"]["user_type_name"]), (&want["user_type"], &want["user_type_name"]));
        // `credentials` comes only once the client asks omitCredentialsLinks; then it must match.
        if let Some(p) = r["data"].get("credentials_provider_type") {
            assert_eq!(p, &want["credentials_provider_type"]);
        }
        typed += u["profile"].get("accountCode").is_some() as usize;
        records.push(("users", r));
    }
    assert!(typed > 0);
    for g in all_pages(endpoints::groups::list(&c, None)).await {
        let r = groups::group(&g, &links).unwrap();
        let want = &fields["groups"][r["id"].as_str().unwrap()];
        assert_eq!(
            (&r["data"]["group_type"], r["data"].get("source_app_id").unwrap_or(&Value::Null)),
            (&want["type"], &want["source_app_id"])
        );
        records.push(("groups", r));
    }
    for d in all_pages(endpoints::devices::list(&c, None)).await {
        let r = devices::device(&d, |_| true, &links).unwrap();
        let want = &fields["devices"][r["id"].as_str().unwrap()]["users"];
        for (i, uid) in r["data"]["user_ids"].as_array().unwrap().iter().enumerate() {
            let w = &want[uid.as_str().unwrap()];
            assert_eq!(
                (&r["data"]["management_statuses"][i], &r["data"]["screen_lock_types"][i]),
                (&w["managementStatus"], &w["screenLockType"]),
                "{}: {} in {}",
                r["id"],
                r["data"],
                d["_embedded"]
            );
        }
        records.push(("devices", r));
    }
    let (mut policies, mut rules) = (0, 0);
    for s in all_pages(auth_servers::list(&c)).await {
        let sid = s["id"].as_str().unwrap();
        for p in auth_servers::fetch_policies(&c, sid).await.unwrap() {
            let rs = auth_servers::fetch_rules(&c, sid, p["id"].as_str().unwrap()).await.unwrap();
            let r = policies::auth_server_policy(&s, &p, &rs, &links).unwrap();
            (policies, rules) = (policies + 1, rules + r["data"]["rule_count"].as_u64().unwrap());
            records.push(("policies", r));
        }
    }
    assert_eq!(
        (policies, rules),
        (
            truth["record_types"]["authorization_server_policies"]["ids"].as_array().unwrap().len(),
            truth["record_types"]["authorization_server_policy_rules"]["ids"].as_array().unwrap().len() as u64
        )
    );
    let assignees: Vec<(bool, String)> = {
        let org = h.sim.org.read().unwrap();
        let users =
            org.user_roles.keys().filter(|u| org.users[**u as usize].status != "shadow").map(|u| (true, org.users[*u as usize].id.clone()));
        users.chain(org.group_roles.keys().map(|g| (false, org.groups[*g as usize].id.clone()))).collect()
    };
    let mut seen = BTreeSet::new();
    for (is_user, id) in &assignees {
        let who = if *is_user { role_targets::Assignee::User(id) } else { role_targets::Assignee::Group(id) };
        let by_groups = role_targets::fetch_roles_expanded(&c, who, role_targets::Kind::Groups).await.unwrap();
        let by_apps = if role_targets::any_can_have(&by_groups, who, role_targets::Kind::Apps) {
            Some(role_targets::fetch_roles_expanded(&c, who, role_targets::Kind::Apps).await.unwrap())
        } else {
            None
        };
        let direct: Vec<Value> = by_groups.into_iter().filter(|a| role_targets::is_direct(a, who)).collect();
        for (a, t) in roles::with_targets(direct, by_apps.as_deref()) {
            let kind = if *is_user { "USER" } else { "GROUP" };
            let r = roles::role_member_with_targets(&a, &json!({"id": id}), kind, &t, &links).unwrap();
            let want = &fields["role_assignments"][a["id"].as_str().unwrap()];
            assert_eq!(
                (&r["data"]["scope"], &r["data"]["target_group_ids"], &r["data"]["target_app_ids"]),
                (&want["scope"], &want["target_groups"], &want["target_apps"]),
                "{a}"
            );
            seen.insert(a["id"].as_str().unwrap().to_string());
            records.push(("iam_role_members", r));
        }
    }
    assert_eq!(seen.len(), fields["role_assignments"].as_object().unwrap().len());
    let want = truth["record_types"]["authenticator_enrollments"]["ids"].as_array().unwrap();
    let owners: BTreeSet<&str> = want.iter().map(|x| x.as_str().unwrap().split(':').next().unwrap()).collect();
    for u in owners {
        for e in enrollments::fetch(&c, u).await.unwrap() {
            records.push(("authenticator_enrollments", factors::authenticator_enrollment(&json!({"id": u}), &e, &links).unwrap()));
        }
    }
    assert_eq!(records.iter().filter(|(t, _)| *t == "authenticator_enrollments").count(), want.len());
    let secrets: Vec<&str> = truth["secrets"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    for (t, r) in &records {
        assert_eq!(check_record(&doc, t, r), Vec::<String>::new());
        let text = r.to_string();
        assert!(secrets.iter().all(|s| !text.contains(s)), "{t}: a seeded secret in {text}");
    }
}
