//! `fivesafes outputs check`: build an output from microdata and check it for disclosure risk
//! with ACRO's rules (the library: `fivesafes-outputs`); with `--out`, write ACRO's results
//! directory for the SACRO viewer and the output checker.

use crate::exit::Exit;
use crate::sources::ReadError;
use fivesafes_outputs::results::{ResultsOutput, results_directory};
use fivesafes_outputs::rules::Status;
use fivesafes_outputs::{CheckOptions, OutputCheck, OutputSpec, RiskAppetite, table::CellValue};
use std::path::{Path, PathBuf};

/// `fivesafes outputs ...`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Build the output a spec asks for from CSV microdata and check every cell with ACRO's
    /// rules; with `--out`, also write ACRO's results directory. Exit 0 pass, 10 fail, 11 review,
    /// 3 invalid input, 5 a file unreadable or the results directory not written (it already
    /// holds a `results.json`, or cannot be written).
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
    /// `{"method": "crosstab", "index": ["year"], "columns": ["grant_type"], "values": "inc_grants", "aggfunc": "mean", "margins": true}`,
    /// `{"method": "ols", "endog": "y", "exog": ["x"], "add_constant": true}` (also `logit`,
    /// `probit`) or `{"method": "hist", "column": "income", "bins": 10}`.
    #[arg(long, value_name = "SPEC.json")]
    spec: PathBuf,
    /// The risk appetite in ACRO's keys (`safe_threshold`, `safe_nk_n`, `safe_nk_k`,
    /// `safe_pratio_p`, `safe_dof_threshold`, `zeros_are_disclosive`, `check_missing_values`);
    /// default: ACRO 1.0's defaults.
    #[arg(long, value_name = "RISK.json", conflicts_with = "member")]
    config: Option<PathBuf>,
    /// Check under the risk appetite of this member TRE of the federation (its
    /// `fs:riskAppetite` over the federation's), the one it judges an export of its data under.
    #[arg(long, value_name = "ID")]
    member: Option<String>,
    /// With `--member`: the federation bundle directory (default: the embedded example
    /// federation).
    #[arg(long, value_name = "DIR", requires = "member")]
    bundle: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Suppress the failing cells as ACRO's `suppress=True` does (a table's margins are
    /// recomputed without them); a suppressed output asks for review (exit 11).
    #[arg(long)]
    suppress: bool,
    /// Write ACRO 1.0.2's results directory here: `results.json`, the output as
    /// `output_0_0.csv`, `checksums/` and `config.json`, for the SACRO viewer and ACRO's
    /// `load_records`. The directory is created; one that already holds a `results.json` (or
    /// any file to be written) is refused, exit 5, and nothing is written.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// With `--out`: the researcher's request for an exception and why, recorded as the
    /// output's `exception` (ACRO's `add_exception`).
    #[arg(long, value_name = "JUSTIFICATION", requires = "out")]
    exception: Option<String>,
    /// With `--out`: a comment recorded with the output (ACRO's `add_comments`); repeatable.
    #[arg(long, value_name = "TEXT", requires = "out")]
    comment: Vec<String>,
    /// With `--out`: the output's timestamp as recorded (default: now, local time, as ACRO
    /// writes it: `2024-05-01T12:30:00.123456`).
    #[arg(long, value_name = "TIME", requires = "out")]
    timestamp: Option<String>,
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
    let spec_text = read_text(&args.spec)?;
    let risk_text = args.config.as_deref().map(read_text).transpose()?;
    let invalid = |e: fivesafes_outputs::OutputError| crate::fail(e, Exit::InvalidInput);
    let spec = OutputSpec::from_json(&spec_text).map_err(|e| invalid(e.into()))?;
    let mut risk = risk_text.as_deref().map(RiskAppetite::from_json).transpose().map_err(|e| invalid(e.into()))?;
    if let Some(id) = &args.member {
        risk = Some(member_risk_appetite(args.bundle.as_deref(), id)?);
    }
    let options = CheckOptions { suppress: args.suppress };
    let result = fivesafes_outputs::check_spec_with(
        &data,
        &args.data.display().to_string(),
        &spec,
        &risk.unwrap_or_default(),
        &options,
    )
    .map_err(invalid)?;
    if let Some(dir) = &args.out {
        write_results(dir, args, &spec, &result)?;
    }
    match args.format {
        Format::Json => crate::outln!("{}", serde_json::to_string_pretty(&result).unwrap_or_default()),
        Format::Human => crate::out!("{}", human(&result)),
    }
    if let Some(dir) = &args.out {
        eprintln!("results directory written: {}", dir.display());
    }
    Ok(match result.status {
        Status::Pass => Exit::Allow,
        Status::Fail => Exit::Deny,
        Status::Review => Exit::Review,
    })
}

