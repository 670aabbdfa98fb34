//! End to end: the emulator drives the in-process connector against the simulator.

use std::time::Duration;

use okta_airsync::extract::ITEM_TYPES;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_initial_sync_extracts_exactly_the_ground_truth() {
    let w = world(small(7), Duration::from_secs(600)).await;
    let report = w.platform.run_sync("INITIAL").await;
    assert_eq!(report.outcome, "DONE", "{report:?}");
    let truth = w.sim.sim.truth(None);
    for t in ITEM_TYPES {
        let want = w.truth_ids(&truth, t);
        let got = w.stored_ids(t);
        assert_eq!(got, want, "{t}: missing {:?} extra {:?}", want.difference(&got).take(5).collect::<Vec<_>>(), got.difference(&want).take(5).collect::<Vec<_>>());
    }
    assert_eq!(w.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_is_valid_against_the_metadata_and_no_secret_leaks() {
    let w = world(small(11), Duration::from_secs(600)).await;
    let report = w.platform.run_sync("INITIAL").await;
    assert_eq!(report.outcome, "DONE", "{report:?}");
    let truth = w.sim.sim.truth(None);
    let st = w.emu.emu.store.lock().unwrap();
    let meta = st.records("external_domain_metadata");
    assert_eq!(meta.len(), 1);
    let meta = &meta[0];
    assert!(okta_airsync::metadata::validate::check_document(meta).is_empty());
    let secrets: Vec<String> = truth["secrets"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
    assert!(secrets.len() > 10);
    let mut total = 0;
    for t in ITEM_TYPES {
        let recs = st.records(t);
        assert!(!recs.is_empty(), "{t} has no records");
        total += recs.len();
        for r in &recs {
            let errs = okta_airsync::metadata::validate::check_record(meta, t, r);
            assert!(errs.is_empty(), "{errs:?}");
        }
    }
    println!("records: {total}");
    for entry in std::fs::read_dir(st.out.join("artifacts")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "secret {s} leaked into an artifact");
        }
    }
}
