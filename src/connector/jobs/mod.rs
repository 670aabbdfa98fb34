//! Extraction jobs: each lists one part of the org and sends records and checkpoints.
//!
//! A job resumes from its [`JobState`] and checkpoints after every page (or every finished
//! child of a fan-out), so a resume repeats at most the page that was in flight.

pub(crate) mod apps;
pub(crate) mod auth_servers;
pub(crate) mod devices;
pub(crate) mod enrollments;
pub mod factors;
pub(crate) mod group_rules;
pub(crate) mod groups;
pub(crate) mod logs;
pub(crate) mod policies;
pub(crate) mod policies_logged;
pub(crate) mod remembered;
pub(crate) mod role_targets;
pub(crate) mod roles;
pub(crate) mod sign_in_config;
pub mod user_walk;
pub(crate) mod users;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, RwLock};

use futures::future::BoxFuture;
use futures::StreamExt;
use serde_json::Value;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::changes::{ChangeSet, Tombstone};
use super::job::Job;
use super::state::{EdgePlan, FanPos, JobState, LogsWindow, Mode, Position, SyncRun};
use super::Error;
use crate::airsync::extractor::{ExtractionScope, Sink, SinkClosed};
use crate::extract::AdminLinks;
use crate::okta::{self, endpoints, EndRule, OktaClient, Pager};

/// Why a job stopped before finishing.
#[derive(Debug)]
pub enum JobFail {
    /// The invocation is ending (deadline, SIGTERM, size guard, another job's failure).
    Stop,
    /// The whole job is skipped, with the reason.
    Skip(SkipReason),
    /// An Okta call failed in a way the job cannot work around.
    Okta(okta::Error),
    /// The job's saved state is damaged.
    Broken(Error),
}

/// Why a job (or one item type) is skipped while the sync goes on.
#[derive(Debug)]
pub enum SkipReason {
    /// 403: the token's admin lacks the permission.
    Forbidden(okta::Error),
    /// The org does not have this feature (404 on its list).
    NotAvailable(okta::Error),
    /// 401 E0000015, or a 401 while the token check still passes: the org or the token is
    /// not licensed for this feature. The token itself is fine.
    NotLicensed(okta::Error),
}

impl SkipReason {
    /// The kind the state keeps.
    pub fn kind(&self) -> super::state::SkipKind {
        use super::state::SkipKind;
        match self {
            SkipReason::Forbidden(_) => SkipKind::Forbidden,
            SkipReason::NotAvailable(_) => SkipKind::NotAvailable,
            SkipReason::NotLicensed(_) => SkipKind::NotLicensed,
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::Forbidden(e) => write!(f, "missing permission: {e}"),
            SkipReason::NotAvailable(e) => write!(f, "not available in this org: {e}"),
            SkipReason::NotLicensed(e) => write!(f, "not licensed: {}", e.explain()),
        }
    }
}

impl From<okta::Error> for JobFail {
    fn from(e: okta::Error) -> Self {
        match e {
            okta::Error::DeadlineReached { .. } => JobFail::Stop,
            _ if e.feature_unavailable() => JobFail::Skip(SkipReason::NotLicensed(e)),
            okta::Error::PermissionDenied { .. } => JobFail::Skip(SkipReason::Forbidden(e)),
            other => JobFail::Okta(other),
        }
    }
}

impl From<SinkClosed> for JobFail {
    fn from(_: SinkClosed) -> Self {
        JobFail::Stop
    }
}

/// What the System Log job found for the jobs it drives.
#[derive(Debug, Clone)]
pub enum LogVerdict {
    /// The events since the last sync, read completely.
    Changes(Arc<ChangeSet>),
    /// The log cannot drive this run, for this reason.
    Fallback(String),
}

/// How a log-driven job reads in this run.
#[derive(Debug, Clone)]
pub enum EdgeRead {
    /// Everything, with the job's mode and note (a first sync, a reconciliation, a fallback).
    Full(Mode, String),
    /// Only what these events name.
    Log(Arc<ChangeSet>),
}

