//! System Log events for the changes the simulator makes (`/__sim/mutate` and churn), with
//! event types from Okta's Event Types catalogue only (developer.okta.com; the list the tests
//! check against is vendored in `tests/fixtures/okta-event-types.txt`).
//!
//! Targets follow what Okta sends: an app membership event names
//! `[AppUser, AppInstance, User]`, a group membership event `[User, UserGroup]`.
//!
//! Okta runs the side effects of a user's deactivation or deletion as a background job; when
//! the org logs them per edge (`Org::log_side_effect_edges`), those events are published
//! [`SIDE_EFFECT_DELAY_MS`] after the lifecycle event.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

use super::model::{LogEvent, LogTarget, Org};

/// How long after a lifecycle event its per-edge side-effect events are published.
pub const SIDE_EFFECT_DELAY_MS: i64 = 1000;

/// Where new events go and how late they become visible.
pub struct Emitter<'a, R: Rng> {
    /// The random source (uuids, lag).
    pub rng: &'a mut R,
    /// Now: when events become visible.
    pub now: DateTime<Utc>,
    /// An event's `published` is up to this many seconds before `now` (0: exactly `now`).
    pub lag_secs: u64,
    /// The uuids emitted so far.
    pub emitted: Vec<String>,
}

impl<R: Rng> Emitter<'_, R> {
    /// Appends one event done by the org's admin at `now`, and returns its uuid.
    pub fn emit(&mut self, org: &mut Org, event_type: &str, targets: Vec<LogTarget>, debug: Vec<(String, String)>) -> String {
        self.emit_after(org, 0, event_type, targets, debug)
    }

    /// Appends one event persisted `delay_ms` after `now` (it becomes visible once the clock
    /// gets there), keeping the log in persistence order; returns its uuid.
    pub fn emit_after(
        &mut self,
        org: &mut Org,
        delay_ms: i64,
        event_type: &str,
        targets: Vec<LogTarget>,
        debug: Vec<(String, String)>,
    ) -> String {
        let b: [u8; 16] = self.rng.gen();
        let uuid = uuid::Builder::from_random_bytes(b).into_uuid().to_string();
        let lag_ms = if self.lag_secs == 0 { 0 } else { self.rng.gen_range(0..=self.lag_secs as i64 * 1000) };
        let persisted = self.now + Duration::milliseconds(delay_ms);
        let event = LogEvent {
            uuid: uuid.clone(),
            published: persisted - Duration::milliseconds(lag_ms),
            persisted,
            event_type: event_type.to_string(),
            severity: "INFO".into(),
            actor: org.admin_user,
            targets,
            ip: "198.51.100.7".into(),
            debug,
            client: None,
        };
        // The log is kept in persistence order (ties by uuid), which is what cursors rely on.
        let key = (event.persisted.timestamp_millis(), event.uuid.clone());
        let at = org.logs.partition_point(|e| (e.persisted.timestamp_millis(), e.uuid.as_str()) <= (key.0, key.1.as_str()));
        org.logs.insert(at, event);
        self.emitted.push(uuid.clone());
        uuid
    }

    /// Appends one event done by user `actor` at `now` (a sign-in, a single sign-on); returns
    /// its uuid.
    pub fn emit_by(&mut self, org: &mut Org, actor: u32, event_type: &str, targets: Vec<LogTarget>) -> String {
        let uuid = self.emit(org, event_type, targets, vec![]);
        if let Some(e) = org.logs.iter_mut().rev().find(|e| e.uuid == uuid) {
            e.actor = actor;
        }
        uuid
    }

    /// Logs a side effect of a lifecycle event persisted `at_ms` after `now`, per edge, when
    /// the org does so; returns whether it was logged.
    pub fn side_effect(
        &mut self,
        org: &mut Org,
        at_ms: i64,
        event_type: &str,
        targets: Vec<LogTarget>,
        debug: Vec<(String, String)>,
    ) -> bool {
        if org.log_side_effect_edges {
            self.emit_after(org, at_ms + SIDE_EFFECT_DELAY_MS, event_type, targets, debug);
        }
        org.log_side_effect_edges
    }

    /// The uuids emitted, sorted.
    pub fn into_sorted(mut self) -> Vec<String> {
        self.emitted.sort();
        self.emitted
    }
}

/// The targets of an app membership event, in Okta's order: the assignment (`AppUser`), the
/// app (`AppInstance`), the user (`User`).
pub fn app_membership(app: u32, user: u32) -> Vec<LogTarget> {
    vec![LogTarget::AppUser { app, user }, LogTarget::App(app), LogTarget::User(user)]
}
