//! The one place that sees both sides: turns an AirSync invocation into Okta extraction jobs,
//! runs them concurrently through one client, and reports how it went.

pub mod connection;
pub mod jobs;
pub mod state;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::sync::watch;
use tracing::Instrument;
use url::Url;

use crate::airsync::artifacts::iso_millis;
use crate::airsync::extractor::{ExtractOutcome, Extractor, Invocation, PhaseError, Sink};
use crate::extract::AdminLinks;
use crate::okta::{self, OktaClient, OktaConfig};
use jobs::{JobCtx, JobFail};
use state::{keys, JobState, LogsWindow, RunState, Status};

/// The jobs, each with the item types it produces.
pub const JOBS: &[(&str, &[&str])] = &[
    ("users", &["users"]),
    ("groups", &["groups", "group_members"]),
    ("roles", &["iam_roles", "iam_role_members"]),
    ("apps", &["applications", "app_user_assignments", "app_group_assignments"]),
    ("policies", &["policies"]),
    ("system_logs", &["system_logs"]),
    ("devices", &["devices"]),
    ("factors", &["factors"]),
];

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
        }
    }
}

/// The Okta extractor.
#[derive(Debug, Clone, Default)]
pub struct OktaConnector {
    /// Its settings.
    pub settings: Settings,
}

impl OktaConnector {
    /// The key of the connector's section in the AirSync state document.
    pub const STATE_KEY: &'static str = "okta";

    /// Builds the shared client for an invocation's connection.
    pub fn client(&self, inv: &Invocation) -> Result<OktaClient, String> {
        let conn =
            connection::resolve(&inv.connection_key, &inv.org_id, self.settings.base_url_override.as_ref()).map_err(|e| e.to_string())?;
        let mut cfg = OktaConfig::new(conn.base_url, conn.token);
        cfg.rate_share = self.settings.rate_share;
        cfg.max_in_flight = self.settings.max_in_flight;
        cfg.retry_delays = self.settings.retry_delays.clone();
        OktaClient::new(cfg).map_err(|e| e.to_string())
    }
}

/// Explains an Okta error met in a setup call (sync units, metadata) in one clear sentence.
pub fn explain(e: &okta::Error) -> String {
    match e {
        okta::Error::NotFound { .. } => format!("{e}; check the Okta subdomain: no Okta org answers there"),
        okta::Error::PermissionDenied { .. } => format!("{e}; the token's admin needs at least the Read-only Administrator role"),
        _ => e.to_string(),
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
        let client = self.client(inv).map_err(PhaseError)?;
        let org = client.get(&client.url("/api/v1/org", &[])).await.map_err(|e| PhaseError(explain(&e)))?.body;
        let id = org.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
        let sub = org.get("subdomain").and_then(Value::as_str).unwrap_or_default();
        let name = org.get("companyName").and_then(Value::as_str).filter(|s| !s.is_empty()).unwrap_or(sub);
        Ok(vec![json!({
            "id": id,
            "name": format!("{name} (Okta)"),
            "description": format!("Okta org {} at {}", if sub.is_empty() { &id } else { sub }, client.base_url().host_str().unwrap_or("")),
            "item_count": -1,
        })])
    }

    async fn metadata(&self, inv: &Invocation) -> Result<Value, PhaseError> {
        let client = self.client(inv).map_err(PhaseError)?;
        let custom = match client.get(&client.url("/api/v1/meta/schemas/user/default", &[])).await {
            Ok(r) => {
                let (attrs, warnings) = crate::extract::schema::custom_attrs(&r.body);
                for w in warnings {
                    tracing::warn!("{w}");
                }
                attrs
            }
            Err(e @ (okta::Error::PermissionDenied { .. } | okta::Error::NotFound { .. })) => {
                tracing::warn!(error = %e, "user schema not readable; users are declared without custom attributes");
                Vec::new()
            }
            Err(e) => return Err(PhaseError(explain(&e))),
        };
        Ok(crate::metadata::document(&custom))
    }

    async fn extract(&self, inv: &Invocation, state: Value, sink: Sink) -> ExtractOutcome {
        match self.run_extract(inv, state, sink).await {
            Ok(o) => o,
            Err(m) => ExtractOutcome::Error(m),
        }
    }
}

