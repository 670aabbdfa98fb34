//! Children of a user remembered between syncs (factors, authenticator enrollments), so that
//! what a user no longer has reaches DevRev as a tombstone: Okta's events say that a user's
//! factors changed, not which record went away.
//!
//! A full listing records every child it reads ([`Seen`]); when it and the last complete
//! listing are both whole, what the last one had and this one lacks is gone. A log-driven run
//! compares each re-read user's children with what is remembered for that user
//! ([`gone_for_user`]). Bounded by [`KNOWN_LIMIT`] ids per item type.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::Value;

use super::{JobCtx, JobFail};
use crate::connector::changes::{self, Tombstone};
use crate::connector::state::{FanPos, JobState, Known, KNOWN_LIMIT};

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
