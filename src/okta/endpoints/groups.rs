//! Groups: `/api/v1/groups` and the per-group sub-resources.

use super::*;

/// Groups per page.
pub const PAGE_SIZE: &str = "200";
/// Members per page (Okta's maximum for group members is 1000).
pub const MEMBERS_PAGE_SIZE: &str = "1000";

/// The group list with `expand=stats` (member counts, admin flag), optionally filtered.
pub fn list(client: &OktaClient, filter: Option<&str>) -> Url {
    match filter {
        Some(f) => client.url("/api/v1/groups", &[("filter", f), ("limit", PAGE_SIZE), ("expand", "stats")]),
        None => client.url("/api/v1/groups", &[("limit", PAGE_SIZE), ("expand", "stats")]),
    }
}

/// One group's members.
pub fn members(client: &OktaClient, group_id: &str) -> Result<Url, Error> {
    let id = id_segment(group_id, "GET /api/v1/groups/{id}/users")?;
    Ok(client.url(&format!("/api/v1/groups/{id}/users"), &[("limit", MEMBERS_PAGE_SIZE)]))
}

/// The admin roles assigned to one group (one JSON array).
pub fn roles(client: &OktaClient, group_id: &str) -> Result<Url, Error> {
    let id = id_segment(group_id, "GET /api/v1/groups/{id}/roles")?;
    Ok(client.url(&format!("/api/v1/groups/{id}/roles"), &[]))
}
