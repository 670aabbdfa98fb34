//! The DevRev side of the wire: callback, state, artifact upload and initial domain mapping.
//!
//! Every call is retried on 5xx, transport errors and timeouts, with exponential backoff
//! (ts-adaas `src/state/state.ts`). Authorization as ts-adaas's uploader sends it: `Bearer` for the three artifact
//! endpoints, the raw token everywhere else, nothing on the pre-signed upload URL.

use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::{Method, RequestBuilder};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use url::Url;

mod download;

/// The SDK version whose wire behaviour this worker reproduces.
pub const SDK_VERSION: &str = "1.20.0";

/// The largest state document this worker reads (bytes of its JSON text). It saves at most
/// [`super::state_size::MAX_STATE_CHARS`] characters (DevRev's guidance), which is always less,
/// so the worker never saves a state it would refuse to read back; a larger stored state (from
/// an older version) is still read.
pub const MAX_STATE_BYTES: usize = 4 * 1024 * 1024;

/// The largest body this worker reads from any other DevRev answer (upload-url, snap-ins.get,
/// callback, confirm): they are a few hundred bytes.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The state-get answer carries the state as a JSON string (escaping can double it) plus the
/// extraction scope.
const MAX_STATE_RESPONSE_BYTES: usize = 2 * MAX_STATE_BYTES + MAX_RESPONSE_BYTES;

/// The longest single wait between two attempts (a `Retry-After` beyond it is not waited out:
/// the platform's hard limit for an invocation is shorter).
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(15 * 60);

/// How much of an error answer's body is read (its first 300 characters go into the message).
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// A failed DevRev call. The message names the endpoint and never the token.
#[derive(Debug, thiserror::Error)]
pub enum DevRevError {
    /// DevRev answered with a status that is not success.
    #[error("DevRev {endpoint} answered HTTP {status}: {body}")]
    Status {
        /// Which call.
        endpoint: &'static str,
        /// The status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The request did not complete.
    #[error("DevRev {endpoint} could not be reached: {detail}")]
    Transport {
        /// Which call.
        endpoint: &'static str,
        /// What went wrong (URL stripped).
        detail: String,
    },
    /// DevRev answered 2xx with a body this worker cannot use.
    #[error("DevRev {endpoint} answered with an unusable body: {detail}")]
    BadBody {
        /// Which call.
        endpoint: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The state to save is over DevRev's guidance ([`super::state_size::MAX_STATE_CHARS`]).
    #[error("the worker state to save is {chars} characters, over DevRev's guidance of {limit} (a state under 1 MB); it was not saved. Largest keys: {largest}")]
    StateTooLarge {
        /// Its length.
        chars: usize,
        /// The limit.
        limit: usize,
        /// The largest keys with their sizes.
        largest: String,
    },
    /// A body (read or to be sent) is over this worker's limit; nothing past the limit is read.
    #[error("DevRev {endpoint}: {what} is over the {limit}-byte limit")]
    TooLarge {
        /// Which call.
        endpoint: &'static str,
        /// Which body.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
}

/// Why reading a body stopped.
enum ReadError {
    /// More than the cap.
    TooLarge,
    /// The connection broke or timed out mid-body (retried like a transport error).
    Transport(reqwest::Error),
    /// The body could not be written where it goes (a download to disk).
    Disk(std::io::Error),
}

/// Reads a whole body, refusing (and no longer reading) past `cap` bytes.
async fn read_capped(mut r: reqwest::Response, cap: usize) -> Result<Vec<u8>, ReadError> {
    if r.content_length().is_some_and(|n| n > cap as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut buf = Vec::new();
    while let Some(c) = r.chunk().await.map_err(ReadError::Transport)? {
        if buf.len() + c.len() > cap {
            return Err(ReadError::TooLarge);
        }
        buf.extend_from_slice(&c);
    }
    Ok(buf)
}

/// What one attempt gave.
enum Attempt {
    Status(reqwest::Response),
    Transport(reqwest::Error),
}

/// How DevRev calls are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first backoff; doubled on every retry.
    pub base_delay: Duration,
    /// Per-attempt timeout (None disables it, for paused-clock tests).
    pub timeout: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_retries: 5, base_delay: Duration::from_secs(2), timeout: Some(Duration::from_secs(30)) }
    }
}

/// Where an artifact goes, as `upload-url` answered.
#[derive(Debug, Clone)]
pub struct UploadTarget {
    /// The pre-signed URL.
    pub upload_url: String,
    /// The artifact id to report.
    pub artifact_id: String,
    /// Form fields to send before the file, in order.
    pub form_data: Vec<(String, String)>,
}

/// What `worker_data_url.get` answered: the state text and, when the platform sends one, the
/// user's choice of item types (`objects`, a JSON text as well).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredState {
    /// The state document (a JSON text).
    pub state: String,
    /// The extraction scope (a JSON text), if any.
    pub objects: Option<String>,
}