/// Everything a job needs.
#[derive(Clone)]
pub struct JobCtx {
    /// The job.
    pub job: Job,
    /// The client, labeled with the job name and bound to the deadline.
    pub client: OktaClient,
    /// Records and checkpoints go here.
    pub sink: Sink,
    /// Cancelled when the invocation must end.
    pub stop: CancellationToken,
    /// The sync run's settings.
    pub sync: SyncRun,
    /// Admin-console links.
    pub links: AdminLinks,
    /// Children fetched at once in a fan-out.
    pub fanout: usize,
    /// Placeholder users whose edges are dropped.
    pub placeholders: Arc<RwLock<HashSet<String>>>,
    /// Becomes true once the users job is over (done or skipped).
    pub users_ready: watch::Receiver<bool>,
    /// Calls made by this job before this invocation (in this round of the sync run).
    pub calls_before: u64,
    /// Calls of this job the invocation's client had already counted when this round began
    /// (an earlier round of the same invocation), not this round's.
    pub calls_counted: u64,
    /// The System Log window the last sync run left.
    pub previous_logs: LogsWindow,
    /// Overlap subtracted from watermarks.
    pub overlap: chrono::Duration,
    /// The item types the user chose: calls that only excluded types need are not made, and
    /// records of excluded types are never sent.
    pub scope: ExtractionScope,
    /// Becomes `Some` once the System Log job has read the events since the last sync (or
    /// cannot).
    pub logs_ready: watch::Receiver<Option<LogVerdict>>,
    /// The change set saved so far in this sync run (the System Log job continues it).
    pub changes: Arc<ChangeSet>,
    /// Where the System Log job publishes its verdict.
    pub logs_tx: Arc<watch::Sender<Option<LogVerdict>>>,
    /// What the System Log said before this full reading's run started, saved so far.
    pub changes_before: ChangeSet,
    /// Reads the index of what was sent back (`None` outside the data phase's runtime).
    pub index: Option<Arc<crate::airsync::index::Reader>>,
    /// The round's one walk of the plain user list, shared by the jobs that read it in full.
    pub user_pages: Arc<user_walk::UserPages>,
}

impl JobCtx {
    /// Waits for the System Log job's verdict.
    pub async fn wait_for_logs(&self) -> Result<LogVerdict, JobFail> {
        let mut rx = self.logs_ready.clone();
        tokio::select! {
            r = rx.wait_for(Option::is_some) => r.map(|v| v.clone()).map_err(|_| JobFail::Stop)?.ok_or(JobFail::Stop),
            _ = self.stop.cancelled() => Err(JobFail::Stop),
        }
    }

    /// Tells the jobs the System Log drives what it found, unless an earlier verdict stands
    /// (the saved change set could not be read back, say).
    pub fn publish_log_verdict(&self, verdict: LogVerdict) {
        self.logs_tx.send_if_modified(|v| {
            let first = v.is_none();
            if first {
                *v = Some(verdict);
            }
            first
        });
    }

    /// How the entities the System Log drives are read in this run (waits for the log's
    /// verdict in a log-driven run).
    pub async fn edge_read(&self) -> Result<EdgeRead, JobFail> {
        Ok(match &self.sync.edges {
            EdgePlan::Full => EdgeRead::Full(Mode::Full, String::new()),
            EdgePlan::Reconcile => EdgeRead::Full(Mode::Full, "full reconciliation of the edges".into()),
            EdgePlan::Fallback(why) => EdgeRead::Full(Mode::Fallback, format!("fallback: {why}")),
            EdgePlan::Log => match self.wait_for_logs().await? {
                LogVerdict::Changes(cs) => EdgeRead::Log(cs),
                // A catch-up round never reads in full again: what it cannot tell from the log
                // is read by the next sync (its edges are reconciled, see `sync`).
                LogVerdict::Fallback(why) if self.sync.catch_up => {
                    tracing::warn!(entity = self.job.name(), %why, "the catch-up round cannot follow the System Log; the next sync reads these edges in full");
                    EdgeRead::Log(Arc::new(ChangeSet::default()))
                }
                LogVerdict::Fallback(why) => EdgeRead::Full(Mode::Fallback, format!("fallback: {why}")),
            },
        })
    }

    /// The events of a log-driven run (`None` in any other run), for jobs that only add
    /// tombstones to their own reading.
    pub async fn logged_changes(&self) -> Result<Option<Arc<ChangeSet>>, JobFail> {
        if self.sync.edges != EdgePlan::Log {
            return Ok(None);
        }
        match self.wait_for_logs().await? {
            LogVerdict::Changes(cs) => Ok(Some(cs)),
            LogVerdict::Fallback(_) => Ok(None),
        }
    }

    /// In a run the System Log was to drive, a log that could not (denied, too many changes)
    /// tells no deletion: an entity listed only by what changed is listed again whole, so the
    /// round's end can tell what is gone ([`crate::connector::mirror`]). True when the job must
    /// list again (its mode is now `Full`, its note says why).
    pub async fn relist_whole<P: Position>(&self, st: &mut JobState<P>) -> Result<bool, JobFail> {
        if self.sync.edges != EdgePlan::Log || st.mode != Mode::Incremental {
            return Ok(false);
        }
        let LogVerdict::Fallback(why) = self.wait_for_logs().await? else { return Ok(false) };
        tracing::info!(entity = self.job.name(), %why, "the System Log cannot tell what was deleted; listing again in full");
        st.mode = Mode::Full;
        st.note = format!("listed in full: the System Log could not tell deletions ({why})");
        self.save(st).await?;
        Ok(true)
    }

