//! The initial domain mapping, in the format of DevRev's published initial-mapping schema
//! (`initial_mappings_schema.yaml` in devrev/airdrop-shared; the rules are encoded in
//! `tests/conformance/idm_rules.rs`). Every record type maps to a fresh DevRev custom object
//! whose title comes from the record's [`TITLE_FIELD`]. The shipped JSON
//! (`initial_domain_mapping.json`) is what gets installed; [`generate`] derives it from the
//! metadata and a test keeps the two equal.
//!
//! Shape choices, each from DevRev's published material:
//! - The custom object is declared as DevRev's own Wrike snap-in declares one
//!   (devrev/airdrop-wrike-snap-in, `initial_domain_mapping.json`): `mapping_as_custom_object`
//!   with `shard.mode = create_shard` and the leaf type
//!   `{"object_category": "fresh_custom", "object_type": "custom_object"}`.
//! - No `constructed_custom_fields`. The schema has no such key in any version; the one DevRev
//!   snap-in that writes it (Asana) uses it to construct an enum with `use_raw_jq` on a stock
//!   `issue` shard, not on a custom object, and Wrike's custom objects carry none. A fresh
//!   custom object takes its fields from the external domain metadata, so nothing is invented.
//! - Only the stock `title` and `item_url_field` (DevRev's "Link to the item in the origin
//!   system", text on every leaf type: fern-api-docs `supported-object-types.mdx`) are mapped,
//!   each from a real field (`primary_external_field` + `use_directly`, as DevRev's Asana
//!   snap-in maps `item_url_field`). `use_fixed_value` is never used: the schema allows it only with
//!   `value: bool | enum_value | none` ("only available for boolean or enum DevRev fields").
//! - The wrapper key is the schema's `transformation_method_for_set` (as Wrike writes it).

use serde_json::{json, Map, Value};

use crate::extract::TITLE_FIELD;

/// The mapping installed on each new snap-in version.
pub const SHIPPED: &str = include_str!("initial_domain_mapping.json");

/// The record field holding the record's Okta admin console URL, mapped to DevRev's stock field
/// of the same name.
pub const ITEM_URL_FIELD: &str = "item_url_field";

/// The format version written into the mapping.
pub const FORMAT_VERSION: &str = "v0.2.0";

/// Parses the shipped mapping. The text is compiled in and a test parses it, so the empty
/// object returned on a parse error is unreachable in a tested build.
pub fn shipped() -> Value {
    serde_json::from_str(SHIPPED).unwrap_or_else(|_| json!({}))
}

/// The leaf type of a fresh custom object, as DevRev's Wrike snap-in writes it.
fn fresh_custom_object() -> Value {
    json!({"object_category": "fresh_custom", "object_type": "custom_object"})
}

/// A stock field taken unchanged from `primary` of the record.
fn use_directly(primary: &str) -> Value {
    json!({"forward": true, "reverse": false, "primary_external_field": primary,
           "transformation_method_for_set": {"transformation_method": "use_directly"}})
}

/// Derives the mapping from a metadata document. Record types without a [`TITLE_FIELD`] get
/// no title mapping (the metadata test declares one for every type).
pub fn generate(metadata: &Value) -> Value {
    let mut mappings = Map::new();
    for (t, rt) in metadata["record_types"].as_object().into_iter().flatten() {
        let mut stock_fields = Map::new();
        if rt.pointer(&format!("/fields/{TITLE_FIELD}")).is_some() {
            stock_fields.insert("title".into(), use_directly(TITLE_FIELD));
        }
        if rt.pointer(&format!("/fields/{ITEM_URL_FIELD}")).is_some() {
            stock_fields.insert(ITEM_URL_FIELD.into(), use_directly(ITEM_URL_FIELD));
        }
        mappings.insert(
            t.clone(),
            json!({
                "default_mapping": fresh_custom_object(),
                "possible_record_type_mappings": [],
                "mapping_as_custom_object": {"forward": true, "reverse": false, "shard": {
                    "mode": "create_shard", "devrev_leaf_type": fresh_custom_object(),
                    "stock_field_mappings": stock_fields}}
            }),
        );
    }
    json!({"additional_mappings": {"record_type_mappings": mappings}, "format_version": FORMAT_VERSION})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_mapping_matches_the_metadata() {
        let generated = generate(&crate::metadata::document(&[]));
        if std::env::var("UPDATE_IDM").is_ok() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/metadata/initial_domain_mapping.json");
            std::fs::write(path, serde_json::to_string_pretty(&generated).unwrap() + "\n").unwrap();
        }
        let parsed: Value = serde_json::from_str(SHIPPED).expect("the shipped mapping is JSON");
        assert_eq!(parsed, generated, "regenerate with UPDATE_IDM=1 cargo test the_shipped_mapping");
        for t in crate::extract::ITEM_TYPES {
            let m = &shipped()["additional_mappings"]["record_type_mappings"][t];
            assert_eq!(
                m["mapping_as_custom_object"]["shard"]["stock_field_mappings"]["title"]["primary_external_field"], TITLE_FIELD,
                "{t}"
            );
            let url = &m["mapping_as_custom_object"]["shard"]["stock_field_mappings"][ITEM_URL_FIELD];
            assert_eq!(url["primary_external_field"], ITEM_URL_FIELD, "{t}");
            assert_eq!(url["transformation_method_for_set"]["transformation_method"], "use_directly", "{t}");
        }
    }
}
