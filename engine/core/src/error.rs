//! Typed errors of the engine. Every error names what went wrong and where (file, line,
//! column or JSON path); none of them can turn into an allow.

use miette::Diagnostic;
use thiserror::Error;

/// An error while loading a bundle: vocabularies, blueprint, federation or policies.
#[derive(Debug, Error, Diagnostic)]
pub enum BundleError {
    /// An RDF file does not parse.
    #[error("`{file}` is not valid {format}: {message}")]
    #[diagnostic(code(fivesafes::bundle::rdf_syntax), help("fix the RDF syntax at {position}"))]
    RdfSyntax {
        /// The file.
        file: String,
        /// The RDF format it was read as.
        format: String,
        /// The parser's message.
        message: String,
        /// Where, when the parser knows.
        position: String,
    },
    /// A file's extension names no RDF format the engine reads.
    #[error("`{file}` has no known RDF format")]
    #[diagnostic(code(fivesafes::bundle::rdf_format), help("use .ttl, .nt, .rdf, .owl or .jsonld"))]
    UnknownRdfFormat {
        /// The file.
        file: String,
    },
    /// A JSON-LD file asked to load a remote context, which is never fetched.
    #[error("`{file}` refers to a remote JSON-LD context; contexts are never fetched at run time")]
    #[diagnostic(code(fivesafes::bundle::remote_context), help("inline the context in the document"))]
    RemoteContext {
        /// The file.
        file: String,
    },
    /// A federation, member, dataset or requirement lacks something it needs, or has a bad value.
    #[error("{subject}: {message}")]
    #[diagnostic(code(fivesafes::bundle::model))]
    Model {
        /// The RDF subject (IRI) or file concerned.
        subject: String,
        /// What is wrong.
        message: String,
        /// How to fix it.
        #[help]
        help: Option<String>,
    },
    /// A Cedar file does not parse.
    #[error("`{file}` is not valid Cedar: {message}")]
    #[diagnostic(code(fivesafes::bundle::cedar_syntax))]
    CedarSyntax {
        /// The file.
        file: String,
        /// Cedar's message, with line and column where known.
        message: String,
    },
    /// A Cedar policy breaks a structural rule of the blueprint.
    #[error("policy `{policy}` in `{file}`: {message}")]
    #[diagnostic(code(fivesafes::bundle::policy))]
    Policy {
        /// The file.
        file: String,
        /// The policy's `@id`.
        policy: String,
        /// What is wrong.
        message: String,
        /// How to fix it.
        #[help]
        help: Option<String>,
    },
    /// Cedar's strict validation against the schema failed.
    #[error("policies do not validate against the schema: {message}")]
    #[diagnostic(code(fivesafes::bundle::validation))]
    Validation {
        /// Every validation error, one per line.
        message: String,
    },
    /// A compiled bundle cannot be read.
    #[error("the compiled bundle cannot be read: {message} (line {line}, column {column})")]
    #[diagnostic(code(fivesafes::bundle::compiled), help("rebuild it with `fivesafes build`"))]
    Compiled {
        /// What is wrong.
        message: String,
        /// 1-based line (0 when not about a position).
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// Several problems, each reported on its own.
    #[error("{count} problems in the bundle", count = .errors.len())]
    #[diagnostic(code(fivesafes::bundle::several))]
    Several {
        /// The problems.
        #[related]
        errors: Vec<BundleError>,
    },
    /// A file the bundle names is missing.
    #[error("`{file}` is missing from the bundle")]
    #[diagnostic(code(fivesafes::bundle::missing_file))]
    MissingFile {
        /// The file.
        file: String,
    },
}

/// An error in a request: it never yields an allow.
#[derive(Debug, Error, Diagnostic)]
pub enum RequestError {
    /// The request is not JSON.
    #[error("the request is not valid JSON: {message} at line {line}, column {column}")]
    #[diagnostic(code(fivesafes::request::json))]
    Json {
        /// serde_json's message.
        message: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The request does not match the request JSON Schema.
    #[error("the request does not match its schema: {}", .errors.join("; "))]
    #[diagnostic(code(fivesafes::request::schema), help("see schemas/request.schema.json"))]
    Schema {
        /// One message per violation, each starting with the JSON path.
        errors: Vec<String>,
    },
    /// A value has the right shape but cannot be used.
    #[error("`{path}`: {message}")]
    #[diagnostic(code(fivesafes::request::value))]
    Value {
        /// JSON path (e.g. `/project/dacApprovals/0/expires`).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The request names a dataset the bundle does not hold.
    #[error("`{path}`: dataset `{dataset}` is not in the federation bundle")]
    #[diagnostic(
        code(fivesafes::request::unknown_dataset),
        help("use a dataset identifier from the bundle (`dcterms:identifier`)")
    )]
    UnknownDataset {
        /// JSON path.
        path: String,
        /// The identifier given.
        dataset: String,
    },
}

/// One problem of a bundle, located as precisely as its error allows: what editors and the
/// playground show inline.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Located {
    /// The diagnostic code (e.g. `fivesafes::bundle::cedar_syntax`).
    pub code: String,
    /// The file, when known.
    pub file: Option<String>,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when known.
    pub help: Option<String>,
}

