//! Conformance with DevRev's published material: the shipped initial domain mapping against
//! the rules of DevRev's initial-mapping schema and against our metadata, and the manifest's
//! connection form against what DevRev's keyrings document.

use devrev_emu::rules::{idm as idm_rules, manifest as manifest_rules};
use okta_airsync::extract::{ITEM_TYPES, TITLE_FIELD};
use okta_airsync::metadata::{self, idm};
use serde_json::{json, Value};

const MANIFEST: &str = include_str!("../manifest.yaml");

fn mappings(v: &Value) -> &serde_json::Map<String, Value> {
    v["additional_mappings"]["record_type_mappings"].as_object().expect("record_type_mappings")
}

/// Every field mapping in a record type's mapping, with nested ones (structs, alternatives).
fn field_mappings(rt: &Value) -> Vec<(String, Value)> {
    fn walk(path: String, fm: &Value, out: &mut Vec<(String, Value)>) {
        out.push((path.clone(), fm.clone()));
        let t = &fm["transformation_method_for_set"];
        for (k, inner) in t["field_mappings"].as_object().into_iter().flatten() {
            walk(format!("{path}.{k}"), inner, out);
        }
        for (i, alt) in t["alternatives"].as_array().into_iter().flatten().enumerate() {
            walk(format!("{path}[{i}]"), &alt["field_mapping"], out);
        }
    }
    let mut out = Vec::new();
    let mut shards = vec![rt["mapping_as_custom_object"]["shard"].clone()];
    shards.extend(rt["possible_record_type_mappings"].as_array().into_iter().flatten().map(|m| m["shard"].clone()));
    for shard in shards {
        for (f, fm) in shard["stock_field_mappings"].as_object().into_iter().flatten() {
            walk(f.clone(), fm, &mut out);
        }
    }
    out
}

#[test]
fn the_shipped_mapping_follows_every_rule_of_devrevs_schema() {
    let errs = idm_rules::check(&idm::shipped());
    assert!(errs.is_empty(), "{errs:#?}");
}

#[test]
fn every_item_type_becomes_a_custom_object_titled_from_a_real_field() {
    let shipped = idm::shipped();
    let doc = metadata::document(&[]);
    let m = mappings(&shipped);
    assert_eq!(m.len(), ITEM_TYPES.len());
    for t in ITEM_TYPES {
        let rt = &m[*t];
        assert_eq!(rt["mapping_as_custom_object"]["shard"]["devrev_leaf_type"]["object_category"], "fresh_custom", "{t}");
        let title = &rt["mapping_as_custom_object"]["shard"]["stock_field_mappings"]["title"];
        assert_eq!(title["primary_external_field"], TITLE_FIELD, "{t}");
        assert_eq!(title["transformation_method_for_set"], json!({"transformation_method": "use_directly"}), "{t}");
        let def = &doc["record_types"][*t]["fields"][TITLE_FIELD];
        assert_eq!((def["type"].as_str(), def["is_required"].as_bool()), (Some("text"), Some(true)), "{t}: {def}");
        assert!(rt.pointer("/mapping_as_custom_object/shard/constructed_custom_fields").is_none(), "{t}");
    }
}

#[test]
fn every_primary_external_field_is_a_field_of_its_record_type() {
    let shipped = idm::shipped();
    let doc = metadata::document(&[]);
    let mut checked = 0;
    for (t, rt) in mappings(&shipped) {
        let fields = doc["record_types"][t]["fields"].as_object().unwrap_or_else(|| panic!("{t}: not in the metadata"));
        for (path, fm) in field_mappings(rt) {
            if let Some(f) = fm["primary_external_field"].as_str() {
                assert!(fields.contains_key(f), "{t}.{path}: primary_external_field {f:?} is not a field of {t}");
                checked += 1;
            }
        }
    }
    assert!(checked >= ITEM_TYPES.len(), "only {checked} primary fields seen");
    // The check itself notices a field the metadata lacks.
    let mut broken = shipped.clone();
    broken["additional_mappings"]["record_type_mappings"]["users"]["mapping_as_custom_object"]["shard"]["stock_field_mappings"]["title"]
        ["primary_external_field"] = json!("full_name");
    let users = &mappings(&broken)["users"];
    let fields = doc["record_types"]["users"]["fields"].as_object().unwrap();
    assert!(field_mappings(users).iter().any(|(_, fm)| fm["primary_external_field"].as_str().is_some_and(|f| !fields.contains_key(f))));
}

