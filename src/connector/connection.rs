//! Reading the Okta connection out of `connection_data`.
//!
//! As deployed (manifest.yaml: a subdomain keyring whose `secret_transform` is `.token`), `key`
//! is the raw API token and the org's subdomain comes with the connection: DevRev puts the
//! connection's organization in `org_id` (the display name in `org_name`, used when `org_id` is
//! empty: DevRev does not document where a subdomain keyring's subdomain lands). For local runs
//! `key` may also be the JSON object `{"domain": "...", "token": "..."}`.
//!
//! The OAuth keyring (`okta-oauth-connection`) has no `secret_transform`: `key` is the JSON of
//! its fields, `{"client_id", "private_key", "kid", "scopes"}` (and `domain` for local runs),
//! which becomes a service app ([`crate::okta::oauth::ServiceApp`]).

use secrecy::ExposeSecret;
use serde_json::Value;
use url::Url;

use crate::okta::oauth::{ServiceApp, ServiceAppError};
use crate::okta::{org_url, ApiToken, Credentials};

/// Where to connect and with what.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The org's base URL.
    pub base_url: Url,
    /// The API token or the service app.
    pub credentials: Credentials,
}

/// A connection that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// No token at all.
    #[error("connection_data.key is empty: the Okta connection has no API token; edit the connection and paste a token")]
    NoToken,
    /// No domain anywhere.
    #[error(
        "no Okta subdomain: the connection gives neither connection_data.org_id nor org_name; edit the connection and set the Okta subdomain (acme for acme.okta.com)"
    )]
    NoDomain,
    /// A JSON key without the fields.
    #[error(
        "connection_data.key is a JSON object but lacks a non-empty `{0}`; expected {{\"domain\": \"acme.okta.com\", \"token\": \"...\"}}"
    )]
    BadKey(&'static str),
    /// An OAuth connection that cannot be used.
    #[error(transparent)]
    ServiceApp(#[from] ServiceAppError),
    /// The domain is not an Okta org URL.
    #[error(transparent)]
    Domain(#[from] org_url::OrgUrlError),
}

/// What the connection says about the org, besides the key.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrgHint<'a> {
    /// `connection_data.org_id`.
    pub org_id: &'a str,
    /// `connection_data.org_name`.
    pub org_name: &'a str,
}

impl OrgHint<'_> {
    fn subdomain(&self) -> Option<String> {
        [self.org_id, self.org_name].iter().map(|s| s.trim()).find(|s| !s.is_empty()).map(str::to_string)
    }
}

/// Resolves the connection. `base_override` (testing only) replaces the domain.
/// `org` is where the subdomain comes from when `key` is a raw token: `org_id`, else `org_name`.
pub fn resolve(key: &secrecy::SecretString, org: OrgHint<'_>, base_override: Option<&Url>) -> Result<Connection, ConnectionError> {
    let raw = key.expose_secret().trim();
    if raw.is_empty() {
        return Err(ConnectionError::NoToken);
    }
    let (domain, credentials) = match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(m)) if m.contains_key("client_id") => {
            let field = |k: &str| match m.get(k) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "),
                _ => String::new(),
            };
            let kid = [field("kid"), field("key_id")].into_iter().find(|k| !k.trim().is_empty()).unwrap_or_default();
            let app = ServiceApp::from_fields(&field("client_id"), &field("private_key"), &kid, &field("scopes"))?;
            let domain = Some(field("domain").trim().to_string()).filter(|d| !d.is_empty()).or_else(|| org.subdomain());
            (domain, Credentials::OAuth(app))
        }
        Ok(Value::Object(m)) => {
            let get = |k: &'static str| {
                m.get(k)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .ok_or(ConnectionError::BadKey(k))
            };
            let domain = Some(get("domain")).transpose().or_else(|e| if base_override.is_some() { Ok(None) } else { Err(e) })?;
            (domain, api_token(&get("token")?)?)
        }
        _ => (org.subdomain(), api_token(raw)?),
    };
    let base_url = match (base_override, domain) {
        (Some(b), _) => b.clone(),
        (None, Some(d)) => org_url::parse_org_url(&d)?,
        (None, None) => return Err(ConnectionError::NoDomain),
    };
    Ok(Connection { base_url, credentials })
}

fn api_token(raw: &str) -> Result<Credentials, ConnectionError> {
    let token = ApiToken::new(raw);
    if token.is_empty() {
        return Err(ConnectionError::NoToken);
    }
    Ok(Credentials::ApiToken(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> secrecy::SecretString {
        s.to_string().into()
    }

    fn org(org_id: &str) -> OrgHint<'_> {
        OrgHint { org_id, org_name: "" }
    }

    #[test]
    fn both_key_forms_resolve() {
        let c = resolve(&key(r#"{"domain": "acme.okta.com", "token": "t0k"}"#), org(""), None).unwrap();
        assert_eq!(c.base_url.as_str(), "https://acme.okta.com/");
        let c = resolve(&key("SSWS t0k"), org("acme"), None).unwrap();
        assert_eq!(c.base_url.as_str(), "https://acme.okta.com/");
        assert!(matches!(resolve(&key("t0k"), org(""), None), Err(ConnectionError::NoDomain)));
        assert!(matches!(resolve(&key(r#"{"domain": "acme"}"#), org(""), None), Err(ConnectionError::BadKey("token"))));
        assert!(matches!(resolve(&key(""), org("acme"), None), Err(ConnectionError::NoToken)));
        assert!(matches!(resolve(&key("t"), org("acme.okta.com.evil.com"), None), Err(ConnectionError::Domain(_))));
    }

    #[test]
    fn the_deployed_form_is_a_raw_token_with_the_subdomain_of_the_connection() {
        // manifest.yaml: `secret_transform: ".token"` gives the raw token; the subdomain comes
        // in org_id, or org_name when DevRev leaves org_id empty; a host or URL works too.
        let c = resolve(&key("00aRawToken"), org("acme"), None).unwrap();
        assert_eq!(c.base_url.as_str(), "https://acme.okta.com/");
        let c = resolve(&key("00aRawToken"), OrgHint { org_id: " ", org_name: "acme" }, None).unwrap();
        assert_eq!(c.base_url.as_str(), "https://acme.okta.com/");
        let c = resolve(&key("00aRawToken"), org("https://acme.okta.com"), None).unwrap();
        assert_eq!(c.base_url.as_str(), "https://acme.okta.com/");
        let e = resolve(&key("00aRawToken"), OrgHint::default(), None).unwrap_err().to_string();
        assert!(e.contains("Okta subdomain") && !e.contains("00aRawToken"), "{e}");
    }
}
