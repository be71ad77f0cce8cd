//! `POST /v1/explain`: every deny and review of a request's decision, down to the condition
//! that decided it and the changes of evidence that flip it (as `fivesafes explain`). It runs
//! natively on the bundle being served (from an artifact: the artifact's compiled bundle).

use crate::error::{ApiError, body_error};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use fivesafes_core::{DecideOptions, DecisionRequest, explain};
use schemars::JsonSchema;
use serde::Deserialize;
use std::sync::Arc;

/// The options of `POST /v1/explain`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExplainQuery {
    /// Evaluate every member as a possible site.
    #[serde(default)]
    pub all_members: bool,
}

/// `POST /v1/explain`.
pub async fn explain_request(
    State(state): State<Arc<AppState>>,
    Query(query): Query<ExplainQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => return body_error(&e).into_response(),
    };
    let text = match std::str::from_utf8(&body) {
        Ok(t) => t,
        Err(e) => return ApiError::invalid(format!("the body is not UTF-8: {e}")).into_response(),
    };
    let req = match DecisionRequest::from_json(text) {
        Ok(r) => r,
        Err(e) => return ApiError::invalid(e.to_string()).into_response(),
    };
    let loaded = state.loaded();
    let options = DecideOptions { all_members: query.all_members };
    match tokio::task::spawn_blocking(move || explain(&loaded.bundle, &req, options)).await {
        Ok(Ok(x)) => Json(x).into_response(),
        Ok(Err(e)) => ApiError::invalid(e).into_response(),
        Err(e) => crate::error::ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            crate::error::ErrorCode::EngineFailure,
            format!("the explanation failed: {e}"),
        )
        .into_response(),
    }
}
