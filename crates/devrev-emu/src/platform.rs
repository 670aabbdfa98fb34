//! Playing the platform: drives a whole sync run against the worker (in-process or a spawned
//! `okta-airsync run`), continuing after each PROGRESS and, after the delay, each DELAYED.

use std::sync::Arc;
use std::time::Instant;

use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::server::Emu;
use super::store::Received;

/// The event template every invocation is made from.
pub const TEMPLATE: &str = include_str!("event_template.json");
/// The placeholder origin in fixtures.
pub const PLACEHOLDER: &str = "http://devrev.placeholder";

/// Runs the worker on one invocation body.
pub type Invoke = Arc<dyn Fn(Vec<u8>) -> BoxFuture<'static, ()> + Send + Sync>;
/// Called after every reply (progress display).
pub type OnReply = Arc<dyn Fn(&Received) + Send + Sync>;
/// Waits out a DELAYED reply (sleeps, or moves a simulator's clock).
pub type OnDelay = Arc<dyn Fn(u64) -> BoxFuture<'static, ()> + Send + Sync>;

/// How one sync run went.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// INITIAL or INCREMENTAL.
    pub mode: String,
    /// DONE or ERROR.
    pub outcome: String,
    /// Worker invocations.
    pub invocations: usize,
    /// Wall time.
    pub wall_ms: u128,
    /// Replies in order.
    pub replies: Vec<String>,
    /// The error message that ended the run, if any.
    pub error: Option<String>,
    /// DELAYED delays met.
    pub delays: Vec<u64>,
}

/// The platform stand-in.
pub struct Platform {
    /// The emulator receiving the worker's calls.
    pub emu: Arc<Emu>,
    /// How to run the worker.
    pub invoke: Invoke,
    /// How to wait out a delay.
    pub on_delay: OnDelay,
    /// `input_data.global_values`.
    pub global_values: Map<String, Value>,
    /// The connection key sent in `connection_data.key`.
    pub connection_key: String,
    /// Stop a run after this many invocations.
    pub max_invocations: usize,
    /// Called after every reply (progress display).
    pub on_reply: Option<OnReply>,
    /// `extraction_start_time` sent with START_EXTRACTING_METADATA (a TimeValue such as
    /// `{"type": "absolute_time", "value": "..."}`); None sends none, as the template does.
    pub extraction_start_time: Option<Value>,
    /// `extraction_end_time` sent with START_EXTRACTING_METADATA: `current_time` unless a test
    /// plays a platform that sends none (`None`) or another TimeValue.
    pub extraction_end_time: Option<Value>,
    /// `reset_extract_from: true` in every event's context (fern-api-docs, "Time-scoped syncs":
    /// an incremental sync starts again from `extract_from`).
    pub reset_extract_from: bool,
    /// The sync run of the events being sent (a new one for every [`Platform::run_sync`]).
    pub run_id: std::sync::Mutex<String>,
}

/// An invoker spawning the binary: `okta-airsync run --event -` plus `args`.
pub fn spawned(bin: std::path::PathBuf, args: Vec<String>) -> Invoke {
    Arc::new(move |body: Vec<u8>| {
        let bin = bin.clone();
        let args = args.clone();
        Box::pin(async move {
            use tokio::io::AsyncWriteExt;
            let child = tokio::process::Command::new(&bin)
                .arg("run")
                .arg("--event")
                .arg("-")
                .args(&args)
                .stdin(std::process::Stdio::piped())
                .spawn();
            let Ok(mut child) = child else { return tracing::error!("cannot start {}", bin.display()) };
            if let Some(mut stdin) = child.stdin.take() {
                let _ = stdin.write_all(&body).await;
            }
            let _ = child.wait().await;
        })
    })
}

/// Sleeps through a delay for real.
pub fn sleep_delays() -> OnDelay {
    Arc::new(|s| Box::pin(async move { tokio::time::sleep(std::time::Duration::from_secs(s)).await }))
}

impl Platform {
    /// A platform with defaults around `emu` and `invoke`.
    pub fn new(emu: Arc<Emu>, invoke: Invoke) -> Self {
        let template: Value = serde_json::from_str(TEMPLATE).unwrap_or(Value::Null);
        let key = template.pointer("/0/payload/connection_data/key").and_then(Value::as_str).unwrap_or("").to_string();
        Platform {
            emu,
            invoke,
            on_delay: sleep_delays(),
            global_values: Map::new(),
            connection_key: key,
            max_invocations: 1000,
            on_reply: None,
            extraction_start_time: None,
            extraction_end_time: Some(json!({"type": "current_time"})),
            reset_extract_from: false,
            run_id: std::sync::Mutex::new(uuid::Uuid::new_v4().to_string()),
        }
    }

