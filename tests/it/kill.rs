//! The worker process killed (SIGKILL) at random instants, as a crash or the platform's hard
//! limit would: every next invocation resumes from what the killed one committed, and the sync
//! ends with every record of the org and no record pointing at a placeholder user.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use devrev_emu::platform::Invoke;
use okta_airsync::extract::ITEM_TYPES;
use okta_sim::{SimConfig, Sizes};
use rand::{Rng, SeedableRng};
use tokio::io::AsyncWriteExt;

use crate::helpers::*;

/// When a kill lands.
#[derive(Clone)]
enum KillAt {
    /// A random instant of this many milliseconds from the start (seeded).
    Within(std::ops::Range<u64>),
    /// A random instant of up to this many milliseconds after the worker logs that every
    /// entity is read: the end-of-sync flush and the switch to the catch-up round.
    AfterReading(u64),
}

/// Runs `okta-airsync run` as a child for each invocation, and kills the first `kills` data-phase
/// invocations as `at` says; Okta answers slowly enough for a kill to land mid-extraction.
fn killing_invoker(okta_base: String, seed: u64, kills: usize, killed: Arc<AtomicUsize>, at: KillAt) -> Invoke {
    let rng = Arc::new(Mutex::new(rand_chacha::ChaCha8Rng::seed_from_u64(seed)));
    Arc::new(move |body: Vec<u8>| {
        let (okta_base, rng, killed, at) = (okta_base.clone(), rng.clone(), killed.clone(), at.clone());
        Box::pin(async move {
            let watch = matches!(at, KillAt::AfterReading(_));
            let log = if watch { "info".to_string() } else { std::env::var("KILL_LOG").unwrap_or("off".into()) };
            let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_okta-airsync"))
                .args(["run", "--event", "-", "--okta-base-url", &okta_base])
                .env("RUST_LOG", log)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .stderr(if watch { std::process::Stdio::piped() } else { std::process::Stdio::null() })
                .kill_on_drop(true)
                .spawn()
                .expect("the binary starts");
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(&body).await.unwrap();
            }
            let data_phase = String::from_utf8_lossy(&body).contains("_EXTRACTING_DATA\"");
            if !data_phase || killed.load(Ordering::SeqCst) >= kills {
                child.wait().await.unwrap();
                return;
            }
            let (delay, read_through) = match at {
                KillAt::Within(w) => (rng.lock().unwrap().gen_range(w), None),
                KillAt::AfterReading(up_to) => (rng.lock().unwrap().gen_range(0..=up_to), child.stderr.take()),
            };
            // The instant to kill: after `delay`, counted from the start or from the log line.
            let trigger = async move {
                if let Some(err) = read_through {
                    use tokio::io::AsyncBufReadExt;
                    let mut lines = tokio::io::BufReader::new(err).lines();
                    while let Ok(Some(l)) = lines.next_line().await {
                        if l.contains("every entity read") {
                            // Keep draining so the child never blocks on a full pipe.
                            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                            break;
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(delay)).await;
            };
            tokio::select! {
                _ = child.wait() => {}
                _ = trigger => {
                    child.start_kill().unwrap();
                    child.wait().await.unwrap();
                    killed.fetch_add(1, Ordering::SeqCst);
                }
            }
        })
    })
}

fn org(seed: u64) -> SimConfig {
    let mut cfg = SimConfig {
        seed: 50 + seed,
        sizes: Sizes { users: 300, groups: 12, apps: 6, devices: 30, log_events: 300, placeholders: true },
        ..SimConfig::default()
    };
    cfg.faults.latency_ms = 15;
    // Kills are the subject here, not rate limits (tests/it/rate_limits.rs has those).
    cfg.faults.rate_limit_per_min = Some(1_000_000);
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_at_random_instants_loses_nothing() {
    // Seeds 1 and 2 kill anywhere early on; seeds 3 to 5 once every entity is read, where the
    // end-of-sync flush and the switch to the catch-up round are (tests/crash.rs stops at each
    // await there; these land wherever the instant falls).
    for seed in [1u64, 2, 3, 4, 5] {
        let at = if seed <= 2 { KillAt::Within(20..400) } else { KillAt::AfterReading(10) };
        let w = world(org(seed), Duration::from_secs(600)).await;
        let killed = Arc::new(AtomicUsize::new(0));
        let invoke = killing_invoker(w.sim.base_url.clone(), seed, 1 + usize::from(seed <= 2) * 3, killed.clone(), at);
        let mut p = devrev_emu::Platform::new(w.emu.emu.clone(), invoke);
        // The late kills aim at the end-of-sync flush and the switch to the catch-up round,
        // which a platform sending no upper bound (`extraction_end_time`) makes the worker run.
        if seed > 2 {
            p.extraction_end_time = None;
        }
        // A killed invocation never replies: the platform sends the event again, as DevRev does
        // after its timeout. The driver treats "no reply" as the end, so run phases by hand.
        p.max_invocations = 200;
        assert_eq!(
            p.invoke_one("START_EXTRACTING_METADATA", "INITIAL").await.map(|r| r.event_type).as_deref(),
            Some("METADATA_EXTRACTION_DONE")
        );
        let mut event = "START_EXTRACTING_DATA";
        let mut replies = Vec::new();
        for _ in 0..60 {
            match p.invoke_one(event, "INITIAL").await {
                None => event = "CONTINUE_EXTRACTING_DATA",
                Some(r) if r.event_type == "DATA_EXTRACTION_DONE" => {
                    replies.push(r.event_type);
                    break;
                }
                Some(r) => {
                    assert!(r.event_type.ends_with("_PROGRESS") || r.event_type.ends_with("_DELAYED"), "{}", r.event_type);
                    replies.push(r.event_type);
                    event = "CONTINUE_EXTRACTING_DATA";
                }
            }
        }
        assert_eq!(replies.last().map(String::as_str), Some("DATA_EXTRACTION_DONE"), "seed {seed}: {replies:?}");
        assert!(killed.load(Ordering::SeqCst) >= 1, "seed {seed}: no invocation was killed mid-extraction");
        assert_eq!(p.invoke_one("START_EXTRACTING_ATTACHMENTS", "INITIAL").await.unwrap().event_type, "ATTACHMENT_EXTRACTION_DONE");
        let truth = w.sim.sim.truth(None);
        for t in ITEM_TYPES {
            assert_eq!(w.stored_ids(t), w.truth_ids(&truth, t), "seed {seed}: {t}");
        }
        let placeholders: Vec<String> = {
            let org = w.sim.sim.org.read().unwrap();
            org.users.iter().filter(|u| u.status == "shadow").map(|u| u.id.clone()).collect()
        };
        let st = w.emu.emu.store.lock().unwrap();
        for t in ITEM_TYPES.iter().filter(|t| **t != "system_logs") {
            for r in st.records(t) {
                let text = r["data"].to_string();
                assert!(
                    !placeholders.iter().any(|p| text.contains(p.as_str())),
                    "seed {seed}: a {t} record references a placeholder: {text}"
                );
            }
        }
    }
}
