//! What DevRev's published material says a snap-in manifest's keyring and imports may hold.
//!
//! Placeholders DevRev documents for a `kind: "Secret"` keyring: `[API_KEY]` (the output of
//! `secret_transform`; the only one DevRev's AirSync snap-ins use: devrev/airdrop-asana-snap-in
//! 19d4de39, devrev/airdrop-trello-snap-in 952ea94f, devrev/airdrop-wrike-snap-in d3a7797d) and
//! `[SUBDOMAIN]` (DevRev's custom-keyring codelab, Freshdesk, with `is_subdomain: true`). The
//! OAuth2 placeholders (`[CLIENT_ID]`, `[ACCESS_TOKEN]`, ...) belong to `kind: "Oauth2"`.
//! Issue 12 adds what the seed asks: a subdomain keyring whose token field is a password field.

use std::collections::BTreeSet;

use serde_yaml::Value;

/// Placeholders a `Secret` keyring may use.
pub const DOCUMENTED: &[&str] = &["API_KEY", "SUBDOMAIN"];

/// Import capabilities DevRev documents: `TIME_SCOPED_SYNCS` (fern-api-docs
/// `airsync/data-extraction.mdx`, "Time-scoped syncs").
pub const IMPORT_CAPABILITIES: &[&str] = &["TIME_SCOPED_SYNCS"];

/// Organization input types found in DevRev's published manifests and schema field descriptors
/// (fern-api-docs `references/inputs.mdx`, which excludes `timestamp`, `date` and `array` of
/// booleans; `custom-objects.mdx`; `customization.mdx`; `tutorials/triggered-event.mdx`).
pub const INPUT_TYPES: &[&str] = &["text", "rich_text", "bool", "int", "enum", "id", "array", "tokens"];

/// `[NAME]` placeholders in a text.
pub fn placeholders(s: &str) -> Vec<String> {
    s.split('[')
        .skip(1)
        .filter_map(|p| p.split_once(']').map(|(n, _)| n.to_string()))
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect()
}

fn strs<'a>(v: &'a Value, key: &str) -> BTreeSet<&'a str> {
    v.as_sequence().into_iter().flatten().filter_map(|x| x[key].as_str()).collect()
}

/// Every violation in a manifest's text.
pub fn check(text: &str) -> Vec<String> {
    let m: Value = match serde_yaml::from_str(text) {
        Ok(m) => m,
        Err(e) => return vec![format!("not YAML: {e}")],
    };
    let mut errs = Vec::new();
    let functions = strs(&m["functions"], "name");
    let keyrings = strs(&m["keyring_types"], "id");
    if keyrings.is_empty() {
        errs.push("no keyring_types".to_string());
    }
    for k in m["keyring_types"].as_sequence().into_iter().flatten() {
        let id = k["id"].as_str().unwrap_or("?");
        if k["is_subdomain"].as_bool() != Some(true) {
            errs.push(format!("{id}: is_subdomain is not true"));
        }
        let text = serde_yaml::to_string(k).unwrap_or_default();
        for p in placeholders(&text) {
            if !DOCUMENTED.contains(&p.as_str()) {
                errs.push(format!("{id}: [{p}] is not a placeholder DevRev documents"));
            }
        }
        let cfg = &k["secret_config"];
        let url = cfg["token_verification"]["url"].as_str().unwrap_or("");
        if !url.contains("[SUBDOMAIN]") {
            errs.push(format!("{id}: the verification URL {url:?} has no [SUBDOMAIN]"));
        }
        if cfg["secret_transform"].is_null() {
            errs.extend(check_multi_field(id, cfg, url));
            continue;
        }
        if url != "https://[SUBDOMAIN].okta.com/api/v1/users/me" {
            errs.push(format!("{id}: the verification URL {url:?} is not the seed's"));
        }
        if cfg["token_verification"]["headers"]["Authorization"].as_str() != Some("SSWS [API_KEY]") {
            errs.push(format!("{id}: the verification does not send Authorization: SSWS [API_KEY]"));
        }
        let transform = cfg["secret_transform"].as_str().unwrap_or("");
        let fields: Vec<&Value> = cfg["fields"].as_sequence().into_iter().flatten().collect();
        let token = fields.iter().find(|f| f["id"].as_str().is_some_and(|f| transform.trim() == format!(".{f}")));
        match token {
            None => errs.push(format!("{id}: secret_transform {transform:?} does not pass one field through as the token")),
            Some(f) if f["input_type"].as_str() != Some("password") => {
                errs.push(format!("{id}: the token field {:?} is not a password field", f["id"]))
            }
            Some(_) => {}
        }
        for f in fields.iter().filter(|f| f["input_type"].as_str() != Some("password")) {
            let fid = f["id"].as_str().unwrap_or("?");
            if ["token", "key", "secret", "password"].iter().any(|s| fid.to_ascii_lowercase().contains(s)) {
                errs.push(format!("{id}: field {fid} looks secret but is not a password field"));
            }
        }
    }
    errs.extend(check_imports(&m, &functions, &keyrings));
    errs
}

