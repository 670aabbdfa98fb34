//! Property tests over every parser that takes outside input (issue 16): the event envelope, the
//! state document, the extraction scope, the time window, the org URL and connection key, `Link`
//! headers, the normalizers (checked against the metadata validator) and the custom-attribute
//! typing. Properties: no panic; a typed error for what is rejected; a record the validator
//! accepts or a skip (`None`); parse-then-print round-trips where both exist.
//!
//! CI runs a bounded number of cases. The long campaign:
//! `PROPTEST_CASES=200000 cargo test --release --test props` (and the same for
//! `-p okta-sim --test props`).
#![allow(clippy::unwrap_used)] // a test binary: unwraps are assertions

use chrono::{TimeZone, Utc};
use okta_airsync::airsync::event::{parse_event, parse_invocation, salvage_reply_target, EventError};
use okta_airsync::airsync::extractor::ExtractionScope;
use okta_airsync::airsync::reply::{truncate_message, MAX_MESSAGE_UNITS};
use okta_airsync::airsync::state::WorkerState;
use okta_airsync::airsync::window::{parse_window, resolve, roll_forward};
use okta_airsync::extract::{apps, devices, factors, groups, logs, policies, roles, schema, secrets, snake, users, AdminLinks};
use okta_airsync::metadata::{self, validate::check_record};
use okta_airsync::okta::org_url::{parse_org_url, parse_testing_base_url};
use okta_airsync::okta::paging::{body_next, next_link};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Cases per property: small by default (CI), `PROPTEST_CASES` for a campaign.
/// CI (no `PROPTEST_CASES`) runs a fixed seed, so a run is reproducible and never flaky; a
/// campaign draws fresh cases every time.
fn cfg() -> ProptestConfig {
    let campaign = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok());
    let rng_seed = if campaign.is_some() { proptest::test_runner::RngSeed::Random } else { proptest::test_runner::RngSeed::Fixed(16) };
    ProptestConfig { cases: campaign.unwrap_or(64), failure_persistence: None, rng_seed, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------- generators

/// Strings that tend to break parsers: unicode, control characters, timestamps, URLs,
/// durations, numbers, huge runs.
fn nasty_string() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        2 => "[a-zA-Z0-9 ._:/?#=&%-]{0,40}",
        1 => "\\PC{0,20}",
        1 => Just(String::new()),
        1 => Just("\u{0}\u{feff}\u{202e}é😀".to_string()),
        2 => (0i64..4_102_444_800, 0u32..1000).prop_map(|(s, ms)| {
            Utc.timestamp_opt(s, ms * 1_000_000).single().map(|d| d.to_rfc3339()).unwrap_or_default()
        }),
        1 => Just("9999-12-31T23:59:59.999Z".to_string()),
        1 => Just("-262143-01-01T00:00:00Z".to_string()),
        1 => Just("2024-02-30T25:61:61Z".to_string()),
        1 => "(https?|ftp|file|javascript)://[a-z0-9.:@\\[\\]-]{0,30}(/[a-z0-9%]{0,10}){0,3}",
        1 => "[0-9.]{1,25}(ns|us|µs|ms|s|m|h|d|)",
        1 => (1usize..200_000).prop_map(|n| "é".repeat(n)),
    ]
}

/// Any JSON value, with nesting, big numbers and nasty strings.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        nasty_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(nasty_string(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Keys Okta objects (and AirSync events) use, so generated objects hit the paths the code reads.
const KEYS: &[&str] = &[
    "id",
    "uuid",
    "status",
    "created",
    "lastUpdated",
    "published",
    "profile",
    "login",
    "email",
    "firstName",
    "lastName",
    "displayName",
    "name",
    "label",
    "type",
    "_embedded",
    "_links",
    "user",
    "users",
    "group",
    "app",
    "credentials",
    "settings",
    "conditions",
    "actions",
    "rules",
    "target",
    "actor",
    "alternateId",
    "outcome",
    "result",
    "client",
    "ipAddress",
    "factorType",
    "provider",
    "vendorName",
    "activated",
    "statusChanged",
    "lastLogin",
    "passwordChanged",
    "role",
    "assignmentType",
    "resource",
    "scope",
    "priority",
    "system",
    "lastMembershipUpdated",
    "objectClass",
    "stats",
    "usersCount",
    "hasAdminPrivilege",
    "secret",
    "password",
    "token",
    "clientSecret",
    "displayMessage",
    "eventType",
    "severity",
    "transaction",
    "next",
    "href",
    "self",
    "payload",
    "event_type",
    "event_context",
    "callback_url",
    "worker_data_url",
    "context",
    "secrets",
    "service_account_token",
    "execution_metadata",
    "devrev_endpoint",
    "connection_data",
    "key",
    "org_id",
    "event_data",
    "input_data",
    "global_values",
    "extract",
    "custom",
    "definitions",
    "properties",
    "format",
    "title",
    "value",
    "phoneNumber",
    "resourceType",
    "platform",
    "osVersion",
    "serialNumber",
    "manager",
    "costCenter",
    "signOnMode",
    "features",
    "accessibility",
    "visibility",
];

