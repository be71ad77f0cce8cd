//! The service's error answer: one JSON shape for every error that is not a decision.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;

/// What kind of error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// The input could not be read (400).
    InvalidInput,
    /// The body is larger than the service accepts (413).
    PayloadTooLarge,
    /// The body's media type is not one this endpoint reads (415).
    UnsupportedMediaType,
    /// Too many requests in flight (503, with `Retry-After`).
    Overloaded,
    /// The request took longer than the service's timeout (503).
    Timeout,
    /// The decision log could not record a decision (503): the decision is not given.
    LogFailure,
    /// The engine could not answer (503).
    EngineFailure,
    /// A bearer token is missing or wrong (401).
    Unauthorized,
    /// The endpoint is off or this engine cannot serve it (404 or 501).
    NotAvailable,
    /// A reload was refused: the bundle being served stays (422).
    ReloadRefused,
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ApiError {
    /// What went wrong, and where.
    pub error: String,
    /// Its kind.
    pub code: ErrorCode,
    /// The HTTP status.
    #[serde(skip)]
    #[schemars(skip)]
    pub status: StatusCode,
}

impl ApiError {
    /// An error with its status.
    pub fn new(status: StatusCode, code: ErrorCode, error: impl Into<String>) -> ApiError {
        ApiError { error: error.into(), code, status }
    }

    /// Invalid input (400).
    pub fn invalid(error: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidInput, error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(&self)).into_response();
        if matches!(self.code, ErrorCode::Overloaded) {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
        }
        response
    }
}

/// The error of a body that could not be read (too large, or cut off).
pub fn body_error(e: &axum::extract::rejection::BytesRejection) -> ApiError {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(status, ErrorCode::PayloadTooLarge, format!("the body is too large: {}", e.body_text()))
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidInput,
            format!("cannot read the body: {}", e.body_text()),
        )
    }
}
