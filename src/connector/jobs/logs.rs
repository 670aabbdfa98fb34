//! System Log events, polled in persistence order (`since`, ascending, no `until`): the next
//! link is checkpointed page by page, and the last page's next link carries over to the next
//! sync run. Events seen twice are dropped by uuid, remembered for the overlap's time. Under the
//! platform's upper bound (`extract_to`) no event published after it is sent: the poll stops at
//! the page that reaches it, and the next run polls that page again.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;

use super::{JobCtx, JobFail, LogVerdict};
use crate::connector::changes::{self, ChangeSet};
use crate::connector::plan::LogEnd;
use crate::connector::state::{keys, EdgePlan, JobState, LogsPos, LogsWindow, Mode, SeenEvent};
use crate::extract::{logs, sign_ins, ts};
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

/// Extracts (or resumes) the System Log as Okta's polling guidance has it: `since` with
/// `sortOrder=ASCENDING` and no `until`, in persistence order, following next links until a
/// page comes back short. The next link of that last page is kept for the next sync run,
/// which continues from it, so an event persisted late (with an older `published`) is
/// still read, once. uuids of events published within the overlap before the newest one are
/// kept to drop events read twice (a page redone after a resume, a fall-back to `since`).
pub async fn extract(ctx: &JobCtx, st: &mut JobState<LogsPos>) -> Result<(), JobFail> {
    let continues = continues_previous(ctx);
    st.mode = if continues { Mode::Incremental } else { Mode::Full };
    let (mut url, mut poll) = Poll::start(ctx, st, continues)?;
    let page_size: usize = endpoints::logs::PAGE_SIZE.parse().unwrap_or(1000);
    let window_start = endpoints::logs::poll(&ctx.client, &ctx.sync.logs_since);
    let next = loop {
        ctx.check_stop()?;
        let page = match ctx.client.get_page(&url).await {
            // A sync must never get stuck on a cursor: Okta may refuse one it issued (expired,
            // or from before a change on its side). The window's start is polled again; the
            // events already read are dropped by their uuids or sent again, unchanged.
            Err(e) if refused_cursor(&e) && url != window_start => {
                tracing::warn!(error = %e, "Okta refused the saved System Log cursor; polling again from the window's start");
                st.note = "Okta refused the saved System Log cursor; polled again from the window's start".into();
                url = window_start.clone();
                continue;
            }
            r => r?,
        };
        let full = page.items.len() >= page_size;
        let (recs, taken, past_until) = poll.take(&page.items, &ctx.links);
        prune(&mut poll.recent, ctx.overlap);
        ctx.send(st, "system_logs", recs).await?;
        ctx.send(st, "app_sign_ins", sign_ins(ctx, &taken)).await?;
        if past_until {
            // The poll reached the bound: the next run polls this page again for the events
            // past it (those before it are dropped by their uuids or sent again, unchanged).
            break Some(url.to_string());
        }
        match page.next {
            // More pages now: checkpoint the next one, with the uuids it must not repeat.
            Some(next) if full && next != url => {
                st.pos = LogsPos { cursor: Some(next.to_string()), recent: poll.recent.clone() };
                if poll.collecting {
                    save_changes(ctx, &mut poll).await?;
                }
                ctx.save(st).await?;
                url = next;
            }
            // A short page: the end of what is persisted now. Its next link is where the next
            // sync run polls from (an empty page's next link is the same position).
            Some(next) => break Some(next.to_string()),
            None if page.items.is_empty() => break Some(url.to_string()),
            None => break None,
        }
    };
    let other: u64 = poll.changes.other_events.values().sum();
    if other > 0 {
        tracing::info!(events = ?poll.changes.other_events, "events whose changes the listings read (or that change nothing extracted)");
        let kinds = poll.changes.other_events.len();
        let note = format!("{other} events of {kinds} types acted on by the listings, not by the log (see `changes.other_events`)");
        st.note = if st.note.is_empty() { note } else { format!("{}; {note}", st.note) };
    }
    if poll.collecting {
        save_changes(ctx, &mut poll).await?;
    }
    let window = LogsWindow { end: ctx.sync.logs_until.clone(), tail_uuids: Vec::new(), next, recent: poll.recent };
    ctx.sink.checkpoint(keys::LOGS_WINDOW, &window).await?;
    if poll.driving {
        ctx.publish_log_verdict(LogVerdict::of(LogEnd::Read { changes: Box::new(poll.changes), whole: continues }));
    }
    Ok(())
}

