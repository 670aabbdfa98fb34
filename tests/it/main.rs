//! One integration-test binary (see helpers.rs for the shared set-up).

mod devrev_wire;
mod e2e;
mod helpers;
mod okta_client;
mod runtime;
mod synthetic;
