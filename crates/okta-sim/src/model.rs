//! The simulator's own model of an Okta org (it shares no types with the `okta` client, so
//! wire mismatches surface instead of cancelling out).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use crate::posture::*;

/// A timestamp in Okta's format (milliseconds, `Z`).
pub fn okta_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A user.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct User {
    pub id: String,
    pub status: String,
    pub created: DateTime<Utc>,
    pub activated: Option<DateTime<Utc>>,
    pub status_changed: DateTime<Utc>,
    pub last_login: Option<DateTime<Utc>>,
    pub last_updated: DateTime<Utc>,
    pub password_changed: Option<DateTime<Utc>>,
    pub login: String,
    pub first_name: String,
    pub last_name: String,
    pub title: Option<String>,
    pub department: Option<String>,
    pub mobile_phone: Option<String>,
    pub manager_id: Option<String>,
    pub employee_number: String,
    /// The primary email when it differs from the login (`None`: the login is the email).
    pub email: Option<String>,
    /// Index into `Org::user_types`.
    pub type_index: usize,
    /// Who masters the user's credentials (`credentials.provider`).
    pub provider: Provider,
    /// The recovery question's text (served; its answer never exists here).
    pub recovery_question: Option<String>,
    /// Custom attributes by name.
    pub custom: BTreeMap<String, serde_json::Value>,
    /// Deleted (kept so that indexes stay valid; invisible to the API).
    pub deleted: bool,
}

/// Where a user's credentials are mastered (`credentials.provider`).
#[derive(Debug, Clone, Serialize)]
pub struct Provider {
    /// OKTA, ACTIVE_DIRECTORY, LDAP, FEDERATION or SOCIAL.
    pub kind: String,
    /// The directory or IdP's name (`OKTA` for Okta).
    pub name: String,
}

impl Provider {
    /// Okta-mastered.
    pub fn okta() -> Self {
        Provider { kind: "OKTA".into(), name: "OKTA".into() }
    }

    /// Whether Okta holds a password for such a user (not for federated and social users).
    pub fn has_password(&self) -> bool {
        !matches!(self.kind.as_str(), "FEDERATION" | "SOCIAL")
    }
}

/// A user type, its schema id and its custom attributes.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct UserType {
    pub id: String,
    /// The id in `/api/v1/meta/schemas/user/{schemaId}` (`osc...`).
    pub schema_id: String,
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub default: bool,
    pub created: DateTime<Utc>,
    /// Custom attributes: name and JSON Schema property, in schema order.
    pub attributes: Vec<(String, serde_json::Value)>,
}

/// A group.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Group {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub description: Option<String>,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub last_membership_updated: DateTime<Utc>,
    /// Indexes into `Org::users`.
    pub members: Vec<u32>,
    pub admin: bool,
    pub source_app: Option<String>,
    /// Deleted (kept so that indexes stay valid; invisible to the API).
    pub deleted: bool,
}

/// An application.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct App {
    pub id: String,
    pub name: String,
    pub label: String,
    pub status: String,
    pub sign_on_mode: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    /// The seeded secret of this app (client secret, SWA password).
    pub secret: String,
    /// A secret-like value under settings.app.
    pub settings_token: String,
    pub users: Vec<AppUser>,
    pub groups: Vec<AppGroup>,
    /// Deleted (kept so that indexes stay valid; invisible to the API).
    pub deleted: bool,
}

/// A user assigned to an app.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct AppUser {
    pub user: u32,
    pub scope: String,
    pub status: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub security_answer: String,
    /// The assignment's app profile `role` (what `application.user_membership.update` changes).
    pub role: String,
}

/// A group assigned to an app.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct AppGroup {
    pub group: u32,
    pub priority: i64,
    pub last_updated: DateTime<Utc>,
}

/// A custom IAM role.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct CustomRole {
    pub id: String,
    pub label: String,
    pub description: String,
    pub created: DateTime<Utc>,
}

/// A role assignment (to a user or a group).
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct RoleAssignment {
    pub id: String,
    /// Standard role type or `CUSTOM`.
    pub kind: String,
    /// The custom role id when `kind == "CUSTOM"`.
    pub role: Option<String>,
    pub label: String,
    pub created: DateTime<Utc>,
    /// Group targets (indexes into `Org::groups`); empty means org-wide.
    pub group_targets: Vec<u32>,
    /// App targets; empty means all apps.
    pub app_targets: Vec<AppTarget>,
}

/// Role types that can be limited to groups (Okta's Role Targets API).
pub const GROUP_TARGET_ROLES: &[&str] = &["USER_ADMIN", "HELP_DESK_ADMIN", "GROUP_MEMBERSHIP_ADMIN"];
/// Role types that can be limited to apps.
pub const APP_TARGET_ROLES: &[&str] = &["APP_ADMIN"];

/// An app target of an APP_ADMIN assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AppTarget {
    /// One app instance (index into `Org::apps`).
    Instance(u32),
    /// Every instance of an OIN catalog app, by its key name.
    Catalog(String),
}

/// A policy rule.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub priority: i64,
    pub created: DateTime<Utc>,
}

/// A policy.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Policy {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub description: Option<String>,
    pub priority: i64,
    pub system: bool,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub rules: Vec<Rule>,
}

/// A device.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Device {
    pub id: String,
    pub status: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub name: String,
    pub platform: String,
    pub serial: String,
    pub users: Vec<u32>,
    /// Per user (same order as `users`): management status and screen lock type.
    pub posture: Vec<(String, String)>,
}

