//! A crash or kill mid-invocation: the next invocation resumes from the committed checkpoints
//! and reports the artifacts the crashed one uploaded, so nothing is lost.

use std::time::Duration;

use okta_airsync::extract::ITEM_TYPES;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_invocation_loses_nothing() {
    let mut cfg = small(31);
    cfg.faults.latency_ms = 100;
    // Small batches, so artifacts are uploaded (and the state saved) before the crash.
    let rt = okta_airsync::airsync::runtime::RuntimeConfig { batch_size: 25, ..fast_runtime(Duration::from_secs(600)) };
    let w = world_rt(cfg, rt).await;
    let p = &w.platform;
    assert_eq!(p.invoke_one("START_EXTRACTING_METADATA", "INITIAL").await.unwrap().event_type, "METADATA_EXTRACTION_DONE");
    // The worker dies mid-run, right after its first uploads: its future is dropped, as a
    // process kill would end it.
    let confirmed = |w: &World| w.emu.emu.store.lock().unwrap().artifacts.values().filter(|a| a.confirmed).count();
    let before = confirmed(&w);
    let run = p.invoke_one("START_EXTRACTING_DATA", "INITIAL");
    tokio::pin!(run);
    let crashed = loop {
        tokio::select! {
            r = &mut run => break r.is_none(),
            _ = tokio::time::sleep(Duration::from_millis(20)) => {
                if confirmed(&w) > before + 1 {
                    break true;
                }
            }
        }
    };
    assert!(crashed, "the invocation was still running when it was cut");
    let mut replies = Vec::new();
    loop {
        let r = p.invoke_one("CONTINUE_EXTRACTING_DATA", "INITIAL").await.unwrap();
        replies.push(r.event_type.clone());
        if r.event_type != "DATA_EXTRACTION_PROGRESS" {
            break;
        }
    }
    assert_eq!(replies.last().unwrap(), "DATA_EXTRACTION_DONE", "{replies:?}");
    assert_eq!(p.invoke_one("START_EXTRACTING_ATTACHMENTS", "INITIAL").await.unwrap().event_type, "ATTACHMENT_EXTRACTION_DONE");
    let truth = w.sim.sim.truth(None);
    for t in ITEM_TYPES {
        assert_eq!(w.stored_ids(t), w.truth_ids(&truth, t), "{t}");
    }
    // A kill between confirm-upload and the state save that follows it leaves that artifact
    // confirmed but unreported (its records are extracted again, so nothing is lost). That is
    // the only violation a crash may cause: every artifact whose upload the state recorded was
    // reported by a later invocation.
    let v = w.violations();
    assert!(v.iter().all(|m| m.contains("was uploaded but never reported")), "{v:?}");
    assert!(v.len() <= 2, "at most the artifacts in flight at the kill are orphaned: {v:?}");
}
