//! The assessment of a TRE: one result per requirement checked at certification, in EARL's
//! outcome values, and the level reached in every dimension x Safe, every dimension and overall.

use fivesafes_core::{Dimension, Level, Safe};
use serde::Serialize;

/// An EARL outcome (W3C Evaluation and Report Language 1.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// The requirement is met.
    Passed,
    /// The requirement is not met.
    Failed,
    /// The evidence disagrees (the self-description and the SATRE self-assessment contradict
    /// each other): a certifier must look.
    CantTell,
    /// The requirement does not apply to this TRE.
    Inapplicable,
    /// The requirement has no check.
    Untested,
}

impl Outcome {
    /// The EARL term's local name.
    pub fn earl(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::CantTell => "cantTell",
            Outcome::Inapplicable => "inapplicable",
            Outcome::Untested => "untested",
        }
    }
}

/// How a result was reached (EARL modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    /// By the machine check over the self-description alone.
    Automatic,
    /// By the machine check together with the TRE's own SATRE scores.
    SemiAuto,
}

/// The level a dimension x Safe cell, a dimension or the TRE reaches. Ordered from worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Conformance {
    /// A mandatory requirement failed.
    NotMet,
    /// No mandatory requirement failed, but one could not be decided (cantTell or untested).
    Undetermined,
    /// Every mandatory requirement passed (or is inapplicable); some recommended one did not.
    Baseline,
    /// Every requirement passed or is inapplicable.
    Full,
}

impl Conformance {
    /// Its name in reports: `full`, `baseline`, `undetermined`, `not met`.
    pub fn name(self) -> &'static str {
        match self {
            Conformance::Full => "full",
            Conformance::Baseline => "baseline",
            Conformance::Undetermined => "undetermined",
            Conformance::NotMet => "not met",
        }
    }

    /// The local name of its term in the fivesafes vocabulary (`fs:ConformanceFull`, ...).
    pub fn term(self) -> &'static str {
        match self {
            Conformance::Full => "ConformanceFull",
            Conformance::Baseline => "ConformanceBaseline",
            Conformance::Undetermined => "ConformanceUndetermined",
            Conformance::NotMet => "ConformanceNotMet",
        }
    }

    /// Whether this level certifies: every mandatory requirement is met.
    pub fn certifies(self) -> bool {
        self >= Conformance::Baseline
    }
}

/// A piece of evidence: a node of the evidence graph (an IRI, or a canonical blank node label
/// such as `_:c14n3`), or a value, with a readable label.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pointer {
    /// The node or value.
    pub node: String,
    /// What it is, in words.
    pub label: String,
}

/// A SATRE statement mapped to a requirement, as the TRE scored it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SatreEvidence {
    /// The SATRE v2 statement index.
    pub statement: String,
    /// Its score: a number 0-2, `N/A`, or `not scored`.
    pub score: String,
    /// The sheet's line.
    pub line: Option<u64>,
    /// The TRE's response.
    pub response: String,
    /// The improvements the TRE noted.
    pub improvements: String,
}

/// The result for one requirement.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequirementResult {
    /// The requirement's id.
    pub requirement: String,
    /// Its IRI (the EARL test).
    pub iri: String,
    /// Its title.
    pub title: String,
    /// Its dimension.
    pub dimension: Dimension,
    /// Its Safe.
    pub safe: Safe,
    /// Mandatory or recommended.
    pub level: Level,
    /// The outcome.
    pub outcome: Outcome,
    /// How it was reached.
    pub mode: Mode,
    /// What the check found.
    pub evidence: Vec<Pointer>,
    /// What is wrong (empty when passed).
    pub problems: Vec<String>,
    /// The mapped SATRE statements, when a self-assessment was given.
    pub satre: Vec<SatreEvidence>,
    /// What to do to meet the requirement (empty when passed or inapplicable).
    pub improve: String,
}

/// A cell of the dimension x Safe grid.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cell {
    /// The dimension.
    pub dimension: Dimension,
    /// The Safe.
    pub safe: Safe,
    /// The level reached.
    pub level: Conformance,
    /// Its requirements' outcomes: passed, failed, cantTell, inapplicable, untested.
    pub counts: Counts,
}

/// How many requirements had each outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Counts {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Can't tell.
    pub cant_tell: usize,
    /// Inapplicable.
    pub inapplicable: usize,
    /// Untested.
    pub untested: usize,
}

impl Counts {
    pub(crate) fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::CantTell => self.cant_tell += 1,
            Outcome::Inapplicable => self.inapplicable += 1,
            Outcome::Untested => self.untested += 1,
        }
    }
}

/// The level of one dimension.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DimensionLevel {
    /// The dimension.
    pub dimension: Dimension,
    /// The lowest level of its cells.
    pub level: Conformance,
}

/// The SATRE self-assessment's own result (SATRE's scoring).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SatreSummary {
    /// The sheet's SATRE major version (1 or 2).
    pub version: String,
    /// Whether SATRE's scoring finds every pillar met.
    pub met: bool,
    /// Pillars that are not met.
    pub unmet_pillars: Vec<String>,
    /// Capabilities that are not met (`1.2 Quality Management`).
    pub unmet_capabilities: Vec<String>,
    /// Notes from reading and scoring the sheet.
    pub notes: Vec<String>,
}

/// The Safe Settings a self-description states.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssessedSettings {
    /// Its security tier (`fs:securityTier`), when stated.
    pub tier: Option<i64>,
    /// Its controls (`fs:hasControl`, IRIs, sorted).
    pub controls: Vec<String>,
}

/// The assessment of one TRE against the blueprint.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Assessment {
    /// The TRE's IRI (the EARL subject).
    pub tre: String,
    /// Its short identifier, when the description states one.
    pub id: Option<String>,
    /// Its name, when the description states one.
    pub name: Option<String>,
    /// The day the assessment was made for (ISO 8601).
    pub assessed_on: String,
    /// The blueprint's IRI and version.
    pub blueprint: String,
    /// The blueprint's version.
    pub blueprint_version: String,
    /// The file of the self-description.
    pub description: String,
    /// The SHA-256 of the canonical evidence graph (RDFC-1.0), `sha256:` and hex: the
    /// self-description and, when given, its SATRE scores.
    pub evidence_hash: String,
    /// Overall level: the lowest of all cells.
    pub overall: Conformance,
    /// Whether the TRE is certified: every mandatory requirement met.
    pub certified: bool,
    /// The last day this assessment is valid (ISO 8601): a period after the assessment day set by
    /// the blueprint (`fs:assessmentValidityDays`), and no later than the last day of the TRE's
    /// information security certificates valid on the assessment day, when it lists any.
    pub valid_until: String,
    /// The Safe Settings the description states, which decisions use while the assessment
    /// certifies the TRE (`fivesafes assess --certificate`).
    pub settings: AssessedSettings,
    /// Level per dimension.
    pub dimensions: Vec<DimensionLevel>,
    /// Level per dimension x Safe.
    pub cells: Vec<Cell>,
    /// One result per requirement checked at certification, in blueprint order.
    pub results: Vec<RequirementResult>,
    /// SATRE's own scoring of the self-assessment, when one was given.
    pub satre: Option<SatreSummary>,
}

/// The JSON Schema of [`Assessment`] (published as `schemas/assessment.schema.json`).
pub fn assessment_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Assessment)).unwrap_or_default()
}
