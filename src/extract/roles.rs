//! Admin roles (standard and custom) and role assignments, with their group and app targets.

use serde_json::{Map, Value};

use super::users::user_ref;
use super::{put, put_title, record, s, ts, AdminLinks, ItemType};

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

/// The date a standard role's record carries: Okta's standard roles are fixed definitions with
/// no dates of their own, and borrowing an assignment's would move the record back in time
/// whenever another assignment happens to be read first.
pub const STANDARD_ROLE_DATE: &str = "2000-01-01T00:00:00.000Z";

/// A standard role, described from the first assignment that names it. Okta gives no
/// description or dates for standard roles: the description is generated and the dates are
/// [`STANDARD_ROLE_DATE`].
pub fn standard_role(assignment: &Value, links: &AdminLinks) -> Option<Value> {
    let kind = s(assignment, "/type")?;
    let label = standard_role_label(&kind);
    let mut d = Map::new();
    put_title(&mut d, [Some(label.clone())]);
    d.insert("label".into(), label.clone().into());
    d.insert("description".into(), format!("{kind} IAM role: {label} with administrative access").into());
    d.insert("role_kind".into(), "STANDARD".into());
    d.insert("item_url_field".into(), links.link("/admin/access/admin-roles").into());
    record(&kind, Some(STANDARD_ROLE_DATE.into()), Some(STANDARD_ROLE_DATE.into()), d)
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

/// `role_member_of` with the assignment's targets added.
pub fn role_member_with_targets(
    assignment: &Value,
    assignee: &Value,
    assignee_type: &str,
    targets: &RoleTargets,
    links: &AdminLinks,
) -> Option<Value> {
    let mut rec = role_member_of(assignment, assignee, assignee_type, links)?;
    add_role_targets(&mut rec, targets);
    Some(rec)
}
