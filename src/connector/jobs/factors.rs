//! MFA factors: one call per user, unavoidably (Okta has no bulk endpoint), over the plain user
//! list (which already leaves out deactivated users) with bounded parallelism under the
//! client's pacing. Placeholder users are skipped.

use futures::FutureExt;
use serde_json::Value;

use super::{fan_out, Batches, ChildFuture, FanOut, JobCtx, JobFail};
use crate::connector::state::{FanPos, JobState, Mode};
use crate::extract::{access, identity};
use crate::okta::endpoints;

struct Factors<'a> {
    ctx: &'a JobCtx,
}

impl FanOut<FanPos> for Factors<'_> {
    fn parents(&self, _st: &mut JobState<FanPos>, _parents: &[Value]) -> Batches {
        Vec::new()
    }

    fn wants_children(&self, u: &Value) -> bool {
        let status = u.get("status").and_then(Value::as_str).unwrap_or("");
        !identity::is_shadow(u) && status != "DEPROVISIONED" && !self.ctx.is_placeholder(u.get("id").and_then(Value::as_str).unwrap_or(""))
    }

    fn fetch(&self, u: &Value) -> ChildFuture {
        let id = u.get("id").and_then(Value::as_str).unwrap_or("");
        let url = endpoints::users::factors(&self.ctx.client, id);
        let client = self.ctx.client.clone();
        async move { client.get(&url).await.map(|r| r.body) }.boxed()
    }

    fn children(&self, _st: &mut JobState<FanPos>, u: &Value, raw: Value) -> Batches {
        let uid = u.get("id").and_then(Value::as_str).unwrap_or("");
        vec![("factors", raw.as_array().into_iter().flatten().filter_map(|f| access::factor(uid, f, &self.ctx.links)).collect())]
    }
}

/// Extracts (or resumes) the factors.
pub async fn extract(ctx: &JobCtx, st: &mut JobState<FanPos>) -> Result<(), JobFail> {
    st.mode = Mode::Full;
    let start = endpoints::users::list(&ctx.client, None);
    fan_out(ctx, st, start, |p| p, &Factors { ctx }).await
}
