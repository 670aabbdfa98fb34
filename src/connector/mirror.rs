//! DevRev holds the org as Okta holds it: at the end of every round, what the index says DevRev
//! holds is compared with what the round read and what the System Log said, and every record
//! that no longer exists gets its own tombstone (DevRev cascades nothing).
//!
//! - **Every whole listing is a diff**: a type listed whole in this round (a full or fallback
//!   reading with no skip), and the children of each parent read again whole (a log-driven
//!   round's factors of a user, assignments of an app, roles of a user or group): what the
//!   index holds and the round did not send is gone.
//! - **Every event counts**: the tombstones the events name (before the run too), unless the
//!   round sent the record alive since.
//! - **Edges die with their objects**: a deleted user's, group's or app's edges.
//! - **Okta's side effects of a deactivation** (help.okta.com, "Deactivate and delete user
//!   accounts"): in a log-driven round, a deactivated user's assignments to active apps and
//!   admin roles go; so do the factors and enrollments the connector reads only for users who
//!   are not deactivated.
//!
//! A tombstone carries what the index kept of the record (ends, required fields, title) and a
//! `modified_date` after the one the record was last sent with.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use super::changes::{ChangeSet, Tombstone, TombstoneKind};
use crate::airsync::artifacts::iso_millis;
use crate::airsync::extractor::Sink;
use crate::airsync::index::{self, Entry, Folded, Reader};
use crate::extract::item_type::{ItemType, Shape};

/// Fields the index keeps beyond the required ones and an edge's ends: what a cascade or a
/// side effect asks of a record.
const EXTRA: &[(&str, &[&str])] = &[("applications", &["status"]), ("users", &["status"]), ("policies", &["authorization_server_id"])];

/// What the index keeps of a record sent (events are never tombstoned, so not kept).
pub fn entry(item_type: &str, rec: &Value) -> Option<Entry> {
    let t = ItemType::parse(item_type)?;
    if matches!(t.shape(), Shape::Event) {
        return None;
    }
    let id = rec.get("id")?.as_str()?.to_string();
    let m = rec.get("modified_date").and_then(Value::as_str).unwrap_or("").to_string();
    let data = rec.get("data").and_then(Value::as_object);
    let flag = |k: &str| data.and_then(|d| d.get(k)).and_then(Value::as_bool).unwrap_or(false);
    if flag("deleted") || flag("removed") {
        return Some(Entry { t: item_type.into(), id, m, gone: true, floor: false, f: Map::new() });
    }
    let f = kept_fields(t).iter().filter_map(|k| Some((k.clone(), data?.get(k)?.clone()))).filter(|(_, v)| !v.is_null()).collect();
    Some(Entry { t: item_type.into(), id, m, gone: false, floor: false, f })
}

/// The fields the index keeps of a type's records: the required ones, an edge's ends, the
/// [`EXTRA`] ones and the title (worked out once per type: [`entry`] runs for every record).
fn kept_fields(t: ItemType) -> &'static [String] {
    static KEPT: std::sync::OnceLock<BTreeMap<ItemType, Vec<String>>> = std::sync::OnceLock::new();
    let all = KEPT.get_or_init(|| {
        ItemType::ALL
            .into_iter()
            .map(|t| {
                let mut keep: Vec<String> = crate::metadata::required_fields(t).to_vec();
                if let Shape::Edge { ends } = t.shape() {
                    keep.extend(ends.iter().map(|e| e.to_string()));
                }
                keep.extend(EXTRA.iter().filter(|(n, _)| *n == t.as_str()).flat_map(|(_, f)| f.iter().map(|x| x.to_string())));
                keep.push(crate::extract::TITLE_FIELD.into());
                keep.sort();
                keep.dedup();
                (t, keep)
            })
            .collect()
    });
    all.get(&t).map_or(&[], Vec::as_slice)
}

