//! The service app's private key: read from a PEM (PKCS#8, PKCS#1 RSA or SEC1 EC) or a private
//! JWK (as Okta's admin console generates it), RSA (at least 2048 bits, RS256) or EC P-256
//! (ES256), and turned into a `jsonwebtoken` signing key. Never shown: Debug is redacted and no
//! error quotes the key.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::traits::PublicKeyParts;
use serde_json::Value;

/// Okta refuses RSA keys shorter than this.
const MIN_RSA_BITS: usize = 2048;

/// A key that cannot be used, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Empty.
    #[error("the private key is empty: paste the service app's private key (PEM or JWK)")]
    Empty,
    /// The public half.
    #[error(
        "this is a public key: register it in Okta (the app's Client Credentials > Public keys) and give the connector the private key"
    )]
    PublicOnly,
    /// Encrypted PEM.
    #[error("the private key is encrypted: export it without a passphrase (openssl pkcs8 -topk8 -nocrypt)")]
    Encrypted,
    /// Neither PEM nor JWK.
    #[error("the private key is neither a PEM (-----BEGIN PRIVATE KEY-----) nor a JWK (JSON with \"kty\")")]
    Unrecognised,
    /// A PEM or JWK that is not an RSA or P-256 private key.
    #[error("the private key could not be read as an RSA or EC P-256 private key ({0}); Okta service apps accept RSA (RS256) and EC (ES256) keys")]
    Unsupported(String),
    /// RSA under 2048 bits.
    #[error("the RSA key has {0} bits; Okta requires at least 2048: generate a new key")]
    TooShort(usize),
}

/// The private key, ready to sign client assertions.
#[derive(Clone)]
pub struct SigningKey {
    key: EncodingKey,
    alg: Algorithm,
    /// The `kid` a JWK carried, used when the connection names none.
    pub jwk_kid: Option<String>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({:?}, [REDACTED])", self.alg)
    }
}

impl SigningKey {
    /// Reads a PEM or a private JWK (a JWK set with one key works too). A PEM whose line
    /// breaks were flattened to spaces or escaped as `\n` (a one-line form field) is accepted.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(KeyError::Empty);
        }
        if t.starts_with('{') {
            return from_jwk(t);
        }
        from_pem(t)
    }

    /// The JWS algorithm the key signs with.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The `jsonwebtoken` key.
    pub(crate) fn encoding_key(&self) -> &EncodingKey {
        &self.key
    }
}

fn rsa_key(k: rsa::RsaPrivateKey) -> Result<SigningKey, KeyError> {
    let bits = k.size() * 8;
    if bits < MIN_RSA_BITS {
        return Err(KeyError::TooShort(bits));
    }
    k.validate().map_err(|e| KeyError::Unsupported(e.to_string()))?;
    let der = k.to_pkcs1_der().map_err(|e| KeyError::Unsupported(e.to_string()))?;
    Ok(SigningKey { key: EncodingKey::from_rsa_der(der.as_bytes()), alg: Algorithm::RS256, jwk_kid: None })
}

fn ec_key(k: p256::SecretKey) -> Result<SigningKey, KeyError> {
    let der = k.to_pkcs8_der().map_err(|e| KeyError::Unsupported(e.to_string()))?;
    Ok(SigningKey { key: EncodingKey::from_ec_der(der.as_bytes()), alg: Algorithm::ES256, jwk_kid: None })
}

/// Rebuilds a PEM whose line breaks were lost or escaped, then reads it by its label.
fn from_pem(t: &str) -> Result<SigningKey, KeyError> {
    let t = t.replace("\\n", "\n").replace("\\r", "");
    let (_, rest) = t.split_once("-----BEGIN ").ok_or(KeyError::Unrecognised)?;
    let (label, rest) = rest.split_once("-----").ok_or(KeyError::Unrecognised)?;
    let label = label.trim();
    let (body, _) = rest.split_once("-----END").ok_or(KeyError::Unrecognised)?;
    let body: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let der = STANDARD.decode(body.as_bytes()).map_err(|_| KeyError::Unsupported("the PEM body is not base64".into()))?;
    match label {
        "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" => Err(KeyError::PublicOnly),
        "ENCRYPTED PRIVATE KEY" => Err(KeyError::Encrypted),
        "RSA PRIVATE KEY" => rsa_key(rsa::RsaPrivateKey::from_pkcs1_der(&der).map_err(|e| KeyError::Unsupported(e.to_string()))?),
        "EC PRIVATE KEY" => ec_key(p256::SecretKey::from_sec1_der(&der).map_err(|e| KeyError::Unsupported(e.to_string()))?),
        "PRIVATE KEY" => match rsa::RsaPrivateKey::from_pkcs8_der(&der) {
            Ok(k) => rsa_key(k),
            Err(_) => ec_key(p256::SecretKey::from_pkcs8_der(&der).map_err(|e| KeyError::Unsupported(e.to_string()))?),
        },
        _ => Err(KeyError::Unsupported(format!("a PEM labelled {label}"))),
    }
}

