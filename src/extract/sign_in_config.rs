//! The org's sign-in configuration, its security posture: authenticators, network zones,
//! identity providers and trusted origins. Settings are kept as JSON text without secrets (an
//! authenticator's provider keys, an identity provider's client secret and key material).

use serde_json::{Map, Value};

use super::secrets::strip;
use super::{json_text, put, put_title, record, s, ts, AdminLinks};

fn strings(v: &Value, path: &str, field: &str) -> Value {
    let items = v.pointer(path).and_then(Value::as_array).into_iter().flatten();
    Value::Array(
        items.filter_map(|x| if field.is_empty() { x.as_str().map(str::to_string) } else { s(x, field) }).map(Value::from).collect(),
    )
}

fn put_json(d: &mut Map<String, Value>, key: &str, v: Option<&Value>) {
    if let Some(v) = v.filter(|v| !v.is_null()) {
        d.insert(key.into(), json_text(&strip(v)).into());
    }
}

/// The common head of the four: title, the name (required), the status, dates.
fn head(v: &Value, links: &AdminLinks, path: &str) -> Option<(String, Map<String, Value>)> {
    let id = s(v, "/id")?;
    let mut d = Map::new();
    put_title(&mut d, [s(v, "/name"), s(v, "/origin"), Some(id.clone())]);
    d.insert("name".into(), s(v, "/name").unwrap_or_else(|| id.clone()).into());
    put(&mut d, "status", s(v, "/status"));
    d.insert("item_url_field".into(), links.link(path).into());
    Some((id, d))
}

/// An authenticator: its key, type, status, settings and provider (without secrets).
pub fn authenticator(a: &Value, links: &AdminLinks) -> Option<Value> {
    let (id, mut d) = head(a, links, "/admin/access/multifactor")?;
    d.insert("key".into(), s(a, "/key").unwrap_or_else(|| id.clone()).into());
    put(&mut d, "authenticator_type", s(a, "/type"));
    put(&mut d, "provider_type", s(a, "/provider/type"));
    put_json(&mut d, "settings", a.get("settings"));
    put_json(&mut d, "provider", a.pointer("/provider/configuration"));
    record(&id, ts(a.get("created")), ts(a.get("lastUpdated")), d)
}

/// A network zone: its type and usage, and the addresses, places or networks it covers.
pub fn network_zone(z: &Value, links: &AdminLinks) -> Option<Value> {
    let (id, mut d) = head(z, links, "/admin/access/networks")?;
    d.insert("zone_type".into(), s(z, "/type").unwrap_or_else(|| "IP".into()).into());
    put(&mut d, "usage", s(z, "/usage"));
    put(&mut d, "system", z.get("system").and_then(Value::as_bool));
    d.insert("gateways".into(), strings(z, "/gateways", "/value"));
    d.insert("proxies".into(), strings(z, "/proxies", "/value"));
    // Okta writes a region with its country ("US-CA"): the region, else the country.
    let place = |l: &Value| s(l, "/region").or_else(|| s(l, "/country"));
    let locations: Vec<Value> =
        z.get("locations").and_then(Value::as_array).into_iter().flatten().filter_map(place).map(Value::from).collect();
    d.insert("locations".into(), Value::Array(locations));
    d.insert("asns".into(), strings(z, "/asns", ""));
    put(&mut d, "proxy_type", s(z, "/proxyType"));
    record(&id, ts(z.get("created")), ts(z.get("lastUpdated")), d)
}

/// An identity provider: its type, protocol and policy, without client secrets or key
/// material (the client id is kept: it is not a secret).
pub fn identity_provider(i: &Value, links: &AdminLinks) -> Option<Value> {
    let (id, mut d) = head(i, links, &format!("/admin/access/identity-providers/edit/{}", s(i, "/id")?))?;
    d.insert("idp_type".into(), s(i, "/type").unwrap_or_else(|| "UNKNOWN".into()).into());
    put(&mut d, "protocol_type", s(i, "/protocol/type"));
    put(&mut d, "issuer_mode", s(i, "/issuerMode"));
    put(&mut d, "client_id", s(i, "/protocol/credentials/client/client_id"));
    put(&mut d, "issuer", s(i, "/protocol/credentials/trust/issuer"));
    put_json(&mut d, "policy", i.get("policy"));
    record(&id, ts(i.get("created")), ts(i.get("lastUpdated")), d)
}

/// A trusted origin: the origin and what it is trusted for (CORS, redirects, embedding).
pub fn trusted_origin(t: &Value, links: &AdminLinks) -> Option<Value> {
    let (id, mut d) = head(t, links, "/admin/access/api/trusted_origins")?;
    d.insert("origin".into(), s(t, "/origin").unwrap_or_else(|| id.clone()).into());
    d.insert("scopes".into(), strings(t, "/scopes", "/type"));
    record(&id, ts(t.get("created")), ts(t.get("lastUpdated")), d)
}
