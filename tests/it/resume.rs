//! A crash or kill mid-invocation: the next invocation resumes from the committed checkpoints
//! and reports the artifacts the crashed one uploaded, so nothing is lost. Kills at chosen
//! instants drive the connector directly: the state a kill leaves is every checkpoint received
//! before it (each one's records were received first, as the writer commits them).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use okta_airsync::airsync::extractor::{ExtractOutcome, Extractor, Invocation, Sink, SinkMsg};
use okta_airsync::connector::{OktaConnector, Settings};
use okta_airsync::extract::ITEM_TYPES;
use okta_sim::{SimConfig, SimHandle, Sizes};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_invocation_loses_nothing() {
    let mut cfg = small(31);
    cfg.faults.latency_ms = 100;
    // Small batches, so artifacts are uploaded (and the state saved) before the crash.
    let rt = okta_airsync::airsync::runtime::RuntimeConfig { batch_size: 25, ..fast_runtime(Duration::from_secs(600)) };
    let w = world_rt(cfg, rt, false).await;
    let p = &w.platform;
    assert_eq!(p.invoke_one("START_EXTRACTING_METADATA", "INITIAL").await.unwrap().event_type, "METADATA_EXTRACTION_DONE");
    // The worker dies mid-run, right after its first uploads: its future is dropped, as a
    // process kill would end it.
    let confirmed = |w: &World| w.emu.emu.store.lock().unwrap().artifacts.values().filter(|a| a.confirmed).count();
    let before = confirmed(&w);
    let mut run = Box::pin(p.invoke_one("START_EXTRACTING_DATA", "INITIAL"));
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
    // Dropped, not merely no longer polled: its writer task is aborted with it, as a killed
    // process would stop, instead of saving state behind the next invocation's back.
    drop(run);
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
    // The state lists an artifact before its confirm-upload, and the next invocation confirms
    // again what may not have been: no confirmed artifact is left unreported.
    assert_eq!(w.violations(), Vec::<String>::new());
}

fn connector(sim: &SimHandle) -> OktaConnector {
    OktaConnector {
        settings: Settings {
            base_url_override: Some(url::Url::parse(&sim.base_url).unwrap()),
            retry_delays: vec![Duration::from_millis(5)],
            ..Settings::default()
        },
    }
}

fn invocation(is_start: bool) -> Invocation {
    Invocation {
        mode: "INITIAL".into(),
        is_start,
        org_id: String::new(),
        org_name: String::new(),
        connection_key: r#"{"domain": "sim-acme.okta.com", "token": "sim-token"}"#.to_string().into(),
        global_values: Default::default(),
        extract_from: None,
        extract_to: None,
        reset_extract_from: false,
        scope: Default::default(),
        last_successful_sync_started: String::new(),
        sync_started: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        stop: Default::default(),
        deadline: tokio::time::Instant::now() + Duration::from_secs(120),
        index: None,
    }
}

/// What all invocations so far sent: records per item type, and the committed state.
#[derive(Default)]
struct Run {
    records: Vec<(String, Value)>,
    state: serde_json::Map<String, Value>,
}

impl Run {
    /// One invocation; `kill` sees each message and says when to drop the worker.
    async fn invoke(&mut self, conn: &OktaConnector, inv: &Invocation, mut kill: impl FnMut(&SinkMsg) -> bool) -> Option<ExtractOutcome> {
        let (tx, mut rx) = mpsc::channel(64);
        let sink = Sink::new(tx, Arc::new(tokio::sync::Semaphore::new(100_000)));
        let state = Value::Object(self.state.clone());
        let fut = conn.extract(inv, state, sink);
        tokio::pin!(fut);
        let mut out = None;
        loop {
            tokio::select! {
                o = &mut fut, if out.is_none() => out = Some(o),
                m = rx.recv() => {
                    let Some(m) = m else { return out };
                    let stop = kill(&m);
                    self.take(m);
                    if stop {
                        return None;
                    }
                }
            }
        }
    }

    fn take(&mut self, m: SinkMsg) {
        match m {
            SinkMsg::Records(_, t, recs) => self.records.extend(recs.into_iter().map(|r| (t.clone(), r))),
            SinkMsg::Checkpoint(_, k, v) => {
                self.state.insert(k, v);
            }
            // Everything sent so far counts as uploaded here, so the state stands as committed.
            SinkMsg::Settle(reply) => {
                let _ = reply.send(Some(Value::Object(self.state.clone())));
            }
            _ => {}
        }
    }

