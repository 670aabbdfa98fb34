//! `okta-airsync sim` flags for the simulated org's OAuth 2.0 service app.

use std::path::PathBuf;

use clap::Args;
use okta_sim::OAuthApp;

use super::{io, Error};

/// The org's service app (none without `--oauth-client-id`).
#[derive(Args, Clone, Debug, Default)]
pub struct SimOAuthArgs {
    /// Give the org an OAuth 2.0 service app with this client id (API tokens still work).
    #[arg(long, requires = "oauth_public_key")]
    oauth_client_id: Option<String>,
    /// The app's registered public key: a PEM (BEGIN PUBLIC KEY) or JWK file, RSA or EC P-256.
    #[arg(long, requires = "oauth_client_id")]
    oauth_public_key: Option<PathBuf>,
    /// The registered key's kid, when client assertions must name it.
    #[arg(long, requires = "oauth_client_id")]
    oauth_key_id: Option<String>,
    /// The scopes granted to the app, comma-separated (default: every read scope of Okta's
    /// OpenAPI document).
    #[arg(long, requires = "oauth_client_id", value_delimiter = ',')]
    oauth_scopes: Vec<String>,
    /// The app has no admin role (every API call is 403 E0000006).
    #[arg(long, requires = "oauth_client_id")]
    oauth_no_admin_role: bool,
    /// The app requires DPoP-bound tokens (proofs on every request, with server nonces).
    #[arg(long, requires = "oauth_client_id")]
    require_dpop: bool,
    /// Access-token lifetime in seconds (Okta: 3600).
    #[arg(long, requires = "oauth_client_id", default_value_t = 3600)]
    oauth_token_ttl_secs: i64,
}

impl SimOAuthArgs {
    /// The app these flags describe, its key read and checked.
    pub fn app(&self) -> Result<Option<OAuthApp>, Error> {
        let (Some(id), Some(path)) = (&self.oauth_client_id, &self.oauth_public_key) else { return Ok(None) };
        let what = format!("reading --oauth-public-key {}", path.display());
        let key = std::fs::read_to_string(path).map_err(io(what.clone()))?;
        okta_sim::oauth::jose::PublicKey::parse(&key).map_err(|e| io(what)(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)))?;
        let mut app = OAuthApp::new(id, &key);
        app.key_id = self.oauth_key_id.clone();
        if !self.oauth_scopes.is_empty() {
            app.granted_scopes = self.oauth_scopes.iter().map(|s| s.trim().to_string()).collect();
        }
        app.admin_role = !self.oauth_no_admin_role;
        app.require_dpop = self.require_dpop;
        app.token_ttl_secs = self.oauth_token_ttl_secs.max(1);
        Ok(Some(app))
    }
}
