//! Identity Engine authenticator enrollments: `GET /api/v1/users/{userId}/authenticator-enrollments`
//! (spec `listAuthenticatorEnrollments`, LIMITED_GA, SKU "Okta Identity Engine"). The spec types
//! the 200 answer as one `AuthenticatorEnrollment`, yet its example is a list; the simulator
//! serves the list. Phone numbers come masked (`+1 XXX-XXX-6065`, as in the spec's example)
//! unless `discloseIdentifiers=phone` is asked. Not paged: every enrollment in one answer.

use serde_json::{json, Value};

use super::api::{Answer, ApiError, ApiRequest};
use super::model::{okta_time, Enrollment, Org, User};

/// Masks a phone number but its last four digits.
pub fn mask_phone(p: &str) -> String {
    let digits: String = p.chars().filter(char::is_ascii_digit).collect();
    let last4 = &digits[digits.len().saturating_sub(4)..];
    format!("+1 XXX-XXX-{last4}")
}

/// Renders an enrollment of `u`.
pub fn enrollment(u: &User, e: &Enrollment, base: &str, disclose_phone: bool) -> Value {
    let me = format!("{base}/api/v1/users/{}/authenticator-enrollments/{}", u.id, e.id);
    let mut v = json!({
        "type": e.kind, "id": e.id, "key": e.key, "status": e.status, "name": e.name,
        "nickname": e.nickname, "created": okta_time(&e.created), "lastUpdated": okta_time(&e.last_updated),
        "_links": {"self": {"href": me, "hints": {"allow": ["GET", "DELETE"]}},
                   "user": {"href": format!("{base}/api/v1/users/{}", u.id), "hints": {"allow": ["GET"]}},
                   "authenticator": {"href": format!("{base}/api/v1/authenticators/aut{}", e.key), "hints": {"allow": ["GET"]}}}
    });
    match (e.kind.as_str(), &e.identifier) {
        ("phone", Some(p)) => v["profile"] = json!({"phoneNumber": if disclose_phone { p.clone() } else { mask_phone(p) }}),
        ("email", Some(m)) => v["profile"] = json!({"email": m}),
        _ => {}
    }
    v
}

/// The enrollments of user `ui`.
pub fn list(org: &Org, ui: usize, r: &ApiRequest) -> Result<Answer, ApiError> {
    let disclose = r.query.iter().any(|(k, v)| k == "discloseIdentifiers" && v.split(',').any(|x| x.trim() == "phone"));
    let u = &org.users[ui];
    let items: Vec<Value> = org.enrollments.get(&(ui as u32)).into_iter().flatten().map(|e| enrollment(u, e, r.base, disclose)).collect();
    Ok(Answer { raw: None, body: Value::Array(items), next_after: None })
}