/// `NAME:LINE:COL` or `NAME:LINE` at the end of a position string.
fn split_position(position: &str) -> (String, Option<usize>, Option<usize>) {
    let mut parts = position.rsplitn(3, ':');
    let (last, middle, first) = (parts.next(), parts.next(), parts.next());
    let num = |s: Option<&str>| s.and_then(|s| s.trim().parse::<usize>().ok());
    match (first, num(middle), num(last)) {
        (Some(file), Some(line), Some(column)) => (file.to_owned(), Some(line), Some(column)),
        _ => match (middle, num(last)) {
            (Some(_), Some(line)) => {
                let file = position.rsplit_once(':').map(|(f, _)| f).unwrap_or(position);
                (file.to_owned(), Some(line), None)
            }
            _ => (position.to_owned(), None, None),
        },
    }
}

/// `line L, column C: rest` at the start of a message.
fn leading_line_col(message: &str) -> (Option<usize>, Option<usize>, String) {
    let parsed = message.strip_prefix("line ").and_then(|rest| {
        let (line, rest) = rest.split_once(", column ")?;
        let (column, rest) = rest.split_once(": ")?;
        Some((line.parse().ok()?, column.parse().ok()?, rest.to_owned()))
    });
    match parsed {
        Some((line, column, rest)) => (Some(line), Some(column), rest),
        None => (None, None, message.to_owned()),
    }
}

impl BundleError {
    /// One error for a list of problems: none, the only one, or [`BundleError::Several`].
    pub fn from_several(mut errors: Vec<BundleError>) -> Option<BundleError> {
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(BundleError::Several { errors }),
        }
    }

    /// The error as located problems (a validation error holds one per failing policy).
    pub fn located(&self) -> Vec<Located> {
        let code = miette::Diagnostic::code(self).map(|c| c.to_string()).unwrap_or_default();
        let help = miette::Diagnostic::help(self).map(|h| h.to_string());
        let one = |file: Option<String>, line, column, message: String| Located {
            code: code.clone(),
            file,
            line,
            column,
            message,
            help: help.clone(),
        };
        match self {
            BundleError::RdfSyntax { file, message, position, .. } => {
                let (_, line, column) = split_position(position);
                vec![one(Some(file.clone()), line, column, message.clone())]
            }
            BundleError::CedarSyntax { file, message } => {
                let (line, column, message) = leading_line_col(message);
                vec![one(Some(file.clone()), line, column, message)]
            }
            BundleError::Policy { file, policy, message, .. } => {
                let (file, line, column) = split_position(file);
                vec![one(Some(file), line, column, format!("policy `{policy}`: {message}"))]
            }
            BundleError::Validation { message } => message
                .lines()
                .map(|l| {
                    // `FILE:LINE:COL: policy ...`
                    let mut parts = l.splitn(4, ':');
                    let (f, li, co, rest) = (parts.next(), parts.next(), parts.next(), parts.next());
                    match (f, li.and_then(|x| x.parse().ok()), co.and_then(|x| x.parse().ok()), rest) {
                        (Some(f), Some(li), Some(co), Some(rest)) if li > 0 => {
                            let (message, help) = match rest.trim().rsplit_once(" (help: ") {
                                Some((m, h)) => (m.to_owned(), Some(h.trim_end_matches(')').to_owned())),
                                None => (rest.trim().to_owned(), None),
                            };
                            Located { help, ..one(Some(f.to_owned()), Some(li), Some(co), message) }
                        }
                        _ => one(None, None, None, l.to_owned()),
                    }
                })
                .collect(),
            BundleError::UnknownRdfFormat { file }
            | BundleError::RemoteContext { file }
            | BundleError::MissingFile { file } => vec![one(Some(file.clone()), None, None, self.to_string())],
            BundleError::Compiled { message, line, column } => {
                vec![one(None, Some(*line).filter(|l| *l > 0), Some(*column).filter(|c| *c > 0), message.clone())]
            }
            BundleError::Model { .. } => vec![one(None, None, None, self.to_string())],
            BundleError::Several { errors } => errors.iter().flat_map(BundleError::located).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Bundle, embedded};

    fn with(name_end: &str, edit: impl Fn(&str) -> String) -> Vec<Located> {
        let mut files = embedded::default_sources();
        for f in &mut files {
            if f.name.ends_with(name_end) {
                f.text = edit(&f.text);
            }
        }
        Bundle::load(&files).err().map(|e| e.located()).unwrap_or_default()
    }

    #[test]
    fn a_cedar_syntax_error_is_located() {
        let found = with("members/de-hd.cedar", |t| format!("{t}\npermit (principal,"));
        let first = found.first().cloned();
        assert_eq!(first.as_ref().and_then(|l| l.file.as_deref()), Some("policies/members/de-hd.cedar"));
        assert!(first.as_ref().and_then(|l| l.line).is_some_and(|l| l > 1), "{found:?}");
    }

    #[test]
    fn a_turtle_syntax_error_is_located() {
        let found = with("vocab/diseases.ttl", |t| format!("{t}\n<a> <b> ."));
        let first = found.first().cloned();
        assert_eq!(first.as_ref().and_then(|l| l.file.as_deref()), Some("vocab/diseases.ttl"));
        assert!(first.as_ref().and_then(|l| l.line).is_some_and(|l| l > 1), "{found:?}");
        assert_eq!(first.map(|l| l.code), Some("fivesafes::bundle::rdf_syntax".to_owned()));
    }

    #[test]
    fn a_validation_error_is_located_per_policy() {
        let found =
            with("policies/people.cedar", |t| t.replacen("principal.", "principal.noSuchAttribute || principal.", 1));
        let first = found.first().cloned();
        assert_eq!(first.as_ref().and_then(|l| l.file.as_deref()), Some("policies/people.cedar"), "{found:?}");
        assert!(first.and_then(|l| l.line).is_some(), "{found:?}");
    }
}
