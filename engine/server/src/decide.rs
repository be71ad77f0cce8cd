//! `POST /v1/decide`: a decision request (JSON) or a Five Safes RO-Crate (a BagIt ZIP, or its
//! bare `ro-crate-metadata.json`) in; the decision out, as `fivesafes decide --format json`
//! prints it, with its id in the decision log in `X-Fivesafes-Decision-Id`.

use crate::deciding::{Decided, Input, Verdict};
use crate::error::body_error;
use crate::metrics::ErrorKind;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fivesafes_core::DecideOptions;
use fivesafes_rocrate::{Crate, CrateFiles, ReadOptions, ZipLimits};
use schemars::JsonSchema;
use serde::Deserialize;
use std::sync::Arc;

/// The decision's id in the decision log.
pub const DECISION_ID: HeaderName = HeaderName::from_static("x-fivesafes-decision-id");
/// The overall outcome: `allow`, `deny` or `review`.
pub const OUTCOME: HeaderName = HeaderName::from_static("x-fivesafes-outcome");
/// The content hash of the bundle the decision was made under.
pub const BUNDLE: HeaderName = HeaderName::from_static("x-fivesafes-bundle");

/// The options of `POST /v1/decide`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecideQuery {
    /// Evaluate every member as a possible site ("where could this run?").
    #[serde(default)]
    pub all_members: bool,
    /// For a crate: the day it is judged on (`YYYY-MM-DD`; default: today, UTC).
    #[serde(default)]
    pub time: Option<String>,
    /// For a crate: the member TRE reading it (picks the project's TRE-local identifier).
    #[serde(default)]
    pub member: Option<String>,
}

/// `POST /v1/decide`.
pub async fn decide(
    State(state): State<Arc<AppState>>,
    Query(query): Query<DecideQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => return body_error(&e).into_response(),
    };
    let input = read_input(&headers, &body, &query);
    let decided = crate::deciding::decide(&state, input, DecideOptions { all_members: query.all_members }).await;
    let status = match decided.made.verdict {
        Verdict::Decided | Verdict::EngineFailed(_) => StatusCode::OK,
        Verdict::Invalid(_) => StatusCode::BAD_REQUEST,
        Verdict::NotRecorded(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    count(&state, "decide", &decided);
    let mut response = (status, decided.made.json.clone()).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    decision_headers(h, &decided);
    response
}

/// What the body is: a crate (ZIP, or JSON-LD with an `@graph`) or a JSON request.
fn read_input(headers: &HeaderMap, body: &[u8], query: &DecideQuery) -> Input {
    let media = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let zip = body.starts_with(b"PK\x03\x04") || media.starts_with("application/zip");
    let graph = media.starts_with("application/ld+json") || contains(body, b"\"@graph\"");
    if zip || graph {
        if headers.contains_key(crate::check::PASSPORT) {
            return Input::Unreadable(
                "a crate is decided here without a passport: send the request as JSON with `X-Fivesafes-Passport`, \
                 or use `fivesafes decide CRATE --passport`"
                    .into(),
            );
        }
        let files = if zip {
            match CrateFiles::from_zip(body, ZipLimits::default()) {
                Ok(f) => f,
                Err(e) => return Input::Unreadable(format!("the body is not a readable RO-Crate ZIP: {e}")),
            }
        } else {
            match std::str::from_utf8(body) {
                Ok(text) => CrateFiles::metadata_only(text),
                Err(e) => return Input::Unreadable(format!("the body is not UTF-8: {e}")),
            }
        };
        return match Crate::open(files) {
            Ok(krate) => {
                let time = query
                    .time
                    .clone()
                    .unwrap_or_else(|| jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().to_string());
                Input::Crate(Box::new(krate), ReadOptions { time, member: query.member.clone() })
            }
            Err(e) => Input::Unreadable(format!("the RO-Crate cannot be opened: {e}")),
        };
    }
    match String::from_utf8(body.to_vec()) {
        Ok(text) => crate::check::with_passport(headers, text),
        Err(e) => Input::Unreadable(format!("the body is not UTF-8: {}", e.utf8_error())),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Count the decision and its errors.
pub fn count(state: &AppState, endpoint: &'static str, decided: &Decided) {
    state.metrics.decision(endpoint, &decided.made.decision);
    if let Some(hit) = decided.cached {
        state.metrics.cache_lookup(hit);
    }
    match &decided.made.verdict {
        Verdict::Decided => {}
        Verdict::Invalid(_) => state.metrics.error(ErrorKind::InvalidInput),
        Verdict::EngineFailed(_) => state.metrics.error(ErrorKind::Engine),
        Verdict::NotRecorded(_) => state.metrics.error(ErrorKind::Log),
    }
    tracing::debug!(
        endpoint,
        decision_id = %decided.id,
        outcome = decided.made.decision.decision.name(),
        request_hash = decided.made.decision.request_hash.as_deref().unwrap_or("-"),
        sequence = decided.receipt.as_ref().map(|r| r.sequence),
        "decided"
    );
}

/// The headers every decision carries: its id, its outcome and the bundle.
pub fn decision_headers(h: &mut HeaderMap, decided: &Decided) {
    // An id names an entry of the log: a decision the log could not record has none.
    if !matches!(decided.made.verdict, Verdict::NotRecorded(_))
        && let Ok(v) = HeaderValue::from_str(&decided.id.to_string())
    {
        h.insert(DECISION_ID, v);
    }
    h.insert(OUTCOME, HeaderValue::from_static(decided.made.decision.decision.name()));
    if let Ok(v) = HeaderValue::from_str(&decided.made.decision.bundle.hash) {
        h.insert(BUNDLE, v);
    }
}
