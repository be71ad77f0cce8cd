//! `POST /v1/assess`: a TRE's conformance to the blueprint, from its self-description and,
//! optionally, its SATRE self-assessment sheet (as `fivesafes assess --format json`). It needs
//! the bundle's source files: a service running an artifact answers 501.

use crate::error::{ApiError, ErrorCode, body_error};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fivesafes_certify::satre;
use fivesafes_core::day::Day;
use schemars::JsonSchema;
use serde::Deserialize;
use std::sync::Arc;

/// The syntax of a self-description.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DescriptionFormat {
    /// Turtle.
    #[default]
    Turtle,
    /// N-Triples.
    NTriples,
    /// RDF/XML.
    RdfXml,
    /// JSON-LD.
    JsonLd,
}

impl DescriptionFormat {
    fn file_name(self) -> &'static str {
        match self {
            DescriptionFormat::Turtle => "description.ttl",
            DescriptionFormat::NTriples => "description.nt",
            DescriptionFormat::RdfXml => "description.rdf",
            DescriptionFormat::JsonLd => "description.jsonld",
        }
    }
}

/// An assessment call.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssessCall {
    /// The TRE's self-description (docs/certification.md).
    pub description: String,
    /// Its syntax (default Turtle).
    #[serde(default)]
    pub format: DescriptionFormat,
    /// The TRE's SATRE self-assessment sheet, as CSV text.
    #[serde(default)]
    pub satre: Option<String>,
    /// The day to assess for (`YYYY-MM-DD`; default: today, UTC).
    #[serde(default)]
    pub date: Option<String>,
}

/// `POST /v1/assess`.
pub async fn assess(State(state): State<Arc<AppState>>, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => return body_error(&e).into_response(),
    };
    let call: AssessCall = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return ApiError::invalid(format!("the assessment call: {e}")).into_response(),
    };
    let loaded = state.loaded();
    if loaded.assessor.is_none() {
        return ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            ErrorCode::NotAvailable,
            "assessments need the bundle's source files: start the service with --bundle, not --artifact",
        )
        .into_response();
    }
    let date = call
        .date
        .clone()
        .unwrap_or_else(|| jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().to_string());
    let day = match Day::parse(&date) {
        Ok(d) => d,
        Err(e) => return ApiError::invalid(format!("`date` `{date}`: {e}")).into_response(),
    };
    let work = move || -> Result<fivesafes_certify::Assessment, String> {
        let assessor = loaded.assessor.as_ref().ok_or("no assessor")?;
        let sheet = match &call.satre {
            Some(csv) => Some(satre::read_sheet("satre.csv", csv.as_bytes()).map_err(|e| e.to_string())?),
            None => None,
        };
        let description =
            fivesafes_certify::read_description(call.format.file_name(), call.description.as_bytes(), sheet.as_ref())
                .map_err(|e| e.to_string())?;
        assessor.assess(&description, sheet.as_ref(), day).map_err(|e| e.to_string())
    };
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(a)) => Json(a).into_response(),
        Ok(Err(e)) => ApiError::invalid(e).into_response(),
        Err(e) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::EngineFailure,
            format!("the assessment failed: {e}"),
        )
        .into_response(),
    }
}
