//! One walk of the plain user list per round, shared by the jobs that read it in full: the
//! users job (the records), factors and authenticator enrollments (one call per user each).
//!
//! Each page is fetched once, by whichever of these jobs asks for it first (the others wait
//! for that fetch), and kept, cut down to what a fan-out over users reads ([`Brief`]), until
//! every reader still walking has taken it. The users job lists fast and the per-user jobs
//! follow at the pace of their calls, so the users job's pages wait for them here.
//!
//! Nothing depends on the cache for correctness: each job keeps its own position (saved with
//! its own records, as before), and a page that is not here (evicted, or never shared after a
//! resume left the jobs at different pages) is fetched by the job that wants it. Readers are
//! named when the round starts and leave when their walk ends, so a page no reader will take
//! is dropped. At most [`MAX_KEPT_USERS`] users are kept; past that, pages are fetched by each
//! job on its own, as they were before the walk was shared.

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{json, Value};
use tokio::sync::watch;
use url::Url;

use super::{Batches, JobCtx, JobFail};
use crate::connector::job::Job;
use crate::connector::state::{JobState, UsersPos};
use crate::okta::{self, Page};

/// The most users the cache holds (about 80 bytes each): an org of up to this many users
/// is listed once per round, a larger one by each reader past that point.
pub const MAX_KEPT_USERS: usize = 250_000;

/// The jobs that walk the plain user list in a full reading.
pub const READERS: [Job; 3] = [Job::Users, Job::Factors, Job::AuthenticatorEnrollments];

/// What a fan-out over users reads of a user (its id, its status, its login for a title), in
/// one allocation: `id`, `status` and `login` joined by a unit separator (Okta's ids and
/// statuses never hold one), about 80 bytes a user where three strings took about 170.
#[derive(Debug, Clone)]
struct Brief(Box<str>);

/// Between the fields of a [`Brief`].
const SEP: char = '\u{1f}';

impl Brief {
    fn of(u: &Value) -> Brief {
        let s = |p: &str| u.pointer(p).and_then(Value::as_str).unwrap_or("");
        let login = u.pointer("/profile/login").and_then(Value::as_str);
        let mut b = format!("{}{SEP}{}", s("/id"), s("/status"));
        if let Some(l) = login {
            b.push(SEP);
            b.push_str(l);
        }
        Brief(b.into_boxed_str())
    }

    fn to_value(&self) -> Value {
        let mut parts = self.0.splitn(3, SEP);
        let (id, status, login) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next());
        match login {
            Some(l) => json!({"id": id, "status": status, "profile": {"login": l}}),
            None => json!({"id": id, "status": status}),
        }
    }
}

/// A fetched page: whole while the users job may still take it, else cut down.
struct Kept {
    full: Option<Arc<Vec<Value>>>,
    brief: Vec<Brief>,
    next: Option<Url>,
}

/// One page of the list, by the URL it was fetched at, in the order pages were first asked for.
struct Slot {
    seq: u64,
    url: String,
    /// `None` while its fetch is under way.
    page: Option<Kept>,
    /// The readers that took it.
    taken: BTreeSet<Job>,
}

#[derive(Default)]
struct Inner {
    /// Readers still walking.
    readers: BTreeSet<Job>,
    slots: VecDeque<Slot>,
    next_seq: u64,
    kept_users: usize,
}

/// The round's shared pages of the plain user list (see the module).
pub struct UserPages {
    inner: Mutex<Inner>,
    /// Bumped whenever a fetch ends, so jobs waiting for it look again.
    changed: watch::Sender<u64>,
}

impl Default for UserPages {
    fn default() -> Self {
        UserPages::new([])
    }
}

/// What a job does for a page, decided under the lock.
enum Step {
    Take(Page),
    Wait(watch::Receiver<u64>),
    /// Fetch it; `Some(seq)`: into that slot, for the others too.
    Fetch(Option<u64>),
}

