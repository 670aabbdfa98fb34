//! Extraction jobs: each lists one part of the org and sends records and checkpoints.
//!
//! A job resumes from its [`JobState`] and checkpoints after every page (or every finished
//! child of a fan-out), so a resume repeats at most the page that was in flight.

pub mod apps;
pub mod devices;
pub mod factors;
pub mod groups;
pub mod logs;
pub mod policies;
pub mod roles;
pub mod users;

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use futures::future::BoxFuture;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::state::{keys, JobState, RunState};
use crate::airsync::extractor::Sink;
use crate::extract::AdminLinks;
use crate::okta::{self, EndRule, OktaClient, Pager};

/// Why a job stopped before finishing.
#[derive(Debug, Clone, PartialEq)]
pub enum JobFail {
    /// The invocation is ending (deadline, SIGTERM, size guard, another job's failure).
    Stop,
    /// Rate limited for this many seconds.
    Delayed(u64),
    /// The whole job is skipped, with the reason.
    Skip(String),
    /// The token is invalid.
    Token(String),
    /// 404 on a list: the org or the feature is not there.
    NotFound(String),
    /// 400 on a filter or search: the caller may fall back to a full listing.
    FilterRejected(String),
    /// Anything else; the message names the entity and endpoint.
    Fatal(String),
}

/// Maps a client error for `entity`.
pub fn fail_of(entity: &str, e: okta::Error) -> JobFail {
    use okta::Error as E;
    match e {
        E::DeadlineReached { .. } => JobFail::Stop,
        E::RateLimited { wait_secs, .. } => JobFail::Delayed(wait_secs),
        E::PermissionDenied { .. } => JobFail::Skip(format!("missing permission: {e}")),
        E::InvalidToken { .. } => JobFail::Token(e.to_string()),
        E::NotFound { .. } => JobFail::NotFound(format!("{entity}: {e}; check that the Okta subdomain names your org")),
        E::FilterRejected { .. } => JobFail::FilterRejected(format!("{entity}: {e}")),
        other => JobFail::Fatal(format!("{entity}: {other}")),
    }
}

/// Everything a job needs.
#[derive(Clone)]
pub struct JobCtx {
    /// The job's name (also its state key suffix and client label).
    pub name: &'static str,
    /// The client, labeled with the job name and bound to the deadline.
    pub client: OktaClient,
    /// Records and checkpoints go here.
    pub sink: Sink,
    /// Cancelled when the invocation must end.
    pub stop: CancellationToken,
    /// The run's settings.
    pub run: RunState,
    /// Admin-console links.
    pub links: AdminLinks,
    /// Children fetched at once in a fan-out.
    pub fanout: usize,
    /// Placeholder users whose edges are dropped.
    pub shadow: Arc<RwLock<HashSet<String>>>,
    /// Becomes true once the users job is over (done or skipped).
    pub users_ready: watch::Receiver<bool>,
    /// Calls made by this job before this invocation.
    pub calls_before: u64,
}

impl JobCtx {
    /// Returns `Stop` once the invocation must end.
    pub fn check_stop(&self) -> Result<(), JobFail> {
        if self.stop.is_cancelled() {
            Err(JobFail::Stop)
        } else {
            Ok(())
        }
    }

    /// Sends records and counts them.
    pub async fn push(&self, st: &mut JobState, item_type: &str, records: Vec<Value>) -> Result<(), JobFail> {
        if records.is_empty() {
            return Ok(());
        }
        *st.records.entry(item_type.to_string()).or_default() += records.len() as u64;
        self.sink.push(item_type, records).await.map_err(|_| JobFail::Stop)
    }

    /// Checkpoints the job state.
    pub async fn save(&self, st: &mut JobState) -> Result<(), JobFail> {
        st.api_calls = self.calls_before + self.client.calls_for(self.name);
        let v = serde_json::to_value(&*st).unwrap_or(Value::Null);
        self.sink.checkpoint(&format!("{}{}", keys::JOB_PREFIX, self.name), v).await.map_err(|_| JobFail::Stop)
    }

    /// Whether a user id is a known placeholder.
    pub fn is_shadow_id(&self, id: &str) -> bool {
        self.shadow.read().map(|s| s.contains(id)).unwrap_or(false)
    }

