//! The org's sign-in configuration and group rules, as the simulator models them: group rules
//! (`/api/v1/groups/rules`), authenticators (`/api/v1/authenticators`), network zones
//! (`/api/v1/zones`), identity providers (`/api/v1/idps`) and trusted origins
//! (`/api/v1/trustedOrigins`). Shapes follow Okta's OpenAPI document (`GroupRule`,
//! `AuthenticatorBase` and its `AuthenticatorKey*` variants, `NetworkZone`, `IdentityProvider`,
//! `TrustedOrigin`); rendering is in [`crate::render_posture`].

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A group rule: users whose profile matches `expression` are added to `groups`.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct GroupRule {
    /// `0pr...`.
    pub id: String,
    pub name: String,
    /// ACTIVE, INACTIVE or INVALID.
    pub status: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    /// `conditions.expression.value` (Okta Expression Language).
    pub expression: String,
    /// `conditions.people.users.exclude` (indexes into `Org::users`; deleted users are left out
    /// when rendered).
    pub exclude: Vec<u32>,
    /// `actions.assignUserToGroups.groupIds` (indexes into `Org::groups`).
    pub groups: Vec<u32>,
    /// Deleted (kept so that indexes stay valid; invisible to the API).
    pub deleted: bool,
}

/// An Identity Engine authenticator of the org.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Authenticator {
    /// `aut...`.
    pub id: String,
    /// `okta_password`, `okta_email`, `duo`, ... (`AuthenticatorKeyEnum`).
    pub key: String,
    /// `password`, `email`, `app`, ... (`AuthenticatorType`).
    pub kind: String,
    pub name: String,
    /// ACTIVE or INACTIVE.
    pub status: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    /// `settings`, when the key has any.
    pub settings: Option<serde_json::Value>,
    /// `provider` (Duo: host, integration key and secret key), when the key has one.
    pub provider: Option<serde_json::Value>,
}

/// A network zone.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct NetworkZone {
    /// `nzo...`.
    pub id: String,
    pub name: String,
    /// IP or DYNAMIC.
    pub kind: String,
    /// POLICY or BLOCKLIST.
    pub usage: String,
    /// ACTIVE or INACTIVE.
    pub status: String,
    /// One of Okta's default zones (`LegacyIpZone`, `BlockedIpZone`).
    pub system: bool,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    /// An IP zone's gateways in CIDR form.
    pub gateways: Vec<String>,
    /// A dynamic zone's countries (ISO 3166-1 alpha-2).
    pub countries: Vec<String>,
}

/// An identity provider.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct IdentityProvider {
    /// `0oa...`.
    pub id: String,
    pub name: String,
    /// SAML2, OIDC, GOOGLE, MICROSOFT (`IdentityProviderType`).
    pub kind: String,
    /// ACTIVE or INACTIVE.
    pub status: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    /// The OAuth client id (OIDC-based types).
    pub client_id: String,
    /// The seeded OAuth client secret (OIDC-based types; `None` for SAML2).
    pub client_secret: Option<String>,
}

/// A trusted origin.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct TrustedOrigin {
    /// `tos...`.
    pub id: String,
    pub name: String,
    pub origin: String,
    /// CORS, REDIRECT, IFRAME_EMBED.
    pub scopes: Vec<String>,
    /// ACTIVE or INACTIVE.
    pub status: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    /// `createdBy` and `lastUpdatedBy`: the id of the admin who set it up.
    pub created_by: String,
    /// Deleted (kept so that indexes stay valid; invisible to the API).
    pub deleted: bool,
}

/// The client of a sign-in event (`client.device`, `client.zone`) and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignInClient {
    /// `client.device` (`Computer`, `Mobile`, ...).
    pub device: String,
    /// `client.zone`: the name of the network zone the client's address falls in (`None`:
    /// none, rendered as Okta's `"null"`).
    pub zone: Option<String>,
    /// `outcome.reason` of a FAILURE (`None`: the sign-in succeeded).
    pub failure: Option<String>,
}

/// The org's group rules and sign-in configuration.
#[derive(Debug, Clone, Default, Serialize)]
#[allow(missing_docs)]
pub struct Posture {
    /// In id order.
    pub group_rules: Vec<GroupRule>,
    /// In id order.
    pub authenticators: Vec<Authenticator>,
    /// In id order.
    pub zones: Vec<NetworkZone>,
    /// In id order.
    pub idps: Vec<IdentityProvider>,
    /// In id order.
    pub trusted_origins: Vec<TrustedOrigin>,
}
