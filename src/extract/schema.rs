//! Custom user attributes from the user schema (`definitions.custom.properties`).
//!
//! Each becomes a field of `users`: string → text, number → float, integer → int,
//! boolean → bool, array → text holding a JSON string; any other type is declared as text
//! (with a warning). A name that collides with a reserved or standard field is renamed to
//! `custom_<name>` (then `custom_<name>_2`, …), so the mapping is predictable.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{secrets, snake};

/// The DevRev field type a custom attribute gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomKind {
    /// Text.
    Text,
    /// 64-bit float.
    Float,
    /// 64-bit integer.
    Int,
    /// Boolean.
    Bool,
    /// An array, as a JSON string.
    JsonText,
}

/// One custom attribute and the field it becomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomAttr {
    /// The Okta attribute name.
    pub okta_name: String,
    /// The `data` key in `users` records.
    pub field: String,
    /// The field type.
    pub kind: CustomKind,
    /// The attribute's title, for the field's display name.
    pub title: String,
}

/// The fields of `users` that custom attributes must not take.
pub const USER_FIELDS: &[&str] = &[
    "id",
    "created_date",
    "modified_date",
    "login",
    "email",
    "second_email",
    "first_name",
    "last_name",
    "middle_name",
    "display_name",
    "nick_name",
    "title",
    "department",
    "division",
    "organization",
    "cost_center",
    "employee_number",
    "user_type",
    "manager_id",
    "manager",
    "mobile_phone",
    "primary_phone",
    "city",
    "state",
    "country_code",
    "zip_code",
    "street_address",
    "postal_address",
    "locale",
    "timezone",
    "preferred_language",
    "profile_url",
    "honorific_prefix",
    "honorific_suffix",
    "status",
    "transitioning_to_status",
    "activated",
    "status_changed",
    "last_login",
    "password_changed",
    "last_updated",
    "user_type_id",
    "user_type_name",
    "credentials_provider_type",
    "credentials_provider_name",
    "item_url_field",
    super::TITLE_FIELD,
];

/// Parses the custom attributes of a user schema. Returns the attributes and warnings.
pub fn custom_attrs(schema: &Value) -> (Vec<CustomAttr>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut taken: Vec<String> = USER_FIELDS.iter().map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    let Some(props) = schema.pointer("/definitions/custom/properties").and_then(Value::as_object) else {
        return (out, warnings);
    };
    for (name, def) in props {
        let format = def.get("format").and_then(Value::as_str).unwrap_or("");
        if matches!(format, "encrypted" | "hashed") || secrets::is_secret_key(name) {
            warnings.push(format!("custom attribute `{name}` looks secret ({format}); it is not extracted"));
            continue;
        }
        let kind = match def.get("type").and_then(Value::as_str).unwrap_or("") {
            "string" => CustomKind::Text,
            "number" => CustomKind::Float,
            "integer" => CustomKind::Int,
            "boolean" => CustomKind::Bool,
            "array" => CustomKind::JsonText,
            other => {
                warnings.push(format!("custom attribute `{name}` has unknown type `{other}`; it is declared as text"));
                CustomKind::Text
            }
        };
        let field = free_field(snake(name), name, &mut taken);
        let title = def.get("title").and_then(Value::as_str).unwrap_or(name).to_string();
        out.push(CustomAttr { okta_name: name.clone(), field, kind, title });
    }
    (out, warnings)
}

/// Converts one custom value to its declared type; `None` drops it (null, or does not fit).
pub fn convert(kind: CustomKind, v: &Value) -> Option<Value> {
    match (kind, v) {
        (_, Value::Null) => None,
        (CustomKind::Text, Value::String(s)) if s.is_empty() => None,
        (CustomKind::Text, Value::String(s)) => Some(Value::String(s.clone())),
        (CustomKind::Text, other) => Some(Value::String(other.to_string())),
        (CustomKind::Float, Value::Number(n)) => n.as_f64().map(Value::from),
        (CustomKind::Int, Value::Number(n)) => n.as_i64().map(Value::from),
        (CustomKind::Bool, Value::Bool(b)) => Some(Value::Bool(*b)),
        (CustomKind::JsonText, other) => Some(Value::String(other.to_string())),
        _ => None,
    }
}

/// `field` if no attribute has it yet, else `custom_<name>`, `custom_<name>_2`, ...; recorded
/// in `taken`.
pub(crate) fn free_field(field: String, okta_name: &str, taken: &mut Vec<String>) -> String {
    let mut field = field;
    if taken.contains(&field) {
        let base = snake(okta_name);
        field = format!("custom_{base}");
        let mut n = 2;
        while taken.contains(&field) {
            field = format!("custom_{base}_{n}");
            n += 1;
        }
    }
    taken.push(field.clone());
    field
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attributes_get_types_and_collision_free_names() {
        let schema = json!({"definitions": {"custom": {"properties": {
            "costCenterCode": {"type": "string"}, "email": {"type": "string"}, "id": {"type": "integer"},
            "badgeIds": {"type": "array", "items": {"type": "integer"}}, "weird": {"type": "object"},
            "pinHash": {"type": "string", "format": "hashed"}}}}});
        let (attrs, warnings) = custom_attrs(&schema);
        let by: std::collections::HashMap<_, _> = attrs.iter().map(|a| (a.okta_name.as_str(), a)).collect();
        assert_eq!(by["costCenterCode"].field, "cost_center_code");
        assert_eq!(by["email"].field, "custom_email");
        assert_eq!(by["id"].field, "custom_id");
        assert_eq!(by["id"].kind, CustomKind::Int);
        assert_eq!(by["badgeIds"].kind, CustomKind::JsonText);
        assert_eq!(by["weird"].kind, CustomKind::Text);
        assert!(!by.contains_key("pinHash"));
        assert_eq!(warnings.len(), 2);
        assert_eq!(convert(CustomKind::JsonText, &json!([1, 2])).unwrap(), json!("[1,2]"));
    }
}
