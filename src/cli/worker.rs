//! The production commands: `run` (one invocation), `serve` (local testing URL) and `check`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::{io, Error, OAuthArgs};
use crate::airsync::runtime::{run_invocation, RuntimeConfig};
use crate::connector::{OktaConnector, Settings};
use crate::okta::oauth::{ServiceApp, ServiceAppError};
use crate::okta::{org_url, ApiToken, Credentials, OktaClient, OktaConfig};

/// How the worker talks to Okta and how long an invocation may run.
#[derive(Args, Clone)]
pub struct WorkerArgs {
    /// Testing only: talk to this Okta base URL instead of the event's domain.
    #[arg(long, env = "OKTA_AIRSYNC_BASE_URL")]
    pub okta_base_url: Option<String>,
    /// Soft deadline of an invocation, in seconds.
    #[arg(long, env = "OKTA_AIRSYNC_SOFT_DEADLINE_SECS", default_value_t = 600)]
    pub soft_deadline_secs: u64,
    /// Requests to Okta in flight at most (1 to 75).
    #[arg(long, env = "OKTA_AIRSYNC_MAX_IN_FLIGHT", default_value_t = 8)]
    pub max_in_flight: usize,
    /// Share of each Okta rate-limit bucket to use (0.01 to 1).
    #[arg(long, env = "OKTA_AIRSYNC_RATE_SHARE", default_value_t = 0.5)]
    pub rate_share: f64,
    /// Extract only these item types (comma-separated, e.g. users,groups), on top of the
    /// platform's choice; jobs whose item types are all left out make no API call.
    #[arg(long, env = "OKTA_AIRSYNC_ENTITIES")]
    pub entities: Option<String>,
    /// Records per artifact (10 to 2000; ts-adaas uploads 2000). Smaller artifacts make a
    /// resumed invocation re-send less after a crash, at the cost of more uploads.
    #[arg(long, env = "OKTA_AIRSYNC_BATCH_SIZE", default_value_t = 2000, value_parser = clap::value_parser!(u16).range(10..=2000))]
    pub batch_size: u16,
}

impl WorkerArgs {
    /// The connector these flags describe.
    pub fn connector(&self) -> Result<OktaConnector, Error> {
        let base = match &self.okta_base_url {
            Some(u) => Some(org_url::parse_testing_base_url(u).map_err(|source| Error::Address { flag: "--okta-base-url", source })?),
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

    /// The runtime configuration: the deadline, SIGTERM, the chosen item types, and one stdout
    /// line per reply sent.
    pub fn runtime(&self, shutdown: CancellationToken) -> Result<RuntimeConfig, Error> {
        let entities = self.entities.as_deref().map(super::parse_entities).transpose()?;
        Ok(RuntimeConfig {
            entities,
            soft_deadline: Duration::from_secs(self.soft_deadline_secs),
            batch_size: usize::from(self.batch_size),
            shutdown,
            on_reply: Some(std::sync::Arc::new(|reply: &str| {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", serde_json::json!({ "reply_sent": reply }));
                let _ = out.flush();
            })),
            ..RuntimeConfig::default()
        })
    }
}

/// A token cancelled on SIGTERM (Ctrl-C elsewhere): the invocation saves and replies PROGRESS.
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

/// `run`: one invocation from a file or stdin.
pub async fn run(event: &str, worker: &WorkerArgs) -> Result<ExitCode, Error> {
    // Read one byte past the limit at most: the runtime refuses a larger invocation by name,
    // and a runaway input never fills memory.
    let cap = crate::airsync::event::MAX_EVENT_BYTES as u64 + 1;
    let mut body = Vec::new();
    if event == "-" {
        let stdin = tokio::io::AsyncReadExt::take(tokio::io::stdin(), cap);
        tokio::io::AsyncReadExt::read_to_end(&mut Box::pin(stdin), &mut body).await.map_err(io("reading the event from stdin"))?;
    } else {
        let file = std::fs::File::open(event).map_err(io(format!("reading the event file {event}")))?;
        std::io::Read::read_to_end(&mut std::io::Read::take(file, cap), &mut body)
            .map_err(io(format!("reading the event file {event}")))?;
    }
    let connector = worker.connector()?;
    let reports = run_invocation(&body, &connector, &worker.runtime(on_sigterm())?).await?;
    let failed: Vec<String> = reports
        .iter()
        .filter(|r| r.reply.is_none())
        .map(|r| format!("{}: {}", r.event_type, r.error.clone().unwrap_or_default()))
        .collect();
    if !failed.is_empty() {
        return Err(Error::NoReply(failed.join("; ")));
    }
    Ok(ExitCode::SUCCESS)
}

/// `check`: Test Connection against an org, with an API token or a service app.
pub async fn check(domain: &str, token_file: Option<PathBuf>, oauth: &OAuthArgs, base: Option<String>) -> Result<ExitCode, Error> {
    let credentials: Credentials = match (&oauth.client_id, &oauth.private_key_file) {
        (Some(id), Some(f)) => {
            let pem = std::fs::read_to_string(f).map_err(io(format!("reading the private key file {}", f.display())))?;
            ServiceApp::from_fields(id, &pem, &oauth.key_id, &oauth.scopes)?.into()
        }
        (Some(_), None) => return Err(Error::ServiceApp(ServiceAppError::Key(crate::okta::oauth::KeyError::Empty))),
        (None, _) => ApiToken::new(&match token_file {
            Some(f) => std::fs::read_to_string(&f).map_err(io(format!("reading the token file {}", f.display())))?,
            None => std::env::var("OKTA_API_TOKEN").map_err(|_| Error::NoToken)?,
        })
        .into(),
    };
    let url = match base {
        Some(b) => org_url::parse_testing_base_url(&b).map_err(|source| Error::Address { flag: "--okta-base-url", source })?,
        None => org_url::parse_org_url(domain).map_err(|source| Error::Address { flag: "--domain", source })?,
    };
    let client = OktaClient::new(OktaConfig::new(url.clone(), credentials))?;
    let r = crate::check::test_connection(&client).await.map_err(|e| Error::Check(e.to_string()))?;
    println!("OK: connected to org {} at {} as {}", r.org, url, r.owner);
    Ok(ExitCode::SUCCESS)
}

/// `serve`: the local-development server.
pub async fn serve(listen: &str, worker: &WorkerArgs) -> Result<ExitCode, Error> {
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(io(format!("binding {listen}")))?;
    let app = crate::serve::router(worker.connector()?, worker.runtime(on_sigterm())?);
    let addr = listener.local_addr().map_err(io("reading the bound address"))?;
    eprintln!("serving /handle/async and /handle/sync on http://{addr}");
    axum::serve(listener, app).await.map_err(io("serving"))?;
    Ok(ExitCode::SUCCESS)
}
