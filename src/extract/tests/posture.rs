//! Group rules, app sign-ins and the sign-in configuration: Okta-shaped JSON (the management
//! OpenAPI document's examples) in, valid records out, no secret out.

use crate::extract::group_rules::group_rule;
use crate::extract::sign_in_config::*;
use crate::extract::sign_ins::SignIn;
use crate::extract::*;
use crate::metadata::{document, validate::check_record};
use serde_json::json;

const DAY: &str = "2024-01-01T00:00:00.000Z";

fn links() -> AdminLinks {
    AdminLinks::from_base(&url::Url::parse("https://acme.okta.com").unwrap())
}

fn valid(item_type: &str, rec: Option<Value>) -> Value {
    let rec = rec.expect("a record");
    let errs = check_record(&document(&[]), item_type, &rec);
    assert!(errs.is_empty(), "{errs:?}\n{rec}");
    rec
}

#[test]
fn the_sign_in_configuration_is_kept_without_its_secrets() {
    let duo = json!({"id": "aut1", "key": "duo", "name": "Duo Security", "type": "app", "status": "ACTIVE", "created": DAY, "lastUpdated": DAY,
        "settings": {}, "provider": {"type": "DUO", "configuration": {"host": "api-1.duosecurity.com", "integrationKey": "DIXXX",
            "secretKey": "DUO-SECRET-KEY", "userNameTemplate": {"template": "oktaId"}}}});
    let a = valid("authenticators", authenticator(&duo, &links()));
    assert_eq!(a["data"]["key"], "duo");
    assert!(a["data"]["provider"].as_str().unwrap().contains("api-1.duosecurity.com"));
    let idp = json!({"id": "0oa9", "name": "Google", "type": "GOOGLE", "status": "ACTIVE", "issuerMode": "ORG_URL", "created": DAY, "lastUpdated": DAY,
        "protocol": {"type": "OIDC", "credentials": {"client": {"client_id": "cid-1", "client_secret": "IDP-CLIENT-SECRET"},
            "signing": {"privateKey": "PRIVATE-KEY-MATERIAL"}}},
        "policy": {"provisioning": {"action": "AUTO"}, "maxClockSkew": 0, "accountLink": {"action": "AUTO"}}});
    let i = valid("identity_providers", identity_provider(&idp, &links()));
    assert_eq!(i["data"]["client_id"], "cid-1");
    assert_eq!(i["data"]["idp_type"], "GOOGLE");
    let zone = json!({"id": "nzo1", "name": "BlockedIpZone", "type": "IP", "status": "ACTIVE", "usage": "BLOCKLIST", "system": true,
        "created": DAY, "lastUpdated": DAY, "gateways": [{"type": "CIDR", "value": "1.2.3.4/24"}], "proxies": null});
    let z = valid("network_zones", network_zone(&zone, &links()));
    assert_eq!(z["data"]["gateways"], json!(["1.2.3.4/24"]));
    let dynamic = json!({"id": "nzo2", "name": "EU", "type": "DYNAMIC", "status": "ACTIVE", "usage": "POLICY", "created": DAY, "lastUpdated": DAY,
        "locations": [{"country": "DE", "region": null}, {"country": "US", "region": "US-CA"}], "asns": ["23457"], "proxyType": "Any"});
    let d = valid("network_zones", network_zone(&dynamic, &links()));
    assert_eq!(d["data"]["locations"], json!(["DE", "US-CA"]));
    let origin = json!({"id": "tos1", "name": "Portal", "origin": "https://portal.example.com", "status": "ACTIVE", "created": DAY, "lastUpdated": DAY,
        "scopes": [{"type": "CORS"}, {"type": "REDIRECT"}]});
    let o = valid("trusted_origins", trusted_origin(&origin, &links()));
    assert_eq!(o["data"]["scopes"], json!(["CORS", "REDIRECT"]));
    let all = [a, i, z, d, o].iter().map(Value::to_string).collect::<String>();
    for secret in ["DUO-SECRET-KEY", "IDP-CLIENT-SECRET", "PRIVATE-KEY-MATERIAL"] {
        assert!(!all.contains(secret), "{secret} leaked");
    }
}

#[test]
fn a_group_rule_and_a_sign_in_are_valid_records() {
    let rule = json!({"id": "0pr1", "name": "Engineers", "status": "INVALID", "created": DAY, "lastUpdated": DAY,
        "conditions": {"expression": {"value": "user.department==\"Eng\"", "type": "urn:okta:expression:1.0"}},
        "actions": {"assignUserToGroups": {"groupIds": ["00g1"]}}});
    valid("group_rules", group_rule(&rule, &links()));
    let e = json!({"uuid": "e1", "published": DAY, "eventType": "user.authentication.sso", "outcome": {"result": "SUCCESS"},
        "actor": {"id": "00u1", "type": "User", "alternateId": "ada@acme.com"}, "client": {"device": "Mobile", "zone": "Office"},
        "target": [{"id": "0oa1", "type": "AppInstance", "displayName": "Portal"}]});
    let r = valid("app_sign_ins", SignIn::of(&e).and_then(|s| s.record(&links())));
    assert_eq!(r["data"]["zone"], "Office");
    assert_eq!(r["data"]["last_sign_in_at"], DAY);
}
