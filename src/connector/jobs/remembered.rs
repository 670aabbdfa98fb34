//! The children of a user read again in a log-driven run (factors, authenticator enrollments):
//! the users the events name, in id order, resuming after the last user done. What a user no
//! longer has, and every child of a user deactivated or deleted, gets its tombstone at the
//! round's end, from the index of what was sent ([`crate::connector::mirror`]).

use std::collections::BTreeSet;

use futures::StreamExt;
use serde_json::Value;

use super::{ChildFuture, JobCtx, JobFail};
use crate::connector::changes::ChangeSet;
use crate::connector::state::{FanPos, JobState, Mode};
use crate::okta;

/// One family of user children read log-driven (factors, authenticator enrollments).
pub struct UserChildren<'a> {
    /// The item type.
    pub item_type: &'static str,
    /// One user's children, as Okta lists them (a 404 `NotFound`: the user is gone).
    pub fetch: &'a (dyn Fn(&str) -> ChildFuture + Sync),
    /// The records of one user's listing.
    pub records: &'a (dyn Fn(&str, &Value) -> Vec<Value> + Sync),
}

/// Reads again the children of the users the events name (not those deactivated or deleted
/// since: Okta's user list, which the full reading walks, leaves deactivated users out).
pub async fn log_driven(ctx: &JobCtx, st: &mut JobState<FanPos>, cs: &ChangeSet, fam: &UserChildren<'_>) -> Result<(), JobFail> {
    st.mode = Mode::LogDriven;
    let deleted = cs.deleted_ids("users");
    let after = st.pos.last_done.clone();
    let users: BTreeSet<&str> = cs
        .factor_users
        .iter()
        .map(String::as_str)
        .filter(|u| !cs.deactivated_users.contains(*u) && !deleted.contains(u) && !ctx.is_placeholder(u))
        .filter(|u| after.as_deref().is_none_or(|a| *u > a))
        .collect();
    let users: Vec<&str> = users.into_iter().collect();
    for chunk in users.chunks(ctx.fanout.max(1)) {
        ctx.check_stop()?;
        let fetches: Vec<ChildFuture> = chunk.iter().map(|u| (fam.fetch)(u)).collect();
        let raws: Vec<Result<Value, okta::Error>> = futures::stream::iter(fetches).buffered(ctx.fanout.max(1)).collect().await;
        for (uid, raw) in chunk.iter().zip(raws) {
            match raw {
                Ok(raw) => {
                    st.children_read += 1;
                    ctx.send(st, fam.item_type, (fam.records)(uid, &raw)).await?;
                }
                // Deleted since the event: none left (the round's end tombstones them).
                Err(okta::Error::NotFound { .. }) => st.parents_gone += 1,
                Err(e) => return Err(e.into()),
            }
        }
        st.pos.last_done = chunk.last().map(|u| u.to_string());
        ctx.save(st).await?;
    }
    Ok(())
}
