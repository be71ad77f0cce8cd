//! The decision request: who asks, for which project, which datasets, to do what, when.
//! The JSON Schema in `schemas/request.schema.json` is generated from these types.

use crate::duo::{DataUse, SensitiveFlag};
use crate::error::RequestError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// A request for a Five Safes decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecisionRequest {
    /// The caller's identifier for this request (echoed in logs; not part of the decision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// When the request is made: `YYYY-MM-DD` or an RFC 3339 timestamp. Evidence is judged valid
    /// or not on this day (UTC); the engine never reads the clock.
    pub time: String,
    /// What the researcher asks to do.
    pub action: RequestAction,
    /// The researcher and their evidence.
    pub researcher: Researcher,
    /// The project and its evidence.
    pub project: Project,
    /// The datasets (by federation identifier) and the variables asked for.
    #[schemars(length(min = 1))]
    pub datasets: Vec<RequestedDataset>,
    /// The output to release; required when `action` is `export`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputRelease>,
}

/// What the researcher asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RequestAction {
    /// Run an analysis inside the TRE.
    Analyse,
    /// Access record-level data inside the TRE workspace.
    Access,
    /// Export an output from the TRE.
    Export,
}

impl RequestAction {
    /// The Cedar action id.
    pub fn name(self) -> &'static str {
        match self {
            RequestAction::Analyse => "analyse",
            RequestAction::Access => "access",
            RequestAction::Export => "export",
        }
    }
}

/// The researcher's identity and evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Researcher {
    /// ORCID iD as a URL, e.g. `https://orcid.org/0000-0002-1825-0097`.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The employing organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affiliation: Option<Affiliation>,
    /// Country the researcher works from (ISO 3166-1 alpha-2).
    #[schemars(regex(pattern = r"^[A-Z]{2}$"))]
    pub location: String,
    /// Researcher accreditations.
    #[serde(default)]
    pub accreditations: Vec<Accreditation>,
    /// Training records.
    #[serde(default)]
    pub training: Vec<TrainingRecord>,
    /// Signed agreements.
    #[serde(default)]
    pub agreements: Vec<SignedAgreement>,
}

/// An organisation a researcher is affiliated with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Affiliation {
    /// Identifier, e.g. a ROR URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name.
    pub name: String,
    /// Country (ISO 3166-1 alpha-2).
    #[schemars(regex(pattern = r"^[A-Z]{2}$"))]
    pub country: String,
    /// Whether it is a for-profit organisation (unset: not declared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_profit: Option<bool>,
}

/// An accreditation held by the researcher.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Accreditation {
    /// The accreditation scheme (an IRI or CURIE from the vocabularies, e.g. `fs:UKAccreditedResearcher`).
    pub scheme: String,
    /// The accreditation's own identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// First valid day.
    pub issued: String,
    /// Last valid day (unset: no expiry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// A completed training course.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrainingRecord {
    /// The course (an IRI or CURIE, e.g. `fs:SafeResearcherTraining`).
    pub course: String,
    /// Completion day.
    pub completed: String,
    /// Last valid day (unset: no expiry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// An agreement the researcher signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignedAgreement {
    /// The agreement (an IRI or CURIE, e.g. `fs:FederationUserAgreement`).
    pub agreement: String,
    /// Day signed.
    pub signed: String,
    /// Last valid day (unset: no expiry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// The project and its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Project {
    /// The project's identifier at the federation or TRE.
    pub id: String,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The research purpose, in DUO terms.
    pub purpose: Purpose,
    /// The project is commercial or for-profit (unset: not declared, which is not `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commercial: Option<bool>,
    /// Legal bases (DPV GDPR IRIs or CURIEs, e.g. `eu-gdpr:A6-1-e`, `eu-gdpr:A9-2-j`).
    #[serde(default)]
    pub legal_basis: Vec<String>,
    /// Ethics (IRB / REC) approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethics: Option<EthicsApproval>,
    /// Data Access Committee approvals, one per dataset.
    #[serde(default)]
    pub dac_approvals: Vec<DacApproval>,
    /// First day of the project.
    pub start: String,
    /// Last day of the project.
    pub end: String,
}

