//! Shared set-up: an Okta simulator and a DevRev emulator on loopback, and a platform driver
//! running the connector in-process.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use devrev_emu::{self as devrev, EmuHandle, Platform};
use okta_airsync::airsync::devrev::RetryPolicy;
use okta_airsync::airsync::runtime::RuntimeConfig;
use okta_airsync::connector::{OktaConnector, Settings};
use okta_airsync::demo::in_process;
use okta_sim::{self as sim, SimConfig, SimHandle, Sizes};
use serde_json::Value;

/// Quiet unless TEST_LOG is set (to a tracing filter, such as `info` or
/// `okta_airsync::okta=debug`; empty: `info`).
pub fn init_logs() {
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let filter = if filter.trim().is_empty() { "info".to_string() } else { filter };
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    }
}

/// A small org.
pub fn small(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        sizes: Sizes { users: 60, groups: 12, apps: 6, devices: 20, log_events: 300, ..Sizes::default() },
        ..SimConfig::default()
    }
}

/// Everything an end-to-end test needs.
pub struct World {
    pub sim: SimHandle,
    pub emu: EmuHandle,
    pub platform: Platform,
    pub _dir: tempfile::TempDir,
}

/// Fast DevRev retries for tests.
pub fn fast_runtime(soft_deadline: Duration) -> RuntimeConfig {
    RuntimeConfig {
        soft_deadline,
        devrev_retry: RetryPolicy { max_retries: 2, base_delay: Duration::from_millis(10), timeout: Some(Duration::from_secs(10)) },
        ..RuntimeConfig::default()
    }
}

/// Starts the simulator and the emulator and wires a platform to the in-process connector.
pub async fn world(cfg: SimConfig, soft_deadline: Duration) -> World {
    world_rt(cfg, fast_runtime(soft_deadline), false).await
}

/// A world on tokio's paused clock (in a `#[tokio::test(start_paused = true)]`), the
/// simulator's clock following the test's: hours of paced calls pass in the seconds the work
/// takes. The ticker that moves the simulator's clock stops when this is dropped.
pub struct PausedWorld {
    pub world: World,
    ticker: tokio::task::JoinHandle<()>,
}

impl std::ops::Deref for PausedWorld {
    type Target = World;
    fn deref(&self) -> &World {
        &self.world
    }
}

impl std::ops::DerefMut for PausedWorld {
    fn deref_mut(&mut self) -> &mut World {
        &mut self.world
    }
}

impl Drop for PausedWorld {
    fn drop(&mut self) {
        self.ticker.abort();
    }
}

/// Starts a [`PausedWorld`] whose invocations run for as long as the sync needs.
pub async fn paused_world(cfg: SimConfig) -> PausedWorld {
    // The invocation's deadline must not be what ends hours of paced calls.
    paused_world_with_deadline(cfg, Duration::from_secs(7 * 24 * 3600)).await
}

/// Starts a [`PausedWorld`] whose invocations stop at `soft_deadline` (of the paused clock).
pub async fn paused_world_with_deadline(cfg: SimConfig, soft_deadline: Duration) -> PausedWorld {
    // No DevRev timer may race a socket.
    let runtime = RuntimeConfig {
        soft_deadline,
        devrev_retry: RetryPolicy { max_retries: 2, base_delay: Duration::from_millis(10), timeout: None },
        ..RuntimeConfig::default()
    };
    let world = world_rt(cfg, runtime, true).await;
    let sim = world.sim.sim.clone();
    // Small ticks: whenever the runtime idles, the paused clock jumps to the next timer (the
    // client's requests have no timeout here, but waits and windows must pass gradually).
    let ticker = tokio::spawn(async move {
        let (start, mut advanced) = (tokio::time::Instant::now(), 0u64);
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let secs = start.elapsed().as_secs();
            sim.clock.advance((secs - advanced) as i64);
            advanced = secs;
        }
    });
    PausedWorld { world, ticker }
}

