//! The simulator's own rate-limit table, its buckets (60 s windows not aligned to the minute)
//! and its clock.
//!
//! Figures: Okta's last published per-minute management limits (developer.okta.com,
//! `docs/reference/rl-global-mgmt`), columns Integrator Free
//! ("developer"), One App, Enterprise and Workforce Identity. Where sub-resources fall follows
//! that table's own wording: "`/api/v1/groups` except `/api/v1/groups/{id}`" puts
//! `/groups/{id}/users` and `/groups/{id}/roles` in the group-list bucket; "only GET to
//! `/api/v1/users/{idOrLogin}`" leaves `/users/{id}/factors` and `/users/{id}/roles` to the
//! `/api/v1` catch-all; every `/api/v1/apps/*` path except `/apps/{id}` itself is the apps bucket.
//! Okta enforces each bucket individually and documents no org-wide limit across them since
//! September 2024 (okta/okta-developer-docs commit b66d97a); the simulator's cross-bucket
//! limit (`Faults::cumulative_per_min`) is off unless asked for.
//!
//! Per-token share: by default a new API token may use 50 % of each bucket (developer.okta.com
//! `docs/reference/rl2-token-oauth`: "each API token or OAuth 2.0 app can use up to 50% of a
//! bucket's total rate limit"; Okta's support article: the share can be set down to 5 %). The
//! simulator's default is 100 % so that existing runs keep their figures; `--token-share 50`
//! gives Okta's default. Okta does not say which ceiling `X-Rate-Limit-Limit` shows when a
//! token share applies; the simulator shows the org's bucket ([`Verdict::shown`]: `Limit` the
//! org's figure, `Remaining` the org's figure less what this token spent), so a client learns
//! a share lower than it was told only from a 429, as it would against such an org.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// An org's subscription, which sets its rate limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Tier {
    /// Integrator Free Plan (formerly Developer Edition).
    Developer,
    /// One App.
    OneApp,
    /// Enterprise.
    Enterprise,
    /// Workforce Identity (the default).
    #[default]
    Workforce,
}

impl FromStr for Tier {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "developer" | "integrator-free" | "free" => Ok(Tier::Developer),
            "one-app" | "oneapp" => Ok(Tier::OneApp),
            "enterprise" => Ok(Tier::Enterprise),
            "workforce" => Ok(Tier::Workforce),
            other => Err(format!("unknown tier {other:?}: expected developer, one-app, enterprise or workforce")),
        }
    }
}

/// A rate-limit bucket of the management API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// `GET /api/v1/users/{idOrLogin}`.
    UserById,
    /// `/api/v1/logs`.
    Logs,
    /// `/api/v1/devices`.
    Devices,
    /// Everything else under `/api/v1` (user sub-resources, roles, policies, org, schemas).
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

    /// The bucket's name in stats.
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

/// The bucket a path falls in.
pub fn bucket_for(path: &str) -> Bucket {
    let segs: Vec<&str> = path.trim_start_matches("/api/v1/").split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["users"] => Bucket::Users,
        ["users", _] => Bucket::UserById,
        // Group rules are not a group by id: the table's "`/api/v1/groups` except
        // `/api/v1/groups/{id}`" puts them with the group list.
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

impl Tier {
    /// The org-wide per-minute limit of a bucket.
    pub fn limit(self, b: Bucket) -> u64 {
        // Columns: developer, one app, enterprise, workforce.
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
        row[self.column()]
    }

    fn column(self) -> usize {
        match self {
            Tier::Developer => 0,
            Tier::OneApp => 1,
            Tier::Enterprise => 2,
            Tier::Workforce => 3,
        }
    }
}

/// A token's limit in a bucket: its share (percent, 1 to 100) of the org's limit, at least 1.
pub fn token_limit(org_limit: u64, share_pct: u8) -> u64 {
    (org_limit * u64::from(share_pct.clamp(1, 100)) / 100).max(1)
}

/// The floor of a sync's time: the bucket that takes longest at its limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Floor {
    /// Seconds the slowest bucket needs for its calls.
    pub secs: f64,
    /// That bucket.
    pub bucket: Bucket,
    /// Its calls.
    pub calls: u64,
    /// Its calls a minute for the token.
    pub per_min: f64,
}

