//! OAuth 2.0 for a service app, as Okta recommends it for service integrations: a
//! `private_key_jwt` client assertion, the `client_credentials` grant with read-only scopes,
//! DPoP-bound tokens when the app requires them, and one token per client, reused until
//! shortly before it expires.
//!
//! Owns the key handling and the token endpoint; the shared client ([`super::client`]) asks it
//! for the headers of each request. Never logs or returns a secret: keys, assertions, tokens
//! and proofs live in redacted types and sensitive header values.

pub mod dpop;
pub mod key;
pub mod scopes;
mod session;

pub use key::{KeyError, SigningKey};
pub use session::{AccessToken, OAuthSession};

/// The path of the org authorization server's token endpoint.
pub const TOKEN_PATH: &str = "/oauth2/v1/token";

/// How errors name the token endpoint.
pub const TOKEN_ENDPOINT: &str = "POST /oauth2/v1/token";

/// The service app: what the connection gives.
#[derive(Debug, Clone)]
pub struct ServiceApp {
    /// The app's client id.
    pub client_id: String,
    /// Its private key.
    pub key: SigningKey,
    /// The `kid` of the public key registered in Okta (`None`: the JWK's own, or none).
    pub key_id: Option<String>,
    /// The scopes requested (all granted to the app: Okta refuses the whole request otherwise).
    pub scopes: Vec<String>,
}

/// A service app the connection describes badly, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ServiceAppError {
    /// No client id.
    #[error("the OAuth connection has no client_id: copy the service app's Client ID from Okta (Applications > the app > General)")]
    NoClientId,
    /// The key cannot be used.
    #[error("the OAuth connection's private_key cannot be used: {0}")]
    Key(#[from] KeyError),
    /// A scope that is not a read scope of the Management API.
    #[error("the OAuth connection's scopes include `{0}`, which is not a read-only Okta scope (okta.*.read); list the scopes granted to the app, e.g. {all}", all = scopes::all().join(" "))]
    Scope(String),
}

impl ServiceApp {
    /// Builds the app from the connection's fields. `scopes` is space- or comma-separated;
    /// empty means every scope the connector uses ([`scopes::READ_SCOPES`]).
    pub fn from_fields(client_id: &str, private_key: &str, key_id: &str, scopes: &str) -> Result<Self, ServiceAppError> {
        let client_id = client_id.trim();
        if client_id.is_empty() {
            return Err(ServiceAppError::NoClientId);
        }
        let key = SigningKey::parse(private_key)?;
        let mut list: Vec<String> =
            scopes.split([' ', ',', '\n', '\t']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
        if let Some(bad) = list.iter().find(|s| !(s.starts_with("okta.") && s.ends_with(".read"))) {
            return Err(ServiceAppError::Scope(bad.clone()));
        }
        if list.is_empty() {
            list = scopes::all();
        }
        list.dedup();
        let key_id = Some(key_id.trim().to_string()).filter(|k| !k.is_empty());
        Ok(ServiceApp { client_id: client_id.to_string(), key, key_id, scopes: list })
    }
}
