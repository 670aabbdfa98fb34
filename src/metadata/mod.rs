//! The external domain metadata for DevRev, a validator for records against it, and the
//! initial domain mapping. No network: custom user attributes are passed in.

pub mod idm;
pub mod validate;

use serde_json::{json, Map, Value};

use crate::extract::groups::GROUP_TYPES;
use crate::extract::schema::{CustomAttr, CustomKind};
use crate::extract::users::USER_STATUSES;
use crate::extract::TITLE_FIELD;

/// A field declaration shorthand.
enum F {
    Text,
    Int,
    Float,
    Bool,
    Ts,
    Enum(&'static [&'static str]),
    Ref(&'static str),
    TextList,
    RefList(&'static str),
}

fn field(name: &str, f: F, required: bool) -> Value {
    let mut m = Map::new();
    let (ty, extra): (&str, Option<(&str, Value)>) = match f {
        F::Text | F::TextList => ("text", None),
        F::Int => ("int", None),
        F::Float => ("float", None),
        F::Bool => ("bool", None),
        F::Ts => ("timestamp", None),
        F::Enum(vals) => ("enum", Some(("enum", json!({"values": vals.iter().map(|v| json!({"key": v})).collect::<Vec<_>>()})))),
        F::Ref(t) | F::RefList(t) => ("reference", Some(("reference", json!({"refers_to": {format!("#record:{t}"): {}}})))),
    };
    m.insert("type".into(), ty.into());
    m.insert("name".into(), name.into());
    if required {
        m.insert("is_required".into(), true.into());
    }
    m.insert("is_read_only".into(), true.into());
    if matches!(f, F::TextList | F::RefList(_)) {
        m.insert("collection".into(), json!({}));
    }
    if let Some((k, v)) = extra {
        m.insert(k.into(), v);
    }
    Value::Object(m)
}

fn record_type(name: &str, description: &str, fields: Vec<(&str, &str, F, bool)>) -> Value {
    let mut fm = Map::new();
    for (key, label, f, req) in fields {
        fm.insert(key.into(), field(label, f, req));
    }
    let mut title = field("Display title", F::Text, true);
    if let Some(o) = title.as_object_mut() {
        o.insert("description".into(), "A readable name for the record; the DevRev object's title".into());
    }
    fm.insert(TITLE_FIELD.into(), title);
    fm.insert(idm::ITEM_URL_FIELD.into(), field("Link in Okta", F::Text, false));
    // Tombstones: AirSync has no delete verb for extracted records, so a record that is gone
    // from Okta is sent again under its id with one of these set.
    for (key, label, what) in [
        ("deleted", "Deleted in Okta", "True when the object no longer exists in Okta (a tombstone: its other fields may be empty)"),
        ("removed", "Removed in Okta", "True when the relationship no longer holds in Okta (a tombstone: its other fields may be empty)"),
    ] {
        let mut f = field(label, F::Bool, false);
        if let Some(o) = f.as_object_mut() {
            o.insert("description".into(), what.into());
        }
        fm.insert(key.into(), f);
    }
    json!({"name": name, "description": description, "fields": Value::Object(fm)})
}

/// Descriptions of fields whose label alone does not say what they hold: (record type, field,
/// description).
const DESCRIPTIONS: &[(&str, &str, &str)] = &[
    ("users", "user_type", "The profile's userType attribute (free text), not the Okta user type"),
    ("users", "user_type_id", "The id of the user's Okta user type (type.id), which decides its custom attributes"),
    ("users", "user_type_name", "The name of the user's Okta user type (user, partner, ...)"),
    (
        "users",
        "credentials_provider_type",
        "Where the identity is mastered (credentials.provider.type): OKTA, ACTIVE_DIRECTORY, LDAP, FEDERATION, SOCIAL or IMPORT",
    ),
    ("users", "credentials_provider_name", "The provider's name (credentials.provider.name): OKTA, a directory or an identity provider"),
    ("groups", "group_type", "OKTA_GROUP, APP_GROUP (imported from a directory or app) or BUILT_IN"),
    ("groups", "source_app_id", "For an APP_GROUP: the application it is imported from"),
    ("iam_role_members", "scope", "LIMITED when the role is limited to target groups or apps, else ALL (org-wide)"),
    ("iam_role_members", "target_group_ids", "The groups a USER_ADMIN, HELP_DESK_ADMIN or GROUP_MEMBERSHIP_ADMIN role is limited to"),
    (
        "iam_role_members",
        "target_app_ids",
        "The apps an APP_ADMIN role is limited to: app instance ids, or OIN catalog app names for a whole app",
    ),
    ("policies", "authorization_server_id", "For an OAUTH_AUTHORIZATION_POLICY: the custom authorization server it belongs to"),
    ("policies", "authorization_server_name", "For an OAUTH_AUTHORIZATION_POLICY: the authorization server's name"),
    ("devices", "management_statuses", "Per user, in the order of user_ids: MANAGED or NOT_MANAGED (UNKNOWN when Okta gives none)"),
    ("devices", "screen_lock_types", "Per user, in the order of user_ids: NONE, PASSCODE or BIOMETRIC (UNKNOWN when Okta gives none)"),
    ("authenticator_enrollments", "enrollment_type", "The authenticator's type: app, email, phone, password, security_key, ..."),
    ("authenticator_enrollments", "authenticator_key", "The authenticator's key: okta_verify, google_otp, phone_number, okta_email, ..."),
    ("authenticator_enrollments", "phone_number_masked", "A phone authenticator's number, all but the last four digits masked"),
    (
        "app_sign_ins",
        "last_sign_in_at",
        "The latest successful single sign-on to the app that the System Log shows (kept after Okta's 90-day retention)",
    ),
    ("app_sign_ins", "zone", "The network zone the client signed in from, as Okta logged it"),
    ("group_rules", "expression", "The Okta Expression Language condition a user must match"),
    ("group_rules", "excluded_user_ids", "Users the rule never assigns, even when they match"),
    ("network_zones", "usage", "POLICY (used in policies) or BLOCKLIST (requests from it are refused)"),
    ("network_zones", "locations", "Countries or regions (ISO 3166) of a dynamic zone"),
    ("trusted_origins", "scopes", "CORS, REDIRECT or IFRAME_EMBED"),
];

/// Adds [`DESCRIPTIONS`] to the record types' fields.
fn describe(rt: &mut Value) {
    for (t, f, text) in DESCRIPTIONS {
        if let Some(o) = rt.pointer_mut(&format!("/{t}/fields/{f}")).and_then(Value::as_object_mut) {
            o.insert("description".into(), (*text).into());
        }
    }
}

/// The fields the metadata requires of `item_type`'s records (custom attributes are never
/// required), in the document's order.
pub fn required_fields(item_type: crate::extract::ItemType) -> &'static [String] {
    static REQUIRED: std::sync::OnceLock<std::collections::BTreeMap<&'static str, Vec<String>>> = std::sync::OnceLock::new();
    let all = REQUIRED.get_or_init(|| {
        let doc = document(&[]);
        crate::extract::ItemType::ALL
            .into_iter()
            .map(|t| {
                let fields = doc.pointer(&format!("/record_types/{t}/fields")).and_then(Value::as_object);
                let required = fields.into_iter().flatten().filter(|(_, f)| f["is_required"] == true).map(|(k, _)| k.clone());
                (t.as_str(), required.collect())
            })
            .collect()
    });
    all.get(item_type.as_str()).map_or(&[], Vec::as_slice)
}

