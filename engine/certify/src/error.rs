//! Errors of certification.

/// Why an assessment could not be made.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CertifyError {
    /// The bundle's RDF does not load.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Bundle(#[from] fivesafes_core::BundleError),
    /// A certification check is malformed.
    #[error("check `{check}` is malformed: {message}")]
    #[diagnostic(code(fivesafes::certify::check), help("see blueprint/checks/README.md for the shape of a check"))]
    Check {
        /// The check's requirement id.
        check: String,
        /// What is wrong.
        message: String,
    },
    /// The self-description does not describe exactly one TRE.
    #[error("`{file}` {message}")]
    #[diagnostic(
        code(fivesafes::certify::description),
        help("a self-description describes one TRE: one subject typed fs:MemberTRE (docs/certification.md)")
    )]
    Description {
        /// The description's file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The evidence graph cannot be canonicalised (RDFC-1.0).
    #[error("the evidence graph of `{file}` cannot be canonicalised: {message}")]
    #[diagnostic(code(fivesafes::certify::canonical))]
    Canonical {
        /// The description's file.
        file: String,
        /// Why.
        message: String,
    },
    /// A check failed to run.
    #[error("check `{check}` failed to run: {message}")]
    #[diagnostic(code(fivesafes::certify::evaluation))]
    Evaluation {
        /// The check's requirement id.
        check: String,
        /// Why.
        message: String,
    },
}