    /// Sends tombstones (those of item types the user left out are dropped) and counts them.
    pub async fn send_tombstones<'a, P>(
        &self,
        st: &mut JobState<P>,
        tombstones: impl IntoIterator<Item = &'a Tombstone>,
    ) -> Result<(), JobFail> {
        let mut by_type: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for t in tombstones {
            if let Some(r) = t.to_record() {
                by_type.entry(t.item_type.clone()).or_default().push(r);
            }
        }
        for (t, recs) in by_type {
            if !self.wants(&t) {
                continue;
            }
            *st.tombstones.entry(t.clone()).or_default() += recs.len() as u64;
            self.send(st, &t, recs).await?;
        }
        Ok(())
    }

    /// Returns `Stop` once the invocation must end.
    pub fn check_stop(&self) -> Result<(), JobFail> {
        if self.stop.is_cancelled() {
            Err(JobFail::Stop)
        } else {
            Ok(())
        }
    }

    /// Whether the user chose this item type.
    pub fn wants(&self, item_type: &str) -> bool {
        self.scope.wants(item_type)
    }

    /// Sends records and counts them (records of an item type the user left out are dropped).
    pub async fn send<P>(&self, st: &mut JobState<P>, item_type: &str, records: Vec<Value>) -> Result<(), JobFail> {
        if records.is_empty() || !self.wants(item_type) {
            return Ok(());
        }
        *st.records.entry(item_type.to_string()).or_default() += records.len() as u64;
        Ok(self.sink.push(item_type, records).await?)
    }

    /// Checkpoints the job state.
    pub async fn save<P: Position>(&self, st: &mut JobState<P>) -> Result<(), JobFail> {
        st.api_calls = self.calls_before + self.client.calls_for(self.job.name()).saturating_sub(self.calls_counted);
        Ok(self.sink.checkpoint(&self.sync.job_key(self.job), &*st).await?)
    }

    /// Whether a user id is a known placeholder.
    pub fn is_placeholder(&self, id: &str) -> bool {
        self.placeholders.read().map(|s| s.contains(id)).unwrap_or(false)
    }

    /// Waits until the users job is over, so the placeholder set is complete.
    pub async fn wait_for_users(&self) -> Result<(), JobFail> {
        let mut rx = self.users_ready.clone();
        tokio::select! {
            r = rx.wait_for(|ready| *ready) => r.map(|_| ()).map_err(|_| JobFail::Stop),
            _ = self.stop.cancelled() => Err(JobFail::Stop),
        }
    }

    /// Parses a stored cursor, refusing any other origin.
    pub fn cursor(&self, raw: Option<&str>) -> Result<Option<Url>, JobFail> {
        let Some(raw) = raw else { return Ok(None) };
        let u = Url::parse(raw).map_err(|_| JobFail::Broken(Error::BadCursor { job: self.job.name() }))?;
        self.client.check_origin(&u, "stored cursor")?;
        Ok(Some(u))
    }
}

/// Fetches every page of a (child) list and sends the records `to_record` makes of each page
/// as it arrives, so a large child list is never held whole. Returns how many were sent
/// (`None`: the writer stopped).
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

/// As [`send_pages`], for a JSON-array list whose elements are read straight into `T` (only
/// the fields the records need), page by page.
pub async fn send_pages_as<T: serde::de::DeserializeOwned>(
    client: &OktaClient,
    url: Url,
    sink: &Sink,
    item_type: &'static str,
    to_record: impl Fn(T) -> Option<Value>,
) -> Result<Option<u64>, okta::Error> {
    let mut sent = 0u64;
    let pushed = okta::paging::each_page_as(client, url, to_record, |recs: Vec<Value>| {
        sent += recs.len() as u64;
        let sink = sink.clone();
        async move { recs.is_empty() || sink.push(item_type, recs).await.is_ok() }
    })
    .await?;
    Ok(pushed.then_some(sent))
}

