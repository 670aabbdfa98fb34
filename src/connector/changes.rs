//! What the System Log says changed: which parents an incremental sync must read again, and
//! which records were deleted or removed (sent to DevRev again as tombstones).
//!
//! Okta cannot filter factors, app assignments, role assignments or policies by `lastUpdated`,
//! but it logs every change to them. The event types are Okta's (developer.okta.com, "Event
//! Types"); each event's `target` list names what changed (`User`, `UserGroup`, `AppInstance`,
//! `Device`, `PolicyEntity`, `PolicyRule`...). Reading the log costs nothing extra: the
//! connector reads it anyway.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether a tombstone stands for a deleted object or a removed edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TombstoneKind {
    /// An object (user, group, app, device, policy) that no longer exists: `deleted: true`.
    Deleted,
    /// An edge (membership, assignment, role assignment) that no longer holds: `removed: true`.
    Removed,
}

impl TombstoneKind {
    /// The record field that says so.
    pub const fn field(self) -> &'static str {
        match self {
            TombstoneKind::Deleted => "deleted",
            TombstoneKind::Removed => "removed",
        }
    }
}

/// One record to send again as a tombstone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Tombstone {
    /// The item type.
    pub item_type: String,
    /// The record id, as the normalizers build it.
    pub id: String,
    /// When it happened (the event's `published`), the tombstone's `modified_date`.
    pub at: String,
    /// Deleted object or removed edge.
    pub kind: TombstoneKind,
    /// A readable title, from the event's targets.
    pub title: String,
    /// Fields the record type requires, as far as the event tells them (ids of both ends,
    /// a user's login).
    pub fields: BTreeMap<String, String>,
}

impl Tombstone {
    /// The record DevRev receives: the same id, `modified_date` = when it happened, the
    /// `deleted` or `removed` flag, a title, and the fields the event told.
    pub fn to_record(&self) -> Option<Value> {
        let mut data = serde_json::Map::new();
        for (k, v) in &self.fields {
            if !v.is_empty() {
                data.insert(k.clone(), Value::String(v.clone()));
            }
        }
        data.insert(crate::extract::TITLE_FIELD.into(), Value::String(self.title.clone()));
        fill_required(&self.item_type, &mut data, &self.title);
        data.insert(self.kind.field().into(), Value::Bool(true));
        crate::extract::record(&self.id, Some(self.at.clone()), Some(self.at.clone()), data)
    }
}

/// Whether a record type is an object (`deleted`) or an edge (`removed`).
pub fn kind_of(item_type: &str) -> TombstoneKind {
    match item_type {
        "users" | "groups" | "applications" | "devices" | "policies" | "iam_roles" => TombstoneKind::Deleted,
        _ => TombstoneKind::Removed,
    }
}

/// The fields worth remembering of a record of a type whose ids are remembered: the required
/// ones and both ends of an edge, so a tombstone made from memory passes the metadata.
pub const REMEMBERED_FIELDS: &[(&str, &[&str])] = &[
    ("factors", &["user_id", "factor_type"]),
    ("authenticator_enrollments", &["user_id", "enrollment_type"]),
    ("iam_role_members", &["role_id", "assignee_type", "user_id", "group_id"]),
    ("iam_roles", &["label", "role_kind"]),
];

/// The remembered fields of one record (`None`: the type's ids are not remembered).
pub fn remembered(item_type: &str, rec: &Value) -> Option<(String, BTreeMap<String, String>)> {
    let keys = REMEMBERED_FIELDS.iter().find(|(t, _)| *t == item_type)?.1;
    let id = rec.get("id").and_then(Value::as_str)?.to_string();
    let fields = keys.iter().filter_map(|k| Some((k.to_string(), rec.pointer(&format!("/data/{k}"))?.as_str()?.to_string()))).collect();
    Some((id, fields))
}

