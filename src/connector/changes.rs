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

use crate::extract::item_type::ItemType;

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

/// Required fields a tombstone may not know (the metadata says which), filled so the record
/// passes it, with the values of [`ItemType::tombstone_fill`].
fn fill_required(item_type: &str, data: &mut serde_json::Map<String, Value>, title: &str) {
    let Some(t) = ItemType::parse(item_type) else { return };
    for field in crate::metadata::required_fields(t) {
        if !data.contains_key(field.as_str()) {
            if let Some(v) = t.tombstone_fill(field, title) {
                data.insert(field.clone(), Value::String(v));
            }
        }
    }
}

/// The most parents and tombstones a change set holds; past it the run reads in full. Reading
/// 20 000 parents' children again costs at most about 40 000 calls (a user's factors and
/// enrollments), far fewer than a full reading of an org large enough to log that many changes.
pub const MAX_CHANGES: usize = 20_000;

/// The most characters a change set takes in the state when the writer cannot spill it into
/// its own artifact (DevRev wants the whole state under 500 000); past it the run reads in
/// full, as past [`MAX_CHANGES`].
pub const MAX_STATE_CHARS: usize = 100_000;

/// The most characters a change set takes when the writer spills large checkpoints into its
/// own artifacts (the data phase): only memory bounds it.
pub const MAX_SPILLED_CHARS: usize = 8_000_000;

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
    /// Users deactivated at some point since, reactivated or not: a deactivation took their
    /// app assignments and admin roles, whatever a reactivation granted back.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub deactivated_ever: BTreeSet<String>,
    /// Users reactivated (or activated) since: Okta grants their groups' apps back.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub reactivated_users: BTreeSet<String>,
    /// Users whose email or profile changed: their enrollments (which show the email) are read
    /// again.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub enrollment_users: BTreeSet<String>,
    /// A factor type was enabled or disabled org-wide (`system.mfa.factor.*`): what Okta lists
    /// as each user's factors may change for every user, so factors are read in full.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub factor_types_changed: bool,
    /// Authorization servers deleted: their policies go.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub deleted_servers: BTreeSet<String>,
    /// Events of a family the connector reads that no rule here acts on (a group created, a
    /// device updated...), per event type: what they change reaches DevRev through the
    /// `lastUpdated` listings, or is not extracted. Counted, so none is dropped unseen.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub other_events: BTreeMap<String, u64>,
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
    "oauth2.as.",
    "user.account.update_primary_email",
    "system.mfa.factor.",
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

/// One event being observed.
struct Seen<'a> {
    kind: &'a str,
    at: &'a str,
    ts: &'a [Target<'a>],
}