/// The shipped mapping with `title`'s mapping replaced.
fn with_title(mapping: Value) -> Value {
    let mut v = idm::shipped();
    v["additional_mappings"]["record_type_mappings"]["users"]["mapping_as_custom_object"]["shard"]["stock_field_mappings"]["title"] =
        mapping;
    v
}

#[test]
fn a_fixed_text_value_is_rejected() {
    // What the mapping used to ship for record types without a name field.
    let errs = idm_rules::check(&with_title(json!({"forward": true, "reverse": false,
        "fallback": {"type": "text", "value": "Users"},
        "transformation_method_for_set": {"transformation_method": "use_fixed_value", "value": "Users"}})));
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].contains("transformation_method_for_set.value") && errs[0].contains("`Users` is not one of"), "{errs:?}");
    // The three forms the schema allows pass.
    for ok in [json!({"value": "bool", "bool": true}), json!({"value": "enum_value", "enum": "P0"}), json!({"value": "none"})] {
        let mut t = json!({"transformation_method": "use_fixed_value"});
        t.as_object_mut().unwrap().extend(ok.as_object().unwrap().clone());
        let errs = idm_rules::check(&with_title(json!({"forward": true, "reverse": false, "transformation_method_for_set": t})));
        assert!(errs.is_empty(), "{t}: {errs:?}");
    }
}

#[test]
fn each_rule_of_the_schema_rejects_what_it_should() {
    let tm = |t: Value| {
        with_title(json!({"forward": true, "reverse": false, "primary_external_field": TITLE_FIELD, "transformation_method_for_set": t}))
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        ("fixed bool without bool", tm(json!({"transformation_method": "use_fixed_value", "value": "bool"})), "required property `bool`"),
        (
            "fixed enum not a string",
            tm(json!({"transformation_method": "use_fixed_value", "value": "enum_value", "enum": 3})),
            "not of the declared type",
        ),
        (
            "fixed none with a payload",
            tm(json!({"transformation_method": "use_fixed_value", "value": "none", "enum": "x"})),
            "`enum` is not allowed",
        ),
        (
            "fixed value without value",
            tm(json!({"transformation_method": "use_fixed_value", "enum": "x"})),
            "discriminating property `value`",
        ),
        ("use_directly with extras", tm(json!({"transformation_method": "use_directly", "value": "x"})), "`value` is not allowed"),
        ("unknown method", tm(json!({"transformation_method": "make_constant"})), "`make_constant` is not one of"),
        ("use_raw_jq has no branch", tm(json!({"transformation_method": "use_raw_jq", "forward_jq": "."})), "no branch"),
        ("no method", tm(json!({})), "required property `transformation_method`"),
        (
            "map_enum target without value",
            tm(json!({"transformation_method": "map_enum", "forward": {"a": {}}})),
            "required property `value`",
        ),
        ("filter without types", tm(json!({"transformation_method": "filter_typed_reference"})), "required property `allowed_types`"),
        ("struct without fields", tm(json!({"transformation_method": "make_struct"})), "required property `field_mappings`"),
        (
            "stage missing keys",
            tm(json!({"transformation_method": "make_custom_stages", "stages": {"open": {"ordinal": 1}}})),
            "required property `stage_name`",
        ),
        ("no direction", with_title(json!({"forward": false, "reverse": false})), "neither forward nor reverse"),
        ("no forward", with_title(json!({"reverse": false})), "required property `forward`"),
        (
            "bad fallback type",
            with_title(json!({"forward": true, "reverse": false, "fallback": {"type": "string", "value": "x"}})),
            "`string` is not one of",
        ),
    ];
    for (what, doc, expect) in cases {
        let errs = idm_rules::check(&doc);
        assert!(errs.iter().any(|e| e.contains(expect)), "{what}: expected {expect:?} in {errs:#?}");
    }
    let mut v = idm::shipped();
    let users = &mut v["additional_mappings"]["record_type_mappings"]["users"];
    users.as_object_mut().unwrap().remove("default_mapping");
    users["mapping_as_custom_object"]["shard"]["mode"] = json!("assign_shard");
    users["possible_record_type_mappings"] = json!([{"devrev_leaf_type": {"object_type": "ticket"}, "forward": true}]);
    v["additional_mappings"]["record_type_mappings"]["groups"]["default_mapping"]["object_category"] = json!("custom_object");
    let errs = idm_rules::check(&v).join("\n");
    for expect in [
        "users: required property `default_mapping`",
        "shard.mode: `assign_shard` is not one of",
        "possible_record_type_mappings[0].devrev_leaf_type: {\"object_type\":\"ticket\"} is not of the declared type",
        "possible_record_type_mappings[0]: required property `reverse`",
        "groups.default_mapping.object_category: `custom_object` is not one of",
    ] {
        assert!(errs.contains(expect), "expected {expect:?} in\n{errs}");
    }
}

