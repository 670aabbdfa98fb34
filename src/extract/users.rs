//! Users: the profile's standard attributes, each user type's custom attributes typed by its
//! schema, and placeholder (shadow) users told apart.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::schema::{convert, custom_attrs, CustomAttr, USER_FIELDS};
use super::{put, put_title, record, s, ts, AdminLinks};

/// Okta's standard profile attributes and the field each becomes.
const PROFILE_FIELDS: &[(&str, &str)] = &[
    ("login", "login"),
    ("email", "email"),
    ("secondEmail", "second_email"),
    ("firstName", "first_name"),
    ("lastName", "last_name"),
    ("middleName", "middle_name"),
    ("nickName", "nick_name"),
    ("title", "title"),
    ("department", "department"),
    ("division", "division"),
    ("organization", "organization"),
    ("costCenter", "cost_center"),
    ("employeeNumber", "employee_number"),
    ("userType", "user_type"),
    ("manager", "manager"),
    ("mobilePhone", "mobile_phone"),
    ("primaryPhone", "primary_phone"),
    ("city", "city"),
    ("state", "state"),
    ("countryCode", "country_code"),
    ("zipCode", "zip_code"),
    ("streetAddress", "street_address"),
    ("postalAddress", "postal_address"),
    ("locale", "locale"),
    ("timezone", "timezone"),
    ("preferredLanguage", "preferred_language"),
    ("profileUrl", "profile_url"),
    ("honorificPrefix", "honorific_prefix"),
    ("honorificSuffix", "honorific_suffix"),
];

/// The user statuses Okta documents.
pub const USER_STATUSES: &[&str] =
    &["STAGED", "PROVISIONED", "ACTIVE", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT", "SUSPENDED", "DEPROVISIONED"];

/// Whether a user is a placeholder ("shadow") account that must not be extracted.
pub fn is_shadow(user: &Value) -> bool {
    user.get("status").and_then(Value::as_str).is_some_and(|s| s.eq_ignore_ascii_case("shadow"))
}

/// Normalizes a user. Custom attributes are typed by `custom`; unknown profile keys are dropped.
pub fn user_with(u: &Value, custom: &[CustomAttr], links: &AdminLinks) -> Option<Value> {
    let id = s(u, "/id")?;
    let p = u.get("profile").cloned().unwrap_or(Value::Null);
    let mut d = Map::new();
    for (okta, field) in PROFILE_FIELDS {
        put(&mut d, field, s(&p, &format!("/{okta}")));
    }
    let display = s(&p, "/displayName").or_else(|| {
        let name = format!("{} {}", s(&p, "/firstName").unwrap_or_default(), s(&p, "/lastName").unwrap_or_default());
        Some(name.trim().to_string()).filter(|n| !n.is_empty())
    });
    // `login` and a documented `status` are required by the metadata (Okta always sends both):
    // a user without them is malformed and skipped, for the caller to count.
    let login = s(&p, "/login")?;
    let status = s(u, "/status").filter(|st| USER_STATUSES.contains(&st.as_str()))?;
    let login = Some(login);
    let display = display.or_else(|| login.clone());
    put_title(&mut d, [user_title(display.as_deref(), login.as_deref()), Some(id.clone())]);
    put(&mut d, "display_name", display);
    put(&mut d, "manager_id", s(&p, "/managerId"));
    d.insert("status".into(), status.into());
    put(&mut d, "transitioning_to_status", s(u, "/transitioningToStatus"));
    put(&mut d, "activated", ts(u.get("activated")));
    put(&mut d, "status_changed", ts(u.get("statusChanged")));
    put(&mut d, "last_login", ts(u.get("lastLogin")));
    put(&mut d, "password_changed", ts(u.get("passwordChanged")));
    put(&mut d, "user_type_id", s(u, "/type/id"));
    // Where the identity is mastered (`credentials.provider`, sent with omitCredentialsLinks);
    // nothing else of `credentials` (password, recovery question) is ever read.
    put(&mut d, "credentials_provider_type", s(u, "/credentials/provider/type"));
    put(&mut d, "credentials_provider_name", s(u, "/credentials/provider/name"));
    for attr in custom {
        if let Some(v) = p.get(&attr.okta_name).and_then(|v| convert(attr.kind, v)) {
            d.insert(attr.field.clone(), v);
        }
    }
    d.insert("item_url_field".into(), links.link(&format!("/admin/user/profile/view/{id}")).into());
    record(&id, ts(u.get("created")), ts(u.get("lastUpdated")), d)
}

/// "Ada Lovelace (ada@acme.com)"; just the login when the name is the login.
fn user_title(display: Option<&str>, login: Option<&str>) -> Option<String> {
    match (display, login) {
        (Some(d), Some(l)) if d != l => Some(format!("{d} ({l})")),
        (d, l) => d.or(l).map(str::to_string),
    }
}

/// How a user reads in a title: the login from the profile, else the id.
pub(crate) fn user_ref(user: &Value, uid: &str) -> String {
    s(user, "/profile/login").or_else(|| s(user, "/login")).unwrap_or_else(|| uid.to_string())
}

// ------------------------------------------------------------------------- user types
/// One user type, as `/api/v1/meta/types/user` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserType {
    /// The type id (`oty…`).
    pub id: String,
    /// The type's name (`user`, `partner`, …).
    pub name: String,
    /// Whether it is the org's default type.
    pub default: bool,
}