/// The risk appetite of member `id` in the bundle at `dir` (the example federation if none).
fn member_risk_appetite(dir: Option<&Path>, id: &str) -> Result<RiskAppetite, Exit> {
    let bundle = crate::sources::load_bundle(dir, &[])?;
    let members = &bundle.federation.members;
    match members.get(id) {
        Some(member) => Ok(member.risk_appetite.clone()),
        None => Err(crate::fail(
            UnknownMember { id: id.to_owned(), known: members.keys().cloned().collect::<Vec<_>>().join(", ") },
            Exit::InvalidInput,
        )),
    }
}

/// `--member` names no member of the federation.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("`--member {id}`: the federation has no such member")]
#[diagnostic(code(fivesafes::outputs::unknown_member), help("its members: {known}"))]
struct UnknownMember {
    id: String,
    known: String,
}

/// Why the results directory was not written.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
enum OutDirError {
    /// The directory already holds a results directory or one of its files.
    #[error("`{dir}` already holds `{file}`: nothing was written")]
    #[diagnostic(
        code(fivesafes::outputs::out_exists),
        help("choose a new directory for `--out`; a results directory is never overwritten")
    )]
    Exists { dir: String, file: String },
    /// The directory or a file could not be written.
    #[error("cannot write `{path}`: {message}")]
    #[diagnostic(code(fivesafes::outputs::out_write))]
    Write { path: String, message: String },
}

/// Writes ACRO's results directory for `result` in `dir`, refusing to overwrite anything.
fn write_results(dir: &Path, args: &Args, spec: &OutputSpec, result: &OutputCheck) -> Result<(), Exit> {
    let timestamp = args.timestamp.clone().unwrap_or_else(acro_now);
    let mut output = ResultsOutput::new("output_0", result, command_line(args, spec), timestamp);
    output.spec = Some(spec);
    output.comments.clone_from(&args.comment);
    output.exception.clone_from(&args.exception);
    let files = results_directory(&[output]).map_err(|e| crate::fail(e, Exit::InvalidInput))?;
    let cannot = |path: &Path, e: std::io::Error| {
        crate::fail(OutDirError::Write { path: path.display().to_string(), message: e.to_string() }, Exit::CannotRead)
    };
    // Refuse before writing anything: a results directory is never overwritten.
    let refuse = |file: &str| {
        crate::fail(OutDirError::Exists { dir: dir.display().to_string(), file: file.to_owned() }, Exit::CannotRead)
    };
    if dir.join("results.json").exists() {
        return Err(refuse("results.json"));
    }
    if let Some((name, _)) = files.iter().find(|(name, _)| dir.join(name).exists()) {
        return Err(refuse(name));
    }
    std::fs::create_dir_all(dir.join("checksums")).map_err(|e| cannot(dir, e))?;
    for (name, bytes) in &files {
        let path = dir.join(name);
        let mut file =
            std::fs::OpenOptions::new().write(true).create_new(true).open(&path).map_err(|e| cannot(&path, e))?;
        std::io::Write::write_all(&mut file, bytes).map_err(|e| cannot(&path, e))?;
    }
    Ok(())
}

/// The command recorded in `results.json`: the command line (without the `--out` options), then
/// the spec, as a shell comment.
fn command_line(args: &Args, spec: &OutputSpec) -> String {
    let mut words = vec![
        "fivesafes".to_owned(),
        "outputs".to_owned(),
        "check".to_owned(),
        "--data".to_owned(),
        quote(&args.data.display().to_string()),
        "--spec".to_owned(),
        quote(&args.spec.display().to_string()),
    ];
    if let Some(member) = &args.member {
        words.extend(["--member".to_owned(), quote(member)]);
    }
    if let Some(bundle) = &args.bundle {
        words.extend(["--bundle".to_owned(), quote(&bundle.display().to_string())]);
    }
    if let Some(config) = &args.config {
        words.extend(["--config".to_owned(), quote(&config.display().to_string())]);
    }
    if args.suppress {
        words.push("--suppress".to_owned());
    }
    let spec = serde_json::to_string(spec).unwrap_or_default();
    format!("{} # {spec}", words.join(" "))
}

/// A word as a POSIX shell reads it back.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':' | '=' | '+' | ','));
    if plain { word.to_owned() } else { format!("'{}'", word.replace('\'', "'\\''")) }
}

/// Now, as ACRO records it: `datetime.now().isoformat()`, local time, microseconds unless 0.
fn acro_now() -> String {
    let now = jiff::Zoned::now();
    let micros = now.subsec_nanosecond() / 1000;
    let base = now.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    if micros == 0 { base } else { format!("{base}.{micros:06}") }
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
