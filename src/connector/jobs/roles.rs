//! IAM roles and role assignments, without one roles call per user of the org:
//! custom roles from `/iam/roles` (skipped alone on 403/404: it needs a licence), then users
//! that hold any role from `/iam/assignees/users` and their roles, then the roles of groups
//! whose stats say they carry admin privileges. Standard roles are emitted once, when first
//! assigned.

use futures::FutureExt;
use serde_json::{json, Value};

use super::{fan_out, walk_list, ChildFuture, FanOut, JobCtx, JobFail};
use crate::connector::state::JobState;
use crate::extract::identity;

const STEP_CUSTOM: &str = "custom";
const STEP_ASSIGNEES: &str = "assignees";
const STEP_GROUPS: &str = "groups";

struct Assignments<'a> {
    ctx: &'a JobCtx,
    assignee_type: &'static str,
}

fn seen(st: &JobState) -> Vec<String> {
    st.extra.get("roles_seen").and_then(Value::as_array).into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect()
}

fn custom_available(st: &JobState) -> bool {
    st.extra.get("custom_available").and_then(Value::as_bool).unwrap_or(true)
}

impl Assignments<'_> {
    /// Role records for roles not emitted yet in this run.
    fn new_roles(&self, st: &mut JobState, list: &[Value]) -> Vec<Value> {
        let mut known = seen(st);
        let custom_ok = custom_available(st);
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
                known.push(role_id);
                out.push(rec);
            }
        }
        st.extra["roles_seen"] = json!(known);
        out
    }
}

impl FanOut for Assignments<'_> {
    fn parents(&self, _st: &mut JobState, _parents: &[Value]) -> Vec<(&'static str, Vec<Value>)> {
        Vec::new()
    }

    fn wants_children(&self, p: &Value) -> bool {
        let id = p.get("id").and_then(Value::as_str).unwrap_or("");
        match self.assignee_type {
            "GROUP" => identity::group_has_admin(p),
            _ => !self.ctx.is_shadow_id(id),
        }
    }

    fn fetch(&self, p: &Value) -> ChildFuture {
        let id = p.get("id").and_then(Value::as_str).unwrap_or("");
        let coll = if self.assignee_type == "GROUP" { "groups" } else { "users" };
        let url = self.ctx.url(&format!("/api/v1/{coll}/{id}/roles"), &[]);
        let client = self.ctx.client.clone();
        async move { client.get(&url).await.map(|r| r.body) }.boxed()
    }

    fn children(&self, st: &mut JobState, p: &Value, raw: Value) -> Vec<(&'static str, Vec<Value>)> {
        let id = p.get("id").and_then(Value::as_str).unwrap_or("");
        let list: Vec<Value> = raw
            .as_array()
            .into_iter()
            .flatten()
            // Roles a user holds through a group are listed once, from the group.
            .filter(|a| self.assignee_type == "GROUP" || a.get("assignmentType").and_then(Value::as_str).unwrap_or("USER") == "USER")
            .cloned()
            .collect();
        let roles = self.new_roles(st, &list);
        let members = list.iter().filter_map(|a| identity::role_member(a, id, self.assignee_type, &self.ctx.links)).collect();
        vec![("iam_roles", roles), ("iam_role_members", members)]
    }
}

/// Runs (or resumes) the roles job.
pub async fn run(ctx: &JobCtx, st: &mut JobState) -> Result<(), JobFail> {
    ctx.wait_for_users().await?;
    st.mode = "full".into();
    if !st.extra.is_object() {
        st.extra = json!({});
    }
    loop {
        let step = st.pos.get("step").and_then(Value::as_str).unwrap_or(STEP_CUSTOM).to_string();
        match step.as_str() {
            STEP_CUSTOM => {
                let start = ctx.url("/api/v1/iam/roles", &[]);
                let links = ctx.links.clone();
                let r = walk_list(ctx, st, start, |st, items| {
                    let recs: Vec<Value> = items.iter().filter_map(|r| identity::custom_role(r, &links)).collect();
                    let mut known = seen(st);
                    known.extend(recs.iter().filter_map(|r| r["id"].as_str().map(str::to_string)));
                    st.extra["roles_seen"] = json!(known);
                    vec![("iam_roles", recs)]
                })
                .await;
                match r {
                    Ok(()) => {}
                    Err(JobFail::Skip(reason)) | Err(JobFail::NotFound(reason)) => {
                        tracing::warn!(entity = "iam_roles", %reason, "custom roles not available; standard roles are still extracted");
                        st.note = "custom roles not available (needs the IAM licence or permission)".into();
                        st.extra["custom_available"] = json!(false);
                    }
                    Err(e) => return Err(e),
                }
                st.pos = json!({"step": STEP_ASSIGNEES});
                ctx.save(st).await?;
            }
            STEP_ASSIGNEES => {
                let start = ctx.url("/api/v1/iam/assignees/users", &[("limit", "100")]);
                fan_out(ctx, st, start, &Assignments { ctx, assignee_type: "USER" }).await?;
                st.pos = json!({"step": STEP_GROUPS});
                ctx.save(st).await?;
            }
            _ => {
                let start = ctx.url("/api/v1/groups", &[("limit", "200"), ("expand", "stats")]);
                return fan_out(ctx, st, start, &Assignments { ctx, assignee_type: "GROUP" }).await;
            }
        }
    }
}
