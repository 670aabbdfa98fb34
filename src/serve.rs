//! The local-development server shape of DevRev's snap-in template: `POST /handle/async` takes
//! an array of events and answers 200 at once; `POST /handle/sync` processes one event and
//! answers when done.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;

use crate::airsync::runtime::{run_invocation, RuntimeConfig};
use crate::connector::OktaConnector;

struct App {
    connector: OktaConnector,
    cfg: RuntimeConfig,
}

async fn handle_async(State(app): State<Arc<App>>, body: Bytes) -> Response {
    if let Err(e) = crate::airsync::event::parse_invocation(&body) {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": e.to_string()}))).into_response();
    }
    tokio::spawn(async move {
        if let Err(e) = run_invocation(&body, &app.connector, &app.cfg).await {
            tracing::error!(error = %e, "invocation rejected");
        }
    });
    (StatusCode::OK, Json(json!({"accepted": true}))).into_response()
}

async fn handle_sync(State(app): State<Arc<App>>, body: Bytes) -> Response {
    match run_invocation(&body, &app.connector, &app.cfg).await {
        Ok(reports) => Json(json!({ "events": reports.iter().map(|r| json!({"event_type": r.event_type, "reply": r.reply, "error": r.error})).collect::<Vec<_>>() })).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({"error": e.to_string()}))).into_response(),
    }
}

/// The routes DevRev's testing-URL mode calls: `/handle/async` (answers at once, runs the event
/// in the background) and `/handle/sync`.
pub fn router(connector: OktaConnector, cfg: RuntimeConfig) -> Router {
    Router::new()
        .route("/handle/async", post(handle_async))
        .route("/handle/sync", post(handle_sync))
        .with_state(Arc::new(App { connector, cfg }))
}
