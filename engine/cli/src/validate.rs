//! `fivesafes validate`: check a bundle as a policy author needs, every problem located.

use crate::exit::Exit;
use crate::sources;
use fivesafes_core::validate::{Diagnostic, Severity, ValidationReport};
use fivesafes_core::{SourceFile, validate};
use miette::{GraphicalReportHandler, LabeledSpan, MietteDiagnostic, NamedSource, Report};

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Diagnostics with the offending text underlined.
    Human,
    /// The report as JSON (schemas/validation.schema.json).
    Json,
}

/// Arguments of `fivesafes validate`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    bundle: sources::BundleArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// Run the command: exit 0 when valid (warnings allowed), 4 when invalid, 5 when a file could
/// not be read.
pub fn run(args: &Args) -> Exit {
    let files = match args.bundle.files() {
        Ok(f) => f,
        Err(exit) => return exit,
    };
    let report = validate(&files);
    match args.format {
        Format::Json => crate::outln!("{}", serde_json::to_string_pretty(&report).unwrap_or_default()),
        Format::Human => print_human(&report, &files),
    }
    if report.valid { Exit::Allow } else { Exit::InvalidBundle }
}

fn print_human(report: &ValidationReport, files: &[SourceFile]) {
    let handler = GraphicalReportHandler::new();
    for d in &report.diagnostics {
        let mut text = String::new();
        let report = as_report(d, files);
        if handler.render_report(&mut text, report.as_ref()).is_err() {
            text = format!("{}: {}\n", d.code, d.message);
        }
        eprint!("{text}");
    }
    let summary = match (report.errors, report.warnings) {
        (0, 0) => "valid: no problems".to_owned(),
        (0, w) => format!("valid, with {w} warning(s)"),
        (e, w) => format!("invalid: {e} error(s), {w} warning(s)"),
    };
    match &report.bundle {
        Some(b) => crate::outln!("{summary} ({} {}, {})", b.federation, b.version, b.hash),
        None => crate::outln!("{summary} (the bundle does not load)"),
    }
}

/// A diagnostic as a miette report over its file, so the offending text is underlined.
fn as_report(d: &Diagnostic, files: &[SourceFile]) -> Report {
    let mut m = MietteDiagnostic::new(d.message.clone()).with_code(d.code.clone()).with_severity(match d.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    });
    if let Some(help) = &d.help {
        m = m.with_help(help.clone());
    }
    let file = d.file.as_deref().and_then(|name| files.iter().find(|f| f.name == name));
    match (file, d.offset) {
        (Some(f), Some(offset)) => {
            m = m.with_label(LabeledSpan::new(Some("here".to_owned()), offset, d.length.unwrap_or(1).max(1)));
            Report::new(m).with_source_code(NamedSource::new(f.name.clone(), f.text.clone()))
        }
        _ => {
            if let Some(name) = &d.file {
                m.message = format!("{name}: {}", m.message);
            }
            Report::new(m)
        }
    }
}
