//! The emulator's HTTP endpoints, each checking the exact shape the SDK would send.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::BTreeMap;

use super::store::{Fault, Received, Store};
use crate::protocol::allowed_replies;

/// The most bytes of artifact descriptors one reply may carry.
pub const MAX_ARTIFACT_LIST_BYTES: usize = 160_000;

/// Shared emulator state.
pub struct Emu {
    /// The service token the worker must present.
    pub token: String,
    /// The base URL.
    pub base: String,
    /// Everything recorded.
    pub store: Mutex<Store>,
    /// Print each reply to stdout (the `devrev` command).
    pub echo: bool,
}

impl Emu {
    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        // A handler that panicked mid-update leaves a store that is still worth reading.
        self.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn check_auth(&self, headers: &HeaderMap, endpoint: &str, bearer: bool) {
        let got = headers.get("authorization").and_then(|h| h.to_str().ok()).unwrap_or("");
        let want = if bearer { format!("Bearer {}", self.token) } else { self.token.clone() };
        if got != want {
            let form = if bearer { "Bearer <token>" } else { "the raw token" };
            self.lock().violation(format!("{endpoint}: Authorization must be {form}"));
        }
    }

    /// The injected answer for `endpoint`, if a fault applies (after its stall).
    async fn fault(&self, endpoint: &str) -> Option<Response> {
        let f = self.lock().take_fault(endpoint)?;
        if let Some(ms) = f.stall_ms {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        if f.serves_normally() {
            return None;
        }
        let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = f.body.into_bytes();
        if let Some(n) = f.pad_to {
            let mut padded = vec![b' '; n.saturating_sub(body.len())];
            padded.append(&mut body);
            body = padded;
        }
        let len = body.len();
        let mut r = if f.truncate {
            // Declare the whole length, send half, then fail the stream: the connection drops.
            body.truncate(len / 2);
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                vec![Ok(body), Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "truncated by a fault"))];
            let mut r = (status, axum::body::Body::from_stream(futures::stream::iter(chunks))).into_response();
            r.headers_mut().insert(axum::http::header::CONTENT_LENGTH, axum::http::HeaderValue::from(len));
            r
        } else {
            (status, body).into_response()
        };
        if let Some(secs) = f.retry_after {
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
        }
        Some(r)
    }
}

type S = State<Arc<Emu>>;

/// DevRev's guidance for the state: "smaller than 1 MB, which maps to approximately 500,000
/// characters" (devrev/airdrop-shared, `docs/data-extraction.md`).
const MAX_STATE_CHARS: usize = 500_000;

/// ts-adaas 1.20's `ExtractionCommonError` (`src/common/errors.ts`): each value is the whole
/// error message, which the platform matches to stop periodic syncs.
const EXTRACTION_COMMON_ERRORS: &[&str] = &[
    "ERROR_CODE=EXTERNAL_SYNC_UNIT_DELETED",
    "ERROR_CODE=EXTERNAL_SYNC_UNIT_DEACTIVATED",
    "ERROR_CODE=USER_DELETED",
    "ERROR_CODE=EXTERNAL_SYSTEM_NO_ACCESS",
    "ERROR_CODE=EXTERNAL_SYSTEM_NO_PERMISSION",
    "ERROR_CODE=HISTORICAL_DATA_EXTRACTION_DONE",
];

