//! Users: `/api/v1/users` and the per-user sub-resources.

use super::*;

/// Users per page (Okta's maximum for the list is 200).
pub const PAGE_SIZE: &str = "200";

/// The user list: the plain list (which hides DEPROVISIONED users) or a filtered one.
pub fn list(client: &OktaClient, filter: Option<&str>) -> Url {
    match filter {
        Some(f) => client.url("/api/v1/users", &[("filter", f), ("limit", PAGE_SIZE)]),
        None => client.url("/api/v1/users", &[("limit", PAGE_SIZE)]),
    }
}

/// The deactivated users, which the plain list leaves out.
pub fn deprovisioned(client: &OktaClient) -> Url {
    list(client, Some("status eq \"DEPROVISIONED\""))
}

/// One user's enrolled factors (one JSON array, not paged).
pub fn factors(client: &OktaClient, user_id: &str) -> Result<Url, Error> {
    let id = id_segment(user_id, "GET /api/v1/users/{id}/factors")?;
    Ok(client.url(&format!("/api/v1/users/{id}/factors"), &[]))
}

/// One user's directly assigned admin roles (one JSON array).
pub fn roles(client: &OktaClient, user_id: &str) -> Result<Url, Error> {
    let id = id_segment(user_id, "GET /api/v1/users/{id}/roles")?;
    Ok(client.url(&format!("/api/v1/users/{id}/roles"), &[]))
}

/// The token's own user: the token check.
pub fn me(client: &OktaClient) -> Url {
    client.url(TOKEN_CHECK_PATH, &[])
}

/// The path of the token check: a 401 here, and only here, proves the token is bad.
pub const TOKEN_CHECK_PATH: &str = "/api/v1/users/me";

/// The part of the token's user that Test Connection shows.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Me {
    /// The profile.
    pub profile: MeProfile,
}

/// The profile of [`Me`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MeProfile {
    /// The login.
    pub login: Option<String>,
}

/// Fetches the token's own user.
pub async fn fetch_me(client: &OktaClient) -> Result<Me, Error> {
    fetch_as(client, &me(client)).await
}

/// The credential check: `/users/me` for an API token; for a service app, whose token has
/// no user, `/api/v1/org` (scope `okta.orgs.read`). `Ok` means the credential works.
pub async fn check_credential(client: &OktaClient) -> Result<(), Error> {
    if client.is_oauth() {
        super::org::fetch(client).await.map(|_| ())
    } else {
        fetch_me(client).await.map(|_| ())
    }
}

/// Whether `e` happened on the credential check itself (so it proves the credential bad).
pub fn on_credential_check(client: &OktaClient, e: &Error) -> bool {
    let path = if client.is_oauth() { super::org::PATH } else { TOKEN_CHECK_PATH };
    e.endpoint() == format!("GET {path}") || e.endpoint() == crate::okta::oauth::TOKEN_ENDPOINT
}
