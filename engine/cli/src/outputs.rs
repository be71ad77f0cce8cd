//! `fivesafes outputs check`: build an output from microdata and check it for disclosure risk
//! with ACRO's rules (the library: `fivesafes-outputs`).

use crate::exit::Exit;
use crate::sources::ReadError;
use fivesafes_outputs::rules::Status;
use fivesafes_outputs::{OutputCheck, table::CellValue};
use std::path::{Path, PathBuf};

/// `fivesafes outputs ...`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Build the output a spec asks for from CSV microdata and check every cell with ACRO's
    /// rules; exit 0 pass, 10 fail, 11 review, 3 invalid input, 5 unreadable file.
    Check(Args),
}

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The table with failing cells marked and why.
    Human,
    /// The check as JSON: status, table, flagged cells per rule.
    Json,
}

/// Arguments of `fivesafes outputs check`.
#[derive(clap::Args)]
pub struct Args {
    /// The microdata (CSV with a header row; an empty field is missing).
    #[arg(long, value_name = "FILE.csv")]
    data: PathBuf,
    /// The output specification in ACRO's argument names, e.g.
    /// `{"method": "crosstab", "index": ["year"], "columns": ["grant_type"], "values": "inc_grants", "aggfunc": "mean", "margins": true}`.
    #[arg(long, value_name = "SPEC.json")]
    spec: PathBuf,
    /// The risk appetite in ACRO's keys (`safe_threshold`, `safe_nk_n`, `safe_nk_k`,
    /// `safe_pratio_p`, `safe_dof_threshold`, `zeros_are_disclosive`, `check_missing_values`);
    /// default: ACRO 1.0's defaults.
    #[arg(long, value_name = "RISK.json")]
    config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Run `fivesafes outputs ...`.
pub fn run(command: &Command) -> Exit {
    let Command::Check(args) = command;
    match check(args) {
        Ok(exit) | Err(exit) => exit,
    }
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, Exit> {
    std::fs::read(path)
        .map_err(|e| crate::fail(ReadError::new(path.display().to_string(), e.to_string()), Exit::CannotRead))
}

fn read_text(path: &Path) -> Result<String, Exit> {
    crate::sources::read(path).map_err(|e| crate::fail(e, Exit::CannotRead))
}

fn check(args: &Args) -> Result<Exit, Exit> {
    let data = read_bytes(&args.data)?;
    let spec = read_text(&args.spec)?;
    let risk = args.config.as_deref().map(read_text).transpose()?;
    let result = fivesafes_outputs::check(&data, &args.data.display().to_string(), &spec, risk.as_deref())
        .map_err(|e| crate::fail(e, Exit::InvalidInput))?;
    match args.format {
        Format::Json => crate::outln!("{}", serde_json::to_string_pretty(&result).unwrap_or_default()),
        Format::Human => crate::out!("{}", human(&result)),
    }
    Ok(match result.status {
        Status::Pass => Exit::Allow,
        Status::Fail => Exit::Deny,
        Status::Review => Exit::Review,
    })
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Review => "review",
        Status::Fail => "fail",
    }
}

fn rule_name(rule: fivesafes_outputs::rules::Rule) -> String {
    serde_json::to_value(rule).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The table, each flagged cell marked with the initials of the rules that flag it, then why.
fn human(r: &OutputCheck) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "status: {}\n", status_name(r.status));
    let marks = |row: usize, col: usize| -> String {
        r.checks
            .iter()
            .filter(|c| c.status != Status::Pass && c.cells.contains(&[row, col]))
            .map(|c| rule_name(c.rule))
            .collect::<Vec<_>>()
            .join(",")
    };
    let t = &r.table;
    let label = |l: &[String]| l.iter().filter(|x| !x.is_empty()).cloned().collect::<Vec<_>>().join(" / ");
    let mut grid: Vec<Vec<String>> = Vec::new();
    let mut header = vec![t.index.join(" / ")];
    header.extend(t.column_labels.iter().map(|c| label(c)));
    grid.push(header);
    for (i, row) in t.values.iter().enumerate() {
        let mut line = vec![t.row_labels.get(i).map(|l| label(l)).unwrap_or_default()];
        for (j, v) in row.iter().enumerate() {
            let value = match v {
                Some(CellValue::Count(n)) => n.to_string(),
                Some(CellValue::Number(x)) => format!("{x:.4}").trim_end_matches('0').trim_end_matches('.').to_owned(),
                None => "NaN".to_owned(),
            };
            let m = marks(i, j);
            line.push(if m.is_empty() { value } else { format!("{value} [{m}]") });
        }
        grid.push(line);
    }
    let widths: Vec<usize> = (0..grid.first().map(Vec::len).unwrap_or(0))
        .map(|j| grid.iter().filter_map(|r| r.get(j)).map(|c| c.chars().count()).max().unwrap_or(0))
        .collect();
    for row in &grid {
        for (j, cell) in row.iter().enumerate() {
            let _ = write!(s, "{:<w$}  ", cell, w = widths.get(j).copied().unwrap_or(0));
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s);
    for c in &r.checks {
        let _ = write!(s, "{:<10} {:<6} {} cell(s)", rule_name(c.rule), status_name(c.status), c.cells.len());
        if let Some(note) = &c.note {
            let _ = write!(s, " ({note})");
        }
        let _ = writeln!(s);
    }
    for comment in &r.comments {
        let _ = writeln!(s, "note: {comment}");
    }
    s
}