/// The floor of a sync's time for `calls` per bucket (the truth's `min_api_calls_by_bucket`,
/// by bucket name): the largest over buckets of calls ÷ (the bucket's limit × the token's share,
/// `share_pct` percent), with `limit_of` each bucket's per-minute limit. No connector can read
/// faster; `None` when no calls are named.
pub fn floor(calls: &serde_json::Map<String, serde_json::Value>, limit_of: impl Fn(Bucket) -> u64, share_pct: u8) -> Option<Floor> {
    Bucket::ALL
        .into_iter()
        .filter_map(|b| {
            let n = calls.get(b.name())?.as_u64()?;
            let per_min = limit_of(b) as f64 * f64::from(share_pct.clamp(1, 100)) / 100.0;
            Some(Floor { secs: n as f64 / per_min * 60.0, bucket: b, calls: n, per_min })
        })
        .max_by(|a, b| a.secs.total_cmp(&b.secs))
}

/// A clock that tests can move forward.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// Now, as the simulator sees it.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves the clock forward.
    pub fn advance(&self, secs: i64) {
        self.offset_ms.fetch_add(secs * 1000, Ordering::Relaxed);
    }
}

#[derive(Debug)]
struct Window {
    start: DateTime<Utc>,
    count: u64,
}

/// What a bucket says about one request.
#[derive(Debug, Clone, Copy)]
pub struct Verdict {
    /// The bucket's limit.
    pub limit: u64,
    /// Requests left in the window.
    pub remaining: u64,
    /// Window end, epoch seconds.
    pub reset: i64,
    /// Whether the request is over the limit.
    pub exceeded: bool,
    /// Requests counted in the window, this one included.
    pub count: u64,
}

impl Verdict {
    /// What the headers show for a token limited to this verdict's `limit` in a bucket whose
    /// org-wide limit is `org_limit`: the org's figure, and what it has left.
    pub fn shown(self, org_limit: u64) -> Verdict {
        Verdict { limit: org_limit, remaining: org_limit.saturating_sub(self.count), ..self }
    }
}

/// A window key: one bucket, or the org's cumulative count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counter {
    /// One bucket.
    Bucket(Bucket),
    /// All requests of the org.
    Cumulative,
}

/// All windows.
#[derive(Debug, Default)]
pub struct Buckets {
    windows: Mutex<HashMap<Counter, Window>>,
}

