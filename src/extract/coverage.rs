//! Normalizers of the coverage families: users typed by their user type's schema, policies of
//! custom authorization servers, the targets of admin role assignments, and authenticator
//! enrollments. Pure, like the rest of `extract`; nothing secret survives.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::schema::{custom_attrs, CustomAttr, USER_FIELDS};
use super::secrets::{mask_phone, strip};
use super::{access, identity, json_text, put, put_title, record, s, ts, AdminLinks, ItemType};

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
/// `okta::coverage::user_types::fetch_with_schemas` returns them). Returns the attributes and
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
/// beside `user_type_id`); `None` as `identity::user` skips.
pub fn user(u: &Value, types: &UserTypeAttrs, links: &AdminLinks) -> Option<Value> {
    let type_id = s(u, "/type/id");
    let mut rec = identity::user(u, types.for_type(type_id.as_deref()), links)?;
    if let (Some(id), Some(d)) = (type_id, rec.get_mut("data").and_then(Value::as_object_mut)) {
        put(d, "user_type_name", types.type_name(&id).map(str::to_string));
    }
    Some(rec)
}

// ------------------------------------------------------------ authorization servers

/// A rule of an authorization server policy without secrets, its token lifetimes kept: the
/// generic stripping drops every key naming a token, so the documented lifetimes (numbers,
/// never secrets) are put back as `actions.lifetimes_minutes`.
fn oauth_rule(r: &Value) -> Value {
    let mut out = strip(r);
    let lifetime = |k: &str| r.pointer(&format!("/actions/token/{k}")).and_then(Value::as_i64);
    let mut lt = Map::new();
    for (okta, key) in [
        ("accessTokenLifetimeMinutes", "access"),
        ("refreshTokenLifetimeMinutes", "refresh"),
        ("refreshTokenWindowMinutes", "refresh_window"),
    ] {
        if let Some(v) = lifetime(okta) {
            lt.insert(key.into(), v.into());
        }
    }
    if let (false, Some(o)) = (lt.is_empty(), out.as_object_mut()) {
        let actions = o.entry("actions").or_insert_with(|| Value::Object(Map::new()));
        if let Some(a) = actions.as_object_mut() {
            a.insert("lifetimes_minutes".into(), Value::Object(lt));
        }
    }
    out
}

/// A policy of a custom authorization server (`OAUTH_AUTHORIZATION_POLICY`) as a `policies`
/// record, its rules embedded as other policies carry theirs (`rules` as JSON text without
/// secrets, `rule_count`), with `authorization_server_id` and `authorization_server_name`.
/// Titled "Default Policy (HR API)": server policies are often named alike.
pub fn auth_server_policy(server: &Value, p: &Value, rules: &[Value], links: &AdminLinks) -> Option<Value> {
    let sid = s(server, "/id")?;
    let mut p = p.clone();
    if let Some(o) = p.as_object_mut().filter(|o| o.get("type").and_then(Value::as_str).is_none_or(str::is_empty)) {
        o.insert("type".into(), "OAUTH_AUTHORIZATION_POLICY".into());
    }
    let mut rec = access::policy(&p, &[], links)?;
    let d = rec.get_mut("data").and_then(Value::as_object_mut)?;
    let rules: Vec<Value> = rules.iter().map(oauth_rule).collect();
    d.insert("rule_count".into(), rules.len().into());
    d.insert("rules".into(), json_text(&Value::Array(rules)).into());
    let server_name = s(server, "/name");
    let name = d.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
    put_title(d, [Some(format!("{name} ({})", server_name.clone().unwrap_or_else(|| sid.clone())))]);
    d.insert("authorization_server_id".into(), sid.clone().into());
    put(d, "authorization_server_name", server_name);
    d.insert("item_url_field".into(), links.link(&format!("/admin/oauth2/as/{sid}#policies")).into());
    Some(rec)
}

// -------------------------------------------------------------------- role targets

/// The groups and apps a role assignment is limited to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleTargets {
    /// Group ids.
    pub group_ids: Vec<String>,
    /// App instance ids, or catalog app names for a whole OIN catalog app.
    pub app_ids: Vec<String>,
}

/// An app target's id: the instance id, else the catalog app's `name`.
pub fn app_target_id(app: &Value) -> Option<String> {
    s(app, "/id").or_else(|| s(app, "/name"))
}

impl RoleTargets {
    /// The targets embedded in an assignment of an expanded roles list
    /// (`_embedded.targets.groups`, `_embedded.targets.catalog.apps`).
    pub fn from_embedded(assignment: &Value) -> Self {
        let mut t = RoleTargets::default();
        let list = |p: &str| assignment.pointer(p).and_then(Value::as_array).cloned().unwrap_or_default();
        t.add_groups(&list("/_embedded/targets/groups"));
        t.add_apps(&list("/_embedded/targets/catalog/apps"));
        t
    }

