//! The org itself.

use super::*;

/// The parts of `/api/v1/org` the connector shows.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Org {
    /// The org id.
    pub id: Option<String>,
    /// The subdomain.
    pub subdomain: Option<String>,
    /// The company name.
    pub company_name: Option<String>,
}

/// Fetches the org. A 404 here means no Okta org answers at this address.
pub async fn fetch(client: &OktaClient) -> Result<Org, Error> {
    fetch_as(client, &client.url(PATH, &[])).await
}

/// The org's path.
pub const PATH: &str = "/api/v1/org";
