//! `okta-airsync check`: the documented Test Connection. With an API token it calls
//! `/users/me` and `/org`; with a service app (whose token has no user) it obtains a token and
//! calls `/org`. Each failure becomes one clear line ([`okta::Error::explain`]).

use crate::okta::{self, endpoints, OktaClient};

/// What the check found.
#[derive(Debug)]
pub struct CheckResult {
    /// The org's subdomain and company name.
    pub org: String,
    /// Who the connector acts as: the token owner's login, or the service app.
    pub owner: String,
}

/// A failed check: the Okta error, explained in one line when shown.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.explain())]
pub struct CheckError(pub okta::Error);

/// Tests the connection: the credential, then the org.
pub async fn test_connection(client: &OktaClient) -> Result<CheckResult, CheckError> {
    let owner = if client.is_oauth() { None } else { Some(endpoints::users::fetch_me(client).await.map_err(CheckError)?.profile.login) };
    let org = endpoints::org::fetch(client).await.map_err(CheckError)?;
    let or_unknown = |v: Option<String>| v.unwrap_or_else(|| "?".into());
    Ok(CheckResult {
        org: format!("{} ({})", or_unknown(org.subdomain), or_unknown(org.company_name)),
        owner: match owner {
            Some(login) => or_unknown(login),
            None => "the OAuth service app".into(),
        },
    })
}
