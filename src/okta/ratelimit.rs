//! Rate-limit pacing per Okta bucket, and an optional ceiling across buckets.
//!
//! Each bucket's limit is learned from the `X-Rate-Limit-*` headers of every response; which
//! bucket a path is in comes from Okta's published table ([`table`]). Waits are computed from the response's `Date` header and
//! `X-Rate-Limit-Reset`, never from the local wall clock, and are slept through `tokio::time`
//! so tests can pause the clock.
//!
//! **Share.** The client uses a share of each bucket (0.5 by default). Okta documents the
//! header as "the rate limit ceiling that is applicable for the current request"
//! (developer.okta.com `docs/reference/rl-best-practices`) and gives each API token "up to 50%
//! of a bucket's total rate limit" by default, adjustable by an admin
//! (`docs/reference/rl2-token-oauth`), without saying which ceiling the header shows when a
//! token share applies. We assume it may be either: the token's own ceiling (then half of it
//! leaves room for the token's other users) or the org's bucket (then half of it is the
//! default token share). When the share an admin set is below what we use and the headers
//! show the org's figures, the first 429 in a bucket that pacing thought safe tells us:
//! that bucket's share is halved (floor 5 %) and capped just under what got through in that
//! window, then recovers by 5 points per window that ends without a 429, never past the cap.
//! Above the most that a clean window has carried, a bucket sends one request at a time, so a
//! crossing costs one 429, not one per request in flight.
//!
//! **No org-wide cap by default.** Okta enforces each bucket's limit individually: it removed
//! the org-wide "cumulative" limit from its documentation in September 2024
//! (okta/okta-developer-docs commit b66d97a: "Each category has APIs with rate limits that are
//! enforced individually"). The client paces against no cross-bucket limit unless one is
//! stated ([`RateLimiter::with_cumulative`], the `org_rate_limit_per_minute` input): the
//! admin's ceiling on the connector's own requests per minute across all buckets, kept over
//! a sliding 61 s window (room left for the org's other integrations). Defensively, a 429
//! whose `X-Rate-Limit-Limit` is larger than the bucket's own, with nothing remaining, is read
//! as some cross-bucket counter speaking: the client then keeps `share ×` that figure.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

mod table;
pub use table::{Bucket, Tier};

/// Fixed window of a bucket (Okta's are 60 s, not aligned to the minute).
const ORG_WINDOW: Duration = Duration::from_secs(61);
/// Share step: the floor, and the recovery per clean window.
const STEP: f64 = 0.05;
/// Before any window has ended cleanly, this fraction of a bucket may go out in parallel.
const FIRST_GUESS: f64 = 0.2;
/// How often a request waiting for a probing bucket's request in flight looks again.
const PROBE_POLL: Duration = Duration::from_millis(50);

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

/// What the client knows of one bucket.
#[derive(Debug)]
struct BucketState {
    /// The last `X-Rate-Limit-Limit` seen.
    limit: Option<u64>,
    /// How many more requests this client may start before `reset_at`.
    budget: Option<i64>,
    reset_at: Option<Instant>,
    in_flight: i64,
    /// The fraction of `limit` in use now.
    share: f64,
    /// The share never goes above this again (lowered by surprise 429s).
    ceiling: f64,
    /// Requests started in the current window.
    sent: u64,
    /// Whether the current window met a 429.
    limited: bool,
    /// The most requests one window carried without a 429.
    proven: u64,
}

impl BucketState {
    fn new(share: f64) -> Self {
        BucketState { limit: None, budget: None, reset_at: None, in_flight: 0, share, ceiling: share, sent: 0, limited: false, proven: 0 }
    }

    fn allowed(&self) -> Option<i64> {
        self.limit.map(|l| ((l as f64 * self.share).floor() as i64).max(1))
    }

    /// A window ended: a clean one proves its count and lets the share recover a step.
    fn roll(&mut self) {
        if !self.limited {
            self.proven = self.proven.max(self.sent);
            self.share = (self.share + STEP).min(self.ceiling);
        }
        self.sent = 0;
        self.limited = false;
    }

