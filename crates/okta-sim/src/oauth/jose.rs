//! Checking what a client signs: its `private_key_jwt` client assertion (against the key
//! registered for the app) and its DPoP proofs (against the key in the proof's header), with
//! `jsonwebtoken`. Errors are the sentences Okta's `error_description` would carry.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Seconds a signed `iat` may lie in the future (clock skew).
pub const SKEW_SECS: i64 = 60;
/// How old a DPoP proof may be.
pub const PROOF_MAX_AGE_SECS: i64 = 300;
/// The longest life Okta accepts for a client assertion.
const ASSERTION_MAX_LIFE_SECS: i64 = 3600;

/// The claims of a client assertion.
#[derive(Debug, Deserialize)]
pub struct AssertionClaims {
    /// The client id.
    pub iss: String,
    /// The client id again.
    pub sub: String,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issued at (optional in RFC 7523; Okta does not require it).
    #[serde(default)]
    pub iat: Option<i64>,
    /// Unique per assertion (Okta refuses a replayed one).
    pub jti: String,
}

/// A public key registered for the app: a PEM `PUBLIC KEY` (RSA or EC P-256) or a public JWK.
#[derive(Debug, Clone)]
pub enum PublicKey {
    /// SubjectPublicKeyInfo PEM.
    Pem(String),
    /// A JWK.
    Jwk(Box<Jwk>),
}

impl PublicKey {
    /// Reads a PEM or a JWK (JSON).
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.starts_with('{') {
            return serde_json::from_str::<Jwk>(t).map(|j| PublicKey::Jwk(Box::new(j))).map_err(|e| format!("not a JWK: {e}"));
        }
        if t.contains("-----BEGIN PUBLIC KEY-----") {
            return Ok(PublicKey::Pem(t.to_string()));
        }
        Err("expected a PEM public key (BEGIN PUBLIC KEY) or a JWK".into())
    }

    fn decoding_key(&self, alg: Algorithm) -> Result<DecodingKey, String> {
        let k = match (self, alg) {
            (PublicKey::Jwk(j), _) => DecodingKey::from_jwk(j),
            (PublicKey::Pem(p), Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512) => DecodingKey::from_rsa_pem(p.as_bytes()),
            (PublicKey::Pem(p), Algorithm::ES256 | Algorithm::ES384) => DecodingKey::from_ec_pem(p.as_bytes()),
            _ => return Err(format!("The client_assertion signature algorithm {alg:?} is not supported.")),
        };
        k.map_err(|_| "The client_assertion signature is invalid.".to_string())
    }
}

/// Verifies a client assertion: signature by the registered key (and its `kid`, when one is
/// registered), `iss` = `sub` = the client id, `aud` = the token endpoint, not expired, an
/// expiry at most an hour away.
pub fn verify_assertion(jwt: &str, key: &PublicKey, kid: Option<&str>, client_id: &str, audience: &str) -> Result<AssertionClaims, String> {
    let header = jsonwebtoken::decode_header(jwt).map_err(|_| "The client_assertion is not a valid JWT.".to_string())?;
    if let (Some(want), got) = (kid, header.kid.as_deref()) {
        if got != Some(want) {
            return Err(format!("The client_assertion was signed with an unknown key (kid {}).", got.unwrap_or("missing")));
        }
    }
    let mut v = Validation::new(header.alg);
    v.set_audience(&[audience]);
    v.set_issuer(&[client_id]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v.leeway = SKEW_SECS as u64;
    let data = jsonwebtoken::decode::<AssertionClaims>(jwt, &key.decoding_key(header.alg)?, &v).map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::ExpiredSignature => "The client_assertion token is expired.".to_string(),
        jsonwebtoken::errors::ErrorKind::InvalidAudience => {
            "The audience claim for client_assertion must be the endpoint invoked for the request.".to_string()
        }
        jsonwebtoken::errors::ErrorKind::InvalidIssuer => {
            "The issuer and subject claim in client_assertion must match the client_id.".to_string()
        }
        _ => "The client_assertion signature is invalid.".to_string(),
    })?;
    let c = data.claims;
    if c.sub != client_id {
        return Err("The issuer and subject claim in client_assertion must match the client_id.".into());
    }
    let now = chrono::Utc::now().timestamp();
    if c.exp - c.iat.unwrap_or(now).min(now) > ASSERTION_MAX_LIFE_SECS + SKEW_SECS {
        return Err("The client_assertion token has an expiration too far into the future.".into());
    }
    Ok(c)
}

