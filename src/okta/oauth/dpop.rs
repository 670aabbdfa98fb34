//! DPoP proofs (RFC 9449): an EC P-256 key made for the session (Okta: separate from the key
//! that authenticates the client), and one freshly signed proof per request, over the method,
//! the URL without its query, the time, a unique `jti`, the access token's hash (`ath`) on API
//! requests and the server's nonce when it gave one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::EncodePrivateKey;
use serde::Serialize;
use sha2::{Digest, Sha256};
use url::Url;

/// The session's proof key. Debug shows only the public half.
#[derive(Clone)]
pub struct DpopKey {
    key: EncodingKey,
    jwk: Jwk,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DpopKey([REDACTED])")
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    jti: String,
    htm: &'a str,
    htu: String,
    iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
}

impl DpopKey {
    /// A new random key.
    pub fn generate() -> Result<Self, String> {
        let sk = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let der = sk.to_pkcs8_der().map_err(|e| format!("encoding the DPoP key: {e}"))?;
        let jwk: Jwk = serde_json::from_str(&sk.public_key().to_jwk_string()).map_err(|e| format!("the DPoP key's JWK: {e}"))?;
        Ok(DpopKey { key: EncodingKey::from_ec_der(der.as_bytes()), jwk })
    }

    /// A proof for one request (`access_token`: on API requests, for `ath`).
    pub fn proof(&self, method: &str, url: &Url, access_token: Option<&str>, nonce: Option<&str>) -> Result<String, String> {
        let mut htu = url.clone();
        htu.set_query(None);
        htu.set_fragment(None);
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(self.jwk.clone());
        let claims = Claims {
            jti: uuid::Uuid::new_v4().to_string(),
            htm: method,
            htu: htu.to_string(),
            iat: chrono::Utc::now().timestamp(),
            ath: access_token.map(|t| URL_SAFE_NO_PAD.encode(Sha256::digest(t.as_bytes()))),
            nonce,
        };
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| format!("signing a DPoP proof: {e}"))
    }
}