    /// Beyond what is known to pass, one request at a time.
    fn probing(&self) -> bool {
        let first_guess = self.limit.map_or(0, |l| (l as f64 * FIRST_GUESS) as u64);
        self.in_flight > 0 && self.sent >= self.proven.max(first_guess)
    }
}

/// The cross-bucket ceiling, when there is one.
#[derive(Debug, Default)]
struct OrgState {
    /// The admin's ceiling on this connector's requests per minute across buckets.
    stated: Option<u64>,
    /// A cross-bucket limit a 429 named (this client keeps `share ×` it).
    learned: Option<u64>,
    /// When this client's recent requests started (at most the cap's worth).
    starts: VecDeque<Instant>,
    blocked_until: Option<Instant>,
}

#[derive(Debug, Default)]
struct State {
    buckets: HashMap<Bucket, BucketState>,
    org: OrgState,
}

/// Shared pacing state for all buckets.
#[derive(Debug)]
pub struct RateLimiter {
    share: f64,
    state: Mutex<State>,
}

/// A granted request slot. It counts as in flight until it is dropped, so a request whose
/// future is dropped mid-flight (a cancelled job, a timeout) frees its slot all the same.
#[derive(Debug)]
pub struct Slot<'a> {
    limiter: &'a RateLimiter,
    bucket: Bucket,
    released: bool,
}

