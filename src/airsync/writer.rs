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
use super::extractor::{Scope, SinkMsg, RECORDS_IN_FLIGHT};
use super::index::{Entry, IndexState, Reader};
use super::state::WorkerState;
use crate::crash;

mod journal;
mod spill;

/// What the index keeps of one record sent (`None`: nothing, the type is not indexed).
pub type IndexFn = Arc<dyn Fn(&str, &Value) -> Option<Entry> + Send + Sync>;

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
    /// The index: what it keeps of each record, and how its parts are read back (`None`: this
    /// phase sends nothing worth remembering).
    pub index: Option<(IndexFn, Arc<Reader>)>,
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
}

/// A checkpoint waiting for the uploads that cover it.
struct Pending {
    /// Per item type, the pushed count that must be uploaded first.
    needs: Vec<(String, u64)>,
    key: String,
    value: Value,
    /// A run transition ([`Scope::Run`]): it waits for every checkpoint before it, and every
    /// checkpoint after it waits for it.
    barrier: bool,
    /// Records pushed in all (every type, every scope) when it was queued.
    queued_at: u64,
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
    /// Records pushed in all, every type.
    pushed_total: u64,
    uploaded: HashMap<String, u64>,
    /// Per (job, item type): the item type's pushed count after that job's last push.
    last_seq: HashMap<(Arc<str>, String), u64>,
    pending: Vec<Pending>,
    artifacts: Vec<Value>,
    /// Ids of listed artifacts whose `confirm-upload` has not answered yet.
    unconfirmed: Vec<String>,
    artifact_bytes: usize,
    dates: HashMap<String, DateRange>,
    last_type: Option<String>,
    error: Option<DevRevError>,
    stop: CancellationToken,
    size_limited: bool,
    room: Arc<Semaphore>,
    /// The index as committed with the artifacts listed (see [`super::index`]).
    index: IndexState,
    /// Per item type, the index lines of the records in its open batch.
    journal_open: HashMap<String, Vec<Entry>>,
    /// When each record still tombstoned in DevRev was tombstoned (type, id).
    gone_at: HashMap<(String, String), String>,
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
    let unconfirmed = state.unconfirmed_artifacts();
    let artifact_bytes = artifacts.iter().map(|a| a.to_string().len() + 1).sum();
    let index = IndexState::from_state(&state);
    let w = Writer {
        client,
        cfg,
        state_target,
        state,
        connector_key: connector_key.to_string(),
        connector,
        batches: BTreeMap::new(),
        pushed: HashMap::new(),
        pushed_total: 0,
        uploaded: HashMap::new(),
        last_seq: HashMap::new(),
        pending: Vec::new(),
        artifacts,
        unconfirmed,
        artifact_bytes,
        dates: HashMap::new(),
        last_type: None,
        error: None,
        stop,
        size_limited: false,
        room: room.clone(),
        index,
        journal_open: HashMap::new(),
        gone_at: HashMap::new(),
    };
    // The writer dies with its invocation: a dropped (killed) invocation uploads and saves
    // nothing more behind the back of the next one, as a killed process would not.
    (tx, room, AbortOnDropHandle::new(tokio::spawn(w.run(rx))))
}

