//! Role targets for the roles job: an assignee's roles are read with their group targets
//! embedded (`expand=targets/groups`), and once more with their app targets
//! (`expand=targets/catalog/apps`) only when the assignee holds a role that can have them.

use futures::FutureExt;
use serde_json::{json, Value};

use super::ChildFuture;
use crate::extract::{roles, AdminLinks};
use crate::okta::endpoints::role_targets::{self, Assignee, Kind};
use crate::okta::OktaClient;

/// Fetches one assignee's roles with their targets: `{"groups": [...], "apps": [...] | null}`,
/// the two expanded lists (`apps` is null when no role held directly can have app targets).
pub fn fetch(client: &OktaClient, assignee_type: &'static str, id: &str) -> ChildFuture {
    let client = client.clone();
    let id = id.to_string();
    async move {
        let who = assignee(assignee_type, &id);
        let by_groups = role_targets::fetch_roles_expanded(&client, who, Kind::Groups).await?;
        let by_apps = if role_targets::any_can_have(&by_groups, who, Kind::Apps) {
            Some(role_targets::fetch_roles_expanded(&client, who, Kind::Apps).await?)
        } else {
            None
        };
        Ok(json!({"groups": by_groups, "apps": by_apps}))
    }
    .boxed()
}

fn assignee<'a>(assignee_type: &str, id: &'a str) -> Assignee<'a> {
    if assignee_type == "GROUP" {
        Assignee::Group(id)
    } else {
        Assignee::User(id)
    }
}

/// The assignments an assignee holds directly (a user's roles held through a group are read on
/// the group), each with its targets, from what [`fetch`] returned.
pub fn direct_with_targets(raw: &Value, assignee_type: &str, id: &str) -> Vec<(Value, roles::RoleTargets)> {
    let who = assignee(assignee_type, id);
    let list = |k: &str| raw.get(k).and_then(Value::as_array).cloned();
    let by_groups: Vec<Value> = list("groups").unwrap_or_default().into_iter().filter(|a| role_targets::is_direct(a, who)).collect();
    let by_apps = list("apps");
    roles::with_targets(by_groups, by_apps.as_deref())
}

/// The `iam_role_members` records of an assignee (`p`: the user or group as listed), with
/// their scope and targets.
pub fn members(pairs: &[(Value, roles::RoleTargets)], p: &Value, assignee_type: &str, links: &AdminLinks) -> Vec<Value> {
    pairs.iter().filter_map(|(a, t)| roles::role_member_with_targets(a, p, assignee_type, t, links)).collect()
}