impl UserPages {
    /// The pages of a round whose `readers` may walk the plain user list (the others never
    /// hold a page back).
    pub fn new(readers: impl IntoIterator<Item = Job>) -> Self {
        let readers = readers.into_iter().filter(|j| READERS.contains(j)).collect();
        UserPages { inner: Mutex::new(Inner { readers, next_seq: 1, ..Inner::default() }), changed: watch::channel(0).0 }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The page of the plain user list at `url`, for `ctx.job`: taken from another job's fetch,
    /// or fetched (through the job's own client, so the call is counted as its own).
    pub async fn page(&self, ctx: &JobCtx, url: &Url) -> Result<Page, JobFail> {
        loop {
            let step = self.lock().step(ctx.job, url.as_str(), &self.changed);
            match step {
                Step::Take(p) => return Ok(p),
                Step::Wait(mut rx) => {
                    tokio::select! {
                        r = rx.changed() => r.map_err(|_| JobFail::Stop)?,
                        _ = ctx.stop.cancelled() => return Err(JobFail::Stop),
                    }
                }
                Step::Fetch(None) => return Ok(ctx.client.get_page(url).await?),
                Step::Fetch(Some(seq)) => {
                    let filling = Filling { pages: self, job: ctx.job, seq, open: true };
                    let r = ctx.client.get_page(url).await;
                    filling.end(r.as_ref().ok());
                    return Ok(r?);
                }
            }
        }
    }

    fn fill(&self, job: Job, seq: u64, page: Option<&Page>) {
        self.lock().filled(job, seq, page);
        self.changed.send_modify(|n| *n += 1);
    }

    /// `job` walks the plain user list no more in this round: it holds no page back.
    pub fn leave(&self, job: Job) {
        let mut inner = self.lock();
        if inner.readers.remove(&job) {
            inner.evict();
        }
    }
}

/// A fetch into a slot: however it ends (dropped too), the jobs waiting for it look again.
struct Filling<'a> {
    pages: &'a UserPages,
    job: Job,
    seq: u64,
    open: bool,
}

impl Filling<'_> {
    fn end(mut self, page: Option<&Page>) {
        self.open = false;
        self.pages.fill(self.job, self.seq, page);
    }
}

impl Drop for Filling<'_> {
    fn drop(&mut self) {
        if self.open {
            self.pages.fill(self.job, self.seq, None);
        }
    }
}

impl Inner {
    fn step(&mut self, job: Job, url: &str, changed: &watch::Sender<u64>) -> Step {
        let Some(i) = self.slots.iter().position(|s| s.url == url) else {
            if self.kept_users >= MAX_KEPT_USERS {
                return Step::Fetch(None);
            }
            let seq = self.next_seq;
            self.next_seq += 1;
            self.slots.push_back(Slot { seq, url: url.to_string(), page: None, taken: BTreeSet::new() });
            return Step::Fetch(Some(seq));
        };
        let Some(slot) = self.slots.get(i) else { return Step::Fetch(None) };
        let page = match &slot.page {
            None => return Step::Wait(changed.subscribe()),
            Some(k) if job == Job::Users => match &k.full {
                Some(full) => Page { items: full.to_vec(), next: k.next.clone() },
                // Only the cut-down form is left: the users job reads the page itself.
                None => return Step::Fetch(None),
            },
            Some(k) => Page { items: k.brief.iter().map(Brief::to_value).collect(), next: k.next.clone() },
        };
        self.took(job, i);
        Step::Take(page)
    }

    /// The fetch into slot `seq` by `job` ended: the page is kept for the others (a failed
    /// fetch leaves nothing: whoever waits fetches it again, and meets its own error).
    fn filled(&mut self, job: Job, seq: u64, page: Option<&Page>) {
        let Some(i) = self.slots.iter().position(|s| s.seq == seq) else { return };
        let Some(page) = page else {
            self.slots.remove(i);
            return;
        };
        let brief: Vec<Brief> = page.items.iter().map(Brief::of).collect();
        self.kept_users += brief.len();
        let full = (job != Job::Users).then(|| Arc::new(page.items.clone()));
        if let Some(s) = self.slots.get_mut(i) {
            s.page = Some(Kept { full, brief, next: page.next.clone() });
        }
        self.took(job, i);
    }

    fn took(&mut self, job: Job, i: usize) {
        if let Some(s) = self.slots.get_mut(i) {
            s.taken.insert(job);
        }
        self.evict();
    }

    /// Drops what every reader has taken (the whole page once the users job has). A reader
    /// resumed past a page another one fetched never takes it: that page stays until the
    /// reader's walk ends.
    fn evict(&mut self) {
        let mut dropped = 0;
        let readers = &self.readers;
        self.slots.retain_mut(|s| {
            let Some(k) = &mut s.page else { return true };
            if !readers.contains(&Job::Users) || s.taken.contains(&Job::Users) {
                k.full = None;
            }
            let keep = !readers.is_subset(&s.taken);
            if !keep {
                dropped += k.brief.len();
            }
            keep
        });
        self.kept_users = self.kept_users.saturating_sub(dropped);
    }
}

