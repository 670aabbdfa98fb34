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
//! window (the server's count: `Limit` less `Remaining` of the 429), then recovers by 5 points
//! per window that ends without a 429, never past the cap.
//!
//! **Pacing from the headers.** A bucket's first request goes out at once; from its answer on,
//! the client may start `Limit × share` requests per window less what `Limit − Remaining` says
//! is spent (less its own requests in flight), and waits for `X-Rate-Limit-Reset` when that is
//! gone. Up to [`FIRST_GUESS`] of a bucket, and up to the most a clean window has carried, a
//! bucket's requests go out in parallel; above that (where a token share lower than the one the
//! client was told would answer 429) one at a time, each starting as soon as the one before is
//! answered, so a crossing costs one 429, not one per request in flight.
//!
//! **Learned shares outlive the client.** [`RateLimiter::learned`] exports the cap a surprise
//! 429 set on each bucket ([`LearnedShares`], a serde type the connector keeps in its state);
//! [`RateLimiter::with_learned`] starts a new client at those shares, so the next invocation and
//! the next sync do not meet the 429 again. [`LearnedShares::end_sync`] relaxes each bucket that
//! met no 429 in the sync that ended by one step ([`STEP`], 5 percentage points of the bucket's
//! limit) towards the share the client was told; a bucket back at that share is forgotten.
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

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};
use tokio::sync::futures::Notified;
use tokio::sync::Notify;
use tokio::time::Instant;

mod table;
pub use table::{Bucket, Tier};

/// Fixed window of a bucket (Okta's are 60 s, not aligned to the minute).
const ORG_WINDOW: Duration = Duration::from_secs(61);
/// Share step: the floor, the recovery per clean window, and the relaxing of a learned share
/// per sync that met no 429 in its bucket (5 percentage points of the bucket's limit).
pub const STEP: f64 = 0.05;
/// Before any window has ended cleanly, this fraction of a bucket may go out in parallel.
pub const FIRST_GUESS: f64 = 0.2;

/// Why a request may not start now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// The bucket (or the ceiling across buckets) is spent until this instant.
    Until(Instant),
    /// The bucket is above what is known to pass: its request in flight must be answered first
    /// ([`RateLimiter::released`] wakes the waiter).
    Answer,
}

/// The share of one bucket a surprise 429 taught, as kept between invocations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearnedShare {
    /// The fraction of the bucket's `X-Rate-Limit-Limit` this token may use.
    pub share: f64,
    /// Whether the bucket met a 429 in the sync under way (it is then not relaxed at its end).
    #[serde(default)]
    pub limited: bool,
}

/// The learned share of each bucket that has one, by Okta's name for the bucket
/// ([`Bucket::name`]). Buckets at the share the client was told are absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LearnedShares(pub BTreeMap<String, LearnedShare>);

impl LearnedShares {
    /// A sync ended: each bucket that met no 429 in it relaxes by [`STEP`] towards `told` (the
    /// share the client is configured with), and is forgotten once there; every bucket's
    /// `limited` mark is cleared for the next sync.
    pub fn end_sync(&mut self, told: f64) {
        for l in self.0.values_mut() {
            if !l.limited {
                l.share += STEP;
            }
            l.limited = false;
        }
        self.0.retain(|_, l| l.share < told - 1e-9);
    }

    /// Whether nothing was learned.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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
    /// Whether this bucket met a 429 in the sync under way (this client's or an earlier one's).
    limited_in_sync: bool,
    /// The most requests one window carried without a 429.
    proven: u64,
    /// The most `Limit − Remaining` the current window's answers reported.
    spent: u64,
    /// The fraction of `limit` known to pass (a learned share): sent in parallel.
    safe: f64,
}

impl BucketState {
    fn new(share: f64) -> Self {
        BucketState {
            limit: None,
            budget: None,
            reset_at: None,
            in_flight: 0,
            share,
            ceiling: share,
            sent: 0,
            limited: false,
            limited_in_sync: false,
            proven: 0,
            spent: 0,
            safe: 0.0,
        }
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
        self.spent = 0;
        self.limited = false;
    }