fn job_state(state: &Value, name: &str) -> JobState {
    state.get(format!("{}{name}", keys::JOB_PREFIX)).and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default()
}

impl OktaConnector {
    fn new_run(&self, inv: &Invocation, previous_logs: &LogsWindow) -> Result<(RunState, Option<String>), String> {
        let started = DateTime::parse_from_rfc3339(&inv.sync_started).map(|d| d.with_timezone(&Utc)).unwrap_or_else(|_| Utc::now());
        let overlap = chrono::Duration::from_std(self.settings.overlap).unwrap_or_default();
        let since = (inv.mode == "INCREMENTAL")
            .then(|| DateTime::parse_from_rfc3339(&inv.last_successful_sync_started).ok())
            .flatten()
            .map(|d| iso_millis(&(d.with_timezone(&Utc) - overlap)));
        let input = inv.global_values.get("system_log_start_date").and_then(Value::as_str);
        let (mut logs_since, warning) = jobs::logs::window_start(input, inv.extract_from.as_deref(), started).map_err(|e| e.to_string())?;
        if inv.mode == "INCREMENTAL" {
            if let Ok(end) = DateTime::parse_from_rfc3339(&previous_logs.end) {
                logs_since = end.with_timezone(&Utc) - overlap;
            }
        }
        Ok((
            RunState { sync_started: iso_millis(&started), since, logs_since: iso_millis(&logs_since), logs_until: iso_millis(&started) },
            warning,
        ))
    }

