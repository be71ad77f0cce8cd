//! What reading or checking a crate found, each note naming the crate entity it is about.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How much a note matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For the record (e.g. an input that is not a federation dataset).
    Info,
    /// Read, but not as written (e.g. `type` for `@type`), or something removed.
    Warning,
    /// Something the decision or the profile needs is missing or wrong.
    Error,
}

impl Severity {
    /// The lowercase name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding about a crate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Note {
    /// How much it matters.
    pub severity: Severity,
    /// The crate entity (`@id` as the crate writes it) or file it is about.
    pub entity: String,
    /// What was found.
    pub message: String,
}

impl Note {
    /// A note for the record.
    pub fn info(entity: &str, message: impl Into<String>) -> Note {
        Note { severity: Severity::Info, entity: entity.to_owned(), message: message.into() }
    }
    /// A warning.
    pub fn warning(entity: &str, message: impl Into<String>) -> Note {
        Note { severity: Severity::Warning, entity: entity.to_owned(), message: message.into() }
    }
    /// An error.
    pub fn error(entity: &str, message: impl Into<String>) -> Note {
        Note { severity: Severity::Error, entity: entity.to_owned(), message: message.into() }
    }
}

/// Notes in the order they were found.
pub type Notes = Vec<Note>;
