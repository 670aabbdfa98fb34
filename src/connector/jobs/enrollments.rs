//! Identity Engine authenticator enrollments: one call per user, like factors (Okta has no bulk
//! endpoint), over the plain user list with bounded parallelism, resuming by user id.
//! Placeholder and deprovisioned users are skipped.
//!
//! The family has its own gating: a Classic Engine org or a missing licence (E0000015), or a
//! path the org does not know (404 E0000008), skips the job as not licensed or not available;
//! a user deleted since the listing (any other 404) is skipped alone and counted.
//!
//! After the first sync the System Log drives it as it drives factors: only the users whose
//! factors or authenticators an event names are read again.

use std::collections::BTreeSet;

use futures::{FutureExt, StreamExt};
use serde_json::{json, Value};

use super::remembered::{gone_for_user, Seen};
use super::{fan_out, Batches, ChildFuture, EdgeRead, FanOut, JobCtx, JobFail, SkipReason};
use crate::connector::state::{FanPos, JobState, Mode};
use crate::extract::coverage;
use crate::okta::coverage::enrollments;
use crate::okta::{self, endpoints};

const TYPE: &str = "authenticator_enrollments";

struct Enrollments<'a> {
    ctx: &'a JobCtx,
    /// Enrollments listed in this run.
    seen: Seen,
}

impl FanOut<FanPos> for Enrollments<'_> {
    fn parents(&self, _st: &mut JobState<FanPos>, _parents: &[Value]) -> Batches {
        Vec::new()
    }

    fn wants_children(&self, u: &Value) -> bool {
        super::user_has_children(self.ctx, u)
    }

    fn fetch(&self, u: &Value) -> ChildFuture {
        fetch(self.ctx, super::id_of(u))
    }

    fn children(&self, _st: &mut JobState<FanPos>, u: &Value, raw: Value) -> Batches {
        let recs = records(self.ctx, u, &raw);
        self.seen.note(&recs);
        vec![(TYPE, recs)]
    }
}

/// One user's enrollments as a JSON array. A 404 naming an unknown path (the family is not
/// available) is turned into a plain 404 answer so the fan-out does not take it for a user
/// gone; [`extract`] turns it into a skip.
fn fetch(ctx: &JobCtx, uid: &str) -> ChildFuture {
    let client = ctx.client.clone();
    let uid = uid.to_string();
    async move {
        match enrollments::fetch(&client, &uid).await {
            Ok(es) => Ok(Value::Array(es)),
            Err(okta::Error::NotFound { endpoint, code, summary }) if code == enrollments::PATH_NOT_FOUND => {
                Err(okta::Error::Api { endpoint, status: 404, code, summary })
            }
            Err(e) => Err(e),
        }
    }
    .boxed()
}

fn records(ctx: &JobCtx, user: &Value, raw: &Value) -> Vec<Value> {
    raw.as_array().into_iter().flatten().filter_map(|e| coverage::authenticator_enrollment(user, e, &ctx.links)).collect()
}

/// Whether an error means the org offers no authenticator enrollments.
fn unavailable(e: &okta::Error) -> bool {
    matches!(e, okta::Error::Api { status: 404, code, .. } if code == enrollments::PATH_NOT_FOUND)
}

/// Extracts (or resumes) the authenticator enrollments.
pub async fn extract(ctx: &JobCtx, st: &mut JobState<FanPos>) -> Result<(), JobFail> {
    let r = match ctx.edge_read().await? {
        EdgeRead::Log(cs) => {
            st.mode = Mode::LogDriven;
            let dropped: BTreeSet<&str> =
                cs.deleted_ids("users").into_iter().chain(cs.deactivated_users.iter().map(String::as_str)).collect();
            let users: Vec<&str> =
                cs.factor_users.iter().map(String::as_str).filter(|u| !dropped.contains(u) && !ctx.is_placeholder(u)).collect();
            log_driven(ctx, st, &users).await
        }
        EdgeRead::Full(mode, note) => {
            st.mode = mode;
            if !note.is_empty() {
                st.note = note;
            }
            let start = endpoints::users::list(&ctx.client, None);
            // A listing resumed in a later invocation cannot tell what it listed before.
            let e = Enrollments { ctx, seen: Seen::new(TYPE, st.pos == FanPos::default()) };
            fan_out(ctx, st, start, |p| p, &e).await?;
            e.seen.finish(ctx, st).await
        }
    };
    match r {
        Err(JobFail::Okta(e)) if unavailable(&e) => Err(JobFail::Skip(SkipReason::NotAvailable(e))),
        other => other,
    }
}

/// Reads again the enrollments of the users the events name, in id order, resuming after the
/// last user done.
async fn log_driven(ctx: &JobCtx, st: &mut JobState<FanPos>, users: &[&str]) -> Result<(), JobFail> {
    let mut known = ctx.known(TYPE);
    let after = st.pos.last_done.clone();
    let todo: Vec<&str> = users.iter().copied().filter(|u| after.as_deref().is_none_or(|a| *u > a)).collect();
    for chunk in todo.chunks(ctx.fanout.max(1)) {
        ctx.check_stop()?;
        let fetches: Vec<ChildFuture> = chunk.iter().map(|u| fetch(ctx, u)).collect();
        let raws: Vec<Result<Value, okta::Error>> = futures::stream::iter(fetches).buffered(ctx.fanout.max(1)).collect().await;
        let mut gone = Vec::new();
        for (uid, raw) in chunk.iter().zip(raws) {
            let recs = match raw {
                Ok(raw) => {
                    st.children_read += 1;
                    records(ctx, &json!({"id": uid}), &raw)
                }
                // Deleted since the event: none left.
                Err(e) if enrollments::user_gone(&e) => {
                    st.parents_gone += 1;
                    Vec::new()
                }
                Err(e) => return Err(e.into()),
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