/// Builds the metadata document; `custom` adds the org's custom user attributes.
pub fn document(custom: &[CustomAttr]) -> Value {
    use F::*;
    let mut users = vec![
        ("login", "Username", Text, true),
        ("email", "Primary email", Text, false),
        ("second_email", "Secondary email", Text, false),
        ("first_name", "First name", Text, false),
        ("last_name", "Last name", Text, false),
        ("middle_name", "Middle name", Text, false),
        ("display_name", "Display name", Text, true),
        ("nick_name", "Nickname", Text, false),
        ("title", "Title", Text, false),
        ("department", "Department", Text, false),
        ("division", "Division", Text, false),
        ("organization", "Organization", Text, false),
        ("cost_center", "Cost center", Text, false),
        ("employee_number", "Employee number", Text, false),
        ("user_type", "User type", Text, false),
        ("manager", "Manager name", Text, false),
        // Okta's `managerId` is free text (an employee number as often as a user id).
        ("manager_id", "Manager id", Text, false),
        ("mobile_phone", "Mobile phone", Text, false),
        ("primary_phone", "Primary phone", Text, false),
        ("city", "City", Text, false),
        ("state", "State", Text, false),
        ("country_code", "Country code", Text, false),
        ("zip_code", "ZIP code", Text, false),
        ("street_address", "Street address", Text, false),
        ("postal_address", "Postal address", Text, false),
        ("locale", "Locale", Text, false),
        ("timezone", "Time zone", Text, false),
        ("preferred_language", "Preferred language", Text, false),
        ("profile_url", "Profile URL", Text, false),
        ("honorific_prefix", "Honorific prefix", Text, false),
        ("honorific_suffix", "Honorific suffix", Text, false),
        ("status", "Status", Enum(USER_STATUSES), true),
        ("transitioning_to_status", "Transitioning to status", Text, false),
        ("activated", "Activated", Ts, false),
        ("status_changed", "Status changed", Ts, false),
        ("last_login", "Last login", Ts, false),
        ("password_changed", "Password changed", Ts, false),
        ("user_type_id", "User type id", Text, false),
        ("user_type_name", "User type name", Text, false),
        ("credentials_provider_type", "Credentials provider type", Text, false),
        ("credentials_provider_name", "Credentials provider", Text, false),
    ];
    let custom_fields: Vec<(String, String, CustomKind)> = custom.iter().map(|c| (c.field.clone(), c.title.clone(), c.kind)).collect();
    let mut users_doc =
        record_type("Users", "People in the Okta org, every status; custom profile attributes included", std::mem::take(&mut users));
    if let Some(fm) = users_doc.get_mut("fields").and_then(Value::as_object_mut) {
        for (key, title, kind) in custom_fields {
            let f = match kind {
                CustomKind::Text | CustomKind::JsonText => F::Text,
                CustomKind::Float => F::Float,
                CustomKind::Int => F::Int,
                CustomKind::Bool => F::Bool,
            };
            let mut v = field(&title, f, false);
            if let Some(o) = v.as_object_mut() {
                o.insert(
                    "description".into(),
                    format!("Okta custom attribute{}", if kind == CustomKind::JsonText { " (array as JSON)" } else { "" }).into(),
                );
            }
            fm.insert(key, v);
        }
    }
    let rt = json!({
        "users": users_doc,
    });
    let mut rt = rt;
    for more in [identity_types(), signal_types()] {
        if let (Some(all), Value::Object(more)) = (rt.as_object_mut(), more) {
            all.extend(more);
        }
    }
    describe(&mut rt);
    json!({"schema_version": "v0.2.0", "record_types": rt})
}

