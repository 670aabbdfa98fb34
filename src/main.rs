//! The okta-airsync binary: flags, configuration, the subscriber and the exit code. All the
//! work lives in the library.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use okta_airsync::airsync::runtime::{run_invocation, RuntimeConfig};
use okta_airsync::connector::{OktaConnector, Settings};
use okta_airsync::okta::{org_url, ApiToken, OktaClient, OktaConfig};
use okta_airsync::sim::okta::{Faults, SimConfig, Sizes};
use okta_airsync::telemetry::{self, LogFormat};
use tokio_util::sync::CancellationToken;

/// DevRev AirSync connector for Okta.
#[derive(Parser)]
#[command(name = "okta-airsync", version, about)]
struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Handle one invocation: a JSON array of AirSync events (or one event) from FILE or stdin.
    Run {
        /// The event file, or - for stdin.
        #[arg(long)]
        event: String,
        #[command(flatten)]
        worker: WorkerArgs,
    },
    /// Serve /handle/async and /handle/sync, like DevRev's snap-in template in local mode.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8000")]
        listen: String,
        #[command(flatten)]
        worker: WorkerArgs,
    },
    /// Run the DevRev platform emulator alone, printing each reply it receives.
    Devrev {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8002")]
        listen: String,
        /// Folder for received artifacts.
        #[arg(long, default_value = "./devrev-emulator")]
        out: PathBuf,
        /// The service-account token the worker must present.
        #[arg(long, default_value = "devrev-test-token")]
        token: String,
    },
    /// Serve the Okta simulator.
    Sim {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8001")]
        listen: String,
        /// The base URL used in links (default: http://LISTEN).
        #[arg(long)]
        public_url: Option<String>,
        /// The API token the simulator accepts.
        #[arg(long, default_value = "sim-token")]
        token: String,
        /// Serve https with this PEM certificate (chain).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        #[command(flatten)]
        org: OrgArgs,
    },
    /// Test the connection to an Okta org: GET /api/v1/users/me and /api/v1/org.
    Check {
        /// The org: subdomain, host or https URL.
        #[arg(long)]
        domain: String,
        /// Read the token from this file (default: the OKTA_API_TOKEN variable).
        #[arg(long)]
        token_file: Option<PathBuf>,
        /// Testing only: talk to this base URL instead.
        #[arg(long, env = "OKTA_AIRSYNC_BASE_URL")]
        okta_base_url: Option<String>,
    },
    /// Run a whole Okta to DevRev sync on this machine against the simulator and the emulator.
    Demo {
        #[command(flatten)]
        org: OrgArgs,
        /// Soft deadline per invocation, in seconds.
        #[arg(long, default_value_t = 600)]
        soft_deadline_secs: u64,
        /// Folder for what DevRev would have received.
        #[arg(long, default_value = "./okta-airsync-demo")]
        out: PathBuf,
        /// Where to write report.json (default: OUT/report.json).
        #[arg(long)]
        report: Option<PathBuf>,
        /// Plain log lines even on a terminal.
        #[arg(long)]
        no_live: bool,
    },
}

#[derive(Args, Clone)]
struct WorkerArgs {
    /// Testing only: talk to this Okta base URL instead of the event's domain.
    #[arg(long, env = "OKTA_AIRSYNC_BASE_URL")]
    okta_base_url: Option<String>,
    /// Soft deadline of an invocation, in seconds.
    #[arg(long, env = "OKTA_AIRSYNC_SOFT_DEADLINE_SECS", default_value_t = 600)]
    soft_deadline_secs: u64,
    /// Requests to Okta in flight at most (1 to 75).
    #[arg(long, env = "OKTA_AIRSYNC_MAX_IN_FLIGHT", default_value_t = 8)]
    max_in_flight: usize,
    /// Share of each Okta rate-limit bucket to use (0.01 to 1).
    #[arg(long, env = "OKTA_AIRSYNC_RATE_SHARE", default_value_t = 0.5)]
    rate_share: f64,
}

