//! okta-airsync: a DevRev AirSync connector for Okta.
//!
//! Module map:
//! - [`airsync`]: the AirSync wire protocol and phase runtime (knows nothing of Okta).
//! - [`okta`]: the one shared Okta HTTP client and its endpoints, one module per family
//!   (knows nothing of DevRev).
//! - [`extract`]: pure functions from Okta JSON to normalized records, one module per record
//!   family, and the item types' table.
//! - [`metadata`]: the external domain metadata, its validator and the initial domain mapping.
//! - [`connector`]: the only place that sees both sides: the round's plan, jobs, checkpoints,
//!   the sync report.
//! - [`cli`]: every subcommand's flags and body; [`check`]: Test Connection; [`serve`]: the
//!   local testing-URL server.
//! - [`demo`]: the one-command demo over the `okta-sim` and `devrev-emu` crates (feature `playground`).
//! - [`telemetry`]: the tracing subscriber.
//! - [`crash`]: crash points for the deterministic crash tests (feature `failpoints`).
#![warn(missing_docs)]
// Outside data (events, state, Okta's pages, what a person typed) must never panic the worker:
// no `expect`, no indexing or slicing that can go out of bounds, no string slicing.
#![warn(clippy::expect_used, clippy::indexing_slicing, clippy::string_slice)]

pub mod airsync;
pub mod check;
pub mod cli;
pub mod connector;
pub mod crash;
#[cfg(feature = "playground")]
pub mod demo;
pub mod extract;
pub mod metadata;
pub mod okta;
pub mod serve;
pub mod telemetry;
