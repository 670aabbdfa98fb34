//! okta-airsync: a DevRev AirSync connector for Okta.
//!
//! Module map:
//! - [`airsync`]: the AirSync wire protocol and phase runtime (knows nothing of Okta).
//! - [`okta`]: the one shared Okta HTTP client (knows nothing of DevRev).
//! - [`extract`]: pure functions from Okta JSON to normalized records.
//! - [`metadata`]: the external domain metadata, its validator and the initial domain mapping.
//! - [`connector`]: the only place that sees both sides: jobs, checkpoints, the sync report.
//! - [`sim`]: an Okta simulator and a DevRev emulator, for tests, benchmarks and the demo.
//! - [`telemetry`]: the tracing subscriber.
#![warn(missing_docs)]

pub mod airsync;
pub mod check;
pub mod connector;
pub mod demo;
pub mod extract;
pub mod metadata;
pub mod okta;
pub mod serve;
pub mod sim;
pub mod telemetry;
