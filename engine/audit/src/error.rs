//! What can go wrong making a log entry.

/// An entry could not be made or sealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum AuditError {
    /// The entry could not be serialised to JSON (or canonicalised for hashing).
    #[error("cannot serialise a decision log entry: {0}")]
    #[diagnostic(code(fivesafes::audit::serialise))]
    Serialise(String),
    /// The chain has used every sequence number.
    #[error("the decision log's sequence number would overflow after `{0}`")]
    #[diagnostic(code(fivesafes::audit::sequence_overflow), help("start a new log in a new directory"))]
    SequenceOverflow(u64),
    /// A decision id is not a UUID.
    #[error("`{0}` is not a decision id (a UUID)")]
    #[diagnostic(code(fivesafes::audit::decision_id))]
    DecisionId(String),
}

impl From<serde_json::Error> for AuditError {
    fn from(e: serde_json::Error) -> Self {
        AuditError::Serialise(e.to_string())
    }
}