/// The record types of who holds what, beside the users: groups and memberships, roles,
/// apps and assignments, policies, the System Log, devices, factors and enrollments.
fn identity_types() -> Value {
    use F::*;
    json!({
        "groups": record_type("Groups", "Okta groups of every type", vec![
            ("name", "Name", Text, true), ("description", "Description", Text, false), ("group_type", "Type", Enum(GROUP_TYPES), true),
            ("last_membership_updated", "Membership changed", Ts, false), ("users_count", "Members", Int, false),
            ("apps_count", "Applications", Int, false), ("has_admin_privileges", "Has admin roles", Bool, false),
            ("source_app_id", "Source application", Ref("applications"), false)]),
        "group_members": record_type("Group members", "One record per user in a group", vec![
            ("group_id", "Group", Ref("groups"), true), ("user_id", "User", Ref("users"), true)]),
        "iam_roles": record_type("IAM roles", "Custom admin roles and the standard roles assigned in the org", vec![
            ("label", "Label", Text, true), ("description", "Description", Text, false), ("role_kind", "Kind", Enum(&["CUSTOM", "STANDARD"]), true)]),
        "iam_role_members": record_type("IAM role assignments", "One record per role assignment to a user or a group", vec![
            ("role_id", "Role", Ref("iam_roles"), true), ("assignee_type", "Assignee type", Enum(&["USER", "GROUP"]), true),
            ("user_id", "User", Ref("users"), false), ("group_id", "Group", Ref("groups"), false),
            ("assignment_type", "Assignment type", Text, false), ("status", "Status", Text, false), ("label", "Label", Text, false),
            ("resource_set", "Resource set", Text, false), ("scope", "Scope", Enum(&["ALL", "LIMITED"]), false),
            ("target_group_ids", "Target groups", RefList("groups"), false), ("target_app_ids", "Target apps", TextList, false)]),
        "applications": record_type("Applications", "App integrations; settings without secrets", vec![
            ("name", "Name", Text, false), ("label", "Label", Text, true), ("status", "Status", Text, false),
            ("sign_on_mode", "Sign-on mode", Text, false), ("features", "Features", TextList, false),
            ("credentials", "Credentials (no secrets, JSON)", Text, false), ("settings", "Settings (no secrets, JSON)", Text, false),
            ("visibility", "Visibility (JSON)", Text, false)]),
        "app_user_assignments": record_type("App user assignments", "One record per user assigned to an app", vec![
            ("app_id", "Application", Ref("applications"), true), ("user_id", "User", Ref("users"), true),
            ("scope", "Scope", Text, false), ("status", "Status", Text, false), ("sync_state", "Sync state", Text, false),
            ("external_id", "External id", Text, false), ("last_sync", "Last sync", Ts, false), ("status_changed", "Status changed", Ts, false),
            ("profile", "App profile (no secrets, JSON)", Text, false)]),
        "app_group_assignments": record_type("App group assignments", "One record per group assigned to an app", vec![
            ("app_id", "Application", Ref("applications"), true), ("group_id", "Group", Ref("groups"), true),
            ("priority", "Priority", Int, false), ("profile", "App profile (no secrets, JSON)", Text, false)]),
        "policies": record_type("Policies", "Policies of every type the org supports, rules embedded", vec![
            ("name", "Name", Text, true), ("policy_type", "Type", Text, false), ("status", "Status", Text, false),
            ("description", "Description", Text, false), ("priority", "Priority", Int, false), ("system", "System policy", Bool, false),
            ("conditions", "Conditions (JSON)", Text, false), ("settings", "Settings (JSON)", Text, false),
            ("rule_count", "Rules", Int, false), ("rules", "Rules (no secrets, JSON)", Text, false),
            ("authorization_server_id", "Authorization server id", Text, false),
            ("authorization_server_name", "Authorization server", Text, false)]),
        "system_logs": record_type("System log events", "Okta System Log events in the extraction window", vec![
            ("event_type", "Event type", Text, true), ("legacy_event_type", "Legacy event type", Text, false),
            ("display_message", "Message", Text, false), ("severity", "Severity", Text, false), ("published", "Published", Ts, true),
            ("outcome_result", "Outcome", Text, false), ("outcome_reason", "Outcome reason", Text, false),
            ("actor_id", "Actor id", Text, false), ("actor_type", "Actor type", Text, false),
            ("actor_alternate_id", "Actor login", Text, false), ("actor_display_name", "Actor", Text, false),
            ("client_ip", "Client IP", Text, false), ("user_agent", "User agent", Text, false),
            ("transaction_id", "Transaction", Text, false), ("target_ids", "Target ids", TextList, false),
            ("targets", "Targets (JSON)", Text, false)]),
        "devices": record_type("Devices", "Devices registered with Okta", vec![
            ("status", "Status", Text, false), ("display_name", "Name", Text, false), ("platform", "Platform", Text, false),
            ("manufacturer", "Manufacturer", Text, false), ("model", "Model", Text, false), ("os_version", "OS version", Text, false),
            ("serial_number", "Serial number", Text, false), ("disk_encryption_type", "Disk encryption", Text, false),
            ("registered", "Registered", Bool, false), ("secure_hardware_present", "Secure hardware", Bool, false),
            ("resource_type", "Resource type", Text, false), ("user_ids", "Users", RefList("users"), false),
            ("management_statuses", "Management status per user", TextList, false),
            ("screen_lock_types", "Screen lock per user", TextList, false)]),
        "factors": record_type("Factors", "MFA factor enrolments, without secrets", vec![
            ("user_id", "User", Ref("users"), true), ("factor_type", "Factor type", Text, true), ("provider", "Provider", Text, false),
            ("vendor_name", "Vendor", Text, false), ("status", "Status", Text, false),
            ("phone_number_masked", "Phone (last 4 digits)", Text, false), ("device_type", "Device type", Text, false),
            ("platform", "Platform", Text, false)]),
        "authenticator_enrollments": record_type("Authenticator enrollments",
            "Identity Engine authenticator enrollments per user, without secrets", vec![
            ("user_id", "User", Ref("users"), true), ("enrollment_type", "Authenticator type", Text, true),
            ("authenticator_key", "Authenticator key", Text, false), ("name", "Authenticator", Text, false),
            ("nickname", "Nickname", Text, false), ("status", "Status", Text, false),
            ("phone_number_masked", "Phone (last 4 digits)", Text, false), ("email", "Email", Text, false)]),
    })
}

