//! Identity Engine authenticator enrollments, per user.

use super::*;

/// One user's authenticator enrollments (not paged: every enrollment in one answer). Phone
/// numbers come masked, as Okta serves them unless `discloseIdentifiers` asks otherwise,
/// which is never asked.
pub fn list(client: &OktaClient, user_id: &str) -> Result<Url, Error> {
    let id = id_segment(user_id, "GET /api/v1/users/{id}/authenticator-enrollments")?;
    Ok(client.url(&format!("/api/v1/users/{id}/authenticator-enrollments"), &[]))
}

/// Fetches one user's enrollments. Okta's spec types the answer as one object while its
/// example is a list: both are read (an object is a list of one).
pub async fn fetch(client: &OktaClient, user_id: &str) -> Result<Vec<Value>, Error> {
    let url = list(client, user_id)?;
    match client.get(&url).await?.body {
        Value::Array(a) => Ok(a),
        o @ Value::Object(_) => Ok(vec![o]),
        _ => Err(Error::BadBody { endpoint: format!("GET {}", url.path()), detail: "expected a JSON array".into() }),
    }
}

/// E0000015 (a Classic Engine org, or not licensed), or 404 E0000008 (the path itself is
/// unknown): the org offers no authenticator enrollments; the family is skipped and the
/// factors stay the inventory.
pub fn not_available(e: &Error) -> bool {
    e.feature_unavailable() || matches!(e, Error::NotFound { code, .. } if code == PATH_NOT_FOUND)
}

/// Any other 404 (E0000007): that user is gone; skip them.
pub fn user_gone(e: &Error) -> bool {
    matches!(e, Error::NotFound { code, .. } if code != PATH_NOT_FOUND)
}

/// Okta's errorCode for "The requested path was not found".
pub const PATH_NOT_FOUND: &str = "E0000008";
