//! The truth's sign-ins, group rules and sign-in configuration:
//!
//! - `app_sign_ins`: `{appId}:{userId}`, one per pair with at least one SUCCESS
//!   `user.authentication.sso` event published in the System Log window (`start`..`now`, as
//!   `system_logs`), by a user who is a record (neither a placeholder nor deleted) to an app
//!   that is not deleted (the user is the event's actor, the app its `AppInstance` target);
//!   fields `last_sign_in_at` (the latest such event's `published`, Okta's format), `device`
//!   (its `client.device`, unless Okta's "Unknown") and `zone` (its `client.zone`, unless
//!   Okta's "null");
//! - `group_rules` (fields `status`, `name`), `authenticators` (`key`, `status`),
//!   `network_zones` (`status`, `type`), `identity_providers` (`status`, `type`),
//!   `trusted_origins` (`status`, `origin`): ids as the API gives them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use crate::model::{okta_time, LogEvent, LogTarget, Org};

/// The event type of a sign-in to an app.
pub const SSO: &str = "user.authentication.sso";

/// The (app, user) of a successful single sign-on: the actor and the first `AppInstance` target.
pub fn sign_in_of(e: &LogEvent) -> Option<(u32, u32)> {
    if e.event_type != SSO || e.client.as_ref().is_some_and(|c| c.failure.is_some()) {
        return None;
    }
    e.targets.iter().find_map(|t| match t {
        LogTarget::App(a) => Some((*a, e.actor)),
        _ => None,
    })
}

/// The latest successful sign-in per `{appId}:{userId}` in the window, with its event.
fn latest<'a>(org: &'a Org, shadow: &BTreeSet<u32>, start: DateTime<Utc>, now: DateTime<Utc>) -> BTreeMap<String, &'a LogEvent> {
    let mut out: BTreeMap<String, &LogEvent> = BTreeMap::new();
    for e in org.logs.iter().filter(|e| e.published >= start && e.published < now) {
        let Some((app, user)) = sign_in_of(e) else { continue };
        if shadow.contains(&user) || org.apps[app as usize].deleted {
            continue;
        }
        let key = format!("{}:{}", org.apps[app as usize].id, org.users[user as usize].id);
        let later = out.get(&key).is_none_or(|x| (x.published, &x.uuid) < (e.published, &e.uuid));
        if later {
            out.insert(key, e);
        }
    }
    out
}

/// The sign-in record of an event: `last_sign_in_at`, and `device` and `zone` when it names them.
fn sign_in_fields(e: &LogEvent) -> Value {
    let mut f = json!({"last_sign_in_at": okta_time(&e.published)});
    if let Some(c) = &e.client {
        if c.device != "Unknown" {
            f["device"] = json!(c.device);
        }
        if let Some(z) = &c.zone {
            f["zone"] = json!(z);
        }
    }
    f
}

/// The record types, as (name, ids).
pub fn record_types(org: &Org, shadow: &BTreeSet<u32>, start: DateTime<Utc>, now: DateTime<Utc>) -> Vec<(&'static str, Vec<String>)> {
    let p = &org.posture;
    vec![
        ("app_sign_ins", latest(org, shadow, start, now).into_keys().collect()),
        ("group_rules", p.group_rules.iter().filter(|r| !r.deleted).map(|r| r.id.clone()).collect()),
        ("authenticators", p.authenticators.iter().map(|a| a.id.clone()).collect()),
        ("network_zones", p.zones.iter().map(|z| z.id.clone()).collect()),
        ("identity_providers", p.idps.iter().map(|i| i.id.clone()).collect()),
        ("trusted_origins", p.trusted_origins.iter().filter(|t| !t.deleted).map(|t| t.id.clone()).collect()),
    ]
}

/// The per-record fields, by record type.
pub fn fields(org: &Org, shadow: &BTreeSet<u32>, start: DateTime<Utc>, now: DateTime<Utc>) -> Vec<(&'static str, Map<String, Value>)> {
    let p = &org.posture;
    let pair = |a: &str, b: &str, x: &str, y: &str| json!({a: x, b: y});
    vec![
        ("app_sign_ins", latest(org, shadow, start, now).into_iter().map(|(k, e)| (k, sign_in_fields(e))).collect()),
        (
            "group_rules",
            p.group_rules.iter().filter(|r| !r.deleted).map(|r| (r.id.clone(), pair("status", "name", &r.status, &r.name))).collect(),
        ),
        ("authenticators", p.authenticators.iter().map(|a| (a.id.clone(), pair("key", "status", &a.key, &a.status))).collect()),
        ("network_zones", p.zones.iter().map(|z| (z.id.clone(), pair("status", "type", &z.status, &z.kind))).collect()),
        ("identity_providers", p.idps.iter().map(|i| (i.id.clone(), pair("status", "type", &i.status, &i.kind))).collect()),
        (
            "trusted_origins",
            p.trusted_origins
                .iter()
                .filter(|t| !t.deleted)
                .map(|t| (t.id.clone(), pair("status", "origin", &t.status, &t.origin)))
                .collect(),
        ),
    ]
}

/// The fewest calls per family: list pages at the maximum page size (authenticators: one
/// unpaged list; zones: one page, as the default lists them all). Sign-ins cost nothing: they
/// come from System Log pages already counted.
pub fn min_calls(org: &Org) -> Vec<(&'static str, u64)> {
    let p = &org.posture;
    let pages = |n: usize, size: usize| n.div_ceil(size).max(1) as u64;
    use crate::page_size as P;
    vec![
        ("group_rules", pages(p.group_rules.iter().filter(|r| !r.deleted).count(), P::GROUP_RULES.max)),
        ("authenticators", 1),
        ("network_zones", 1),
        ("identity_providers", pages(p.idps.len(), P::IDPS.max)),
        ("trusted_origins", pages(p.trusted_origins.iter().filter(|t| !t.deleted).count(), P::TRUSTED_ORIGINS.max)),
    ]
}

/// Seeded secrets of the posture: IdP client secrets and Duo's secret key.
pub fn secrets(org: &Org) -> Vec<String> {
    let p = &org.posture;
    let idps = p.idps.iter().filter_map(|i| i.client_secret.clone());
    let duo =
        p.authenticators.iter().filter_map(|a| a.provider.as_ref()?.pointer("/configuration/secretKey")?.as_str().map(str::to_string));
    idps.chain(duo).collect()
}
