//! Okta's published per-minute limits of the management API, and which bucket a path is in.
//!
//! Source: developer.okta.com `docs/reference/rl-global-mgmt` (the last published table,
//! summarised from that page; Okta now points to the Admin Console's rate-limit dashboard
//! and calls the figures typical, not contractual). Columns: Integrator Free ("developer"),
//! One App, Enterprise, Workforce Identity.
//!
//! Where sub-resources fall, in the table's own words:
//! - "`/api/v1/groups` except `/api/v1/groups/{id}`": `/groups/{id}/users` and
//!   `/groups/{id}/roles` are in the group-list bucket; only `/groups/{id}` is by id.
//! - "only GET or POST to `/api/v1/users`" and "only GET to `/api/v1/users/{idOrLogin}`":
//!   `/users/{id}/factors` and `/users/{id}/roles` fall to "most other API actions: `/api/v1`".
//! - every `/api/v1/apps/*` path is the apps bucket but `/apps/{id}` itself.
//! - `/api/v1/groups/rules` is in the group-list bucket (a sub-resource, not `/groups/{id}`);
//!   authenticators, zones, identity providers and trusted origins fall to "most other API
//!   actions".
//!
//! Okta enforces each bucket individually; it documents no org-wide limit across them since
//! September 2024 (okta/okta-developer-docs commit b66d97a).

use std::str::FromStr;

/// An org's subscription, which sets its default limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// Integrator Free Plan (formerly Developer Edition).
    Developer,
    /// One App.
    OneApp,
    /// Enterprise.
    Enterprise,
    /// Workforce Identity.
    Workforce,
}

impl FromStr for Tier {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "developer" | "integrator-free" | "free" => Ok(Tier::Developer),
            "one-app" | "oneapp" => Ok(Tier::OneApp),
            "enterprise" => Ok(Tier::Enterprise),
            "workforce" => Ok(Tier::Workforce),
            other => Err(format!("unknown Okta tier {other:?}: expected developer, one-app, enterprise or workforce")),
        }
    }
}

/// A rate-limit bucket of the management API (GET requests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bucket {
    /// `/api/v1/apps` and every `/api/v1/apps/*` path but `/apps/{id}`.
    Apps,
    /// `/api/v1/apps/{id}`.
    AppById,
    /// `/api/v1/groups` and its sub-resources, except `/groups/{id}`.
    Groups,
    /// `/api/v1/groups/{id}`.
    GroupById,
    /// `GET /api/v1/users`.
    Users,
    /// `GET /api/v1/users/{idOrLogin}` (`/users/me` included).
    UserById,
    /// `/api/v1/logs`.
    Logs,
    /// `/api/v1/devices`.
    Devices,
    /// Everything else under `/api/v1`: user sub-resources, roles, policies, org, schemas.
    Other,
}

impl Bucket {
    /// Every bucket.
    pub const ALL: [Bucket; 9] = [
        Bucket::Apps,
        Bucket::AppById,
        Bucket::Groups,
        Bucket::GroupById,
        Bucket::Users,
        Bucket::UserById,
        Bucket::Logs,
        Bucket::Devices,
        Bucket::Other,
    ];

    /// The bucket a request path falls in.
    pub fn of(path: &str) -> Bucket {
        let segs: Vec<&str> = path.trim_start_matches("/api/v1/").split('/').filter(|s| !s.is_empty()).collect();
        match segs.as_slice() {
            ["users"] => Bucket::Users,
            ["users", _] => Bucket::UserById,
            // `/groups/rules` is a sub-resource of the group list, not a group's id.
            ["groups", "rules", ..] => Bucket::Groups,
            ["groups", _] => Bucket::GroupById,
            ["groups", ..] => Bucket::Groups,
            ["apps", _] => Bucket::AppById,
            ["apps", ..] => Bucket::Apps,
            ["logs", ..] => Bucket::Logs,
            ["devices", ..] => Bucket::Devices,
            _ => Bucket::Other,
        }
    }

