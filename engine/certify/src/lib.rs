//! Certification: assess a TRE's conformance to the blueprint.
//!
//! A TRE describes itself in RDF (its controls, certificates, documented measures, agreements,
//! interfaces and vocabularies; `docs/certification.md`). Every blueprint requirement checked at
//! certification has a SPARQL check in `blueprint/checks/` ([`check`]) that runs over that
//! description, the federation bundle and the vocabularies' class hierarchy. Where the TRE also
//! gives its SATRE self-assessment ([`satre`]), the scores of the SATRE statements mapped to a
//! requirement are weighed with the check. Outcomes are EARL's; a level is graded for every
//! dimension x Safe, every dimension and overall ([`report`]), and written as JSON, EARL (Turtle
//! or JSON-LD) or HTML. The report names the RDFC-1.0 hash of the evidence graph it assessed.
//!
//! The crate does no I/O: the caller reads the files.

mod assess;
pub mod certificate;
pub mod check;
mod earl;
mod error;
mod evidence;
pub mod html;
pub mod poisoning;
pub mod report;
pub mod satre;
pub mod traceability;

pub use assess::Assessor;
pub use check::Check;
pub use earl::{ASSESSOR, EarlFormat, graph as earl_graph, write as write_earl, write_many as write_earl_many};
pub use error::CertifyError;
pub use evidence::{Description, canonical_nquads, read_description};
pub use report::{Assessment, Conformance, Outcome, assessment_schema};
pub use traceability::{TraceRow, TraceabilityError};
