//! IAM roles and role assignments, without one roles call per user of the org:
//! custom roles from `/iam/roles` (skipped alone on 403/404: it needs a licence), then users
//! that hold any role from `/iam/assignees/users` and their roles, then the roles of groups
//! whose stats say they carry admin privileges. Standard roles are emitted once, when first
//! assigned.

use futures::FutureExt;
use serde_json::{json, Value};

use super::{fan_out, token_or_licence, walk_list, Batches, ChildFuture, FanOut, JobCtx, JobFail, SkipReason};
use crate::connector::state::{JobState, Mode, RolesPos, RolesStep};
use crate::extract::identity;
use crate::okta::{self, endpoints};

struct Assignments<'a> {
    ctx: &'a JobCtx,
    assignee_type: &'static str,
}

impl Assignments<'_> {
    /// Role records for roles not emitted yet in this run.
    fn new_roles(&self, st: &mut JobState<RolesPos>, list: &[Value]) -> Vec<Value> {
        let custom_ok = st.pos.custom_available;
        let known = &mut st.pos.roles_seen;
        let mut out = Vec::new();
        for a in list {
            let Some(role_id) = identity::role_id_of(a) else { continue };
            let is_custom = a.get("type").and_then(Value::as_str) == Some("CUSTOM");
            if known.contains(&role_id) || (is_custom && custom_ok) {
                continue;
            }
            let rec = if is_custom {
                // No access to /iam/roles: describe the custom role from its assignment.
                let mut r = a.clone();
                r["id"] = json!(role_id);
                identity::custom_role(&r, &self.ctx.links)
            } else {
                identity::standard_role(a, &self.ctx.links)
            };
            if let Some(rec) = rec {
                known.insert(role_id);
                out.push(rec);
            }
        }
        out
    }
}

impl FanOut<RolesPos> for Assignments<'_> {
    fn parents(&self, _st: &mut JobState<RolesPos>, _parents: &[Value]) -> Batches {
        Vec::new()
    }

    fn wants_children(&self, p: &Value) -> bool {
        let id = p.get("id").and_then(Value::as_str).unwrap_or("");
        match self.assignee_type {
            "GROUP" => identity::group_has_admin(p),
            _ => !self.ctx.is_placeholder(id),
        }
    }

    fn fetch(&self, p: &Value) -> ChildFuture {
        let id = p.get("id").and_then(Value::as_str).unwrap_or("");
        let url = match self.assignee_type {
            "GROUP" => endpoints::groups::roles(&self.ctx.client, id),
            _ => endpoints::users::roles(&self.ctx.client, id),
        };
        let client = self.ctx.client.clone();
        async move { client.get(&url).await.map(|r| r.body) }.boxed()
    }

    fn children(&self, st: &mut JobState<RolesPos>, p: &Value, raw: Value) -> Batches {
        let list: Vec<Value> = raw
            .as_array()
            .into_iter()
            .flatten()
            // Roles a user holds through a group are listed once, from the group.
            .filter(|a| self.assignee_type == "GROUP" || a.get("assignmentType").and_then(Value::as_str).unwrap_or("USER") == "USER")
            .cloned()
            .collect();
        let roles = self.new_roles(st, &list);
        // Titled with the assignee's login (a group's name) from the listing already read.
        let members = list.iter().filter_map(|a| identity::role_member_of(a, p, self.assignee_type, &self.ctx.links)).collect();
        vec![("iam_roles", roles), ("iam_role_members", members)]
    }
}

/// Extracts (or resumes) the roles and role assignments.
pub async fn extract(ctx: &JobCtx, st: &mut JobState<RolesPos>) -> Result<(), JobFail> {
    ctx.wait_for_users().await?;
    st.mode = Mode::Full;
    loop {
        match st.pos.step {
            // Custom roles only matter for the role records themselves.
            RolesStep::Custom if !ctx.wants("iam_roles") => {
                st.pos.step = RolesStep::Assignees;
                st.pos.cursor = None;
            }
            RolesStep::Custom => {
                let start = endpoints::iam::custom_roles(&ctx.client);
                let links = ctx.links.clone();
                let r = walk_list(
                    ctx,
                    st,
                    start,
                    |p| &mut p.cursor,
                    |st, items| {
                        let recs: Vec<Value> = items.iter().filter_map(|r| identity::custom_role(r, &links)).collect();
                        st.pos.roles_seen.extend(recs.iter().filter_map(|r| r["id"].as_str().map(str::to_string)));
                        vec![("iam_roles", recs)]
                    },
                )
                .await;
                let r = match r {
                    Err(JobFail::Okta(e @ okta::Error::InvalidToken { .. })) => Err(token_or_licence(ctx, e).await),
                    other => other,
                };
                match r {
                    Ok(()) => {}
                    Err(JobFail::Skip(SkipReason::Forbidden(e) | SkipReason::NotLicensed(e)))
                    | Err(JobFail::Okta(e @ okta::Error::NotFound { .. })) => {
                        tracing::warn!(entity = "iam_roles", reason = %e, "custom roles not available; standard roles are still extracted");
                        st.note = "custom roles not available (needs the IAM licence or permission)".into();
                        st.pos.custom_available = false;
                    }
                    Err(e) => return Err(e),
                }
                st.pos.step = RolesStep::Assignees;
                st.pos.cursor = None;
                ctx.save(st).await?;
            }
            RolesStep::Assignees => {
                let start = endpoints::iam::role_assignees(&ctx.client);
                fan_out(ctx, st, start, |p| &mut p.fan, &Assignments { ctx, assignee_type: "USER" }).await?;
                st.pos.step = RolesStep::Groups;
                st.pos.fan = Default::default();
                ctx.save(st).await?;
            }
            RolesStep::Groups => {
                let start = endpoints::groups::list(&ctx.client, None);
                return fan_out(ctx, st, start, |p| &mut p.fan, &Assignments { ctx, assignee_type: "GROUP" }).await;
            }
        }
    }
}
