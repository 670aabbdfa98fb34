//! Applications and their assignments.

use super::*;

/// Apps per page.
pub const PAGE_SIZE: &str = "200";
/// App users per page (Okta's maximum is 500).
pub const USERS_PAGE_SIZE: &str = "500";
/// App groups per page.
pub const GROUPS_PAGE_SIZE: &str = "200";

/// The app list.
pub fn list(client: &OktaClient) -> Url {
    client.url("/api/v1/apps", &[("limit", PAGE_SIZE)])
}

/// The users assigned to one app.
pub fn users(client: &OktaClient, app_id: &str) -> Result<Url, Error> {
    let id = id_segment(app_id, "GET /api/v1/apps/{id}/users")?;
    Ok(client.url(&format!("/api/v1/apps/{id}/users"), &[("limit", USERS_PAGE_SIZE)]))
}

/// The groups assigned to one app.
pub fn groups(client: &OktaClient, app_id: &str) -> Result<Url, Error> {
    let id = id_segment(app_id, "GET /api/v1/apps/{id}/groups")?;
    Ok(client.url(&format!("/api/v1/apps/{id}/groups"), &[("limit", GROUPS_PAGE_SIZE)]))
}
