//! Deterministic crash tests: the worker binary, built with the `failpoints` feature, is run as a
//! child process for every invocation and aborted at one named crash point (`okta_airsync::crash`)
//! on one of its first hits; the platform then sends CONTINUE until the sync is DONE, as DevRev
//! does after a worker that never replied. What DevRev holds at the end (every reported record,
//! the latest per id, tombstones applied) must equal what it holds after an uncrashed run of
//! the same org: nothing lost, nothing extra. And the records the crash made the worker send
//! again are at most one batch per item type plus one page per request in flight.
//!
//! One simulator serves every trial of a mode (it changes only where the test mutates it), and
//! each trial has its own DevRev emulator. `CRASH_LOG=info` shows the children's logs.

#![allow(clippy::unwrap_used)] // a test binary: unwraps are assertions

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt;
use std::sync::{Arc, Mutex};

use devrev_emu::platform::Invoke;
use devrev_emu::{EmuHandle, Platform};
use futures::StreamExt;
use okta_sim::mutate::Mutation;
use okta_sim::{SimConfig, SimHandle, Sizes};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

/// Records per artifact: small, so every item type fills several artifacts and a crash can
/// land between them.
const BATCH: usize = 25;
/// ts-adaas's records per artifact, the worker's default: every item type's last artifact is
/// still open when the reading ends, so the end-of-sync flush uploads one per item type.
const SDK_BATCH: usize = 2000;
/// Requests a fan-out job has in flight at most (its parents read at once).
const FAN_OUT: usize = 4;
/// SIGABRT: how a crash point ends the process.
const SIGABRT: i32 = 6;

/// Where to crash: a crash point and which of its hits (1-based) aborts.
#[derive(Debug, Clone)]
struct Crash {
    point: &'static str,
    hit: u32,
    /// Records per artifact in the crashed run.
    batch: usize,
}

impl Crash {
    /// The `FAILPOINTS` value: pass the first `hit - 1` hits, abort at the next.
    fn spec(&self) -> String {
        let pass = self.hit.saturating_sub(1);
        if pass == 0 {
            format!("{}=return", self.point)
        } else {
            format!("{}={pass}*off->return", self.point)
        }
    }
}

/// Every crash point on the path from a record to a reply.
const POINTS: [&str; 18] = [
    "writer.upload.before",
    "writer.upload.after",
    "writer.state_save.after",
    "writer.confirm.after",
    "writer.flush.before",
    "writer.flush.uploaded",
    "writer.flush.after",
    "writer.journal.spilled",
    "writer.journal.merged",
    "writer.spill.uploaded",
    "writer.compact.uploaded",
    "writer.compact.saved",
    "connector.catch_up.saved",
    "connector.catch_up.settled",
    "runtime.state_save.before",
    "runtime.reply.before",
    "runtime.reply.after",
    "runtime.state_clear.after",
];

/// The crashes to try: each point an uncrashed run passed, at each of its first three hits
/// in one invocation (or as many as it had), and the busy ones halfway through too, where
/// positions that lag behind the uploads would make a resumed run re-send the most.
fn crashes(hits: &BTreeMap<String, u32>) -> Vec<Crash> {
    let mut out = Vec::new();
    for p in POINTS {
        let n = hits.get(p).copied().unwrap_or(0);
        let mut at: Vec<u32> = (1..=n.min(3)).collect();
        if n > 6 {
            at.push(n / 2);
        }
        out.extend(at.into_iter().map(|hit| Crash { point: p, hit, batch: BATCH }));
    }
    out
}

/// The end-of-sync flush with artifacts of ts-adaas's size: every item type has a partial
/// batch open when the full reading ends and the catch-up round is saved.
fn flush_crashes() -> Vec<Crash> {
    let points = ["connector.catch_up.saved", "writer.flush.before", "writer.flush.uploaded", "writer.flush.after"];
    let hits = |p: &str| if p == "writer.flush.uploaded" { 4 } else { 1 };
    points.iter().flat_map(|p| (1..=hits(p)).map(move |hit| Crash { point: p, hit, batch: SDK_BATCH })).collect()
}

