//! MFA factors: one call per user, unavoidably (Okta has no bulk endpoint), over the plain user
//! list (which already leaves out deactivated users) with bounded parallelism under the
//! client's pacing. Placeholder users are skipped. The list's pages are the round's one walk
//! of it ([`user_walk`](super::user_walk)), shared with the users job and enrollments.
//!
//! After the first sync the System Log drives them: only the users whose factors an event
//! names are read again ([`remembered::log_driven`](super::remembered::log_driven)). Factors
//! that are gone (reset, or their user deactivated or deleted) get their tombstones at the
//! round's end, from the index of what was sent ([`crate::connector::mirror`]).

use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::Value;
use url::Url;

use super::remembered::{log_driven, UserChildren};
use super::{fan_out, Batches, ChildFuture, EdgeRead, FanOut, JobCtx, JobFail};
use crate::connector::state::{FanPos, JobState, Mode};
use crate::extract::factors;
use crate::okta::{endpoints, Page};

const TYPE: &str = "factors";

struct Factors<'a> {
    ctx: &'a JobCtx,
}

impl FanOut<FanPos> for Factors<'_> {
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
        let id = u.get("id").and_then(Value::as_str).unwrap_or("");
        fetch(self.ctx, id)
    }

    fn children(&self, _st: &mut JobState<FanPos>, u: &Value, raw: Value) -> Batches {
        let uid = u.get("id").and_then(Value::as_str).unwrap_or("");
        vec![(TYPE, records(self.ctx, uid, &raw))]
    }
}

fn fetch(ctx: &JobCtx, uid: &str) -> ChildFuture {
    let url = endpoints::users::factors(&ctx.client, uid);
    let client = ctx.client.clone();
    async move { client.get(&url?).await.map(|r| r.body) }.boxed()
}

fn records(ctx: &JobCtx, uid: &str, raw: &Value) -> Vec<Value> {
    raw.as_array().into_iter().flatten().filter_map(|f| factors::factor(uid, f, &ctx.links)).collect()
}

/// Extracts (or resumes) the factors.
pub async fn extract(ctx: &JobCtx, st: &mut JobState<FanPos>) -> Result<(), JobFail> {
    let read = match ctx.edge_read().await? {
        EdgeRead::Log(cs) if cs.factor_types_changed => {
            EdgeRead::Full(Mode::Full, "a factor type was enabled or disabled org-wide: every user's factors read again".into())
        }
        r => r,
    };
    match read {
        EdgeRead::Log(cs) => {
            ctx.user_pages.leave(ctx.job);
            let fetch = |u: &str| fetch(ctx, u);
            let records = |u: &str, raw: &Value| records(ctx, u, raw);
            log_driven(ctx, st, &cs, &UserChildren { item_type: TYPE, fetch: &fetch, records: &records }).await
        }
        EdgeRead::Full(mode, note) => {
            st.mode = mode;
            if !note.is_empty() {
                st.note = note;
            }
            let start = endpoints::users::list(&ctx.client, None);
            fan_out(ctx, st, start, |p| p, &Factors { ctx }).await
        }
    }
}
