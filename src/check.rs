//! `okta-airsync check`: the documented Test Connection. Calls `/users/me` and `/org` and maps
//! each failure to one clear line ([`okta::Error::explain`]).

use crate::okta::{self, endpoints, OktaClient};

/// What the check found.
#[derive(Debug)]
pub struct CheckResult {
    /// The org's subdomain and company name.
    pub org: String,
    /// The token owner's login.
    pub owner: String,
}

/// A failed check: the Okta error, explained in one line when shown.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.explain())]
pub struct CheckError(pub okta::Error);

/// Tests the connection: the token (`/users/me`), then the org.
pub async fn test_connection(client: &OktaClient) -> Result<CheckResult, CheckError> {
    let me = endpoints::users::fetch_me(client).await.map_err(CheckError)?;
    let org = endpoints::org::fetch(client).await.map_err(CheckError)?;
    let or_unknown = |v: Option<String>| v.unwrap_or_else(|| "?".into());
    Ok(CheckResult {
        org: format!("{} ({})", or_unknown(org.subdomain), or_unknown(org.company_name)),
        owner: or_unknown(me.profile.login),
    })
}