/// Objects shaped like Okta's: known keys with arbitrary, often plausible values.
fn okta_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![8 => prop::sample::select(KEYS).prop_map(str::to_string), 1 => nasty_string()];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e300f64..1e300).prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        nasty_string().prop_map(Value::String),
        "[0-9a-zA-Z]{1,20}".prop_map(Value::String),
        prop::sample::select(
            &[
                "ACTIVE",
                "SUSPENDED",
                "DEPROVISIONED",
                "SHADOW",
                "OKTA_GROUP",
                "APP_GROUP",
                "USER",
                "GROUP",
                "SUPER_ADMIN",
                "CUSTOM",
                "OKTA_SIGN_ON"
            ][..]
        )
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(6, 96, 10, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..10).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A top-level Okta object: always an object, usually with an id and dates.
fn okta_object() -> impl Strategy<Value = Value> {
    (okta_json(), proptest::option::of("[0-9a-zA-Z]{1,20}"), proptest::option::of(nasty_string()), proptest::option::of(nasty_string()))
        .prop_map(|(v, id, created, updated)| {
            let mut m = match v {
                Value::Object(m) => m,
                other => {
                    let mut m = Map::new();
                    m.insert("profile".into(), other);
                    m
                }
            };
            if let Some(id) = id {
                m.insert("id".into(), id.clone().into());
                m.insert("uuid".into(), id.into());
            }
            if let Some(c) = created {
                m.insert("created".into(), c.into());
            }
            if let Some(u) = updated {
                m.insert("lastUpdated".into(), u.clone().into());
                m.insert("published".into(), u.into());
            }
            Value::Object(m)
        })
}

fn links() -> AdminLinks {
    AdminLinks::from_base(&url::Url::parse("https://acme.okta.com").unwrap())
}

