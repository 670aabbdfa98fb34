//! `okta-airsync check`: the documented Test Connection. Calls `/users/me` and `/org` and maps
//! each failure to one clear line.

use crate::okta::{self, OktaClient};

/// What the check found.
#[derive(Debug)]
pub struct CheckResult {
    /// The org's subdomain and company name.
    pub org: String,
    /// The token owner's login.
    pub owner: String,
}

/// One line per failure kind, matching README's troubleshooting table.
pub fn explain(e: &okta::Error) -> String {
    match e {
        okta::Error::InvalidToken { .. } => {
            "401: the API token is invalid, revoked or expired; create a new token under Security > API > Tokens".into()
        }
        okta::Error::PermissionDenied { .. } => {
            "403: the token works but its admin lacks permission; use a token of a Read-only Administrator or higher".into()
        }
        okta::Error::NotFound { .. } => "404: no Okta org answers at this address; check the subdomain".into(),
        okta::Error::Unreachable { detail, .. } => {
            format!("cannot reach the org (DNS, TLS or network): {detail}; check the domain and your network")
        }
        other => other.to_string(),
    }
}

/// Runs the check.
pub async fn run(client: &OktaClient) -> Result<CheckResult, String> {
    let me = client.get(&client.url("/api/v1/users/me", &[])).await.map_err(|e| explain(&e))?.body;
    let org = client.get(&client.url("/api/v1/org", &[])).await.map_err(|e| explain(&e))?.body;
    let s = |v: &serde_json::Value, p: &str| v.pointer(p).and_then(|x| x.as_str()).unwrap_or("?").to_string();
    Ok(CheckResult { org: format!("{} ({})", s(&org, "/subdomain"), s(&org, "/companyName")), owner: s(&me, "/profile/login") })
}
