//! `fivesafes serve`: the gateway decision service. Gateways that are not written in Rust
//! (nginx, Envoy, a Python workflow service) call the engine over HTTP; every decision is
//! appended to the hash-chained decision log (`fivesafes-audit`) before it is answered, and
//! any failure (a request that cannot be read, an engine that cannot answer, a log that cannot
//! record) is a deny that names it. The endpoints, limits, reloads and the log's durability
//! are documented in `docs/serve.md`; the OpenAPI document is `schemas/openapi.json`.
//!
//! The service is thin: it reads bodies and headers, calls the engine's JSON contract
//! (natively, or the WebAssembly engine of a signed artifact in a pool of wasmtime sandboxes)
//! and writes answers. Reading bundle files stays with the caller (the CLI), which gives a
//! [`Loader`] for reloads.
#![deny(missing_docs)]

pub mod admin;
pub mod assess;
pub mod cache;
pub mod check;
pub mod decide;
pub mod deciding;
pub mod duo;
pub mod error;
pub mod explain;
pub mod health;
pub mod limits;
pub mod loaded;
pub mod metrics;
pub mod openapi;
pub mod serve;
pub mod state;

pub use loaded::{BundleIdentity, EngineKind, LoadError, Loaded};
pub use serve::{ServeError, serve, signals};
pub use state::{AppState, Loader, ServiceConfig};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{any, get, post};
use std::sync::Arc;

/// The service's routes.
pub fn router(state: Arc<AppState>) -> Router {
    let deciding = Router::new()
        .route("/v1/decide", post(decide::decide))
        .route("/v1/check", any(check::check))
        .route("/v1/explain", post(explain::explain_request))
        .route("/v1/duo/match", post(duo::duo_match))
        .route("/v1/assess", post(assess::assess))
        .route_layer(from_fn_with_state(Arc::clone(&state), limits::admit));
    let document = Arc::new(openapi::document());
    Router::new()
        .merge(deciding)
        .route("/v1/bundle", get(health::bundle))
        .route("/v1/admin/reload", post(admin::reload))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(move || openapi_json(Arc::clone(&document))))
        .fallback(not_found)
        .route_layer(from_fn_with_state(Arc::clone(&state), limits::timed))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .with_state(state)
}

async fn openapi_json(document: Arc<serde_json::Value>) -> axum::Json<serde_json::Value> {
    axum::Json((*document).clone())
}

async fn not_found(uri: axum::http::Uri) -> error::ApiError {
    error::ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        error::ErrorCode::NotAvailable,
        format!("no endpoint `{}`: see /openapi.json", uri.path()),
    )
}