/// Per crash point, the most hits one data-phase invocation of a traced run had.
fn traced_hits(dir: &std::path::Path) -> BTreeMap<String, u32> {
    let mut most: BTreeMap<String, u32> = BTreeMap::new();
    for f in std::fs::read_dir(dir).unwrap() {
        let mut n: BTreeMap<String, u32> = BTreeMap::new();
        for line in std::fs::read_to_string(f.unwrap().path()).unwrap().lines() {
            *n.entry(line.to_string()).or_default() += 1;
        }
        for (p, c) in n {
            let m = most.entry(p).or_default();
            *m = (*m).max(c);
        }
    }
    let unknown: Vec<_> = most.keys().filter(|p| !POINTS.contains(&p.as_str())).collect();
    assert!(unknown.is_empty(), "crash points the test does not know: {unknown:?}");
    most
}

/// What one invoker has done: whether it crashed a child, and how.
#[derive(Default)]
struct Armed {
    /// The crash to cause, until it happened.
    crash: Option<Crash>,
    /// Set when a child ended at the crash point.
    crashed: bool,
    /// Children that ended otherwise than by the crash or by success.
    failures: Vec<String>,
    /// Where data-phase invocations trace the crash points they pass, one file each.
    trace: Option<std::path::PathBuf>,
    invocations: usize,
    /// Records per artifact.
    batch: usize,
}

/// Runs `okta-airsync run` as a child for each invocation; data-phase invocations carry the
/// armed crash in `FAILPOINTS` until one child ends by it.
fn invoker(okta_base: String, armed: Arc<Mutex<Armed>>) -> Invoke {
    Arc::new(move |body: Vec<u8>| {
        let (okta_base, armed) = (okta_base.clone(), armed.clone());
        Box::pin(async move {
            let data_phase = String::from_utf8_lossy(&body).contains("_EXTRACTING_DATA\"");
            let (spec, batch) = {
                let a = armed.lock().unwrap();
                (a.crash.as_ref().filter(|_| data_phase).map(Crash::spec), a.batch)
            };
            let log = std::env::var("CRASH_LOG").ok();
            let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_okta-airsync"));
            cmd.args(["run", "--event", "-", "--okta-base-url", &okta_base, "--batch-size", &batch.to_string()])
                .env("RUST_LOG", log.clone().unwrap_or("off".into()))
                // The index and the larger checkpoints spill into the worker's own artifacts
                // even for this small org.
                .env("OKTA_AIRSYNC_INDEX_INLINE_CHARS", "4000")
                .env("OKTA_AIRSYNC_SPILL_CHARS", "1500")
                .env_remove("FAILPOINTS")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .stderr(if log.is_some() { std::process::Stdio::inherit() } else { std::process::Stdio::null() })
                .kill_on_drop(true);
            if let Some(s) = &spec {
                cmd.env("FAILPOINTS", s);
            }
            {
                let mut a = armed.lock().unwrap();
                a.invocations += 1;
                if let Some(dir) = a.trace.as_ref().filter(|_| data_phase) {
                    cmd.env("CRASH_TRACE", dir.join(format!("invocation-{}", a.invocations)));
                }
            }
            let mut child = cmd.spawn().expect("the binary starts");
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(&body).await.unwrap();
            }
            let status = child.wait().await.unwrap();
            let mut a = armed.lock().unwrap();
            if status.signal() == Some(SIGABRT) && spec.is_some() {
                a.crashed = true;
                a.crash = None;
            } else if !status.success() {
                a.failures.push(format!("{status}"));
            }
        })
    })
}

/// One DevRev (an emulator) synced by the child-process worker from the shared simulator.
struct Trial {
    emu: EmuHandle,
    platform: Platform,
    armed: Arc<Mutex<Armed>>,
    _dir: tempfile::TempDir,
}

/// A DevRev and a platform over `sim`. `bounded`: the platform sends an upper bound
/// (`extraction_end_time`, as by default); without one a full sync ends with its catch-up round.
async fn trial(sim: &SimHandle, bounded: bool) -> Trial {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let emu = devrev_emu::serve(listener, dir.path().to_path_buf(), "devrev-test-token", false).await.unwrap();
    let armed = Arc::new(Mutex::new(Armed { batch: BATCH, ..Armed::default() }));
    let mut platform = Platform::new(emu.emu.clone(), invoker(sim.base_url.clone(), armed.clone()));
    platform.max_invocations = 100;
    if !bounded {
        platform.extraction_end_time = None;
    }
    Trial { emu, platform, armed, _dir: dir }
}