/// The claims of a DPoP proof (RFC 9449).
#[derive(Debug, Deserialize)]
pub struct ProofClaims {
    /// The HTTP method.
    pub htm: String,
    /// The URL without query or fragment.
    pub htu: String,
    /// Issued at.
    pub iat: i64,
    /// Unique per proof.
    pub jti: String,
    /// base64url(SHA-256(access token)), on resource requests.
    #[serde(default)]
    pub ath: Option<String>,
    /// The server's nonce, when it asked for one.
    #[serde(default)]
    pub nonce: Option<String>,
}

/// A verified proof: its claims and the RFC 7638 thumbprint of its key.
#[derive(Debug)]
pub struct Proof {
    /// The claims.
    pub claims: ProofClaims,
    /// The key's thumbprint (`cnf.jkt` of a token bound to it).
    pub jkt: String,
}

/// Verifies a DPoP proof's form and signature (`typ` dpop+jwt, an asymmetric `alg`, a public
/// `jwk` in the header that signed it) and that it is for `method` and `url` and fresh. The
/// caller checks `jti` reuse, `ath` and the nonce.
pub fn verify_proof(jwt: &str, method: &str, url: &str) -> Result<Proof, String> {
    let header = jsonwebtoken::decode_header(jwt).map_err(|_| "The DPoP proof is not a valid JWT.".to_string())?;
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err("The DPoP proof typ header must be dpop+jwt.".into());
    }
    let jwk = header.jwk.ok_or_else(|| "The DPoP proof header has no jwk.".to_string())?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| "The DPoP proof jwk is not a usable public key.".to_string())?;
    let mut v = Validation::new(header.alg);
    v.validate_exp = false;
    v.validate_aud = false;
    v.set_required_spec_claims::<&str>(&[]);
    let claims = jsonwebtoken::decode::<ProofClaims>(jwt, &key, &v).map_err(|_| "The DPoP proof signature is invalid.".to_string())?.claims;
    if !claims.htm.eq_ignore_ascii_case(method) {
        return Err(format!("The DPoP proof htm {} does not match the request method.", claims.htm));
    }
    if claims.htu != url {
        return Err("The DPoP proof htu does not match the request URL.".into());
    }
    let now = chrono::Utc::now().timestamp();
    if claims.iat > now + SKEW_SECS || claims.iat < now - PROOF_MAX_AGE_SECS {
        return Err("The DPoP proof iat is not recent.".into());
    }
    Ok(Proof { claims, jkt: thumbprint(&jwk)? })
}

/// The RFC 7638 thumbprint of a public JWK.
pub fn thumbprint(jwk: &Jwk) -> Result<String, String> {
    let canonical = match &jwk.algorithm {
        AlgorithmParameters::EllipticCurve(p) => {
            let crv = serde_json::to_value(&p.curve).map_err(|e| e.to_string())?;
            format!(r#"{{"crv":{crv},"kty":"EC","x":"{}","y":"{}"}}"#, p.x, p.y)
        }
        AlgorithmParameters::RSA(p) => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, p.e, p.n),
        _ => return Err("The DPoP proof jwk must be an EC or RSA key.".into()),
    };
    Ok(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())))
}

/// base64url(SHA-256(token)): a DPoP proof's `ath`.
pub fn ath(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}
