//! `fivesafes schema`: print the published JSON Schemas.

use crate::exit::Exit;

/// Which schema.
#[derive(clap::ValueEnum, Clone, Copy)]
pub enum Which {
    /// The decision request.
    Request,
    /// The decision.
    Decision,
    /// The report of `fivesafes validate --format json`.
    Validation,
    /// The explanation of `fivesafes explain --format json`.
    Explanation,
    /// The report of `fivesafes test --format json`.
    TestReport,
    /// The assessment of `fivesafes assess --format json`.
    Assessment,
    /// A line of the decision log.
    LogEntry,
    /// The verification of `fivesafes audit verify --format json`.
    AuditVerification,
    /// The OpenAPI 3.1 document of `fivesafes serve`.
    Openapi,
}

/// Arguments of `fivesafes schema`.
#[derive(clap::Args)]
pub struct Args {
    /// The schema to print.
    #[arg(value_enum)]
    which: Which,
}

/// Print the schema as pretty JSON.
pub fn run(args: &Args) -> Exit {
    let value = match args.which {
        Which::Request => fivesafes_core::request_schema(),
        Which::Decision => fivesafes_core::decision_schema(),
        Which::Validation => fivesafes_core::validation_schema(),
        Which::Explanation => fivesafes_core::explain::explanation_schema(),
        Which::TestReport => fivesafes_core::suite::report_schema(),
        Which::Assessment => fivesafes_certify::assessment_schema(),
        Which::LogEntry => fivesafes_audit::log_entry_schema(),
        Which::AuditVerification => fivesafes_audit::verification_schema(),
        Which::Openapi => fivesafes_server::openapi::document(),
    };
    crate::outln!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    Exit::Allow
}
