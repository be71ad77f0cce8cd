//! SATRE self-assessments as evidence.
//!
//! The UK Standard Architecture for Trusted Research Environments (SATRE) v2.0.1 is embedded
//! from `blueprint/satre/specification.yaml` ([`specification`], [`try_specification`]): 185 statements in 5 pillars
//! and 35 capabilities, each `Mandatory`, `Mandatory*` (where applicable), `Recommended` or
//! `Optional`. A TRE assesses itself against it in a spreadsheet; this module:
//!
//! - reads the spreadsheet exported as CSV ([`read_sheet`]), v2 or v1.1 (whose items are
//!   mapped to v2 with `blueprint/satre/v1-to-v2.csv`: [`v1_fate`]);
//! - scores it by SATRE's own rules ([`score`]): capabilities, pillars, the TRE;
//! - answers, for a caller tracing blueprint requirements to SATRE statements, how the TRE
//!   scored one statement ([`SelfAssessment::statement_score`]).
//!
//! Like the rest of the crate it does no I/O: the caller reads the sheet.
//!
//! ```
//! use fivesafes_certify::satre::{Score, read_sheet, score};
//!
//! let sheet = "Section,Item,Statement,Guidance,Importance,Score,Response,Improvements\n\
//!              Information Governance,1.1.01,,,Mandatory,2,Our IG framework,\n";
//! let assessment = read_sheet("self-assessment.csv", sheet.as_bytes())?;
//! assert_eq!(assessment.statement_score("1.1.01").map(|s| s.score), Some(Score::Value(2.0)));
//! let scored = score(&assessment);
//! assert!(!scored.met); // most statements are not scored
//! # Ok::<(), fivesafes_certify::satre::SheetError>(())
//! ```

mod cell;
mod error;
mod line;
mod mapping;
mod scoring;
mod sheet;
mod specification;

pub use cell::Score;
pub use error::{SheetError, SpecificationError};
pub use mapping::{MAPPING_FILE, V1Fate, V1Mapping, mappings_from_csv, v1_fate, v1_mappings, v1_misnumbered};
pub use scoring::{CapabilityScore, PillarScore, SatreScore, score};
pub use sheet::{SatreVersion, ScoredStatement, SelfAssessment, read_sheet};
pub use specification::{
    Capability, Importance, Pillar, SATRE_VERSION, SPECIFICATION_FILE, Specification, Statement, specification,
    try_specification,
};
