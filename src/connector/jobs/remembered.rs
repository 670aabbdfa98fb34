//! Children of a user remembered between syncs (factors, authenticator enrollments), so that
//! what a user no longer has reaches DevRev as a tombstone: Okta's events say that a user's
//! factors changed, not which record went away.
//!
//! A full listing records every child it reads ([`Seen`]); when it and the last complete
//! listing are both whole, what the last one had and this one lacks is gone. A log-driven run
//! compares each re-read user's children with what is remembered for that user
//! ([`gone_for_user`]). Bounded by [`KNOWN_LIMIT`] ids per item type.
//!
//! [`log_driven`] is the one log-driven reading of such a family: it reads again the users
//! the events name, and tombstones every child of a user deactivated or deleted, whether
//! remembered or, where memory is incomplete (past the limit, or a listing that spanned
//! invocations), as Okta still lists them for a deactivated user.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use futures::{FutureExt, StreamExt};
use serde_json::Value;

use super::{ChildFuture, JobCtx, JobFail};
use crate::connector::changes::{self, ChangeSet, Tombstone};
use crate::connector::state::{FanPos, JobState, Known, Mode, KNOWN_LIMIT};
use crate::okta;

/// The remembered fields per record id.
type Ids = BTreeMap<String, BTreeMap<String, String>>;

/// Children a full listing read in this run (`None` past the limit, or when the listing began
/// in an earlier invocation and cannot tell what it read then).
pub struct Seen {
    item_type: &'static str,
    ids: Mutex<Option<Ids>>,
}

impl Seen {
    /// Starts recording, if the listing starts now (a resumed one cannot be whole).
    pub fn new(item_type: &'static str, fresh: bool) -> Self {
        Seen { item_type, ids: Mutex::new(fresh.then(BTreeMap::new)) }
    }

    /// Records the children just read.
    pub fn note(&self, recs: &[Value]) {
        if let Ok(mut seen) = self.ids.lock() {
            if let Some(m) = seen.as_mut() {
                m.extend(recs.iter().filter_map(|r| changes::remembered(self.item_type, r)));
                if m.len() > KNOWN_LIMIT {
                    *seen = None;
                }
            }
        }
    }

    /// Ends a full listing: tombstones what the last complete listing had and this one lacks,
    /// and remembers this one.
    pub async fn finish(self, ctx: &JobCtx, st: &mut JobState<FanPos>) -> Result<(), JobFail> {
        let item_type = self.item_type;
        let now = match self.ids.into_inner().ok().flatten() {
            Some(ids) => Known { complete: true, ids },
            None => Known::default(),
        };
        let before = ctx.known(item_type);
        if before.complete && now.complete {
            let gone: Vec<Tombstone> = before
                .ids
                .iter()
                .filter(|(id, _)| !now.ids.contains_key(*id))
                .map(|(id, fields)| changes::from_memory(item_type, id, fields, &ctx.sync.sync_started))
                .collect();
            ctx.send_tombstones(st, &gone).await?;
        }
        ctx.save_known(item_type, &now).await
    }
}

/// Compares one re-read user's children (`recs`) with what `known` remembers for that user:
/// returns the tombstones of those gone, and remembers the new set.
pub fn gone_for_user(known: &mut Known, item_type: &str, uid: &str, recs: &[Value], at: &str) -> Vec<Tombstone> {
    let now: Ids = recs.iter().filter_map(|r| changes::remembered(item_type, r)).collect();
    let before: Vec<String> =
        known.ids.iter().filter(|(_, f)| f.get("user_id").map(String::as_str) == Some(uid)).map(|(id, _)| id.clone()).collect();
    let mut gone = Vec::new();
    for id in before {
        if !now.contains_key(&id) {
            if let Some(fields) = known.ids.remove(&id) {
                gone.push(changes::from_memory(item_type, &id, &fields, at));
            }
        }
    }
    known.ids.extend(now);
    if known.ids.len() > KNOWN_LIMIT {
        *known = Known::default();
    }
    gone
}

/// One family of user children read log-driven (factors, authenticator enrollments).
pub struct UserChildren<'a> {
    /// The item type.
    pub item_type: &'static str,
    /// One user's children, as Okta lists them (a 404 `NotFound`: the user is gone).
    pub fetch: &'a (dyn Fn(&str) -> ChildFuture + Sync),
    /// The records of one user's listing.
    pub records: &'a (dyn Fn(&str, &Value) -> Vec<Value> + Sync),
}

