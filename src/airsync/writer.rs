//! The artifact writer: one task that owns every open batch, uploads full batches, and makes
//! checkpoints durable only once the records sent before them are uploaded.
//!
//! After each upload the state is saved with the committed connector section and the list of
//! artifacts uploaded but not yet reported, so a crash or a kill loses no data: the next
//! invocation reports those artifacts and resumes from the committed checkpoints.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use std::sync::Arc;

use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;

use super::artifacts::{descriptor, Batch, DateRange};
use super::devrev::{DevRevClient, DevRevError};
use super::extractor::{SinkMsg, RECORDS_IN_FLIGHT};
use super::state::WorkerState;

/// Where the state lives, for mid-invocation saves.
#[derive(Clone)]
pub struct StateTarget {
    /// `worker_data_url`.
    pub worker_data_url: String,
    /// `sync_unit_id`.
    pub sync_unit: String,
    /// `request_id_adaas`.
    pub request_id: String,
}

/// Writer settings.
#[derive(Clone)]
pub struct WriterConfig {
    /// Records per artifact (2000 like the SDK).
    pub batch_size: usize,
    /// Stop asking for more data once the artifact list reaches this many bytes.
    pub artifact_list_soft_limit: usize,
    /// The request id for artifact calls (`event_context.request_id`).
    pub artifact_request_id: String,
    /// Whether to call confirm-upload (false only for external sync units).
    pub confirm: bool,
}

/// The outcome of a flushed writer.
pub struct WriterResult {
    /// Every artifact to report in this invocation's reply (carried-over ones first).
    pub artifacts: Vec<Value>,
    /// The state with the committed connector section.
    pub state: WorkerState,
    /// Item type of the last upload and its cumulative dates (for `worker_metadata`).
    pub last_upload: Option<(String, DateRange)>,
    /// The first upload or save failure, if any.
    pub error: Option<DevRevError>,
    /// True when the size guard asked the extractor to stop.
    pub size_limited: bool,
}

struct Pending {
    needs: Vec<(String, u64)>,
    key: String,
    value: Value,
}

struct Writer {
    client: DevRevClient,
    cfg: WriterConfig,
    state_target: Option<StateTarget>,
    state: WorkerState,
    connector_key: String,
    connector: serde_json::Map<String, Value>,
    batches: BTreeMap<String, Batch>,
    pushed: HashMap<String, u64>,
    uploaded: HashMap<String, u64>,
    /// Per (scope, item type): the item type's pushed count after that scope's last push.
    last_seq: HashMap<(Arc<str>, String), u64>,
    pending: Vec<Pending>,
    artifacts: Vec<Value>,
    artifact_bytes: usize,
    dates: HashMap<String, DateRange>,
    last_type: Option<String>,
    error: Option<DevRevError>,
    stop: CancellationToken,
    size_limited: bool,
    room: Arc<Semaphore>,
}

/// Spawns the writer; returns its sender and a handle that yields the result after the sender
/// (and all its clones) are dropped.
pub fn spawn(
    client: DevRevClient,
    cfg: WriterConfig,
    state: WorkerState,
    connector_key: &str,
    state_target: Option<StateTarget>,
    stop: CancellationToken,
) -> (mpsc::Sender<SinkMsg>, Arc<Semaphore>, AbortOnDropHandle<WriterResult>) {
    let (tx, rx) = mpsc::channel(64);
    let room = Arc::new(Semaphore::new(RECORDS_IN_FLIGHT));
    let connector = state.connector(connector_key).as_object().cloned().unwrap_or_default();
    let artifacts = state.unreported_artifacts();
    let artifact_bytes = artifacts.iter().map(|a| a.to_string().len() + 1).sum();
    let w = Writer {
        client,
        cfg,
        state_target,
        state,
        connector_key: connector_key.to_string(),
        connector,
        batches: BTreeMap::new(),
        pushed: HashMap::new(),
        uploaded: HashMap::new(),
        last_seq: HashMap::new(),
        pending: Vec::new(),
        artifacts,
        artifact_bytes,
        dates: HashMap::new(),
        last_type: None,
        error: None,
        stop,
        size_limited: false,
        room: room.clone(),
    };
    // The writer dies with its invocation: a dropped (killed) invocation uploads and saves
    // nothing more behind the back of the next one, as a killed process would not.
    (tx, room, AbortOnDropHandle::new(tokio::spawn(w.run(rx))))
}

impl Writer {
    async fn run(mut self, mut rx: mpsc::Receiver<SinkMsg>) -> WriterResult {
        let mut finished = false;
        while let Some(msg) = rx.recv().await {
            if matches!(msg, SinkMsg::Finish) {
                finished = true;
                break;
            }
            if self.error.is_some() {
                // Drain: nothing more is uploaded or committed after a failure, but the room
                // taken by the records is given back so no sender waits forever.
                if let SinkMsg::Records(_, _, records) = msg {
                    self.room.add_permits(records.len());
                }
                continue;
            }
            match msg {
                SinkMsg::Finish => {}
                SinkMsg::Records(scope, item_type, records) => {
                    let n = records.len();
                    self.push(&item_type, records).await;
                    let seq = self.pushed.get(&item_type).copied().unwrap_or(0);
                    self.last_seq.insert((scope, item_type), seq);
                    self.room.add_permits(n);
                }
                SinkMsg::Checkpoint(scope, key, value) => {
                    let needs = self
                        .last_seq
                        .iter()
                        .filter(|((s, t), seq)| *s == scope && self.uploaded.get(t).copied().unwrap_or(0) < **seq)
                        .map(|((_, t), seq)| (t.clone(), *seq))
                        .collect();
                    self.queue(Pending { needs, key, value });
                    self.commit_ready();
                }
                SinkMsg::Settle(reply) => {
                    self.upload_all().await;
                    let settled = (self.error.is_none() && self.pending.is_empty()).then(|| Value::Object(self.connector.clone()));
                    let _ = reply.send(settled);
                }
            }
        }
        // Whatever happens next, senders waiting for room must not wait forever.
        self.room.close();
        if !finished {
            tracing::warn!("the invocation was abandoned; buffered records are left for the next one");
            return self.finish();
        }
        if self.error.is_none() {
            self.upload_all().await;
        }
        self.finish()
    }

