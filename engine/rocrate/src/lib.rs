//! # fivesafes-rocrate
//!
//! Five Safes RO-Crates (profile 0.4, <https://w3id.org/5s-crate/0.4>) for fivesafes: the
//! request format of federated TRE workflows. A crate comes as a BagIt ZIP archive, a crate
//! directory or a bare `ro-crate-metadata.json`; its JSON-LD is parsed as RDF with the RO-Crate
//! contexts bundled and every remote context refused. Then:
//!
//! - [`decide`]: the crate read as a decision request and decided under a bundle;
//! - [`check`]: the profile's CheckValue (BagIt, sha-512) and ValidationCheck (its MUST rules);
//! - [`assess`]: a new crate with the TRE's AssessActions added and the bag's manifests redone.
//!
//! Like the core, this crate does no I/O: callers hand it bytes and get bytes back.
#![deny(missing_docs)]

pub mod assess;
pub mod bag;
pub mod jsonld;
pub mod metadata;
pub mod note;
pub mod profile;
pub mod request;

pub use assess::{AssessOptions, assess, assess_with};
pub use bag::{CrateFiles, CrateForm, ZipLimits};
pub use metadata::Metadata;
pub use note::{Note, Notes, Severity};
pub use profile::{CheckReport, StepResult, check};
pub use request::{CrateRequest, CrateSummary, Gap, ReadOptions};

use fivesafes_core::decision::Decision;
use fivesafes_core::request::DecisionRequest;
use fivesafes_core::{Bundle, DecideOptions, RequestError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Why a crate could not be read at all.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CrateError {
    /// The ZIP archive is unreadable or unsafe.
    #[error("the crate archive: {message}")]
    #[diagnostic(
        code(fivesafes::rocrate::zip),
        help("a Five Safes RO-Crate is a ZIP of one BagIt directory whose `data/` holds ro-crate-metadata.json")
    )]
    Zip {
        /// What is wrong.
        message: String,
    },
    /// The metadata file is not JSON.
    #[error("{file}: not valid JSON: {message}")]
    #[diagnostic(code(fivesafes::rocrate::json))]
    Json {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's message.
        message: String,
    },
    /// The JSON is not RO-Crate metadata.
    #[error("{file}: not RO-Crate metadata: {message}")]
    #[diagnostic(code(fivesafes::rocrate::not_a_crate))]
    NotACrate {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The JSON-LD could not be processed.
    #[error("{file}: JSON-LD: {message}")]
    #[diagnostic(code(fivesafes::rocrate::jsonld))]
    JsonLd {
        /// The file.
        file: String,
        /// The processor's message.
        message: String,
    },
}

/// A crate, opened: its files, its metadata (made safe), and what opening it noted.
#[derive(Debug, Clone)]
pub struct Crate {
    /// The files.
    pub files: CrateFiles,
    /// The metadata, client AssessActions removed and `type` read as `@type`.
    pub metadata: Metadata,
    /// What reading found.
    pub notes: Notes,
}

impl Crate {
    /// Open a crate's files: read and parse its metadata.
    pub fn open(files: CrateFiles) -> Result<Crate, CrateError> {
        let mut notes = Notes::new();
        let path = files.metadata_path();
        let metadata = Metadata::read(files.metadata_text()?, &path, &mut notes)?;
        Ok(Crate { files, metadata, notes })
    }
}

/// A decision on a crate, with what reading the crate found.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CrateDecision {
    /// The decision (a deny naming the crate entities when the crate lacks what a request needs).
    pub decision: Decision,
    /// The entities read.
    pub summary: CrateSummary,
    /// Every note from reading the crate.
    pub notes: Notes,
}

/// Decide a crate under a bundle. Never fails: a crate that cannot become a request is a deny
/// whose errors name the crate entities; evidence the crate lacks is named in the reasons of
/// the Safe it belongs to.
pub fn decide(bundle: &Bundle, krate: &Crate, read: &ReadOptions, options: DecideOptions) -> CrateDecision {
    decide_with(bundle, krate, read, &|req| fivesafes_core::decide(bundle, req, options))
}

/// How a request read from a crate is decided: by the engine, or with more evidence (a
/// researcher's passport) by a caller that adds it.
pub type Decider<'a> = dyn Fn(&DecisionRequest) -> Result<Decision, RequestError> + 'a;

/// [`decide`], with the request decided by `decider`.
pub fn decide_with(bundle: &Bundle, krate: &Crate, read: &ReadOptions, decider: &Decider<'_>) -> CrateDecision {
    let mut notes = krate.notes.clone();
    let mapped = request::to_request(&krate.metadata, bundle, read, &mut notes);
    let decision = match &mapped.request {
        Some(req) => match decider(req) {
            Ok(mut d) => {
                add_gaps(&mut d, &mapped.gaps);
                d
            }
            Err(e) => Decision::failed(bundle, None, e.to_string()),
        },
        None => {
            let errors: Vec<String> = notes
                .iter()
                .filter(|n| n.severity == Severity::Error)
                .map(|n| format!("crate entity `{}`: {}", n.entity, n.message))
                .collect();
            let mut d = Decision::failed(bundle, None, "the crate cannot be read as a request".to_owned());
            d.errors.extend(errors);
            d
        }
    };
    CrateDecision { decision, summary: mapped.summary, notes }
}

/// Name the crate entity behind every reason whose evidence the crate did not give.
fn add_gaps(decision: &mut Decision, gaps: &[Gap]) {
    for member in &mut decision.members {
        for (safe, sd) in &mut member.safes {
            for reason in &mut sd.reasons {
                for gap in gaps.iter().filter(|g| g.safe == *safe) {
                    let line = format!("crate entity `{}`: {}", gap.entity, gap.message);
                    if !reason.evidence.contains(&line) {
                        reason.evidence.push(line);
                    }
                }
            }
        }
    }
}
