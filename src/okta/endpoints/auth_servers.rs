//! Custom authorization servers (API Access Management), their policies and the policies' rules.

use super::*;

/// Servers per page (Okta's maximum is 200).
pub const PAGE_SIZE: &str = "200";

/// The authorization server list (paged with `after` through the `Link` header).
pub fn list(client: &OktaClient) -> Url {
    client.url("/api/v1/authorizationServers", &[("limit", PAGE_SIZE)])
}

/// One server's policies (one JSON array: Okta documents no paging for it).
pub fn policies(client: &OktaClient, server_id: &str) -> Result<Url, Error> {
    let id = id_segment(server_id, "GET /api/v1/authorizationServers")?;
    Ok(client.url(&format!("/api/v1/authorizationServers/{id}/policies"), &[]))
}

/// One policy's rules (one JSON array: Okta documents no paging for it).
pub fn rules(client: &OktaClient, server_id: &str, policy_id: &str) -> Result<Url, Error> {
    let endpoint = "GET /api/v1/authorizationServers/{id}/policies";
    let (s, p) = (id_segment(server_id, endpoint)?, id_segment(policy_id, endpoint)?);
    Ok(client.url(&format!("/api/v1/authorizationServers/{s}/policies/{p}/rules"), &[]))
}

/// Fetches one server's policies.
pub async fn fetch_policies(client: &OktaClient, server_id: &str) -> Result<Vec<Value>, Error> {
    fetch_array(client, &policies(client, server_id)?).await
}

/// Fetches one policy's rules.
pub async fn fetch_rules(client: &OktaClient, server_id: &str, policy_id: &str) -> Result<Vec<Value>, Error> {
    fetch_array(client, &rules(client, server_id, policy_id)?).await
}

/// On the list: 404, or E0000015 (the org has no API Access Management licence): the
/// family is not available here, a skip rather than a failure.
pub fn not_available(e: &Error) -> bool {
    matches!(e, Error::NotFound { .. }) || e.feature_unavailable()
}
