//! MFA factors: one call per user, unavoidably (Okta has no bulk endpoint), over the plain user
//! list (which already leaves out deactivated users) with bounded parallelism under the
//! client's pacing. Placeholder users are skipped.
//!
//! After the first sync the System Log drives them: only the users whose factors an event
//! names are read again. Factors that are gone (reset, or their user deactivated or deleted)
//! are sent as tombstones from the ids remembered from the last reading (bounded by
//! [`KNOWN_LIMIT`](crate::connector::state::KNOWN_LIMIT)).

use std::collections::BTreeSet;

use futures::{FutureExt, StreamExt};
use serde_json::Value;

use super::remembered::{gone_for_user, Seen};
use super::{fan_out, Batches, ChildFuture, EdgeRead, FanOut, JobCtx, JobFail};
use crate::connector::changes::ChangeSet;
use crate::connector::state::{FanPos, JobState, Mode};
use crate::extract::access;
use crate::okta::{self, endpoints};

const TYPE: &str = "factors";

struct Factors<'a> {
    ctx: &'a JobCtx,
    /// Factors listed in this run.
    seen: Seen,
}

impl FanOut<FanPos> for Factors<'_> {
    fn parents(&self, _st: &mut JobState<FanPos>, _parents: &[Value]) -> Batches {
        Vec::new()
    }

    fn wants_children(&self, u: &Value) -> bool {
        super::user_has_children(self.ctx, u)
    }

    fn fetch(&self, u: &Value) -> ChildFuture {
        let id = u.get("id").and_then(Value::as_str).unwrap_or("");
        fetch(self.ctx, id)
    }

    fn children(&self, _st: &mut JobState<FanPos>, u: &Value, raw: Value) -> Batches {
        let uid = u.get("id").and_then(Value::as_str).unwrap_or("");
        let recs = records(self.ctx, uid, &raw);
        self.seen.note(&recs);
        vec![(TYPE, recs)]
    }
}

fn fetch(ctx: &JobCtx, uid: &str) -> ChildFuture {
    let url = endpoints::users::factors(&ctx.client, uid);
    let client = ctx.client.clone();
    async move { client.get(&url).await.map(|r| r.body) }.boxed()
}

fn records(ctx: &JobCtx, uid: &str, raw: &Value) -> Vec<Value> {
    raw.as_array().into_iter().flatten().filter_map(|f| access::factor(uid, f, &ctx.links)).collect()
}

/// Extracts (or resumes) the factors.
pub async fn extract(ctx: &JobCtx, st: &mut JobState<FanPos>) -> Result<(), JobFail> {
    match ctx.edge_read().await? {
        EdgeRead::Log(cs) => log_driven(ctx, st, &cs).await,
        EdgeRead::Full(mode, note) => {
            st.mode = mode;
            if !note.is_empty() {
                st.note = note;
            }
            // A listing resumed in a later invocation cannot tell what it listed before.
            let f = Factors { ctx, seen: Seen::new(TYPE, st.pos == FanPos::default()) };
            let start = endpoints::users::list(&ctx.client, None);
            fan_out(ctx, st, start, |p| p, &f).await?;
            f.seen.finish(ctx, st).await
        }
    }
}

/// Reads again the factors of the users the events name; tombstones the remembered factors
/// of users that lost them.
async fn log_driven(ctx: &JobCtx, st: &mut JobState<FanPos>, cs: &ChangeSet) -> Result<(), JobFail> {
    st.mode = Mode::LogDriven;
    let mut known = ctx.known(TYPE);
    let deleted = cs.deleted_ids("users");
    // Users whose factors are no longer listed: deleted or deactivated.
    let dropped: BTreeSet<&str> = deleted.iter().copied().chain(cs.deactivated_users.iter().map(String::as_str)).collect();
    let reread: BTreeSet<&str> =
        cs.factor_users.iter().map(String::as_str).filter(|u| !dropped.contains(u) && !ctx.is_placeholder(u)).collect();
    let after = st.pos.last_done.clone();
    let todo: Vec<&str> = reread.union(&dropped).copied().filter(|u| after.as_deref().is_none_or(|a| *u > a)).collect();
    for chunk in todo.chunks(ctx.fanout.max(1)) {
        ctx.check_stop()?;
        let fetches: Vec<futures::future::BoxFuture<'static, Option<Result<Value, okta::Error>>>> = chunk
            .iter()
            .map(|u| match reread.contains(u) {
                true => fetch(ctx, u).map(Some).boxed(),
                false => futures::future::ready(None).boxed(),
            })
            .collect();
        let raws: Vec<Option<Result<Value, okta::Error>>> = futures::stream::iter(fetches).buffered(ctx.fanout.max(1)).collect().await;
        let mut gone = Vec::new();
        for (uid, raw) in chunk.iter().zip(raws) {
            let recs = match raw {
                Some(Ok(raw)) => {
                    st.children_read += 1;
                    records(ctx, uid, &raw)
                }
                // Deleted since the event: none left.
                Some(Err(okta::Error::NotFound { .. })) => {
                    st.parents_gone += 1;
                    Vec::new()
                }
                Some(Err(e)) => return Err(e.into()),
                None => Vec::new(),
            };
            gone.extend(gone_for_user(&mut known, TYPE, uid, &recs, &ctx.sync.sync_started));
            ctx.send(st, TYPE, recs).await?;
        }
        ctx.send_tombstones(st, &gone).await?;
        if known.complete {
            ctx.save_known(TYPE, &known).await?;
        }
        st.pos.last_done = chunk.last().map(|u| u.to_string());
        ctx.save(st).await?;
    }
    Ok(())
}
