//! Groups and their members, in one pass over the groups (with `expand=stats`): empty groups
//! get no member call, and an incremental run re-lists only the groups whose
//! `lastMembershipUpdated` moved past the watermark.

use futures::FutureExt;
use serde_json::Value;

use super::{fall_back, fan_out, pass_since, since_clause, Batches, ChildFuture, FanOut, JobCtx, JobFail};
use crate::connector::state::{EdgePlan, FanPos, JobState, Mode};
use crate::extract::{identity, ts};
use crate::okta::endpoints;
use crate::okta::paging::collect_as;

/// The part of a group member this job reads.
#[derive(serde::Deserialize)]
struct Member {
    id: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    profile: MemberProfile,
}

/// The member's login, for the membership's title.
#[derive(serde::Deserialize, Default)]
struct MemberProfile {
    #[serde(default)]
    login: Option<String>,
}

struct Groups<'a> {
    ctx: &'a JobCtx,
    since: Option<String>,
}

impl FanOut<FanPos> for Groups<'_> {
    fn parents(&self, _st: &mut JobState<FanPos>, parents: &[Value]) -> Batches {
        vec![("groups", parents.iter().filter_map(|g| identity::group(g, &self.ctx.links)).collect())]
    }

    fn wants_children(&self, g: &Value) -> bool {
        if !self.ctx.wants("group_members") || identity::group_user_count(g) == Some(0) {
            return false;
        }
        match &self.since {
            Some(since) => ts(g.get("lastMembershipUpdated")).is_some_and(|m| m.as_str() > since.as_str()),
            None => true,
        }
    }

    fn fetch(&self, g: &Value) -> ChildFuture {
        let id = g.get("id").and_then(Value::as_str).unwrap_or("");
        let url = endpoints::groups::members(&self.ctx.client, id);
        let client = self.ctx.client.clone();
        // Members are read as just id, status and login: a big group's users are never held
        // as whole JSON.
        let keep = |m: Member| {
            (!m.status.eq_ignore_ascii_case("shadow")).then(|| match m.profile.login {
                Some(login) => serde_json::json!({ "id": m.id, "profile": { "login": login } }),
                None => serde_json::json!({ "id": m.id }),
            })
        };
        async move { collect_as(&client, url, keep).await.map(Value::Array) }.boxed()
    }

    fn children(&self, st: &mut JobState<FanPos>, g: &Value, raw: Value) -> Batches {
        self.child_chunks(st, g, raw).collect()
    }

    fn child_chunks<'a>(
        &'a self,
        _st: &mut JobState<FanPos>,
        g: &'a Value,
        raw: Value,
    ) -> Box<dyn Iterator<Item = (&'static str, Vec<Value>)> + Send + 'a> {
        let Value::Array(members) = raw else { return Box::new(std::iter::empty()) };
        let members: Vec<Value> = members.into_iter().filter(|m| !self.ctx.is_placeholder(super::id_of(m))).collect();
        // Records are built 1000 at a time: a 100 000-member group never sits in memory whole.
        let links = self.ctx.links.clone();
        let mut it = members.into_iter();
        Box::new(std::iter::from_fn(move || {
            let chunk: Vec<Value> = it.by_ref().take(1000).filter_map(|m| identity::group_member(g, &m, &links)).collect();
            (!chunk.is_empty()).then_some(("group_members", chunk))
        }))
    }
}

/// Extracts (or resumes) the groups and their members.
///
/// A periodic reconciliation lists every group's members. In a log-driven run, deleted groups
/// and removed members (which no listing shows) are sent as tombstones, as the events tell
/// them.
pub async fn extract(ctx: &JobCtx, st: &mut JobState<FanPos>) -> Result<(), JobFail> {
    if ctx.sync.edges == EdgePlan::Reconcile && st.mode == Mode::NotStarted {
        st.mode = Mode::Full;
        st.note = "full reconciliation of the edges".into();
    }
    loop {
        let since = pass_since(ctx, st);
        let filter = since.as_ref().map(|s| format!("{} or {}", since_clause("lastUpdated", s), since_clause("lastMembershipUpdated", s)));
        let start = endpoints::groups::list(&ctx.client, filter.as_deref());
        // On a full listing every non-empty group's members are listed; incrementally, only
        // those of groups whose membership moved.
        let f = Groups { ctx, since: since.clone() };
        let r = fan_out(ctx, st, start, |p| p, &f).await;
        if let Some(r) = fall_back(ctx, st, since.is_some(), r) {
            r?;
            if let Some(cs) = ctx.logged_changes().await? {
                ctx.send_tombstones(st, cs.tombstones_of(&["groups", "group_members"])).await?;
            }
            return Ok(());
        }
    }
}