/// Records of some item types, each with its list.
pub type Batches = Vec<(&'static str, Vec<Value>)>;

/// A child fetch: the raw children of one parent (or an error).
pub type ChildFuture = BoxFuture<'static, Result<Value, okta::Error>>;

/// The job-specific parts of a fan-out.
pub trait FanOut<P>: Send + Sync {
    /// Records for a page of parents (sent once per page).
    fn parents(&self, st: &mut JobState<P>, parents: &[Value]) -> Batches;
    /// Whether this parent has children worth fetching.
    fn wants_children(&self, parent: &Value) -> bool;
    /// Fetches one parent's children.
    fn fetch(&self, parent: &Value) -> ChildFuture;
    /// Turns one parent's children into records (called in parent order).
    fn children(&self, st: &mut JobState<P>, parent: &Value, raw: Value) -> Batches;
    /// Fetches one page of parents: straight from Okta, unless the fan-out reads pages another
    /// job also walks ([`user_walk`]).
    fn parent_page<'a>(&'a self, ctx: &'a JobCtx, url: &'a Url) -> BoxFuture<'a, Result<okta::Page, JobFail>> {
        Box::pin(async move { Ok(ctx.client.get_page(url).await?) })
    }
}

/// Whether a listed user can have factors or enrollments: not a placeholder, not
/// deprovisioned (Okta keeps none for them).
pub fn user_has_children(ctx: &JobCtx, u: &Value) -> bool {
    let status = u.get("status").and_then(Value::as_str).unwrap_or("");
    !crate::extract::users::is_shadow(u) && status != "DEPROVISIONED" && !ctx.is_placeholder(id_of(u))
}

/// The id of a parent (`""` when it has none).
pub fn id_of(v: &Value) -> &str {
    v.get("id").and_then(Value::as_str).unwrap_or("")
}

/// Walks parent pages from the fan-out position `at(&mut st.pos)` and fetches children with
/// bounded parallelism, in order, checkpointing after each parent (by id). Returns when the
/// last page is done.
///
/// On resume the page at the stored cursor is fetched again: the parents up to and including
/// the last finished one are skipped, and the records of the others are sent again (a parent
/// may have moved into this page since). If the last finished parent is gone from the page
/// (deleted, deactivated), the whole page is done again: duplicates, never losses.
pub async fn fan_out<P: Position>(
    ctx: &JobCtx,
    st: &mut JobState<P>,
    start: Url,
    at: fn(&mut P) -> &mut FanPos,
    f: &dyn FanOut<P>,
) -> Result<(), JobFail> {
    loop {
        let pos = at(&mut st.pos).clone();
        let url = ctx.cursor(pos.page.as_deref())?.unwrap_or_else(|| start.clone());
        let cursor = Some(url.to_string());
        ctx.check_stop()?;
        let page = f.parent_page(ctx, &url).await?;
        let skip = resume_after(ctx, &page.items, pos.last_done.as_deref());
        let todo: Vec<Value> = page.items.get(skip..).unwrap_or_default().to_vec();
        // A fresh page sends all its parents; a page fetched again sends those still to do.
        let to_push: &[Value] = if pos.pushed { &todo } else { &page.items };
        if !pos.pushed || !to_push.is_empty() {
            for (t, recs) in f.parents(st, to_push) {
                ctx.send(st, t, recs).await?;
            }
            *at(&mut st.pos) = FanPos { page: cursor.clone(), last_done: pos.last_done.clone(), pushed: true };
            ctx.save(st).await?;
        }
        let mut stream = futures::stream::iter(todo.into_iter().map(|p| {
            let fut = f.wants_children(&p).then(|| f.fetch(&p));
            async move {
                match fut {
                    Some(fut) => (p, Some(fut.await)),
                    None => (p, None),
                }
            }
        }))
        .buffered(ctx.fanout.max(1));
        while let Some((parent, raw)) = stream.next().await {
            ctx.check_stop()?;
            if let Some(raw) = raw {
                take_children(ctx, st, f, &parent, raw).await?;
            }
            *at(&mut st.pos) = FanPos { page: cursor.clone(), last_done: Some(id_of(&parent).to_string()), pushed: true };
            ctx.save(st).await?;
        }
        drop(stream);
        match page.next {
            Some(next) => {
                *at(&mut st.pos) = FanPos { page: Some(next.to_string()), last_done: None, pushed: false };
                ctx.save(st).await?;
            }
            None => return Ok(()),
        }
    }
}

/// Where a page fetched again resumes: after the last finished parent, or from its start when
/// that parent left the page since.
fn resume_after(ctx: &JobCtx, items: &[Value], last_done: Option<&str>) -> usize {
    match last_done {
        None => 0,
        Some(last) => match items.iter().position(|p| id_of(p) == last) {
            Some(k) => k + 1,
            None => {
                tracing::info!(entity = ctx.job.name(), "the last finished parent left its page since; doing the page again");
                0
            }
        },
    }
}