    async fn run_extract(&self, inv: &Invocation, state: Value, sink: Sink) -> Result<ExtractOutcome, String> {
        let previous_logs: LogsWindow = state.get(keys::LOGS).and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default();
        let stored_run: Option<RunState> = state.get(keys::RUN).and_then(|v| serde_json::from_value(v.clone()).ok());
        let same_run = stored_run.as_ref().is_some_and(|r| r.sync_started == iso_or_same(&inv.sync_started));
        let (run, fresh) = match (stored_run, same_run) {
            (Some(r), true) => (r, false),
            _ => {
                let (r, warning) = self.new_run(inv, &previous_logs)?;
                if let Some(w) = warning {
                    tracing::warn!(entity = "system_logs", "{w}");
                }
                (r, true)
            }
        };
        let client = self.client(inv)?.with_deadline(inv.deadline);
        if fresh {
            tracing::info!(since = ?run.since, logs_since = %run.logs_since, "starting a new sync run");
            sink.checkpoint(keys::RUN, serde_json::to_value(&run).unwrap_or_default()).await.map_err(|e| e.to_string())?;
            for (name, _) in JOBS {
                sink.checkpoint(&format!("{}{name}", keys::JOB_PREFIX), serde_json::to_value(JobState::default()).unwrap_or_default())
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        let states: BTreeMap<&str, JobState> =
            JOBS.iter().map(|(n, _)| (*n, if fresh { JobState::default() } else { job_state(&state, n) })).collect();
        let shadow: HashSet<String> = state
            .get(keys::SHADOW)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let users_over = states["users"].status != Status::Pending;
        let (ready_tx, ready_rx) = watch::channel(users_over);
        let base = JobCtx {
            name: "",
            client: client.clone(),
            sink: sink.clone(),
            stop: inv.stop.child_token(),
            run: run.clone(),
            links: AdminLinks::from_base(client.base_url()),
            fanout: self.settings.fanout,
            shadow: Arc::new(RwLock::new(shadow)),
            users_ready: ready_rx,
            calls_before: 0,
        };
        let overlap = chrono::Duration::from_std(self.settings.overlap).unwrap_or_default();
        let ready_tx = Arc::new(ready_tx);
        let tasks = states.into_iter().filter(|(_, st)| st.status == Status::Pending).map(|(name, st)| {
            let ctx = JobCtx { name, client: client.labeled(name), sink: sink.scoped(name), calls_before: st.api_calls, ..base.clone() };
            let previous_logs = previous_logs.clone();
            let ready_tx = ready_tx.clone();
            async move {
                let r = run_job(&ctx, st, &previous_logs, overlap).await;
                if name == "users"
                    && !matches!(r, Err(JobFail::Stop) | Err(JobFail::Delayed(_)) | Err(JobFail::Token(_)) | Err(JobFail::Fatal(_)))
                {
                    let _ = ready_tx.send(true);
                }
                if matches!(
                    r,
                    Err(JobFail::Delayed(_))
                        | Err(JobFail::Token(_))
                        | Err(JobFail::Fatal(_))
                        | Err(JobFail::NotFound(_))
                        | Err(JobFail::FilterRejected(_))
                ) {
                    ctx.stop.cancel();
                }
                (name, r)
            }
        });
        let results = futures::future::join_all(tasks).await;
        Ok(outcome(results))
    }
}

fn iso_or_same(s: &str) -> String {
    DateTime::parse_from_rfc3339(s).map(|d| iso_millis(&d.with_timezone(&Utc))).unwrap_or_else(|_| s.to_string())
}

async fn run_job(ctx: &JobCtx, mut st: JobState, previous_logs: &LogsWindow, overlap: chrono::Duration) -> Result<(), JobFail> {
    let span = tracing::info_span!("job", entity = ctx.name);
    let r = async {
        match ctx.name {
            "users" => jobs::users::run(ctx, &mut st).await,
            "groups" => jobs::groups::run(ctx, &mut st).await,
            "roles" => jobs::roles::run(ctx, &mut st).await,
            "apps" => jobs::apps::run(ctx, &mut st).await,
            "policies" => jobs::policies::run(ctx, &mut st).await,
            "system_logs" => jobs::logs::run(ctx, &mut st, previous_logs, overlap).await,
            "devices" => jobs::devices::run(ctx, &mut st).await,
            _ => jobs::factors::run(ctx, &mut st).await,
        }
    }
    .instrument(span)
    .await;
    match r {
        Ok(()) => {
            st.status = Status::Done;
            st.pos = Value::Null;
            ctx.save(&mut st).await?;
            tracing::info!(entity = ctx.name, records = ?st.records, api_calls = st.api_calls, mode = %st.mode, "entity done");
            Ok(())
        }
        Err(JobFail::Skip(reason)) => {
            tracing::warn!(entity = ctx.name, %reason, "entity skipped");
            st.status = Status::Skipped;
            st.mode = "skipped".into();
            st.note = reason.clone();
            for (n, types) in JOBS {
                if *n == ctx.name {
                    for t in *types {
                        st.skipped.insert(t.to_string(), reason.clone());
                    }
                }
            }
            st.pos = Value::Null;
            ctx.save(&mut st).await?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

fn outcome(results: Vec<(&str, Result<(), JobFail>)>) -> ExtractOutcome {
    let mut delay = None;
    let mut stopped = false;
    let mut error: Option<String> = None;
    for (name, r) in results {
        match r {
            Ok(()) => {}
            Err(JobFail::Token(m)) => return ExtractOutcome::Error(format!("{name}: {m}")),
            Err(JobFail::Fatal(m)) | Err(JobFail::NotFound(m)) | Err(JobFail::FilterRejected(m)) => {
                error.get_or_insert(m);
            }
            Err(JobFail::Delayed(s)) => delay = Some(delay.unwrap_or(0).max(s)),
            Err(JobFail::Stop) => stopped = true,
            Err(JobFail::Skip(_)) => {}
        }
    }
    if let Some(m) = error {
        return ExtractOutcome::Error(m);
    }
    if let Some(s) = delay {
        return ExtractOutcome::Delayed(s);
    }
    if stopped {
        return ExtractOutcome::Progress;
    }
    ExtractOutcome::Done
}
