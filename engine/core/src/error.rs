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