impl Trial {
    /// One whole sync, phase by phase: an invocation that never replied (it crashed) is
    /// followed by CONTINUE, as the platform does after its timeout.
    async fn sync(&self, mode: &str) -> Vec<String> {
        let p = &self.platform;
        p.new_run();
        let mut replies = Vec::new();
        let mut phases = vec![("START_EXTRACTING_METADATA", "METADATA_EXTRACTION_DONE")];
        if mode == "INITIAL" {
            phases.insert(0, ("START_EXTRACTING_EXTERNAL_SYNC_UNITS", "EXTERNAL_SYNC_UNIT_EXTRACTION_DONE"));
        }
        phases.push(("START_EXTRACTING_DATA", "DATA_EXTRACTION_DONE"));
        phases.push(("START_EXTRACTING_ATTACHMENTS", "ATTACHMENT_EXTRACTION_DONE"));
        for (first, done) in phases {
            let mut event = first.to_string();
            for _ in 0..20 {
                let reply = p.invoke_one(&event, mode).await;
                event = first.replace("START_", "CONTINUE_");
                let Some(r) = reply else {
                    replies.push(format!("(no reply to {first})"));
                    continue;
                };
                replies.push(r.event_type.clone());
                if r.event_type == done {
                    break;
                }
                assert!(r.event_type.ends_with("_PROGRESS"), "{mode}: {} answered {}: {}", first, r.event_type, r.body);
            }
            assert_eq!(replies.last().map(String::as_str), Some(done), "{mode}: {replies:?}");
        }
        replies
    }

    /// What DevRev holds per item type: every record of every reported artifact applied in the
    /// order the artifacts were uploaded (a later record replaces an earlier one, a tombstone
    /// takes it away, nothing cascades), with the ids tombstoned apart.
    fn held(&self) -> BTreeMap<String, (BTreeMap<String, Value>, BTreeSet<String>)> {
        let st = self.emu.emu.store.lock().unwrap();
        let mut out = BTreeMap::new();
        for t in okta_airsync::extract::ITEM_TYPES {
            let (mut live, mut gone) = (BTreeMap::new(), BTreeSet::new());
            // The emulator gives the records in the order their artifacts were issued.
            for r in st.records(t) {
                let id = r["id"].as_str().unwrap().to_string();
                if r["data"]["deleted"] == true || r["data"]["removed"] == true {
                    live.remove(&id);
                    gone.insert(id);
                } else {
                    gone.remove(&id);
                    live.insert(id, r);
                }
            }
            out.insert(t.to_string(), (live, gone));
        }
        out
    }

    /// Records received per item type, over every reported artifact (duplicates counted).
    fn received(&self) -> BTreeMap<String, usize> {
        let st = self.emu.emu.store.lock().unwrap();
        okta_airsync::extract::ITEM_TYPES.iter().map(|t| (t.to_string(), st.records(t).len())).collect()
    }

    fn violations(&self) -> Vec<String> {
        let mut st = self.emu.emu.store.lock().unwrap();
        st.finish_checks();
        st.violations.clone()
    }
}

/// The records of `t` its job's requests in flight can carry at once: a fan-out reads its
/// parents' children four at a time, one request each (so four of the largest parent's);
/// a list is read a page at a time.
fn in_flight(t: &str, live: &BTreeMap<String, Value>) -> usize {
    let per = |field: &str| -> usize {
        let mut n: BTreeMap<&str, usize> = BTreeMap::new();
        for r in live.values() {
            *n.entry(r["data"][field].as_str().unwrap_or("")).or_default() += 1;
        }
        n.into_values().max().unwrap_or(0)
    };
    match t {
        "factors" | "authenticator_enrollments" => FAN_OUT * per("user_id"),
        "group_members" => FAN_OUT * per("group_id").min(1000),
        "app_user_assignments" | "app_group_assignments" => FAN_OUT * per("app_id").min(500),
        "system_logs" => live.len().min(1000),
        _ => live.len().min(200),
    }
}

