//! Identity Engine authenticator enrollments: one call per user, like factors (Okta has no bulk
//! endpoint), over the plain user list with bounded parallelism, resuming by user id; the
//! list's pages are the round's one walk of it ([`user_walk`](super::user_walk)).
//! Placeholder and deprovisioned users are skipped.
//!
//! The family has its own gating: a Classic Engine org or a missing licence (E0000015), or a
//! path the org does not know (404 E0000008), skips the job as not licensed or not available;
//! a user deleted since the listing (any other 404) is skipped alone and counted.
//!
//! After the first sync the System Log drives it as it drives factors: only the users whose
//! factors, authenticators, email or profile an event names are read again
//! ([`remembered::log_driven`](super::remembered::log_driven)); what is gone gets its
//! tombstone at the round's end ([`crate::connector::mirror`]).

use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::{json, Value};
use url::Url;

use super::remembered::{log_driven, UserChildren};
use super::{fan_out, Batches, ChildFuture, EdgeRead, FanOut, JobCtx, JobFail, SkipReason};
use crate::connector::state::{FanPos, JobState};
use crate::extract::factors;
use crate::okta::endpoints::enrollments;
use crate::okta::{self, endpoints, Page};

const TYPE: &str = "authenticator_enrollments";

struct Enrollments<'a> {
    ctx: &'a JobCtx,
}

impl FanOut<FanPos> for Enrollments<'_> {
    fn parent_page<'a>(&'a self, ctx: &'a JobCtx, url: &'a Url) -> BoxFuture<'a, Result<Page, JobFail>> {
        ctx.user_pages.page(ctx, url).boxed()
    }

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
        vec![(TYPE, records(self.ctx, u, &raw))]
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
    raw.as_array().into_iter().flatten().filter_map(|e| factors::authenticator_enrollment(user, e, &ctx.links)).collect()
}

/// Whether an error means the org offers no authenticator enrollments.
fn unavailable(e: &okta::Error) -> bool {
    matches!(e, okta::Error::Api { status: 404, code, .. } if code == enrollments::PATH_NOT_FOUND)
}

/// Extracts (or resumes) the authenticator enrollments.
pub async fn extract(ctx: &JobCtx, st: &mut JobState<FanPos>) -> Result<(), JobFail> {
    let r = match ctx.edge_read().await? {
        EdgeRead::Log(cs) => {
            ctx.user_pages.leave(ctx.job);
            // An enrollment shows the user's email: a profile or email change reads it again.
            let mut cs = (*cs).clone();
            let more: Vec<String> = cs.enrollment_users.iter().filter(|u| !cs.deactivated_users.contains(*u)).cloned().collect();
            cs.factor_users.extend(more);
            let fetch = |u: &str| fetch(ctx, u);
            let records = |u: &str, raw: &Value| records(ctx, &json!({"id": u}), raw);
            log_driven(ctx, st, &cs, &UserChildren { item_type: TYPE, fetch: &fetch, records: &records }).await
        }
        EdgeRead::Full(mode, note) => {
            st.mode = mode;
            if !note.is_empty() {
                st.note = note;
            }
            let start = endpoints::users::list(&ctx.client, None);
            fan_out(ctx, st, start, |p| p, &Enrollments { ctx }).await
        }
    };
    match r {
        Err(JobFail::Okta(e)) if unavailable(&e) => Err(JobFail::Skip(SkipReason::NotAvailable(e))),
        other => other,
    }
}
