//! Property tests for the simulator's own parsers (issue 16): the filter/search grammar and the
//! opaque cursor. Properties: no panic; a typed error for what is rejected; print-then-parse
//! round-trips.
//!
//! CI runs a bounded number of cases; the long campaign:
//! `PROPTEST_CASES=200000 cargo test --release -p okta-sim --test props`.
#![allow(clippy::unwrap_used)] // a test binary: unwraps are assertions

use okta_sim::filter::{self, Expr, Literal, Rules};
use okta_sim::paging;
use proptest::prelude::*;

/// CI (no `PROPTEST_CASES`) runs a fixed seed, so a run is reproducible and never flaky; a
/// campaign draws fresh cases every time.
fn cfg() -> ProptestConfig {
    let campaign = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok());
    let rng_seed = if campaign.is_some() { proptest::test_runner::RngSeed::Random } else { proptest::test_runner::RngSeed::Fixed(16) };
    ProptestConfig { cases: campaign.unwrap_or(64), failure_persistence: None, rng_seed, ..ProptestConfig::default() }
}

fn attr() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(&["status", "lastUpdated", "created", "profile.login", "type", "published", "eventType"][..])
            .prop_map(str::to_string),
        "[a-zA-Z][a-zA-Z0-9._]{0,12}".prop_filter("not a keyword", |s| {
            !["and", "or", "not", "true", "false", "null", "pr"].contains(&s.to_ascii_lowercase().as_str())
        }),
    ]
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any::<String>().prop_map(Literal::Str),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}(Z|[+-][0-9]{2}:[0-9]{2})".prop_map(Literal::Str),
        (-1e12f64..1e12).prop_map(|f| Literal::Num(f.trunc())),
        any::<bool>().prop_map(Literal::Bool),
        Just(Literal::Null),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        (attr(), prop::sample::select(&["eq", "ne", "gt", "ge", "lt", "le", "sw", "co", "ew"][..]), literal())
            .prop_map(|(a, o, l)| Expr::Cmp(a, o.to_string(), l)),
        attr().prop_map(Expr::Present),
    ];
    leaf.prop_recursive(5, 32, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| Expr::Not(Box::new(a))),
        ]
    })
}

/// Prints an expression in the grammar the parser reads (fully parenthesised).
fn print(e: &Expr) -> String {
    match e {
        Expr::Cmp(a, op, lit) => {
            let v = match lit {
                Literal::Str(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
                Literal::Num(n) => format!("{n}"),
                Literal::Bool(b) => b.to_string(),
                Literal::Null => "null".into(),
            };
            format!("{a} {op} {v}")
        }
        Expr::Present(a) => format!("{a} pr"),
        Expr::And(a, b) => format!("({}) and ({})", print(a), print(b)),
        Expr::Or(a, b) => format!("({}) or ({})", print(a), print(b)),
        Expr::Not(a) => format!("not ({})", print(a)),
    }
}

fn all_allowed() -> Rules {
    Rules { allow: |_, _| true, logic: true, not: true }
}

fn filter_text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        prop::sample::select(&["and", "or", "not", "(", ")", "\"", "\\", "pr", "eq", "gt", "true", "null", "status", "lastUpdated"][..])
            .prop_map(str::to_string),
        any::<String>(),
        "[0-9.eE+-]{1,12}".prop_map(|s| s.to_string()),
    ];
    prop::collection::vec(word, 0..12).prop_map(|ws| ws.join(" "))
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn any_filter_text_is_parsed_or_refused(s in prop_oneof![any::<String>(), filter_text()]) {
        match filter::parse(&s) {
            Ok(e) => {
                let _ = filter::check(&e, &all_allowed());
                let _ = filter::check(&e, &Rules { allow: |a, _| a == "status", logic: false, not: false });
                let _ = filter::eval(&e, &|a| (a == "status").then(|| Literal::Str("ACTIVE".into())));
            }
            Err(msg) => prop_assert!(!msg.is_empty()),
        }
    }

    #[test]
    fn printed_filters_parse_back_to_the_same_expression(e in expr()) {
        let text = print(&e);
        let back = filter::parse(&text);
        prop_assert_eq!(back.as_ref(), Ok(&e), "{}", text);
        // Evaluation is total and `not` negates.
        let get = |a: &str| (a == "status").then(|| Literal::Str("ACTIVE".into()));
        prop_assert_eq!(filter::eval(&Expr::Not(Box::new(e.clone())), &get), !filter::eval(&e, &get));
    }

    #[test]
    fn any_date_text_is_judged_without_panic(s in prop_oneof![any::<String>(),
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}(Z|[+-][0-9]{2}:[0-9]{2}|é|)"]) {
        if filter::is_okta_date(&s) {
            prop_assert!(chrono::DateTime::parse_from_rfc3339(&s).is_ok());
        }
    }

    #[test]
    fn any_cursor_is_decoded_or_refused(s in prop_oneof![any::<String>(), "sc[0-9a-fA-Fé]{0,40}".prop_map(|s| s.to_string())]) {
        if let Some(key) = paging::decode(&s) {
            // A cursor that decodes is one this simulator could have made.
            prop_assert_eq!(paging::encode(&key).to_ascii_lowercase(), s.to_ascii_lowercase());
        }
    }

    #[test]
    fn cursors_round_trip(key in any::<String>()) {
        prop_assert_eq!(paging::decode(&paging::encode(&key)), Some(key));
    }

    #[test]
    fn slicing_pages_through_every_item_once(n in 0usize..60, limit in 1usize..10) {
        let items: Vec<(String, usize)> = (0..n).map(|i| (format!("k{i:03}"), i)).collect();
        let mut after: Option<String> = None;
        let mut seen = Vec::new();
        loop {
            let (page, next) = paging::slice(items.clone().into_iter(), after.as_deref(), limit);
            prop_assert!(page.len() <= limit);
            seen.extend(page);
            match next {
                Some(k) => after = Some(k),
                None => break,
            }
        }
        prop_assert_eq!(seen, (0..n).collect::<Vec<_>>());
    }
}

/// Deep nesting must be refused or parsed, not overflow the stack (a request is ~8 KiB at most,
/// so 4 000 parentheses is what one URL can carry).
#[test]
fn deeply_nested_filters_do_not_overflow() {
    let text = format!("{}status eq \"ACTIVE\"{}", "(".repeat(4000), ")".repeat(4000));
    let t = std::thread::Builder::new().stack_size(2 * 1024 * 1024).spawn(move || filter::parse(&text).is_ok()).unwrap();
    assert_eq!(t.join().ok(), Some(false), "4000 parentheses are refused, not a crash");
    let nots = format!("{}status pr", "not ".repeat(4000));
    let t = std::thread::Builder::new().stack_size(2 * 1024 * 1024).spawn(move || filter::parse(&nots).is_ok()).unwrap();
    assert_eq!(t.join().ok(), Some(false), "4000 `not`s are refused, not a crash");
    let terms = vec!["status pr"; 4000].join(" and ");
    let t = std::thread::Builder::new().stack_size(2 * 1024 * 1024).spawn(move || filter::parse(&terms).is_ok()).unwrap();
    assert_eq!(t.join().ok(), Some(false), "4000 comparisons are refused, not a crash");
}
