use super::*;

fn e(t: &str, id: &str, m: &str, gone: bool) -> Entry {
    Entry { t: t.into(), id: id.into(), m: m.into(), gone, floor: false, f: Map::new() }
}

fn part(entries: Vec<Entry>) -> Data {
    Data::Mem(Arc::from(encode(entries).unwrap().0))
}

fn folded(loaded: &Loaded) -> Vec<Folded> {
    let mut out = Vec::new();
    fold(loaded, |f| out.push(f)).unwrap();
    out
}

#[test]
fn a_part_keeps_the_last_line_sent_per_record_sorted_by_key() {
    let (gz, lines) = encode(vec![e("users", "b", "1", false), e("users", "a", "1", false), e("users", "b", "2", true)]).unwrap();
    assert_eq!(lines, 2);
    let got = folded(&Loaded { base: Some(Data::Mem(Arc::from(gz))), journal: vec![] });
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].base.as_ref().unwrap().id, "a");
    assert_eq!(got[1].base.as_ref().unwrap(), &e("users", "b", "2", true));
}

#[test]
fn the_fold_gives_each_record_its_base_line_and_the_journal_s_latest() {
    let base = part(vec![e("groups", "g1", "1", false), e("users", "u1", "1", false), e("users", "u2", "1", false)]);
    let j1 = part(vec![e("users", "u1", "2", false), e("users", "u3", "2", false)]);
    let j2 = part(vec![e("users", "u1", "3", true)]);
    let got = folded(&Loaded { base: Some(base), journal: vec![j1, j2] });
    let keys: Vec<(&str, &str)> = got.iter().map(|f| f.last().map(|l| (l.t.as_str(), l.id.as_str())).unwrap()).collect();
    assert_eq!(keys, [("groups", "g1"), ("users", "u1"), ("users", "u2"), ("users", "u3")]);
    assert_eq!(got[1].base.as_ref().unwrap().m, "1");
    assert_eq!(got[1].latest.as_ref().unwrap(), &e("users", "u1", "3", true), "the later journal part wins");
    assert!(got[2].latest.is_none());
    assert!(got[3].base.is_none());
}

#[test]
fn compaction_keeps_last_lines_and_young_tombstones_only() {
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z").unwrap().with_timezone(&chrono::Utc);
    let base = part(vec![e("users", "old", "2026-01-01T00:00:00Z", false), e("users", "u1", "2026-11-01T00:00:00Z", false)]);
    let j = part(vec![
        e("users", "old", "2026-10-01T00:00:00Z", true),
        e("users", "u1", "2026-11-30T00:00:00Z", true),
        e("users", "u2", "2026-11-30T00:00:00Z", false),
    ]);
    let c = compact(&Loaded { base: Some(base), journal: vec![j] }, now).unwrap();
    let Spooled { spool, lines, .. } = c.base;
    assert_eq!(lines, 2, "the tombstone sent 61 days ago is forgotten");
    let path = spool.path().to_path_buf();
    assert!(path.exists(), "the new base is a file");
    let gone = lines_of(&c.gone.0).unwrap();
    assert_eq!(gone, vec![e("users", "u1", "2026-11-30T00:00:00Z", true)], "the tombstones part holds the young tombstone only");
    let got = folded(&Loaded { base: Some(Data::Disk(Arc::new(spool))), journal: vec![] });
    assert_eq!(got[0].base.as_ref().unwrap(), &e("users", "u1", "2026-11-30T00:00:00Z", true));
    assert_eq!(got[1].base.as_ref().unwrap().id, "u2");
    assert!(!path.exists(), "its file goes with it");
}

#[test]
fn inline_parts_stay_under_the_limit_and_merge_in_order() {
    let (gz, lines) = encode(vec![e("users", "u1", "1", false)]).unwrap();
    let p1 = inline_part(&gz, lines).unwrap();
    let (gz, lines) = encode(vec![e("users", "u1", "2", true)]).unwrap();
    let p2 = inline_part(&gz, lines).unwrap();
    let idx = IndexState { base: None, journal: vec![p1, p2], gone: None };
    assert!(!journal_overflows(&idx));
    let merged = inline_entries(&idx).unwrap();
    let (gz, lines) = encode(merged).unwrap();
    assert_eq!(lines, 1);
    let got = folded(&Loaded { base: Some(Data::Mem(Arc::from(gz))), journal: vec![] });
    assert_eq!(got[0].base.as_ref().unwrap(), &e("users", "u1", "2", true));
    let big: Vec<Entry> = (0..40_000).map(|i| e("users", &format!("{i:x}{}", i * 7919), "2026-01-01T00:00:00Z", false)).collect();
    let (gz, lines) = encode(big).unwrap();
    assert!(inline_part(&gz, lines).is_none(), "{} bytes gzipped stay out of the state", gz.len());
}

#[test]
fn a_corrupt_part_is_an_error_not_an_empty_index() {
    let loaded = Loaded { base: Some(Data::Mem(Arc::from(b"not gzip".to_vec()))), journal: vec![] };
    assert!(fold(&loaded, |_| {}).is_err());
}

#[test]
fn a_journal_merge_keeps_every_record_s_last_line_tombstones_included() {
    let older = part(vec![e("users", "u1", "2026-01-01T00:00:00Z", false), e("users", "u2", "2026-01-01T00:00:00Z", false)]);
    let newer = part(vec![e("users", "u1", "2000-01-01T00:00:00Z", true), e("users", "u3", "2026-01-02T00:00:00Z", false)]);
    let Spooled { spool, lines, .. } = merge(&Loaded { base: None, journal: vec![older, newer] }).unwrap();
    assert_eq!(lines, 3);
    let got = folded(&Loaded { base: None, journal: vec![Data::Disk(Arc::new(spool))] });
    let last: Vec<Entry> = got.iter().map(|f| f.last().unwrap().clone()).collect();
    assert_eq!(
        last,
        vec![
            e("users", "u1", "2000-01-01T00:00:00Z", true),
            e("users", "u2", "2026-01-01T00:00:00Z", false),
            e("users", "u3", "2026-01-02T00:00:00Z", false)
        ],
        "the later part wins, and an old tombstone is not forgotten by a merge"
    );
}