impl Writer {
    async fn run(mut self, mut rx: mpsc::Receiver<SinkMsg>) -> WriterResult {
        self.confirm_carried().await;
        self.load_gone().await;
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
                    if let Scope::Job(job) = scope {
                        let seq = self.pushed.get(&item_type).copied().unwrap_or(0);
                        self.last_seq.insert((job, item_type), seq);
                    }
                    self.room.add_permits(n);
                    self.upload_overdue().await;
                }
                SinkMsg::Checkpoint(scope, key, value) => {
                    let value = self.spill_large(&key, value).await;
                    let needs = self.needs(&scope);
                    let barrier = scope == Scope::Run;
                    self.queue(Pending { needs, key, value, barrier, queued_at: self.pushed_total });
                    self.commit_ready();
                }
                SinkMsg::Settle(reply) => {
                    self.upload_all().await;
                    let settled = (self.error.is_none() && self.pending.is_empty()).then(|| Value::Object(self.connector.clone()));
                    let _ = reply.send(settled);
                }
                SinkMsg::Index(reply) => {
                    self.upload_all().await;
                    let _ = reply.send(self.error.is_none().then(|| self.index.clone()));
                }
                SinkMsg::Compact(checkpoints, reply) => {
                    let done = self.compact(checkpoints).await;
                    let _ = reply.send(done);
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

    /// Confirms again the carried-over artifacts an earlier invocation listed but may not have
    /// confirmed (it ended between the state save and `confirm-upload`). A repeated confirmation
    /// is harmless: ts-adaas itself sends it again after a timeout.
    async fn confirm_carried(&mut self) {
        if !self.cfg.confirm {
            return;
        }
        for id in self.unconfirmed.clone() {
            match self.client.confirm(&self.cfg.artifact_request_id, &id).await {
                Ok(()) => self.unconfirmed.retain(|x| *x != id),
                Err(e) => return self.fail(e),
            }
        }
    }

    /// What a checkpoint of `scope` waits for: per item type, the count pushed so far, for the
    /// types not yet uploaded that far (a job's own types; every type for the run).
    fn needs(&self, scope: &Scope) -> Vec<(String, u64)> {
        let uploaded = |t: &str| self.uploaded.get(t).copied().unwrap_or(0);
        match scope {
            Scope::Run => self.pushed.iter().filter(|(t, n)| uploaded(t) < **n).map(|(t, n)| (t.clone(), *n)).collect(),
            Scope::Job(job) => self
                .last_seq
                .iter()
                .filter(|((s, t), seq)| s == job && uploaded(t) < **seq)
                .map(|((_, t), seq)| (t.clone(), *seq))
                .collect(),
        }
    }

    /// Uploads every open batch and commits what that makes ready.
    async fn upload_all(&mut self) {
        crash::point("writer.flush.before");
        let types: Vec<String> = self.batches.keys().cloned().collect();
        for t in types {
            if self.error.is_some() {
                break;
            }
            self.upload(&t).await;
            crash::point("writer.flush.uploaded");
        }
        self.commit_ready();
        crash::point("writer.flush.after");
    }

    /// Uploads, small as they may be, the partial batches that a checkpoint has waited behind
    /// for more than a batch's worth of records: positions keep up with what was uploaded, so a
    /// crash re-sends at most about a batch per item type, not the run so far.
    async fn upload_overdue(&mut self) {
        let limit = self.cfg.batch_size as u64;
        let uploaded = |t: &str| self.uploaded.get(t).copied().unwrap_or(0);
        let mut overdue: Vec<String> = Vec::new();
        for p in self.pending.iter().filter(|p| self.pushed_total - p.queued_at > limit) {
            for (t, n) in &p.needs {
                if uploaded(t) < *n && self.batches.contains_key(t) && !overdue.contains(t) {
                    overdue.push(t.clone());
                }
            }
        }
        for t in overdue {
            if self.error.is_some() {
                return;
            }
            tracing::debug!(item_type = %t, "a checkpoint waited behind this partial batch; uploading it early");
            self.upload(&t).await;
        }
    }

    async fn push(&mut self, item_type: &str, records: Vec<Value>) {
        for r in records {
            let (r, moved) = if self.cfg.index.is_some() { self.after_tombstone(item_type, r) } else { (r, false) };
            if let Some(mut entry) = self.cfg.index.as_ref().and_then(|(f, _)| f(item_type, &r)) {
                entry.floor = moved;
                self.journal_open.entry(item_type.to_string()).or_default().push(entry);
            }
            let batch = self.batches.entry(item_type.to_string()).or_insert_with(|| Batch::new(item_type));
            if let Err(e) = batch.push(&r) {
                self.fail(DevRevError::BadBody { endpoint: "artifact encoding", detail: e.to_string() });
                return;
            }
            *self.pushed.entry(item_type.to_string()).or_default() += 1;
            self.pushed_total += 1;
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
            crash::point("writer.upload.before");
            let target = self.client.upload_url(&rid, &file_name, "application/x-gzip").await?;
            self.client.upload(&target, bytes).await?;
            crash::point("writer.upload.after");
            Ok::<_, DevRevError>(target.artifact_id)
        }
        .await;
        let id = match result {
            Ok(id) => id,
            Err(e) => return self.fail(e),
        };
        // The index learns what this artifact holds in the state write that lists it.
        let lines = self.journal_open.remove(item_type).unwrap_or_default();
        if let Err(e) = self.journal(lines).await {
            return self.fail(e);
        }
        tracing::info!(item_type, item_count = count, artifact_id = %id, "artifact uploaded");
        let with_dates = !matches!(item_type, "external_domain_metadata" | "external_sync_units");
        let desc = descriptor(&id, item_type, count, with_dates.then_some(&dates));
        self.artifact_bytes += desc.to_string().len() + 1;
        self.artifacts.push(desc);
        if self.cfg.confirm {
            self.unconfirmed.push(id.clone());
        }
        self.dates.entry(item_type.to_string()).or_default().merge(&dates);
        self.last_type = Some(item_type.to_string());
        *self.uploaded.entry(item_type.to_string()).or_default() += count as u64;
        self.commit_ready();
        if self.artifact_bytes >= self.cfg.artifact_list_soft_limit && !self.size_limited {
            tracing::info!(bytes = self.artifact_bytes, "artifact list is nearly full; ending this invocation");
            self.size_limited = true;
            self.stop.cancel();
        }
        // The state lists the artifact (and commits the checkpoints it covers) before it is
        // confirmed: a crash in between leaves it to the next invocation to confirm and report.
        if let Some(t) = self.state_target.clone() {
            let snapshot = self.snapshot();
            if let Err(e) = self.client.state_update(&t.worker_data_url, &t.sync_unit, &t.request_id, &snapshot.to_json()).await {
                return self.fail(e);
            }
            crash::point("writer.state_save.after");
        }
        if self.cfg.confirm {
            if let Err(e) = self.client.confirm(&rid, &id).await {
                return self.fail(e);
            }
            self.unconfirmed.retain(|x| *x != id);
            crash::point("writer.confirm.after");
        }
    }

    /// Queues a checkpoint. A key keeps at most `MAX_PENDING_PER_KEY` waiting checkpoints:
    /// beyond that every other one is dropped (a later one still commits, so this only
    /// coarsens where a crash resumes, and memory stays bounded).
    fn queue(&mut self, p: Pending) {
        const MAX_PENDING_PER_KEY: usize = 64;
        let same = self.pending.iter().filter(|x| x.key == p.key && !x.barrier).count();
        if !p.barrier && same >= MAX_PENDING_PER_KEY {
            let mut nth = 0;
            let key = p.key.clone();
            self.pending.retain(|x| {
                if x.key != key || x.barrier {
                    return true;
                }
                nth += 1;
                nth % 2 == 0
            });
        }
        self.pending.push(p);
    }

    /// Applies, in order, every waiting checkpoint whose records are all uploaded. Needs grow
    /// monotonically per scope, so a scope's checkpoints become ready in order; a run
    /// transition (a barrier) commits only after every checkpoint before it, and holds back
    /// every checkpoint after it. The state saved next lists every artifact these cover.
    fn commit_ready(&mut self) {
        let uploaded = &self.uploaded;
        let covered = |p: &Pending| p.needs.iter().all(|(t, n)| uploaded.get(t).copied().unwrap_or(0) >= *n);
        let mut waiting = Vec::new();
        let mut behind_barrier = false;
        for p in std::mem::take(&mut self.pending) {
            let first_waiting = waiting.is_empty() || !p.barrier;
            let ready = !behind_barrier && first_waiting && covered(&p);
            if ready {
                self.connector.insert(p.key, p.value);
            } else {
                behind_barrier |= p.barrier;
                waiting.push(p);
            }
        }
        self.pending = waiting;
    }

    fn snapshot(&self) -> WorkerState {
        let mut s = self.state.clone();
        s.set_connector(&self.connector_key, Value::Object(self.connector.clone()));
        s.set_unreported_artifacts(self.artifacts.clone());
        s.set_unconfirmed_artifacts(&self.unconfirmed);
        let index = if self.index.is_empty() { Value::Null } else { serde_json::to_value(&self.index).unwrap_or(Value::Null) };
        s.set(super::index::STATE_KEY, index);
        s
    }

    /// The reply reports every confirmed artifact; one whose confirmation failed stays in the
    /// state, unreported and unconfirmed, for the next invocation of this phase and run.
    fn finish(self) -> WriterResult {
        let mut state = self.snapshot();
        let is_unconfirmed = |a: &Value| a.get("id").and_then(Value::as_str).is_some_and(|id| self.unconfirmed.iter().any(|u| u == id));
        let (kept, artifacts): (Vec<Value>, Vec<Value>) = self.artifacts.iter().cloned().partition(is_unconfirmed);
        state.set_unreported_artifacts(kept);
        let last_upload = self.last_type.as_ref().map(|t| (t.clone(), self.dates.get(t).cloned().unwrap_or_default()));
        WriterResult { artifacts, state, last_upload, error: self.error }
    }
}