async fn callback(State(emu): S, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = emu.fault("callback").await {
        return r;
    }
    emu.check_auth(&headers, "callback", false);
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        emu.lock().violation("callback body is not JSON".into());
        return StatusCode::BAD_REQUEST.into_response();
    };
    for h in ["x-devrev-client-platform", "x-devrev-client-id", "x-devrev-client-version"] {
        if headers.get(h).is_none() {
            emu.lock().violation(format!("callback lacks header {h}"));
        }
    }
    let et = v["event_type"].as_str().unwrap_or("").to_string();
    let rid = v.pointer("/event_context/request_id").and_then(Value::as_str).unwrap_or("").to_string();
    let mut st = emu.lock();
    let incoming = st.pending.get(&rid).cloned().unwrap_or_default();
    if !incoming.is_empty() {
        let allowed = allowed_replies(&incoming);
        if !allowed.contains(&et.as_str()) {
            st.violation(format!("reply {et} is not allowed for {incoming}"));
        }
    }
    let n = st.replies.entry(rid.clone()).or_default();
    *n += 1;
    if *n > 1 {
        st.violation(format!("a second reply ({et}) for request {rid}"));
    }
    if v.pointer("/worker_metadata/adaas_library_version").is_none() {
        st.violation(format!("{et}: worker_metadata.adaas_library_version missing"));
    }
    if et.ends_with("_ERROR") && v.pointer("/event_data/error/message").and_then(Value::as_str).is_none() {
        st.violation(format!("{et}: event_data.error.message missing"));
    }
    if let Some(msg) = v.pointer("/event_data/error/message").and_then(Value::as_str) {
        if msg.contains("ERROR_CODE=") && !EXTRACTION_COMMON_ERRORS.contains(&msg) {
            st.violation(format!(
                "{et}: error.message {:?} carries an ERROR_CODE but is not exactly one of ts-adaas's ExtractionCommonError strings",
                msg.chars().take(120).collect::<String>()
            ));
        }
    }
    if et.ends_with("_DELAYED") && !v.pointer("/event_data/delay").is_some_and(Value::is_u64) {
        st.violation(format!("{et}: event_data.delay must be a whole number of seconds"));
    }
    let adapter = et.contains("EXTRACTION") && !et.ends_with("_ERROR");
    match v.pointer("/event_data/artifacts") {
        Some(Value::Array(list)) => {
            let bytes: usize = list.iter().map(|a| a.to_string().len()).sum();
            if bytes > MAX_ARTIFACT_LIST_BYTES {
                st.violation(format!("{et}: artifact list is {bytes} bytes, over {MAX_ARTIFACT_LIST_BYTES}"));
            }
            for a in list {
                report_artifact(&mut st, &et, &rid, a);
            }
        }
        Some(_) => st.violation(format!("{et}: event_data.artifacts is not an array")),
        None if adapter => st.violation(format!("{et}: event_data.artifacts is missing")),
        None => {}
    }
    st.received.push(Received { incoming, event_type: et.clone(), body: v });
    drop(st);
    if emu.echo {
        println!("{}", String::from_utf8_lossy(&body));
    }
    Json(json!({})).into_response()
}

/// Checks one artifact a reply reports: issued, uploaded and confirmed, by this reply's phase
/// and run, described as its file is, reported once; its contents are judged now (a file never
/// reported is the worker's own).
fn report_artifact(st: &mut crate::store::Store, et: &str, rid: &str, a: &Value) {
    let id = a["id"].as_str().unwrap_or("");
    let Some(info) = st.artifacts.get(id).cloned() else {
        return st.violation(format!("{et}: reported artifact {id} was never issued"));
    };
    if !info.uploaded || (!info.confirmed && info.item_type != "external_sync_units") {
        st.violation(format!("{et}: artifact {id} reported but not uploaded and confirmed"));
    }
    if let (Some((phase, run)), Some((reply_phase, reply_run))) = (&info.origin, &st.origin(rid)) {
        if phase != reply_phase || run != reply_run {
            st.violation(format!(
                "{et}: artifact {id} was uploaded by the {phase} phase of run {run}, not by this reply's ({reply_phase}, run {reply_run})"
            ));
        }
    }
    let (item_type, lines) = (&info.item_type, info.lines);
    if a["item_type"].as_str() != Some(item_type.as_str()) || a["item_count"].as_u64() != Some(lines as u64) {
        st.violation(format!("{et}: artifact {id} descriptor does not match the file ({item_type}, {lines} lines)"));
    }
    let Some(i) = st.artifacts.get_mut(id) else { return };
    i.reported += 1;
    if i.reported > 1 {
        return st.violation(format!("{et}: artifact {id} reported twice"));
    }
    for p in std::mem::take(&mut i.problems) {
        st.violation(p);
    }
}