#[derive(Args, Clone)]
struct OrgArgs {
    /// Users in the simulated org.
    #[arg(long, default_value_t = 200)]
    users: usize,
    /// Groups.
    #[arg(long, default_value_t = 30)]
    groups: usize,
    /// Applications.
    #[arg(long, default_value_t = 12)]
    apps: usize,
    /// Devices.
    #[arg(long, default_value_t = 60)]
    devices: usize,
    /// System Log events over the last 90 days.
    #[arg(long, default_value_t = 1500)]
    log_events: usize,
    /// Generator seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Latency added to every response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Per-minute limit of every rate-limit bucket (default: Okta's Workforce limits).
    #[arg(long)]
    rate_limit_per_min: Option<u64>,
    /// Deny an entity (users, groups, roles, apps, policies, logs, devices, factors, schema): repeatable.
    #[arg(long)]
    deny: Vec<String>,
    /// Probability of a 5xx answer.
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Reject filters and searches on an endpoint family (users, groups, devices, logs): repeatable.
    #[arg(long)]
    reject_filter: Vec<String>,
    /// Generate no placeholder ("shadow") users (for third-party clients that validate statuses).
    #[arg(long)]
    no_placeholders: bool,
    /// Requests in flight at most before 429s with X-Rate-Limit-Limit 0.
    #[arg(long)]
    concurrency_cap: Option<usize>,
    /// Probability of a spurious 429.
    #[arg(long, default_value_t = 0.0)]
    rate_429: f64,
    /// Probability that a connection is reset as soon as it is accepted.
    #[arg(long, default_value_t = 0.0)]
    reset_rate: f64,
    /// Point next links of an endpoint family at a foreign host (the client must refuse): repeatable.
    #[arg(long)]
    foreign_next: Vec<String>,
}

impl OrgArgs {
    fn sizes(&self) -> Sizes {
        Sizes {
            users: self.users,
            groups: self.groups,
            apps: self.apps,
            devices: self.devices,
            log_events: self.log_events,
            placeholders: !self.no_placeholders,
        }
    }
    fn faults(&self) -> Faults {
        Faults {
            latency_ms: self.latency_ms,
            rate_limit_per_min: self.rate_limit_per_min,
            fault_rate: self.fault_rate,
            deny: self.deny.iter().map(|d| okta_airsync::demo::deny_family(d)).collect(),
            reject_filter: self.reject_filter.clone(),
            concurrency_cap: self.concurrency_cap,
            rate_429: self.rate_429,
            reset_rate: self.reset_rate,
            foreign_next: self.foreign_next.iter().map(|d| okta_airsync::demo::deny_family(d)).collect(),
        }
    }
}

impl WorkerArgs {
    fn connector(&self) -> anyhow::Result<OktaConnector> {
        let base = match &self.okta_base_url {
            Some(u) => Some(org_url::parse_testing_base_url(u).context("--okta-base-url")?),
            None => None,
        };
        Ok(OktaConnector {
            settings: Settings {
                base_url_override: base,
                max_in_flight: self.max_in_flight.clamp(1, 75),
                rate_share: self.rate_share.clamp(0.01, 1.0),
                ..Settings::default()
            },
        })
    }
    fn runtime(&self, shutdown: CancellationToken) -> RuntimeConfig {
        RuntimeConfig {
            soft_deadline: Duration::from_secs(self.soft_deadline_secs),
            shutdown,
            on_reply: Some(std::sync::Arc::new(|reply: &str| {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", serde_json::json!({ "reply_sent": reply }));
                let _ = out.flush();
            })),
            ..RuntimeConfig::default()
        }
    }
}

fn on_sigterm() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                s.recv().await;
                tracing::warn!("SIGTERM: saving state and replying PROGRESS at the next page boundary");
                t.cancel();
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            t.cancel();
        }
    });
    token
}

