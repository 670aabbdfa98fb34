//! The one place that sees both sides: turns an AirSync invocation into Okta extraction jobs,
//! runs them concurrently through one client, and reports how it went.

pub(crate) mod changes;
pub mod connection;
mod error;
pub mod inputs;
pub(crate) mod job;
pub mod jobs;
pub mod mirror;
mod outcome;
mod pacing;
pub(crate) mod plan;
pub(crate) mod schema;
pub mod state;
mod sync;
pub mod time_scope;

use std::time::Duration;

use serde_json::{json, Value};
use url::Url;

use crate::airsync::extractor::{ExtractOutcome, Extractor, Invocation, PhaseError, Sink};
use crate::okta::ratelimit::LearnedShares;
use crate::okta::{endpoints, OktaClient, OktaConfig};
pub use error::Error;
pub use job::{Job, JOBS};
pub use sync::NOTHING_CHANGED;

/// Connector settings (beyond what the event carries).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Testing only: talk to this base URL instead of the event's Okta domain.
    pub base_url_override: Option<Url>,
    /// Share of each rate-limit bucket to use.
    pub rate_share: f64,
    /// Requests in flight at most.
    pub max_in_flight: usize,
    /// Children fetched at once per fan-out.
    pub fanout: usize,
    /// Overlap subtracted from incremental watermarks (Okta's search index lags).
    pub overlap: Duration,
    /// Waits before transient retries (tests shorten them).
    pub retry_delays: Vec<Duration>,
    /// Per-request timeout to Okta (`None` disables it: tests on tokio's paused clock, where
    /// the clock jumps to the next timer whenever the runtime idles, even mid-response).
    pub request_timeout: Option<Duration>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            base_url_override: None,
            rate_share: 0.5,
            max_in_flight: 8,
            fanout: 4,
            overlap: Duration::from_secs(300),
            retry_delays: vec![Duration::from_secs(1), Duration::from_secs(2)],
            request_timeout: Some(Duration::from_secs(60)),
        }
    }
}

/// The Okta extractor.
#[derive(Debug, Clone, Default)]
pub struct OktaConnector {
    /// How it reaches Okta: base URL override, concurrency, pacing share, retries.
    pub settings: Settings,
}

impl OktaConnector {
    /// The key of the connector's section in the AirSync state document.
    pub const STATE_KEY: &'static str = "okta";

    /// Builds the shared client for an invocation's connection.
    pub fn client(&self, inv: &Invocation) -> Result<OktaClient, Error> {
        self.client_learned(inv, LearnedShares::default())
    }

    /// As [`OktaConnector::client`], each rate-limit bucket starting at the share an earlier
    /// invocation learned from a 429.
    pub fn client_learned(&self, inv: &Invocation, learned: LearnedShares) -> Result<OktaClient, Error> {
        let org = connection::OrgHint { org_id: &inv.org_id, org_name: &inv.org_name };
        let conn = connection::resolve(&inv.connection_key, org, self.settings.base_url_override.as_ref())?;
        let mut cfg = OktaConfig::new(conn.base_url, conn.credentials);
        cfg.rate_share = self.settings.rate_share;
        cfg.learned_shares = learned;
        cfg.cumulative_limit = inputs::org_rate_limit(inv.global_values.get(inputs::ORG_RATE_LIMIT))?;
        cfg.max_in_flight = self.settings.max_in_flight;
        cfg.retry_delays = self.settings.retry_delays.clone();
        cfg.request_timeout = self.settings.request_timeout;
        if cfg.request_timeout.is_none() {
            // No idle-connection timer either: the paused clock would jump to it too.
            cfg.pool_idle_timeout = None;
        }
        Ok(OktaClient::new(cfg)?)
    }
}

fn phase_error(e: impl Into<Error>) -> PhaseError {
    match e.into() {
        Error::Okta(e) => PhaseError(outcome::platform_message(&e, outcome::is_org_endpoint(&e))),
        other => PhaseError(other.to_string()),
    }
}

impl Extractor for OktaConnector {
    fn state_key(&self) -> &'static str {
        Self::STATE_KEY
    }

    fn initial_domain_mapping(&self) -> Value {
        crate::metadata::idm::shipped()
    }

    async fn external_sync_units(&self, inv: &Invocation) -> Result<Vec<Value>, PhaseError> {
        let client = self.client(inv).map_err(phase_error)?;
        let org = endpoints::org::fetch(&client).await.map_err(phase_error)?;
        let id = org.id.unwrap_or_default();
        let sub = org.subdomain.unwrap_or_default();
        let name = org.company_name.filter(|n| !n.is_empty()).unwrap_or_else(|| sub.clone());
        Ok(vec![json!({
            "id": id,
            "name": format!("{name} (Okta)"),
            "description": format!("Okta org {} at {}", if sub.is_empty() { &id } else { &sub }, client.base_url().host_str().unwrap_or("")),
            // No item_count: counting the org's records would mean extracting them (ts-adaas:
            // leave it undefined when it cannot be had cheaply).
        })])
    }

    async fn metadata(&self, inv: &Invocation) -> Result<Value, PhaseError> {
        let client = self.client(inv).map_err(phase_error)?;
        let schema = schema::user_schema(&client).await.map_err(phase_error)?;
        Ok(crate::metadata::document(&schema.types.all()))
    }

    fn index_fn(&self) -> Option<crate::airsync::writer::IndexFn> {
        Some(std::sync::Arc::new(mirror::entry))
    }

    async fn extract(&self, inv: &Invocation, state: Value, sink: Sink) -> ExtractOutcome {
        match sync::extract_data(self, inv, state, sink).await {
            Ok(o) => o,
            Err(e) => ExtractOutcome::Error(e.to_string()),
        }
    }
}