fn from_jwk(t: &str) -> Result<SigningKey, KeyError> {
    let mut v: Value = serde_json::from_str(t).map_err(|_| KeyError::Unrecognised)?;
    if let Some(keys) = v.get_mut("keys").and_then(Value::as_array_mut) {
        if keys.len() != 1 {
            return Err(KeyError::Unsupported(format!("a JWK set of {} keys; give the one key the app uses", keys.len())));
        }
        v = keys.remove(0);
    }
    let kid = v.get("kid").and_then(Value::as_str).map(str::to_string);
    if v.get("d").is_none() {
        return Err(KeyError::PublicOnly);
    }
    let mut key = match v.get("kty").and_then(Value::as_str) {
        Some("RSA") => rsa_key(rsa_from_jwk(&v)?)?,
        Some("EC") => {
            if v.get("crv").and_then(Value::as_str) != Some("P-256") {
                return Err(KeyError::Unsupported("an EC JWK on a curve other than P-256".into()));
            }
            // Only the key's own members: `kid`, `use`, `alg` and the like are not the key's.
            let own: serde_json::Map<String, Value> =
                ["kty", "crv", "x", "y", "d"].iter().filter_map(|k| v.get(*k).map(|x| (k.to_string(), x.clone()))).collect();
            let text = Value::Object(own).to_string();
            ec_key(p256::SecretKey::from_jwk_str(&text).map_err(|e| KeyError::Unsupported(e.to_string()))?)?
        }
        _ => return Err(KeyError::Unsupported("a JWK whose kty is not RSA or EC".into())),
    };
    key.jwk_kid = kid;
    Ok(key)
}

fn rsa_from_jwk(v: &Value) -> Result<rsa::RsaPrivateKey, KeyError> {
    let int = |k: &str| -> Result<rsa::BigUint, KeyError> {
        let s = v.get(k).and_then(Value::as_str).ok_or_else(|| KeyError::Unsupported(format!("the RSA JWK lacks `{k}`")))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .map_err(|_| KeyError::Unsupported(format!("the RSA JWK's `{k}` is not base64url")))?;
        Ok(rsa::BigUint::from_bytes_be(&bytes))
    };
    let primes = match (int("p"), int("q")) {
        (Ok(p), Ok(q)) => vec![p, q],
        _ => Vec::new(),
    };
    rsa::RsaPrivateKey::from_components(int("n")?, int("e")?, int("d")?, primes).map_err(|e| KeyError::Unsupported(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::pkcs8::LineEnding;

    fn ec_pem() -> String {
        p256::SecretKey::random(&mut rand::rngs::OsRng).to_pkcs8_pem(LineEnding::LF).unwrap().to_string()
    }

    #[test]
    fn ec_keys_read_from_pkcs8_sec1_flattened_pem_and_jwk() {
        let sk = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let pkcs8 = sk.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
        assert_eq!(SigningKey::parse(&pkcs8).unwrap().alg(), Algorithm::ES256);
        assert_eq!(SigningKey::parse(&pkcs8.replace('\n', " ")).unwrap().alg(), Algorithm::ES256);
        assert_eq!(SigningKey::parse(&pkcs8.replace('\n', "\\n")).unwrap().alg(), Algorithm::ES256);
        let sec1 = sk.to_sec1_pem(LineEnding::LF).unwrap().to_string();
        assert_eq!(SigningKey::parse(&sec1).unwrap().alg(), Algorithm::ES256);
        let mut jwk: Value = serde_json::from_str(&sk.to_jwk_string()).unwrap();
        jwk["kid"] = "k1".into();
        let k = SigningKey::parse(&jwk.to_string()).unwrap();
        assert_eq!((k.alg(), k.jwk_kid.as_deref()), (Algorithm::ES256, Some("k1")));
        let set = serde_json::json!({"keys": [jwk]});
        assert!(SigningKey::parse(&set.to_string()).is_ok());
    }

    #[test]
    fn unusable_keys_say_what_is_wrong_without_quoting_the_key() {
        let pem = ec_pem();
        let public = p256::SecretKey::from_pkcs8_pem(&pem).unwrap().public_key();
        let public_pem = p256::pkcs8::EncodePublicKey::to_public_key_pem(&public, LineEnding::LF).unwrap();
        assert!(matches!(SigningKey::parse(&public_pem), Err(KeyError::PublicOnly)));
        assert!(matches!(SigningKey::parse(&public.to_jwk_string()), Err(KeyError::PublicOnly)));
        assert!(matches!(SigningKey::parse(""), Err(KeyError::Empty)));
        assert!(matches!(SigningKey::parse("hunter2"), Err(KeyError::Unrecognised)));
        let enc = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----";
        assert!(matches!(SigningKey::parse(enc), Err(KeyError::Encrypted)));
        let garbled = pem.replace("MIG", "AAA");
        let e = SigningKey::parse(&garbled).unwrap_err().to_string();
        let body_line = pem.lines().nth(1).unwrap();
        assert!(e.contains("RSA or EC P-256") && !e.contains(body_line) && !e.contains(garbled.lines().nth(1).unwrap()), "{e}");
        assert!(!format!("{:?}", SigningKey::parse(&pem).unwrap()).contains(body_line));
    }
}