/// A research purpose: DUO terms, or DUOS's DataUse JSON (`duos`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Purpose {
    /// The primary DUO category: GRU `DUO:0000042`, HMB `DUO:0000006`, DS `DUO:0000007`, POA `DUO:0000011`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Diseases studied (MONDO / DOID IRIs or CURIEs); required with DS.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diseases: Vec<String>,
    /// Develops or validates methods.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub methods_research: bool,
    /// A genetic study.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub genetic_studies: bool,
    /// Sensitive research areas (force a human decision).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive: Vec<SensitiveFlag>,
    /// The purpose as a DUOS DataUse object instead of `category`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duos: Option<DataUse>,
}

/// An ethics committee approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EthicsApproval {
    /// The committee.
    pub committee: String,
    /// Its reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Day approved.
    pub approved: String,
    /// Last valid day (unset: no expiry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// A Data Access Committee approval for one dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DacApproval {
    /// The dataset's federation identifier.
    pub dataset: String,
    /// The committee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committee: Option<String>,
    /// Its reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Day approved.
    pub approved: String,
    /// Last valid day (unset: no expiry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Variables approved.
    #[serde(default)]
    pub variables: Vec<String>,
    /// Linkage with the project's other datasets approved.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub linkage: bool,
}

/// A dataset asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestedDataset {
    /// The dataset's federation identifier.
    pub id: String,
    /// Variables asked for.
    #[serde(default)]
    pub variables: Vec<String>,
}

/// An output to export. Its statistical disclosure control is given as the check itself
/// (`check`), which each member holding a requested dataset judges under its own risk appetite,
/// or as a bare status (`sdc`); at least one of them. With both, they must agree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutputRelease {
    /// The kind of output (IRI or CURIE, e.g. `fs:AggregateTable`).
    pub kind: String,
    /// The statistical disclosure control result, as stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdc: Option<SdcStatus>,
    /// The disclosure control check of the output with ACRO's rules: the JSON
    /// `fivesafes outputs check --format json` prints. Kept whole (the request's hash covers
    /// the table released); a decision reads what [`crate::safe_outputs::CheckEvidence`]
    /// describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::safe_outputs::CheckEvidence>")]
    pub check: Option<serde_json::Value>,
    /// The researcher's justification for releasing an output that fails disclosure control
    /// (ACRO's exception): an output checker then reviews it instead of a deny.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
    /// Output checkers who signed it off.
    #[serde(default)]
    pub checkers: Vec<String>,
}

/// A statistical disclosure control result (as ACRO reports it, or not yet checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SdcStatus {
    /// Passed every check.
    Pass,
    /// Failed a check.
    Fail,
    /// Needs an output checker's review.
    Review,
    /// Not checked.
    Unchecked,
}

impl SdcStatus {
    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            SdcStatus::Pass => "pass",
            SdcStatus::Fail => "fail",
            SdcStatus::Review => "review",
            SdcStatus::Unchecked => "unchecked",
        }
    }
}

/// The request's JSON Schema.
pub fn request_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(DecisionRequest)).unwrap_or_default()
}

fn validator() -> Option<&'static jsonschema::Validator> {
    static VALIDATOR: OnceLock<Option<jsonschema::Validator>> = OnceLock::new();
    VALIDATOR.get_or_init(|| jsonschema::validator_for(&request_schema()).ok()).as_ref()
}

impl DecisionRequest {
    /// Parse a request from JSON text, checking it against the request schema first so errors
    /// name the JSON path.
    pub fn from_json(text: &str) -> Result<DecisionRequest, RequestError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| RequestError::Json {
            message: strip_position(&e.to_string()),
            line: e.line(),
            column: e.column(),
        })?;
        DecisionRequest::from_value(value)
    }

    /// Parse a request from a JSON value.
    pub fn from_value(value: serde_json::Value) -> Result<DecisionRequest, RequestError> {
        let Some(validator) = validator() else {
            return Err(RequestError::Schema { errors: vec!["the request schema did not compile".to_owned()] });
        };
        // A valid request (the usual case) is checked without collecting errors, which is
        // cheaper; errors are collected only for an invalid one.
        if !validator.is_valid(&value) {
            let mut errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|e| {
                    let path = e.instance_path().to_string();
                    format!("`{}`: {e}", if path.is_empty() { "/".to_owned() } else { path })
                })
                .collect();
            if !errors.is_empty() {
                errors.sort();
                errors.dedup();
                return Err(RequestError::Schema { errors });
            }
        }
        serde_json::from_value(value).map_err(|e| RequestError::Schema { errors: vec![e.to_string()] })
    }

    /// The canonical JSON of the request (the form that is hashed).
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message.get(..i).unwrap_or(message).to_owned(),
        None => message.to_owned(),
    }
}
