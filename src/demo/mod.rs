//! `okta-airsync demo`: a whole Okta → DevRev sync on this machine, with no accounts. Starts the
//! Okta simulator and the DevRev emulator on loopback, runs an initial sync, changes the org,
//! runs an incremental sync, and reports what DevRev would have received.
//!
//! Its data comes from the simulator and the emulator it started, not from outside.
#![allow(clippy::expect_used, clippy::indexing_slicing)]

pub mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::airsync::extractor::Extractor;
use crate::airsync::runtime::RuntimeConfig;
use crate::connector::{OktaConnector, Settings, JOBS};
use crate::extract::ITEM_TYPES;
use devrev_emu::{self as devrev, platform, EmuHandle, Platform};
use okta_sim::{self as sim, Faults, SimConfig, SimHandle, Sizes};
use report::{EntityLine, Report, RunLine};

/// Demo options.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Org size.
    pub sizes: Sizes,
    /// Generator seed.
    pub seed: u64,
    /// Simulator faults.
    pub faults: Faults,
    /// Soft deadline per invocation.
    pub soft_deadline: Duration,
    /// Where to keep what DevRev received.
    pub out: PathBuf,
    /// Where to write report.json (default: in `out`).
    pub report: Option<PathBuf>,
    /// Show a live display (only on a terminal).
    pub live: bool,
    /// The item types the user chose (None: all), sent as the platform's `objects`.
    pub entities: Option<Vec<String>>,
}

/// An invoker for the platform driver that runs `extractor` in this process.
pub fn in_process<E: Extractor + Send + Sync + 'static>(extractor: E, cfg: RuntimeConfig) -> platform::Invoke {
    let extractor = std::sync::Arc::new(extractor);
    std::sync::Arc::new(move |body: Vec<u8>| {
        let extractor = extractor.clone();
        let cfg = cfg.clone();
        Box::pin(async move {
            if let Err(e) = crate::airsync::runtime::run_invocation(&body, extractor.as_ref(), &cfg).await {
                tracing::error!(error = %e, "invocation rejected");
            }
        })
    })
}

/// Maps an entity or item type name to the simulator's permission family.
pub fn deny_family(name: &str) -> String {
    match name {
        "iam_roles" | "iam_role_members" | "roles" => "roles",
        "system_logs" | "logs" => "logs",
        "applications" | "app_user_assignments" | "app_group_assignments" | "apps" => "apps",
        "group_members" | "groups" => "groups",
        other => other,
    }
    .to_string()
}

struct Run<'a> {
    sim: &'a SimHandle,
    emu: &'a EmuHandle,
    platform: &'a Platform,
    chosen: Option<&'a [String]>,
}

/// The truth's count for an item type (authorization servers' policies travel as policies).
fn expected(truth: &Value, t: &str) -> u64 {
    let count = |k: &str| truth["record_types"][k]["count"].as_u64().unwrap_or(0);
    match t {
        "policies" => count("policies") + count("authorization_server_policies"),
        _ => count(t),
    }
}

