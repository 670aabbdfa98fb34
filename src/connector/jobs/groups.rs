//! Groups and their members, in one pass over the groups (with `expand=stats`): empty groups
//! get no member call, and an incremental run re-lists only the groups whose
//! `lastMembershipUpdated` moved past the watermark.

use futures::FutureExt;
use serde_json::{json, Value};

use super::{fall_back, fan_out, pass_since, send_pages_as, since_clause, Batches, ChildFuture, FanOut, JobCtx, JobFail};
use crate::connector::state::{EdgePlan, FanPos, JobState, Mode};
use crate::extract::{groups, ts};
use crate::okta::{self, endpoints};

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
        vec![("groups", parents.iter().filter_map(|g| groups::group(g, &self.ctx.links)).collect())]
    }

    fn wants_children(&self, g: &Value) -> bool {
        if !self.ctx.wants("group_members") || groups::group_user_count(g) == Some(0) {
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
        // The group as listed titles its memberships ("Engineering ← ada@acme.com").
        let group = g.clone();
        let (client, sink, links, placeholders) =
            (self.ctx.client.clone(), self.ctx.sink.clone(), self.ctx.links.clone(), self.ctx.placeholders.clone());
        async move {
            // Members are read as just id, status and login, and sent page by page as they
            // arrive: a 100 000-member group is never held in memory, whole or as raw JSON.
            let keep = |m: Member| {
                let placeholder =
                    m.status.eq_ignore_ascii_case("shadow") || placeholders.read().map(|s| s.contains(&m.id)).unwrap_or(false);
                let member = match m.profile.login {
                    Some(login) => json!({ "id": m.id, "profile": { "login": login } }),
                    None => json!({ "id": m.id }),
                };
                (!placeholder).then(|| groups::group_member(&group, &member, &links)).flatten()
            };
            match send_pages_as(&client, url?, &sink, "group_members", keep).await? {
                Some(n) => Ok(json!({ "group_members": n })),
                None => Err(okta::Error::DeadlineReached { endpoint: "the artifact writer stopped".into() }),
            }
        }
        .boxed()
    }

    fn children(&self, st: &mut JobState<FanPos>, _g: &Value, raw: Value) -> Batches {
        // The records were sent as their pages arrived; only the count comes back.
        *st.records.entry("group_members".to_string()).or_default() += raw.get("group_members").and_then(Value::as_u64).unwrap_or(0);
        Vec::new()
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
        let until = ctx.sync.until.as_deref();
        let filter = since
            .as_ref()
            .map(|s| format!("{} or {}", since_clause("lastUpdated", s, until), since_clause("lastMembershipUpdated", s, until)));
        let start = endpoints::groups::list(&ctx.client, filter.as_deref());
        // On a full listing every non-empty group's members are listed; incrementally, only
        // those of groups whose membership moved.
        let f = Groups { ctx, since: since.clone() };
        let r = fan_out(ctx, st, start, |p| p, &f).await;
        if let Some(r) = fall_back(ctx, st, since.is_some(), r) {
            r?;
            if ctx.relist_whole(st).await? {
                st.pos = FanPos::default();
                continue;
            }
            if let Some(cs) = ctx.logged_changes().await? {
                ctx.send_tombstones(st, cs.tombstones_of(&["groups", "group_members"])).await?;
            }
            return Ok(());
        }
    }
}
