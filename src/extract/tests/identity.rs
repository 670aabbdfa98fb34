//! Users, groups, members, roles and role members from Okta JSON.

use crate::extract::groups::*;
use crate::extract::roles::*;
use crate::extract::schema::{CustomAttr, CustomKind};
use crate::extract::users::*;
use crate::extract::*;
use serde_json::json;

fn links() -> AdminLinks {
    AdminLinks::from_base(&url::Url::parse("https://acme.okta.com").unwrap())
}

#[test]
fn a_user_keeps_profile_and_typed_custom_fields_but_no_credentials() {
    let u = json!({"id": "00u1", "status": "ACTIVE", "created": "2024-01-01T00:00:00.000Z",
        "lastUpdated": "2024-02-01T00:00:00.000Z", "credentials": {"password": {"value": "pw"}},
        "profile": {"login": "a@x", "email": "a@x", "firstName": "Ada", "lastName": "L", "managerId": "00u2",
                    "badge": [1, 2], "secretThing": "S"}});
    let custom = vec![CustomAttr { okta_name: "badge".into(), field: "badge".into(), kind: CustomKind::JsonText, title: "Badge".into() }];
    let r = user_with(&u, &custom, &links()).unwrap();
    assert_eq!(r["data"]["display_name"], "Ada L");
    assert_eq!(r["data"]["manager_id"], "00u2");
    assert_eq!(r["data"]["badge"], "[1,2]");
    assert_eq!(r["data"]["item_url_field"], "https://acme-admin.okta.com/admin/user/profile/view/00u1");
    assert!(!r.to_string().contains("pw") && !r.to_string().contains("\"S\""));
}

#[test]
fn a_group_without_description_gets_one() {
    let g = json!({"id": "00g1", "type": "OKTA_GROUP", "created": "2024-01-01T00:00:00.000Z",
        "lastUpdated": "2024-01-01T00:00:00.000Z", "profile": {"name": "Engineering"},
        "_embedded": {"stats": {"usersCount": 3, "hasAdminPrivilege": true}}});
    let r = group(&g, &links()).unwrap();
    assert_eq!(r["data"]["description"], "Engineering: Okta group of type OKTA_GROUP");
    assert_eq!(r["data"]["has_admin_privileges"], true);
}

#[test]
fn standard_roles_get_a_generated_description() {
    let a = json!({"id": "ra1", "type": "SUPER_ADMIN", "created": "2024-01-01T00:00:00.000Z", "lastUpdated": "2024-01-01T00:00:00.000Z"});
    let r = standard_role(&a, &links()).unwrap();
    assert_eq!(r["id"], "SUPER_ADMIN");
    assert_eq!(r["data"]["description"], "SUPER_ADMIN IAM role: Super Administrator with administrative access");
    let m = role_member(&a, "00u1", "USER", &links()).unwrap();
    assert_eq!(m["id"], "ra1:00u1");
    assert_eq!(m["data"]["role_id"], "SUPER_ADMIN");
}

#[test]
fn every_identity_record_has_a_readable_title() {
    let day = "2024-01-01T00:00:00.000Z";
    let u = json!({"id": "00u1", "status": "ACTIVE", "created": day, "lastUpdated": day,
        "profile": {"login": "ada@acme.com", "firstName": "Ada", "lastName": "Lovelace"}});
    assert_eq!(user_with(&u, &[], &links()).unwrap()["data"]["record_title"], "Ada Lovelace (ada@acme.com)");
    let bare = json!({"id": "00u2", "status": "ACTIVE", "created": day, "profile": {"login": "bob@acme.com"}});
    assert_eq!(user_with(&bare, &[], &links()).unwrap()["data"]["record_title"], "bob@acme.com");
    let g = json!({"id": "00g1", "type": "OKTA_GROUP", "created": day, "lastUpdated": day, "profile": {"name": "Engineering"}});
    assert_eq!(group(&g, &links()).unwrap()["data"]["record_title"], "Engineering");
    let member = json!({"id": "00u1", "profile": {"login": "ada@acme.com"}});
    assert_eq!(group_member(&g, &member, &links()).unwrap()["data"]["record_title"], "Engineering ← ada@acme.com");
    assert_eq!(group_member(&g, &json!({"id": "00u1"}), &links()).unwrap()["data"]["record_title"], "Engineering ← 00u1");
    let a = json!({"id": "ra1", "type": "SUPER_ADMIN", "created": day, "lastUpdated": day});
    assert_eq!(standard_role(&a, &links()).unwrap()["data"]["record_title"], "Super Administrator");
    assert_eq!(role_member_of(&a, &member, "USER", &links()).unwrap()["data"]["record_title"], "SUPER_ADMIN → ada@acme.com");
    assert_eq!(role_member(&a, "00u1", "USER", &links()).unwrap()["data"]["record_title"], "SUPER_ADMIN → 00u1");
    let c = json!({"id": "ra2", "type": "CUSTOM", "role": "cr0", "label": "Auditor", "created": day});
    assert_eq!(role_member_of(&c, &g, "GROUP", &links()).unwrap()["data"]["record_title"], "Auditor → Engineering");
    assert_eq!(
        custom_role(&json!({"id": "cr0", "label": "Auditor", "created": day}), &links()).unwrap()["data"]["record_title"],
        "Auditor"
    );
}
