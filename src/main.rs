//! The okta-airsync binary: parses the flags, installs the subscriber and turns the outcome into
//! an exit code. Every command lives in the library's `cli` module.

use std::process::ExitCode;

use clap::Parser;
use okta_airsync::cli::{self, Cli};
use okta_airsync::telemetry;

#[tokio::main]
async fn main() -> ExitCode {
    #[cfg(feature = "failpoints")]
    let _crash_points = okta_airsync::crash::setup();
    let cli = Cli::parse();
    telemetry::init(cli.log_format, cli.default_log_level());
    match cli::execute(cli.cmd).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("okta-airsync: {:#}", anyhow::Error::new(e));
            ExitCode::FAILURE
        }
    }
}
