//! Time-scoped syncs, as DevRev documents them (fern-api-docs `airsync/data-extraction.mdx`,
//! "Time-scoped syncs"; the import declares `TIME_SCOPED_SYNCS`): what a sync run reads is
//! bounded below by `extract_from` or the last successful sync, and above by `extract_to`.
//!
//! The lower bound of the entities Okta filters by `lastUpdated` (users, groups, devices):
//! - an initial sync starts at `extract_from` when the platform sends one, else reads in full;
//! - an incremental sync with `reset_extract_from: true` starts at `extract_from`, or reads in
//!   full without one;
//! - an incremental sync otherwise starts at `lastSuccessfulSyncStarted`, or at the last run's
//!   `extract_to` when that is earlier: what changed after the last run's upper bound was left
//!   for this run, and is read here.
//!
//! `extract_to`, when the platform sends it, is the upper bound of those `lastUpdated` filters
//! and of the System Log window (no event published after it is sent). An `extract_from` at the
//! epoch (ts-adaas's `unbounded`) is no bound.

use chrono::{DateTime, Utc};

use crate::airsync::extractor::Invocation;

/// The bounds of one sync run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounds {
    /// Read what changed after this (`None`: read in full).
    pub since: Option<DateTime<Utc>>,
    /// Read nothing that changed or was published after this.
    pub until: Option<DateTime<Utc>>,
    /// The platform asked an incremental sync to start again from `extract_from`: the System
    /// Log does not go on from where the last run stopped either.
    pub reset: bool,
}

fn parse(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc))
}

/// The run's bounds from the invocation and the upper bound of the last run (`None` when it had
/// none, or there was none).
pub fn bounds(inv: &Invocation, previous_until: Option<&str>) -> Bounds {
    let from = inv.extract_from.as_deref().and_then(parse).filter(|d| d.timestamp() > 0);
    let until = inv.extract_to.as_deref().and_then(parse);
    let incremental = inv.mode == "INCREMENTAL";
    let reset = incremental && inv.reset_extract_from;
    let since = if !incremental || reset {
        from
    } else {
        let last = parse(&inv.last_successful_sync_started);
        match (last, previous_until.and_then(parse)) {
            (Some(l), Some(u)) => Some(l.min(u)),
            (l, _) => l,
        }
    };
    Bounds { since, until, reset }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(mode: &str, from: Option<&str>, reset: bool) -> Invocation {
        Invocation {
            mode: mode.into(),
            is_start: true,
            org_id: String::new(),
            org_name: String::new(),
            connection_key: String::new().into(),
            global_values: Default::default(),
            extract_from: from.map(str::to_string),
            extract_to: Some("2024-06-01T00:00:00Z".into()),
            reset_extract_from: reset,
            scope: Default::default(),
            last_successful_sync_started: "2024-05-01T00:00:00.000Z".into(),
            sync_started: String::new(),
            stop: Default::default(),
            deadline: tokio::time::Instant::now(),
            index: None,
        }
    }

    fn t(s: &str) -> Option<DateTime<Utc>> {
        parse(s)
    }

    #[test]
    fn the_documented_rule_for_each_kind_of_sync() {
        let from = Some("2024-03-01T00:00:00Z");
        assert_eq!(bounds(&inv("INITIAL", from, false), None).since, t("2024-03-01T00:00:00Z"), "initial: extract_from");
        assert_eq!(bounds(&inv("INITIAL", None, false), None).since, None, "initial without it: in full");
        let reset = bounds(&inv("INCREMENTAL", from, true), None);
        assert_eq!((reset.since, reset.reset), (t("2024-03-01T00:00:00Z"), true), "reset: extract_from");
        assert_eq!(bounds(&inv("INCREMENTAL", None, true), None).since, None, "reset without extract_from: everything");
        assert_eq!(bounds(&inv("INCREMENTAL", from, false), None).since, t("2024-05-01T00:00:00Z"), "no reset: the last sync");
        let after_bounded = bounds(&inv("INCREMENTAL", from, false), Some("2024-04-30T00:00:00.000Z"));
        assert_eq!(after_bounded.since, t("2024-04-30T00:00:00Z"), "the last run's upper bound when earlier");
        assert_eq!(after_bounded.until, t("2024-06-01T00:00:00Z"));
        assert_eq!(bounds(&inv("INITIAL", Some("1970-01-01T00:00:00.000Z"), false), None).since, None, "the epoch is no bound");
    }
}
