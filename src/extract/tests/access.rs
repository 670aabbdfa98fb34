//! Applications, assignments, policies, devices and factors from Okta JSON.

use crate::extract::apps::*;
use crate::extract::devices::*;
use crate::extract::factors::*;
use crate::extract::policies::*;
use crate::extract::*;
use serde_json::json;

fn links() -> AdminLinks {
    AdminLinks::from_base(&url::Url::parse("https://acme.okta.com").unwrap())
}

#[test]
fn a_pending_totp_factor_loses_its_activation_secret() {
    let f = json!({"id": "uft1", "factorType": "token:software:totp", "provider": "GOOGLE", "status": "PENDING_ACTIVATION",
        "created": "2024-01-01T00:00:00.000Z", "lastUpdated": "2024-01-01T00:00:00.000Z",
        "profile": {"phoneNumber": "+1 555 555 0123"},
        "_embedded": {"activation": {"sharedSecret": "JBSWY3DPEHPK3PXP", "_links": {"qrcode": {"href": "https://qr"}}}}});
    let r = factor("00u1", &f, &links()).unwrap();
    let text = r.to_string();
    assert!(!text.contains("JBSWY3DPEHPK3PXP") && !text.contains("qr"));
    assert_eq!(r["data"]["phone_number_masked"], "*******0123");
    assert_eq!(r["id"], "00u1:uft1");
}

#[test]
fn an_oidc_app_loses_its_client_secret() {
    let a = json!({"id": "0oa1", "name": "oidc_client", "label": "Portal", "status": "ACTIVE", "signOnMode": "OPENID_CONNECT",
        "created": "2024-01-01T00:00:00.000Z", "lastUpdated": "2024-01-01T00:00:00.000Z",
        "credentials": {"oauthClient": {"client_id": "0oa1", "client_secret": "TOPSECRET"}},
        "settings": {"app": {"clientSecretValue": "ALSOSECRET"}}});
    let r = application(&a, &links()).unwrap();
    assert!(!r.to_string().contains("TOPSECRET") && !r.to_string().contains("ALSOSECRET"));
    assert_eq!(r["data"]["sign_on_mode"], "OPENID_CONNECT");
}

#[test]
fn every_access_record_has_a_readable_title() {
    let day = "2024-01-01T00:00:00.000Z";
    let app = json!({"id": "0oa1", "name": "oidc_client", "label": "Portal", "created": day});
    assert_eq!(application(&app, &links()).unwrap()["data"]["record_title"], "Portal");
    let au = json!({"id": "00u1", "created": day, "credentials": {"userName": "ada@acme.com"}});
    assert_eq!(app_user_for(&app, &au, &links()).unwrap()["data"]["record_title"], "Portal ← ada@acme.com");
    assert_eq!(app_user("0oa1", &json!({"id": "00u1", "created": day}), &links()).unwrap()["data"]["record_title"], "0oa1 ← 00u1");
    let ag = json!({"id": "00g1", "lastUpdated": day, "_embedded": {"group": {"profile": {"name": "Engineering"}}}});
    assert_eq!(app_group_for(&app, &ag, &links()).unwrap()["data"]["record_title"], "Portal ← Engineering");
    let p = json!({"id": "00p1", "name": "Default Policy", "type": "PASSWORD", "created": day});
    assert_eq!(policy(&p, &[], &links()).unwrap()["data"]["record_title"], "Default Policy");
    let dv = json!({"id": "guo1", "created": day, "profile": {"displayName": "Ada's MacBook", "platform": "MACOS"}});
    assert_eq!(device(&dv, |_| true, &links()).unwrap()["data"]["record_title"], "Ada's MacBook");
    let nameless = json!({"id": "guo2", "created": day, "profile": {"manufacturer": "Apple", "model": "iPhone 15"}});
    assert_eq!(device(&nameless, |_| true, &links()).unwrap()["data"]["record_title"], "Apple iPhone 15");
    let f = json!({"id": "uft1", "factorType": "token:software:totp", "provider": "GOOGLE", "created": day});
    assert_eq!(factor("00u1", &f, &links()).unwrap()["data"]["record_title"], "token:software:totp (GOOGLE)");
}
