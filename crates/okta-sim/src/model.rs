//! The simulator's own model of an Okta org (it shares no types with the `okta` client, so
//! wire mismatches surface instead of cancelling out).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

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
    /// Custom attributes by name.
    pub custom: BTreeMap<String, serde_json::Value>,
    /// Deleted (kept so that indexes stay valid; invisible to the API).
    pub deleted: bool,
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
    /// Sorted by `published`.
    pub logs: Vec<LogEvent>,
    /// The token owner (a super admin).
    pub admin_user: u32,
    /// How many mutations were applied.
    pub mutations: u64,
    /// What was deleted or removed since generation, per record type (ids as in the truth).
    pub removed: BTreeMap<String, Vec<String>>,
    /// Each user's rendered JSON, filled on first use and reset when the user changes.
    #[serde(skip)]
    pub user_json: Vec<std::sync::OnceLock<String>>,
}
