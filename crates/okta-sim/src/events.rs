//! System Log events for the changes the simulator makes (`/__sim/mutate` and churn), with
//! Okta's event types (developer.okta.com Event Types catalogue): `user.lifecycle.deactivate`,
//! `user.lifecycle.delete.completed`, `user.account.update_profile`,
//! `group.user_membership.add`/`.remove`, `group.lifecycle.delete`,
//! `application.user_membership.remove`, `application.lifecycle.deactivate`/`.delete`,
//! `device.lifecycle.*`, `user.mfa.factor.deactivate`, `user.account.privilege.grant`/`.revoke`.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

use super::model::{LogEvent, LogTarget, Org};

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
    /// Appends one event done by the org's admin, in persistence order, and returns its uuid.
    pub fn emit(&mut self, org: &mut Org, event_type: &str, targets: Vec<LogTarget>, debug: Vec<(String, String)>) -> String {
        let b: [u8; 16] = self.rng.gen();
        let uuid = uuid::Builder::from_random_bytes(b).into_uuid().to_string();
        let lag_ms = if self.lag_secs == 0 { 0 } else { self.rng.gen_range(0..=self.lag_secs as i64 * 1000) };
        let event = LogEvent {
            uuid: uuid.clone(),
            published: self.now - Duration::milliseconds(lag_ms),
            persisted: self.now,
            event_type: event_type.to_string(),
            severity: "INFO".into(),
            actor: org.admin_user,
            targets,
            ip: "198.51.100.7".into(),
            debug,
        };
        // The log is kept in persistence order (ties by uuid), which is what cursors rely on.
        let key = (event.persisted.timestamp_millis(), event.uuid.clone());
        let at = org.logs.partition_point(|e| (e.persisted.timestamp_millis(), e.uuid.as_str()) <= (key.0, key.1.as_str()));
        org.logs.insert(at, event);
        self.emitted.push(uuid.clone());
        uuid
    }

    /// The uuids emitted, in the order the log holds them.
    pub fn into_sorted(mut self) -> Vec<String> {
        self.emitted.sort();
        self.emitted
    }
}