async fn state_get(State(emu): S, headers: HeaderMap, Query(q): Query<BTreeMap<String, String>>) -> Response {
    if let Some(r) = emu.fault("state.get").await {
        return r;
    }
    emu.check_auth(&headers, "state get", false);
    let unit = q.get("sync_unit").cloned().unwrap_or_default();
    if unit.is_empty() || !q.contains_key("request_id") {
        emu.lock().violation("state get: sync_unit and request_id are required".into());
    }
    let mut st = emu.lock();
    if let Some(rid) = q.get("request_id") {
        if st.origin(rid).is_some_and(|(phase, _)| phase == "delete" || phase == "external_sync_units") {
            let incoming = st.pending.get(rid).cloned().unwrap_or_default();
            st.violation(format!("state get on a stateless event ({incoming})"));
        }
    }
    // As DevRev: the user's choice of item types travels with the state, as a JSON text.
    let objects = st.objects.as_ref().map(|o| o.to_string());
    match st.states.get(&unit) {
        Some(s) => {
            let mut body = json!({"state": s});
            if let Some(o) = objects {
                body["objects"] = json!(o);
            }
            Json(body).into_response()
        }
        None => (StatusCode::NOT_FOUND, Json(json!({"message": "no state"}))).into_response(),
    }
}

async fn state_update(State(emu): S, headers: HeaderMap, Query(q): Query<BTreeMap<String, String>>, body: Bytes) -> Response {
    if let Some(r) = emu.fault("state.update").await {
        return r;
    }
    emu.check_auth(&headers, "state update", false);
    let unit = q.get("sync_unit").cloned().unwrap_or_default();
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut st = emu.lock();
    if let Some(rid) = q.get("request_id") {
        if st.origin(rid).is_some_and(|(phase, _)| phase == "delete" || phase == "external_sync_units") {
            let incoming = st.pending.get(rid).cloned().unwrap_or_default();
            st.violation(format!("state written on a stateless event ({incoming})"));
        }
    }
    let Some(text) = v.get("state").and_then(Value::as_str) else {
        st.violation("state update: body must be {\"state\": \"<JSON string>\"}".into());
        return StatusCode::BAD_REQUEST.into_response();
    };
    if serde_json::from_str::<Value>(text).map(|s| !s.is_object()).unwrap_or(true) {
        st.violation("state update: the state string is not a JSON object".into());
    }
    let chars = text.encode_utf16().count();
    if chars > MAX_STATE_CHARS {
        st.violation(format!("state update: {chars} characters, over DevRev's guidance of {MAX_STATE_CHARS} (a state under 1 MB)"));
    }
    st.state_updates += 1;
    st.max_state_bytes = st.max_state_bytes.max(text.len());
    st.states.insert(unit, text.to_string());
    Json(json!({})).into_response()
}

async fn upload_url(State(emu): S, headers: HeaderMap, Query(q): Query<BTreeMap<String, String>>) -> Response {
    if let Some(r) = emu.fault("upload-url").await {
        return r;
    }
    emu.check_auth(&headers, "upload-url", true);
    let (Some(name), Some(ft)) = (q.get("file_name"), q.get("file_type")) else {
        emu.lock().violation("upload-url: file_name and file_type are required".into());
        return StatusCode::BAD_REQUEST.into_response();
    };
    if !q.contains_key("request_id") {
        emu.lock().violation("upload-url: request_id is required".into());
    }
    if ft != "application/x-gzip" {
        emu.lock().violation(format!("upload-url: file_type {ft} is not application/x-gzip"));
    }
    let form = vec![("key".to_string(), format!("uploads/{name}")), ("policy".to_string(), "emu-policy".to_string())];
    let rid = q.get("request_id").cloned().unwrap_or_default();
    let id = emu.lock().new_artifact(name, form.clone(), &rid);
    let seq = id.rsplit('/').next().unwrap_or("0").to_string();
    let form_map: serde_json::Map<String, Value> = form.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    Json(json!({"upload_url": format!("{}/upload/{seq}", emu.base), "artifact_id": id, "form_data": form_map})).into_response()
}