/// A record is either skipped or valid against the shipped metadata.
fn assert_valid(doc: &Value, item_type: &str, rec: Option<Value>) -> Result<(), TestCaseError> {
    if let Some(rec) = rec {
        let errs = check_record(doc, item_type, &rec);
        prop_assert!(errs.is_empty(), "{item_type}: {errs:?}\nrecord: {rec}");
        let text = rec.to_string();
        for k in ["\"password\"", "\"clientSecret\"", "\"client_secret\""] {
            prop_assert!(!text.contains(k), "{item_type}: secret key {k} survived: {text}");
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- the event envelope

/// A well-formed event, then mutated by replacing one field with anything.
fn event_like() -> impl Strategy<Value = Value> {
    let base = json!({
        "payload": {"event_type": "START_EXTRACTING_DATA", "connection_data": {"key": "k", "org_id": "acme"},
            "event_context": {"callback_url": "http://127.0.0.1:1/cb", "worker_data_url": "http://127.0.0.1:1/wd", "request_id": "r"},
            "event_data": {}},
        "context": {"secrets": {"service_account_token": "t"}, "snap_in_version_id": "v", "snap_in_id": "s"},
        "execution_metadata": {"devrev_endpoint": "http://127.0.0.1:1", "event_type": "x"},
        "input_data": {"global_values": {}}
    });
    let pointers = prop::sample::select(
        &[
            "/payload",
            "/payload/event_type",
            "/payload/event_context",
            "/payload/event_context/callback_url",
            "/payload/event_context/worker_data_url",
            "/payload/connection_data",
            "/payload/connection_data/key",
            "/payload/event_data",
            "/context",
            "/context/secrets/service_account_token",
            "/execution_metadata/devrev_endpoint",
            "/input_data/global_values",
        ][..],
    );
    (prop::collection::vec((pointers, any_json()), 0..4)).prop_map(move |edits| {
        let mut v = base.clone();
        for (p, val) in edits {
            if let Some(slot) = v.pointer_mut(p) {
                *slot = val;
            }
        }
        v
    })
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn the_invocation_parser_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        match parse_invocation(&bytes) {
            Ok(items) => prop_assert!(!items.is_empty()),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn the_invocation_parser_takes_any_json(v in any_json()) {
        let bytes = serde_json::to_vec(&v).unwrap();
        match (&v, parse_invocation(&bytes)) {
            (Value::Array(a), Ok(items)) => prop_assert_eq!(a, &items),
            (Value::Object(_), Ok(items)) => prop_assert_eq!(vec![v.clone()], items),
            (Value::Array(a), Err(e)) => prop_assert!(a.is_empty() && e == EventError::Empty),
            (_, Err(EventError::NotAnEvent(_))) => {}
            (_, Err(EventError::TooLarge(n))) => prop_assert!(n > okta_airsync::airsync::event::MAX_EVENT_BYTES),
            (other, r) => prop_assert!(false, "{other} gave {r:?}"),
        }
    }

    #[test]
    fn any_event_is_parsed_or_refused_with_the_field_named(v in prop_oneof![any_json(), event_like()]) {
        let salvage = salvage_reply_target(&v);
        match parse_event(v.clone()) {
            Ok(ev) => {
                prop_assert!(matches!(ev.callback_url.scheme(), "http" | "https"));
                prop_assert!(ev.event_data.is_object());
                // An event that parses can always be answered.
                prop_assert!(salvage.is_some());
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(!msg.is_empty());
                if let EventError::BadUrl { value, .. } = &e {
                    prop_assert!(value.chars().count() <= 200);
                }
            }
        }
    }

    #[test]
    fn error_messages_are_cut_like_the_sdk(s in nasty_string()) {
        let out = truncate_message(&s);
        let units = s.encode_utf16().count();
        if units <= MAX_MESSAGE_UNITS {
            prop_assert_eq!(out, s);
        } else {
            let suffix = format!("... {} more characters", units - MAX_MESSAGE_UNITS);
            prop_assert!(out.ends_with(&suffix));
        }
    }
}

// ---------------------------------------------------------------- state, scope, window

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn any_state_text_is_parsed_or_refused(text in prop_oneof![nasty_string(), any_json().prop_map(|v| v.to_string())]) {
        match WorkerState::parse(&text) {
            Ok(s) => {
                // print then parse gives the same state
                let again = WorkerState::parse(&s.to_json()).unwrap();
                prop_assert_eq!(&again, &s);
                // every accessor tolerates any shape
                let _ = (s.get_str("lastSyncStarted"), s.connector("okta"), s.unreported_artifacts());
            }
            Err(e) => prop_assert!(e.to_string().contains("not a JSON object")),
        }
    }

    #[test]
    fn any_state_object_round_trips_and_keeps_unknown_keys(m in prop::collection::btree_map(nasty_string(), any_json(), 0..8)) {
        let v = Value::Object(m.into_iter().collect());
        let s = WorkerState::parse(&v.to_string()).unwrap();
        let printed: Value = serde_json::from_str(&s.to_json()).unwrap();
        prop_assert_eq!(printed, v);
        let mut s2 = s.clone();
        s2.claim_artifacts(&okta_airsync::airsync::state::ArtifactOwner { phase: "data", run_id: "r".into() });
        s2.set_unreported_artifacts(vec![json!({"id": "a"})]);
        prop_assert_eq!(s2.unreported_artifacts(), vec![json!({"id": "a"})]);
    }

    #[test]
    fn any_scope_is_parsed_or_refused(text in prop_oneof![nasty_string(), any_json().prop_map(|v| v.to_string()),
        prop::collection::btree_map("[a-z_]{1,12}", prop_oneof![any::<bool>().prop_map(|b| json!({"extract": b})), any_json()], 0..6)
            .prop_map(|m| Value::Object(m.into_iter().collect()).to_string())]) {
        match ExtractionScope::from_objects(&text) {
            Ok(scope) => {
                let v: Value = serde_json::from_str(&text).unwrap();
                for (k, c) in v.as_object().unwrap() {
                    // As ts-adaas's `shouldExtract`: a named item type only with `extract: true`.
                    prop_assert_eq!(scope.wants(k), c.get("extract") == Some(&Value::Bool(true)));
                }
            }
            Err(e) => prop_assert!(e.to_string().contains("extraction scope")),
        }
    }

    #[test]
    fn any_window_duration_is_parsed_or_refused(s in nasty_string()) {
        if let Err(e) = parse_window(&s) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn window_durations_round_trip(n in 0i64..1_000_000_000, unit in prop::sample::select(&["ms", "s", "m", "h"][..])) {
        let d = parse_window(&format!("{n}{unit}")).unwrap();
        let per = match unit { "ms" => 1, "s" => 1000, "m" => 60_000, _ => 3_600_000 };
        prop_assert_eq!(d.num_milliseconds(), n * per);
    }

    #[test]
    fn any_time_value_resolves_or_is_refused(
        kind in prop_oneof![prop::sample::select(&["absolute_time", "current_time", "unbounded", "workers_oldest",
            "workers_oldest_minus_window", "workers_newest", "workers_newest_plus_window"][..]).prop_map(str::to_string), nasty_string()],
        value in nasty_string(),
        tv_other in any_json(),
        oldest in prop_oneof![nasty_string(), Just("2024-01-01T00:00:00Z".to_string())],
        newest in prop_oneof![nasty_string(), Just("2024-01-01T00:00:00Z".to_string()), Just("9999-12-31T23:59:59Z".to_string())],
        last in nasty_string(),
        use_other in any::<bool>(),
    ) {
        let mut state = WorkerState::fresh("okta");
        state.set_str("workersOldest", &oldest);
        state.set_str("workersNewest", &newest);
        state.set_str("lastSuccessfulSyncStarted", &last);
        let tv = if use_other { tv_other } else { json!({"type": kind, "value": value}) };
        let now = Utc::now();
        if let Ok(Some(out)) = resolve(Some(&tv), &state, now) {
            prop_assert!(!out.is_empty());
        }
        roll_forward(&mut state, Some(&oldest), Some(&newest));
    }
}

#[test]
fn an_invocation_over_the_limit_is_refused_with_its_size() {
    use okta_airsync::airsync::event::MAX_EVENT_BYTES;
    let mut big = br#"{"payload": {"pad": ""#.to_vec();
    big.extend(std::iter::repeat_n(b'x', MAX_EVENT_BYTES));
    big.extend(br#""}}"#);
    let e = parse_invocation(&big).unwrap_err();
    assert_eq!(e, EventError::TooLarge(big.len()));
    assert!(e.to_string().contains("over the 1048576-byte limit"), "{e}");
}

#[test]
fn a_huge_window_is_refused_not_a_panic() {
    let mut state = WorkerState::fresh("okta");
    state.set_str("workersNewest", "2024-01-01T00:00:00Z");
    state.set_str("workersOldest", "2024-01-01T00:00:00Z");
    for (kind, value) in [
        ("workers_newest_plus_window", "99999999999999999h"),
        ("workers_oldest_minus_window", "99999999999999999h"),
        ("workers_newest_plus_window", "9999999999999999999999999ms"),
    ] {
        let r = resolve(Some(&json!({"type": kind, "value": value})), &state, Utc::now());
        assert!(r.is_err(), "{kind} {value}: {r:?}");
    }
}

/// Found by the long campaign: hosts the url crate reads as IPv4 numbers pass the org URL's own
/// checks (they are not dotted quads for `std`), then `base()` either panics (an invalid IPv4
/// number) or returns an IP org (which the same parser then refuses).
#[test]
fn numeric_hosts_are_refused_not_a_panic() {
    let panicked: Vec<&str> = ["https://a.0..", "https://1.99999999999..", "https://0.0..", "https://0x7f.1..", "https://4294967296.1.."]
        .into_iter()
        .filter(|input| std::panic::catch_unwind(|| parse_org_url(input)).is_err())
        .collect();
    assert!(panicked.is_empty(), "panicked on {panicked:?}");
    assert!(parse_org_url("https://0.0..").is_err(), "an IP org was accepted");
}

// ---------------------------------------------------------------- Okta connection and paging

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn any_org_input_is_parsed_or_refused(s in prop_oneof![nasty_string(), "[a-z0-9-]{1,70}(\\.(okta|oktapreview|okta-emea)\\.com)?",
            "https?://[a-z0-9.-]{1,40}(:[0-9]{1,6})?(/[a-z]{0,5})?"]) {
        match parse_org_url(&s) {
            Ok(u) => {
                prop_assert_eq!(u.scheme(), "https");
                prop_assert!(u.host_str().is_some());
                prop_assert!(u.query().is_none() && u.fragment().is_none());
                // printing the URL and parsing it again gives the same org
                prop_assert_eq!(parse_org_url(u.as_str()).unwrap(), u);
            }
            Err(e) => prop_assert!(e.input.chars().count() <= 100),
        }
        if let Ok(u) = parse_testing_base_url(&s) {
            prop_assert!(matches!(u.scheme(), "http" | "https"));
        }
    }

    #[test]
    fn any_connection_key_resolves_or_is_refused(key in prop_oneof![nasty_string(), any_json().prop_map(|v| v.to_string()),
            (nasty_string(), nasty_string()).prop_map(|(d, t)| json!({"domain": d, "token": t}).to_string())],
        org in nasty_string()) {
        let secret: secrecy::SecretString = key.clone().into();
        match okta_airsync::connector::connection::resolve(&secret, okta_airsync::connector::connection::OrgHint { org_id: &org, org_name: &org }, None) {
            Ok(c) => prop_assert_eq!(c.base_url.scheme(), "https"),
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(!msg.is_empty());
                // The token never appears in the error (only long enough tokens are meaningful).
                if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&key) {
                    let domain = m.get("domain").and_then(Value::as_str).unwrap_or_default().to_string();
                    if let Some(t) = m.get("token").and_then(Value::as_str).filter(|t| t.trim().len() >= 12 && !domain.contains(t.trim())) {
                        prop_assert!(!msg.contains(t.trim()));
                    }
                }
            }
        }
    }

    #[test]
    fn any_link_header_gives_the_next_target_or_none(values in prop::collection::vec(prop_oneof![
            nasty_string(),
            ("[a-z0-9:/?=&._-]{0,40}", prop::sample::select(&["next", "self", "prev", "\"next\"", "\"self next\"", "NEXT"][..]))
                .prop_map(|(u, r)| format!("<{u}>; rel={r}")),
            prop::collection::vec(("[a-z0-9:/?=&.,_<>-]{0,30}", "[a-z\"; =]{0,12}"), 0..4)
                .prop_map(|parts| parts.into_iter().map(|(u, p)| format!("<{u}>;{p}")).collect::<Vec<_>>().join(", ")),
        ], 0..4)) {
        let mut h = reqwest::header::HeaderMap::new();
        for v in &values {
            if let Ok(hv) = reqwest::header::HeaderValue::from_str(v) {
                h.append(reqwest::header::LINK, hv);
            }
        }
        if let Some(next) = next_link(&h) {
            prop_assert!(values.iter().any(|v| v.contains(&next)));
        }
    }

    #[test]
    fn a_next_link_round_trips(u in "https://[a-z]{1,10}\\.okta\\.com/api/v1/[a-z]{1,8}\\?after=[a-zA-Z0-9]{1,20}&limit=[0-9]{1,3}") {
        let mut h = reqwest::header::HeaderMap::new();
        h.append(reqwest::header::LINK, format!("<{u}&x=1>; rel=\"self\", <{u}>; rel=\"next\"").parse().unwrap());
        prop_assert_eq!(next_link(&h), Some(u.clone()));
        prop_assert_eq!(body_next(&json!({"_links": {"next": {"href": u.clone()}}})), Some(u));
    }

    #[test]
    fn any_body_gives_its_next_link_and_nothing_else(v in okta_json(), next in prop::option::of(prop_oneof![nasty_string().prop_map(Value::String), okta_json()])) {
        // Whatever else the body holds, the next link is `_links.next.href` when that is text.
        let mut v = v;
        if let (Some(o), Some(n)) = (v.as_object_mut(), next.clone()) {
            o.insert("_links".into(), json!({"next": {"href": n}}));
        }
        let want = match (&v, &next) {
            (Value::Object(_), Some(Value::String(h))) => Some(h.clone()),
            (Value::Object(o), None) => o.get("_links").and_then(|l| l.pointer("/next/href")).and_then(Value::as_str).map(str::to_string),
            _ => None,
        };
        prop_assert_eq!(body_next(&v), want);
    }
}

// ---------------------------------------------------------------- normalizers and typing

fn custom_schema() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(
        prop_oneof![nasty_string(), prop::sample::select(KEYS).prop_map(str::to_string)],
        prop_oneof![
            (
                prop::sample::select(&["string", "number", "integer", "boolean", "array", "object", ""][..]),
                prop::sample::select(&["", "encrypted", "hashed", "email"][..]),
                nasty_string()
            )
                .prop_map(|(t, f, title)| json!({"type": t, "format": f, "title": title})),
            any_json(),
        ],
        0..8,
    )
    .prop_map(|props| json!({"definitions": {"custom": {"properties": Value::Object(props.into_iter().collect())}}}))
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn users_with_any_custom_schema_are_valid_or_skipped(schema in prop_oneof![custom_schema(), any_json()], mut u in okta_object(), extra in okta_json()) {
        let (custom, _warnings) = schema::custom_attrs(&schema);
        // Field names are unique, snake_case, and never a standard field.
        let mut seen = std::collections::BTreeSet::new();
        for a in &custom {
            prop_assert!(seen.insert(a.field.clone()), "duplicate field {}", a.field);
            prop_assert!(!schema::USER_FIELDS.contains(&a.field.as_str()));
            prop_assert!(a.field.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{}", a.field);
        }
        // Put the custom attributes' names into the profile with arbitrary values.
        if let Some(p) = u.as_object_mut() {
            let mut profile = p.get("profile").and_then(Value::as_object).cloned().unwrap_or_default();
            for a in &custom {
                profile.insert(a.okta_name.clone(), extra.clone());
            }
            p.insert("profile".into(), Value::Object(profile));
        }
        let doc = metadata::document(&custom);
        prop_assert!(metadata::validate::check_document(&doc).is_empty());
        assert_valid(&doc, "users", users::user_with(&u, &custom, &links()))?;
    }

    #[test]
    fn custom_values_convert_to_their_declared_type_or_drop(v in any_json()) {
        use schema::CustomKind::*;
        for (kind, ty) in [(Text, "text"), (Float, "float"), (Int, "int"), (Bool, "bool"), (JsonText, "text")] {
            if let Some(out) = schema::convert(kind, &v) {
                let ok = match ty { "text" => out.is_string(), "float" => out.is_number(), "int" => out.is_i64(), _ => out.is_boolean() };
                prop_assert!(ok, "{kind:?} gave {out}");
            }
        }
    }

    #[test]
    fn snake_names_are_valid_field_names(s in nasty_string()) {
        let f = snake(&s);
        prop_assert!(!f.is_empty());
        prop_assert!(f.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{f}");
        prop_assert!(!f.starts_with(|c: char| c.is_ascii_digit()));
        prop_assert_eq!(snake(&f), f.clone(), "snake is idempotent");
    }

    #[test]
    fn secret_stripping_removes_every_secret_key(v in okta_json()) {
        fn walk(v: &Value) -> bool {
            match v {
                Value::Object(m) => m.iter().all(|(k, v)| !secrets::is_secret_key(k) && walk(v)),
                Value::Array(a) => a.iter().all(walk),
                _ => true,
            }
        }
        prop_assert!(walk(&secrets::strip(&v)));
        let _ = secrets::app_credentials(&v);
        if let Some(s) = v.as_str() { let _ = secrets::mask_phone(s); }
    }

    #[test]
    fn identity_normalizers_give_valid_records_or_skip(a in okta_object(), b in okta_object(), t in nasty_string()) {
        let doc = metadata::document(&[]);
        let l = links();
        assert_valid(&doc, "groups", groups::group(&a, &l))?;
        assert_valid(&doc, "group_members", groups::group_member(&a, &b, &l))?;
        assert_valid(&doc, "iam_roles", roles::custom_role(&a, &l))?;
        assert_valid(&doc, "iam_roles", roles::standard_role(&a, &l))?;
        assert_valid(&doc, "iam_role_members", roles::role_member(&a, &t, "USER", &l))?;
        assert_valid(&doc, "iam_role_members", roles::role_member_of(&a, &b, "GROUP", &l))?;
        let _ = (roles::role_id_of(&a), groups::group_user_count(&a), groups::group_has_admin(&a), users::is_shadow(&a));
        let _ = roles::standard_role_label(&t);
    }

    #[test]
    fn access_normalizers_give_valid_records_or_skip(a in okta_object(), b in okta_object(), rules in prop::collection::vec(okta_object(), 0..3), t in nasty_string(), keep in any::<bool>()) {
        let doc = metadata::document(&[]);
        let l = links();
        assert_valid(&doc, "applications", apps::application(&a, &l))?;
        assert_valid(&doc, "app_user_assignments", apps::app_user(&t, &b, &l))?;
        assert_valid(&doc, "app_user_assignments", apps::app_user_for(&a, &b, &l))?;
        assert_valid(&doc, "app_group_assignments", apps::app_group(&t, &b, &l))?;
        assert_valid(&doc, "app_group_assignments", apps::app_group_for(&a, &b, &l))?;
        assert_valid(&doc, "policies", policies::policy(&a, &rules, &l))?;
        assert_valid(&doc, "devices", devices::device(&a, |_| keep, &l))?;
        assert_valid(&doc, "factors", factors::factor(&t, &a, &l))?;
    }

    #[test]
    fn log_events_give_valid_records_or_skip(e in okta_object()) {
        let doc = metadata::document(&[]);
        let rec = logs::log_event(&e, &links());
        if let Some(r) = &rec {
            prop_assert_eq!(r["id"].as_str(), e["uuid"].as_str(), "the record id is the uuid (the de-duplication key)");
        }
        assert_valid(&doc, "system_logs", rec)?;
    }

    #[test]
    fn admin_links_take_any_base(u in "https?://[a-z0-9.-]{1,30}(:[0-9]{1,5})?(/[a-z]{0,5})?", p in nasty_string()) {
        if let Ok(base) = url::Url::parse(&u) {
            // A link stays on the org's admin origin, whatever path it is given: the org's
            // host (an Okta org's `-admin` host), scheme and port.
            let l = AdminLinks::from_base(&base);
            let link = url::Url::parse(&l.link(&p)).expect("a link parses");
            let host = base.host_str().unwrap_or("");
            let admin = host.split_once('.').map(|(sub, rest)| format!("{sub}-admin.{rest}"));
            let got = link.host_str().unwrap_or("");
            prop_assert!(got == host || Some(got) == admin.as_deref(), "{} from {} and {:?}", link, base, p);
            prop_assert_eq!(link.scheme(), base.scheme());
            prop_assert_eq!(link.port_or_known_default(), base.port_or_known_default());
        }
    }
}

// ---------------------------------------------------------------- artifacts

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn artifact_batches_take_any_record(records in prop::collection::vec(any_json(), 0..8)) {
        use okta_airsync::airsync::artifacts::{descriptor, Batch};
        let mut b = Batch::new("users");
        for r in &records {
            b.push(r).unwrap();
        }
        let (bytes, n, dates) = b.finish().unwrap();
        prop_assert_eq!(n, records.len());
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text).unwrap();
        let back: Vec<Value> = if text.is_empty() { Vec::new() } else { text.split('\n').map(|l| serde_json::from_str(l).unwrap()).collect() };
        prop_assert_eq!(back, records);
        let _ = descriptor("id", "users", n, Some(&dates));
    }

    #[test]
    fn axios_query_encoding_round_trips(pairs in prop::collection::vec((nasty_string(), nasty_string()), 0..4)) {
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let q = okta_airsync::airsync::devrev::axios_query(&refs);
        let back: Vec<(String, String)> = url::form_urlencoded::parse(q.as_bytes()).into_owned().collect();
        if !pairs.is_empty() {
            prop_assert_eq!(back, pairs);
        }
    }
}