/// A multi-field keyring without `secret_transform` (DevRev: "fields will be included in the
/// final JSON secret"): the OAuth service app's form. Its verification cannot sign a request, so
/// it may only check the org (the authorization server's metadata, no credential sent); every
/// secret-looking field is a password field; the fields the worker reads are there.
fn check_multi_field(id: &str, cfg: &Value, url: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if url != "https://[SUBDOMAIN].okta.com/.well-known/oauth-authorization-server" {
        errs.push(format!("{id}: a multi-field keyring's verification URL {url:?} is not the org's OAuth metadata"));
    }
    if !cfg["token_verification"]["headers"]["Authorization"].is_null() {
        errs.push(format!("{id}: the OAuth metadata is public; the verification must send no Authorization"));
    }
    let fields: Vec<&Value> = cfg["fields"].as_sequence().into_iter().flatten().collect();
    for want in ["client_id", "private_key", "kid", "scopes"] {
        if !fields.iter().any(|f| f["id"].as_str() == Some(want)) {
            errs.push(format!("{id}: no field {want}"));
        }
    }
    for f in &fields {
        let fid = f["id"].as_str().unwrap_or("?");
        let secret = ["token", "private", "secret", "password"].iter().any(|s| fid.to_ascii_lowercase().contains(s));
        if secret && f["input_type"].as_str() != Some("password") {
            errs.push(format!("{id}: field {fid} looks secret but is not a password field"));
        }
    }
    errs
}

fn check_imports(m: &Value, functions: &BTreeSet<&str>, keyrings: &BTreeSet<&str>) -> Vec<String> {
    let mut errs = Vec::new();
    for input in m["inputs"]["organization"].as_sequence().into_iter().flatten() {
        let name = input["name"].as_str().unwrap_or("?");
        let ty = input["field_type"].as_str().unwrap_or("");
        if !INPUT_TYPES.contains(&ty) {
            errs.push(format!("input {name}: field_type {ty:?} is not an input type DevRev documents"));
        }
        let default_fits = match (&input["default_value"], ty) {
            (Value::Null, _) => true,
            (Value::Number(n), "int") => n.is_i64() || n.is_u64(),
            (_, "int") => false,
            _ => true,
        };
        if !default_fits {
            errs.push(format!("input {name}: the default value {:?} is not an int", input["default_value"]));
        }
    }
    let imports = m["imports"].as_sequence().cloned().unwrap_or_default();
    if imports.is_empty() {
        errs.push("no imports".to_string());
    }
    for imp in &imports {
        let slug = imp["slug"].as_str().unwrap_or("?");
        for key in ["extractor_function", "loader_function"] {
            match &imp[key] {
                Value::Null if key == "loader_function" => {}
                Value::String(f) if functions.contains(f.as_str()) => {}
                other => errs.push(format!("import {slug}: {key} {other:?} is not a declared function")),
            }
        }
        for c in imp["capabilities"].as_sequence().into_iter().flatten() {
            if !c.as_str().is_some_and(|c| IMPORT_CAPABILITIES.contains(&c)) {
                errs.push(format!("import {slug}: capability {c:?} is not one DevRev documents ({IMPORT_CAPABILITIES:?})"));
            }
        }
        let allowed = imp["allowed_connection_types"].as_sequence().cloned().unwrap_or_default();
        if allowed.is_empty() {
            errs.push(format!("import {slug}: no allowed_connection_types"));
        }
        for c in allowed {
            if !c.as_str().is_some_and(|c| keyrings.contains(c)) {
                errs.push(format!("import {slug}: connection type {c:?} is not a declared keyring type"));
            }
        }
    }
    errs
}