    /// Waits until the users job is over, so the placeholder set is complete.
    pub async fn wait_for_users(&self) -> Result<(), JobFail> {
        let mut rx = self.users_ready.clone();
        tokio::select! {
            r = rx.wait_for(|ready| *ready) => r.map(|_| ()).map_err(|_| JobFail::Stop),
            _ = self.stop.cancelled() => Err(JobFail::Stop),
        }
    }

    /// An API URL.
    pub fn url(&self, path: &str, query: &[(&str, &str)]) -> Url {
        self.client.url(path, query)
    }

    /// Parses a stored cursor, refusing any other origin.
    pub fn cursor(&self, raw: Option<&str>) -> Result<Option<Url>, JobFail> {
        let Some(raw) = raw else { return Ok(None) };
        let u = Url::parse(raw).map_err(|_| JobFail::Fatal(format!("{}: stored cursor is not a URL", self.name)))?;
        self.client.check_origin(&u, "stored cursor").map_err(|e| fail_of(self.name, e))?;
        Ok(Some(u))
    }
}

/// Fetches every page of a (child) list and sends the records `to_record` makes of each page
/// as it arrives, so a large child list is never held whole. Returns how many were sent.
///
/// Used from fan-out fetches: a parent's records are all sent before its checkpoint (the
/// fan-out completes children in order), so a resume repeats only the children in flight.
pub async fn send_pages(
    client: &OktaClient,
    url: Url,
    sink: &Sink,
    item_type: &str,
    to_record: impl Fn(Value) -> Option<Value>,
) -> Result<Option<u64>, okta::Error> {
    let mut pager = Pager::new(client.clone(), url, EndRule::NoNext);
    let mut sent = 0u64;
    while let Some(page) = pager.next_page().await? {
        let recs: Vec<Value> = page.items.into_iter().filter_map(&to_record).collect();
        sent += recs.len() as u64;
        if sink.push(item_type, recs).await.is_err() {
            return Ok(None);
        }
    }
    Ok(Some(sent))
}

/// Where a fan-out over parent pages stands.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct FanPos {
    /// The parent page being worked on (`None` = the first page).
    pub page: Option<String>,
    /// The next parent (index in the page) whose children are still to be fetched.
    pub index: usize,
    /// Whether this page's parent records were already sent.
    pub pushed: bool,
}

/// A child fetch: the raw children of one parent (or an error).
pub type ChildFuture = BoxFuture<'static, Result<Value, okta::Error>>;