/// Crash points whose hits depend on how the jobs interleave (when the index journal's inline
/// tail fills up): a trial may pass one fewer time than the traced run did, and then ends
/// uncrashed, still compared with the baseline.
const TIMING_DEPENDENT: [&str; 2] = ["writer.journal.merged", "writer.journal.spilled"];

/// Checks a crashed trial against the uncrashed baseline; every difference is reported.
fn compare(label: &str, base: &Trial, t: &Trial, batch: usize) {
    let a = t.armed.lock().unwrap();
    let timing = TIMING_DEPENDENT.iter().any(|p| label.contains(&format!(" {p} ")));
    assert!(a.crashed || timing, "{label}: the worker never reached the crash point");
    assert!(a.failures.is_empty(), "{label}: children failed otherwise: {:?}", a.failures);
    drop(a);
    let mut wrong = Vec::new();
    let (want, got) = (base.held(), t.held());
    for (ty, (live, gone)) in &want {
        let (glive, ggone) = &got[ty];
        let lost: Vec<_> = live.keys().filter(|id| !glive.contains_key(*id)).collect();
        let extra: Vec<_> = glive.keys().filter(|id| !live.contains_key(*id)).collect();
        if !lost.is_empty() || !extra.is_empty() {
            wrong.push(format!("{ty}: {} lost (e.g. {:?}), {} extra (e.g. {:?})", lost.len(), lost.first(), extra.len(), extra.first()));
        }
        let differ: Vec<_> =
            live.iter().filter(|(id, r)| glive.get(*id).is_some_and(|g| g["data"] != r["data"])).map(|(id, _)| id).collect();
        if !differ.is_empty() {
            let eg = differ.first().map(|id| format!("{} against {}", glive[*id]["data"], live[*id]["data"])).unwrap_or_default();
            wrong.push(format!("{ty}: {} records differ (e.g. {eg})", differ.len()));
        }
        if ggone != gone {
            wrong.push(format!("{ty}: tombstones differ: {} in the uncrashed run, {} here", gone.len(), ggone.len()));
        }
    }
    let (sent, resent) = (base.received(), t.received());
    for (ty, n) in &resent {
        let again = n.saturating_sub(sent[ty]);
        let bound = batch + in_flight(ty, &want[ty].0);
        if std::env::var("CRASH_COUNTS").is_ok() && again > 0 {
            eprintln!("{label}: {ty}: {again} again (bound {bound})");
        }
        if again > bound {
            wrong.push(format!("{ty}: {again} records sent again, more than a batch ({batch}) and the pages in flight ({bound})"));
        }
    }
    // A crash after the reply and before the state forgets its artifacts reports them again in
    // the next invocation: the one window left, at-least-once (DevRev applies them by id).
    let reply_window = label.contains("runtime.reply.after");
    wrong.extend(t.violations().into_iter().filter(|v| !(reply_window && v.ends_with("reported twice"))));
    assert!(wrong.is_empty(), "{label}:\n  {}", wrong.join("\n  "));
}

fn org(seed: u64) -> SimConfig {
    let mut cfg = SimConfig {
        seed,
        sizes: Sizes { users: 120, groups: 6, apps: 16, devices: 20, log_events: 60, placeholders: true },
        ..SimConfig::default()
    };
    // Crashes are the subject, not rate limits.
    cfg.faults.rate_limit_per_min = Some(1_000_000);
    cfg.faults.cumulative_per_min = Some(100_000_000);
    cfg
}

/// Ordinary changes between the full sync and the incremental one, deletions included.
fn changes() -> Mutation {
    Mutation {
        users: 3,
        groups: 1,
        logs: 10,
        devices: 1,
        delete_devices: 1,
        delete_users: 1,
        remove_members: 2,
        unassign_app_users: 2,
        reset_factors: 2,
        grant_roles: 1,
        revoke_roles: 1,
        ..Mutation::none()
    }
}