impl Buckets {
    /// Counts a request against `counter` with `limit` per minute.
    pub fn hit(&self, counter: Counter, limit: u64, now: DateTime<Utc>) -> Verdict {
        let Ok(mut w) = self.windows.lock() else {
            return Verdict { limit, remaining: limit, reset: now.timestamp() + 60, exceeded: false, count: 0 };
        };
        let win = w.entry(counter).or_insert(Window { start: now, count: 0 });
        if now >= win.start + Duration::seconds(60) {
            *win = Window { start: now, count: 0 };
        }
        win.count += 1;
        let reset_ms = (win.start + Duration::seconds(60)).timestamp_millis();
        Verdict {
            limit,
            remaining: limit.saturating_sub(win.count),
            reset: (reset_ms + 999) / 1000,
            exceeded: win.count > limit,
            count: win.count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_resources_fall_where_okta_s_table_puts_them() {
        assert_eq!(bucket_for("/api/v1/users"), Bucket::Users);
        assert_eq!(bucket_for("/api/v1/users/me"), Bucket::UserById);
        assert_eq!(bucket_for("/api/v1/users/00u1/factors"), Bucket::Other);
        assert_eq!(bucket_for("/api/v1/users/00u1/roles"), Bucket::Other);
        assert_eq!(bucket_for("/api/v1/groups/00g1"), Bucket::GroupById);
        assert_eq!(bucket_for("/api/v1/groups/00g1/users"), Bucket::Groups);
        assert_eq!(bucket_for("/api/v1/apps/0oa1"), Bucket::AppById);
        assert_eq!(bucket_for("/api/v1/apps/0oa1/users"), Bucket::Apps);
        assert_eq!(bucket_for("/api/v1/iam/roles"), Bucket::Other);
        assert_eq!(bucket_for("/api/v1/groups/rules"), Bucket::Groups);
        assert_eq!(bucket_for("/api/v1/groups/rules/0pr1"), Bucket::Groups);
        for catch_all in
            ["/api/v1/authenticators", "/api/v1/authenticators/aut1", "/api/v1/zones", "/api/v1/idps", "/api/v1/trustedOrigins"]
        {
            assert_eq!(bucket_for(catch_all), Bucket::Other, "{catch_all}");
        }
        assert_eq!(Tier::Developer.limit(Bucket::Logs), 20);
        assert_eq!(Tier::Workforce.limit(Bucket::Other), 1200);
        assert_eq!(token_limit(120, 50), 60);
        assert_eq!(token_limit(20, 30), 6);
        assert_eq!(token_limit(3, 5), 1);
        assert_eq!("one-app".parse::<Tier>(), Ok(Tier::OneApp));
        assert!("gold".parse::<Tier>().is_err());
    }

    #[test]
    fn the_floor_is_the_slowest_bucket_at_the_token_s_share() {
        let calls = serde_json::json!({"/api/v1": 1200, "/api/v1/users": 500, "/api/v1/logs": 50}).as_object().cloned().unwrap_or_default();
        let f = floor(&calls, |b| Tier::Workforce.limit(b), 50).unwrap();
        // 1 200 at 600 a minute: 2 minutes; users 500 at 300: 100 s; logs 50 at 60: 50 s.
        assert_eq!((f.bucket, f.calls, f.secs), (Bucket::Other, 1200, 120.0));
        let f = floor(&calls, |b| if b == Bucket::Logs { 2 } else { 100_000 }, 100).unwrap();
        assert_eq!((f.bucket, f.secs), (Bucket::Logs, 1500.0));
        assert!(floor(&serde_json::Map::new(), |_| 1, 50).is_none());
    }

    #[test]
    fn the_truth_spreads_the_fewest_calls_over_the_buckets_without_losing_one() {
        let sizes = crate::Sizes { users: 3000, groups: 40, apps: 12, devices: 300, log_events: 2000, ..crate::Sizes::default() };
        let now = Utc::now();
        let truth = crate::truth::truth(&crate::gen::generate(7, sizes, now), now, None);
        let by_bucket = truth["min_api_calls_by_bucket"].as_object().cloned().unwrap_or_default();
        let sum: u64 = by_bucket.values().filter_map(serde_json::Value::as_u64).sum();
        assert_eq!(Some(sum), truth["min_api_calls"].as_u64(), "{by_bucket:?}");
        let family = |k: &str| truth["min_api_calls_by_family"][k].as_u64().unwrap_or(0);
        let bucket = |b: Bucket| by_bucket.get(b.name()).and_then(serde_json::Value::as_u64).unwrap_or(0);
        assert_eq!(bucket(Bucket::Users), family("users"));
        assert_eq!(bucket(Bucket::Apps), family("apps"));
        assert!(bucket(Bucket::Groups) > family("groups"), "admin groups' roles count with the group list");
        assert!(bucket(Bucket::Other) >= family("factors") + family("authenticator_enrollments"));
        // The per-user calls set the floor of a Workforce org at Okta's default share.
        let f = floor(&by_bucket, |b| Tier::Workforce.limit(b), 50);
        assert_eq!(f.map(|f| f.bucket), Some(Bucket::Other));
    }
}
