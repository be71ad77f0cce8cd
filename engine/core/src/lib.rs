//! # fivesafes-core
//!
//! The fivesafes engine: decides whether a request (a researcher, a project, datasets held at
//! member TREs of a federation, an action) satisfies every one of the Five Safes at every member
//! TRE, and exactly why not. Policies are Cedar; vocabularies and the blueprint are RDF, compiled
//! once when a [`Bundle`] loads. The crate does no I/O: it takes strings and returns values, so
//! the same code runs natively, in browsers and under wasmtime.
//!
//! ```
//! use fivesafes_core::{decide_json, embedded, Bundle, DecideOptions};
//! let bundle = Bundle::load(&embedded::default_sources()).expect("the embedded bundle loads");
//! let decision = decide_json(&bundle, "{not json", DecideOptions::default());
//! assert_eq!(decision.decision.name(), "deny"); // bad input never allows
//! ```
#![deny(missing_docs)]

pub mod blueprint;
pub mod bundle;
pub mod cedar_tests;
pub mod certification;
pub mod compiled;
pub mod condition;
pub mod coverage;
pub mod day;
pub mod decision;
pub mod duo;
pub mod embedded;
pub mod error;
pub mod evidence;
pub mod explain;
pub mod federation;
pub mod matching;
pub mod policy;
pub mod rdf;
pub mod request;
pub mod safe_outputs;
pub mod scope;
pub mod suite;
pub mod validate;
pub mod vocab;

pub use blueprint::{Blueprint, Dimension, Level, Requirement, Safe};
pub use bundle::{Bundle, CedarSources, NamedText, SourceFile, SourceRole};
pub use compiled::CompiledBundle;
pub use decision::{
    BundleRef, DecideOptions, Decision, Trace, decide, decide_json, decide_json_checked, decide_traced,
    decision_schema, overall,
};
pub use error::{BundleError, Located, RequestError};
pub use explain::{Explanation, explain};
pub use policy::Outcome;
pub use request::{DecisionRequest, request_schema};
pub use validate::{ValidationReport, validate, validation_schema};