/// A tombstone for a remembered record that is gone.
pub fn from_memory(item_type: &str, id: &str, fields: &BTreeMap<String, String>, at: &str) -> Tombstone {
    Tombstone {
        item_type: item_type.into(),
        id: id.into(),
        at: at.into(),
        kind: kind_of(item_type),
        title: id.into(),
        fields: fields.clone(),
    }
}

/// Required fields a tombstone may not know, filled so the record passes the metadata: the
/// title where a name is required, empty text, and for enums the value the object had to have
/// before it could go (a user is deactivated before it is deleted).
fn fill_required(item_type: &str, data: &mut serde_json::Map<String, Value>, title: &str) {
    const TITLE: &str = "\u{0}title";
    let defaults: &[(&str, &str)] = match item_type {
        "users" => &[("login", TITLE), ("display_name", TITLE), ("status", "DEPROVISIONED")],
        "groups" => &[("name", TITLE), ("description", ""), ("group_type", "OKTA_GROUP")],
        "iam_roles" => &[("label", TITLE), ("description", ""), ("role_kind", "STANDARD")],
        "iam_role_members" => &[("assignee_type", "USER")],
        "applications" => &[("label", TITLE)],
        "policies" => &[("name", TITLE), ("policy_type", "")],
        "factors" => &[("factor_type", "")],
        _ => &[],
    };
    for (k, v) in defaults {
        let v = if *v == TITLE { title } else { v };
        data.entry(k.to_string()).or_insert_with(|| Value::String(v.to_string()));
    }
}

/// The most parents and tombstones a change set holds; past it the run reads in full.
pub const MAX_CHANGES: usize = 2_000;

/// What the events since the last sync ask the incremental sync to do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSet {
    /// Users whose factors changed: read their factors again.
    pub factor_users: BTreeSet<String>,
    /// Apps whose user or group assignments changed: read that app's assignments again.
    pub assignment_apps: BTreeSet<String>,
    /// Users whose admin roles were granted or revoked: read their role assignments again.
    pub role_users: BTreeSet<String>,
    /// Groups whose admin roles were granted or revoked.
    pub role_groups: BTreeSet<String>,
    /// Custom roles or resource sets changed: read the role definitions again.
    pub roles_changed: bool,
    /// Apps created, changed or (de)activated.
    pub apps: BTreeSet<String>,
    /// Policies (or their rules) created, changed or (de)activated.
    pub policies: BTreeSet<String>,
    /// Users deactivated (and not reactivated since): their factors are no longer listed.
    #[serde(default)]
    pub deactivated_users: BTreeSet<String>,
    /// Records to send again as tombstones, in event order.
    pub tombstones: Vec<Tombstone>,
    /// Events read.
    pub events: u64,
    /// More than [`MAX_CHANGES`] parents and tombstones: the run cannot be log-driven.
    #[serde(default)]
    pub overflow: bool,
    /// When the newest event that changed something the connector reads was published
    /// (RFC 3339; empty: none was seen).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub latest_change: String,
}

/// The event types (by prefix) that change something the connector reads: users and their
/// profiles, factors and admin roles, groups and memberships, apps and assignments, devices,
/// policies and rules, custom roles and resource sets. Sign-ins, sessions and the like change
/// nothing it extracts but the log itself.
pub const CHANGE_EVENT_PREFIXES: &[&str] = &[
    "user.lifecycle.",
    "user.account.update_profile",
    "user.account.privilege.",
    "user.mfa.factor.",
    "group.",
    "application.lifecycle.",
    "application.user_membership.",
    "device.",
    "policy.lifecycle.",
    "policy.rule.",
    "iam.",
];

/// A target of a log event.
struct Target<'a> {
    id: &'a str,
    kind: &'a str,
    alternate_id: &'a str,
    display_name: &'a str,
}

fn targets(event: &Value) -> Vec<Target<'_>> {
    let list = event.get("target").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    list.iter()
        .filter_map(|t| {
            Some(Target {
                id: t.get("id").and_then(Value::as_str).filter(|s| !s.is_empty())?,
                kind: t.get("type").and_then(Value::as_str).unwrap_or(""),
                alternate_id: t.get("alternateId").and_then(Value::as_str).unwrap_or(""),
                display_name: t.get("displayName").and_then(Value::as_str).unwrap_or(""),
            })
        })
        .collect()
}

