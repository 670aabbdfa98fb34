//! Okta-shaped JSON in, records the metadata validator accepts out, no secret out.

use crate::extract::devices::*;
use crate::extract::factors::*;
use crate::extract::groups::*;
use crate::extract::policies::*;
use crate::extract::roles::*;
use crate::extract::schema::{custom_attrs, CustomAttr};
use crate::extract::users::*;
use crate::extract::*;
use crate::metadata::{document, validate::check_record};
use serde_json::json;

const DAY: &str = "2024-01-01T00:00:00.000Z";

fn links() -> AdminLinks {
    AdminLinks::from_base(&url::Url::parse("https://acme.okta.com").unwrap())
}

/// Valid against the metadata built from `custom`, and returned for more checks.
fn valid(custom: &[CustomAttr], item_type: &str, rec: Option<Value>) -> Value {
    let rec = rec.expect("a record");
    let errs = check_record(&document(custom), item_type, &rec);
    assert!(errs.is_empty(), "{errs:?}\n{rec}");
    rec
}

fn schema(props: Value) -> Value {
    json!({"definitions": {"custom": {"properties": props}}})
}

/// Three types as Okta lists them, the partner type listed first (ordering is by default, id).
fn three_types() -> Vec<(Value, Value)> {
    vec![
        (
            json!({"id": "otyPART", "name": "partner", "displayName": "Partner", "default": false}),
            schema(json!({"accountCode": {"type": "integer", "title": "Account code"}, "partnerTier": {"type": "string"},
                          "isContractor": {"type": "boolean"}, "email": {"type": "integer"}})),
        ),
        (
            json!({"id": "otyDEF", "name": "user", "displayName": "User", "default": true}),
            schema(json!({"accountCode": {"type": "string", "title": "Account code"}, "isContractor": {"type": "boolean"},
                          "email": {"type": "string"}, "pinHash": {"type": "string", "format": "hashed"}})),
        ),
        (
            json!({"id": "otyCONT", "name": "contractor", "displayName": "Contractor", "default": false}),
            schema(json!({"accountCode": {"type": "number", "title": "Account code"}, "agency": {"type": "string"}})),
        ),
    ]
}

#[test]
fn attributes_are_keyed_by_user_type_and_differently_typed_names_never_collide() {
    let (attrs, warnings) = user_type_attrs(&three_types());
    assert_eq!(attrs.types.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["otyDEF", "otyCONT", "otyPART"]);
    let field = |t: &str, n: &str| attrs.for_type(Some(t)).iter().find(|a| a.okta_name == n).map(|a| (a.field.clone(), a.kind));
    // The default type names fields exactly as the single default schema always did.
    let (alone, _) = custom_attrs(&three_types()[1].1);
    assert_eq!(attrs.for_type(Some("otyDEF")), alone.as_slice());
    assert_eq!(field("otyDEF", "accountCode"), Some(("account_code".into(), crate::extract::schema::CustomKind::Text)));
    assert_eq!(field("otyCONT", "accountCode"), Some(("custom_account_code".into(), crate::extract::schema::CustomKind::Float)));
    assert_eq!(field("otyPART", "accountCode"), Some(("custom_account_code_2".into(), crate::extract::schema::CustomKind::Int)));
    // Same name, same type: one field shared by the types.
    assert_eq!(field("otyPART", "isContractor"), field("otyDEF", "isContractor"));
    assert_eq!(field("otyDEF", "email").unwrap().0, "custom_email");
    assert_eq!(field("otyPART", "email").unwrap().0, "custom_email_2");
    assert!(field("otyDEF", "pinHash").is_none() && warnings.iter().any(|w| w.contains("pinHash") && w.contains("`user`")));
    let all = attrs.all();
    let fields: Vec<&str> = all.iter().map(|a| a.field.as_str()).collect();
    let unique: std::collections::BTreeSet<&str> = fields.iter().copied().collect();
    assert_eq!(fields.len(), unique.len(), "{fields:?}");
    assert_eq!(fields.len(), 8, "{fields:?}");
    assert_eq!(all.iter().find(|a| a.field == "custom_account_code_2").unwrap().title, "Account code (Partner)");
    // The metadata declares each, typed.
    let doc = document(&all);
    assert_eq!(doc["record_types"]["users"]["fields"]["custom_account_code_2"]["type"], "int");
    assert_eq!(doc["record_types"]["users"]["fields"]["custom_account_code"]["type"], "float");
    assert_eq!(doc["record_types"]["users"]["fields"]["account_code"]["type"], "text");
    // Order from Okta does not change the names.
    let mut reversed = three_types();
    reversed.reverse();
    assert_eq!(user_type_attrs(&reversed).0, attrs);
    // Kept in a job's position: it round-trips.
    let text = serde_json::to_string(&attrs).unwrap();
    assert_eq!(serde_json::from_str::<UserTypeAttrs>(&text).unwrap(), attrs);
}

