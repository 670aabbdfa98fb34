//! Pure functions from Okta JSON to normalized AirSync records (DevRev's "Data extraction"
//! page, developer.devrev.ai/airsync/data-extraction).
//!
//! One file per entity. Every record is `{id, created_date, modified_date, data}` with
//! snake_case keys in `data`, string references and an `item_url_field` into the Okta admin
//! console. Nothing here does I/O, and nothing secret survives [`secrets::strip`].

pub mod apps;
pub mod devices;
pub mod factors;
pub mod group_rules;
pub mod groups;
pub mod item_type;
pub mod logs;
pub mod policies;
pub mod roles;
pub mod schema;
pub mod secrets;
pub mod sign_in_config;
pub mod sign_ins;
pub mod users;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

pub use item_type::ItemType;

/// Every item type's name, in the order they are documented.
pub const ITEM_TYPES: &[&str] = &item_type::ITEM_TYPES;

/// Builds admin-console links for records.
#[derive(Debug, Clone)]
pub struct AdminLinks {
    base: String,
}

impl AdminLinks {
    /// From the org's API base URL: `https://acme.okta.com` links to `https://acme-admin.okta.com`.
    pub fn from_base(base: &url::Url) -> Self {
        let host = base.host_str().unwrap_or("");
        let admin_host = match host.split_once('.') {
            Some((sub, rest)) if super::okta::org_url::OKTA_SUFFIXES.contains(&rest) => format!("{sub}-admin.{rest}"),
            _ => host.to_string(),
        };
        let mut b = base.clone();
        let _ = b.set_host(Some(&admin_host));
        AdminLinks { base: b.as_str().trim_end_matches('/').to_string() }
    }

    /// `base` + `path`. A path that does not start with `/` gets one, so nothing in it (an
    /// id holding `@` or `:`) can move the link to another host.
    pub fn link(&self, path: &str) -> String {
        if path.starts_with('/') {
            format!("{}{}", self.base, path)
        } else {
            format!("{}/{}", self.base, path)
        }
    }
}

/// Normalizes an Okta timestamp to RFC 3339 with milliseconds; `None` when absent or unparsable.
pub fn ts(v: Option<&Value>) -> Option<String> {
    let s = v?.as_str()?;
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// A string field, `None` when absent, null or empty.
pub fn s(v: &Value, path: &str) -> Option<String> {
    v.pointer(path).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Puts `value` into `data` unless it is `None`.
pub fn put(data: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        data.insert(key.to_string(), v.into());
    }
}

/// Converts camelCase (or anything) to snake_case ASCII.
pub fn snake(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    let out = out.trim_matches('_').to_string();
    if out.is_empty() {
        // Nothing usable (a name of only symbols or non-ASCII letters): a fixed name, which the
        // caller de-duplicates. `f`, not `f_`, so that snake is idempotent.
        "f".to_string()
    } else if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("f_{out}")
    } else {
        out
    }
}

/// Assembles a record. Returns `None` when a date is missing (the record would be invalid).
/// A record without a title gets its id as the title (the metadata requires one).
pub fn record(id: &str, created: Option<String>, modified: Option<String>, mut data: Map<String, Value>) -> Option<Value> {
    let created = created.or_else(|| modified.clone())?;
    let modified = modified.unwrap_or_else(|| created.clone());
    data.entry(TITLE_FIELD).or_insert_with(|| id.into());
    let mut r = Map::new();
    r.insert("id".into(), id.into());
    r.insert("created_date".into(), created.into());
    r.insert("modified_date".into(), modified.into());
    r.insert("data".into(), Value::Object(data));
    Some(Value::Object(r))
}

/// The field every record carries as its human-readable title (the DevRev object's `title`
/// comes from it through the initial domain mapping). Never empty: each normalizer falls back
/// to ids when Okta gives no name.
pub const TITLE_FIELD: &str = "record_title";

/// Sets [`TITLE_FIELD`] to the first non-empty candidate.
pub fn put_title(data: &mut Map<String, Value>, candidates: impl IntoIterator<Item = Option<String>>) {
    if let Some(t) = candidates.into_iter().flatten().map(|t| t.trim().to_string()).find(|t| !t.is_empty()) {
        data.insert(TITLE_FIELD.to_string(), t.into());
    }
}

/// A JSON value as compact text, for fields declared as text holding JSON.
pub fn json_text(v: &Value) -> String {
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_is_predictable() {
        assert_eq!(snake("firstName"), "first_name");
        assert_eq!(snake("costCenter"), "cost_center");
        assert_eq!(snake("employee ID#"), "employee_id");
        assert_eq!(snake("9lives"), "f_9lives");
    }

    #[test]
    fn admin_links_use_the_admin_host() {
        let l = AdminLinks::from_base(&url::Url::parse("https://acme.okta.com").unwrap());
        assert_eq!(l.link("/admin/user/profile/view/1"), "https://acme-admin.okta.com/admin/user/profile/view/1");
        let l = AdminLinks::from_base(&url::Url::parse("http://127.0.0.1:9000").unwrap());
        assert_eq!(l.link("/x"), "http://127.0.0.1:9000/x");
    }

    #[test]
    fn timestamps_keep_milliseconds() {
        assert_eq!(ts(Some(&"2025-07-01T14:03:27.412Z".into())).unwrap(), "2025-07-01T14:03:27.412Z");
        assert_eq!(ts(Some(&"2025-07-01T14:03:27Z".into())).unwrap(), "2025-07-01T14:03:27.000Z");
        assert!(ts(Some(&"nope".into())).is_none());
    }
}

#[cfg(test)]
#[path = "tests/mod.rs"]
mod normalizers;