    /// Beyond what is known to pass, one request at a time.
    fn probing(&self) -> bool {
        let known = self.limit.map_or(0, |l| (l as f64 * FIRST_GUESS.max(self.safe)) as u64);
        self.in_flight > 0 && self.sent >= self.proven.max(known)
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
    /// Woken whenever a request is answered (or its slot dropped).
    answered: Notify,
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
        RateLimiter { share: share.clamp(0.01, 1.0), state: Mutex::new(State::default()), answered: Notify::new() }
    }

    /// Starts each bucket of `learned` at its learned share (never above the one told).
    pub fn with_learned(self, learned: &LearnedShares) -> Self {
        {
            let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            for (name, l) in &learned.0 {
                let Some(bucket) = Bucket::ALL.into_iter().find(|b| b.name() == name) else { continue };
                if !l.share.is_finite() {
                    continue;
                }
                let share = l.share.clamp(STEP, self.share);
                let b = st.buckets.entry(bucket).or_insert_with(|| BucketState::new(self.share));
                b.share = share;
                b.ceiling = share;
                b.safe = share;
                b.limited_in_sync = l.limited;
            }
        }
        self
    }

    /// The shares learned so far (this client's and those it started with), to keep for the
    /// next invocation.
    pub fn learned(&self) -> LearnedShares {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        LearnedShares(
            st.buckets
                .iter()
                .filter(|(_, b)| b.ceiling < self.share - 1e-9 || b.limited_in_sync)
                .map(|(bucket, b)| (bucket.name().to_string(), LearnedShare { share: b.ceiling, limited: b.limited_in_sync }))
                .collect(),
        )
    }