/// The custom attributes of every user type, each typed and named so that no two fields
/// collide: an attribute defined on several types with the same JSON type is one field; with
/// different types, the later type's gets a distinct name the way collisions with standard
/// fields are renamed (`custom_<name>`, then `custom_<name>_2`, …) and a title naming its type.
/// Types are taken default first, then by id, so names are stable from sync to sync.
/// Serializable: the users job keeps it in its position, as it keeps the default schema today.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserTypeAttrs {
    /// The types, in the order their attributes were named.
    pub types: Vec<UserType>,
    /// Each type's attributes, by type id.
    pub attrs: BTreeMap<String, Vec<CustomAttr>>,
}

/// The key [`UserTypeAttrs::default_only`] files the default schema's attributes under.
const DEFAULT_KEY: &str = "default";

impl UserTypeAttrs {
    /// The default schema's attributes alone, for orgs (or tokens) without the user types API.
    pub fn default_only(attrs: Vec<CustomAttr>) -> Self {
        UserTypeAttrs {
            types: vec![UserType { id: DEFAULT_KEY.into(), name: "user".into(), default: true }],
            attrs: BTreeMap::from([(DEFAULT_KEY.to_string(), attrs)]),
        }
    }

    fn default_id(&self) -> Option<&str> {
        self.types.iter().find(|t| t.default).map(|t| t.id.as_str())
    }

    /// The attributes a user of `type_id` carries: that type's; the default type's for a user
    /// without a type (or in [`UserTypeAttrs::default_only`] mode); none for a type created
    /// after the types were read (its attributes are unknown, so none is guessed).
    pub fn for_type(&self, type_id: Option<&str>) -> &[CustomAttr] {
        let id = match type_id.filter(|t| !t.is_empty()) {
            Some(t) if self.attrs.contains_key(t) => Some(t),
            Some(_) if self.attrs.contains_key(DEFAULT_KEY) && self.types.len() == 1 => Some(DEFAULT_KEY),
            Some(_) => None,
            None => self.default_id(),
        };
        id.and_then(|t| self.attrs.get(t)).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The name of a user type, when known.
    pub fn type_name(&self, type_id: &str) -> Option<&str> {
        self.types.iter().find(|t| t.id == type_id && t.id != DEFAULT_KEY).map(|t| t.name.as_str())
    }

    /// Every field the attributes become, once each, in type order: what the metadata declares
    /// (pass it to `metadata::document`).
    pub fn all(&self) -> Vec<CustomAttr> {
        let mut out: Vec<CustomAttr> = Vec::new();
        for t in &self.types {
            for a in self.attrs.get(&t.id).into_iter().flatten() {
                if !out.iter().any(|o| o.field == a.field) {
                    out.push(a.clone());
                }
            }
        }
        out
    }
}

/// Types the custom attributes of every user type from `(type, schema)` pairs (as
/// `okta::user_types::fetch_with_schemas` returns them). Returns the attributes and
/// warnings (secret-looking or oddly typed attributes, types without an id).
pub fn user_type_attrs(types: &[(Value, Value)]) -> (UserTypeAttrs, Vec<String>) {
    let mut warnings = Vec::new();
    let mut ordered: Vec<(UserType, &Value, String)> = Vec::new();
    for (t, schema) in types {
        let Some(id) = s(t, "/id") else {
            warnings.push("a user type without an id is ignored".to_string());
            continue;
        };
        let name = s(t, "/name").unwrap_or_else(|| id.clone());
        let display = s(t, "/displayName").unwrap_or_else(|| name.clone());
        let default = t.get("default").and_then(Value::as_bool) == Some(true);
        ordered.push((UserType { id, name, default }, schema, display));
    }
    ordered.sort_by(|a, b| (!a.0.default, &a.0.id).cmp(&(!b.0.default, &b.0.id)));
    let mut taken: Vec<String> = USER_FIELDS.iter().map(|f| f.to_string()).collect();
    let mut named: Vec<CustomAttr> = Vec::new();
    let mut out = UserTypeAttrs::default();
    for (t, schema, display) in ordered {
        let (parsed, w) = custom_attrs(schema);
        warnings.extend(w.into_iter().map(|w| format!("user type `{}`: {w}", t.name)));
        let mut mine = Vec::new();
        for a in parsed {
            if let Some(same) = named.iter().find(|n| n.okta_name == a.okta_name && n.kind == a.kind) {
                mine.push(same.clone());
                continue;
            }
            let clash = named.iter().any(|n| n.okta_name == a.okta_name);
            let field = super::schema::free_field(a.field.clone(), &a.okta_name, &mut taken);
            let title = if clash { format!("{} ({display})", a.title) } else { a.title.clone() };
            let attr = CustomAttr { field, title, ..a };
            named.push(attr.clone());
            mine.push(attr);
        }
        out.attrs.insert(t.id.clone(), mine);
        out.types.push(t);
    }
    (out, warnings)
}

/// Normalizes a user with its type's custom attributes and the type's name (`user_type_name`
/// beside `user_type_id`); `None` as `user` skips.
pub fn user(u: &Value, types: &UserTypeAttrs, links: &AdminLinks) -> Option<Value> {
    let type_id = s(u, "/type/id");
    let mut rec = user_with(u, types.for_type(type_id.as_deref()), links)?;
    if let (Some(id), Some(d)) = (type_id, rec.get_mut("data").and_then(Value::as_object_mut)) {
        put(d, "user_type_name", types.type_name(&id).map(str::to_string));
    }
    Some(rec)
}
