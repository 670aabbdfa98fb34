//! Users, groups, group members, IAM roles and role members.

use serde_json::{Map, Value};

use super::schema::{convert, CustomAttr};
use super::{put, put_title, record, s, ts, AdminLinks, ItemType};

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

/// The group types Okta documents (the `groups.group_type` enum).
pub const GROUP_TYPES: &[&str] = &["OKTA_GROUP", "APP_GROUP", "BUILT_IN"];

/// The user statuses Okta documents.
pub const USER_STATUSES: &[&str] =
    &["STAGED", "PROVISIONED", "ACTIVE", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT", "SUSPENDED", "DEPROVISIONED"];

/// Whether a user is a placeholder ("shadow") account that must not be extracted.
pub fn is_shadow(user: &Value) -> bool {
    user.get("status").and_then(Value::as_str).is_some_and(|s| s.eq_ignore_ascii_case("shadow"))
}

/// Normalizes a user. Custom attributes are typed by `custom`; unknown profile keys are dropped.
pub fn user(u: &Value, custom: &[CustomAttr], links: &AdminLinks) -> Option<Value> {
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
fn user_ref(user: &Value, uid: &str) -> String {
    s(user, "/profile/login").or_else(|| s(user, "/login")).unwrap_or_else(|| uid.to_string())
}

/// The group's `usersCount` from `expand=stats`, when present.
pub fn group_user_count(g: &Value) -> Option<u64> {
    g.pointer("/_embedded/stats/usersCount").and_then(Value::as_u64)
}

/// Whether the group carries admin privileges (any `hasAdminPriv*` key in the stats).
pub fn group_has_admin(g: &Value) -> bool {
    g.pointer("/_embedded/stats")
        .and_then(Value::as_object)
        .is_some_and(|m| m.iter().any(|(k, v)| k.starts_with("hasAdminPriv") && v.as_bool() == Some(true)))
}

/// Normalizes a group; a missing description gets a generated one.
pub fn group(g: &Value, links: &AdminLinks) -> Option<Value> {
    let id = s(g, "/id")?;
    let name = s(g, "/profile/name").unwrap_or_else(|| id.clone());
    let kind = s(g, "/type").unwrap_or_else(|| "OKTA_GROUP".into());
    // The metadata's enum holds Okta's documented group types; another is skipped.
    if !GROUP_TYPES.contains(&kind.as_str()) {
        return None;
    }
    let mut d = Map::new();
    let desc = s(g, "/profile/description").unwrap_or_else(|| format!("{name}: Okta group of type {kind}"));
    put_title(&mut d, [Some(name.clone())]);
    d.insert("name".into(), name.into());
    d.insert("description".into(), desc.into());
    d.insert("group_type".into(), kind.into());
    put(&mut d, "last_membership_updated", ts(g.get("lastMembershipUpdated")));
    put(&mut d, "users_count", group_user_count(g));
    put(&mut d, "apps_count", g.pointer("/_embedded/stats/appsCount").and_then(Value::as_u64));
    if g.pointer("/_embedded/stats").is_some() {
        d.insert("has_admin_privileges".into(), group_has_admin(g).into());
    }
    put(
        &mut d,
        "source_app_id",
        g.pointer("/_links/source/href").and_then(Value::as_str).and_then(|h| h.rsplit('/').next()).map(str::to_string),
    );
    d.insert("item_url_field".into(), links.link(&format!("/admin/group/{id}")).into());
    record(&id, ts(g.get("created")), ts(g.get("lastUpdated")), d)
}

/// One membership edge. Okta keeps no membership timestamp: both dates are the group's
/// `lastMembershipUpdated` (else `lastUpdated`), the most specific time that covers the edge.
/// The title reads "Engineering ← ada@acme.com": the group's name and the member's
/// `profile.login` as `/groups/{id}/users` returns it (the id when the caller passes only the id).
pub fn group_member(group: &Value, user: &Value, links: &AdminLinks) -> Option<Value> {
    let gid = s(group, "/id")?;
    let uid = s(user, "/id")?;
    let when = ts(group.get("lastMembershipUpdated")).or_else(|| ts(group.get("lastUpdated")));
    let mut d = Map::new();
    let gname = s(group, "/profile/name").unwrap_or_else(|| gid.clone());
    put_title(&mut d, [Some(ItemType::edge_title(&gname, &user_ref(user, &uid)))]);
    d.insert("group_id".into(), gid.clone().into());
    d.insert("user_id".into(), uid.clone().into());
    d.insert("item_url_field".into(), links.link(&format!("/admin/group/{gid}")).into());
    record(&ItemType::edge_id(&gid, &uid), when.clone(), when, d)
}

/// Display names of the standard admin roles.
pub fn standard_role_label(kind: &str) -> String {
    match kind {
        "SUPER_ADMIN" => "Super Administrator",
        "ORG_ADMIN" => "Organization Administrator",
        "APP_ADMIN" => "Application Administrator",
        "USER_ADMIN" => "Group Administrator",
        "HELP_DESK_ADMIN" => "Help Desk Administrator",
        "READ_ONLY_ADMIN" => "Read-only Administrator",
        "MOBILE_ADMIN" => "Mobile Administrator",
        "API_ACCESS_MANAGEMENT_ADMIN" => "API Access Management Administrator",
        "REPORT_ADMIN" => "Report Administrator",
        "GROUP_MEMBERSHIP_ADMIN" => "Group Membership Administrator",
        "WORKFLOWS_ADMIN" => "Workflows Administrator",
        "ACCESS_CERTIFICATIONS_ADMIN" => "Access Certifications Administrator",
        "ACCESS_REQUESTS_ADMIN" => "Access Requests Administrator",
        other => return other.to_string(),
    }
    .to_string()
}

/// A custom role definition from `/iam/roles`.
pub fn custom_role(r: &Value, links: &AdminLinks) -> Option<Value> {
    let id = s(r, "/id")?;
    let mut d = Map::new();
    let label = s(r, "/label").unwrap_or_else(|| id.clone());
    put_title(&mut d, [Some(label.clone())]);
    d.insert("label".into(), label.clone().into());
    d.insert("description".into(), s(r, "/description").unwrap_or_else(|| format!("{label}: custom IAM role")).into());
    d.insert("role_kind".into(), "CUSTOM".into());
    d.insert("item_url_field".into(), links.link(&format!("/admin/access/admin-roles/role/{id}")).into());
    record(&id, ts(r.get("created")), ts(r.get("lastUpdated")), d)
}

/// The id a role assignment refers to: the custom role id, or the standard role type.
pub fn role_id_of(assignment: &Value) -> Option<String> {
    let kind = s(assignment, "/type")?;
    if kind == "CUSTOM" {
        s(assignment, "/role").or_else(|| s(assignment, "/_links/role/href").and_then(|h| h.rsplit('/').next().map(str::to_string)))
    } else {
        Some(kind)
    }
}

/// A standard role, described from the first assignment that names it. Okta gives no
/// description or dates for standard roles: the description is generated and the dates are
/// those of that assignment.
pub fn standard_role(assignment: &Value, links: &AdminLinks) -> Option<Value> {
    let kind = s(assignment, "/type")?;
    let label = standard_role_label(&kind);
    let mut d = Map::new();
    put_title(&mut d, [Some(label.clone())]);
    d.insert("label".into(), label.clone().into());
    d.insert("description".into(), format!("{kind} IAM role: {label} with administrative access").into());
    d.insert("role_kind".into(), "STANDARD".into());
    d.insert("item_url_field".into(), links.link("/admin/access/admin-roles").into());
    record(&kind, ts(assignment.get("created")), ts(assignment.get("lastUpdated")), d)
}

/// One role assignment to a user or a group, titled with the assignee's id. Prefer
/// [`role_member_of`], which can name the assignee.
pub fn role_member(assignment: &Value, assignee_id: &str, assignee_type: &str, links: &AdminLinks) -> Option<Value> {
    role_member_of(assignment, &serde_json::json!({ "id": assignee_id }), assignee_type, links)
}

/// One role assignment to `assignee` (a user or a group as Okta lists them), titled
/// "SUPER_ADMIN → ada@acme.com": the role type (a custom role's label) and the assignee's
/// `profile.login` (a group's `profile.name`), else its id.
pub fn role_member_of(assignment: &Value, assignee: &Value, assignee_type: &str, links: &AdminLinks) -> Option<Value> {
    let assignee_id = s(assignee, "/id")?;
    let assignee_id = assignee_id.as_str();
    let aid = s(assignment, "/id")?;
    let role_id = role_id_of(assignment)?;
    let mut d = Map::new();
    let role = match s(assignment, "/type").as_deref() {
        Some("CUSTOM") | None => s(assignment, "/label").unwrap_or_else(|| role_id.clone()),
        Some(kind) => kind.to_string(),
    };
    let who = if assignee_type == "GROUP" {
        s(assignee, "/profile/name").unwrap_or_else(|| assignee_id.to_string())
    } else {
        user_ref(assignee, assignee_id)
    };
    put_title(&mut d, [Some(format!("{role} → {who}"))]);
    d.insert("role_id".into(), role_id.into());
    d.insert("assignee_type".into(), assignee_type.into());
    let key = if assignee_type == "GROUP" { "group_id" } else { "user_id" };
    d.insert(key.into(), assignee_id.into());
    put(&mut d, "assignment_type", s(assignment, "/assignmentType"));
    put(&mut d, "status", s(assignment, "/status"));
    put(&mut d, "label", s(assignment, "/label"));
    put(&mut d, "resource_set", s(assignment, "/resource-set"));
    let path =
        if assignee_type == "GROUP" { format!("/admin/group/{assignee_id}") } else { format!("/admin/user/profile/view/{assignee_id}") };
    d.insert("item_url_field".into(), links.link(&path).into());
    record(&ItemType::edge_id(&aid, assignee_id), ts(assignment.get("created")), ts(assignment.get("lastUpdated")), d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::schema::{CustomAttr, CustomKind};
    use serde_json::json;

    fn links() -> AdminLinks {
        AdminLinks::from_base(&url::Url::parse("https://acme.okta.com").unwrap())
    }

    #[test]
    fn a_user_keeps_profile_and_typed_custom_fields_but_no_credentials() {
        let u = json!({"id": "00u1", "status": "ACTIVE", "created": "2024-01-01T00:00:00.000Z",
            "lastUpdated": "2024-02-01T00:00:00.000Z", "credentials": {"password": {"value": "pw"}},
            "profile": {"login": "a@x", "email": "a@x", "firstName": "Ada", "lastName": "L", "managerId": "00u2",
                        "badge": [1, 2], "secretThing": "S"}});
        let custom =
            vec![CustomAttr { okta_name: "badge".into(), field: "badge".into(), kind: CustomKind::JsonText, title: "Badge".into() }];
        let r = user(&u, &custom, &links()).unwrap();
        assert_eq!(r["data"]["display_name"], "Ada L");
        assert_eq!(r["data"]["manager_id"], "00u2");
        assert_eq!(r["data"]["badge"], "[1,2]");
        assert_eq!(r["data"]["item_url_field"], "https://acme-admin.okta.com/admin/user/profile/view/00u1");
        assert!(!r.to_string().contains("pw") && !r.to_string().contains("\"S\""));
    }

    #[test]
    fn a_group_without_description_gets_one() {
        let g = json!({"id": "00g1", "type": "OKTA_GROUP", "created": "2024-01-01T00:00:00.000Z",
            "lastUpdated": "2024-01-01T00:00:00.000Z", "profile": {"name": "Engineering"},
            "_embedded": {"stats": {"usersCount": 3, "hasAdminPrivilege": true}}});
        let r = group(&g, &links()).unwrap();
        assert_eq!(r["data"]["description"], "Engineering: Okta group of type OKTA_GROUP");
        assert_eq!(r["data"]["has_admin_privileges"], true);
    }

    #[test]
    fn standard_roles_get_a_generated_description() {
        let a =
            json!({"id": "ra1", "type": "SUPER_ADMIN", "created": "2024-01-01T00:00:00.000Z", "lastUpdated": "2024-01-01T00:00:00.000Z"});
        let r = standard_role(&a, &links()).unwrap();
        assert_eq!(r["id"], "SUPER_ADMIN");
        assert_eq!(r["data"]["description"], "SUPER_ADMIN IAM role: Super Administrator with administrative access");
        let m = role_member(&a, "00u1", "USER", &links()).unwrap();
        assert_eq!(m["id"], "ra1:00u1");
        assert_eq!(m["data"]["role_id"], "SUPER_ADMIN");
    }

    #[test]
    fn every_identity_record_has_a_readable_title() {
        let day = "2024-01-01T00:00:00.000Z";
        let u = json!({"id": "00u1", "status": "ACTIVE", "created": day, "lastUpdated": day,
            "profile": {"login": "ada@acme.com", "firstName": "Ada", "lastName": "Lovelace"}});
        assert_eq!(user(&u, &[], &links()).unwrap()["data"]["record_title"], "Ada Lovelace (ada@acme.com)");
        let bare = json!({"id": "00u2", "status": "ACTIVE", "created": day, "profile": {"login": "bob@acme.com"}});
        assert_eq!(user(&bare, &[], &links()).unwrap()["data"]["record_title"], "bob@acme.com");
        let g = json!({"id": "00g1", "type": "OKTA_GROUP", "created": day, "lastUpdated": day, "profile": {"name": "Engineering"}});
        assert_eq!(group(&g, &links()).unwrap()["data"]["record_title"], "Engineering");
        let member = json!({"id": "00u1", "profile": {"login": "ada@acme.com"}});
        assert_eq!(group_member(&g, &member, &links()).unwrap()["data"]["record_title"], "Engineering ← ada@acme.com");
        assert_eq!(group_member(&g, &json!({"id": "00u1"}), &links()).unwrap()["data"]["record_title"], "Engineering ← 00u1");
        let a = json!({"id": "ra1", "type": "SUPER_ADMIN", "created": day, "lastUpdated": day});
        assert_eq!(standard_role(&a, &links()).unwrap()["data"]["record_title"], "Super Administrator");
        assert_eq!(role_member_of(&a, &member, "USER", &links()).unwrap()["data"]["record_title"], "SUPER_ADMIN → ada@acme.com");
        assert_eq!(role_member(&a, "00u1", "USER", &links()).unwrap()["data"]["record_title"], "SUPER_ADMIN → 00u1");
        let c = json!({"id": "ra2", "type": "CUSTOM", "role": "cr0", "label": "Auditor", "created": day});
        assert_eq!(role_member_of(&c, &g, "GROUP", &links()).unwrap()["data"]["record_title"], "Auditor → Engineering");
        assert_eq!(
            custom_role(&json!({"id": "cr0", "label": "Auditor", "created": day}), &links()).unwrap()["data"]["record_title"],
            "Auditor"
        );
    }
}