/// What one round read and heard, for [`reconcile`].
#[derive(Debug, Default)]
pub struct RoundFacts {
    /// Item types listed whole in this round.
    pub whole: BTreeSet<String>,
    /// Per item type, the end field and the parents whose children were read again whole.
    pub parents: BTreeMap<String, (&'static str, BTreeSet<String>)>,
    /// The System Log's change sets (before the run and during it).
    pub events: Vec<ChangeSet>,
    /// The round was driven by the System Log: deactivations have their side effects here.
    pub log_driven: bool,
    /// When the round ended (diff and cascade tombstones carry it).
    pub now: DateTime<Utc>,
    /// Item types the user left out of the sync: never sent, tombstones included.
    pub excluded: BTreeSet<String>,
}

/// What [`reconcile`] sent, per item type.
pub type Sent = BTreeMap<String, u64>;

/// Compares the index with the round and sends every tombstone due. An index that cannot be
/// read tombstones nothing from memory (only what the events name), and says so.
pub async fn reconcile(sink: &Sink, reader: &Reader, facts: &RoundFacts) -> Result<Sent, crate::airsync::extractor::SinkClosed> {
    let idx = sink.index().await?;
    let events = EventTombstones::of(&facts.events);
    let mut plan = Planned::default();
    match reader.load(&idx).await {
        Ok(loaded) => {
            let decide = |pass: Pass, plan: &mut Planned| index::fold(&loaded, |f| plan.visit(pass, &f, facts, &events));
            let read = decide(Pass::Objects, &mut plan).and_then(|_| decide(Pass::Edges, &mut plan));
            if let Err(e) = read {
                tracing::warn!(error = %e, "the index could not be read; only the System Log's tombstones are sent this round");
                plan = Planned::default();
            }
        }
        Err(e) => tracing::warn!(error = %e, "the index could not be read back; only the System Log's tombstones are sent this round"),
    }
    // What the events name and the index never held (sent before the index existed): only a
    // log-driven round has no listing to tell it.
    let unindexed = events.by_key.values().filter(|t| facts.log_driven && !plan.indexed.contains(&(t.item_type.clone(), t.id.clone())));
    for t in unindexed {
        plan.out.push(t.clone());
    }
    let mut sent = Sent::new();
    let mut by_type: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for t in plan.out.iter().filter(|t| !facts.excluded.contains(&t.item_type)) {
        if let Some(r) = t.to_record() {
            by_type.entry(t.item_type.clone()).or_default().push(r);
        }
    }
    for (t, recs) in by_type {
        *sent.entry(t.clone()).or_default() += recs.len() as u64;
        sink.push(&t, recs).await?;
    }
    if !sent.is_empty() {
        tracing::info!(tombstones = ?sent, "records gone since they were sent");
    }
    Ok(sent)
}

/// The events' tombstones by record.
struct EventTombstones {
    by_key: BTreeMap<(String, String), Tombstone>,
    /// Deactivated now: the factors and enrollments the connector reads go too.
    deactivated: HashSet<String>,
    /// Deactivated at some point, maybe active again: the app assignments and roles went.
    deactivated_ever: HashSet<String>,
    deleted_servers: HashSet<String>,
    /// Objects the events say are deleted: their edges go, even those the index holds with no
    /// record of the object (a user deleted before the first sync, whose sign-ins the log
    /// still shows).
    deleted_objects: HashSet<String>,
}

impl EventTombstones {
    fn of(sets: &[ChangeSet]) -> Self {
        let mut by_key = BTreeMap::new();
        let mut deactivated = HashSet::new();
        let mut deactivated_ever = HashSet::new();
        let mut deleted_servers = HashSet::new();
        let mut deleted_objects = HashSet::new();
        for cs in sets {
            for t in &cs.tombstones {
                by_key.insert((t.item_type.clone(), t.id.clone()), t.clone());
                if t.kind == TombstoneKind::Deleted {
                    deleted_objects.insert(t.id.clone());
                }
            }
            deactivated.extend(cs.deactivated_users.iter().cloned());
            deactivated_ever.extend(cs.deactivated_users.iter().chain(&cs.deactivated_ever).cloned());
            deleted_servers.extend(cs.deleted_servers.iter().cloned());
        }
        EventTombstones { by_key, deactivated, deactivated_ever, deleted_servers, deleted_objects }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    Objects,
    Edges,
}

/// The tombstones decided so far.
#[derive(Default)]
struct Planned {
    out: Vec<Tombstone>,
    /// Objects gone (deleted in Okta), by id: their edges go too.
    gone_objects: HashSet<String>,
    /// Apps not active: a deactivation leaves their assignments alone.
    inactive_apps: HashSet<String>,
    /// Users whose last record says DEPROVISIONED: the connector holds no factor or enrollment
    /// of theirs (Okta's user list, which the full reading walks, leaves them out), whatever an
    /// event about them asked to read.
    deprovisioned: HashSet<String>,
    /// Records the index holds (alive or not), so an event's tombstone is not sent twice.
    indexed: HashSet<(String, String)>,
}

impl Planned {
    fn visit(&mut self, pass: Pass, f: &Folded, facts: &RoundFacts, events: &EventTombstones) {
        let Some(last) = f.last() else { return };
        let Some(t) = ItemType::parse(&last.t) else { return };
        let is_edge = t.is_edge();
        if (pass == Pass::Objects) == is_edge {
            return;
        }
        let key = (last.t.clone(), last.id.clone());
        if events.by_key.contains_key(&key) {
            self.indexed.insert(key.clone());
        }
        if t == ItemType::Applications && !last.gone && last.f.get("status").and_then(Value::as_str).is_some_and(|s| s != "ACTIVE") {
            self.inactive_apps.insert(last.id.clone());
        }
        if t == ItemType::Users && !last.gone && last.f.get("status").and_then(Value::as_str) == Some("DEPROVISIONED") {
            self.deprovisioned.insert(last.id.clone());
        }
        if last.gone {
            if !is_edge {
                self.gone_objects.insert(last.id.clone());
            }
            return;
        }
        let sent_now = f.latest.is_some();
        let why = self.why_gone(t, last, sent_now, facts, events);
        let Some(at) = why else { return };
        if !is_edge {
            self.gone_objects.insert(last.id.clone());
        }
        self.out.push(tombstone(t, last, at));
    }