/// A factor.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Factor {
    pub id: String,
    pub factor_type: String,
    pub provider: String,
    pub status: String,
    pub created: DateTime<Utc>,
    pub phone: Option<String>,
    /// The activation shared secret of a pending TOTP.
    pub shared_secret: Option<String>,
}

/// An Identity Engine authenticator enrollment.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Enrollment {
    pub id: String,
    /// email, password, phone, app, security_key.
    pub kind: String,
    /// okta_email, okta_password, phone_number, okta_verify, google_otp, webauthn.
    pub key: String,
    pub name: String,
    pub status: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    /// The email address or phone number the enrollment is for.
    pub identifier: Option<String>,
    pub nickname: Option<String>,
}

/// A rule of an authorization server policy.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct AuthServerRule {
    pub id: String,
    pub name: String,
    pub priority: i64,
    pub status: String,
    pub created: DateTime<Utc>,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub access_token_minutes: i64,
}

/// A policy of an authorization server.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct AuthServerPolicy {
    pub id: String,
    pub name: String,
    pub description: String,
    pub priority: i64,
    pub status: String,
    pub system: bool,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    /// `ALL_CLIENTS` or app ids.
    pub clients: Vec<String>,
    pub rules: Vec<AuthServerRule>,
}

/// An authorization server (the default one or a custom one).
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct AuthServer {
    pub id: String,
    pub name: String,
    pub description: String,
    pub audiences: Vec<String>,
    pub status: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub kid: String,
    pub policies: Vec<AuthServerPolicy>,
    /// Deleted (kept so that indexes stay valid; invisible to the API).
    pub deleted: bool,
}

/// What a System Log event names as its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LogTarget {
    /// A user (index into `Org::users`).
    User(u32),
    /// A group (index into `Org::groups`).
    Group(u32),
    /// An app (index into `Org::apps`).
    App(u32),
    /// A device (index into `Org::devices`).
    Device(u32),
    /// An app assignment (`AppUser`): the app and the user (indexes into `Org::apps` and
    /// `Org::users`).
    AppUser {
        /// The app.
        app: u32,
        /// The user.
        user: u32,
    },
    /// An authorization server (index into `Org::auth_servers`).
    AuthServer(u32),
    /// An org-level MFA factor type (`sms`, `push`, ...).
    FactorType(&'static str),
    /// A policy (index into `Org::policies`).
    Policy(u32),
    /// A group rule (index into `Posture::group_rules`).
    GroupRule(u32),
    /// An authenticator (index into `Posture::authenticators`).
    Authenticator(u32),
    /// A network zone (index into `Posture::zones`).
    Zone(u32),
    /// An identity provider (index into `Posture::idps`).
    Idp(u32),
    /// A trusted origin (index into `Posture::trusted_origins`).
    TrustedOrigin(u32),
}

/// A System Log event.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct LogEvent {
    pub uuid: String,
    /// When the event happened.
    pub published: DateTime<Utc>,
    /// When it became visible to queries (`published` unless the log lags).
    pub persisted: DateTime<Utc>,
    pub event_type: String,
    pub severity: String,
    /// The acting user (index into `Org::users`).
    pub actor: u32,
    pub targets: Vec<LogTarget>,
    pub ip: String,
    /// Extra `debugContext.debugData` entries.
    pub debug: Vec<(String, String)>,
    /// A sign-in's client (device, zone) and outcome (`None`: a SUCCESS with Okta's default
    /// client, `device` "Unknown" and no zone).
    pub client: Option<SignInClient>,
}

/// A whole org.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Org {
    pub anchor: DateTime<Utc>,
    pub org_id: String,
    pub subdomain: String,
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub apps: Vec<App>,
    pub custom_roles: Vec<CustomRole>,
    /// Direct assignments per user index.
    pub user_roles: BTreeMap<u32, Vec<RoleAssignment>>,
    /// Assignments per group index.
    pub group_roles: BTreeMap<u32, Vec<RoleAssignment>>,
    pub policies: Vec<Policy>,
    pub devices: Vec<Device>,
    /// Factors per user index.
    pub factors: BTreeMap<u32, Vec<Factor>>,
    /// User types, the default one first.
    pub user_types: Vec<UserType>,
    /// Authorization servers, in id order.
    pub auth_servers: Vec<AuthServer>,
    /// Authenticator enrollments per user index.
    pub enrollments: BTreeMap<u32, Vec<Enrollment>>,
    /// Sorted by `published`.
    pub logs: Vec<LogEvent>,
    /// Group rules, authenticators, network zones, identity providers, trusted origins.
    pub posture: Posture,
    /// The token owner (a super admin).
    pub admin_user: u32,
    /// How many mutations were applied.
    pub mutations: u64,
    /// What was deleted or removed since generation, per record type (ids as in the truth).
    pub removed: BTreeMap<String, Vec<String>>,
    /// Factor types an admin disabled org-wide (`system.mfa.factor.deactivate`): users' factors
    /// of these types are not listed by `/factors` (nor in the truth) until enabled again.
    pub disabled_factor_types: std::collections::BTreeSet<String>,
    /// System Log cursors carry the epoch they were issued in; one from an older epoch is
    /// refused with a 400 (see [`crate::mutate::Mutation::refuse_log_cursors`]).
    pub log_cursor_epoch: u32,
    /// Whether the side effects of a lifecycle change (deactivation, deletion, reactivation)
    /// are also logged per edge, a little after the lifecycle event (Okta does not document it).
    pub log_side_effect_edges: bool,
    /// Each user's rendered JSON (with and without `credentials`), filled on first use and
    /// reset when the user changes.
    #[serde(skip)]
    pub user_json: Vec<[std::sync::OnceLock<String>; 2]>,
}