    /// Resumes until the data phase is done.
    async fn finish(&mut self, conn: &OktaConnector, inv: &Invocation) {
        for _ in 0..20 {
            let mut next = inv.clone();
            next.is_start = false;
            next.stop = Default::default();
            // Each invocation has its own deadline, as each process does.
            next.deadline = tokio::time::Instant::now() + Duration::from_secs(120);
            let o = self.invoke(conn, &next, |_| false).await;
            if let Some(ExtractOutcome::Done) = o {
                return;
            }
        }
        panic!("the data phase never finished in 20 invocations");
    }

    fn ids(&self, item_type: &str) -> BTreeSet<String> {
        self.records.iter().filter(|(t, _)| t == item_type).map(|(_, r)| r["id"].as_str().unwrap().to_string()).collect()
    }
}

fn truth_ids(truth: &Value, t: &str) -> BTreeSet<String> {
    truth["record_types"][t]["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

fn is_checkpoint_of(m: &SinkMsg, key: &str) -> bool {
    matches!(m, SinkMsg::Checkpoint(_, k, _) if k == key)
}

fn org() -> SimConfig {
    SimConfig {
        seed: 41,
        sizes: Sizes { users: 650, groups: 14, apps: 6, devices: 30, log_events: 200, placeholders: true },
        // Resuming is the subject here, not rate limits (tests/it/rate_limits.rs has those).
        faults: okta_sim::Faults { rate_limit_per_min: Some(1_000_000), ..okta_sim::Faults::default() },
        ..SimConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_at_every_users_page_boundary_resumes_without_placeholder_edges_or_losses() {
    let sim = okta_sim::start(org()).await.unwrap();
    let conn = connector(&sim);
    let placeholders: Vec<String> = {
        let org = sim.sim.org.read().unwrap();
        org.users.iter().filter(|u| u.status == "shadow").map(|u| u.id.clone()).collect()
    };
    assert!(!placeholders.is_empty(), "the org has placeholder users");
    let truth = sim.sim.truth(None);
    // 650 users: the plain list has 4 pages of 200, then the DEPROVISIONED pass.
    for boundary in 1..=4 {
        let mut run = Run::default();
        let inv = invocation(true);
        let mut seen = 0;
        let killed = run.invoke(&conn, &inv, |m| {
            seen += usize::from(is_checkpoint_of(m, "job.users") && matches!(m, SinkMsg::Checkpoint(s, _, _) if s.job() == Some("users")));
            seen == boundary
        });
        assert!(killed.await.is_none(), "killed at users page {boundary}");
        run.finish(&conn, &inv).await;
        // System Log events name their actors and targets as they were: placeholders included.
        for (t, r) in run.records.iter().filter(|(t, _)| t != "system_logs") {
            let text = r["data"].to_string();
            for p in &placeholders {
                assert!(!text.contains(p.as_str()), "kill at page {boundary}: a {t} record references placeholder {p}: {text}");
            }
        }
        for t in ["users", "group_members", "app_user_assignments", "iam_role_members", "factors"] {
            let want = truth_ids(&truth, t);
            let got = run.ids(t);
            assert_eq!(got, want, "kill at users page {boundary}: {t}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivation_between_invocations_loses_no_parents_children() {
    for at in [40, 150, 230] {
        let sim = okta_sim::start(org()).await.unwrap();
        let conn = connector(&sim);
        let mut run = Run::default();
        let inv = invocation(true);
        let mut seen = 0;
        let killed = run.invoke(&conn, &inv, |m| {
            seen += usize::from(is_checkpoint_of(m, "job.factors"));
            seen == at
        });
        assert!(killed.await.is_none());
        // Users on the page being worked on leave the plain list (deactivated): the page shifts.
        let m: okta_sim::mutate::Mutation = serde_json::from_value(
            serde_json::json!({"users": 0, "deactivate": 60, "groups": 0, "logs": 0, "devices": 0, "delete_devices": 0}),
        )
        .unwrap();
        sim.sim.mutate(&m);
        run.finish(&conn, &inv).await;
        let truth = sim.sim.truth(None);
        let missing: Vec<String> = truth_ids(&truth, "factors").difference(&run.ids("factors")).cloned().collect();
        assert!(missing.is_empty(), "kill after {at} factors checkpoints: missing {missing:?}");
        let state: BTreeMap<String, Value> = run.state.clone().into_iter().collect();
        assert_eq!(state["job.factors"]["status"], "done");
    }
}
