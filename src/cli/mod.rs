//! The command line: every subcommand's flags and what it does. `main.rs` only parses, installs
//! the subscriber and turns the outcome into an exit code.

#[cfg(feature = "playground")]
pub(crate) mod playground;
#[cfg(feature = "playground")]
mod sim_oauth;
mod worker;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::okta::org_url::OrgUrlError;
use crate::telemetry::LogFormat;
pub use worker::WorkerArgs;

/// DevRev AirSync connector for Okta.
#[derive(Parser)]
#[command(name = "okta-airsync", version, about)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub cmd: Command,
}

/// The subcommands.
#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum Command {
    /// Handle one invocation: a JSON array of AirSync events (or one event) from FILE or stdin.
    Run {
        /// The event file, or - for stdin.
        #[arg(long)]
        event: String,
        #[allow(missing_docs)]
        #[command(flatten)]
        worker: WorkerArgs,
    },
    /// Serve /handle/async and /handle/sync, like DevRev's snap-in template in local mode.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8000")]
        listen: String,
        #[allow(missing_docs)]
        #[command(flatten)]
        worker: WorkerArgs,
    },
    /// Test the connection to an Okta org: with an API token GET /api/v1/users/me and
    /// /api/v1/org; with an OAuth service app (--client-id) a token request and GET /api/v1/org.
    Check {
        /// The org: subdomain, host or https URL.
        #[arg(long)]
        domain: String,
        /// Read the API token from this file (default: the OKTA_API_TOKEN variable).
        #[arg(long, conflicts_with = "client_id")]
        token_file: Option<PathBuf>,
        #[allow(missing_docs)]
        #[command(flatten)]
        oauth: OAuthArgs,
        /// Testing only: talk to this base URL instead.
        #[arg(long, env = "OKTA_AIRSYNC_BASE_URL")]
        okta_base_url: Option<String>,
    },
    #[cfg(feature = "playground")]
    #[allow(missing_docs)]
    #[command(flatten)]
    Playground(playground::PlaygroundCommand),
}

impl Cli {
    /// The log level used when RUST_LOG is unset: quiet for the demo, whose output is its display.
    pub fn default_log_level(&self) -> &'static str {
        #[cfg(feature = "playground")]
        if let Command::Playground(p) = &self.cmd {
            return p.default_log_level();
        }
        "info"
    }
}

/// An OAuth 2.0 service app instead of an API token.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct OAuthArgs {
    /// The service app's client id (switches `check` to OAuth).
    #[arg(long, env = "OKTA_CLIENT_ID")]
    pub client_id: Option<String>,
    /// The app's private key: a PEM or JWK file.
    #[arg(long, requires = "client_id")]
    pub private_key_file: Option<PathBuf>,
    /// The kid of the public key registered in Okta (default: the JWK's own, or none).
    #[arg(long, requires = "client_id", default_value = "")]
    pub key_id: String,
    /// The scopes granted to the app, space- or comma-separated (default: every scope the
    /// connector uses).
    #[arg(long, requires = "client_id", default_value = "")]
    pub scopes: String,
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file, stdin or a socket failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A flag holds an address that cannot be used.
    #[error("{flag}: {source}")]
    Address {
        /// The flag.
        flag: &'static str,
        /// Why.
        #[source]
        source: OrgUrlError,
    },
    /// The Okta client could not be built.
    #[error(transparent)]
    Okta(#[from] crate::okta::Error),
    /// The event could not be handled at all.
    #[error("the invocation could not be handled: {0}")]
    Invocation(#[from] crate::airsync::event::EventError),
    /// Events were handled but no reply reached DevRev.
    #[error("no reply could be sent: {0}")]
    NoReply(String),
    /// The connection check failed (the line says why and what to do).
    #[error("{0}")]
    Check(String),
    /// The token is missing.
    #[error(
        "no Okta API token: set OKTA_API_TOKEN or pass --token-file (or use an OAuth service app: --client-id and --private-key-file)"
    )]
    NoToken,
    /// The OAuth flags describe an unusable service app.
    #[error("{0}")]
    ServiceApp(#[from] crate::okta::oauth::ServiceAppError),
    /// `--entities` names something that is not an item type.
    #[error("--entities: `{0}` is not an item type; choose from {list}", list = crate::extract::ITEM_TYPES.join(", "))]
    UnknownEntity(String),
    /// The demo failed.
    #[cfg(feature = "playground")]
    #[error(transparent)]
    Demo(#[from] crate::demo::Error),
}

/// Parses `--entities users,groups,...` into item types, refusing unknown names.
pub fn parse_entities(list: &str) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !crate::extract::ITEM_TYPES.contains(&name) {
            return Err(Error::UnknownEntity(name.to_string()));
        }
        out.push(name.to_string());
    }
    Ok(out)
}

pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let what = what.into();
    move |source| Error::Io { what, source }
}

/// Runs a command to its end; the exit code says how it went (2: the demo's sync did not end DONE).
pub async fn execute(cmd: Command) -> Result<ExitCode, Error> {
    match cmd {
        Command::Run { event, worker } => worker::run(&event, &worker).await,
        Command::Serve { listen, worker } => worker::serve(&listen, &worker).await,
        Command::Check { domain, token_file, oauth, okta_base_url } => worker::check(&domain, token_file, &oauth, okta_base_url).await,
        #[cfg(feature = "playground")]
        Command::Playground(p) => p.execute().await,
    }
}