    /// Builds one event of `event_type`.
    pub fn event(&self, event_type: &str, mode: &str) -> (Value, String) {
        let text = TEMPLATE.replace(PLACEHOLDER, &self.emu.base);
        let mut v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let rid = uuid::Uuid::new_v4().to_string();
        let e = &mut v[0];
        e["payload"]["event_type"] = json!(event_type);
        e["execution_metadata"]["event_type"] = json!(event_type);
        e["execution_metadata"]["request_id"] = json!(rid);
        e["payload"]["connection_data"]["key"] = json!(self.connection_key);
        let ctx = &mut e["payload"]["event_context"];
        for k in ["request_id", "request_id_adaas", "uuid"] {
            ctx[k] = json!(rid);
        }
        ctx["mode"] = json!(mode);
        let run = self.current_run();
        for k in ["run_id", "sync_run", "sync_run_id"] {
            ctx[k] = json!(run);
        }
        if self.reset_extract_from {
            ctx["reset_extract_from"] = json!(true);
        }
        if event_type == "START_EXTRACTING_METADATA" {
            if let Some(end) = &self.extraction_end_time {
                ctx["extraction_end_time"] = end.clone();
            }
            if let Some(start) = &self.extraction_start_time {
                ctx["extraction_start_time"] = start.clone();
            }
        }
        e["input_data"]["global_values"] = Value::Object(self.global_values.clone());
        (v, rid)
    }

    fn current_run(&self) -> String {
        self.run_id.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Starts a new sync run: later events carry a fresh `run_id`.
    pub fn new_run(&self) {
        if let Ok(mut r) = self.run_id.lock() {
            *r = uuid::Uuid::new_v4().to_string();
        }
    }

    /// Sends one event and returns the reply the emulator received for it.
    pub async fn invoke_one(&self, event_type: &str, mode: &str) -> Option<Received> {
        let (ev, rid) = self.event(event_type, mode);
        {
            let mut st = self.emu.store.lock().expect("emulator lock");
            st.pending.insert(rid.clone(), event_type.into());
            st.runs.insert(rid.clone(), self.current_run());
        }
        (self.invoke)(serde_json::to_vec(&ev).unwrap_or_default()).await;
        let st = self.emu.store.lock().expect("emulator lock");
        let r = st
            .received
            .iter()
            .rev()
            .find(|r| r.body.pointer("/event_context/request_id").and_then(Value::as_str) == Some(rid.as_str()))
            .cloned();
        drop(st);
        if let (Some(r), Some(f)) = (&r, &self.on_reply) {
            f(r);
        }
        r
    }

    /// Runs a whole sync: sync units (initial only), metadata, data until DONE, attachments.
    pub async fn run_sync(&self, mode: &str) -> RunReport {
        self.new_run();
        let started = Instant::now();
        let mut rep = RunReport {
            mode: mode.into(),
            outcome: "ERROR".into(),
            invocations: 0,
            wall_ms: 0,
            replies: Vec::new(),
            error: None,
            delays: Vec::new(),
        };
        let mut steps: Vec<(&str, &str)> = Vec::new();
        if mode == "INITIAL" {
            steps.push(("START_EXTRACTING_EXTERNAL_SYNC_UNITS", "EXTERNAL_SYNC_UNIT_EXTRACTION_DONE"));
        }
        steps.push(("START_EXTRACTING_METADATA", "METADATA_EXTRACTION_DONE"));
        steps.push(("START_EXTRACTING_DATA", "DATA_EXTRACTION_DONE"));
        steps.push(("START_EXTRACTING_ATTACHMENTS", "ATTACHMENT_EXTRACTION_DONE"));
        for (first, done) in steps {
            let mut event = first.to_string();
            loop {
                if rep.invocations >= self.max_invocations {
                    rep.error = Some(format!("gave up after {} invocations", rep.invocations));
                    rep.wall_ms = started.elapsed().as_millis();
                    return rep;
                }
                rep.invocations += 1;
                let Some(reply) = self.invoke_one(&event, mode).await else {
                    rep.error = Some(format!("no reply to {event}"));
                    rep.wall_ms = started.elapsed().as_millis();
                    return rep;
                };
                rep.replies.push(reply.event_type.clone());
                let et = reply.event_type.as_str();
                if et == done {
                    break;
                }
                if et.ends_with("_PROGRESS") {
                    event = event.replace("START_", "CONTINUE_");
                } else if et.ends_with("_DELAYED") {
                    let d = reply.body.pointer("/event_data/delay").and_then(Value::as_u64).unwrap_or(0);
                    rep.delays.push(d);
                    (self.on_delay)(d).await;
                    event = event.replace("START_", "CONTINUE_");
                } else {
                    rep.error = reply
                        .body
                        .pointer("/event_data/error/message")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .or(Some(et.to_string()));
                    rep.wall_ms = started.elapsed().as_millis();
                    return rep;
                }
            }
        }
        rep.outcome = "DONE".into();
        rep.wall_ms = started.elapsed().as_millis();
        rep
    }

    /// The section `key` of the state stored for `sync_unit` (the worker's own part of it).
    pub fn state_section(&self, sync_unit: &str, key: &str) -> Value {
        let st = self.emu.store.lock().expect("emulator lock");
        st.states.get(sync_unit).and_then(|s| serde_json::from_str::<Value>(s).ok()).map(|v| v[key].clone()).unwrap_or(Value::Null)
    }
}
