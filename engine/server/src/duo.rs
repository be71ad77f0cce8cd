//! `POST /v1/duo/match`: DUO matching of a research purpose against a dataset's data use
//! conditions with the bundle's vocabularies (as `fivesafes duo match --format json`), by the
//! engine the service runs.

use crate::error::{ApiError, ErrorCode, body_error};
use crate::loaded::SandboxPool;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fivesafes_core::duo::MatchOptions;
use fivesafes_core::matching::match_json;
use schemars::JsonSchema;
use serde::Deserialize;
use std::sync::Arc;

/// A DUO match call.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DuoCall {
    /// The research purpose: DUO terms (`{"category": ..., "diseases": [...], ...}`) or a DUOS
    /// DataUse object.
    pub purpose: serde_json::Value,
    /// The dataset's data use conditions: DUO terms (`{"permission": ..., "modifiers": [...],
    /// "diseases": [...]}`) or a DUOS DataUse object.
    pub dataset: serde_json::Value,
    /// Follow DUOS literally (PUB, COL, IRB, MOR, GS and GSO abstain).
    #[serde(default)]
    pub duos_strict: bool,
}

/// `POST /v1/duo/match`.
pub async fn duo_match(State(state): State<Arc<AppState>>, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => return body_error(&e).into_response(),
    };
    let call: DuoCall = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return ApiError::invalid(format!("the match call: {e}")).into_response(),
    };
    let (purpose, dataset) = (call.purpose.to_string(), call.dataset.to_string());
    let loaded = state.loaded();
    let answer: Result<Result<String, String>, String> = if loaded.pool.is_some() {
        SandboxPool::run(&loaded, move |sandbox| sandbox.duo_match(&purpose, &dataset, call.duos_strict)).await
    } else {
        let options = MatchOptions { duos_strict: call.duos_strict, ..MatchOptions::default() };
        let loaded = Arc::clone(&loaded);
        tokio::task::spawn_blocking(move || {
            match_json(&purpose, &dataset, &loaded.bundle.vocab, &options)
                .map_err(|e| e.to_string())
                .and_then(|m| serde_json::to_string_pretty(&m).map_err(|e| e.to_string()))
        })
        .await
        .map_err(|e| e.to_string())
    };
    match answer {
        Ok(Ok(json)) => {
            let mut r = (StatusCode::OK, json).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        Ok(Err(e)) => ApiError::invalid(e).into_response(),
        Err(e) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::EngineFailure, e).into_response(),
    }
}
