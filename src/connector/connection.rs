//! Reading the Okta connection out of `connection_data`.
//!
//! `key` is either the JSON object `{"domain": "...", "token": "..."}` that the manifest's
//! `secret_transform` produces, or the raw token, with the domain then taken from `org_id`.

use secrecy::ExposeSecret;
use serde_json::Value;
use url::Url;

use crate::okta::{org_url, ApiToken};

/// Where to connect and with what.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The org's base URL.
    pub base_url: Url,
    /// The token.
    pub token: ApiToken,
}

/// A connection that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// No token at all.
    #[error("connection_data.key is empty: the Okta connection has no API token; edit the connection and paste a token")]
    NoToken,
    /// No domain anywhere.
    #[error(
        "no Okta domain: connection_data.key is a raw token and connection_data.org_id is empty; set the org's subdomain in the connection"
    )]
    NoDomain,
    /// A JSON key without the fields.
    #[error(
        "connection_data.key is a JSON object but lacks a non-empty `{0}`; expected {{\"domain\": \"acme.okta.com\", \"token\": \"...\"}}"
    )]
    BadKey(&'static str),
    /// The domain is not an Okta org URL.
    #[error(transparent)]
    Domain(#[from] org_url::OrgUrlError),
}

/// Resolves the connection. `base_override` (testing only) replaces the domain.
pub fn resolve(key: &secrecy::SecretString, org_id: &str, base_override: Option<&Url>) -> Result<Connection, ConnectionError> {
    let raw = key.expose_secret().trim();
    if raw.is_empty() {
        return Err(ConnectionError::NoToken);
    }
    let (domain, token) = match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(m)) => {
            let get = |k: &'static str| {
                m.get(k)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .ok_or(ConnectionError::BadKey(k))
            };
            (Some(get("domain")).transpose().or_else(|e| if base_override.is_some() { Ok(None) } else { Err(e) })?, get("token")?)
        }
        _ => (Some(org_id.trim().to_string()).filter(|s| !s.is_empty()), raw.to_string()),
    };
    let token = ApiToken::new(&token);
    if token.is_empty() {
        return Err(ConnectionError::NoToken);
    }
    let base_url = match (base_override, domain) {
        (Some(b), _) => b.clone(),
        (None, Some(d)) => org_url::parse_org_url(&d)?,
        (None, None) => return Err(ConnectionError::NoDomain),
    };
    Ok(Connection { base_url, token })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> secrecy::SecretString {
        s.to_string().into()
    }

    #[test]
    fn both_key_forms_resolve() {
        let c = resolve(&key(r#"{"domain": "acme.okta.com", "token": "t0k"}"#), "", None).unwrap();
        assert_eq!(c.base_url.as_str(), "https://acme.okta.com/");
        let c = resolve(&key("SSWS t0k"), "acme", None).unwrap();
        assert_eq!(c.base_url.as_str(), "https://acme.okta.com/");
        assert!(matches!(resolve(&key("t0k"), "", None), Err(ConnectionError::NoDomain)));
        assert!(matches!(resolve(&key(r#"{"domain": "acme"}"#), "", None), Err(ConnectionError::BadKey("token"))));
        assert!(matches!(resolve(&key(""), "acme", None), Err(ConnectionError::NoToken)));
        assert!(matches!(resolve(&key("t"), "acme.okta.com.evil.com", None), Err(ConnectionError::Domain(_))));
    }
}
