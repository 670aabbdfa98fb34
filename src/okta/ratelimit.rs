//! Rate-limit pacing per Okta bucket, from the `X-Rate-Limit-*` headers of every response.
//!
//! By default this client uses at most half of each bucket (Okta's advice for one token). Waits
//! are computed from the response's `Date` header and `X-Rate-Limit-Reset`, never from the
//! local wall clock, and are slept through `tokio::time` so tests can pause the clock.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

/// The bucket (endpoint family) a path belongs to, as in okta-api.md §3.
pub fn bucket_of(path: &str) -> &'static str {
    let segs: Vec<&str> = path.trim_start_matches("/api/v1/").split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["users"] => "users",
        ["users", ..] => "users_id",
        ["groups"] => "groups",
        ["groups", ..] => "groups_id",
        ["apps", _] => "apps_id",
        ["apps", ..] => "apps",
        ["logs", ..] => "logs",
        ["devices", ..] => "devices",
        _ => "default",
    }
}

/// One observation of a bucket's headers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// `X-Rate-Limit-Limit` (0 in the concurrency variant of a 429).
    pub limit: u64,
    /// `X-Rate-Limit-Remaining`.
    pub remaining: u64,
    /// Seconds from the response's `Date` until `X-Rate-Limit-Reset`.
    pub reset_in: Duration,
}

/// Reads the rate-limit headers; `None` when they are absent.
pub fn observe(headers: &HeaderMap) -> Option<Observation> {
    let num = |k: &str| headers.get(k)?.to_str().ok()?.trim().parse::<u64>().ok();
    let limit = num("x-rate-limit-limit")?;
    let remaining = num("x-rate-limit-remaining")?;
    let reset = num("x-rate-limit-reset")?;
    let date = headers
        .get(reqwest::header::DATE)
        .and_then(|d| d.to_str().ok())
        .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
        .map(|d| d.timestamp() as u64)
        .unwrap_or_else(|| chrono::Utc::now().timestamp() as u64);
    Some(Observation { limit, remaining, reset_in: Duration::from_secs(reset.saturating_sub(date)) })
}

#[derive(Debug, Default)]
struct Bucket {
    /// How many more requests this client may start before `reset_at`.
    budget: Option<i64>,
    reset_at: Option<Instant>,
    in_flight: i64,
    allowed: i64,
}

/// Shared pacing state for all buckets.
#[derive(Debug)]
pub struct RateLimiter {
    share: f64,
    buckets: Mutex<HashMap<&'static str, Bucket>>,
}

/// A granted request slot. It counts as in flight until it is dropped, so a request whose
/// future is dropped mid-flight (a cancelled job, a timeout) frees its slot all the same.
#[derive(Debug)]
pub struct Slot<'a> {
    limiter: &'a RateLimiter,
    bucket: &'static str,
    released: bool,
}

impl Slot<'_> {
    /// Records the response's rate-limit headers and releases the slot.
    pub fn observe(mut self, obs: Option<Observation>) {
        self.released = true;
        self.limiter.release(self.bucket, obs);
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if !self.released {
            self.limiter.release(self.bucket, None);
        }
    }
}

impl RateLimiter {
    /// `share` is the fraction of each bucket this client may use (0 < share ≤ 1).
    pub fn new(share: f64) -> Self {
        RateLimiter { share: share.clamp(0.01, 1.0), buckets: Mutex::new(HashMap::new()) }
    }

    /// How long to wait before a request to `bucket` may start (zero when it may start now).
    /// When it returns zero the slot is taken.
    pub fn try_acquire(&self, bucket: &'static str) -> Result<Slot<'_>, Instant> {
        let mut all = self.buckets.lock().expect("rate limiter lock is never poisoned");
        let b = all.entry(bucket).or_default();
        let now = Instant::now();
        if let Some(reset) = b.reset_at {
            if now >= reset {
                // A new window: start optimistic with our whole share; responses refine it.
                b.budget = Some(b.allowed.max(1) - b.in_flight);
                b.reset_at = None;
            }
        }
        match (b.budget, b.reset_at) {
            (Some(n), Some(reset)) if n <= 0 => Err(reset),
            _ => {
                b.budget = b.budget.map(|n| n - 1);
                b.in_flight += 1;
                Ok(Slot { limiter: self, bucket, released: false })
            }
        }
    }

    /// Requests of `bucket` started and not yet answered.
    pub fn in_flight(&self, bucket: &str) -> i64 {
        self.buckets.lock().map(|all| all.get(bucket).map_or(0, |b| b.in_flight)).unwrap_or(0)
    }

    /// Records a response's headers (if any) and releases one in-flight request.
    fn release(&self, bucket: &'static str, obs: Option<Observation>) {
        let Ok(mut all) = self.buckets.lock() else { return };
        let b = all.entry(bucket).or_default();
        b.in_flight -= 1;
        let Some(o) = obs else { return };
        if o.limit == 0 {
            return; // the concurrency variant says nothing about the per-minute bucket
        }
        b.allowed = ((o.limit as f64) * self.share).floor() as i64;
        let used = o.limit.saturating_sub(o.remaining) as i64;
        b.budget = Some(b.allowed - used - b.in_flight);
        b.reset_at = Some(Instant::now() + o.reset_in + Duration::from_millis(50));
    }

    /// After a 429: nothing more starts in this bucket until `until`.
    pub fn block_until(&self, bucket: &'static str, until: Instant) {
        let mut all = self.buckets.lock().expect("rate limiter lock is never poisoned");
        let b = all.entry(bucket).or_default();
        b.budget = Some(0);
        b.reset_at = Some(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_the_documented_families() {
        assert_eq!(bucket_of("/api/v1/users"), "users");
        assert_eq!(bucket_of("/api/v1/users/00u1/factors"), "users_id");
        assert_eq!(bucket_of("/api/v1/apps/0oa1"), "apps_id");
        assert_eq!(bucket_of("/api/v1/apps/0oa1/users"), "apps");
        assert_eq!(bucket_of("/api/v1/logs"), "logs");
        assert_eq!(bucket_of("/api/v1/iam/roles"), "default");
    }

    #[tokio::test(start_paused = true)]
    async fn a_spent_share_waits_for_the_reset() {
        let rl = RateLimiter::new(0.5);
        let s = rl.try_acquire("users").unwrap();
        s.observe(Some(Observation { limit: 10, remaining: 5, reset_in: Duration::from_secs(30) }));
        let until = rl.try_acquire("users").unwrap_err();
        let wait = until - Instant::now();
        assert!(wait >= Duration::from_secs(30) && wait < Duration::from_secs(31), "{wait:?}");
        tokio::time::sleep_until(until).await;
        assert!(rl.try_acquire("users").is_ok());
    }
}