/// The job-specific parts of a fan-out.
pub trait FanOut: Send + Sync {
    /// Records for a page of parents (sent once per page).
    fn parents(&self, st: &mut JobState, parents: &[Value]) -> Vec<(&'static str, Vec<Value>)>;
    /// Whether this parent has children worth fetching.
    fn wants_children(&self, parent: &Value) -> bool;
    /// Fetches one parent's children.
    fn fetch(&self, parent: &Value) -> ChildFuture;
    /// Turns one parent's children into records (called in parent order).
    fn children(&self, st: &mut JobState, parent: &Value, raw: Value) -> Vec<(&'static str, Vec<Value>)>;

    /// As [`FanOut::children`], a chunk at a time, so a huge parent's records are never all
    /// in memory at once. The default yields `children` in one go.
    fn child_chunks<'a>(
        &'a self,
        st: &mut JobState,
        parent: &'a Value,
        raw: Value,
    ) -> Box<dyn Iterator<Item = (&'static str, Vec<Value>)> + Send + 'a> {
        Box::new(self.children(st, parent, raw).into_iter())
    }
}

/// Walks parent pages from `st.pos` and fetches children with bounded parallelism, in order,
/// checkpointing after each parent. Returns when the last page is done.
pub async fn fan_out(ctx: &JobCtx, st: &mut JobState, start: Url, f: &dyn FanOut) -> Result<(), JobFail> {
    loop {
        let pos: FanPos = serde_json::from_value(st.pos.clone()).unwrap_or_default();
        let url = ctx.cursor(pos.page.as_deref())?.unwrap_or_else(|| start.clone());
        ctx.check_stop()?;
        let page = ctx.client.get_page(&url).await.map_err(|e| fail_of(ctx.name, e))?;
        if !pos.pushed {
            for (t, recs) in f.parents(st, &page.items) {
                ctx.push(st, t, recs).await?;
            }
            st.pos = serde_json::to_value(FanPos { page: Some(url.to_string()), index: pos.index, pushed: true }).unwrap_or_default();
            ctx.save(st).await?;
        }
        let todo: Vec<(usize, Value)> = page.items.iter().cloned().enumerate().skip(pos.index).collect();
        let mut stream = futures::stream::iter(todo.into_iter().map(|(i, p)| {
            let fut = f.wants_children(&p).then(|| f.fetch(&p));
            async move {
                match fut {
                    Some(fut) => (i, p, Some(fut.await)),
                    None => (i, p, None),
                }
            }
        }))
        .buffered(ctx.fanout.max(1));
        while let Some((i, parent, raw)) = stream.next().await {
            ctx.check_stop()?;
            if let Some(raw) = raw {
                let raw = raw.map_err(|e| fail_of(ctx.name, e))?;
                for (t, recs) in f.child_chunks(st, &parent, raw) {
                    ctx.push(st, t, recs).await?;
                }
            }
            st.pos = serde_json::to_value(FanPos { page: Some(url.to_string()), index: i + 1, pushed: true }).unwrap_or_default();
            ctx.save(st).await?;
        }
        drop(stream);
        match page.next {
            Some(next) => {
                st.pos = serde_json::to_value(FanPos { page: Some(next.to_string()), index: 0, pushed: false }).unwrap_or_default();
                ctx.save(st).await?;
            }
            None => return Ok(()),
        }
    }
}

/// Walks a plain list from `cursor` (or `start`), sending each page's records and
/// checkpointing the next cursor under `st.pos[pos_key]`.
pub async fn walk_list(
    ctx: &JobCtx,
    st: &mut JobState,
    start: Url,
    mut on_page: impl FnMut(&mut JobState, Vec<Value>) -> Vec<(&'static str, Vec<Value>)> + Send,
) -> Result<(), JobFail> {
    let cursor = ctx.cursor(st.pos.get("cursor").and_then(Value::as_str))?;
    let mut pager = Pager::new(ctx.client.clone(), cursor.unwrap_or(start), EndRule::NoNext);
    loop {
        ctx.check_stop()?;
        let Some(page) = pager.next_page().await.map_err(|e| fail_of(ctx.name, e))? else { return Ok(()) };
        for (t, recs) in on_page(st, page.items) {
            ctx.push(st, t, recs).await?;
        }
        set_cursor(st, pager.cursor().map(Url::as_str));
        if pager.cursor().is_none() {
            return Ok(());
        }
        ctx.save(st).await?;
    }
}

/// Sets `pos.cursor` (keeping other position fields).
pub fn set_cursor(st: &mut JobState, cursor: Option<&str>) {
    if !st.pos.is_object() {
        st.pos = serde_json::json!({});
    }
    st.pos["cursor"] = cursor.map_or(Value::Null, |c| Value::String(c.to_string()));
}

/// `filter`/`search` timestamp literal.
pub fn since_clause(field: &str, since: &str) -> String {
    format!("{field} gt \"{since}\"")
}

/// Starts a pass of an entity with incremental support: returns the lower bound of an
/// incremental listing, or `None` for a full one, and records the mode.
pub fn pass_since(ctx: &JobCtx, st: &mut JobState) -> Option<String> {
    let since = ctx.run.since.clone().filter(|_| st.mode != "full");
    st.mode = if since.is_some() { "incremental" } else { "full" }.into();
    since
}

/// Ends a pass: a rejected incremental filter switches the entity to a full listing for this
/// run (`None`: run the pass again); anything else is the pass's result.
pub fn fall_back(entity: &str, st: &mut JobState, incremental: bool, r: Result<(), JobFail>) -> Option<Result<(), JobFail>> {
    match r {
        Err(JobFail::FilterRejected(m)) if incremental => {
            tracing::warn!(entity, reason = %m, "incremental filter rejected; falling back to full sync");
            st.note = "incremental filter rejected: falling back to full sync".into();
            st.mode = "full".into();
            st.pos = serde_json::json!({});
            None
        }
        other => Some(other),
    }
}