/// As [`walk_list`](super::walk_list), for the users job's plain pass: the pages come from
/// the round's shared walk ([`UserPages`]).
pub async fn walk_plain(
    ctx: &JobCtx,
    st: &mut JobState<UsersPos>,
    start: Url,
    mut on_page: impl FnMut(&mut JobState<UsersPos>, Vec<Value>) -> Batches + Send,
) -> Result<(), JobFail> {
    let mut url = ctx.cursor(st.pos.cursor.as_deref())?.unwrap_or(start);
    let mut seen = HashSet::new();
    loop {
        ctx.check_stop()?;
        if !seen.insert(url.to_string()) {
            return Err(okta::Error::CursorLoop { endpoint: format!("GET {}", url.path()) }.into());
        }
        let page = ctx.user_pages.page(ctx, &url).await?;
        for (t, recs) in on_page(st, page.items) {
            ctx.send(st, t, recs).await?;
        }
        st.pos.cursor = page.next.as_ref().map(Url::to_string);
        let Some(next) = page.next else { return Ok(()) };
        ctx.save(st).await?;
        url = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(ids: &[&str], next: Option<&str>) -> Page {
        Page {
            items: ids
                .iter()
                .map(|i| json!({"id": i, "status": "ACTIVE", "profile": {"login": format!("{i}@x"), "city": "Paris"}}))
                .collect(),
            next: next.map(|n| Url::parse(n).unwrap()),
        }
    }

    fn take(inner: &mut Inner, job: Job, url: &str) -> Option<Page> {
        match inner.step(job, url, &watch::channel(0).0) {
            Step::Take(p) => Some(p),
            _ => None,
        }
    }

    #[test]
    fn a_brief_gives_back_the_id_status_and_login_it_keeps() {
        let u = json!({"id": "00u1", "status": "ACTIVE", "profile": {"login": "ada+x@acme.com", "email": "dropped"}});
        assert_eq!(Brief::of(&u).to_value(), json!({"id": "00u1", "status": "ACTIVE", "profile": {"login": "ada+x@acme.com"}}));
        let bare = json!({"id": "00u2", "status": "STAGED"});
        assert_eq!(Brief::of(&bare).to_value(), bare);
    }

    #[test]
    fn a_page_is_kept_cut_down_until_every_reader_took_it() {
        let pages = UserPages::new(READERS);
        let mut inner = pages.lock();
        assert!(matches!(inner.step(Job::Users, "http://o/1", &pages.changed), Step::Fetch(Some(1))));
        assert!(matches!(inner.step(Job::Factors, "http://o/1", &pages.changed), Step::Wait(_)));
        inner.filled(Job::Users, 1, Some(&page(&["u1", "u2"], Some("http://o/2"))));
        let p = take(&mut inner, Job::Factors, "http://o/1").unwrap();
        assert_eq!(p.items[0], json!({"id": "u1", "status": "ACTIVE", "profile": {"login": "u1@x"}}));
        assert_eq!(p.next.unwrap().as_str(), "http://o/2");
        assert_eq!(inner.slots.len(), 1, "enrollments has not taken it yet");
        assert!(take(&mut inner, Job::AuthenticatorEnrollments, "http://o/1").is_some());
        assert!(inner.slots.is_empty());
        assert_eq!(inner.kept_users, 0);
    }

    #[test]
    fn the_users_job_gets_the_whole_page_another_job_fetched_and_a_reader_that_leaves_holds_nothing_back() {
        let pages = UserPages::new([Job::Users, Job::Factors]);
        let mut inner = pages.lock();
        assert!(matches!(inner.step(Job::Factors, "http://o/1", &pages.changed), Step::Fetch(Some(1))));
        inner.filled(Job::Factors, 1, Some(&page(&["u1"], None)));
        let p = take(&mut inner, Job::Users, "http://o/1").unwrap();
        assert_eq!(p.items[0]["profile"]["city"], "Paris");
        assert!(inner.slots.is_empty());
        assert!(matches!(inner.step(Job::Users, "http://o/2", &pages.changed), Step::Fetch(Some(2))));
        inner.filled(Job::Users, 2, Some(&page(&["u2"], None)));
        assert_eq!(inner.slots.len(), 1);
        drop(inner);
        pages.leave(Job::Factors);
        assert!(pages.lock().slots.is_empty());
    }

    #[test]
    fn a_failed_fetch_leaves_nothing_and_no_reader_means_nothing_kept() {
        let pages = UserPages::new([Job::Users, Job::Factors]);
        let mut inner = pages.lock();
        assert!(matches!(inner.step(Job::Users, "http://o/1", &pages.changed), Step::Fetch(Some(1))));
        inner.filled(Job::Users, 1, None);
        assert!(inner.slots.is_empty());
        let none = UserPages::new([Job::Groups]);
        let mut inner = none.lock();
        assert!(matches!(inner.step(Job::Factors, "http://o/1", &none.changed), Step::Fetch(Some(1))));
        inner.filled(Job::Factors, 1, Some(&page(&["u1"], None)));
        assert!(inner.slots.is_empty());
    }
}