    /// When the record went, if it did.
    fn why_gone(&self, t: ItemType, e: &Entry, sent_now: bool, facts: &RoundFacts, events: &EventTombstones) -> Option<String> {
        let now = iso_millis(&facts.now);
        let field = |k: &str| e.f.get(k).and_then(Value::as_str);
        let user_children = matches!(t, ItemType::Factors | ItemType::AuthenticatorEnrollments);
        if user_children && field("user_id").is_some_and(|u| self.deprovisioned.contains(u)) {
            return Some(now);
        }
        if !sent_now && facts.whole.contains(&e.t) {
            return Some(now);
        }
        if !sent_now {
            if let Some((end, parents)) = facts.parents.get(&e.t) {
                if field(end).is_some_and(|p| parents.contains(p)) {
                    return Some(now);
                }
            }
        }
        if !sent_now {
            if let Some(ev) = events.by_key.get(&(e.t.clone(), e.id.clone())) {
                return Some(ev.at.clone());
            }
        }
        if let Shape::Edge { ends } = t.shape() {
            if ends.iter().filter_map(|k| field(k)).any(|id| self.gone_objects.contains(id) || events.deleted_objects.contains(id)) {
                return Some(now);
            }
        }
        if t == ItemType::Policies && field("authorization_server_id").is_some_and(|s| events.deleted_servers.contains(s)) {
            return Some(now);
        }
        let user = field("user_id");
        if facts.log_driven && !sent_now {
            let side_effect = match t {
                ItemType::AppUserAssignments => {
                    user.is_some_and(|u| events.deactivated_ever.contains(u))
                        && !field("app_id").is_some_and(|a| self.inactive_apps.contains(a))
                }
                ItemType::IamRoleMembers => user.is_some_and(|u| events.deactivated_ever.contains(u)),
                ItemType::Factors | ItemType::AuthenticatorEnrollments => user.is_some_and(|u| events.deactivated.contains(u)),
                _ => false,
            };
            if side_effect {
                return Some(now);
            }
        }
        None
    }
}

/// A tombstone of an indexed record, after the time it was last sent.
fn tombstone(t: ItemType, e: &Entry, at: String) -> Tombstone {
    let parse = |s: &str| DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc));
    let at = match (parse(&at), parse(&e.m)) {
        (Some(a), Some(m)) if a <= m => iso_millis(&(m + Duration::milliseconds(1))),
        _ => at,
    };
    let fields: BTreeMap<String, String> =
        e.f.iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .filter(|(k, _)| k != crate::extract::TITLE_FIELD)
            .collect();
    let title = e.f.get(crate::extract::TITLE_FIELD).and_then(Value::as_str).unwrap_or(&e.id).to_string();
    let kind = if t.is_edge() { TombstoneKind::Removed } else { TombstoneKind::Deleted };
    Tombstone { item_type: e.t.clone(), id: e.id.clone(), at, kind, title, fields }
}

/// The apps whose assignments a reactivated user may have again: those assigned to a group the
/// index says the user is a member of (Okta grants a group's apps back on reactivation).
pub async fn apps_of_groups_of(sink: &Sink, reader: &Reader, users: &BTreeSet<String>) -> Option<BTreeSet<String>> {
    if users.is_empty() {
        return Some(BTreeSet::new());
    }
    let idx = sink.index().await.ok()?;
    let loaded = reader.load(&idx).await.ok()?;
    let mut groups: HashSet<String> = HashSet::new();
    let mut by_group: HashMap<String, Vec<String>> = HashMap::new();
    index::fold(&loaded, |f| {
        let Some(e) = f.last().filter(|e| !e.gone) else { return };
        let get = |k: &str| e.f.get(k).and_then(Value::as_str).map(str::to_string);
        match e.t.as_str() {
            "group_members" if get("user_id").is_some_and(|u| users.contains(&u)) => groups.extend(get("group_id")),
            "app_group_assignments" => {
                if let (Some(a), Some(g)) = (get("app_id"), get("group_id")) {
                    by_group.entry(g).or_default().push(a);
                }
            }
            _ => {}
        }
    })
    .ok()?;
    Some(groups.iter().filter_map(|g| by_group.get(g)).flatten().cloned().collect())
}

mod round;
pub use round::end_round;

#[cfg(test)]
mod tests;
