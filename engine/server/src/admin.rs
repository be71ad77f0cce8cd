//! `POST /v1/admin/reload`: load the bundle again, atomically, behind a bearer token.

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// `POST /v1/admin/reload`: 200 with the new bundle's identity, 422 when the new bundle is
/// refused (the old one keeps serving), 401 without the right token, 404 when no token is
/// configured.
pub async fn reload(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let Some(token) = &state.config.admin_token else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotAvailable,
            "the admin endpoint is off: start the service with --admin-token-file",
        )
        .into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compared as digests, in constant time: neither the token nor its length leaks.
    let same: bool = Sha256::digest(given.trim().as_bytes()).ct_eq(&Sha256::digest(token.as_bytes())).into();
    if given.is_empty() || !same {
        tracing::warn!("reload refused: wrong or missing bearer token");
        let mut r =
            ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, "a valid bearer token is required")
                .into_response();
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    }
    match state.reload("admin endpoint").await {
        Ok(identity) => Json(identity).into_response(),
        Err(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ReloadRefused,
            format!("the new bundle was refused; the bundle being served stays: {e}"),
        )
        .into_response(),
    }
}
