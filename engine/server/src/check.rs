//! `/v1/check` (any method): the endpoint nginx's `auth_request` and Envoy's HTTP `ext_authz`
//! call. The request comes base64url-encoded in `X-Fivesafes-Request` (or, without that
//! header, as the body: the request's JSON itself, for an ext_authz that forwards the body); the answer is 200 for allow and 403 for anything else (deny,
//! review, an unreadable request, a decision the log could not record), with the decision's
//! id, outcome, sites and obligations in headers a proxy can pass upstream.

use crate::decide::{count, decision_headers};
use crate::deciding::{Input, Verdict};
use crate::error::body_error;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use fivesafes_core::{DecideOptions, Outcome};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The decision request, base64url-encoded (RFC 4648 section 5; padding optional).
pub const REQUEST: HeaderName = HeaderName::from_static("x-fivesafes-request");
/// The researcher's GA4GH Passport, base64url-encoded: any form `decide --passport` reads (a
/// `{"ga4gh_passport_v1": [...]}` object, a JSON list of visas, visas one per line).
pub const PASSPORT: HeaderName = HeaderName::from_static("x-fivesafes-passport");
/// `true` to evaluate every member as a possible site.
pub const ALL_MEMBERS: HeaderName = HeaderName::from_static("x-fivesafes-all-members");
/// The members where the analysis may run, comma-separated.
pub const RUNS_AT: HeaderName = HeaderName::from_static("x-fivesafes-runs-at");
/// The obligations that come with the permit, by code, comma-separated.
pub const OBLIGATIONS: HeaderName = HeaderName::from_static("x-fivesafes-obligations");
/// The requirements not met (deny or review), comma-separated.
pub const REQUIREMENTS: HeaderName = HeaderName::from_static("x-fivesafes-requirements");
/// Why the request could not be decided (an unreadable request, a log failure).
pub const ERROR: HeaderName = HeaderName::from_static("x-fivesafes-error");

const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// `/v1/check`.
pub async fn check(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => return body_error(&e).into_response(),
    };
    let all_members = headers
        .get(ALL_MEMBERS)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    let input = match request_text(&headers, &body) {
        Ok(text) => with_passport(&headers, text),
        Err(message) => Input::Unreadable(message),
    };
    let decided = crate::deciding::decide(&state, input, DecideOptions { all_members }).await;
    count(&state, "check", &decided);
    if tracing::enabled!(tracing::Level::DEBUG) {
        let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
        tracing::debug!(
            decision_id = %decided.id,
            original_uri = h("x-original-uri"),
            original_method = h("x-original-method"),
            forwarded_for = h("x-forwarded-for"),
            "checked"
        );
    }
    let d = &decided.made.decision;
    let allowed = decided.made.verdict == Verdict::Decided && d.decision == Outcome::Allow;
    let status = if allowed { StatusCode::OK } else { StatusCode::FORBIDDEN };
    let mut response = (status, decided.made.json.clone()).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    decision_headers(h, &decided);
    set(h, RUNS_AT, &d.runs_at.join(","));
    let codes: BTreeSet<&str> = d.obligations.iter().map(|o| o.code.as_str()).collect();
    set(h, OBLIGATIONS, &codes.into_iter().collect::<Vec<_>>().join(","));
    let unmet: BTreeSet<&str> = d
        .members
        .iter()
        .flat_map(|m| m.safes.values())
        .flat_map(|s| s.reasons.iter())
        .map(|r| r.requirement.as_str())
        .collect();
    set(h, REQUIREMENTS, &unmet.into_iter().collect::<Vec<_>>().join(","));
    match &decided.made.verdict {
        Verdict::Decided => {}
        Verdict::Invalid(e) | Verdict::EngineFailed(e) | Verdict::NotRecorded(e) => set(h, ERROR, e),
    }
    response
}

/// The request's JSON text: from the header, else the body.
fn request_text(headers: &HeaderMap, body: &[u8]) -> Result<String, String> {
    let bytes = match headers.get(REQUEST) {
        Some(value) => BASE64URL
            .decode(value.as_bytes().trim_ascii())
            .map_err(|e| format!("`X-Fivesafes-Request` is not base64url (RFC 4648 section 5): {e}"))?,
        None if !body.is_empty() => body.to_vec(),
        None => {
            return Err("no request: send it base64url-encoded in `X-Fivesafes-Request`, or as the body".into());
        }
    };
    String::from_utf8(bytes).map_err(|e| format!("the request is not UTF-8: {}", e.utf8_error()))
}

/// The request, with the passport of `X-Fivesafes-Passport` when there is one.
pub fn with_passport(headers: &HeaderMap, text: String) -> Input {
    let Some(value) = headers.get(PASSPORT) else { return Input::Request(text) };
    let passport = BASE64URL
        .decode(value.as_bytes().trim_ascii())
        .map_err(|e| format!("`X-Fivesafes-Passport` is not base64url (RFC 4648 section 5): {e}"))
        .and_then(|bytes| {
            String::from_utf8(bytes).map_err(|e| format!("the passport is not UTF-8: {}", e.utf8_error()))
        })
        .and_then(|text| fivesafes_passport::Passport::parse(&text).map_err(|e| format!("the passport: {e}")));
    match passport {
        Ok(p) => Input::WithPassport(text, Box::new(p)),
        Err(message) => Input::Unreadable(message),
    }
}

/// Set a header to `text` made safe for a header value (visible ASCII and spaces, at most
/// 1,024 bytes); an empty text sets nothing.
fn set(h: &mut HeaderMap, name: HeaderName, text: &str) {
    if text.is_empty() {
        return;
    }
    let mut safe: String = text.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { ' ' }).collect();
    if safe.len() > 1024 {
        safe.truncate(1021);
        safe.push_str("...");
    }
    if let Ok(v) = HeaderValue::from_str(&safe) {
        h.insert(name, v);
    }
}
