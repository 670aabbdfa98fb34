//! Group rules and the org's sign-in configuration: authenticators, network zones, identity
//! providers and trusted origins (Okta's management OpenAPI document: `listGroupRules`,
//! `listAuthenticators`, `listNetworkZones`, `listIdentityProviders`, `listOrigins`).

use super::*;

/// The most a page of group rules, identity providers or trusted origins holds (the document's
/// `maximum` for each `limit`).
pub const PAGE_SIZE: &str = "200";

/// One family of the org's sign-in configuration, with the item type its records are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `/api/v1/authenticators` (one answer, not paged).
    Authenticators,
    /// `/api/v1/zones` (every zone in one page unless `limit` is set: its default is -1).
    NetworkZones,
    /// `/api/v1/idps`.
    IdentityProviders,
    /// `/api/v1/trustedOrigins`.
    TrustedOrigins,
}

impl Family {
    /// Every family, in the order the job reads them.
    pub const ALL: [Family; 4] = [Family::Authenticators, Family::NetworkZones, Family::IdentityProviders, Family::TrustedOrigins];

    /// The item type of its records.
    pub const fn item_type(self) -> &'static str {
        match self {
            Family::Authenticators => "authenticators",
            Family::NetworkZones => "network_zones",
            Family::IdentityProviders => "identity_providers",
            Family::TrustedOrigins => "trusted_origins",
        }
    }

    /// The first page of the family's list.
    pub fn list(self, client: &OktaClient) -> Url {
        match self {
            Family::Authenticators => client.url("/api/v1/authenticators", &[]),
            Family::NetworkZones => client.url("/api/v1/zones", &[]),
            Family::IdentityProviders => client.url("/api/v1/idps", &[("limit", PAGE_SIZE)]),
            Family::TrustedOrigins => client.url("/api/v1/trustedOrigins", &[("limit", PAGE_SIZE)]),
        }
    }
}

/// The first page of the group rules.
pub fn group_rules(client: &OktaClient) -> Url {
    client.url("/api/v1/groups/rules", &[("limit", PAGE_SIZE)])
}

/// The org has no such feature: 404 on the list, or it is not licensed (401 E0000015).
pub fn not_available(e: &Error) -> bool {
    matches!(e, Error::NotFound { .. }) || e.feature_unavailable()
}