fn first<'a>(ts: &'a [Target<'a>], kind: &str) -> Option<&'a Target<'a>> {
    ts.iter().find(|t| t.kind == kind)
}

/// A readable name for a target: a user's login, else its display name, else its id.
fn name_of(t: &Target<'_>) -> String {
    [t.alternate_id, t.display_name].into_iter().find(|s| !s.is_empty() && *s != "unknown").map_or_else(|| t.id.to_string(), str::to_string)
}

/// Okta's target types for the parts of an org the connector reads.
const USER: &str = "User";
const GROUP: &str = "UserGroup";
const APP: &str = "AppInstance";
const DEVICE: &str = "Device";
const POLICY: &str = "PolicyEntity";

impl ChangeSet {
    /// Takes one System Log event into account (events come in persistence order).
    pub fn observe(&mut self, event: &Value) {
        let Some(kind) = event.get("eventType").and_then(Value::as_str) else { return };
        let at = event.get("published").and_then(Value::as_str).unwrap_or("").to_string();
        if event.pointer("/outcome/result").and_then(Value::as_str).is_some_and(|r| r != "SUCCESS" && r != "ALLOW") {
            return;
        }
        self.events += 1;
        if CHANGE_EVENT_PREFIXES.iter().any(|p| kind.starts_with(p)) {
            let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
            let newer = match (parse(&at), parse(&self.latest_change)) {
                (Some(a), Some(latest)) => a > latest,
                (Some(_), None) => true,
                (None, _) => false,
            };
            if newer {
                self.latest_change.clone_from(&at);
            }
        }
        let ts = targets(event);
        let user = first(&ts, USER);
        let group = first(&ts, GROUP);
        let app = first(&ts, APP);
        match kind {
            k if k.starts_with("user.mfa.factor.") => {
                if let Some(u) = user {
                    self.factor_users.insert(u.id.to_string());
                }
            }
            "application.user_membership.add" | "application.user_membership.change_username" => {
                if let Some(a) = app {
                    self.assignment_apps.insert(a.id.to_string());
                    if let Some(u) = user {
                        self.restored("app_user_assignments", a, u);
                    }
                }
            }
            "group.user_membership.add" => {
                if let (Some(g), Some(u)) = (group, user) {
                    self.restored("group_members", g, u);
                }
            }
            "user.lifecycle.deactivate" => {
                if let Some(u) = user {
                    self.factor_users.remove(u.id);
                    self.deactivated_users.insert(u.id.to_string());
                }
            }
            "user.lifecycle.activate" | "user.lifecycle.reactivate" | "user.lifecycle.unsuspend" => {
                if let Some(u) = user {
                    self.deactivated_users.remove(u.id);
                    self.factor_users.insert(u.id.to_string());
                }
            }
            "application.user_membership.remove" => {
                if let (Some(a), Some(u)) = (app, user) {
                    self.assignment_apps.insert(a.id.to_string());
                    self.edge_removed("app_user_assignments", a, u, "app_id", "user_id", &at);
                }
            }
            "group.application_assignment.add" | "group.application_assignment.update" => {
                if let Some(a) = app {
                    self.assignment_apps.insert(a.id.to_string());
                    if let Some(g) = group {
                        self.restored("app_group_assignments", a, g);
                    }
                }
            }
            "group.application_assignment.remove" => {
                if let (Some(a), Some(g)) = (app, group) {
                    self.assignment_apps.insert(a.id.to_string());
                    self.edge_removed("app_group_assignments", a, g, "app_id", "group_id", &at);
                }
            }
            "group.user_membership.remove" => {
                if let (Some(g), Some(u)) = (group, user) {
                    self.edge_removed("group_members", g, u, "group_id", "user_id", &at);
                }
            }
            "user.account.privilege.grant" | "user.account.privilege.revoke" => {
                if let Some(u) = user {
                    self.role_users.insert(u.id.to_string());
                }
            }
            "group.privilege.grant" | "group.privilege.revoke" => {
                if let Some(g) = group {
                    self.role_groups.insert(g.id.to_string());
                }
            }
            k if k.starts_with("iam.role.") || k.starts_with("iam.resourceset.") => self.roles_changed = true,
            "user.lifecycle.delete.completed" => {
                if let Some(u) = user {
                    self.factor_users.remove(u.id);
                    self.role_users.insert(u.id.to_string());
                    let mut fields = BTreeMap::new();
                    fields.insert("login".to_string(), name_of(u));
                    fields.insert("display_name".to_string(), u.display_name.to_string());
                    self.deleted("users", u, &at, fields);
                }
            }
            "group.lifecycle.delete" => {
                if let Some(g) = group {
                    self.role_groups.insert(g.id.to_string());
                    let mut fields = BTreeMap::new();
                    fields.insert("name".to_string(), name_of(g));
                    self.deleted("groups", g, &at, fields);
                }
            }
            "application.lifecycle.delete" => {
                if let Some(a) = app {
                    self.apps.remove(a.id);
                    let mut fields = BTreeMap::new();
                    fields.insert("label".to_string(), a.display_name.to_string());
                    self.deleted("applications", a, &at, fields);
                }
            }
            k if k.starts_with("application.lifecycle.") => {
                if let Some(a) = app {
                    self.apps.insert(a.id.to_string());
                }
            }
            "device.lifecycle.delete" => {
                if let Some(d) = first(&ts, DEVICE) {
                    self.deleted("devices", d, &at, BTreeMap::new());
                }
            }
            "policy.lifecycle.delete" => {
                if let Some(p) = first(&ts, POLICY) {
                    self.policies.remove(p.id);
                    let mut fields = BTreeMap::new();
                    fields.insert("name".to_string(), name_of(p));
                    self.deleted("policies", p, &at, fields);
                }
            }
            k if k.starts_with("policy.lifecycle.") || k.starts_with("policy.rule.") => {
                if let Some(p) = first(&ts, POLICY) {
                    self.policies.insert(p.id.to_string());
                }
            }
            _ => {}
        }
        if self.size() > MAX_CHANGES {
            let latest_change = std::mem::take(&mut self.latest_change);
            *self = ChangeSet { overflow: true, events: self.events, latest_change, ..ChangeSet::default() };
        }
    }