/// What one poll of the System Log keeps between its pages.
struct Poll {
    /// uuids already sent (the last window's overlap, this poll's pages).
    seen: HashSet<String>,
    /// Events within the overlap before the newest one, kept for the next poll.
    recent: Vec<SeenEvent>,
    /// What the events ask the jobs the log drives to do.
    changes: ChangeSet,
    /// In a full reading, what the events published before the run started say: their
    /// tombstones still count at the round's end ([`crate::connector::mirror`]).
    before: ChangeSet,
    /// A log-driven run: every event feeds the change set.
    driving: bool,
    /// The change set is kept (a log-driven run, or a full one followed by its catch-up round).
    collecting: bool,
    /// In a full reading, the events from this time on feed its catch-up round.
    catch_up_from: Option<DateTime<Utc>>,
    /// The platform's upper bound (`extract_to`): no event published after it is sent.
    until: Option<DateTime<chrono::FixedOffset>>,
}

impl Poll {
    /// Where the poll starts (the stored cursor, the last run's next link, or the window's
    /// start) and what it carries over. In a log-driven run every event also feeds the change
    /// set, saved with the position; in a run that reads in full, the events since it started
    /// feed the change set of its catch-up round (the changes made while it read).
    fn start(ctx: &JobCtx, st: &JobState<LogsPos>, continues: bool) -> Result<(url::Url, Poll), JobFail> {
        let previous = &ctx.previous_logs;
        let from_previous = if continues { ctx.cursor(previous.next.as_deref()).ok().flatten() } else { None };
        let start = from_previous.unwrap_or_else(|| endpoints::logs::poll(&ctx.client, &ctx.sync.logs_since));
        let url = ctx.cursor(st.pos.cursor.as_deref())?.unwrap_or(start);
        let mut recent: Vec<SeenEvent> = if continues { previous.recent.clone() } else { Vec::new() };
        recent.extend(st.pos.recent.iter().cloned());
        let mut seen: HashSet<String> = recent.iter().map(|e| e.uuid.clone()).collect();
        if continues {
            seen.extend(previous.tail_uuids.iter().cloned());
        }
        let driving = ctx.sync.edges == EdgePlan::Log;
        let catch_up_from = ctx.sync.catch_up_from(ctx.overlap);
        let collecting = driving || catch_up_from.is_some();
        let changes = if collecting { (*ctx.changes).clone() } else { ChangeSet::default() };
        let before = if collecting && !driving { ctx.changes_before.clone() } else { ChangeSet::default() };
        let until = ctx.sync.until.as_deref().and_then(|u| DateTime::parse_from_rfc3339(u).ok());
        Ok((url, Poll { seen, recent, changes, before, driving, collecting, catch_up_from, until }))
    }

    /// The records of a page's events not sent before, those events, and whether the page
    /// reached the bound.
    fn take(&mut self, items: &[Value], links: &crate::extract::AdminLinks) -> (Vec<Value>, Vec<Value>, bool) {
        let mut recs = Vec::new();
        let mut taken = Vec::new();
        let mut past_until = false;
        for e in items {
            let Some(uuid) = e.get("uuid").and_then(Value::as_str) else { continue };
            let published = e.get("published").and_then(Value::as_str).and_then(|p| DateTime::parse_from_rfc3339(p).ok());
            if published.zip(self.until).is_some_and(|(p, u)| p > u) {
                past_until = true;
                continue;
            }
            if !self.seen.insert(uuid.to_string()) {
                continue;
            }
            if let Some(published) = ts(e.get("published")) {
                self.recent.push(SeenEvent { uuid: uuid.to_string(), published });
            }
            recs.extend(logs::log_event(e, links));
            if e.get("eventType").and_then(Value::as_str) == Some(sign_ins::SSO_EVENT) {
                taken.push(e.clone());
            }
            let during_run = self.catch_up_from.is_none_or(|from| published.is_none_or(|p| p.with_timezone(&Utc) >= from));
            if self.driving || (self.collecting && during_run) {
                self.changes.observe(e);
            } else if self.collecting {
                self.before.observe(e);
            }
        }
        (recs, taken, past_until)
    }
}