impl Run<'_> {
    async fn run(&self, mode: &str) -> RunLine {
        let before: BTreeSet<String> = self.reported();
        self.sim.sim.reset_stats();
        let rep = self.platform.run_sync(mode).await;
        let stats = self.sim.sim.stats();
        let truth = self.sim.sim.truth(None);
        let new: Vec<String> = self.reported().difference(&before).cloned().collect();
        let state = self.platform.state_section("su1", OktaConnector::STATE_KEY);
        let st = self.emu.emu.store.lock().expect("emulator lock");
        let stored = st.states.values().next().cloned().unwrap_or_default();
        let mut records: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for id in &new {
            if let Some(a) = st.artifacts.get(id) {
                let text = a.path.as_ref().and_then(|p| std::fs::read_to_string(p).ok()).unwrap_or_default();
                let set = records.entry(a.item_type.clone()).or_default();
                set.extend(
                    text.split('\n')
                        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                        .filter_map(|r| r["id"].as_str().map(str::to_string)),
                );
            }
        }
        let mut entities = BTreeMap::new();
        for (job, types) in JOBS {
            let (jmode, note, calls, skipped) = report::job_fields(&state, job);
            for (i, t) in types.iter().enumerate() {
                if self.chosen.is_some_and(|c| !c.iter().any(|x| x == t)) {
                    let line = EntityLine {
                        records: 0,
                        expected: 0,
                        mode: "skipped".into(),
                        api_calls: 0,
                        note: "not selected".into(),
                        read: "skipped".into(),
                        tombstones: 0,
                    };
                    entities.insert(t.to_string(), line);
                    continue;
                }
                let note = skipped.get(*t).cloned().unwrap_or_else(|| note.clone());
                entities.insert(
                    t.to_string(),
                    EntityLine {
                        records: records.get(*t).map_or(0, |s| s.len() as u64),
                        expected: expected(&truth, t),
                        mode: if skipped.contains_key(*t) { "skipped".into() } else { jmode.clone() },
                        api_calls: if i == 0 { calls } else { 0 },
                        note: if i > 0 && note.is_empty() { format!("calls counted under {}", types[0]) } else { note },
                        read: if skipped.contains_key(*t) { "skipped".into() } else { report::read_of(&state, job) },
                        tombstones: report::tombstones_of(&state, job, t),
                    },
                );
            }
        }
        let routes = stats["routes"].as_object().cloned().unwrap_or_default();
        let retries = routes.values().map(|r| r["server_errors"].as_u64().unwrap_or(0)).sum();
        RunLine {
            mode: mode.into(),
            outcome: rep.outcome.clone(),
            invocations: rep.invocations,
            wall_ms: rep.wall_ms,
            api_calls: stats["total_calls"].as_u64().unwrap_or(0),
            min_api_calls: truth["min_api_calls"].as_u64().unwrap_or(0),
            rate_limited: stats["rate_limited"].as_u64().unwrap_or(0),
            retries,
            artifacts: new.len(),
            parents_gone: JOBS.iter().map(|(job, _)| report::parents_gone_of(&state, job)).sum(),
            entities,
            state_chars: stored.chars().count(),
            index: report::index_summary(&stored),
            calls_by_route: routes.iter().map(|(r, s)| (r.clone(), s["calls"].as_u64().unwrap_or(0))).collect(),
        }
    }

    fn reported(&self) -> BTreeSet<String> {
        self.emu
            .emu
            .store
            .lock()
            .expect("emulator lock")
            .artifacts
            .iter()
            .filter(|(_, a)| a.reported > 0)
            .map(|(id, _)| id.clone())
            .collect()
    }
}

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or a loopback socket failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The simulator's address is not a URL.
    #[error("the simulator's address is not a URL: {0}")]
    SimUrl(#[from] url::ParseError),
    /// A report could not be encoded.
    #[error("encoding {what}: {source}")]
    Encode {
        /// What was being encoded.
        what: &'static str,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let what = what.into();
    move |source| Error::Io { what, source }
}

/// Runs the demo; returns the report.
pub async fn run(opts: DemoOptions) -> Result<Report, Error> {
    std::fs::create_dir_all(&opts.out).map_err(io(format!("creating {}", opts.out.display())))?;
    let raw_dir = opts.out.join("raw");
    let cfg = SimConfig { seed: opts.seed, sizes: opts.sizes, faults: opts.faults.clone(), ..SimConfig::default() };
    let sim = sim::start(cfg).await.map_err(io("starting the Okta simulator on 127.0.0.1"))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(io("binding 127.0.0.1 for the DevRev emulator"))?;
    let emu = devrev::serve(listener, raw_dir, "devrev-test-token", false).await.map_err(io("starting the DevRev emulator"))?;
    println!(
        "Okta simulator at {} ({} users, {} groups, {} apps, {} devices, {} log events)",
        sim.base_url, opts.sizes.users, opts.sizes.groups, opts.sizes.apps, opts.sizes.devices, opts.sizes.log_events
    );
    println!("DevRev emulator at {}", emu.base_url);
    if let Some(chosen) = &opts.entities {
        let objects: serde_json::Map<String, Value> =
            ITEM_TYPES.iter().map(|t| (t.to_string(), serde_json::json!({ "extract": chosen.iter().any(|c| c == t) }))).collect();
        emu.emu.store.lock().expect("emulator lock").objects = Some(Value::Object(objects));
    }
    let settings = Settings { base_url_override: Some(url::Url::parse(&sim.base_url)?), ..Settings::default() };
    let rt = RuntimeConfig { soft_deadline: opts.soft_deadline, ..RuntimeConfig::default() };
    let mut platform = Platform::new(emu.emu.clone(), in_process(OktaConnector { settings }, rt));
    // A simulator with a cross-bucket limit (not Okta's behaviour): the admin states it as the
    // connector's ceiling, as the input allows.
    if let Some(n) = opts.faults.cumulative_per_min {
        platform.global_values.insert(crate::connector::inputs::ORG_RATE_LIMIT.into(), Value::String(n.to_string()));
    }
    let progress = progress::Progress::new(opts.live && std::io::stderr().is_terminal(), emu.emu.clone(), sim.sim.clone());
    platform.on_reply = Some(progress.on_reply());
    let ticker = progress.spawn_ticker();
    let runner = Run { sim: &sim, emu: &emu, platform: &platform, chosen: opts.entities.as_deref() };
    let initial = runner.run("INITIAL").await;
    progress.finish();
    report::print_run(&initial);
    let change = sim::mutate::Mutation {
        delete_users: 1,
        remove_members: 2,
        unassign_app_users: 1,
        reset_factors: 1,
        grant_roles: 1,
        revoke_roles: 1,
        ..sim::mutate::Mutation::default()
    };
    let changed = sim.sim.mutate(&change);
    let n = |k: &str| changed[k].as_array().map_or(0, Vec::len);
    println!(
        "\nChanged the org: {} users, {} groups, {} new log events, {} devices updated, {} deleted; {} users deleted, {} members removed, {} app users unassigned, {} users' factors reset, {} roles granted, {} revoked",
        n("users"),
        n("groups"),
        n("logs"),
        n("devices"),
        n("deleted_devices"),
        n("deleted_users"),
        n("removed_members"),
        n("unassigned_app_users"),
        n("reset_factors"),
        n("granted_roles"),
        n("revoked_roles")
    );
    let incremental = runner.run("INCREMENTAL").await;
    progress.finish();
    ticker.abort();
    report::print_run(&incremental);
    let violations = {
        let mut st = emu.emu.store.lock().expect("emulator lock");
        st.finish_checks();
        st.violations.clone()
    };
    let report = Report { runs: vec![initial, incremental], violations };
    write_out(&opts, &emu, &platform, &report)?;
    println!("\nProtocol violations: {}", report.violations.len());
    for v in report.violations.iter().take(10) {
        println!("  {v}");
    }
    println!("What DevRev received is in {}", opts.out.display());
    Ok(report)
}

fn write_out(opts: &DemoOptions, emu: &EmuHandle, platform: &Platform, report: &Report) -> Result<(), Error> {
    let write = |path: PathBuf, text: String| std::fs::write(&path, text).map_err(io(format!("writing {}", path.display())));
    let st = emu.emu.store.lock().expect("emulator lock");
    for t in ITEM_TYPES.iter().chain(["external_domain_metadata", "external_sync_units"].iter()) {
        let recs = st.records(t);
        let body: Vec<String> = recs.iter().map(Value::to_string).collect();
        let name = if *t == "external_domain_metadata" { "external_domain_metadata.json".to_string() } else { format!("{t}.jsonl") };
        let text = if *t == "external_domain_metadata" {
            recs.first().map(|m| serde_json::to_string_pretty(m).unwrap_or_default()).unwrap_or_default()
        } else {
            body.join("\n")
        };
        write(opts.out.join(name), text)?;
    }
    let events: Vec<String> = st.received.iter().map(|r| r.body.to_string()).collect();
    write(opts.out.join("events.jsonl"), events.join("\n"))?;
    drop(st);
    let state = serde_json::to_string_pretty(&platform.state_section("su1", OktaConnector::STATE_KEY))
        .map_err(|source| Error::Encode { what: "the state", source })?;
    write(opts.out.join("state.json"), state)?;
    let path = opts.report.clone().unwrap_or_else(|| opts.out.join("report.json"));
    write(path, serde_json::to_string_pretty(report).map_err(|source| Error::Encode { what: "report.json", source })?)?;
    Ok(())
}

mod progress {
    //! Live progress: a bar per item type on a terminal, plain lines otherwise.

    use std::sync::Arc;
    use std::time::Duration;

    use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

    use crate::extract::ITEM_TYPES;
    use devrev_emu::store::Received;
    use devrev_emu::Emu;
    use okta_sim::Sim;

    pub struct Progress {
        live: bool,
        emu: Arc<Emu>,
        sim: Arc<Sim>,
        bars: Vec<ProgressBar>,
        _multi: MultiProgress,
    }

    fn counts(emu: &Emu) -> std::collections::BTreeMap<String, usize> {
        let st = emu.store.lock().expect("emulator lock");
        let mut m = std::collections::BTreeMap::new();
        for a in st.artifacts.values().filter(|a| a.uploaded) {
            *m.entry(a.item_type.clone()).or_default() += a.lines;
        }
        m
    }

    impl Progress {
        pub fn new(live: bool, emu: Arc<Emu>, sim: Arc<Sim>) -> Arc<Self> {
            let multi = MultiProgress::new();
            let bars = if live {
                ITEM_TYPES
                    .iter()
                    .map(|t| {
                        let b = multi.add(ProgressBar::new_spinner());
                        b.set_style(
                            ProgressStyle::with_template("{spinner} {prefix:<24} {msg}")
                                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                        );
                        b.set_prefix(t.to_string());
                        b
                    })
                    .collect()
            } else {
                Vec::new()
            };
            Arc::new(Progress { live, emu, sim, bars, _multi: multi })
        }

        pub fn on_reply(self: &Arc<Self>) -> devrev_emu::platform::OnReply {
            let me = self.clone();
            Arc::new(move |r: &Received| {
                if !me.live {
                    let c = counts(&me.emu);
                    let calls = me.sim.stats()["total_calls"].as_u64().unwrap_or(0);
                    let summary: Vec<String> =
                        c.iter().filter(|(t, _)| ITEM_TYPES.contains(&t.as_str())).map(|(t, n)| format!("{t}={n}")).collect();
                    println!("  {} -> {} | API calls {calls} | records so far: {}", r.incoming, r.event_type, summary.join(" "));
                }
            })
        }

        pub fn spawn_ticker(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
            let me = self.clone();
            tokio::spawn(async move {
                loop {
                    me.tick();
                    tokio::time::sleep(Duration::from_millis(150)).await;
                }
            })
        }

        fn tick(&self) {
            if !self.live {
                return;
            }
            let c = counts(&self.emu);
            let calls = self.sim.stats()["total_calls"].as_u64().unwrap_or(0);
            for (b, t) in self.bars.iter().zip(ITEM_TYPES) {
                b.set_message(format!("{:>8} records uploaded   (API calls so far: {calls})", c.get(*t).copied().unwrap_or(0)));
                b.tick();
            }
        }

        pub fn finish(&self) {
            self.tick();
            for b in &self.bars {
                b.finish();
            }
        }
    }
}
