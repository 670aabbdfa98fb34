//! The demo's report: the fixed `report.json` shape other tools read, and the tables.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// One entity's line.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EntityLine {
    /// Distinct records uploaded in this run.
    pub records: u64,
    /// The simulator's ground truth.
    pub expected: u64,
    /// full, incremental or skipped.
    pub mode: String,
    /// API calls of the job that produces it (counted on the job's first item type).
    pub api_calls: u64,
    /// Skip reason or fallback.
    pub note: String,
    /// How it was read: `full`, `incremental`, `log-driven`, `fallback: <why>` or `skipped`.
    pub read: String,
    /// Tombstones sent in this run (`deleted` objects, `removed` edges).
    pub tombstones: u64,
}

/// One run.
#[derive(Debug, Clone, Serialize)]
pub struct RunLine {
    /// INITIAL or INCREMENTAL.
    pub mode: String,
    /// DONE or ERROR.
    pub outcome: String,
    /// Worker invocations.
    pub invocations: usize,
    /// Wall time.
    pub wall_ms: u128,
    /// Calls the simulator served.
    pub api_calls: u64,
    /// The simulator's minimum for a full sync.
    pub min_api_calls: u64,
    /// 429s met.
    pub rate_limited: u64,
    /// Retries after server errors.
    pub retries: u64,
    /// Artifacts reported.
    pub artifacts: usize,
    /// Parents (users, groups, apps, policies, roles) that vanished between their list call
    /// and their children's, skipped and counted by the jobs that fan out over them.
    pub parents_gone: u64,
    /// Per item type.
    pub entities: BTreeMap<String, EntityLine>,
    /// Characters of the whole worker state saved at the end (DevRev's guidance: 500 000).
    pub state_chars: usize,
    /// The index of what was sent, as the state holds it: per part (base, tombstones), where
    /// it lives, its lines and its gzipped bytes.
    pub index: Value,
    /// Calls the simulator served per route template (`GET /api/v1/users/{id}/factors`: ids
    /// become `{id}`; the query is not part of it).
    pub calls_by_route: BTreeMap<String, u64>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The runs.
    pub runs: Vec<RunLine>,
    /// Protocol violations the emulator recorded.
    pub violations: Vec<String>,
}

/// Prints one run as a table.
pub fn print_run(r: &RunLine) {
    println!();
    println!("{} sync: {}", r.mode, r.outcome);
    println!("  {:<24} {:>9} {:>9} {:>11} {:>10} {:>10}  note", "entity", "records", "expected", "read", "api calls", "tombstones");
    for (t, e) in &r.entities {
        let read = if e.read.starts_with("fallback") { "fallback" } else { e.read.as_str() };
        println!("  {:<24} {:>9} {:>9} {:>11} {:>10} {:>10}  {}", t, e.records, e.expected, read, e.api_calls, e.tombstones, e.note);
    }
    let ratio = if r.min_api_calls > 0 { r.api_calls as f64 / r.min_api_calls as f64 } else { 0.0 };
    println!(
        "  wall {:.1} s | invocations {} | API calls {} (minimum for a full sync {}, ratio {:.2}) | 429s {} | retries {} | artifacts {} | parents gone mid-run {}",
        r.wall_ms as f64 / 1000.0,
        r.invocations,
        r.api_calls,
        r.min_api_calls,
        ratio,
        r.rate_limited,
        r.retries,
        r.artifacts,
        r.parents_gone
    );
}

/// How a job read its entity: its mode, or `fallback: <why>` from its note.
pub fn read_of(state: &Value, job: &str) -> String {
    let j = &state[format!("job.{job}")];
    match j["mode"].as_str().unwrap_or("") {
        "fallback" => j["note"].as_str().filter(|n| n.starts_with("fallback")).unwrap_or("fallback").to_string(),
        m => m.to_string(),
    }
}

/// The job's entry in the catch-up round of a run that read in full (`Null`: none).
fn catch_up<'a>(state: &'a Value, job: &str) -> &'a Value {
    &state[format!("catch_up.job.{job}")]
}

/// Tombstones sent for one item type: by its job (its catch-up round's included) and at the
/// end of the run's last round, from the index (`mirrored`).
pub fn tombstones_of(state: &Value, job: &str, item_type: &str) -> u64 {
    let of = |j: &Value| j["tombstones"][item_type].as_u64().unwrap_or(0);
    of(&state[format!("job.{job}")]) + of(catch_up(state, job)) + of(&state["mirrored"])
}

/// Parents a job found gone mid-run (its catch-up round's included).
pub fn parents_gone_of(state: &Value, job: &str) -> u64 {
    let of = |j: &Value| j["parents_gone"].as_u64().unwrap_or(0);
    of(&state[format!("job.{job}")]) + of(catch_up(state, job))
}

/// Reads a job's line fields from the connector state.
pub fn job_fields(state: &Value, job: &str) -> (String, String, u64, BTreeMap<String, String>) {
    let j = &state[format!("job.{job}")];
    let skipped = j["skipped"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())).collect())
        .unwrap_or_default();
    let c = catch_up(state, job);
    let mut note = j["note"].as_str().unwrap_or("").to_string();
    let caught: u64 = c["records"].as_object().map_or(0, |m| m.values().filter_map(Value::as_u64).sum());
    if c["status"] == "done" && c["note"] != crate::connector::NOTHING_CHANGED {
        let line = format!("caught up {caught} changed records");
        note = if note.is_empty() { line } else { format!("{note}; {line}") };
    }
    let gone = parents_gone_of(state, job);
    if gone > 0 {
        let line = format!("{gone} parents gone mid-run");
        note = if note.is_empty() { line } else { format!("{note}; {line}") };
    }
    (
        j["mode"].as_str().unwrap_or("").to_string(),
        note,
        j["api_calls"].as_u64().unwrap_or(0) + c["api_calls"].as_u64().unwrap_or(0),
        skipped,
    )
}

/// Where each part of the index lives, its lines and its size (from the stored state's text).
pub fn index_summary(stored_state: &str) -> Value {
    let state: Value = serde_json::from_str(stored_state).unwrap_or(Value::Null);
    let index = &state[crate::airsync::index::STATE_KEY];
    let part = |p: &Value| match p["in"].as_str() {
        Some("state") => serde_json::json!({"in": "state", "lines": p["lines"], "chars": p["gz"].as_str().map_or(0, str::len)}),
        Some("artifact") => serde_json::json!({"in": "artifact", "lines": p["lines"], "bytes": p["bytes"]}),
        _ => Value::Null,
    };
    serde_json::json!({"base": part(&index["base"]), "tombstones": part(&index["gone"]), "journal_parts": index["journal"].as_array().map_or(0, Vec::len)})
}
