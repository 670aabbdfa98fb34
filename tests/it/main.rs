//! One integration-test binary (see helpers.rs for the shared set-up).
#![allow(clippy::unwrap_used)] // an integration-test binary: unwraps are assertions

mod catalogue;
mod churn;
mod cli;
mod connector_jobs;
mod deploy;
mod devrev_wire;
mod e2e;
mod helpers;
mod hostile_devrev;
mod incremental;
mod kill;
mod many_rules;
mod mirror;
mod oauth;
mod oauth_wire;
mod okta_client;
mod org_details_e2e;
mod org_details_endpoints;
mod platform_okta;
mod platform_rules;
mod policy_events;
mod rate_limits;
mod resume;
mod runtime;
mod signals;
mod sim;
mod synthetic;
mod time_scoped;
mod user_walk;
