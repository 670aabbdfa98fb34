//! A validator for normalized records against the metadata, standing in for DevRev's own
//! (chef-cli cannot run here): every field is declared, types match, references point at
//! declared record types, required fields are present.

use serde_json::Value;

/// Checks the metadata's own consistency: references point at declared record types.
pub fn check_document(doc: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let Some(rts) = doc.get("record_types").and_then(Value::as_object) else {
        return vec!["no record_types".into()];
    };
    for (t, rt) in rts {
        for (f, def) in rt.get("fields").and_then(Value::as_object).into_iter().flatten() {
            if matches!(f.as_str(), "id" | "created_date" | "modified_date") {
                errs.push(format!("{t}.{f}: reserved names may not be declared"));
            }
            if let Some(refs) = def.pointer("/reference/refers_to").and_then(Value::as_object) {
                for target in refs.keys() {
                    let name = target.trim_start_matches("#record:");
                    if !rts.contains_key(name) {
                        errs.push(format!("{t}.{f}: refers to undeclared record type {name}"));
                    }
                }
            }
        }
    }
    errs
}

fn type_ok(def: &Value, v: &Value) -> bool {
    let ty = def.get("type").and_then(Value::as_str).unwrap_or("");
    let one = |v: &Value| match ty {
        "text" | "rich_text" | "reference" => v.is_string(),
        "int" => v.is_i64() || v.is_u64(),
        "float" => v.is_number(),
        "bool" => v.is_boolean(),
        "timestamp" => v.as_str().is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok()),
        "date" => v.as_str().is_some_and(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()),
        "enum" => v
            .as_str()
            .is_some_and(|s| def.pointer("/enum/values").and_then(Value::as_array).is_some_and(|vals| vals.iter().any(|x| x["key"] == s))),
        _ => false,
    };
    if def.get("collection").is_some() {
        v.as_array().is_some_and(|a| a.iter().all(one))
    } else {
        one(v)
    }
}

/// Validates one record of `item_type`; returns every problem found.
pub fn check_record(doc: &Value, item_type: &str, rec: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let Some(rt) = doc.pointer(&format!("/record_types/{item_type}")) else {
        return vec![format!("{item_type}: not a declared record type")];
    };
    let id = rec.get("id").and_then(Value::as_str).unwrap_or("?");
    for k in ["id", "created_date", "modified_date"] {
        let ok = match k {
            "id" => rec.get(k).and_then(Value::as_str).is_some_and(|s| !s.is_empty()),
            _ => rec.get(k).and_then(Value::as_str).is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok()),
        };
        if !ok {
            errs.push(format!("{item_type}/{id}: `{k}` missing or invalid"));
        }
    }
    let Some(data) = rec.get("data").and_then(Value::as_object) else {
        errs.push(format!("{item_type}/{id}: no `data` object"));
        return errs;
    };
    let fields = rt.get("fields").and_then(Value::as_object).cloned().unwrap_or_default();
    for (k, v) in data {
        match fields.get(k) {
            None => errs.push(format!("{item_type}/{id}: field `{k}` is not declared")),
            Some(_) if v.is_null() => {}
            Some(def) if !type_ok(def, v) => errs.push(format!("{item_type}/{id}: field `{k}` = {v} does not fit {}", def["type"])),
            _ => {}
        }
    }
    for (k, def) in &fields {
        if def.get("is_required") == Some(&Value::Bool(true)) && data.get(k).is_none_or(Value::is_null) {
            errs.push(format!("{item_type}/{id}: required field `{k}` is missing"));
        }
    }
    errs
}