    /// Uploads every open batch and commits what that makes ready.
    async fn upload_all(&mut self) {
        let types: Vec<String> = self.batches.keys().cloned().collect();
        for t in types {
            if self.error.is_some() {
                break;
            }
            self.upload(&t).await;
        }
        self.commit_ready();
    }

    async fn push(&mut self, item_type: &str, records: Vec<Value>) {
        for r in records {
            let batch = self.batches.entry(item_type.to_string()).or_insert_with(|| Batch::new(item_type));
            if let Err(e) = batch.push(&r) {
                self.fail(DevRevError::BadBody { endpoint: "artifact encoding", detail: e.to_string() });
                return;
            }
            *self.pushed.entry(item_type.to_string()).or_default() += 1;
            if batch.count >= self.cfg.batch_size {
                self.upload(item_type).await;
                if self.error.is_some() {
                    return;
                }
            }
        }
    }

    fn fail(&mut self, e: DevRevError) {
        tracing::error!(error = %e, "artifact upload failed; stopping the extraction");
        self.error = Some(e);
        self.stop.cancel();
    }

    async fn upload(&mut self, item_type: &str) {
        let Some(batch) = self.batches.remove(item_type) else { return };
        if batch.count == 0 {
            return;
        }
        let file_name = batch.file_name();
        let (bytes, count, dates) = match batch.finish() {
            Ok(x) => x,
            Err(e) => return self.fail(DevRevError::BadBody { endpoint: "artifact encoding", detail: e.to_string() }),
        };
        let rid = self.cfg.artifact_request_id.clone();
        let result = async {
            let target = self.client.upload_url(&rid, &file_name, "application/x-gzip").await?;
            self.client.upload(&target, bytes).await?;
            if self.cfg.confirm {
                self.client.confirm(&rid, &target.artifact_id).await?;
            }
            Ok::<_, DevRevError>(target.artifact_id)
        }
        .await;
        let id = match result {
            Ok(id) => id,
            Err(e) => return self.fail(e),
        };
        tracing::info!(item_type, item_count = count, artifact_id = %id, "artifact uploaded");
        let with_dates = !matches!(item_type, "external_domain_metadata" | "external_sync_units");
        let desc = descriptor(&id, item_type, count, with_dates.then_some(&dates));
        self.artifact_bytes += desc.to_string().len() + 1;
        self.artifacts.push(desc);
        self.dates.entry(item_type.to_string()).or_default().merge(&dates);
        self.last_type = Some(item_type.to_string());
        *self.uploaded.entry(item_type.to_string()).or_default() += count as u64;
        self.commit_ready();
        if self.artifact_bytes >= self.cfg.artifact_list_soft_limit && !self.size_limited {
            tracing::info!(bytes = self.artifact_bytes, "artifact list is nearly full; ending this invocation");
            self.size_limited = true;
            self.stop.cancel();
        }
        if let Some(t) = self.state_target.clone() {
            let snapshot = self.snapshot();
            if let Err(e) = self.client.state_update(&t.worker_data_url, &t.sync_unit, &t.request_id, &snapshot.to_json()).await {
                self.fail(e);
            }
        }
    }

    /// Queues a checkpoint. A key keeps at most `MAX_PENDING_PER_KEY` waiting checkpoints:
    /// beyond that every other one is dropped (a later one still commits, so this only
    /// coarsens where a crash resumes, and memory stays bounded).
    fn queue(&mut self, p: Pending) {
        const MAX_PENDING_PER_KEY: usize = 64;
        let same = self.pending.iter().filter(|x| x.key == p.key).count();
        if same >= MAX_PENDING_PER_KEY {
            let mut nth = 0;
            let key = p.key.clone();
            self.pending.retain(|x| {
                if x.key != key {
                    return true;
                }
                nth += 1;
                nth % 2 == 0
            });
        }
        self.pending.push(p);
    }

    /// Applies, in order, every waiting checkpoint whose records are all uploaded. Needs grow
    /// monotonically per key, so a key's checkpoints become ready in order.
    fn commit_ready(&mut self) {
        let uploaded = &self.uploaded;
        let ready = |p: &Pending| p.needs.iter().all(|(t, n)| uploaded.get(t).copied().unwrap_or(0) >= *n);
        let (done, waiting): (Vec<Pending>, Vec<Pending>) = std::mem::take(&mut self.pending).into_iter().partition(|p| ready(p));
        self.pending = waiting;
        for p in done {
            self.connector.insert(p.key, p.value);
        }
    }

    fn snapshot(&self) -> WorkerState {
        let mut s = self.state.clone();
        s.set_connector(&self.connector_key, Value::Object(self.connector.clone()));
        s.set_unreported_artifacts(self.artifacts.clone());
        s
    }

    fn finish(self) -> WriterResult {
        let mut state = self.snapshot();
        state.set_unreported_artifacts(Vec::new());
        let last_upload = self.last_type.as_ref().map(|t| (t.clone(), self.dates.get(t).cloned().unwrap_or_default()));
        WriterResult { artifacts: self.artifacts, state, last_upload, error: self.error, size_limited: self.size_limited }
    }
}
