//! System Log events in a bounded window (`since` and `until`, ascending): the last page has no
//! next link, and the next link is checkpointed so a large window resumes mid-way. Events seen
//! in the overlap at the end of the previous window are dropped by uuid.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;

use super::{walk_list, JobCtx, JobFail};
use crate::connector::state::{keys, JobState, LogsPos, LogsWindow, Mode};
use crate::extract::{logs, ts};
use crate::okta::endpoints;

/// Okta keeps System Log events this many days.
pub const RETENTION_DAYS: i64 = 90;
/// Default window start when nothing is configured.
pub const DEFAULT_DAYS: i64 = 30;

/// A bad `system_log_start_date`.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StartDateError {
    /// Not YYYY-MM-DD.
    #[error("input `system_log_start_date` is {0:?}, which is not a date in the form YYYY-MM-DD (for example 2025-01-31); fix it or leave it empty for the last 30 days")]
    Format(String),
    /// In the future.
    #[error("input `system_log_start_date` is {0}, which is in the future; use a past date or leave it empty for the last 30 days")]
    Future(String),
}

/// Resolves the window start from the input (or `extract_from`), clamped to the retention.
/// Returns the start and, when clamped, a warning.
pub fn window_start(
    input: Option<&str>,
    extract_from: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, Option<String>), StartDateError> {
    let oldest = now - Duration::days(RETENTION_DAYS);
    let start = match input.map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => {
            let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| StartDateError::Format(raw.to_string()))?;
            let t = d.and_hms_opt(0, 0, 0).map(|n| n.and_utc()).ok_or_else(|| StartDateError::Format(raw.to_string()))?;
            if t > now {
                return Err(StartDateError::Future(raw.to_string()));
            }
            t
        }
        None => match extract_from.and_then(|f| DateTime::parse_from_rfc3339(f).ok()) {
            Some(f) if f.with_timezone(&Utc) <= now => f.with_timezone(&Utc),
            _ => (now - Duration::days(DEFAULT_DAYS)).date_naive().and_hms_opt(0, 0, 0).map(|n| n.and_utc()).unwrap_or(now),
        },
    };
    if start < oldest {
        let w = format!(
            "System Log start {} is older than Okta's {RETENTION_DAYS}-day retention; starting at {}",
            start.to_rfc3339(),
            oldest.to_rfc3339()
        );
        return Ok((oldest, Some(w)));
    }
    Ok((start, None))
}

/// Extracts (or resumes) the System Log window of this sync run.
pub async fn extract(ctx: &JobCtx, st: &mut JobState<LogsPos>) -> Result<(), JobFail> {
    let previous = &ctx.previous_logs;
    st.mode = if previous.end.is_empty() { Mode::Full } else { Mode::Incremental };
    let until = &ctx.sync.logs_until;
    let start = endpoints::logs::window(&ctx.client, &ctx.sync.logs_since, until);
    let mut seen: HashSet<String> = previous.tail_uuids.iter().cloned().collect();
    let tail_from = DateTime::parse_from_rfc3339(until).map(|u| u.with_timezone(&Utc) - ctx.overlap).ok();
    let links = ctx.links.clone();
    walk_list(
        ctx,
        st,
        start,
        |p| &mut p.cursor,
        |st, items| {
            let mut recs = Vec::new();
            for e in &items {
                let Some(uuid) = e.get("uuid").and_then(Value::as_str) else { continue };
                if !seen.insert(uuid.to_string()) {
                    continue;
                }
                let published = ts(e.get("published")).and_then(|p| DateTime::parse_from_rfc3339(&p).ok());
                if let (Some(p), Some(t)) = (published, tail_from) {
                    if p >= t && st.pos.tail.len() < 5000 {
                        st.pos.tail.push(uuid.to_string());
                    }
                }
                recs.extend(logs::log_event(e, &links));
            }
            vec![("system_logs", recs)]
        },
    )
    .await?;
    let window = LogsWindow { end: until.clone(), tail_uuids: std::mem::take(&mut st.pos.tail) };
    let window = serde_json::to_value(window).map_err(|_| JobFail::Stop)?;
    Ok(ctx.sink.checkpoint(keys::LOGS_WINDOW, window).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_date_is_checked_and_clamped() {
        let now = DateTime::parse_from_rfc3339("2025-06-30T12:00:00Z").unwrap().with_timezone(&Utc);
        let (s, w) = window_start(None, None, now).unwrap();
        assert_eq!(s.to_rfc3339(), "2025-05-31T00:00:00+00:00");
        assert!(w.is_none());
        let (s, w) = window_start(Some("2025-01-01"), None, now).unwrap();
        assert_eq!(s, now - Duration::days(90));
        assert!(w.is_some());
        assert!(matches!(window_start(Some("2025-13-01"), None, now), Err(StartDateError::Format(_))));
        assert!(matches!(window_start(Some("yesterday"), None, now), Err(StartDateError::Format(_))));
        assert!(matches!(window_start(Some("2025-07-01"), None, now), Err(StartDateError::Future(_))));
    }
}
