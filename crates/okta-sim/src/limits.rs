//! Rate-limit buckets (60 s windows not aligned to the minute) and the simulator's clock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// The bucket a path falls in, and its default per-minute limit (Workforce column).
pub fn family(path: &str) -> (&'static str, u64) {
    let segs: Vec<&str> = path.trim_start_matches("/api/v1/").split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["users"] => ("users", 600),
        ["users", ..] => ("users_id", 2000),
        ["groups"] => ("groups", 500),
        ["groups", ..] => ("groups_id", 1000),
        ["apps", _] => ("apps_id", 500),
        ["apps", ..] => ("apps", 100),
        ["logs", ..] => ("logs", 120),
        ["devices", ..] => ("devices", 100),
        _ => ("default", 1200),
    }
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
}

/// All buckets.
#[derive(Debug, Default)]
pub struct Buckets {
    windows: Mutex<HashMap<&'static str, Window>>,
}

impl Buckets {
    /// Counts a request in `family`.
    pub fn hit(&self, family: &'static str, limit: u64, now: DateTime<Utc>) -> Verdict {
        let mut w = self.windows.lock().expect("bucket lock is never poisoned");
        let win = w.entry(family).or_insert(Window { start: now, count: 0 });
        if now >= win.start + Duration::seconds(60) {
            *win = Window { start: now, count: 0 };
        }
        win.count += 1;
        let reset_ms = (win.start + Duration::seconds(60)).timestamp_millis();
        Verdict { limit, remaining: limit.saturating_sub(win.count), reset: (reset_ms + 999) / 1000, exceeded: win.count > limit }
    }
}