/// The record types an access review reads beside who holds what: app usage from the System
/// Log, group rules and the org's sign-in configuration.
fn signal_types() -> Value {
    use F::*;
    json!({
        "app_sign_ins": record_type("App sign-ins",
            "A user's latest successful sign-in to an app, from the System Log (user.authentication.sso)", vec![
            ("app_id", "Application", Ref("applications"), true), ("user_id", "User", Ref("users"), true),
            ("last_sign_in_at", "Last sign-in", Ts, false), ("device", "Device", Text, false), ("zone", "Network zone", Text, false),
            ("os", "Operating system", Text, false), ("browser", "Browser", Text, false), ("country", "Country", Text, false),
            ("event_id", "System Log event", Text, false)]),
        "group_rules": record_type("Group rules", "Rules that put users in groups by an expression", vec![
            ("name", "Name", Text, true), ("status", "Status", Enum(&["ACTIVE", "INACTIVE", "INVALID"]), true),
            ("expression", "Expression", Text, false), ("expression_type", "Expression type", Text, false),
            ("group_ids", "Assigns to groups", RefList("groups"), false), ("excluded_user_ids", "Excluded users", RefList("users"), false),
            ("excluded_group_ids", "Excluded groups", RefList("groups"), false), ("all_groups_valid", "All groups valid", Bool, false)]),
        "authenticators": record_type("Authenticators", "The authenticators the org offers, settings without secrets", vec![
            ("key", "Key", Text, true), ("name", "Name", Text, true), ("status", "Status", Text, false),
            ("authenticator_type", "Type", Text, false), ("provider_type", "Provider type", Text, false),
            ("settings", "Settings (no secrets, JSON)", Text, false), ("provider", "Provider configuration (no secrets, JSON)", Text, false)]),
        "network_zones": record_type("Network zones", "IP and dynamic network zones, blocklists included", vec![
            ("name", "Name", Text, true), ("zone_type", "Type", Text, true), ("status", "Status", Text, false),
            ("usage", "Usage", Text, false), ("system", "System zone", Bool, false), ("gateways", "Gateway IPs", TextList, false),
            ("proxies", "Proxy IPs", TextList, false), ("locations", "Locations", TextList, false), ("asns", "ASNs", TextList, false),
            ("proxy_type", "Proxy type", Text, false)]),
        "identity_providers": record_type("Identity providers", "External identity providers; no client secrets or key material", vec![
            ("name", "Name", Text, true), ("idp_type", "Type", Text, true), ("status", "Status", Text, false),
            ("protocol_type", "Protocol", Text, false), ("issuer_mode", "Issuer mode", Text, false), ("client_id", "Client id", Text, false),
            ("issuer", "Issuer", Text, false), ("policy", "Policy (no secrets, JSON)", Text, false)]),
        "trusted_origins": record_type("Trusted origins", "Origins trusted for CORS, redirects or embedding", vec![
            ("name", "Name", Text, true), ("origin", "Origin", Text, true), ("status", "Status", Text, false),
            ("scopes", "Trusted for", TextList, false)]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_description_names_a_declared_field() {
        let doc = document(&[]);
        for (t, f, text) in DESCRIPTIONS {
            assert_eq!(doc["record_types"][*t]["fields"][*f]["description"], *text, "{t}.{f} is not declared");
        }
    }
}
