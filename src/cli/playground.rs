//! The no-account commands (feature `playground`): the Okta simulator, the DevRev emulator and the
//! one-command demo.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use okta_sim::{Faults, SimConfig, Sizes};

use super::{io, Error};

/// The playground's subcommands.
#[derive(Subcommand)]
pub enum PlaygroundCommand {
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
        #[allow(missing_docs)]
        #[command(flatten)]
        oauth: super::sim_oauth::SimOAuthArgs,
        #[allow(missing_docs)]
        #[command(flatten)]
        org: OrgArgs,
    },
    /// Run a whole Okta to DevRev sync on this machine against the simulator and the emulator.
    Demo {
        #[allow(missing_docs)]
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
        /// Extract only these item types (comma-separated, e.g. users,groups), sent as the
        /// platform sends the user's choice.
        #[arg(long)]
        entities: Option<String>,
    },
}

/// The simulated org: its size, seed and faults.
#[derive(Args, Clone)]
pub struct OrgArgs {
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
    /// Opt-in limit across all buckets per minute (default: none; not Okta's behaviour, which
    /// enforces each bucket on its own); the demo states it to the connector as the
    /// `org_rate_limit_per_minute` input.
    #[arg(long)]
    cumulative_per_min: Option<u64>,
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
    /// The org's subscription, which sets Okta's rate limits: developer, one-app, enterprise, workforce.
    #[arg(long, default_value = "workforce")]
    tier: okta_sim::Tier,
    /// The API token's share of each rate-limit bucket, in percent (Okta's default for a new token is 50).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=100))]
    token_share: Option<u8>,
    /// Probability of a 503 E0000010 (read-only mode).
    #[arg(long, default_value_t = 0.0)]
    unavailable_rate: f64,
    /// Probability of a 502/504 with an HTML body from a gateway.
    #[arg(long, default_value_t = 0.0)]
    gateway_error_rate: f64,
    /// Features the org has not licensed, answered 401 E0000015 (roles, devices, ..., or policies:TYPE): comma-separated or repeatable.
    #[arg(long, value_delimiter = ',')]
    unlicensed: Vec<String>,
    /// Users, groups, apps, devices and memberships deleted or deactivated per minute while serving.
    #[arg(long, default_value_t = 0.0)]
    churn_per_min: f64,
    /// Stop churning after this many changes in all (default: churn for as long as the simulator serves).
    #[arg(long)]
    churn_limit: Option<u64>,
    /// Aim the churn's deletions at the users, groups and apps the latest list pages served, so
    /// that they vanish between their list call and their child calls.
    #[arg(long)]
    churn_aim: bool,
    /// Churn by requests instead of time: one change every N requests served.
    #[arg(long)]
    churn_every_calls: Option<u64>,
    /// System Log events become visible up to this many seconds after their `published` time.
    #[arg(long, default_value_t = 0)]
    log_lag_secs: u64,
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
            cumulative_per_min: self.cumulative_per_min,
            fault_rate: self.fault_rate,
            deny: self.deny.iter().map(|d| crate::demo::deny_family(d)).collect(),
            reject_filter: self.reject_filter.clone(),
            concurrency_cap: self.concurrency_cap,
            rate_429: self.rate_429,
            reset_rate: self.reset_rate,
            foreign_next: self.foreign_next.iter().map(|d| crate::demo::deny_family(d)).collect(),
            tier: self.tier,
            token_share_pct: self.token_share,
            unavailable_rate: self.unavailable_rate,
            gateway_error_rate: self.gateway_error_rate,
            unlicensed: self.unlicensed.iter().map(|d| if d.contains(':') { d.clone() } else { crate::demo::deny_family(d) }).collect(),
            churn_per_min: self.churn_per_min,
            churn_limit: self.churn_limit,
            churn_aim: self.churn_aim,
            churn_every_calls: self.churn_every_calls,
            log_lag_secs: self.log_lag_secs,
        }
    }
}

impl PlaygroundCommand {
    /// The demo draws its own display, so its logs default to errors only.
    pub fn default_log_level(&self) -> &'static str {
        match self {
            PlaygroundCommand::Demo { .. } => "error",
            _ => "info",
        }
    }

    /// Runs the command.
    pub async fn execute(self) -> Result<ExitCode, Error> {
        match self {
            PlaygroundCommand::Devrev { listen, out, token } => devrev(&listen, out, &token).await,
            PlaygroundCommand::Sim { listen, public_url, token, tls_cert, tls_key, oauth, org } => {
                sim(&listen, public_url, token, tls_cert.zip(tls_key), oauth.app()?, &org).await
            }
            PlaygroundCommand::Demo { org, soft_deadline_secs, out, report, no_live, entities } => {
                let entities = entities.as_deref().map(super::parse_entities).transpose()?;
                let r = crate::demo::run(crate::demo::DemoOptions {
                    entities,
                    sizes: org.sizes(),
                    seed: org.seed,
                    faults: org.faults(),
                    soft_deadline: Duration::from_secs(soft_deadline_secs),
                    out,
                    report,
                    live: !no_live,
                })
                .await?;
                let clean = r.runs.iter().all(|x| x.outcome == "DONE") && r.violations.is_empty();
                Ok(if clean { ExitCode::SUCCESS } else { ExitCode::from(2) })
            }
        }
    }
}

async fn sim(
    listen: &str,
    public_url: Option<String>,
    token: String,
    tls: Option<(PathBuf, PathBuf)>,
    oauth: Option<okta_sim::OAuthApp>,
    org: &OrgArgs,
) -> Result<ExitCode, Error> {
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(io(format!("binding {listen}")))?;
    let client_id = oauth.as_ref().map(|a| a.client_id.clone());
    let cfg = SimConfig { seed: org.seed, sizes: org.sizes(), token: token.clone(), faults: org.faults(), anchor: None, oauth };
    let h = match tls {
        Some((cert, key)) => {
            okta_sim::serve_tls(cfg, listener, public_url, &cert, &key).await.map_err(io("starting the simulator over TLS"))?
        }
        None => okta_sim::serve(cfg, listener, public_url).await.map_err(io("starting the simulator"))?,
    };
    println!("Okta simulator ready at {} (token: {token})", h.base_url);
    if let Some(id) = client_id {
        println!("OAuth service app {id}: token endpoint {}/oauth2/v1/token", h.base_url);
    }
    let _ = h.task.await;
    Ok(ExitCode::SUCCESS)
}

async fn devrev(listen: &str, out: PathBuf, token: &str) -> Result<ExitCode, Error> {
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(io(format!("binding {listen}")))?;
    let h = devrev_emu::serve(listener, out.clone(), token, true).await.map_err(io("starting the DevRev emulator"))?;
    eprintln!("DevRev emulator ready at {} (artifacts in {})", h.base_url, out.display());
    let _ = h.task.await;
    Ok(ExitCode::SUCCESS)
}
