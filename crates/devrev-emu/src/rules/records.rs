//! Every extracted record against the external domain metadata the worker uploaded, as DevRev
//! reads them. Sources, all DevRev's: the metadata schema (`external_domain_metadata_schema.json`
//! in devrev/airdrop-shared: field `type`s, `is_required`, `enum.values[].key`, `collection`,
//! `reference.refers_to`), fern-api-docs `airsync/metadata-extraction.mdx` ("Fields' keys must
//! match what is actually found in the extracted data", "Lists must be marked as a
//! `collection`", references refer to `#record:` types or `#category:`s) and airdrop-shared
//! `docs/data-extraction.md`, "Data normalization" (fields without a value are omitted or null,
//! never "" or -1; RFC 3339 timestamps, `2020-12-31` dates; references are strings; numbers are
//! JSON numbers; multiselects are arrays; rich text is a string split into an array of lines).
//!
//! A tombstone is a record like any other: it is checked the same way.

use serde_json::{Map, Value};

/// Problems with the metadata document itself: a reference to a record type it does not declare.
pub fn check_metadata(doc: &Value) -> Vec<String> {
    let Some(types) = doc.get("record_types").and_then(Value::as_object) else {
        return vec!["external_domain_metadata: no `record_types` object".into()];
    };
    let mut errs = Vec::new();
    for (t, rt) in types {
        for (f, def) in fields_of(rt) {
            for target in def.pointer("/reference/refers_to").and_then(Value::as_object).into_iter().flat_map(Map::keys) {
                if let Some(name) = target.strip_prefix("#record:") {
                    if !types.contains_key(name) {
                        errs.push(format!("external_domain_metadata: {t}.{f} refers to {target}, which is not a declared record type"));
                    }
                }
            }
        }
    }
    errs
}

/// Every problem of one record of `item_type` against `doc`, each naming the record and field.
pub fn check_record(doc: &Value, item_type: &str, rec: &Value) -> Vec<String> {
    let id = rec.get("id").and_then(Value::as_str).unwrap_or("?");
    let at = |what: String| format!("{item_type}/{id}: {what}");
    let Some(rt) = doc.pointer("/record_types").and_then(|t| t.get(item_type)) else {
        return vec![at("the metadata declares no such record type".into())];
    };
    let mut errs = Vec::new();
    for k in ["created_date", "modified_date"] {
        if !rec.get(k).and_then(Value::as_str).is_some_and(is_timestamp) {
            errs.push(at(format!("`{k}` is not an RFC 3339 timestamp")));
        }
    }
    let Some(data) = rec.get("data").and_then(Value::as_object) else {
        errs.push(at("no `data` object".into()));
        return errs;
    };
    let fields: Map<String, Value> = fields_of(rt).map(|(k, v)| (k.clone(), v.clone())).collect();
    for (k, v) in data {
        match fields.get(k) {
            None => errs.push(at(format!("field `{k}` is not declared in the metadata"))),
            Some(_) if v.is_null() => {}
            Some(def) => {
                if let Err(why) = fits(def, v) {
                    errs.push(at(format!("field `{k}` = {}: {why}", short(v))));
                }
            }
        }
    }
    for (k, def) in &fields {
        if def.get("is_required") == Some(&Value::Bool(true)) && data.get(k).is_none_or(is_empty) {
            errs.push(at(format!("required field `{k}` is missing or empty")));
        }
    }
    errs
}

fn fields_of(rt: &Value) -> impl Iterator<Item = (&String, &Value)> {
    rt.get("fields").and_then(Value::as_object).into_iter().flatten()
}

/// Null, "", or an empty list: no value.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Whether `v` fits the field's declaration (a collection: an array of fitting values).
fn fits(def: &Value, v: &Value) -> Result<(), String> {
    if def.get("collection").is_some() {
        let Some(items) = v.as_array() else { return Err("a collection must be an array".into()) };
        return items.iter().try_for_each(|i| fits_one(def, i));
    }
    fits_one(def, v)
}

fn fits_one(def: &Value, v: &Value) -> Result<(), String> {
    let ty = def.get("type").and_then(Value::as_str).unwrap_or("");
    let ok = match ty {
        "bool" => v.is_boolean(),
        "int" => v.is_i64() || v.is_u64(),
        "float" => v.is_number(),
        "text" | "reference" => v.is_string(),
        "rich_text" => v.is_string() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        "timestamp" => v.as_str().is_some_and(is_timestamp),
        "date" => v.as_str().is_some_and(|s| s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()),
        "enum" => {
            let keys = def.pointer("/enum/values").and_then(Value::as_array).cloned().unwrap_or_default();
            return match v.as_str() {
                Some(s) if keys.iter().any(|k| k.get("key").and_then(Value::as_str) == Some(s)) => Ok(()),
                Some(_) => Err("not one of the enum's values".into()),
                None => Err("an enum value must be a string".into()),
            };
        }
        "struct" | "permission" => v.is_object(),
        "typed_reference" | "type_key" => v.is_string() || v.is_object(),
        other => return Err(format!("the metadata gives the field an unknown type `{other}`")),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("does not fit type `{ty}`"))
    }
}

fn is_timestamp(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({"record_types": {
            "users": {"fields": {
                "status": {"type": "enum", "is_required": true, "enum": {"values": [{"key": "ACTIVE"}]}},
                "groups": {"type": "reference", "collection": {}, "reference": {"refers_to": {"#record:groups": {}}}},
                "n": {"type": "int"}, "deleted": {"type": "bool"}}},
            "groups": {"fields": {"boss": {"type": "reference", "reference": {"refers_to": {"#record:admins": {}}}}}}
        }})
    }

    fn rec(data: Value) -> Value {
        json!({"id": "u1", "created_date": "2024-01-01T00:00:00Z", "modified_date": "2024-01-01T00:00:00Z", "data": data})
    }

    #[test]
    fn a_valid_record_passes_and_each_defect_is_named() {
        assert_eq!(
            check_record(&doc(), "users", &rec(json!({"status": "ACTIVE", "groups": ["g1"], "n": 3, "deleted": null}))),
            Vec::<String>::new()
        );
        let errs = check_record(&doc(), "users", &rec(json!({"status": "GONE", "groups": "g1", "n": 1.5, "extra": 1})));
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert!(errs.iter().any(|e| e.contains("`status`") && e.contains("enum")), "{errs:?}");
        assert!(errs.iter().any(|e| e.contains("`extra` is not declared")), "{errs:?}");
        // A tombstone without its required field.
        let errs = check_record(&doc(), "users", &rec(json!({"deleted": true, "status": null})));
        assert_eq!(errs, ["users/u1: required field `status` is missing or empty"]);
        assert_eq!(check_record(&doc(), "devices", &rec(json!({}))).len(), 1);
    }

    #[test]
    fn references_must_name_declared_record_types() {
        assert_eq!(
            check_metadata(&doc()),
            ["external_domain_metadata: groups.boss refers to #record:admins, which is not a declared record type"]
        );
    }
}