#[test]
fn users_carry_their_types_attributes_its_name_and_their_credentials_provider_but_no_secret() {
    let (attrs, _) = user_type_attrs(&three_types());
    let all = attrs.all();
    let u = json!({"id": "00u1", "status": "ACTIVE", "created": DAY, "lastUpdated": DAY, "type": {"id": "otyPART"},
        "credentials": {"password": {"value": "SIMSECRET-pw"}, "recovery_question": {"question": "SIMSECRET-recoveryq-1", "answer": "SIMSECRET-a"},
                        "provider": {"type": "ACTIVE_DIRECTORY", "name": "corp.example.com"}},
        "profile": {"login": "p@x", "accountCode": 42, "partnerTier": "gold", "isContractor": true, "agency": "not mine"}});
    let r = valid(&all, "users", user(&u, &attrs, &links()));
    let d = &r["data"];
    assert_eq!((&d["user_type_id"], &d["user_type_name"]), (&json!("otyPART"), &json!("partner")));
    assert_eq!(
        (&d["credentials_provider_type"], &d["credentials_provider_name"]),
        (&json!("ACTIVE_DIRECTORY"), &json!("corp.example.com"))
    );
    assert_eq!(d["custom_account_code_2"], 42);
    assert_eq!(d["partner_tier"], "gold");
    assert_eq!(d["is_contractor"], true);
    assert!(d.get("agency").is_none(), "another type's attribute is not read");
    assert!(!r.to_string().contains("SIMSECRET"), "{r}");
    // The default type's user: accountCode as text, in the default's field.
    let v = json!({"id": "00u2", "status": "ACTIVE", "created": DAY, "type": {"id": "otyDEF"}, "profile": {"login": "d@x", "accountCode": "A-1"},
        "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}}});
    let r = valid(&all, "users", user(&v, &attrs, &links()));
    assert_eq!((&r["data"]["account_code"], &r["data"]["user_type_name"]), (&json!("A-1"), &json!("user")));
    // A user without credentials (omitCredentials) or of a type read after: no guesses.
    let w = json!({"id": "00u3", "status": "ACTIVE", "created": DAY, "type": {"id": "otyNEW"}, "profile": {"login": "n@x", "accountCode": "A"}});
    let r = valid(&all, "users", user(&w, &attrs, &links()));
    assert!(r["data"].get("credentials_provider_type").is_none() && r["data"].get("user_type_name").is_none());
    assert!(r["data"].get("account_code").is_none());
    // Without the types API, the default schema types everyone, as before.
    let fallback = UserTypeAttrs::default_only(custom_attrs(&three_types()[1].1).0);
    let r = valid(&fallback.all(), "users", user(&w, &fallback, &links()));
    assert_eq!(r["data"]["account_code"], "A");
    assert!(r["data"].get("user_type_name").is_none(), "no name is invented");
}

#[test]
fn authorization_server_policies_are_policies_with_their_server_and_rules() {
    let server = json!({"id": "aus1", "name": "HR API", "credentials": {"signing": {"kid": "k1"}}});
    let p = json!({"type": "OAUTH_AUTHORIZATION_POLICY", "id": "00p1", "status": "ACTIVE", "name": "Default Policy", "priority": 1,
        "system": false, "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}, "created": DAY, "lastUpdated": DAY,
        "_links": {"rules": {"href": "https://acme.okta.com/x"}}});
    let rule = json!({"type": "RESOURCE_ACCESS", "id": "0pr1", "name": "All scopes", "priority": 1, "created": DAY,
        "conditions": {"grantTypes": {"include": ["authorization_code"]}, "scopes": {"include": ["*"]}},
        "actions": {"token": {"accessTokenLifetimeMinutes": 60, "refreshTokenLifetimeMinutes": 0, "refreshTokenWindowMinutes": 10080,
                              "inlineHook": {"id": "cal1"}}},
        "client_secret": "SIMSECRET-cs", "_links": {"self": {"href": "https://acme.okta.com/y"}}});
    let r = valid(&[], "policies", auth_server_policy(&server, &p, &[rule.clone(), rule], &links()));
    let d = &r["data"];
    assert_eq!(
        (&d["policy_type"], &d["authorization_server_id"], &d["authorization_server_name"]),
        (&json!("OAUTH_AUTHORIZATION_POLICY"), &json!("aus1"), &json!("HR API"))
    );
    assert_eq!(d["record_title"], "Default Policy (HR API)");
    assert_eq!(d["rule_count"], 2);
    let rules: Value = serde_json::from_str(d["rules"].as_str().unwrap()).unwrap();
    assert_eq!(rules[0]["actions"]["lifetimes_minutes"], json!({"access": 60, "refresh": 0, "refresh_window": 10080}));
    assert_eq!(rules[0]["conditions"]["scopes"]["include"][0], "*");
    assert!(rules[0]["actions"].get("token").is_none() && rules[0].get("_links").is_none());
    assert!(!r.to_string().contains("SIMSECRET"));
    assert_eq!(d["item_url_field"], "https://acme-admin.okta.com/admin/oauth2/as/aus1#policies");
    // A policy without its type is still one of this server's; without an id it is skipped.
    let untyped = json!({"id": "00p2", "name": "P", "created": DAY});
    assert_eq!(
        valid(&[], "policies", auth_server_policy(&server, &untyped, &[], &links()))["data"]["policy_type"],
        "OAUTH_AUTHORIZATION_POLICY"
    );
    assert!(auth_server_policy(&server, &json!({"name": "P", "created": DAY}), &[], &links()).is_none());
    assert!(auth_server_policy(&json!({}), &p, &[], &links()).is_none());
}

#[test]
fn role_members_carry_scope_and_targets_from_both_expanded_lists() {
    let by_groups = vec![
        json!({"id": "ra1", "type": "USER_ADMIN", "status": "ACTIVE", "assignmentType": "USER", "created": DAY,
               "_embedded": {"targets": {"groups": [{"id": "00g1"}, {"id": "00g2"}]}}}),
        json!({"id": "ra2", "type": "APP_ADMIN", "status": "ACTIVE", "assignmentType": "USER", "created": DAY}),
        json!({"id": "ra3", "type": "SUPER_ADMIN", "status": "ACTIVE", "assignmentType": "USER", "created": DAY}),
    ];
    let by_apps = vec![
        json!({"id": "ra2", "type": "APP_ADMIN", "created": DAY,
               "_embedded": {"targets": {"catalog": {"apps": [{"id": "0oa1", "name": "portal"}, {"name": "salesforce"}]}}}}),
        json!({"id": "ra3", "type": "SUPER_ADMIN", "created": DAY}),
    ];
    let paired = with_targets(by_groups, Some(&by_apps));
    let ada = json!({"id": "00u1", "profile": {"login": "ada@acme.com"}});
    let recs: Vec<Value> =
        paired.iter().map(|(a, t)| valid(&[], "iam_role_members", role_member_with_targets(a, &ada, "USER", t, &links()))).collect();
    assert_eq!((&recs[0]["data"]["scope"], &recs[0]["data"]["target_group_ids"]), (&json!("LIMITED"), &json!(["00g1", "00g2"])));
    assert_eq!(recs[0]["data"]["target_app_ids"], json!([]));
    assert_eq!((&recs[1]["data"]["scope"], &recs[1]["data"]["target_app_ids"]), (&json!("LIMITED"), &json!(["0oa1", "salesforce"])));
    assert_eq!((&recs[2]["data"]["scope"], &recs[2]["data"]["target_group_ids"]), (&json!("ALL"), &json!([])));
    assert_eq!(recs[0]["id"], "ra1:00u1");
    // Targets read from the targets endpoints instead, once each.
    let mut t = RoleTargets::default();
    t.add_groups(&[json!({"id": "00g1"}), json!({"id": "00g1"}), json!({"profile": {}})]);
    t.add_apps(&[json!({"name": "box"})]);
    assert_eq!(t, RoleTargets { group_ids: vec!["00g1".into()], app_ids: vec!["box".into()] });
    let mut rec = role_member(&json!({"id": "ra9", "type": "USER_ADMIN", "created": DAY}), "00g9", "GROUP", &links()).unwrap();
    add_role_targets(&mut rec, &t);
    valid(&[], "iam_role_members", Some(rec));
    assert_eq!(with_targets(vec![json!({"type": "APP_ADMIN"})], Some(&by_apps))[0].1, RoleTargets::default(), "no id, no pairing");
}

#[test]
fn enrollments_are_records_of_their_own_with_masked_phones_and_no_secret() {
    let ada = json!({"id": "00u1", "profile": {"login": "ada@acme.com"}});
    let phone = json!({"type": "phone", "id": "mbl1", "key": "phone_number", "status": "ACTIVE", "name": "Phone", "nickname": "Work phone",
        "created": DAY, "lastUpdated": DAY, "profile": {"phoneNumber": "+1 XXX-XXX-6065"}, "_links": {"self": {"href": "https://x"}}});
    let r = valid(&[], "authenticator_enrollments", authenticator_enrollment(&ada, &phone, &links()));
    assert_eq!(r["id"], "00u1:mbl1");
    assert_eq!(r["data"]["record_title"], "Phone (Work phone) of ada@acme.com");
    assert_eq!(r["data"]["phone_number_masked"], "*******6065");
    assert_eq!((&r["data"]["enrollment_type"], &r["data"]["authenticator_key"]), (&json!("phone"), &json!("phone_number")));
    // Disclosed numbers are masked too; a security question's text is never read.
    let disclosed = json!({"type": "phone", "id": "mbl2", "name": "Phone", "created": DAY, "profile": {"phoneNumber": "+1 415-555-6065"}});
    assert_eq!(authenticator_enrollment(&ada, &disclosed, &links()).unwrap()["data"]["phone_number_masked"], "*******6065");
    let question = json!({"type": "security_question", "id": "qae1", "name": "Security Question", "created": DAY,
        "profile": {"question": "SIMSECRET-recoveryq-9", "answer": "SIMSECRET-ans"}});
    let r = valid(&[], "authenticator_enrollments", authenticator_enrollment(&json!({"id": "00u2"}), &question, &links()));
    assert!(!r.to_string().contains("SIMSECRET"));
    assert_eq!(r["data"]["record_title"], "Security Question of 00u2");
    let email =
        json!({"type": "email", "id": "eae1", "key": "okta_email", "name": "Email", "created": DAY, "profile": {"email": "ada@acme.com"}});
    assert_eq!(valid(&[], "authenticator_enrollments", authenticator_enrollment(&ada, &email, &links()))["data"]["email"], "ada@acme.com");
    // Malformed: no id, no type or no date: skipped, for the caller to count.
    for bad in [json!({"type": "email", "created": DAY}), json!({"id": "e", "created": DAY}), json!({"id": "e", "type": "email"})] {
        assert!(authenticator_enrollment(&ada, &bad, &links()).is_none(), "{bad}");
    }
}

#[test]
fn devices_carry_each_users_posture_in_the_order_of_their_users() {
    let dv = json!({"id": "guo1", "status": "ACTIVE", "created": DAY, "profile": {"displayName": "Mac"},
        "_embedded": {"users": [
            {"managementStatus": "MANAGED", "screenLockType": "BIOMETRIC", "user": {"id": "00u1"}},
            {"managementStatus": "NOT_MANAGED", "screenLockType": "PASSCODE", "user": {"id": "00uSHADOW"}},
            {"user": {"id": "00u3"}},
            {"managementStatus": "NOT_MANAGED", "screenLockType": "NONE", "user": {"id": "00u1"}}]}});
    let r = valid(&[], "devices", device(&dv, |u| u["id"] != "00uSHADOW", &links()));
    assert_eq!(r["data"]["user_ids"], json!(["00u1", "00u3"]));
    assert_eq!(r["data"]["management_statuses"], json!(["NOT_MANAGED", "UNKNOWN"]), "a user listed twice: once, the last posture");
    assert_eq!(r["data"]["screen_lock_types"], json!(["NONE", "UNKNOWN"]));
}

#[test]
fn app_groups_keep_their_type_and_source_app() {
    let g = json!({"id": "00g1", "type": "APP_GROUP", "created": DAY, "lastUpdated": DAY, "profile": {"name": "Domain Users"},
        "objectClass": ["okta:windows_security_principal"], "_links": {"source": {"href": "https://acme.okta.com/api/v1/apps/0oaAD"}}});
    let r = valid(&[], "groups", group(&g, &links()));
    assert_eq!((&r["data"]["group_type"], &r["data"]["source_app_id"]), (&json!("APP_GROUP"), &json!("0oaAD")));
}

#[test]
fn every_new_field_is_described_and_every_description_names_a_field() {
    let doc = document(&[]);
    for (t, f) in [
        ("users", "user_type_name"),
        ("users", "credentials_provider_type"),
        ("users", "credentials_provider_name"),
        ("iam_role_members", "scope"),
        ("iam_role_members", "target_group_ids"),
        ("iam_role_members", "target_app_ids"),
        ("policies", "authorization_server_id"),
        ("devices", "management_statuses"),
        ("devices", "screen_lock_types"),
        ("authenticator_enrollments", "phone_number_masked"),
    ] {
        assert!(doc["record_types"][t]["fields"][f]["description"].as_str().is_some_and(|d| d.len() > 20), "{t}.{f}");
    }
    assert!(crate::extract::ITEM_TYPES.contains(&"authenticator_enrollments"));
    assert!(crate::metadata::validate::check_document(&doc).is_empty());
}