/// One handle on the DevRev endpoints of one invocation (cheap to clone).
#[derive(Clone)]
pub struct DevRevClient {
    http: reqwest::Client,
    token: SecretString,
    endpoint: Option<Url>,
    retry: RetryPolicy,
    give_up_at: Option<tokio::time::Instant>,
    /// `event_context.snap_in_slug`.
    pub client_platform: String,
    /// `event_context.snap_in_version_id`.
    pub client_id: String,
}

// encodeURIComponent keeps A-Z a-z 0-9 - _ . ! ~ * ' ( ); axios then restores : $ , and turns
// %20 into +.
const AXIOS_QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b':')
    .remove(b'$')
    .remove(b',');

/// A text field of a DevRev answer, or an error naming it.
fn text_field(body: &Value, endpoint: &'static str, key: &str) -> Result<String, DevRevError> {
    body.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| DevRevError::BadBody { endpoint, detail: format!("missing `{key}`") })
}

/// Encodes query pairs the way axios does (ts-adaas sends its queries through axios).
pub fn axios_query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!("{}={}", utf8_percent_encode(k, AXIOS_QUERY), utf8_percent_encode(v, AXIOS_QUERY).to_string().replace("%20", "+"))
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl DevRevClient {
    /// Builds a client for one invocation.
    pub fn new(
        token: SecretString,
        endpoint: Option<Url>,
        retry: RetryPolicy,
        client_platform: String,
        client_id: String,
    ) -> Result<Self, DevRevError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(None)
            .user_agent(concat!("okta-airsync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DevRevError::Transport { endpoint: "client", detail: e.without_url().to_string() })?;
        Ok(DevRevClient { http, token, endpoint, retry, give_up_at: None, client_platform, client_id })
    }

    /// The same client, never waiting out a DevRev 429 past `at` (the invocation's last moment).
    pub fn with_give_up_at(mut self, at: tokio::time::Instant) -> Self {
        self.give_up_at = Some(at);
        self
    }

    /// How long a 429 asks to wait, when it says so in whole seconds (as the SDK reads
    /// `Retry-After`; an HTTP date is not retried, as in the SDK).
    fn retry_after(r: &reqwest::Response) -> Option<Duration> {
        let secs = r.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok()?;
        Some(Duration::from_secs(secs))
    }

    fn endpoint_url(&self, name: &'static str, path: &str, query: &str) -> Result<String, DevRevError> {
        let base = self
            .endpoint
            .as_ref()
            .ok_or(DevRevError::BadBody { endpoint: name, detail: "the event has no execution_metadata.devrev_endpoint".into() })?;
        let mut s = base.as_str().trim_end_matches('/').to_string();
        s.push_str(path);
        if !query.is_empty() {
            s.push('?');
            s.push_str(query);
        }
        Ok(s)
    }

    /// Sends with retries and reads the whole answer (at most `cap` bytes) inside each attempt,
    /// so a body cut short is retried like a dropped connection, as axios does.
    async fn send(&self, endpoint: &'static str, cap: usize, build: impl Fn() -> RequestBuilder) -> Result<Vec<u8>, DevRevError> {
        self.send_reading(endpoint, cap, build, |r| read_capped(r, cap)).await
    }

    /// [`Self::send`], with the successful answer's body taken by `read` (a download written to
    /// disk as it arrives); a body cut short is retried as a transport error.
    async fn send_reading<T, Fut: std::future::Future<Output = Result<T, ReadError>>>(
        &self,
        endpoint: &'static str,
        cap: usize,
        build: impl Fn() -> RequestBuilder,
        mut read: impl FnMut(reqwest::Response) -> Fut,
    ) -> Result<T, DevRevError> {
        let mut attempt = 0;
        loop {
            let req = build();
            let res = match self.retry.timeout {
                Some(t) => req.timeout(t),
                None => req,
            }
            .send()
            .await;
            let res = match res {
                Ok(r) if r.status().is_success() => match read(r).await {
                    Ok(body) => return Ok(body),
                    Err(ReadError::TooLarge) => return Err(DevRevError::TooLarge { endpoint, what: "the answer", limit: cap }),
                    Err(ReadError::Disk(e)) => {
                        return Err(DevRevError::BadBody { endpoint, detail: format!("could not be written to a temporary file ({e})") })
                    }
                    Err(ReadError::Transport(e)) => Attempt::Transport(e),
                },
                Ok(r) => Attempt::Status(r),
                Err(e) => Attempt::Transport(e),
            };
            let wait = match &res {
                Attempt::Status(r) if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS => Self::retry_after(r),
                Attempt::Status(r) if r.status().is_server_error() => Some(self.retry.base_delay * 2u32.saturating_pow(attempt)),
                Attempt::Status(_) => None,
                Attempt::Transport(_) => Some(self.retry.base_delay * 2u32.saturating_pow(attempt)),
            };
            // A wait is taken only if it ends in time: before the invocation's last moment, and
            // never longer than MAX_RETRY_WAIT (a Retry-After of u64::MAX seconds is refused, not
            // an overflow or a hang).
            let in_time = |d: Duration| {
                let end = tokio::time::Instant::now().checked_add(d);
                d <= MAX_RETRY_WAIT && end.is_some_and(|end| self.give_up_at.is_none_or(|at| end < at))
            };
            let wait = wait.filter(|d| attempt < self.retry.max_retries && in_time(*d));
            let Some(delay) = wait else {
                return match res {
                    Attempt::Status(r) => {
                        let status = r.status().as_u16();
                        let body = read_capped(r, MAX_ERROR_BODY_BYTES).await.unwrap_or_default();
                        let body = String::from_utf8_lossy(&body).chars().take(300).collect();
                        Err(DevRevError::Status { endpoint, status, body })
                    }
                    Attempt::Transport(e) => Err(DevRevError::Transport { endpoint, detail: e.without_url().to_string() }),
                };
            };
            let status = match &res {
                Attempt::Status(r) => r.status().as_u16(),
                _ => 0,
            };
            tracing::warn!(endpoint, status, attempt = attempt + 1, delay_ms = delay.as_millis() as u64, "retrying DevRev call");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// POSTs the reply to `callback_url` with the SDK's headers.
    pub async fn emit(&self, callback_url: &Url, body: &Value) -> Result<(), DevRevError> {
        let bytes = serde_json::to_vec(body).map_err(|e| DevRevError::BadBody { endpoint: "callback", detail: e.to_string() })?;
        self.send("callback", MAX_RESPONSE_BYTES, || {
            self.http
                .post(callback_url.clone())
                .header("Accept", "application/json, text/plain, */*")
                .header("Content-Type", "application/json")
                .header("Authorization", self.token.expose_secret())
                .header("X-DevRev-Client-Platform", &self.client_platform)
                .header("X-DevRev-Client-Id", &self.client_id)
                .header("X-DevRev-Client-Version", SDK_VERSION)
                .body(bytes.clone())
        })
        .await
        .map(|_| ())
    }

    /// Reads the state and the extraction scope; `Ok(None)` when DevRev has no state yet (404).
    pub async fn state_get(&self, worker_data_url: &str, sync_unit: &str, request_id: &str) -> Result<Option<StoredState>, DevRevError> {
        let url = format!("{worker_data_url}.get?{}", axios_query(&[("sync_unit", sync_unit), ("request_id", request_id)]));
        let res = self
            .send("state get", MAX_STATE_RESPONSE_BYTES, || {
                self.http
                    .get(&url)
                    .header("Accept", "application/json, text/plain, */*")
                    .header("Authorization", self.token.expose_secret())
            })
            .await;
        let resp = match res {
            Err(DevRevError::Status { status: 404, .. }) => return Ok(None),
            other => other?,
        };
        let body: Value =
            serde_json::from_slice(&resp).map_err(|e| DevRevError::BadBody { endpoint: "state get", detail: format!("not JSON ({e})") })?;
        let objects = body.get("objects").and_then(Value::as_str).filter(|o| !o.trim().is_empty()).map(str::to_string);
        match body.get("state").and_then(Value::as_str) {
            Some(s) if s.len() > MAX_STATE_BYTES => {
                Err(DevRevError::TooLarge { endpoint: "state get", what: "the stored state", limit: MAX_STATE_BYTES })
            }
            Some(s) if !s.is_empty() => Ok(Some(StoredState { state: s.to_string(), objects })),
            _ => Err(DevRevError::BadBody { endpoint: "state get", detail: "no `state` string in the response".into() }),
        }
    }

    /// Writes the whole state as a JSON string.
    pub async fn state_update(
        &self,
        worker_data_url: &str,
        sync_unit: &str,
        request_id: &str,
        state_json: &str,
    ) -> Result<(), DevRevError> {
        let limit = super::state_size::MAX_STATE_CHARS;
        // Bytes bound characters from above: most states are far under and are not counted.
        if state_json.len() > limit && super::state_size::chars(state_json) > limit {
            let chars = super::state_size::chars(state_json);
            return Err(DevRevError::StateTooLarge { chars, limit, largest: super::state_size::largest_keys(state_json) });
        }
        let url = format!("{worker_data_url}.update?{}", axios_query(&[("sync_unit", sync_unit), ("request_id", request_id)]));
        self.post_raw_auth("state update", &url, &serde_json::json!({ "state": state_json })).await
    }

    /// POSTs JSON with the raw token (state update, IDM install).
    async fn post_raw_auth(&self, endpoint: &'static str, url: &str, body: &Value) -> Result<(), DevRevError> {
        self.send(endpoint, MAX_RESPONSE_BYTES, || {
            self.http
                .post(url)
                .header("Accept", "application/json, text/plain, */*")
                .header("Authorization", self.token.expose_secret())
                .json(body)
        })
        .await
        .map(|_| ())
    }

    /// Asks for an upload target for one artifact.
    pub async fn upload_url(&self, request_id: &str, file_name: &str, file_type: &str) -> Result<UploadTarget, DevRevError> {
        const EP: &str = "artifacts.upload-url";
        let url = self.endpoint_url(
            EP,
            "/internal/airdrop.artifacts.upload-url",
            &axios_query(&[("request_id", request_id), ("file_type", file_type), ("file_name", file_name)]),
        )?;
        let body = self.artifact_get(EP, &url).await?;
        let get = |k: &str| text_field(&body, EP, k);
        Ok(UploadTarget { upload_url: get("upload_url")?, artifact_id: get("artifact_id")?, form_data: form_pairs(body.get("form_data")) })
    }

    /// A `GET` of one of the artifact endpoints (`Bearer` authorization), its JSON answer.
    async fn artifact_get(&self, endpoint: &'static str, url: &str) -> Result<Value, DevRevError> {
        let resp = self
            .send(endpoint, MAX_RESPONSE_BYTES, || {
                self.http.get(url).header("Accept", "application/json, text/plain, */*").bearer_auth(self.token.expose_secret())
            })
            .await?;
        serde_json::from_slice(&resp).map_err(|e| DevRevError::BadBody { endpoint, detail: format!("not JSON ({e})") })
    }

    /// Sends the file to the pre-signed URL as multipart, file part last.
    pub async fn upload(&self, target: &UploadTarget, bytes: Vec<u8>) -> Result<(), DevRevError> {
        // Shared, not copied, by each attempt.
        let bytes = bytes::Bytes::from(bytes);
        let len = bytes.len() as u64;
        self.upload_body(target, || (reqwest::Body::from(bytes.clone()), len)).await
    }

    /// Sends a file of `len` bytes, read from disk as it is sent (the worker's own index parts:
    /// a large org's are tens of megabytes).
    pub async fn upload_file(&self, target: &UploadTarget, path: &std::path::Path, len: u64) -> Result<(), DevRevError> {
        let body = || match std::fs::File::open(path) {
            Ok(f) => reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(f))),
            // Gone between attempts: an empty body of the wrong length, which the server refuses.
            Err(_) => reqwest::Body::from(Vec::new()),
        };
        self.upload_body(target, || (body(), len)).await
    }

    /// The multipart POST of one artifact, its file part last, `body` giving each attempt's.
    async fn upload_body(&self, target: &UploadTarget, body: impl Fn() -> (reqwest::Body, u64)) -> Result<(), DevRevError> {
        self.send("artifact upload", MAX_RESPONSE_BYTES, || {
            let mut form = reqwest::multipart::Form::new();
            for (k, v) in &target.form_data {
                form = form.text(k.clone(), v.clone());
            }
            let (b, len) = body();
            // S3 and DevRev's mock server take the file as an octet stream; a static type always parses.
            let part = reqwest::multipart::Part::stream_with_length(b, len);
            let part = match part.mime_str("application/octet-stream") {
                Ok(p) => p,
                Err(_) => reqwest::multipart::Part::stream_with_length(body().0, len),
            };
            form = form.part("file", part);
            self.http.request(Method::POST, &target.upload_url).multipart(form)
        })
        .await
        .map(|_| ())
    }

    /// Confirms an uploaded artifact.
    pub async fn confirm(&self, request_id: &str, artifact_id: &str) -> Result<(), DevRevError> {
        const EP: &str = "artifacts.confirm-upload";
        let url = self.endpoint_url(EP, "/internal/airdrop.artifacts.confirm-upload", "")?;
        let body = serde_json::json!({"request_id": request_id, "artifact_id": artifact_id});
        self.send(EP, MAX_RESPONSE_BYTES, || {
            self.http.post(&url).header("Accept", "application/json, text/plain, */*").bearer_auth(self.token.expose_secret()).json(&body)
        })
        .await
        .map(|_| ())
    }

    /// Installs the initial domain mapping (ts-adaas `src/common/install-initial-domain-mapping.ts`).
    pub async fn install_idm(&self, snap_in_id: &str, idm: &Value) -> Result<(), DevRevError> {
        const EP: &str = "snap-ins.get";
        let url = self.endpoint_url(EP, "/internal/snap-ins.get", &axios_query(&[("id", snap_in_id)]))?;
        let resp = self
            .send(EP, MAX_RESPONSE_BYTES, || {
                self.http
                    .get(&url)
                    .header("Accept", "application/json, text/plain, */*")
                    .header("Authorization", self.token.expose_secret())
            })
            .await?;
        let body: Value =
            serde_json::from_slice(&resp).map_err(|e| DevRevError::BadBody { endpoint: EP, detail: format!("not JSON ({e})") })?;
        let import_slug = body.pointer("/snap_in/imports/0/name").and_then(Value::as_str);
        let snap_in_slug = body.pointer("/snap_in/snap_in_version/slug").and_then(Value::as_str);
        let (Some(import_slug), Some(snap_in_slug)) = (import_slug, snap_in_slug) else {
            return Err(DevRevError::BadBody {
                endpoint: EP,
                detail: "missing snap_in.imports[0].name or snap_in.snap_in_version.slug".into(),
            });
        };
        let mut install = serde_json::Map::new();
        install.insert("external_system_type".into(), "ADaaS".into());
        install.insert("import_slug".into(), import_slug.into());
        install.insert("snap_in_slug".into(), snap_in_slug.into());
        if let Some(extra) = idm.get("additional_mappings").and_then(Value::as_object) {
            for (k, v) in extra {
                install.insert(k.clone(), v.clone());
            }
        }
        const INSTALL: &str = "initial-domain-mappings.install";
        let url = self.endpoint_url(INSTALL, "/internal/airdrop.recipe.initial-domain-mappings.install", "")?;
        self.post_raw_auth(INSTALL, &url, &Value::Object(install)).await
    }
}

/// Reads `form_data` as a map or as a list of `{key, value}`.
fn form_pairs(v: Option<&Value>) -> Vec<(String, String)> {
    let as_text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    match v {
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), as_text(v))).collect(),
        Some(Value::Array(items)) => {
            items.iter().filter_map(|i| Some((i.get("key")?.as_str()?.to_string(), as_text(i.get("value")?)))).collect()
        }
        _ => Vec::new(),
    }
}