/// As [`world`], with a runtime configuration of the test's own.
/// `paused`: the test runs on tokio's paused clock, where no request may time out (the clock
/// jumps to the next timer whenever the runtime idles, even while a response streams in).
pub async fn world_rt(mut cfg: SimConfig, runtime: RuntimeConfig, paused: bool) -> World {
    init_logs();
    // Okta's real limits, paced at half, make a debug test wait minutes of real time; the
    // tests of rate limits ask for limits (a tier, a token share, a per-minute limit) on purpose.
    let default_limits = okta_sim::Faults::default();
    if cfg.faults.rate_limit_per_min.is_none() && cfg.faults.tier == default_limits.tier && cfg.faults.token_share_pct.is_none() {
        cfg.faults.rate_limit_per_min = Some(1_000_000);
    }
    let sim = sim::start(cfg).await.expect("simulator starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let emu = devrev::serve(listener, dir.path().to_path_buf(), "devrev-test-token", false).await.expect("emulator starts");
    let settings = Settings {
        base_url_override: Some(url::Url::parse(&sim.base_url).expect("sim url")),
        retry_delays: vec![Duration::from_millis(10), Duration::from_millis(20)],
        request_timeout: if paused { None } else { Settings::default().request_timeout },
        ..Settings::default()
    };
    let invoke = in_process(OktaConnector { settings }, runtime);
    let mut platform = Platform::new(emu.emu.clone(), invoke);
    let s = sim.sim.clone();
    platform.on_delay = Arc::new(move |secs| {
        let s = s.clone();
        Box::pin(async move { s.clock.advance(secs as i64 + 1) })
    });
    World { sim, emu, platform, _dir: dir }
}

impl World {
    /// Ground truth ids of one item type (`policies` includes the authorization servers'
    /// policies, which the connector extracts as policies).
    pub fn truth_ids(&self, truth: &Value, item_type: &str) -> BTreeSet<String> {
        let ids = |t: &str| -> Vec<String> {
            truth["record_types"][t]["ids"].as_array().into_iter().flatten().map(|v| v.as_str().unwrap().to_string()).collect()
        };
        let mut out: BTreeSet<String> =
            truth["record_types"][item_type]["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
        if item_type == "policies" {
            out.extend(ids("authorization_server_policies"));
        }
        out
    }

    /// Distinct ids the emulator stored for one item type.
    pub fn stored_ids(&self, item_type: &str) -> BTreeSet<String> {
        self.emu.emu.store.lock().unwrap().ids(item_type)
    }

    /// Violations recorded so far (after end-of-run checks).
    pub fn violations(&self) -> Vec<String> {
        let mut st = self.emu.emu.store.lock().unwrap();
        st.finish_checks();
        st.violations.clone()
    }

    /// Total API calls the simulator served.
    pub fn sim_calls(&self) -> u64 {
        self.sim.sim.stats()["total_calls"].as_u64().unwrap()
    }
}

/// What DevRev holds, per item type but the System Log: every reported record applied in the
/// order DevRev received it, a tombstone taking a record away, nothing cascading.
pub struct Held {
    /// Live records per item type, by id.
    pub live: BTreeMap<String, BTreeMap<String, Value>>,
    /// Ids sent as tombstones and still standing, per item type.
    pub gone: BTreeMap<String, BTreeSet<String>>,
    /// Records whose `modified_date` went backwards against the one sent before them (so
    /// applying by `modified_date` would give another result): `type/id`.
    pub backwards: Vec<String>,
}

pub fn held(w: &World) -> Held {
    let st = w.emu.emu.store.lock().unwrap();
    let mut live = BTreeMap::new();
    let mut gone = BTreeMap::new();
    let mut backwards = Vec::new();
    for t in okta_airsync::extract::ITEM_TYPES.iter().copied().filter(|t| *t != "system_logs") {
        let mut latest: BTreeMap<String, Value> = BTreeMap::new();
        for r in st.records(t) {
            let id = r["id"].as_str().unwrap().to_string();
            if let Some(old) = latest.get(&id) {
                if r["modified_date"].as_str().unwrap() < old["modified_date"].as_str().unwrap() {
                    backwards.push(format!("{t}/{id}"));
                }
            }
            latest.insert(id, r);
        }
        let (dead, alive): (BTreeMap<_, _>, BTreeMap<_, _>) =
            latest.into_iter().partition(|(_, r)| r["data"]["deleted"] == true || r["data"]["removed"] == true);
        gone.insert(t.to_string(), dead.into_keys().collect());
        live.insert(t.to_string(), alive);
    }
    Held { live, gone, backwards }
}

impl Held {
    /// Live ids of a type.
    pub fn ids(&self, t: &str) -> BTreeSet<String> {
        self.live[t].keys().cloned().collect()
    }
}
