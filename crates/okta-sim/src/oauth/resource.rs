//! The checks an API request with an OAuth 2.0 access token passes, in Okta's order: a known,
//! unexpired token sent with the scheme it was issued for; for a DPoP-bound token a fresh proof
//! for this request, by the bound key, over this token; the endpoint's scope; the app's admin
//! role.

use chrono::{DateTime, Utc};

use super::{jose, scopes, OAuthServer};
use crate::api::{okta_error, ApiError};

/// The request may go on.
#[derive(Debug)]
pub struct Granted;

/// Why a request was refused.
#[derive(Debug)]
pub enum Denied {
    /// Unknown, expired or revoked token, or one sent with the wrong scheme.
    InvalidToken(&'static str),
    /// A DPoP proof missing or wrong.
    InvalidProof(String),
    /// The token lacks the endpoint's scope.
    Scope(String),
    /// The app has no admin role that allows this.
    NoAdminRole,
}

impl Denied {
    /// The Okta error body.
    pub fn error(&self) -> ApiError {
        match self {
            Denied::InvalidToken(_) | Denied::InvalidProof(_) => okta_error(401, "E0000011", "Invalid token provided"),
            Denied::Scope(_) | Denied::NoAdminRole => {
                okta_error(403, "E0000006", "You do not have permission to perform the requested action")
            }
        }
    }

    /// The `WWW-Authenticate` header Okta sends with it (`scheme`: Bearer or DPoP).
    pub fn www_authenticate(&self, scheme: &str, base: &str, path: &str) -> Option<String> {
        let realm = format!(r#"authorization_uri="{base}/oauth2/v1/authorize", realm="{base}""#);
        match self {
            Denied::InvalidToken(why) => Some(format!(r#"{scheme} {realm}, error="invalid_token", error_description="{why}""#)),
            Denied::InvalidProof(why) => Some(format!(r#"DPoP {realm}, error="invalid_dpop_proof", error_description="{why}""#)),
            Denied::Scope(scope) => Some(format!(
                r#"{scheme} {realm}, scope="{scope}", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="{path}""#
            )),
            Denied::NoAdminRole => None,
        }
    }
}

/// One API request as the resource server sees it.
pub struct ApiCall<'a> {
    /// `Bearer` or `DPoP`.
    pub scheme: &'a str,
    /// The access token.
    pub token: &'a str,
    /// The `DPoP` header.
    pub proof: Option<&'a str>,
    /// The method.
    pub method: &'a str,
    /// The URL without query (a proof's `htu`).
    pub url: &'a str,
    /// The path.
    pub path: &'a str,
}

impl OAuthServer {
    /// Checks one API request made with an access token.
    pub fn authorize(&self, call: &ApiCall<'_>, now: DateTime<Utc>) -> Result<Granted, Denied> {
        let mut st = self.lock();
        if let Some(p) = call.proof {
            st.keep_secret(p);
        }
        let Some(issued) = st.tokens.get(call.token).cloned() else {
            st.stats.tokens_refused += 1;
            return Err(Denied::InvalidToken("The token is not valid."));
        };
        if issued.expires <= now {
            st.stats.tokens_refused += 1;
            return Err(Denied::InvalidToken("The token is expired."));
        }
        match (&issued.jkt, call.scheme) {
            (None, "Bearer") => {}
            (Some(jkt), "DPoP") => {
                if let Err(why) = check_proof(&mut st, jkt, call) {
                    st.stats.proofs_rejected += 1;
                    return Err(Denied::InvalidProof(why));
                }
                st.stats.proofs_verified += 1;
            }
            (Some(_), _) => {
                st.stats.tokens_refused += 1;
                return Err(Denied::InvalidToken("The DPoP-bound token must be sent with the DPoP scheme."));
            }
            (None, _) => {
                st.stats.tokens_refused += 1;
                return Err(Denied::InvalidToken("The token must be sent with the Bearer scheme."));
            }
        }
        if let Some(needed) = scopes::for_get(call.path) {
            if !needed.iter().any(|s| issued.scopes.contains(s)) {
                st.stats.insufficient_scope += 1;
                return Err(Denied::Scope(needed.first().cloned().unwrap_or_default()));
            }
        }
        if !self.app.admin_role {
            return Err(Denied::NoAdminRole);
        }
        Ok(Granted)
    }
}

fn check_proof(st: &mut super::State, jkt: &str, call: &ApiCall<'_>) -> Result<(), String> {
    let proof = call.proof.ok_or_else(|| "The DPoP proof JWT header is missing.".to_string())?;
    let p = jose::verify_proof(proof, call.method, call.url)?;
    if p.jkt != jkt {
        return Err("The DPoP proof key is not the one the token is bound to.".into());
    }
    if p.claims.ath.as_deref() != Some(jose::ath(call.token).as_str()) {
        return Err("The DPoP proof ath does not match the access token.".into());
    }
    if !st.fresh_proof(p.claims.iat, &p.claims.jti) {
        return Err("The DPoP proof jti was used before.".into());
    }
    Ok(())
}
