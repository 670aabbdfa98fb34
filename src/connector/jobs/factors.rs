//! MFA factors: one call per user, unavoidably (Okta has no bulk endpoint), over the plain user
//! list (which already leaves out deactivated users) with bounded parallelism under the
//! client's pacing. Placeholder users are skipped.

use futures::FutureExt;
use serde_json::Value;

use super::{fan_out, ChildFuture, FanOut, JobCtx, JobFail};
use crate::connector::state::JobState;
use crate::extract::{access, identity};

struct Factors<'a> {
    ctx: &'a JobCtx,
}

impl FanOut for Factors<'_> {
    fn parents(&self, _st: &mut JobState, _parents: &[Value]) -> Vec<(&'static str, Vec<Value>)> {
        Vec::new()
    }

    fn wants_children(&self, u: &Value) -> bool {
        let status = u.get("status").and_then(Value::as_str).unwrap_or("");
        !identity::is_shadow(u) && status != "DEPROVISIONED" && !self.ctx.is_shadow_id(u.get("id").and_then(Value::as_str).unwrap_or(""))
    }

    fn fetch(&self, u: &Value) -> ChildFuture {
        let id = u.get("id").and_then(Value::as_str).unwrap_or("");
        let url = self.ctx.url(&format!("/api/v1/users/{id}/factors"), &[]);
        let client = self.ctx.client.clone();
        async move { client.get(&url).await.map(|r| r.body) }.boxed()
    }

    fn children(&self, _st: &mut JobState, u: &Value, raw: Value) -> Vec<(&'static str, Vec<Value>)> {
        let uid = u.get("id").and_then(Value::as_str).unwrap_or("");
        vec![("factors", raw.as_array().into_iter().flatten().filter_map(|f| access::factor(uid, f, &self.ctx.links)).collect())]
    }
}

/// Runs (or resumes) the factors job.
pub async fn run(ctx: &JobCtx, st: &mut JobState) -> Result<(), JobFail> {
    st.mode = "full".into();
    let start = ctx.url("/api/v1/users", &[("limit", "200")]);
    fan_out(ctx, st, start, &Factors { ctx }).await
}