/// Sends one parent's children; a parent deleted since its page was listed (404), or whose
/// children alone the token may not read (403 while others' were read), is skipped and counted.
async fn take_children<P: Position>(
    ctx: &JobCtx,
    st: &mut JobState<P>,
    f: &dyn FanOut<P>,
    parent: &Value,
    raw: Result<Value, okta::Error>,
) -> Result<(), JobFail> {
    match raw {
        Ok(raw) => {
            st.children_read += 1;
            for (t, recs) in f.children(st, parent, raw) {
                ctx.send(st, t, recs).await?;
            }
        }
        // The parent was deleted after its page was listed: its children are gone too.
        Err(e @ okta::Error::NotFound { .. }) => {
            tracing::info!(entity = ctx.job.name(), endpoint = e.endpoint(), "parent gone mid-run; skipping it");
            st.parents_gone += 1;
        }
        // Forbidden on this parent while others' children were read: this parent's
        // children are out of the token's reach, not the whole kind.
        Err(e @ okta::Error::PermissionDenied { .. }) if st.children_read > 0 => {
            tracing::warn!(entity = ctx.job.name(), endpoint = e.endpoint(), "children of one parent forbidden; skipping that parent");
            st.parents_forbidden += 1;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Walks a plain list from the cursor `at(&mut st.pos)` (or `start`), sending each page's
/// records and checkpointing the next cursor.
pub async fn walk_list<P: Position>(
    ctx: &JobCtx,
    st: &mut JobState<P>,
    start: Url,
    at: fn(&mut P) -> &mut Option<String>,
    mut on_page: impl FnMut(&mut JobState<P>, Vec<Value>) -> Batches + Send,
) -> Result<(), JobFail> {
    let cursor = ctx.cursor(at(&mut st.pos).as_deref())?;
    let mut pager = Pager::new(ctx.client.clone(), cursor.unwrap_or(start), EndRule::NoNext);
    loop {
        ctx.check_stop()?;
        let Some(page) = pager.next_page().await? else { return Ok(()) };
        for (t, recs) in on_page(st, page.items) {
            ctx.send(st, t, recs).await?;
        }
        *at(&mut st.pos) = pager.cursor().map(Url::to_string);
        if pager.cursor().is_none() {
            return Ok(());
        }
        ctx.save(st).await?;
    }
}

/// `filter`/`search` clause: `field` after `since` and, under the platform's upper bound
/// (`extract_to`, see `connector::time_scope`), before `until`.
pub fn since_clause(field: &str, since: &str, until: Option<&str>) -> String {
    match until {
        Some(u) => format!("({field} gt \"{since}\" and {field} lt \"{u}\")"),
        None => format!("{field} gt \"{since}\""),
    }
}

/// Starts a pass of an entity with incremental support: returns the lower bound of an
/// incremental listing, or `None` for a full one, and records the mode.
pub fn pass_since<P>(ctx: &JobCtx, st: &mut JobState<P>) -> Option<String> {
    let since = ctx.sync.since.clone().filter(|_| st.mode != Mode::Full);
    st.mode = if since.is_some() { Mode::Incremental } else { Mode::Full };
    since
}

/// Ends a pass: a rejected incremental filter switches the entity to a full listing for this
/// run (`None`: run the pass again); anything else is the pass's result.
pub fn fall_back<P: Position>(
    ctx: &JobCtx,
    st: &mut JobState<P>,
    incremental: bool,
    r: Result<(), JobFail>,
) -> Option<Result<(), JobFail>> {
    match r {
        Err(JobFail::Okta(e @ okta::Error::FilterRejected { .. })) if incremental => {
            tracing::warn!(entity = ctx.job.name(), reason = %e, "incremental filter rejected; falling back to full sync");
            st.note = "incremental filter rejected: falling back to full sync".into();
            st.mode = Mode::Full;
            st.pos = P::default();
            None
        }
        other => Some(other),
    }
}

/// A 401 away from the credential check: if the check (`/users/me`, or `/org` for a service
/// app) still answers, the credential is fine and the feature is not licensed for this org or
/// credential (skip the entity); otherwise the credential is bad.
pub async fn token_or_licence(ctx: &JobCtx, e: okta::Error) -> JobFail {
    if endpoints::users::on_credential_check(&ctx.client, &e) {
        return JobFail::Okta(e);
    }
    match endpoints::users::check_credential(&ctx.client).await {
        Ok(_) => JobFail::Skip(SkipReason::NotLicensed(e)),
        Err(_) => JobFail::Okta(e),
    }
}
