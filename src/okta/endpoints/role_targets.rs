//! Admin role targets: the groups and apps a standard role is limited to.

use super::*;

/// Targets per page on the targets endpoints (Okta's maximum is 200).
pub const PAGE_SIZE: &str = "200";
/// Standard role types that can be limited to groups.
pub const GROUP_TARGET_ROLES: &[&str] = &["USER_ADMIN", "HELP_DESK_ADMIN", "GROUP_MEMBERSHIP_ADMIN"];
/// Standard role types that can be limited to apps.
pub const APP_TARGET_ROLES: &[&str] = &["APP_ADMIN"];

/// Who holds the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee<'a> {
    /// A user, by id.
    User(&'a str),
    /// A group, by id.
    Group(&'a str),
}

impl Assignee<'_> {
    fn roles_path(&self) -> Result<String, Error> {
        let (kind, id) = match self {
            Assignee::User(id) => ("users", id),
            Assignee::Group(id) => ("groups", id),
        };
        let id = id_segment(id, &format!("GET /api/v1/{kind}/{{id}}/roles"))?;
        Ok(format!("/api/v1/{kind}/{id}/roles"))
    }
}

/// The kind of target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Groups (`targets/groups`).
    Groups,
    /// Apps: instances and whole catalog apps (`targets/catalog/apps`).
    Apps,
}

impl Kind {
    /// The path suffix and `expand` value Okta documents for this kind.
    pub const fn segment(self) -> &'static str {
        match self {
            Kind::Groups => "targets/groups",
            Kind::Apps => "targets/catalog/apps",
        }
    }

    /// Whether a role of `role_type` can be limited by targets of this kind.
    pub fn applies_to(self, role_type: &str) -> bool {
        match self {
            Kind::Groups => GROUP_TARGET_ROLES.contains(&role_type),
            Kind::Apps => APP_TARGET_ROLES.contains(&role_type),
        }
    }
}

/// Whether an assignment of an assignee's roles list is held directly: a user's list also
/// shows the roles of their groups (`assignmentType: GROUP`), which are read on the group.
pub fn is_direct(assignment: &Value, assignee: Assignee<'_>) -> bool {
    matches!(assignee, Assignee::Group(_)) || assignment.get("assignmentType").and_then(Value::as_str).unwrap_or("USER") == "USER"
}

/// Whether any role the assignee holds directly (in its roles list) can have targets of
/// `kind`: the second roles call (`expand=targets/catalog/apps`) is made only when this
/// holds for apps.
pub fn any_can_have(roles: &[Value], assignee: Assignee<'_>, kind: Kind) -> bool {
    roles.iter().filter(|r| is_direct(r, assignee)).any(|r| r.get("type").and_then(Value::as_str).is_some_and(|t| kind.applies_to(t)))
}

/// An assignee's roles with the targets of `kind` embedded (`_embedded.targets`). Okta takes
/// one `expand` value per request: asking both at once is a 400.
pub fn roles_expanded(client: &OktaClient, assignee: Assignee<'_>, kind: Kind) -> Result<Url, Error> {
    Ok(client.url(&assignee.roles_path()?, &[("expand", kind.segment())]))
}

/// Fetches an assignee's roles with the targets of `kind` embedded (one JSON array).
pub async fn fetch_roles_expanded(client: &OktaClient, assignee: Assignee<'_>, kind: Kind) -> Result<Vec<Value>, Error> {
    fetch_array(client, &roles_expanded(client, assignee, kind)?).await
}

/// The targets of `kind` of one role assignment (paged; a role that is not limited answers
/// `[]`). The fallback when the expanded list is not enough.
pub fn list(client: &OktaClient, assignee: Assignee<'_>, role_assignment_id: &str, kind: Kind) -> Result<Url, Error> {
    let ra = id_segment(role_assignment_id, "GET /api/v1/{kind}/{id}/roles")?;
    Ok(client.url(&format!("{}/{ra}/{}", assignee.roles_path()?, kind.segment()), &[("limit", PAGE_SIZE)]))
}

/// Fetches every target of `kind` of one role assignment, walking its pages.
pub async fn fetch(client: &OktaClient, assignee: Assignee<'_>, role_assignment_id: &str, kind: Kind) -> Result<Vec<Value>, Error> {
    super::super::paging::collect_as::<Value, Value>(client, list(client, assignee, role_assignment_id, kind)?, Some).await
}

/// 404 on a targets call: the role assignment (or its assignee) is gone; skip it.
pub fn assignment_gone(e: &Error) -> bool {
    matches!(e, Error::NotFound { .. })
}
