//! The initial domain mapping: every record type maps to a new DevRev custom object by
//! default, with readable field names. The shipped JSON (`initial_domain_mapping.json`) is what
//! gets installed; [`generate`] derives it from the metadata and a test keeps the two equal.

use serde_json::{json, Map, Value};

/// The mapping installed on each new snap-in version.
pub const SHIPPED: &str = include_str!("initial_domain_mapping.json");

/// Parses the shipped mapping.
pub fn shipped() -> Value {
    serde_json::from_str(SHIPPED).expect("the shipped initial domain mapping is valid JSON (tested)")
}

/// The field that titles each record type's custom object.
fn title_field(item_type: &str) -> Option<&'static str> {
    Some(match item_type {
        "users" => "display_name",
        "groups" => "name",
        "iam_roles" | "applications" => "label",
        "policies" => "name",
        "system_logs" => "display_message",
        "devices" => "display_name",
        "factors" => "factor_type",
        _ => return None,
    })
}

fn stock(primary: &str) -> Value {
    json!({"forward": true, "reverse": false, "primary_external_field": primary,
           "transformation_method_for_set": {"transformation_method": "use_directly"}})
}

/// Derives the mapping from a metadata document (static fields only).
pub fn generate(metadata: &Value) -> Value {
    let mut mappings = Map::new();
    for (t, rt) in metadata["record_types"].as_object().into_iter().flatten() {
        let leaf = json!({"object_category": "fresh_custom", "object_type": format!("okta_{t}")});
        let mut stock_fields = Map::new();
        let title = match title_field(t) {
            Some(f) => stock(f),
            None => json!({"forward": true, "reverse": false,
                "fallback": {"type": "text", "value": rt["name"]},
                "transformation_method_for_set": {"transformation_method": "use_fixed_value", "value": rt["name"]}}),
        };
        stock_fields.insert("title".into(), title);
        stock_fields.insert("item_url_field".into(), stock("item_url_field"));
        let mut custom = Map::new();
        for (f, def) in rt["fields"].as_object().into_iter().flatten() {
            if f == "item_url_field" {
                continue;
            }
            custom.insert(
                f.clone(),
                json!({"name": def["name"], "type": def["type"],
                "forward": true, "reverse": false, "primary_external_field": f,
                "transformation_method_for_set": {"transformation_method": "use_directly"}}),
            );
        }
        mappings.insert(
            t.clone(),
            json!({
                "default_mapping": leaf,
                "possible_record_type_mappings": [],
                "mapping_as_custom_object": {"forward": true, "reverse": false, "shard": {
                    "mode": "create_shard", "devrev_leaf_type": leaf,
                    "stock_field_mappings": stock_fields, "constructed_custom_fields": custom}}
            }),
        );
    }
    json!({"additional_mappings": {"record_type_mappings": mappings}, "format_version": "v0.2.0"})
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
        assert_eq!(shipped(), generated, "regenerate with UPDATE_IDM=1 cargo test the_shipped_mapping");
        for t in crate::extract::ITEM_TYPES {
            assert!(shipped()["additional_mappings"]["record_type_mappings"].get(t).is_some(), "{t} has no mapping");
        }
    }
}