/// How many trials run at once (each a chain of child processes).
const PARALLEL: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_at_any_point_of_a_full_sync_loses_nothing_and_resends_at_most_a_batch() {
    let sim = okta_sim::start(org(71)).await.unwrap();
    // No upper bound: the full sync ends with its catch-up round, whose crash points count too.
    let base = trial(&sim, false).await;
    let trace = tempfile::tempdir().unwrap();
    base.armed.lock().unwrap().trace = Some(trace.path().to_path_buf());
    base.sync("INITIAL").await;
    assert!(base.violations().is_empty(), "{:?}", base.violations());
    let hits = traced_hits(trace.path());
    // With small artifacts the early uploads may leave no batch open for the flush to upload;
    // with ts-adaas-sized ones every item type has one. Between them, every point is passed.
    let sdk = trial(&sim, false).await;
    let sdk_trace = tempfile::tempdir().unwrap();
    sdk.armed.lock().unwrap().trace = Some(sdk_trace.path().to_path_buf());
    sdk.armed.lock().unwrap().batch = SDK_BATCH;
    sdk.sync("INITIAL").await;
    let sdk_hits = traced_hits(sdk_trace.path());
    let missed: Vec<_> = POINTS.iter().filter(|p| !hits.contains_key(**p) && !sdk_hits.contains_key(**p)).collect();
    assert!(missed.is_empty(), "an uncrashed full sync passes every crash point; it missed {missed:?}");
    let flush_hits = sdk_hits.get("writer.flush.uploaded").copied().unwrap_or(0);
    assert!(flush_hits >= 4, "the end-of-sync flush uploads one artifact per item type ({flush_hits})");
    let sim = &sim;
    let base = &base;
    let only = std::env::var("CRASH_ONLY").ok();
    let chosen: Vec<Crash> =
        crashes(&hits).into_iter().chain(flush_crashes()).filter(|c| only.as_deref().is_none_or(|o| c.point == o)).collect();
    eprintln!("full sync: {} crash trials", chosen.len());
    futures::stream::iter(chosen)
        .map(|c| async move {
            let t = trial(sim, false).await;
            t.armed.lock().unwrap().batch = c.batch;
            t.armed.lock().unwrap().crash = Some(c.clone());
            let started = std::time::Instant::now();
            let replies = t.sync("INITIAL").await;
            eprintln!("{} {} {:?}", c.point, c.hit, started.elapsed());
            compare(&format!("full sync, {} hit {}, {} records per artifact ({replies:?})", c.point, c.hit, c.batch), base, &t, c.batch);
        })
        .buffer_unordered(PARALLEL)
        .collect::<Vec<()>>()
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_at_any_point_of_an_incremental_sync_loses_nothing_and_resends_at_most_a_batch() {
    let sim = okta_sim::start(org(72)).await.unwrap();
    let sim = &sim;
    // Which points an incremental sync passes: a traced run on an org of its own.
    let hits = {
        let sim = okta_sim::start(org(72)).await.unwrap();
        let t = trial(&sim, true).await;
        t.sync("INITIAL").await;
        sim.sim.mutate(&changes());
        let trace = tempfile::tempdir().unwrap();
        t.armed.lock().unwrap().trace = Some(trace.path().to_path_buf());
        t.sync("INCREMENTAL").await;
        traced_hits(trace.path())
    };
    // Every DevRev first holds the full sync; then the org changes once, and each syncs it.
    let crashes = crashes(&hits);
    eprintln!("incremental sync: {} crash trials", crashes.len());
    let trials: Vec<Trial> = futures::stream::iter(0..=crashes.len())
        .map(|_| async move {
            let t = trial(sim, true).await;
            t.sync("INITIAL").await;
            t
        })
        .buffered(PARALLEL)
        .collect()
        .await;
    sim.sim.mutate(&changes());
    let mut trials = trials.into_iter();
    let base = trials.next().unwrap();
    base.sync("INCREMENTAL").await;
    assert!(base.violations().is_empty(), "{:?}", base.violations());
    let base = &base;
    futures::stream::iter(trials.zip(crashes))
        .map(|(t, c)| async move {
            t.armed.lock().unwrap().crash = Some(c.clone());
            let replies = t.sync("INCREMENTAL").await;
            compare(&format!("incremental sync, {} hit {} ({replies:?})", c.point, c.hit), base, &t, c.batch);
        })
        .buffer_unordered(PARALLEL)
        .collect::<Vec<()>>()
        .await;
}