    /// A future that completes when a request is next answered. Create (and `enable`) it before
    /// [`RateLimiter::try_acquire`] answers [`Wait::Answer`], so no answer is missed.
    pub fn released(&self) -> Notified<'_> {
        self.answered.notified()
    }

    /// Caps this client's requests across all buckets at `limit` a minute (the admin's
    /// ceiling, `org_rate_limit_per_minute`); `None`: no cross-bucket cap.
    pub fn with_cumulative(self, limit: Option<u64>) -> Self {
        if let Some(l) = limit {
            self.state.lock().unwrap_or_else(|p| p.into_inner()).org.stated = Some(l.max(1));
        }
        self
    }

    /// Takes a slot for a request to `bucket`, or says what to wait for.
    pub fn try_acquire(&self, bucket: Bucket) -> Result<Slot<'_>, Wait> {
        let now = Instant::now();
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let st = &mut *guard;
        let org_cap = self.org_cap(st);
        let org = &mut st.org;
        if let Some(until) = org.blocked_until {
            if now < until {
                return Err(Wait::Until(until));
            }
            org.blocked_until = None;
        }
        while org.starts.front().is_some_and(|t| *t + ORG_WINDOW <= now) {
            org.starts.pop_front();
        }
        if org_cap.is_some_and(|cap| org.starts.len() as u64 >= cap) {
            return Err(Wait::Until(org.starts.front().map_or(now + ORG_WINDOW, |t| *t + ORG_WINDOW)));
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
        match (b.budget, b.reset_at) {
            (Some(n), Some(reset)) if n <= 0 => return Err(Wait::Until(reset)),
            // A new window's share is out before any answer told when it ends: wait for one.
            (Some(n), None) if n <= 0 && b.in_flight > 0 => return Err(Wait::Answer),
            _ => {}
        }
        if b.probing() {
            return Err(Wait::Answer);
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
        self.record(bucket, obs);
        self.answered.notify_waiters();
    }

    fn record(&self, bucket: Bucket, obs: Option<Observation>) {
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
        // Answers may arrive out of order: the largest count the window reported stands.
        b.spent = b.spent.max(o.limit.saturating_sub(o.remaining));
        b.budget = b.allowed().map(|a| a - b.spent as i64 - b.in_flight);
        b.reset_at = Some(reset_at);
    }

    /// Records a 429 and releases one in-flight request. A 429 in a bucket whose limit was
    /// known is a surprise: pacing thought it safe, so the share is lowered.
    fn release_limited(&self, bucket: Bucket, obs: Option<Observation>) {
        self.record_limited(bucket, obs);
        self.answered.notify_waiters();
    }

    fn record_limited(&self, bucket: Bucket, obs: Option<Observation>) {
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
        b.limited_in_sync = true;
        if !surprise {
            return;
        }
        // What got through this window: the server's count before this request (its headers
        // count this one too), or this client's own when the headers show none spent.
        let counted = o.limit.saturating_sub(o.remaining);
        let before = if counted > 0 { counted - 1 } else { b.sent.saturating_sub(1) };
        let got_through = before as f64 / o.limit as f64;
        b.ceiling = b.ceiling.min(got_through).max(STEP);
        if first_in_window {
            b.ceiling = b.ceiling.min(b.share - STEP).max(STEP);
            b.share = (b.share / 2.0).min(b.ceiling).max(STEP);
        }
        b.share = b.share.min(b.ceiling);
        b.safe = b.safe.min(b.ceiling);
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
        let Err(Wait::Until(until)) = rl.try_acquire(Bucket::Users) else { panic!("the share is spent") };
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

    /// Takes slots of `bucket` without answering any: how many start at once.
    fn parallel(rl: &RateLimiter, bucket: Bucket) -> (Vec<Slot<'_>>, Wait) {
        let mut held = Vec::new();
        loop {
            match rl.try_acquire(bucket) {
                Ok(s) => held.push(s),
                Err(w) => return (held, w),
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_headers_open_a_bucket_at_once_and_only_the_unproven_part_goes_one_at_a_time() {
        let rl = RateLimiter::new(0.5);
        // The first request finds the bucket out; its answer says 1 of 1000 is spent.
        let (first, wait) = parallel(&rl, Bucket::Other);
        assert_eq!((first.len(), wait), (1, Wait::Answer));
        first.into_iter().for_each(|s| s.observe(obs(1000, 999, 60)));
        // Then a fifth of the bucket goes out at once (no waiting between them)...
        let (held, wait) = parallel(&rl, Bucket::Other);
        assert_eq!((held.len(), wait), (199, Wait::Answer));
        // ...and above it, the next starts as soon as one is answered, up to half the bucket.
        let answered = rl.released();
        tokio::pin!(answered);
        answered.as_mut().enable();
        let mut used = 1;
        for s in held {
            used += 1;
            s.observe(obs(1000, 1000 - used, 60));
        }
        tokio::time::timeout(Duration::from_millis(1), answered).await.expect("an answer wakes the waiter at once");
        while let Ok(s) = rl.try_acquire(Bucket::Other) {
            used += 1;
            s.observe(obs(1000, 1000 - used, 60));
        }
        assert_eq!(used, 500, "half of the bucket, as the headers count it");
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_window_never_starts_more_than_the_share_before_its_first_answer() {
        let rl = RateLimiter::new(0.5);
        rl.try_acquire(Bucket::Other).unwrap().observe(obs(100, 99, 60));
        for used in 2..=50 {
            rl.try_acquire(Bucket::Other).unwrap().observe(obs(100, 100 - used, 60));
        }
        // A clean window of 50; in the next, a 429 at the 31st halves the share to 25 %.
        tokio::time::sleep(Duration::from_secs(61)).await;
        for used in 1..=30 {
            rl.try_acquire(Bucket::Other).unwrap().observe(obs(100, 100 - used, 60));
        }
        rl.try_acquire(Bucket::Other).unwrap().limited(obs(100, 69, 60));
        assert_eq!(rl.share(Bucket::Other), 0.25);
        // The window after it: 50 were proven once, but the share is 25 until an answer comes.
        tokio::time::sleep(Duration::from_secs(61)).await;
        let (held, wait) = parallel(&rl, Bucket::Other);
        assert_eq!((held.len(), wait), (25, Wait::Answer));
    }

    #[tokio::test(start_paused = true)]
    async fn a_learned_share_is_exported_and_a_new_limiter_starts_there_in_parallel() {
        let rl = RateLimiter::new(0.5);
        rl.try_acquire(Bucket::Other).unwrap().observe(obs(1000, 999, 60));
        for used in 2..=300 {
            rl.try_acquire(Bucket::Other).unwrap().observe(obs(1000, 1000 - used, 60));
        }
        // The 301st meets a token share of 30 %; the headers count it too.
        rl.try_acquire(Bucket::Other).unwrap().limited(obs(1000, 699, 60));
        let learned = rl.learned();
        let other = learned.0.get(Bucket::Other.name()).copied().expect("the catch-all learned a share");
        assert!((other.share - 0.3).abs() < 1e-9 && other.limited, "{other:?}");
        assert_eq!(learned.0.len(), 1, "only the bucket that met the 429: {learned:?}");
        // A new client (the next invocation) starts at 30 %, all of it in parallel.
        let next = RateLimiter::new(0.5).with_learned(&learned);
        assert_eq!(next.share(Bucket::Other), other.share);
        next.try_acquire(Bucket::Other).unwrap().observe(obs(1000, 999, 60));
        let (held, wait) = parallel(&next, Bucket::Other);
        assert_eq!(held.len(), 299, "the learned share is known to pass: {wait:?}");
        assert!(matches!(wait, Wait::Until(_)), "{wait:?}");
        assert_eq!(next.learned(), learned, "kept as it was");
        // Buckets it did not learn about keep the share it was told.
        assert_eq!(next.share(Bucket::Users), 0.5);
    }

    #[test]
    fn a_learned_share_relaxes_one_step_per_sync_without_a_429_and_is_then_forgotten() {
        let mut learned = LearnedShares(
            [
                ("/api/v1".to_string(), LearnedShare { share: 0.3, limited: true }),
                ("/api/v1/groups".to_string(), LearnedShare { share: 0.4, limited: false }),
            ]
            .into(),
        );
        learned.end_sync(0.5);
        let share = |l: &LearnedShares, k: &str| l.0.get(k).map(|s| s.share);
        assert_eq!(share(&learned, "/api/v1"), Some(0.3), "a sync that met a 429 keeps it");
        assert!((share(&learned, "/api/v1/groups").unwrap() - 0.45).abs() < 1e-9);
        assert!(learned.0.values().all(|l| !l.limited), "the marks are for one sync");
        learned.end_sync(0.5);
        assert!((share(&learned, "/api/v1").unwrap() - 0.35).abs() < 1e-9, "one step");
        assert_eq!(share(&learned, "/api/v1/groups"), None, "back at the share told: forgotten");
        for _ in 0..3 {
            learned.end_sync(0.5);
        }
        assert!(learned.is_empty(), "{learned:?}");
        let json = serde_json::to_value(LearnedShares([("/api/v1".to_string(), LearnedShare { share: 0.3, limited: false })].into()));
        assert_eq!(json.unwrap(), serde_json::json!({"/api/v1": {"share": 0.3, "limited": false}}));
        // An unknown bucket name or a share past the one told is not trusted.
        let odd = LearnedShares(
            [
                ("/api/v9".to_string(), LearnedShare { share: 0.1, limited: false }),
                ("/api/v1/logs".to_string(), LearnedShare { share: 0.9, limited: false }),
            ]
            .into(),
        );
        let rl = RateLimiter::new(0.5).with_learned(&odd);
        assert_eq!(rl.share(Bucket::Logs), 0.5);
        assert!(rl.learned().is_empty());
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
        let Err(Wait::Until(until)) = rl.try_acquire(Bucket::Users) else { panic!("blocked across buckets") };
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