impl Slot<'_> {
    /// Records a (non-429) response's rate-limit headers and releases the slot.
    pub fn observe(mut self, obs: Option<Observation>) {
        self.released = true;
        self.limiter.release(self.bucket, obs);
    }

    /// Records a 429's headers, adapting the bucket's share, and releases the slot.
    pub fn limited(mut self, obs: Option<Observation>) {
        self.released = true;
        self.limiter.release_limited(self.bucket, obs);
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
        RateLimiter { share: share.clamp(0.01, 1.0), state: Mutex::new(State::default()) }
    }

    /// Caps this client's requests across all buckets at `limit` a minute (the admin's
    /// ceiling, `org_rate_limit_per_minute`); `None`: no cross-bucket cap.
    pub fn with_cumulative(self, limit: Option<u64>) -> Self {
        if let Some(l) = limit {
            self.state.lock().unwrap_or_else(|p| p.into_inner()).org.stated = Some(l.max(1));
        }
        self
    }

    /// Takes a slot for a request to `bucket`, or says until when to wait.
    pub fn try_acquire(&self, bucket: Bucket) -> Result<Slot<'_>, Instant> {
        let now = Instant::now();
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let st = &mut *guard;
        let org_cap = self.org_cap(st);
        let org = &mut st.org;
        if let Some(until) = org.blocked_until {
            if now < until {
                return Err(until);
            }
            org.blocked_until = None;
        }
        while org.starts.front().is_some_and(|t| *t + ORG_WINDOW <= now) {
            org.starts.pop_front();
        }
        if org_cap.is_some_and(|cap| org.starts.len() as u64 >= cap) {
            return Err(org.starts.front().map_or(now + ORG_WINDOW, |t| *t + ORG_WINDOW));
        }
        let b = st.buckets.entry(bucket).or_insert_with(|| BucketState::new(self.share));
        if let Some(reset) = b.reset_at {
            if now >= reset {
                // A new window: start optimistic with our whole share; responses refine it.
                b.roll();
                b.budget = b.allowed().map(|a| a - b.in_flight);
                b.reset_at = None;
            }
        }
        if let (Some(n), Some(reset)) = (b.budget, b.reset_at) {
            if n <= 0 {
                return Err(reset);
            }
        }
        if b.probing() {
            return Err(now + PROBE_POLL);
        }
        b.budget = b.budget.map(|n| n - 1);
        b.in_flight += 1;
        b.sent += 1;
        if org_cap.is_some() {
            st.org.starts.push_back(now);
        }
        Ok(Slot { limiter: self, bucket, released: false })
    }

    /// Requests of `bucket` started and not yet answered.
    pub fn in_flight(&self, bucket: Bucket) -> i64 {
        self.state.lock().map(|st| st.buckets.get(&bucket).map_or(0, |b| b.in_flight)).unwrap_or(0)
    }

    /// The share of `bucket` in use now.
    pub fn share(&self, bucket: Bucket) -> f64 {
        self.state.lock().map(|st| st.buckets.get(&bucket).map_or(self.share, |b| b.share)).unwrap_or(self.share)
    }

    /// The share in use of every bucket used so far, by Okta's name for it.
    pub fn shares(&self) -> std::collections::BTreeMap<&'static str, f64> {
        self.state.lock().map(|st| st.buckets.iter().map(|(b, s)| (b.name(), s.share)).collect()).unwrap_or_default()
    }

    /// This client's ceiling across buckets per minute now (`None`: none, Okta's behaviour).
    pub fn cumulative_limit(&self) -> Option<u64> {
        self.state.lock().map(|st| self.org_cap(&st)).unwrap_or(None)
    }

    fn org_cap(&self, st: &State) -> Option<u64> {
        let learned = st.org.learned.map(|l| ((l as f64 * self.share).floor() as u64).max(1));
        match (st.org.stated, learned) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Records a response's headers (if any) and releases one in-flight request.
    fn release(&self, bucket: Bucket, obs: Option<Observation>) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let b = st.buckets.entry(bucket).or_insert_with(|| BucketState::new(self.share));
        b.in_flight -= 1;
        let Some(o) = obs else { return };
        if o.limit == 0 {
            return; // the concurrency variant says nothing about the per-minute bucket
        }
        let reset_at = Instant::now() + o.reset_in + Duration::from_millis(50);
        if b.reset_at.is_some_and(|old| reset_at > old + Duration::from_secs(2)) {
            b.roll(); // the server opened a new window before we started a request in it
        }
        b.limit = Some(o.limit);
        let used = o.limit.saturating_sub(o.remaining) as i64;
        b.budget = b.allowed().map(|a| a - used - b.in_flight);
        b.reset_at = Some(reset_at);
    }

    /// Records a 429 and releases one in-flight request. A 429 in a bucket whose limit was
    /// known is a surprise: pacing thought it safe, so the share is lowered.
    fn release_limited(&self, bucket: Bucket, obs: Option<Observation>) {
        let now = Instant::now();
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let b = st.buckets.entry(bucket).or_insert_with(|| BucketState::new(self.share));
        b.in_flight -= 1;
        let Some(o) = obs.filter(|o| o.limit > 0) else { return };
        if b.limit.is_some_and(|known| o.limit > known && o.remaining == 0) {
            // Another counter, larger than the bucket, is spent: a limit across buckets (not
            // Okta's documented behaviour since 2024, but honoured if a server has one).
            tracing::warn!(bucket = bucket.name(), cumulative = o.limit, "a rate limit across buckets was reached");
            st.org.learned = Some(o.limit);
            st.org.blocked_until = Some(now + o.reset_in + Duration::from_secs(1));
            return;
        }
        let surprise = b.limit.is_some();
        let first_in_window = !b.limited;
        b.limit = Some(o.limit);
        b.limited = true;
        if !surprise {
            return;
        }
        let got_through = b.sent.saturating_sub(1) as f64 / o.limit as f64;
        b.ceiling = b.ceiling.min(got_through).max(STEP);
        if first_in_window {
            b.ceiling = b.ceiling.min(b.share - STEP).max(STEP);
            b.share = (b.share / 2.0).min(b.ceiling).max(STEP);
        }
        b.share = b.share.min(b.ceiling);
        tracing::warn!(
            bucket = bucket.name(),
            share = b.share,
            ceiling = b.ceiling,
            "a 429 where pacing expected room: this token's share is lower; using less of the bucket"
        );
    }

    /// After a 429: nothing more starts in this bucket until `until`.
    pub fn block_until(&self, bucket: Bucket, until: Instant) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let b = st.buckets.entry(bucket).or_insert_with(|| BucketState::new(self.share));
        b.budget = Some(0);
        b.reset_at = Some(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(limit: u64, remaining: u64, secs: u64) -> Option<Observation> {
        Some(Observation { limit, remaining, reset_in: Duration::from_secs(secs) })
    }

    #[tokio::test(start_paused = true)]
    async fn a_spent_share_waits_for_the_reset() {
        let rl = RateLimiter::new(0.5);
        let s = rl.try_acquire(Bucket::Users).unwrap();
        s.observe(obs(10, 5, 30));
        let until = rl.try_acquire(Bucket::Users).unwrap_err();
        let wait = until - Instant::now();
        assert!(wait >= Duration::from_secs(30) && wait < Duration::from_secs(31), "{wait:?}");
        tokio::time::sleep_until(until).await;
        assert!(rl.try_acquire(Bucket::Users).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_surprise_429_halves_the_share_under_what_got_through_and_it_recovers_to_that() {
        let rl = RateLimiter::new(0.5);
        rl.try_acquire(Bucket::Other).unwrap().observe(obs(100, 99, 60));
        for used in 2..=30 {
            rl.try_acquire(Bucket::Other).unwrap().observe(obs(100, 100 - used, 60));
        }
        // The 31st request of the window meets a token share of 30 %.
        rl.try_acquire(Bucket::Other).unwrap().limited(obs(100, 69, 60));
        assert_eq!(rl.share(Bucket::Other), 0.25);
        rl.block_until(Bucket::Other, Instant::now() + Duration::from_secs(61));
        for w in 0..4 {
            tokio::time::sleep(Duration::from_secs(61)).await;
            rl.try_acquire(Bucket::Other).unwrap().observe(obs(100, 99, 60));
            assert!(rl.share(Bucket::Other) <= 0.3 + 1e-9, "window {w}: {}", rl.share(Bucket::Other));
        }
        assert!(rl.share(Bucket::Other) >= 0.3 - 1e-9, "{}", rl.share(Bucket::Other));
    }

    #[tokio::test(start_paused = true)]
    async fn no_cap_across_buckets_by_default() {
        let rl = RateLimiter::new(0.5);
        assert_eq!(rl.cumulative_limit(), None, "Okta enforces each bucket on its own");
        let mut n = 0;
        for b in Bucket::ALL {
            let mut used = 0;
            while let Ok(s) = rl.try_acquire(b) {
                used += 1;
                s.observe(obs(1000, 1000 - used, 60));
                n += 1;
            }
        }
        assert_eq!(n, 9 * 500, "half of every bucket, with no ceiling across them");
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_naming_a_larger_limit_is_a_counter_across_buckets() {
        let rl = RateLimiter::new(0.5);
        rl.try_acquire(Bucket::Other).unwrap().observe(obs(1200, 1000, 60));
        assert_eq!(rl.cumulative_limit(), None);
        rl.try_acquire(Bucket::Other).unwrap().limited(obs(9000, 0, 20));
        assert_eq!(rl.cumulative_limit(), Some(4500));
        assert_eq!(rl.share(Bucket::Other), 0.5, "the bucket was not at fault");
        let until = rl.try_acquire(Bucket::Users).unwrap_err();
        assert!(until - Instant::now() >= Duration::from_secs(20));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stated_ceiling_caps_the_connector_across_buckets() {
        let rl = RateLimiter::new(0.5).with_cumulative(Some(900));
        assert_eq!(rl.cumulative_limit(), Some(900));
        let mut n = 0;
        while let Ok(s) = rl.try_acquire(Bucket::ALL[n % Bucket::ALL.len()]) {
            s.observe(obs(100_000, 100_000, 60));
            n += 1;
        }
        assert_eq!(n, 900, "the admin's ceiling is the connector's own use, whole");
        assert_eq!(RateLimiter::new(0.5).with_cumulative(None).cumulative_limit(), None);
    }
}