#[test]
fn the_metadata_declares_a_title_for_every_record_type_and_stays_consistent() {
    let doc = metadata::document(&[]);
    assert!(metadata::validate::check_document(&doc).is_empty());
    for t in ITEM_TYPES {
        assert!(doc["record_types"][*t]["fields"].get(TITLE_FIELD).is_some(), "{t}");
    }
    // A record without its title is caught by the validator the e2e tests use.
    let rec = json!({"id": "00g1", "created_date": "2024-01-01T00:00:00.000Z", "modified_date": "2024-01-01T00:00:00.000Z",
        "data": {"name": "Eng", "description": "d", "group_type": "OKTA_GROUP"}});
    let errs = metadata::validate::check_record(&doc, "groups", &rec);
    assert!(errs.iter().any(|e| e.contains(TITLE_FIELD)), "{errs:?}");
}

#[test]
fn the_manifest_offers_the_seeds_connection_form_with_documented_placeholders_only() {
    let errs = manifest_rules::check(MANIFEST);
    assert!(errs.is_empty(), "{errs:#?}");
}

#[test]
fn the_manifest_check_rejects_the_old_connection_form() {
    // The keyring this snap-in shipped before issue 12: placeholders DevRev never substitutes.
    let old = r#"
version: "2"
functions: [{name: extraction}]
keyring_types:
  - id: okta-api-token
    kind: "Secret"
    is_subdomain: false
    secret_config:
      secret_transform: '{domain: .domain, token: .token} | tojson'
      fields: [{id: domain, name: Okta domain}, {id: token, name: API token}]
      token_verification:
        url: "https://[DOMAIN]/api/v1/users/me"
        method: GET
        headers: {Authorization: "SSWS [TOKEN]"}
imports:
  - {slug: airdrop-okta-snap-in, extractor_function: extract, allowed_connection_types: [okta-connection]}
"#;
    let errs = manifest_rules::check(old).join("\n");
    for expect in [
        "is_subdomain is not true",
        "[DOMAIN] is not a placeholder DevRev documents",
        "[TOKEN] is not a placeholder DevRev documents",
        "has no [SUBDOMAIN]",
        "does not send Authorization: SSWS [API_KEY]",
        "does not pass one field through as the token",
        "field token looks secret but is not a password field",
        "extractor_function String(\"extract\") is not a declared function",
        "connection type String(\"okta-connection\") is not a declared keyring type",
    ] {
        assert!(errs.contains(expect), "expected {expect:?} in\n{errs}");
    }
}

#[test]
fn placeholders_are_found_in_any_text() {
    assert_eq!(manifest_rules::placeholders("https://[SUBDOMAIN].okta.com?[API_KEY] [{id: .x}] [a]"), vec!["SUBDOMAIN", "API_KEY"]);
}
