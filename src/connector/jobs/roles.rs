//! IAM roles and role assignments, without one roles call per user of the org:
//! custom roles from `/iam/roles` (skipped alone on 403/404: it needs a licence), then users
//! that hold any role from `/iam/assignees/users` and their roles, then the roles of groups
//! whose stats say they carry admin privileges. Standard roles are emitted once, when first
//! assigned.

use serde_json::{json, Value};

use super::{fan_out, token_or_licence, walk_list, Batches, ChildFuture, EdgeRead, FanOut, JobCtx, JobFail, SkipReason};
use crate::connector::changes::ChangeSet;
use crate::connector::state::{JobState, Mode, RolesPos, RolesStep};
use crate::extract::{groups, roles};
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
            let Some(role_id) = roles::role_id_of(a) else { continue };
            let is_custom = a.get("type").and_then(Value::as_str) == Some("CUSTOM");
            if known.contains(&role_id) || (is_custom && custom_ok) {
                continue;
            }
            let rec = if is_custom {
                // No access to /iam/roles: describe the custom role from its assignment.
                let mut r = a.clone();
                if let Some(o) = r.as_object_mut() {
                    o.insert("id".into(), json!(role_id));
                }
                roles::custom_role(&r, &self.ctx.links)
            } else {
                roles::standard_role(a, &self.ctx.links)
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
            "GROUP" => groups::group_has_admin(p),
            _ => !self.ctx.is_placeholder(id),
        }
    }

    fn fetch(&self, p: &Value) -> ChildFuture {
        let id = p.get("id").and_then(Value::as_str).unwrap_or("");
        super::role_targets::fetch(&self.ctx.client, self.assignee_type, id)
    }

    fn children(&self, st: &mut JobState<RolesPos>, p: &Value, raw: Value) -> Batches {
        // Roles a user holds through a group are listed once, from the group; each with its targets.
        let pairs = super::role_targets::direct_with_targets(&raw, self.assignee_type, super::id_of(p));
        let list: Vec<Value> = pairs.iter().map(|(a, _)| a.clone()).collect();
        let roles = self.new_roles(st, &list);
        // Titled with the assignee's login (a group's name) from the listing already read.
        let members = super::role_targets::members(&pairs, p, self.assignee_type, &self.ctx.links);
        vec![("iam_roles", roles), ("iam_role_members", members)]
    }
}

/// Whether the events since the last sync touch admin roles: grants, revokes, custom roles.
/// (A deleted or deactivated holder's assignments get their tombstones at the round's end, from
/// the index: [`crate::connector::mirror`].)
fn touched(cs: &ChangeSet) -> bool {
    !cs.role_users.is_empty() || !cs.role_groups.is_empty() || cs.roles_changed
}

/// Extracts (or resumes) the roles and role assignments.
///
/// Admin roles are few, so when the System Log drives the run and any event touches them the
/// job reads them all again (a few calls) and compares with the last run's: what is gone is
/// sent as a tombstone. Without such an event it makes no call.
pub async fn extract(ctx: &JobCtx, st: &mut JobState<RolesPos>) -> Result<(), JobFail> {
    ctx.wait_for_users().await?;
    match ctx.edge_read().await? {
        EdgeRead::Log(cs) => {
            st.mode = Mode::LogDriven;
            if !touched(&cs) {
                return Ok(());
            }
            st.note = "role events since the last sync: roles read again".into();
        }
        EdgeRead::Full(mode, note) => {
            st.mode = mode;
            if !note.is_empty() {
                st.note = note;
            }
        }
    }
    read_all(ctx, st).await?;
    // Every role assignment (and, where readable, every custom role) was listed.
    st.listed = ["iam_role_members"].into_iter().chain(st.pos.custom_available.then_some("iam_roles")).map(str::to_string).collect();
    Ok(())
}

async fn read_all(ctx: &JobCtx, st: &mut JobState<RolesPos>) -> Result<(), JobFail> {
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
                        let recs: Vec<Value> = items.iter().filter_map(|r| roles::custom_role(r, &links)).collect();
                        st.pos.roles_seen.extend(recs.iter().filter_map(|r| r["id"].as_str().map(str::to_string)));
                        vec![("iam_roles", recs)]
                    },
                )
                .await;
                let r = match r {
                    Err(JobFail::Okta(e @ okta::Error::InvalidToken { .. })) => Err(token_or_licence(ctx, e).await),
                    other => other,
                };
                let skipped = match r {
                    Ok(()) => None,
                    Err(JobFail::Skip(reason)) => Some(reason),
                    Err(JobFail::Okta(e @ okta::Error::NotFound { .. })) => Some(SkipReason::NotAvailable(e)),
                    Err(e) => return Err(e),
                };
                if let Some(reason) = skipped {
                    // One text per reason, the same as any other skip says.
                    tracing::warn!(entity = "iam_roles", %reason, "custom roles skipped; standard roles are still extracted");
                    st.note = format!("custom roles skipped ({reason}); standard roles are still extracted");
                    st.pos.custom_available = false;
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