    /// The bucket's name as Okta's table writes it.
    pub fn name(self) -> &'static str {
        match self {
            Bucket::Apps => "/api/v1/apps*",
            Bucket::AppById => "/api/v1/apps/{id}",
            Bucket::Groups => "/api/v1/groups",
            Bucket::GroupById => "/api/v1/groups/{id}",
            Bucket::Users => "/api/v1/users",
            Bucket::UserById => "/api/v1/users/{idOrLogin}",
            Bucket::Logs => "/api/v1/logs",
            Bucket::Devices => "/api/v1/devices",
            Bucket::Other => "/api/v1",
        }
    }
}

impl Tier {
    /// Every tier, the smallest first.
    pub const ALL: [Tier; 4] = [Tier::Developer, Tier::OneApp, Tier::Enterprise, Tier::Workforce];

    /// The org-wide per-minute limit of a bucket.
    pub fn limit(self, b: Bucket) -> u64 {
        let row: [u64; 4] = match b {
            Bucket::Apps => [20, 100, 100, 100],
            Bucket::AppById => [100, 600, 600, 500],
            Bucket::Groups => [100, 600, 600, 500],
            Bucket::GroupById => [100, 600, 600, 1000],
            Bucket::Users => [100, 600, 600, 600],
            Bucket::UserById => [100, 1000, 1000, 2000],
            Bucket::Logs => [20, 50, 50, 120],
            Bucket::Devices => [100, 150, 150, 100],
            Bucket::Other => [100, 600, 600, 1200],
        };
        // A tier is one of the four columns: the index is always in bounds.
        row.get(self as usize).copied().unwrap_or(row[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_resources_fall_where_okta_s_table_puts_them() {
        assert_eq!(Bucket::of("/api/v1/users"), Bucket::Users);
        assert_eq!(Bucket::of("/api/v1/users/me"), Bucket::UserById);
        assert_eq!(Bucket::of("/api/v1/users/00u1"), Bucket::UserById);
        assert_eq!(Bucket::of("/api/v1/users/00u1/factors"), Bucket::Other);
        assert_eq!(Bucket::of("/api/v1/users/00u1/roles"), Bucket::Other);
        assert_eq!(Bucket::of("/api/v1/groups"), Bucket::Groups);
        assert_eq!(Bucket::of("/api/v1/groups/00g1"), Bucket::GroupById);
        assert_eq!(Bucket::of("/api/v1/groups/00g1/users"), Bucket::Groups);
        assert_eq!(Bucket::of("/api/v1/groups/00g1/roles"), Bucket::Groups);
        assert_eq!(Bucket::of("/api/v1/groups/rules"), Bucket::Groups);
        assert_eq!(Bucket::of("/api/v1/zones"), Bucket::Other);
        assert_eq!(Bucket::of("/api/v1/apps"), Bucket::Apps);
        assert_eq!(Bucket::of("/api/v1/apps/0oa1"), Bucket::AppById);
        assert_eq!(Bucket::of("/api/v1/apps/0oa1/users"), Bucket::Apps);
        assert_eq!(Bucket::of("/api/v1/apps/0oa1/groups"), Bucket::Apps);
        assert_eq!(Bucket::of("/api/v1/logs"), Bucket::Logs);
        assert_eq!(Bucket::of("/api/v1/devices"), Bucket::Devices);
        assert_eq!(Bucket::of("/api/v1/iam/roles"), Bucket::Other);
        assert_eq!(Bucket::of("/api/v1/policies/00p1/rules"), Bucket::Other);
        assert_eq!(Bucket::of("/api/v1/org"), Bucket::Other);
    }

    #[test]
    fn the_table() {
        assert_eq!(Tier::Developer.limit(Bucket::Logs), 20);
        assert_eq!(Tier::Workforce.limit(Bucket::Other), 1200);
        assert_eq!("one-app".parse::<Tier>(), Ok(Tier::OneApp));
        assert!("gold".parse::<Tier>().is_err());
    }
}
