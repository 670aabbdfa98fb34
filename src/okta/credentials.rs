//! The two kinds of credential the client can present: an API token (`SSWS`) or an OAuth 2.0
//! service app ([`super::oauth`]), and, per client, what is needed to authorize each request.

use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use super::oauth::{AccessToken, OAuthSession, ServiceApp};
use super::{ApiToken, Error};

/// What the connection gives to authenticate with.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// An API token: every permission of the admin who created it.
    ApiToken(ApiToken),
    /// A service app with its scopes.
    OAuth(ServiceApp),
}

impl From<ApiToken> for Credentials {
    fn from(t: ApiToken) -> Self {
        Credentials::ApiToken(t)
    }
}

impl From<ServiceApp> for Credentials {
    fn from(a: ServiceApp) -> Self {
        Credentials::OAuth(a)
    }
}

/// A client's authorizer: the token as is, or the service app's session (one access token
/// shared by every request of the client).
#[derive(Debug, Clone)]
pub(crate) enum Auth {
    ApiToken(ApiToken),
    OAuth(Arc<OAuthSession>),
}

/// What one request is authorized with, fetched before it waits for a slot.
pub(crate) enum Pass {
    ApiToken,
    OAuth(Arc<AccessToken>),
}

impl Auth {
    pub(crate) fn new(c: &Credentials, base_url: &Url, retry_delays: &[std::time::Duration]) -> Result<Self, Error> {
        Ok(match c {
            Credentials::ApiToken(t) => Auth::ApiToken(t.clone()),
            Credentials::OAuth(app) => Auth::OAuth(Arc::new(OAuthSession::new(app.clone(), base_url, retry_delays.to_vec())?)),
        })
    }

    pub(crate) fn session(&self) -> Option<&OAuthSession> {
        match self {
            Auth::OAuth(s) => Some(s),
            Auth::ApiToken(_) => None,
        }
    }

    /// The pass for the next request (an OAuth token is fetched when due).
    pub(crate) async fn pass(&self, http: &reqwest::Client) -> Result<Pass, Error> {
        match self {
            Auth::ApiToken(_) => Ok(Pass::ApiToken),
            Auth::OAuth(s) => Ok(Pass::OAuth(s.token(http).await?)),
        }
    }

    /// The request's authorization headers (a DPoP proof is signed here, just before sending).
    pub(crate) fn headers(&self, pass: &Pass, method: &str, url: &Url) -> Result<Vec<(HeaderName, HeaderValue)>, Error> {
        match (self, pass) {
            (Auth::OAuth(s), Pass::OAuth(t)) => s.headers(t, method, url),
            (Auth::ApiToken(t), _) => Ok(vec![(reqwest::header::AUTHORIZATION, t.header())]),
            (Auth::OAuth(_), Pass::ApiToken) => {
                Err(Error::Unreachable { endpoint: format!("{method} {}", url.path()), detail: "no access token".into() })
            }
        }
    }

    /// After a 401: `true` when the request is worth sending once more (a DPoP nonce was asked
    /// for, or the access token was rejected and a new one will be fetched).
    pub(crate) async fn recover(&self, pass: &Pass, headers: &HeaderMap) -> bool {
        let (Auth::OAuth(s), Pass::OAuth(t)) = (self, pass) else { return false };
        s.observe_nonce(headers);
        let challenge = headers.get(reqwest::header::WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !challenge.contains("use_dpop_nonce") {
            s.forget(t).await;
        }
        true
    }
}
