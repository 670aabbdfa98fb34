//! Secret stripping: a deny-list of known paths plus a key-name pattern, applied to every
//! free-form object (app settings and credentials, app-user profiles, policy rules).

use serde_json::{Map, Value};

/// Key fragments that mark a value as secret (compared on lowercase letters and digits only).
const SECRET_WORDS: &[&str] =
    &["secret", "password", "passwd", "token", "privatekey", "sharedsecret", "apikey", "answer", "passphrase", "credential", "pin"];

/// Keys that contain a secret word but hold no secret.
const SAFE_KEYS: &[&str] = &["token_endpoint_auth_method", "tokenendpointauthmethod", "pkce_required"];

/// Whether a key name looks secret.
pub fn is_secret_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    if SAFE_KEYS.contains(&lower.as_str()) {
        return false;
    }
    let squashed: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    if squashed == "pin" || squashed.ends_with("pin") && squashed.len() <= 6 {
        return true;
    }
    SECRET_WORDS.iter().filter(|w| **w != "pin").any(|w| squashed.contains(w))
}

/// Returns a copy without secret-looking keys and without `_links`/`_embedded`.
pub fn strip(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, val) in m {
                if k == "_links" || k == "_embedded" || is_secret_key(k) {
                    continue;
                }
                out.insert(k.clone(), strip(val));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
        other => other.clone(),
    }
}

/// App credentials without the secret parts (Okta's Applications API, `credentials`): keeps the signing kid, the
/// username template, the OAuth client id and auth method.
pub fn app_credentials(creds: &Value) -> Value {
    let mut c = strip(creds);
    if let Some(o) = c.as_object_mut() {
        o.remove("userName");
    }
    c
}

/// Masks a phone number to its last four digits.
pub fn mask_phone(p: &str) -> String {
    let digits: Vec<char> = p.chars().filter(char::is_ascii_digit).collect();
    if digits.len() <= 4 {
        return "*".repeat(digits.len());
    }
    let tail: String = digits.iter().skip(digits.len() - 4).collect();
    format!("{}{}", "*".repeat(digits.len() - 4), tail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_known_secret_is_stripped() {
        let app = json!({
            "credentials": {"oauthClient": {"client_id": "c", "client_secret": "S1", "token_endpoint_auth_method": "client_secret_basic"},
                            "password": {"value": "S2"}, "userName": "shared", "signing": {"kid": "k"}},
            "settings": {"app": {"apiToken": "S3", "privateKey": "S4", "sharedSecret": "S5", "passwordField": "#pw", "url": "https://x"},
                         "oauthClient": {"redirect_uris": ["https://cb"]}}
        });
        let creds = app_credentials(&app["credentials"]);
        let settings = strip(&app["settings"]);
        let text = format!("{creds}{settings}");
        for s in ["S1", "S2", "S3", "S4", "S5", "shared", "#pw"] {
            assert!(!text.contains(s), "{s} leaked: {text}");
        }
        assert_eq!(creds["oauthClient"]["client_id"], "c");
        assert_eq!(creds["oauthClient"]["token_endpoint_auth_method"], "client_secret_basic");
        assert_eq!(creds["signing"]["kid"], "k");
        assert_eq!(settings["app"]["url"], "https://x");
    }

    #[test]
    fn profiles_lose_security_answers() {
        let p = strip(&json!({"email": "a@b", "securityAnswer": "blue", "role": "Viewer"}));
        assert_eq!(p, json!({"email": "a@b", "role": "Viewer"}));
    }

    #[test]
    fn phones_keep_only_the_last_four_digits() {
        assert_eq!(mask_phone("+1 555-555-0123"), "*******0123");
        assert_eq!(mask_phone("12"), "**");
    }
}