async fn run_cmd(event: &str, worker: &WorkerArgs) -> anyhow::Result<()> {
    let body = if event == "-" {
        let mut buf = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut tokio::io::stdin(), &mut buf).await.context("reading the event from stdin")?;
        buf
    } else {
        std::fs::read(event).with_context(|| format!("reading the event file {event}"))?
    };
    let connector = worker.connector()?;
    let reports = run_invocation(&body, &connector, &worker.runtime(on_sigterm())).await.context("the invocation could not be handled")?;
    let failed: Vec<String> = reports
        .iter()
        .filter(|r| r.reply.is_none())
        .map(|r| format!("{}: {}", r.event_type, r.error.clone().unwrap_or_default()))
        .collect();
    if !failed.is_empty() {
        bail!("no reply could be sent: {}", failed.join("; "));
    }
    Ok(())
}

async fn check_cmd(domain: &str, token_file: Option<PathBuf>, base: Option<String>) -> anyhow::Result<()> {
    let token = match token_file {
        Some(f) => std::fs::read_to_string(&f).with_context(|| format!("reading the token file {}", f.display()))?,
        None => std::env::var("OKTA_API_TOKEN").context("set OKTA_API_TOKEN or pass --token-file")?,
    };
    let url = match base {
        Some(b) => org_url::parse_testing_base_url(&b)?,
        None => org_url::parse_org_url(domain)?,
    };
    let client = OktaClient::new(OktaConfig::new(url.clone(), ApiToken::new(&token)))?;
    match okta_airsync::check::run(&client).await {
        Ok(r) => {
            println!("OK: connected to org {} at {} as {}", r.org, url, r.owner);
            Ok(())
        }
        Err(line) => bail!("{line}"),
    }
}

async fn sim_cmd(
    listen: &str,
    public_url: Option<String>,
    token: String,
    tls: Option<(PathBuf, PathBuf)>,
    org: &OrgArgs,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
    let cfg = SimConfig { seed: org.seed, sizes: org.sizes(), token: token.clone(), faults: org.faults(), anchor: None };
    let h = match tls {
        Some((cert, key)) => okta_airsync::sim::okta::serve_tls(cfg, listener, public_url, &cert, &key).await?,
        None => okta_airsync::sim::okta::serve(cfg, listener, public_url).await?,
    };
    println!("Okta simulator ready at {} (token: {token})", h.base_url);
    h.task.await?;
    Ok(())
}

async fn devrev_cmd(listen: &str, out: PathBuf, token: &str) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
    let h = okta_airsync::sim::devrev::serve(listener, out.clone(), token, true).await?;
    eprintln!("DevRev emulator ready at {} (artifacts in {})", h.base_url, out.display());
    h.task.await?;
    Ok(())
}

async fn serve_cmd(listen: &str, worker: &WorkerArgs) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
    let app = okta_airsync::serve::router(worker.connector()?, worker.runtime(on_sigterm()));
    eprintln!("serving /handle/async and /handle/sync on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    telemetry::init(cli.log_format, if matches!(cli.cmd, Cmd::Demo { .. }) { "error" } else { "info" });
    let result = match cli.cmd {
        Cmd::Run { event, worker } => run_cmd(&event, &worker).await,
        Cmd::Serve { listen, worker } => serve_cmd(&listen, &worker).await,
        Cmd::Devrev { listen, out, token } => devrev_cmd(&listen, out, &token).await,
        Cmd::Sim { listen, public_url, token, tls_cert, tls_key, org } => {
            sim_cmd(&listen, public_url, token, tls_cert.zip(tls_key), &org).await
        }
        Cmd::Check { domain, token_file, okta_base_url } => check_cmd(&domain, token_file, okta_base_url).await,
        Cmd::Demo { org, soft_deadline_secs, out, report, no_live } => okta_airsync::demo::run(okta_airsync::demo::DemoOptions {
            sizes: org.sizes(),
            seed: org.seed,
            faults: org.faults(),
            soft_deadline: Duration::from_secs(soft_deadline_secs),
            out,
            report,
            live: !no_live,
        })
        .await
        .map(|r| {
            if r.runs.iter().any(|x| x.outcome != "DONE") || !r.violations.is_empty() {
                std::process::exit(2);
            }
        }),
    };
    if let Err(e) = result {
        eprintln!("okta-airsync: {e:#}");
        std::process::exit(1);
    }
}