impl<'a> Seen<'a> {
    /// The event's first target of this type.
    fn first(&self, kind: &str) -> Option<&'a Target<'a>> {
        self.ts.iter().find(|t| t.kind == kind)
    }
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
            self.note_change_at(&at);
        }
        let ts = targets(event);
        let e = Seen { kind, at: &at, ts: &ts };
        let acted = self.observe_edge(&e) || self.observe_lifecycle(&e);
        if !acted && CHANGE_EVENT_PREFIXES.iter().any(|p| kind.starts_with(p)) {
            *self.other_events.entry(kind.to_string()).or_default() += 1;
        }
        if self.size() > MAX_CHANGES {
            self.give_up();
        }
    }

    /// Keeps the newest time a change was published.
    /// Gives up the parents and tombstones when they would take more than `limit` characters
    /// ([`MAX_STATE_CHARS`] in the state, [`MAX_SPILLED_CHARS`] in the writer's own artifact):
    /// the run then reads in full (the round's end diffs those listings).
    pub fn keep_within(&mut self, limit: usize) {
        let chars = serde_json::to_string(self).map_or(usize::MAX, |s| s.len());
        if chars > limit {
            tracing::warn!(chars, "the System Log's changes would take too much of the state; this run reads in full");
            self.give_up();
        }
    }

    fn give_up(&mut self) {
        let latest_change = std::mem::take(&mut self.latest_change);
        let other_events = std::mem::take(&mut self.other_events);
        *self = ChangeSet { overflow: true, events: self.events, latest_change, other_events, ..ChangeSet::default() };
    }

    fn note_change_at(&mut self, at: &str) {
        let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
        let newer = match (parse(at), parse(&self.latest_change)) {
            (Some(a), Some(latest)) => a > latest,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if newer {
            self.latest_change = at.to_string();
        }
    }

    /// Factors, memberships, assignments and admin roles; false when the event is none of them.
    fn observe_edge(&mut self, e: &Seen<'_>) -> bool {
        let (user, group, app) = (e.first(USER), e.first(GROUP), e.first(APP));
        match e.kind {
            k if k.starts_with("user.mfa.factor.") => {
                if let Some(u) = user {
                    self.factor_users.insert(u.id.to_string());
                }
            }
            k if k.starts_with("system.mfa.factor.") => self.factor_types_changed = true,
            "user.account.update_primary_email" | "user.account.update_profile" => {
                if let Some(u) = user {
                    self.enrollment_users.insert(u.id.to_string());
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
            "application.user_membership.remove" => {
                if let (Some(a), Some(u)) = (app, user) {
                    self.assignment_apps.insert(a.id.to_string());
                    self.edge_removed("app_user_assignments", (a, "app_id"), (u, "user_id"), e.at);
                }
            }
            // Any other change to an assignment (its status, scope or profile: `.update`,
            // `.provision`, `.deprovision`, `.revoke`, `.approve`, `.restore`...): that app's
            // assignments are read again.
            k if k.starts_with("application.user_membership.") => {
                if let Some(a) = app {
                    self.assignment_apps.insert(a.id.to_string());
                }
            }
            "group.user_membership.add" => {
                if let (Some(g), Some(u)) = (group, user) {
                    self.restored("group_members", g, u);
                }
            }
            "group.user_membership.remove" => {
                if let (Some(g), Some(u)) = (group, user) {
                    self.edge_removed("group_members", (g, "group_id"), (u, "user_id"), e.at);
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
                    self.edge_removed("app_group_assignments", (a, "app_id"), (g, "group_id"), e.at);
                }
            }
            _ => return self.observe_roles(e),
        }
        true
    }

    /// Admin roles granted or revoked, custom roles and resource sets changed.
    fn observe_roles(&mut self, e: &Seen<'_>) -> bool {
        match e.kind {
            "user.account.privilege.grant" | "user.account.privilege.revoke" => {
                if let Some(u) = e.first(USER) {
                    self.role_users.insert(u.id.to_string());
                }
            }
            "group.privilege.grant" | "group.privilege.revoke" => {
                if let Some(g) = e.first(GROUP) {
                    self.role_groups.insert(g.id.to_string());
                }
            }
            k if k.starts_with("iam.role.") || k.starts_with("iam.resourceset.") => self.roles_changed = true,
            _ => return false,
        }
        true
    }

    /// Users (de)activated, objects created, changed or deleted; false when the event is none
    /// of them.
    fn observe_lifecycle(&mut self, e: &Seen<'_>) -> bool {
        let (user, group, app) = (e.first(USER), e.first(GROUP), e.first(APP));
        match e.kind {
            "user.lifecycle.deactivate" => {
                if let Some(u) = user {
                    self.factor_users.remove(u.id);
                    self.reactivated_users.remove(u.id);
                    self.deactivated_users.insert(u.id.to_string());
                    self.deactivated_ever.insert(u.id.to_string());
                }
            }
            "user.lifecycle.activate" | "user.lifecycle.reactivate" | "user.lifecycle.unsuspend" => {
                if let Some(u) = user {
                    if self.deactivated_users.remove(u.id) || e.kind != "user.lifecycle.unsuspend" {
                        self.reactivated_users.insert(u.id.to_string());
                    }
                    self.factor_users.insert(u.id.to_string());
                }
            }
            "oauth2.as.deleted" => {
                if let Some(s) = e.ts.iter().find(|t| t.kind.contains("AuthorizationServer") || t.kind == "AuthServer") {
                    self.deleted_servers.insert(s.id.to_string());
                }
            }
            "user.lifecycle.delete.completed" => {
                if let Some(u) = user {
                    self.factor_users.remove(u.id);
                    self.role_users.insert(u.id.to_string());
                    let fields = [("login", name_of(u)), ("display_name", u.display_name.to_string())];
                    self.deleted("users", u, e.at, &fields);
                }
            }
            "group.lifecycle.delete" => {
                if let Some(g) = group {
                    self.role_groups.insert(g.id.to_string());
                    self.deleted("groups", g, e.at, &[("name", name_of(g))]);
                }
            }
            "application.lifecycle.delete" => {
                if let Some(a) = app {
                    self.apps.remove(a.id);
                    self.deleted("applications", a, e.at, &[("label", a.display_name.to_string())]);
                }
            }
            k if k.starts_with("application.lifecycle.") => {
                if let Some(a) = app {
                    self.apps.insert(a.id.to_string());
                }
            }
            "device.lifecycle.delete" => {
                if let Some(d) = e.first(DEVICE) {
                    self.deleted("devices", d, e.at, &[]);
                }
            }
            _ => return self.observe_policy(e),
        }
        true
    }

    /// Policies and their rules.
    fn observe_policy(&mut self, e: &Seen<'_>) -> bool {
        let Some(p) = e.first(POLICY) else { return false };
        match e.kind {
            "policy.lifecycle.delete" => {
                self.policies.remove(p.id);
                self.deleted("policies", p, e.at, &[("name", name_of(p))]);
            }
            k if k.starts_with("policy.lifecycle.") || k.starts_with("policy.rule.") => {
                self.policies.insert(p.id.to_string());
            }
            _ => return false,
        }
        true
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
            + self.reactivated_users.len()
            + self.deactivated_ever.len()
            + self.enrollment_users.len()
            + self.deleted_servers.len()
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
        let id = ItemType::edge_id(parent.id, child.id);
        self.tombstones.retain(|t| !(t.item_type == item_type && t.id == id));
    }

    fn deleted(&mut self, item_type: &str, t: &Target<'_>, at: &str, fields: &[(&str, String)]) {
        let fields = fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        self.tombstones.push(Tombstone {
            item_type: item_type.into(),
            id: t.id.into(),
            at: at.into(),
            kind: TombstoneKind::Deleted,
            title: name_of(t),
            fields,
        });
    }

    fn edge_removed(
        &mut self,
        item_type: &str,
        (parent, parent_key): (&Target<'_>, &str),
        (child, child_key): (&Target<'_>, &str),
        at: &str,
    ) {
        let mut fields = BTreeMap::new();
        fields.insert(parent_key.to_string(), parent.id.to_string());
        fields.insert(child_key.to_string(), child.id.to_string());
        self.tombstones.push(Tombstone {
            item_type: item_type.into(),
            id: ItemType::edge_id(parent.id, child.id),
            at: at.into(),
            kind: TombstoneKind::Removed,
            title: ItemType::edge_title(&name_of(parent), &name_of(child)),
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
            && self.reactivated_users.is_empty()
            && self.deactivated_ever.is_empty()
            && self.enrollment_users.is_empty()
            && !self.factor_types_changed
            && self.deleted_servers.is_empty()
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
        assert!(c.other_events.is_empty(), "{:?}", c.other_events);
        // An event of a family the connector reads that no rule acts on is counted; one of
        // another family (a sign-in) is not.
        c.observe(&event("group.lifecycle.create", json!([{"id": "00g9", "type": "UserGroup"}])));
        c.observe(&event("user.session.start", json!([])));
        assert_eq!(c.other_events, [("group.lifecycle.create".to_string(), 1)].into());
    }

    #[test]
    fn a_change_set_too_big_for_the_state_gives_up_and_the_run_reads_in_full() {
        let mut c = ChangeSet::default();
        for i in 0..1_500 {
            let g = json!({"id": format!("00g{i:017}"), "type": "UserGroup", "displayName": "Engineering and friends"});
            c.observe(&event("group.user_membership.remove", json!([user(&format!("00u{i:017}")), g])));
        }
        assert!(!c.overflow && c.size() <= MAX_CHANGES);
        c.keep_within(MAX_SPILLED_CHARS);
        assert!(!c.overflow, "1 500 tombstones fit an artifact");
        c.keep_within(MAX_STATE_CHARS);
        assert!(c.overflow, "1 500 tombstones take more than {MAX_STATE_CHARS} characters");
        assert!(c.tombstones.is_empty());
        assert!(serde_json::to_string(&c).unwrap().len() < 1_000);
        assert_eq!(c.events, 1_500);
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
        let f = Tombstone {
            item_type: "factors".into(),
            id: "00u9:uft1".into(),
            at: "2026-11-01T10:00:00.000Z".into(),
            kind: TombstoneKind::Removed,
            title: "00u9:uft1".into(),
            fields: [("user_id".to_string(), "00u9".to_string())].into(),
        };
        let r = f.to_record().unwrap();
        assert_eq!(crate::metadata::validate::check_record(&meta, "factors", &r), Vec::<String>::new());
        assert_eq!(r["data"]["removed"], true);
    }

    #[test]
    fn every_deleted_object_s_tombstone_passes_the_metadata_with_nothing_invented_empty() {
        let meta = crate::metadata::document(&[]);
        let mut c = ChangeSet::default();
        c.observe(&event("user.lifecycle.delete.completed", json!([user("00u9")])));
        c.observe(&event("group.lifecycle.delete", json!([{"id": "00g1", "type": "UserGroup", "displayName": "Eng"}])));
        c.observe(&event("application.lifecycle.delete", json!([{"id": "0oa1", "type": "AppInstance", "displayName": "Portal"}])));
        c.observe(&event("device.lifecycle.delete", json!([{"id": "guo1", "type": "Device"}])));
        c.observe(&event("policy.lifecycle.delete", json!([{"id": "00p1", "type": "PolicyEntity", "displayName": "Default"}])));
        assert_eq!(c.tombstones.len(), 5);
        for t in &c.tombstones {
            let r = t.to_record().unwrap();
            assert_eq!(crate::metadata::validate::check_record(&meta, &t.item_type, &r), Vec::<String>::new(), "{r}");
            // A required field is never filled with nothing (DevRev wants required fields non-empty).
            let empty: Vec<_> = r["data"].as_object().unwrap().iter().filter(|(_, v)| *v == "").map(|(k, _)| k.clone()).collect();
            assert!(empty.is_empty(), "{}: empty {empty:?}", t.item_type);
        }
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
