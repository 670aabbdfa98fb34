//! IAM: custom roles and the users that hold any role.

use super::*;

/// Role assignees per page.
pub const ASSIGNEES_PAGE_SIZE: &str = "100";

/// Custom roles (`{"roles": [...]}`, paged through `_links.next`). Needs a licence: 403,
/// 404 or 401 E0000015 mean "not available here", not a broken sync.
pub fn custom_roles(client: &OktaClient) -> Url {
    client.url("/api/v1/iam/roles", &[])
}

/// Users holding at least one admin role (`{"value": [...]}`).
pub fn role_assignees(client: &OktaClient) -> Url {
    client.url("/api/v1/iam/assignees/users", &[("limit", ASSIGNEES_PAGE_SIZE)])
}