/// What a log-driven run does with one user.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Todo {
    /// Read the children again: send them, tombstone what is remembered and no longer listed.
    Reread,
    /// Deactivated: all its children go; list them where memory cannot tell them.
    Deactivated,
    /// Deleted: all its remembered children go (the user's own tombstone stands for the rest).
    Deleted,
}

/// Reads again, in id order and resuming after the last user done, the children of the users
/// the events name, and tombstones the children of users deactivated or deleted since the last
/// reading (a deactivated user's children are not records: the full listing walks the plain
/// user list, which leaves deactivated users out).
pub async fn log_driven(ctx: &JobCtx, st: &mut JobState<FanPos>, cs: &ChangeSet, fam: &UserChildren<'_>) -> Result<(), JobFail> {
    st.mode = Mode::LogDriven;
    let mut known = ctx.known(fam.item_type);
    // Memory that was whole and overflows in this run is saved as no longer whole.
    let was_complete = known.complete;
    let mut todo: BTreeMap<&str, Todo> = BTreeMap::new();
    // Later kinds win: a user deactivated after an event names its factors is deactivated,
    // and a deleted one is deleted.
    let kinds = [
        (cs.factor_users.iter().map(String::as_str).collect::<Vec<_>>(), Todo::Reread),
        (cs.deactivated_users.iter().map(String::as_str).collect(), Todo::Deactivated),
        (cs.deleted_ids("users").into_iter().collect(), Todo::Deleted),
    ];
    for (ids, t) in kinds {
        todo.extend(ids.into_iter().filter(|u| !ctx.is_placeholder(u)).map(|u| (u, t)));
    }
    let after = st.pos.last_done.clone();
    let todo: Vec<(&str, Todo)> = todo.into_iter().filter(|(u, _)| after.as_deref().is_none_or(|a| *u > a)).collect();
    for chunk in todo.chunks(ctx.fanout.max(1)) {
        ctx.check_stop()?;
        // Memory tells a deactivated user's children only while it is whole.
        let list = |t: Todo| t == Todo::Reread || (t == Todo::Deactivated && !known.complete);
        let fetches: Vec<futures::future::BoxFuture<'static, Option<Result<Value, okta::Error>>>> = chunk
            .iter()
            .map(|(u, t)| match list(*t) {
                true => (fam.fetch)(u).map(Some).boxed(),
                false => futures::future::ready(None).boxed(),
            })
            .collect();
        let raws: Vec<Option<Result<Value, okta::Error>>> = futures::stream::iter(fetches).buffered(ctx.fanout.max(1)).collect().await;
        let mut gone = Vec::new();
        for ((uid, t), raw) in chunk.iter().zip(raws) {
            // Memory that overflowed earlier in this chunk no longer tells this user's children.
            let raw = match raw {
                None if *t == Todo::Deactivated && !known.complete => Some((fam.fetch)(uid).await),
                raw => raw,
            };
            let listed = match raw {
                Some(Ok(raw)) => {
                    st.children_read += 1;
                    (fam.records)(uid, &raw)
                }
                // Deleted since the event: none left.
                Some(Err(okta::Error::NotFound { .. })) => {
                    st.parents_gone += 1;
                    Vec::new()
                }
                Some(Err(e)) => return Err(e.into()),
                None => Vec::new(),
            };
            let at = &ctx.sync.sync_started;
            if *t == Todo::Reread {
                gone.extend(gone_for_user(&mut known, fam.item_type, uid, &listed, at));
                ctx.send(st, fam.item_type, listed).await?;
                continue;
            }
            let mut lost = gone_for_user(&mut known, fam.item_type, uid, &[], at);
            let told: BTreeSet<String> = lost.iter().map(|t| t.id.clone()).collect();
            lost.extend(
                listed
                    .iter()
                    .filter_map(|r| changes::remembered(fam.item_type, r))
                    .filter(|(id, _)| !told.contains(id))
                    .map(|(id, fields)| changes::from_memory(fam.item_type, &id, &fields, at)),
            );
            gone.extend(lost);
        }
        ctx.send_tombstones(st, &gone).await?;
        if known.complete || was_complete {
            ctx.save_known(fam.item_type, &known).await?;
        }
        st.pos.last_done = chunk.last().map(|(u, _)| u.to_string());
        ctx.save(st).await?;
    }
    Ok(())
}
