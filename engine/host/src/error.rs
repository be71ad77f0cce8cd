//! Errors of the host. None of them can turn into an allow: a host that cannot load an
//! artifact has no engine to decide with, and a call that fails is a deny.

use miette::Diagnostic;
use thiserror::Error;

/// Why an artifact could not be built, read, verified or run.
#[derive(Debug, Error, Diagnostic)]
pub enum HostError {
    /// The artifact is not a well-formed fivesafes artifact.
    #[error("the artifact is malformed: {message}")]
    #[diagnostic(code(fivesafes::artifact::malformed), help("rebuild it with `fivesafes build`"))]
    Malformed {
        /// What is wrong.
        message: String,
    },
    /// A part does not match the hash the manifest records: the artifact was altered.
    #[error("the artifact was altered: {message}")]
    #[diagnostic(code(fivesafes::artifact::tampered), help("obtain the artifact again from its publisher"))]
    Tampered {
        /// What differs.
        message: String,
    },
    /// The signature is missing, by an untrusted key, or invalid.
    #[error("the artifact's signature is not accepted: {message}")]
    #[diagnostic(code(fivesafes::artifact::signature))]
    Signature {
        /// Why.
        message: String,
        /// How to fix it.
        #[help]
        help: Option<String>,
    },
    /// A key could not be read.
    #[error("the key is not a usable ed25519 key: {message}")]
    #[diagnostic(
        code(fivesafes::artifact::key),
        help(
            "use PEM keys: PKCS#8 private, SPKI public (`fivesafes keygen`, or `openssl genpkey -algorithm ed25519`)"
        )
    )]
    Key {
        /// Why.
        message: String,
    },
    /// The engine component could not be compiled or instantiated.
    #[error("the engine cannot run: {message}")]
    #[diagnostic(code(fivesafes::host::engine))]
    Engine {
        /// wasmtime's message.
        message: String,
    },
    /// The engine refused the artifact's compiled bundle.
    #[error("the engine refused the bundle: {message}")]
    #[diagnostic(code(fivesafes::host::bundle))]
    Bundle {
        /// The engine's message.
        message: String,
    },
}

impl HostError {
    pub(crate) fn engine(e: impl std::fmt::Display) -> HostError {
        // `{:#}` keeps wasmtime's chain of causes on one line.
        HostError::Engine { message: format!("{e:#}") }
    }
}
