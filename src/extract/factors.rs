//! A user's MFA factors and Identity Engine authenticator enrollments (phone numbers masked).

use serde_json::{Map, Value};

use super::secrets::mask_phone;
use super::{put, put_title, record, s, ts, AdminLinks, ItemType};

/// A factor enrolment. Activation data, shared secrets and QR codes are never read; phone
/// numbers keep only their last four digits.
pub fn factor(user_id: &str, f: &Value, links: &AdminLinks) -> Option<Value> {
    let fid = s(f, "/id")?;
    let mut d = Map::new();
    d.insert("user_id".into(), user_id.into());
    let kind = s(f, "/factorType").unwrap_or_else(|| fid.clone());
    put_title(&mut d, [Some(s(f, "/provider").map_or_else(|| kind.clone(), |p| format!("{kind} ({p})")))]);
    // `factor_type` is required: a factor without one is malformed and skipped.
    d.insert("factor_type".into(), s(f, "/factorType")?.into());
    put(&mut d, "provider", s(f, "/provider"));
    put(&mut d, "vendor_name", s(f, "/vendorName"));
    put(&mut d, "status", s(f, "/status"));
    put(&mut d, "phone_number_masked", s(f, "/profile/phoneNumber").map(|p| mask_phone(&p)));
    put(&mut d, "device_type", s(f, "/profile/deviceType"));
    put(&mut d, "platform", s(f, "/profile/platform"));
    d.insert("item_url_field".into(), links.link(&format!("/admin/user/profile/view/{user_id}#tab-account")).into());
    record(&ItemType::edge_id(user_id, &fid), ts(f.get("created")), ts(f.get("lastUpdated")), d)
}

// ------------------------------------------------------- authenticator enrollments
/// An authenticator enrollment of `user` (the user JSON, or just `{"id": …}`), id
/// `userId:enrollmentId`, titled "Phone (Work phone) of ada@acme.com". Only named fields are
/// read: phone numbers keep their last four digits (Okta already masks them), and nothing
/// else of the profile (a security question, say) is taken.
pub fn authenticator_enrollment(user: &Value, e: &Value, links: &AdminLinks) -> Option<Value> {
    let uid = s(user, "/id")?;
    let eid = s(e, "/id")?;
    let kind = s(e, "/type")?;
    let mut d = Map::new();
    let label = s(e, "/name").unwrap_or_else(|| kind.clone());
    let label = match s(e, "/nickname") {
        Some(n) => format!("{label} ({n})"),
        None => label,
    };
    let who = s(user, "/profile/login").unwrap_or_else(|| uid.clone());
    put_title(&mut d, [Some(format!("{label} of {who}"))]);
    d.insert("user_id".into(), uid.clone().into());
    d.insert("enrollment_type".into(), kind.into());
    put(&mut d, "authenticator_key", s(e, "/key"));
    put(&mut d, "name", s(e, "/name"));
    put(&mut d, "nickname", s(e, "/nickname"));
    put(&mut d, "status", s(e, "/status"));
    // Okta masks as "+1 XXX-XXX-6065": the X's count as hidden digits.
    put(&mut d, "phone_number_masked", s(e, "/profile/phoneNumber").map(|p| mask_phone(&p.replace(['X', 'x'], "0"))));
    put(&mut d, "email", s(e, "/profile/email"));
    d.insert("item_url_field".into(), links.link(&format!("/admin/user/profile/view/{uid}#tab-account")).into());
    record(&ItemType::edge_id(&uid, &eid), ts(e.get("created")), ts(e.get("lastUpdated")), d)
}
