//! Liveness, readiness, the bundle's identity and the metrics.

use crate::loaded::BundleIdentity;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;
use std::sync::Arc;

/// Whether the service can decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Readiness {
    /// Ready to decide: a bundle is loaded, the decision log (when on) has not failed, and the
    /// service is not shutting down.
    pub ready: bool,
    /// The content hash of the bundle being served.
    pub bundle: String,
    /// The bundle's generation (1, then one more per reload).
    pub generation: u64,
    /// The decision log: `on`, `off` (`--no-log`), or `failed: ...` (every decision is
    /// refused until the service is restarted, which recovers the log).
    pub log: String,
    /// Shutting down: finishing the requests in flight.
    pub draining: bool,
}

/// `GET /health/live`: the process answers.
pub async fn live() -> Response {
    (StatusCode::OK, Json(serde_json::json!({ "live": true }))).into_response()
}

/// `GET /health/ready`: 200 when ready, 503 when not.
pub async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let loaded = state.loaded();
    let failure = state.log_failure();
    let log = match (&failure, state.logging()) {
        (Some(f), _) => format!("failed: {f}"),
        (None, true) => "on".into(),
        (None, false) => "off".into(),
    };
    let draining = state.draining();
    let r = Readiness {
        ready: failure.is_none() && !draining,
        bundle: loaded.identity.hash.clone(),
        generation: loaded.identity.generation,
        log,
        draining,
    };
    let status = if r.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(r)).into_response()
}

/// `GET /v1/bundle`.
pub async fn bundle(State(state): State<Arc<AppState>>) -> Json<BundleIdentity> {
    Json(state.loaded().identity.clone())
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut r = (StatusCode::OK, state.metrics.render()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}