async fn upload(State(emu): S, Path(seq): Path<String>, headers: HeaderMap, mut mp: Multipart) -> Response {
    if let Some(r) = emu.fault("upload").await {
        return r;
    }
    if headers.get("authorization").is_some() {
        emu.lock().violation("upload: the pre-signed URL must get no Authorization header".into());
    }
    let id = format!("don:core:dvrv-us-1:devo/emu:artifact/{seq}");
    let mut fields = Vec::new();
    let mut file: Option<Vec<u8>> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(f)) => {
                let name = f.name().unwrap_or("").to_string();
                let data = f.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
                if file.is_some() {
                    emu.lock().violation("upload: the file part must be the last part".into());
                }
                if name == "file" {
                    file = Some(data);
                } else {
                    fields.push((name, String::from_utf8_lossy(&data).to_string()));
                }
            }
            Ok(None) => break,
            Err(e) => {
                emu.lock().violation(format!("upload: bad multipart body ({e})"));
                return StatusCode::BAD_REQUEST.into_response();
            }
        }
    }
    let mut st = emu.lock();
    let expected = st.artifacts.get(&id).map(|a| a.form.clone()).unwrap_or_default();
    if fields != expected {
        st.violation(format!("upload: form fields {fields:?} differ from those issued {expected:?}"));
    }
    match file {
        Some(bytes) => st.store_file(&id, &bytes),
        None => st.violation("upload: no `file` part".into()),
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn confirm(State(emu): S, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = emu.fault("confirm").await {
        return r;
    }
    emu.check_auth(&headers, "confirm-upload", true);
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = v["artifact_id"].as_str().unwrap_or("").to_string();
    let mut st = emu.lock();
    if v["request_id"].as_str().is_none() {
        st.violation("confirm-upload: request_id missing".into());
    }
    match st.artifacts.get_mut(&id) {
        Some(a) if a.uploaded => a.confirmed = true,
        _ => st.violation(format!("confirm-upload: artifact {id} was not uploaded")),
    }
    Json(json!({})).into_response()
}

/// `GET /internal/airdrop.artifacts.download-url?request_id=&artifact_id=`: where to fetch an
/// uploaded artifact (as ts-adaas's `Uploader.getArtifactDownloadUrl` asks), reported or not.
async fn download_url(State(emu): S, headers: HeaderMap, Query(q): Query<BTreeMap<String, String>>) -> Response {
    if let Some(r) = emu.fault("download-url").await {
        return r;
    }
    emu.check_auth(&headers, "download-url", true);
    let (Some(_), Some(id)) = (q.get("request_id"), q.get("artifact_id")) else {
        emu.lock().violation("download-url: request_id and artifact_id are required".into());
        return StatusCode::BAD_REQUEST.into_response();
    };
    if emu.lock().original(id).is_none() {
        return (StatusCode::NOT_FOUND, Json(json!({"message": format!("artifact {id} not found")}))).into_response();
    }
    let seq = id.rsplit('/').next().unwrap_or("0");
    Json(json!({"download_url": format!("{}/download/{seq}", emu.base)})).into_response()
}

/// `GET /download/{seq}`: the pre-signed download (no Authorization header).
async fn download(State(emu): S, Path(seq): Path<String>, headers: HeaderMap) -> Response {
    if let Some(r) = emu.fault("download").await {
        return r;
    }
    if headers.get("authorization").is_some() {
        emu.lock().violation("download: the pre-signed URL must get no Authorization header".into());
    }
    let id = format!("don:core:dvrv-us-1:devo/emu:artifact/{seq}");
    match emu.lock().original(&id) {
        Some(bytes) => bytes.into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn snap_in(State(emu): S, headers: HeaderMap) -> Response {
    if let Some(r) = emu.fault("snap-in").await {
        return r;
    }
    emu.check_auth(&headers, "snap-ins.get", false);
    Json(json!({"snap_in": {"imports": [{"name": "airdrop-okta-snap-in"}], "snap_in_version": {"slug": "airdrop-okta-snap-in"}}}))
        .into_response()
}

async fn idm(State(emu): S, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = emu.fault("idm").await {
        return r;
    }
    emu.check_auth(&headers, "initial-domain-mappings.install", false);
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut st = emu.lock();
    if v["external_system_type"] != "ADaaS" || v["import_slug"].as_str().is_none() || v["record_type_mappings"].as_object().is_none() {
        st.violation("initial-domain-mappings.install: body lacks external_system_type, import_slug or record_type_mappings".into());
    }
    // The mapping itself must pass DevRev's schema rules, as the platform would refuse it.
    let mut mapping = serde_json::Map::new();
    for key in ["record_type_mappings", "record_type_category_mappings"] {
        if let Some(m) = v.get(key) {
            mapping.insert(key.into(), m.clone());
        }
    }
    for e in crate::rules::idm::check(&json!({ "additional_mappings": mapping })) {
        st.violation(format!("initial-domain-mappings.install: {e}"));
    }
    st.idm_installs += 1;
    Json(json!({})).into_response()
}

async fn state(State(emu): S, Query(q): Query<BTreeMap<String, String>>) -> Response {
    let unit = q.get("sync_unit").cloned().unwrap_or_default();
    match emu.lock().states.get(&unit) {
        Some(s) => Json(serde_json::from_str::<Value>(s).unwrap_or(Value::Null)).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn add_fault(State(emu): S, Json(f): Json<Fault>) -> Response {
    emu.lock().faults.push(f);
    Json(json!({"ok": true})).into_response()
}

async fn events(State(emu): S) -> Response {
    let st = emu.lock();
    Json(json!({"received": st.received, "violations": st.violations, "artifacts": st.artifact_counts()})).into_response()
}

/// The emulator's router.
pub fn router(emu: Arc<Emu>) -> Router {
    Router::new()
        .route("/callback", post(callback))
        .route("/worker_data.get", get(state_get))
        .route("/worker_data.update", post(state_update))
        .route("/internal/airdrop.artifacts.upload-url", get(upload_url))
        .route("/upload/{seq}", post(upload))
        .route("/internal/airdrop.artifacts.confirm-upload", post(confirm))
        .route("/internal/airdrop.artifacts.download-url", get(download_url))
        .route("/download/{seq}", get(download))
        .route("/internal/snap-ins.get", get(snap_in))
        .route("/internal/airdrop.recipe.initial-domain-mappings.install", post(idm))
        .route("/__emu/faults", post(add_fault))
        .route("/__emu/events", get(events))
        .route("/__emu/state", get(state))
        .layer(axum::extract::DefaultBodyLimit::max(512 * 1024 * 1024))
        .with_state(emu)
}

/// A running emulator.
pub struct EmuHandle {
    /// Its base URL.
    pub base_url: String,
    /// Its state.
    pub emu: Arc<Emu>,
    /// The server task.
    pub task: tokio::task::JoinHandle<()>,
}

/// Serves the emulator on `listener`, keeping artifacts under `out`.
pub async fn serve(listener: tokio::net::TcpListener, out: PathBuf, token: &str, echo: bool) -> std::io::Result<EmuHandle> {
    let addr = listener.local_addr()?;
    std::fs::create_dir_all(&out)?;
    let base = format!("http://{addr}");
    let emu = Arc::new(Emu { token: token.into(), base: base.clone(), store: Mutex::new(Store { out, ..Default::default() }), echo });
    let app = router(emu.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "devrev emulator stopped");
        }
    });
    Ok(EmuHandle { base_url: base, emu, task })
}
