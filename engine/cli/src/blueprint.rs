//! `fivesafes blueprint export`: the blueprint's traceability for certifiers, from every
//! requirement to its sources and to the policies and checks that realise it, as Markdown, HTML
//! or CSV. The rows and the writers are in `fivesafes_certify::traceability`.

use crate::exit::Exit;
use crate::sources::{BundleArgs, ReadError};
use fivesafes_certify::{Assessor, Check, satre, traceability};
use std::path::PathBuf;

/// `fivesafes blueprint ...`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Export every requirement with its SATRE v2 statements (index, text, importance), GDPR
    /// articles and vocabulary terms, the Cedar policies that enforce it and its certification
    /// check; Markdown and HTML add, for every SATRE statement cited, the requirements that
    /// realise it.
    Export(ExportArgs),
}

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Markdown: a section per dimension, a table per Safe, then the SATRE reverse index.
    Md,
    /// A self-contained HTML page: one table anchored by requirement id, then the SATRE reverse
    /// index.
    Html,
    /// RFC 4180 CSV: a header row and one row per requirement, lists joined with "; ".
    Csv,
}

/// Arguments of `fivesafes blueprint export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "md")]
    format: Format,
    /// Write the export to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    #[command(flatten)]
    bundle: BundleArgs,
}

/// Run `fivesafes blueprint ...`.
pub fn run(command: &Command) -> Exit {
    let result = match command {
        Command::Export(args) => export(args),
    };
    match result {
        Ok(exit) | Err(exit) => exit,
    }
}

fn export(args: &ExportArgs) -> Result<Exit, Exit> {
    let files = args.bundle.files()?;
    let assessor = Assessor::new(&files).map_err(|e| crate::fail(e, Exit::InvalidBundle))?;
    let checks = Check::embedded().map_err(|e| crate::fail(e, Exit::InvalidBundle))?;
    // Fail rather than export SATRE citations without their text.
    satre::try_specification().map_err(|e| crate::fail(e, Exit::InvalidBundle))?;
    let rows = traceability::rows(assessor.blueprint(), &checks);
    let text = match args.format {
        Format::Md => traceability::markdown(&rows),
        Format::Html => traceability::html(&rows),
        Format::Csv => traceability::csv(&rows).map_err(|e| crate::fail(e, Exit::InvalidInput))?,
    };
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| crate::fail(ReadError::new(path.display().to_string(), e.to_string()), Exit::CannotRead))?,
        None => crate::out!("{text}"),
    }
    Ok(Exit::Allow)
}