/// The `app_sign_ins` records of a page's new sign-in events: the latest per app and user, the
/// sign-ins of placeholder users left out. A pair signed in again on a later page is sent again
/// with the later time, so what DevRev holds is the latest the log has shown.
fn sign_ins(ctx: &JobCtx, events: &[Value]) -> Vec<Value> {
    if events.is_empty() || !ctx.wants("app_sign_ins") {
        return Vec::new();
    }
    sign_ins::latest(events).iter().filter(|s| !ctx.is_placeholder(&s.user_id)).filter_map(|s| s.record(&ctx.links)).collect()
}

/// A 400 on a poll that followed a cursor: Okta no longer takes it.
fn refused_cursor(e: &crate::okta::Error) -> bool {
    matches!(e, crate::okta::Error::Api { status: 400, .. } | crate::okta::Error::FilterRejected { .. })
}

/// Saves the change sets, in the job's scope, before the position that covers them. A large
/// one goes to the writer's own artifact when the writer can read it back (an index reader is
/// there), else it must fit the state.
async fn save_changes(ctx: &JobCtx, poll: &mut Poll) -> Result<(), JobFail> {
    let limit = if ctx.index.is_some() { changes::MAX_SPILLED_CHARS } else { changes::MAX_STATE_CHARS };
    poll.changes.keep_within(limit);
    ctx.sink.checkpoint(keys::CHANGES, &poll.changes).await?;
    if !poll.driving {
        poll.before.keep_within(limit);
        ctx.sink.checkpoint(keys::CHANGES_BEFORE, &poll.before).await?;
    }
    Ok(())
}

/// Whether this run continues the last one's poll: its window starts where that one ended
/// (less the overlap), as an incremental run's does, and the last one left a next link.
fn continues_previous(ctx: &JobCtx) -> bool {
    let previous = &ctx.previous_logs;
    let parse = |s: &str| DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc));
    match (previous.next.as_ref(), parse(&previous.end), parse(&ctx.sync.logs_since)) {
        (Some(_), Some(end), Some(since)) => since >= end - ctx.overlap,
        _ => false,
    }
}

/// The most uuids kept for the overlap: about 80 characters each in the state. A burst of
/// changes (a thousand factor resets in a minute) would otherwise fill DevRev's 500 000.
/// Polls go on from Okta's cursor; the uuids only matter when one starts again from `since`.
pub const MAX_RECENT: usize = 1_000;

/// Keeps the events published within `overlap` before the newest one, the newest
/// [`MAX_RECENT`] of them.
fn prune(recent: &mut Vec<SeenEvent>, overlap: Duration) {
    let parse = |s: &str| DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc));
    let Some(newest) = recent.iter().filter_map(|e| parse(&e.published)).max() else { return };
    let from = newest - overlap;
    recent.retain(|e| parse(&e.published).is_some_and(|p| p >= from));
    if recent.len() > MAX_RECENT {
        recent.sort_by(|a, b| a.published.cmp(&b.published));
        recent.drain(..recent.len() - MAX_RECENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_events_keeps_the_newest_uuids_only() {
        let at = |i: usize| format!("2026-11-01T10:{:02}:{:02}.000Z", i / 60 % 60, i % 60);
        let mut recent: Vec<SeenEvent> = (0..1_500).map(|i| SeenEvent { uuid: format!("u{i}"), published: at(i % 300) }).collect();
        prune(&mut recent, Duration::minutes(5));
        assert_eq!(recent.len(), MAX_RECENT);
        assert!(recent.iter().all(|e| e.published >= at(100)), "the oldest go first");
    }

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
