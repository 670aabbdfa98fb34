//! The Okta API token: redacted in Debug and Display, sent only as `SSWS <token>`.

use secrecy::{ExposeSecret, SecretString};

/// An Okta API token.
#[derive(Clone)]
pub struct ApiToken(SecretString);

impl ApiToken {
    /// Wraps a token, removing a pasted `SSWS ` prefix so it is never doubled.
    pub fn new(raw: &str) -> Self {
        let t = raw.trim();
        let t = t.strip_prefix("SSWS ").or_else(|| t.strip_prefix("ssws ")).unwrap_or(t).trim();
        ApiToken(SecretString::from(t.to_string()))
    }

    /// Whether the token is empty.
    pub fn is_empty(&self) -> bool {
        self.0.expose_secret().is_empty()
    }

    /// The Authorization header value, marked sensitive so it never shows in debug output.
    pub fn header(&self) -> reqwest::header::HeaderValue {
        let mut v = reqwest::header::HeaderValue::from_str(&format!("SSWS {}", self.0.expose_secret()))
            .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static("SSWS invalid-token-characters"));
        v.set_sensitive(true);
        v
    }
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiToken([REDACTED])")
    }
}

impl std::fmt::Display for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[REDACTED]")
    }
}