    /// Adds groups (Group objects, as the targets endpoint lists them), once each.
    pub fn add_groups(&mut self, groups: &[Value]) {
        for id in groups.iter().filter_map(|g| s(g, "/id")) {
            if !self.group_ids.contains(&id) {
                self.group_ids.push(id);
            }
        }
    }

    /// Adds apps (CatalogApplication objects), once each.
    pub fn add_apps(&mut self, apps: &[Value]) {
        for id in apps.iter().filter_map(app_target_id) {
            if !self.app_ids.contains(&id) {
                self.app_ids.push(id);
            }
        }
    }

    /// `LIMITED` when any target restricts the role, else `ALL` (a custom role is bounded by
    /// its resource set instead, and reads `ALL` here).
    pub fn scope(&self) -> &'static str {
        if self.group_ids.is_empty() && self.app_ids.is_empty() {
            "ALL"
        } else {
            "LIMITED"
        }
    }
}

/// Pairs each assignment of a roles list read with `expand=targets/groups` with its targets,
/// adding those of the same assignment in the list read with `expand=targets/catalog/apps`
/// (`None` when that second call was not needed).
pub fn with_targets(by_groups: Vec<Value>, by_apps: Option<&[Value]>) -> Vec<(Value, RoleTargets)> {
    by_groups
        .into_iter()
        .map(|a| {
            let mut t = RoleTargets::from_embedded(&a);
            let id = s(&a, "/id");
            if let Some(other) = by_apps.into_iter().flatten().find(|o| id.is_some() && s(o, "/id") == id) {
                for x in RoleTargets::from_embedded(other).app_ids {
                    if !t.app_ids.contains(&x) {
                        t.app_ids.push(x);
                    }
                }
            }
            (a, t)
        })
        .collect()
}

/// Adds the targets to an `iam_role_members` record: `scope` (ALL or LIMITED),
/// `target_group_ids` and `target_app_ids`.
pub fn add_role_targets(rec: &mut Value, targets: &RoleTargets) {
    if let Some(d) = rec.get_mut("data").and_then(Value::as_object_mut) {
        d.insert("scope".into(), targets.scope().into());
        d.insert("target_group_ids".into(), targets.group_ids.clone().into());
        d.insert("target_app_ids".into(), targets.app_ids.clone().into());
    }
}

/// `identity::role_member_of` with the assignment's targets added.
pub fn role_member_with_targets(
    assignment: &Value,
    assignee: &Value,
    assignee_type: &str,
    targets: &RoleTargets,
    links: &AdminLinks,
) -> Option<Value> {
    let mut rec = identity::role_member_of(assignment, assignee, assignee_type, links)?;
    add_role_targets(&mut rec, targets);
    Some(rec)
}

// ------------------------------------------------------- authenticator enrollments

/// An authenticator enrollment of `user` (the user JSON, or just `{"id": …}`), id
/// `userId:enrollmentId`, titled "Phone (Work phone) of ada@acme.com". Only named fields are
/// read: phone numbers keep their last four digits (Okta already masks them), and nothing
/// else of the profile (a security question, say) is taken.
pub fn authenticator_enrollment(user: &Value, e: &Value, links: &AdminLinks) -> Option<Value> {
    let uid = s(user, "/id")?;
    let eid = s(e, "/id")?;
    let kind = s(e, "/type")?;
    let mut d = Map::new();
    let label = s(e, "/name").unwrap_or_else(|| kind.clone());
    let label = match s(e, "/nickname") {
        Some(n) => format!("{label} ({n})"),
        None => label,
    };
    let who = s(user, "/profile/login").unwrap_or_else(|| uid.clone());
    put_title(&mut d, [Some(format!("{label} of {who}"))]);
    d.insert("user_id".into(), uid.clone().into());
    d.insert("enrollment_type".into(), kind.into());
    put(&mut d, "authenticator_key", s(e, "/key"));
    put(&mut d, "name", s(e, "/name"));
    put(&mut d, "nickname", s(e, "/nickname"));
    put(&mut d, "status", s(e, "/status"));
    // Okta masks as "+1 XXX-XXX-6065": the X's count as hidden digits.
    put(&mut d, "phone_number_masked", s(e, "/profile/phoneNumber").map(|p| mask_phone(&p.replace(['X', 'x'], "0"))));
    put(&mut d, "email", s(e, "/profile/email"));
    d.insert("item_url_field".into(), links.link(&format!("/admin/user/profile/view/{uid}#tab-account")).into());
    record(&ItemType::edge_id(&uid, &eid), ts(e.get("created")), ts(e.get("lastUpdated")), d)
}

#[cfg(test)]
mod tests;
