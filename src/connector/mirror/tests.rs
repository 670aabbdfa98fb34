use super::*;
use serde_json::json;

fn alive(t: &str, id: &str, f: Value) -> Entry {
    Entry {
        t: t.into(),
        id: id.into(),
        m: "2026-11-01T00:00:00.000Z".into(),
        gone: false,
        floor: false,
        f: f.as_object().cloned().unwrap_or_default(),
    }
}

fn before(e: Entry) -> Folded {
    Folded { base: Some(e), latest: None }
}

fn facts() -> RoundFacts {
    RoundFacts { now: DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z").unwrap().with_timezone(&Utc), ..RoundFacts::default() }
}

fn run(folded: &[Folded], facts: &RoundFacts) -> Vec<(String, String, String)> {
    let events = EventTombstones::of(&facts.events);
    let mut plan = Planned::default();
    for pass in [Pass::Objects, Pass::Edges] {
        for f in folded {
            plan.visit(pass, f, facts, &events);
        }
    }
    plan.out.iter().map(|t| (t.item_type.clone(), t.id.clone(), t.at.clone())).collect()
}

#[test]
fn the_index_keeps_what_a_tombstone_needs_and_never_an_event() {
    let rec = json!({"id": "00g1:00u1", "created_date": "x", "modified_date": "2026-11-01T00:00:00.000Z",
                     "data": {"group_id": "00g1", "user_id": "00u1", "record_title": "Eng ← ada", "status": "ACTIVE", "profile": {"x": 1}}});
    let e = entry("group_members", &rec).unwrap();
    assert_eq!(e.f.get("group_id"), Some(&json!("00g1")));
    assert_eq!(e.f.get("user_id"), Some(&json!("00u1")));
    assert_eq!(e.f.get("record_title"), Some(&json!("Eng ← ada")));
    assert!(!e.f.contains_key("profile"), "{e:?}");
    let gone = json!({"id": "00u1", "modified_date": "2026-11-02T00:00:00.000Z", "data": {"deleted": true}});
    assert!(entry("users", &gone).unwrap().gone);
    assert_eq!(entry("system_logs", &rec), None);
    assert_eq!(entry("widgets", &rec), None);
}

#[test]
fn a_whole_listing_tombstones_what_it_did_not_send_and_its_edges_go_too() {
    let mut f = facts();
    f.whole.insert("users".into());
    let sent_now = Folded { base: None, latest: Some(alive("users", "00u2", json!({}))) };
    let folded = [
        before(alive("users", "00u1", json!({"login": "ada"}))),
        sent_now,
        before(alive("group_members", "00g1:00u1", json!({"group_id": "00g1", "user_id": "00u1"}))),
        before(alive("group_members", "00g1:00u2", json!({"group_id": "00g1", "user_id": "00u2"}))),
    ];
    let got = run(&folded, &f);
    let ids: Vec<&str> = got.iter().map(|(_, id, _)| id.as_str()).collect();
    assert_eq!(ids, ["00u1", "00g1:00u1"]);
    assert!(got.iter().all(|(_, _, at)| at == "2026-12-01T00:00:00.000Z"));
}

#[test]
fn a_deactivation_takes_active_apps_and_roles_and_leaves_memberships() {
    let mut f = facts();
    f.log_driven = true;
    f.events.push(ChangeSet { deactivated_users: ["00u1".to_string()].into(), ..ChangeSet::default() });
    let folded = [
        before(alive("app_user_assignments", "0oa1:00u1", json!({"app_id": "0oa1", "user_id": "00u1"}))),
        before(alive("app_user_assignments", "0oa2:00u1", json!({"app_id": "0oa2", "user_id": "00u1"}))),
        before(alive("applications", "0oa1", json!({"status": "ACTIVE"}))),
        before(alive("applications", "0oa2", json!({"status": "INACTIVE"}))),
        before(alive("group_members", "00g1:00u1", json!({"group_id": "00g1", "user_id": "00u1"}))),
        before(alive("iam_role_members", "ra1:00u1", json!({"role_id": "r", "user_id": "00u1"}))),
    ];
    let ids: Vec<String> = run(&folded, &f).into_iter().map(|(_, id, _)| id).collect();
    assert_eq!(ids, ["0oa1:00u1", "ra1:00u1"]);
    f.log_driven = false;
    assert!(run(&folded, &f).is_empty(), "a full reading's listing says what Okta did");
}

#[test]
fn an_event_tombstone_carries_the_index_s_fields_and_comes_after_the_last_send() {
    let mut f = facts();
    let mut cs = ChangeSet::default();
    cs.tombstones.push(Tombstone {
        item_type: "users".into(),
        id: "00u1".into(),
        at: "2026-10-01T00:00:00.000Z".into(),
        kind: TombstoneKind::Deleted,
        title: "00u1".into(),
        fields: BTreeMap::new(),
    });
    f.events.push(cs);
    let folded = [before(alive("users", "00u1", json!({"login": "ada@acme.com", "record_title": "Ada"})))];
    let events = EventTombstones::of(&f.events);
    let mut plan = Planned::default();
    plan.visit(Pass::Objects, &folded[0], &f, &events);
    let t = &plan.out[0];
    assert_eq!(t.at, "2026-11-01T00:00:00.001Z", "after the time it was last sent");
    assert_eq!(t.fields.get("login").map(String::as_str), Some("ada@acme.com"));
    assert_eq!(t.title, "Ada");
    assert!(plan.indexed.contains(&("users".to_string(), "00u1".to_string())));
}

#[test]
fn parents_read_again_whole_lose_the_children_they_no_longer_list() {
    let mut f = facts();
    f.parents.insert("factors".into(), ("user_id", ["00u1".to_string()].into()));
    let folded = [
        before(alive("factors", "00u1:f1", json!({"user_id": "00u1"}))),
        Folded {
            base: Some(alive("factors", "00u1:f2", json!({"user_id": "00u1"}))),
            latest: Some(alive("factors", "00u1:f2", json!({"user_id": "00u1"}))),
        },
        before(alive("factors", "00u2:f3", json!({"user_id": "00u2"}))),
    ];
    let ids: Vec<String> = run(&folded, &f).into_iter().map(|(_, id, _)| id).collect();
    assert_eq!(ids, ["00u1:f1"]);
}