    /// Parents and tombstones held.
    pub fn size(&self) -> usize {
        self.factor_users.len()
            + self.assignment_apps.len()
            + self.role_users.len()
            + self.role_groups.len()
            + self.apps.len()
            + self.policies.len()
            + self.deactivated_users.len()
            + self.tombstones.len()
    }

    /// Ids of the objects of `item_type` deleted by the events.
    pub fn deleted_ids(&self, item_type: &str) -> BTreeSet<&str> {
        self.tombstones.iter().filter(|t| t.item_type == item_type && t.kind == TombstoneKind::Deleted).map(|t| t.id.as_str()).collect()
    }

    /// The tombstones of some item types.
    pub fn tombstones_of<'a>(&'a self, item_types: &'a [&'a str]) -> impl Iterator<Item = &'a Tombstone> + 'a {
        self.tombstones.iter().filter(move |t| item_types.contains(&t.item_type.as_str()))
    }

    /// An edge added again after it was removed: the removal no longer holds.
    fn restored(&mut self, item_type: &str, parent: &Target<'_>, child: &Target<'_>) {
        let id = format!("{}:{}", parent.id, child.id);
        self.tombstones.retain(|t| !(t.item_type == item_type && t.id == id));
    }

    fn deleted(&mut self, item_type: &str, t: &Target<'_>, at: &str, fields: BTreeMap<String, String>) {
        self.tombstones.push(Tombstone {
            item_type: item_type.into(),
            id: t.id.into(),
            at: at.into(),
            kind: TombstoneKind::Deleted,
            title: name_of(t),
            fields,
        });
    }

    fn edge_removed(&mut self, item_type: &str, parent: &Target<'_>, child: &Target<'_>, parent_key: &str, child_key: &str, at: &str) {
        let mut fields = BTreeMap::new();
        fields.insert(parent_key.to_string(), parent.id.to_string());
        fields.insert(child_key.to_string(), child.id.to_string());
        self.tombstones.push(Tombstone {
            item_type: item_type.into(),
            id: format!("{}:{}", parent.id, child.id),
            at: at.into(),
            kind: TombstoneKind::Removed,
            title: format!("{} ← {}", name_of(parent), name_of(child)),
            fields,
        });
    }

    /// Whether an event seen says something the connector reads changed at or after `t`
    /// (RFC 3339), or too much changed to tell.
    pub fn changed_since(&self, t: &str) -> bool {
        let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
        self.overflow
            || match (parse(&self.latest_change), parse(t)) {
                (Some(latest), Some(t)) => latest >= t,
                (None, _) => false,
                (Some(_), None) => true,
            }
    }

    /// Whether nothing asks for a re-read or a tombstone.
    pub fn is_empty(&self) -> bool {
        self.factor_users.is_empty()
            && self.assignment_apps.is_empty()
            && self.role_users.is_empty()
            && self.role_groups.is_empty()
            && !self.roles_changed
            && self.apps.is_empty()
            && self.policies.is_empty()
            && self.deactivated_users.is_empty()
            && self.tombstones.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: &str, targets: Value) -> Value {
        json!({"uuid": "e1", "published": "2026-11-01T10:00:00.000Z", "eventType": kind,
               "outcome": {"result": "SUCCESS"}, "target": targets})
    }

    fn user(id: &str) -> Value {
        json!({"id": id, "type": "User", "alternateId": format!("{id}@acme.com"), "displayName": "Ada Lovelace"})
    }

    #[test]
    fn factor_assignment_and_role_events_name_the_parents_to_read_again() {
        let mut c = ChangeSet::default();
        c.observe(&event("user.mfa.factor.activate", json!([user("00u1")])));
        c.observe(&event("user.mfa.factor.reset_all", json!([user("00u2")])));
        c.observe(&event("application.user_membership.add", json!([user("00u1"), {"id": "0oa1", "type": "AppInstance"}])));
        c.observe(&event("user.account.privilege.grant", json!([user("00u3")])));
        c.observe(&event("group.privilege.revoke", json!([{"id": "00g1", "type": "UserGroup"}])));
        c.observe(&event("iam.role.update", json!([])));
        c.observe(&event("policy.rule.update", json!([{"id": "00p1", "type": "PolicyEntity"}, {"id": "0pr1", "type": "PolicyRule"}])));
        assert_eq!(c.factor_users, ["00u1", "00u2"].map(String::from).into());
        assert_eq!(c.assignment_apps, ["0oa1".to_string()].into());
        assert_eq!(c.role_users, ["00u3".to_string()].into());
        assert_eq!(c.role_groups, ["00g1".to_string()].into());
        assert!(c.roles_changed);
        assert_eq!(c.policies, ["00p1".to_string()].into());
        assert!(c.tombstones.is_empty());
        assert_eq!(c.events, 7);
    }

    #[test]
    fn removals_and_deletions_become_tombstones_with_the_normalizers_ids() {
        let mut c = ChangeSet::default();
        let group = json!({"id": "00g1", "type": "UserGroup", "alternateId": "unknown", "displayName": "Engineering"});
        c.observe(&event("group.user_membership.remove", json!([user("00u1"), group])));
        c.observe(&event(
            "application.user_membership.remove",
            json!([user("00u1"), {"id": "0oa1", "type": "AppInstance", "displayName": "Portal"}]),
        ));
        c.observe(&event("user.lifecycle.delete.completed", json!([user("00u9")])));
        c.observe(&event("device.lifecycle.delete", json!([{"id": "guo1", "type": "Device"}])));
        let ids: Vec<(&str, &str, TombstoneKind)> = c.tombstones.iter().map(|t| (t.item_type.as_str(), t.id.as_str(), t.kind)).collect();
        assert_eq!(
            ids,
            [
                ("group_members", "00g1:00u1", TombstoneKind::Removed),
                ("app_user_assignments", "0oa1:00u1", TombstoneKind::Removed),
                ("users", "00u9", TombstoneKind::Deleted),
                ("devices", "guo1", TombstoneKind::Deleted),
            ]
        );
        assert_eq!(c.tombstones[0].title, "Engineering ← 00u1@acme.com");
        assert_eq!(c.tombstones[2].fields["login"], "00u9@acme.com");
        assert!(c.assignment_apps.contains("0oa1"), "the app's assignments are read again too");
        let r = c.tombstones[0].to_record().unwrap();
        assert_eq!(r["id"], "00g1:00u1");
        assert_eq!(r["modified_date"], "2026-11-01T10:00:00.000Z");
        assert_eq!(r["data"]["removed"], true);
        assert_eq!(r["data"]["group_id"], "00g1");
    }

    #[test]
    fn failed_events_and_events_without_targets_change_nothing() {
        let mut c = ChangeSet::default();
        let mut failed = event("group.user_membership.remove", json!([user("00u1"), {"id": "00g1", "type": "UserGroup"}]));
        failed["outcome"]["result"] = json!("FAILURE");
        c.observe(&failed);
        c.observe(&event("group.user_membership.remove", json!([user("00u1")])));
        c.observe(&event("user.mfa.factor.activate", json!(null)));
        c.observe(&json!({"no": "eventType"}));
        assert!(c.is_empty(), "{c:?}");
    }

    #[test]
    fn an_edge_added_again_cancels_its_removal_and_deactivation_drops_factors() {
        let mut c = ChangeSet::default();
        let g = json!({"id": "00g1", "type": "UserGroup", "displayName": "Eng"});
        c.observe(&event("group.user_membership.remove", json!([user("00u1"), g.clone()])));
        c.observe(&event("group.user_membership.add", json!([user("00u1"), g])));
        assert!(c.tombstones.is_empty(), "removed then added: the membership stands");
        c.observe(&event("user.mfa.factor.activate", json!([user("00u2")])));
        c.observe(&event("user.lifecycle.deactivate", json!([user("00u2")])));
        assert!(c.factor_users.is_empty());
        assert_eq!(c.deactivated_users, ["00u2".to_string()].into());
        c.observe(&event("user.lifecycle.reactivate", json!([user("00u2")])));
        assert!(c.deactivated_users.is_empty());
        assert_eq!(c.factor_users, ["00u2".to_string()].into());
    }

    #[test]
    fn a_deleted_users_tombstone_passes_the_metadata_and_names_its_roles_to_read_again() {
        let mut c = ChangeSet::default();
        c.observe(&event("user.lifecycle.delete.completed", json!([user("00u9")])));
        assert!(c.role_users.contains("00u9"));
        let meta = crate::metadata::document(&[]);
        let r = c.tombstones[0].to_record().unwrap();
        assert_eq!(crate::metadata::validate::check_record(&meta, "users", &r), Vec::<String>::new());
        assert_eq!(r["data"]["deleted"], true);
        let f = from_memory("factors", "00u9:uft1", &[("user_id".to_string(), "00u9".to_string())].into(), "2026-11-01T10:00:00.000Z");
        let r = f.to_record().unwrap();
        assert_eq!(crate::metadata::validate::check_record(&meta, "factors", &r), Vec::<String>::new());
        assert_eq!(r["data"]["removed"], true);
    }

    #[test]
    fn too_many_changes_overflow_to_a_full_reading() {
        let mut c = ChangeSet::default();
        for i in 0..=MAX_CHANGES {
            c.observe(&event("user.mfa.factor.activate", json!([user(&format!("00u{i}"))])));
        }
        assert!(c.overflow);
        assert!(c.factor_users.is_empty(), "nothing kept past the bound");
    }
}
