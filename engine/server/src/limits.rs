//! Limits on the endpoints that decide: at most `max_concurrency` requests at once (more are
//! refused at once with 503 and `Retry-After`, never queued without bound), each within the
//! timeout (503 after it); and the latency of every request, by endpoint.

use crate::error::{ApiError, ErrorCode};
use crate::metrics::ErrorKind;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Instant;

/// Admit a request within the concurrency limit and the timeout.
pub async fn admit(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let Ok(_slot) = Arc::clone(&state.slots).try_acquire_owned() else {
        state.metrics.error(ErrorKind::Overloaded);
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Overloaded,
            format!(
                "overloaded: {} requests are in flight (--max-concurrency); retry shortly",
                state.config.max_concurrency
            ),
        )
        .into_response();
    };
    state.metrics.in_flight().inc();
    let answered = tokio::time::timeout(state.config.timeout, next.run(request)).await;
    state.metrics.in_flight().dec();
    match answered {
        Ok(response) => response,
        Err(_) => {
            state.metrics.error(ErrorKind::Timeout);
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Timeout,
                format!(
                    "the request took longer than {} ms (--timeout-ms); no decision is given (a decision made meanwhile may still be in the log)",
                    state.config.timeout.as_millis()
                ),
            )
            .into_response()
        }
    }
}

/// Time every request, by its route.
pub async fn timed(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let route =
        request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "other".into());
    let start = Instant::now();
    let response = next.run(request).await;
    state.metrics.latency(&route, start.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::loaded::Loaded;
    use crate::state::{Loader, ServiceConfig};
    use axum::body::Body;
    use tower::ServiceExt;

    /// With every slot taken, a deciding request is refused at once with 503 and Retry-After;
    /// health and metrics still answer.
    #[tokio::test]
    async fn overload_is_a_clear_503() {
        let loader: Loader = Arc::new(|| Loaded::native(&fivesafes_core::embedded::default_sources(), "embedded"));
        let config = ServiceConfig { max_concurrency: 1, ..ServiceConfig::default() };
        let state = AppState::new(loader().unwrap(), loader, None, config);
        let held = Arc::clone(&state.slots).try_acquire_owned().unwrap();
        let request = axum::http::Request::post("/v1/decide").body(Body::from("{}")).unwrap();
        let response = crate::router(Arc::clone(&state)).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get("retry-after").unwrap(), "1");
        let ready = axum::http::Request::get("/health/ready").body(Body::empty()).unwrap();
        assert_eq!(crate::router(Arc::clone(&state)).oneshot(ready).await.unwrap().status(), StatusCode::OK);
        assert!(state.metrics.render().contains("fivesafes_errors_total{kind=\"overloaded\"} 1"));
        drop(held);
        let request = axum::http::Request::post("/v1/decide").body(Body::from("{}")).unwrap();
        let response = crate::router(Arc::clone(&state)).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "a slot is free again; `{{}}` is no request");
    }
}
