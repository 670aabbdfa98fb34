//! Groups and their members.

use serde_json::{Map, Value};

use super::users::user_ref;
use super::{put, put_title, record, s, ts, AdminLinks, ItemType};

/// The group types Okta documents (the `groups.group_type` enum).
pub const GROUP_TYPES: &[&str] = &["OKTA_GROUP", "APP_GROUP", "BUILT_IN"];

/// The group's `usersCount` from `expand=stats`, when present.
pub fn group_user_count(g: &Value) -> Option<u64> {
    g.pointer("/_embedded/stats/usersCount").and_then(Value::as_u64)
}

/// Whether the group carries admin privileges (any `hasAdminPriv*` key in the stats).
pub fn group_has_admin(g: &Value) -> bool {
    g.pointer("/_embedded/stats")
        .and_then(Value::as_object)
        .is_some_and(|m| m.iter().any(|(k, v)| k.starts_with("hasAdminPriv") && v.as_bool() == Some(true)))
}

/// Normalizes a group; a missing description gets a generated one.
pub fn group(g: &Value, links: &AdminLinks) -> Option<Value> {
    let id = s(g, "/id")?;
    let name = s(g, "/profile/name").unwrap_or_else(|| id.clone());
    let kind = s(g, "/type").unwrap_or_else(|| "OKTA_GROUP".into());
    // The metadata's enum holds Okta's documented group types; another is skipped.
    if !GROUP_TYPES.contains(&kind.as_str()) {
        return None;
    }
    let mut d = Map::new();
    let desc = s(g, "/profile/description").unwrap_or_else(|| format!("{name}: Okta group of type {kind}"));
    put_title(&mut d, [Some(name.clone())]);
    d.insert("name".into(), name.into());
    d.insert("description".into(), desc.into());
    d.insert("group_type".into(), kind.into());
    put(&mut d, "last_membership_updated", ts(g.get("lastMembershipUpdated")));
    put(&mut d, "users_count", group_user_count(g));
    put(&mut d, "apps_count", g.pointer("/_embedded/stats/appsCount").and_then(Value::as_u64));
    if g.pointer("/_embedded/stats").is_some() {
        d.insert("has_admin_privileges".into(), group_has_admin(g).into());
    }
    put(
        &mut d,
        "source_app_id",
        g.pointer("/_links/source/href").and_then(Value::as_str).and_then(|h| h.rsplit('/').next()).map(str::to_string),
    );
    d.insert("item_url_field".into(), links.link(&format!("/admin/group/{id}")).into());
    record(&id, ts(g.get("created")), ts(g.get("lastUpdated")), d)
}

/// One membership edge. Okta keeps no membership timestamp: both dates are the group's
/// `lastMembershipUpdated` (else `lastUpdated`), the most specific time that covers the edge.
/// The title reads "Engineering ← ada@acme.com": the group's name and the member's
/// `profile.login` as `/groups/{id}/users` returns it (the id when the caller passes only the id).
pub fn group_member(group: &Value, user: &Value, links: &AdminLinks) -> Option<Value> {
    let gid = s(group, "/id")?;
    let uid = s(user, "/id")?;
    let when = ts(group.get("lastMembershipUpdated")).or_else(|| ts(group.get("lastUpdated")));
    let mut d = Map::new();
    let gname = s(group, "/profile/name").unwrap_or_else(|| gid.clone());
    put_title(&mut d, [Some(ItemType::edge_title(&gname, &user_ref(user, &uid)))]);
    d.insert("group_id".into(), gid.clone().into());
    d.insert("user_id".into(), uid.clone().into());
    d.insert("item_url_field".into(), links.link(&format!("/admin/group/{gid}")).into());
    record(&ItemType::edge_id(&gid, &uid), when.clone(), when, d)
}
