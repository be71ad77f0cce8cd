//! ACRO's results directory: `results.json`, the output CSVs, `checksums/` and `config.json`,
//! as ACRO 1.0.2's `ACRO.finalise(path, "json")` writes them, so that the SACRO viewer and
//! ACRO's own reader (`acro.record.load_records`) open what fivesafes writes.
//!
//! [`results_directory`] takes checked outputs ([`OutputCheck`]) and what only the caller
//! knows (the uid, the command, the time, the researcher's comments and exception request)
//! and returns every file of the directory as (relative path, bytes). It reads no clock and
//! writes nothing: the same arguments give the same bytes.
//!
//! # The format, as ACRO 1.0.2 writes it (`record.py`, `acro_tables.py`, `sdcchecks.py`)
//! - `results.json` is `json.dump(..., indent=4)` (ASCII, no final newline) of `{"version":
//!   "1.0.2", "tool": {...}, "results": {uid: record}}`; `load_records` refuses another
//!   `version` and reads every key of a record, `fair` included.
//! - A record: `uid`, `status` (`pass`, `fail`, `review`), `type` (`table`, `regression`,
//!   `histogram`), `properties` (`{"method", "mitigation"}` for a table), `files` (`[{"name",
//!   "sdc": {"summary": {check: count}, "cells": {check: [[row, column], ...]}}}]`),
//!   `outcome` (the table of check names per cell as pandas' `to_json()` writes a DataFrame:
//!   `{column: {row: "NKCheck; MinimumThresholdCheck; " or "ok"}}`, tuple labels as their
//!   Python `repr`), `command`, `summary`, `timestamp`, `comments`, `exception`, `fair`.
//! - Checks carry ACRO 1.0's ontology names (`MinimumThresholdCheck`, `PresenceOfZeroCheck`,
//!   `NKCheck`, `PPercentCheck`, `MinimumDoFCheck`, `MissingCheck`, and the always-passing
//!   `RequiredZeroCheck` and `PresenceOfLinkedTableCheck`), in the order of the analysis'
//!   `checks_needed`; cells are `[row, column]` positions in the table as released, margins
//!   included, row by row.
//! - `summary` is ACRO's `ManyChecksResults.get_overall_summary`: the analysis name
//!   (`FrequencyTable`, `Mean`, ...), then every line of the checks' summaries that holds
//!   neither `pass` nor `RequiredZeroCheck`.
//! - Each output's table is `{uid}_0.csv`, pandas' `DataFrame.to_csv()` with the index.
//! - `checksums/{file}.txt` holds the SHA-256 of every file at the top of the directory, in
//!   lowercase hex without a newline; `config.json` is written after them (no checksum).
//!
//! # Where fivesafes writes something else
//! - `MinimumDoFCheck` of a table of standard deviations: ACRO 1.0.2 counts the sum of the
//!   cells' degrees of freedom and lists the cells whose degrees of freedom are not zero (its
//!   mask is the table of degrees of freedom, not the comparison); here the count and the cells
//!   are those below the threshold, and the summary says how many (`fail dof < 10 in 3 cells`)
//!   where ACRO names the smallest (`fail dof=6 < 10`), which the checked output does not hold.
//! - ACRO's `suppress=True` makes every table `review`, with `mitigation: suppress` and the
//!   exception "Suppression automatically applied where needed", even one with nothing to
//!   suppress; here only an output whose cells were suppressed is (a passing one stays `pass`,
//!   as its check says).
//! - A regression's file is its coefficient table (ACRO writes statsmodels' three summary
//!   tables); a histogram's file is its bins' counts (ACRO writes the plot), and its cells are
//!   `[bin, 0]` in bin order (ACRO numbers them in `value_counts()` order, most frequent first).
//! - With `check_missing_values`, a regression's or histogram's records left out for a missing
//!   value are a `MissingCheck` (ACRO 1.0.2 stops with an error there).
//! - ACRO also writes `session_summary.json` and `.csv` (a summary for the output checker,
//!   marked not for release) as two `custom` records; they are not written here. Its
//!   `config.json` holds the whole session's settings; here the risk appetite and `suppress`.
//! - The outputs' own notes (rows left out as pandas leaves them out) follow the caller's
//!   comments in `comments`.

use crate::OutputCheck;
use crate::risk::RiskAppetite;
use crate::rules::{Rule, RuleCheck, Status};
use crate::spec::{Aggfunc, OutputKind, OutputSpec};
use crate::table::CellValue;
use sha2::{Digest, Sha256};

mod python;

use python::{Py, py_float, py_list, py_str};

/// The ACRO version the directory is written for (`load_records` accepts only its own).
pub const ACRO_VERSION: &str = "1.0.2";

/// The exception ACRO records when it suppressed the disclosive cells itself.
pub const SUPPRESSION_EXCEPTION: &str = "Suppression automatically applied where needed";

/// One output of a results directory: the check and what only the caller knows.
#[derive(Debug, Clone)]
pub struct ResultsOutput<'a> {
    /// The record's key and `uid`, e.g. `output_0` (letters, digits, `_`, `-`, `.`).
    pub uid: String,
    /// The checked output.
    pub check: &'a OutputCheck,
    /// The spec it was built from: names the dependent variable in `fair` (else `unknown`).
    pub spec: Option<&'a OutputSpec>,
    /// What was run to make it (ACRO records the line of code).
    pub command: String,
    /// When it was made (ACRO: `datetime.now().isoformat()`, e.g.
    /// `2024-05-01T12:30:00.123456`).
    pub timestamp: String,
    /// The researcher's comments.
    pub comments: Vec<String>,
    /// The researcher's request for an exception and why (ACRO's `add_exception`).
    pub exception: Option<String>,
    /// The name of the output's file, e.g. `output_0_0.csv` (ACRO's `{uid}_0.csv`).
    pub file_name: String,
}

impl<'a> ResultsOutput<'a> {
    /// An output named as ACRO names it (`{uid}_0.csv`), with no comment or exception.
    pub fn new(
        uid: impl Into<String>,
        check: &'a OutputCheck,
        command: impl Into<String>,
        timestamp: impl Into<String>,
    ) -> Self {
        let uid = uid.into();
        let file_name = format!("{uid}_0.csv");
        ResultsOutput {
            uid,
            check,
            spec: None,
            command: command.into(),
            timestamp: timestamp.into(),
            comments: Vec::new(),
            exception: None,
            file_name,
        }
    }
}

/// Why a results directory cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum ResultsError {
    /// No output was given.
    #[error("a results directory needs at least one output")]
    #[diagnostic(code(fivesafes::outputs::results::empty))]
    NoOutputs,
    /// A uid that cannot name a record and its files.
    #[error("the output uid `{uid}` is not a plain name")]
    #[diagnostic(
        code(fivesafes::outputs::results::uid),
        help("use letters, digits, `_`, `-` and `.`, not first, as in `output_0`")
    )]
    Uid {
        /// The uid.
        uid: String,
    },
    /// A file name that is not a plain CSV file name, or is one of the directory's own.
    #[error("the output file name `{name}` is not a plain `.csv` file name")]
    #[diagnostic(
        code(fivesafes::outputs::results::file_name),
        help("use letters, digits, `_`, `-` and `.`, ending in `.csv`, as in `output_0_0.csv`")
    )]
    FileName {
        /// The file name.
        name: String,
    },
    /// Two outputs share a uid or a file name.
    #[error("two outputs share the {what} `{name}`")]
    #[diagnostic(code(fivesafes::outputs::results::duplicate))]
    Duplicate {
        /// `uid` or `file name`.
        what: &'static str,
        /// The shared value.
        name: String,
    },
    /// The outputs were checked with different risk appetites: ACRO's `config.json` holds one.
    #[error("output `{uid}` was checked with another risk appetite than `{first}`")]
    #[diagnostic(
        code(fivesafes::outputs::results::risk_appetites),
        help("a results directory records one risk appetite, as an ACRO session has one")
    )]
    RiskAppetites {
        /// The first output.
        first: String,
        /// The output that differs.
        uid: String,
    },
}

/// The files of ACRO's results directory for `outputs`, as (path relative to the directory,
/// bytes): `results.json`, each output's CSV, `checksums/<file>.txt` for each of those, then
/// `config.json`. Deterministic.
///
/// # Errors
/// When there is no output, a uid or file name is not a plain name or is used twice, or the
/// outputs were checked with different risk appetites.
pub fn results_directory(outputs: &[ResultsOutput<'_>]) -> Result<Vec<(String, Vec<u8>)>, ResultsError> {
    let first = outputs.first().ok_or(ResultsError::NoOutputs)?;
    validate(outputs, first)?;
    let mut records = Vec::with_capacity(outputs.len());
    let mut files: Vec<(String, Vec<u8>)> = Vec::with_capacity(outputs.len() * 2 + 3);
    for output in outputs {
        records.push((output.uid.clone(), record(output)));
        files.push((output.file_name.clone(), output_csv(output.check).into_bytes()));
    }
    let results = Py::Dict(vec![
        ("version".to_owned(), Py::str(ACRO_VERSION)),
        (
            "tool".to_owned(),
            Py::Dict(vec![
                ("@type".to_owned(), Py::str("SoftwareApplication")),
                ("name".to_owned(), Py::str("ACRO")),
                ("url".to_owned(), Py::str("https://github.com/AI-SDC/ACRO")),
                ("version".to_owned(), Py::str(ACRO_VERSION)),
            ]),
        ),
        ("results".to_owned(), Py::Dict(records)),
    ]);
    files.insert(0, ("results.json".to_owned(), results.to_json().into_bytes()));
    let mut checksums: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(name, bytes)| (format!("checksums/{name}.txt"), hex::encode(Sha256::digest(bytes)).into_bytes()))
        .collect();
    checksums.sort();
    files.extend(checksums);
    let suppress = outputs.iter().any(|o| o.check.suppressed);
    files.push(("config.json".to_owned(), config(&first.check.risk_appetite, suppress).to_json().into_bytes()));
    Ok(files)
}

fn validate(outputs: &[ResultsOutput<'_>], first: &ResultsOutput<'_>) -> Result<(), ResultsError> {
    let mut uids = std::collections::BTreeSet::new();
    let mut names = std::collections::BTreeSet::new();
    for output in outputs {
        if !plain_name(&output.uid) {
            return Err(ResultsError::Uid { uid: output.uid.clone() });
        }
        let name = &output.file_name;
        let own = ["results.json", "config.json", "checksums"].contains(&name.as_str());
        if !plain_name(name) || !name.ends_with(".csv") || own {
            return Err(ResultsError::FileName { name: name.clone() });
        }
        if !uids.insert(output.uid.as_str()) {
            return Err(ResultsError::Duplicate { what: "uid", name: output.uid.clone() });
        }
        if !names.insert(name.as_str()) {
            return Err(ResultsError::Duplicate { what: "file name", name: name.clone() });
        }
        if output.check.risk_appetite != first.check.risk_appetite {
            return Err(ResultsError::RiskAppetites { first: first.uid.clone(), uid: output.uid.clone() });
        }
    }
    Ok(())
}

/// Letters, digits, `_`, `-`, `.`; not empty, not starting with `.`.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// ACRO's `config.json`: the risk appetite in ACRO's keys and order, and `suppress`.
fn config(risk: &RiskAppetite, suppress: bool) -> Py {
    Py::Dict(vec![
        ("safe_threshold".to_owned(), Py::uint(risk.safe_threshold)),
        ("safe_dof_threshold".to_owned(), Py::uint(risk.safe_dof_threshold)),
        ("safe_nk_n".to_owned(), Py::uint(risk.safe_nk_n)),
        ("safe_nk_k".to_owned(), Py::Float(risk.safe_nk_k)),
        ("safe_pratio_p".to_owned(), Py::Float(risk.safe_pratio_p)),
        ("check_missing_values".to_owned(), Py::Bool(risk.check_missing_values)),
        ("survival_safe_threshold".to_owned(), Py::uint(risk.survival_safe_threshold)),
        ("zeros_are_disclosive".to_owned(), Py::Bool(risk.zeros_are_disclosive)),
        ("suppress".to_owned(), Py::Bool(suppress)),
    ])
}

// ---------------------------------------------------------------------------------------------
// One record
// ---------------------------------------------------------------------------------------------

/// An analysis of ACRO's ontology (`analyses.json`, `statbarns.json`, `risks.json`): its name,
/// statbarn, risks, checks and the mitigations common to its risks.
struct Analysis {
    name: &'static str,
    statbarn: &'static str,
    risks: &'static [&'static str],
    checks: &'static [&'static str],
    mitigations: &'static [&'static str],
}

const REQUIRED_ZERO: &str = "RequiredZeroCheck";
const PRESENCE_OF_ZERO: &str = "PresenceOfZeroCheck";
const LINKED_TABLE: &str = "PresenceOfLinkedTableCheck";
const MINIMUM_THRESHOLD: &str = "MinimumThresholdCheck";
const NK: &str = "NKCheck";
const P_PERCENT: &str = "PPercentCheck";
const MINIMUM_DOF: &str = "MinimumDoFCheck";
const MISSING: &str = "MissingCheck";

const FREQUENCIES: (&str, &[&str], &[&str], &[&str]) = (
    "Frequencies",
    &["ClassDisclosure", "Differencing", "LowCount"],
    &[REQUIRED_ZERO, PRESENCE_OF_ZERO, LINKED_TABLE, MINIMUM_THRESHOLD],
    &["Noise", "Suppression"],
);
const LINEAR_AGGREGATIONS: (&str, &[&str], &[&str], &[&str]) = (
    "LinearAggregations",
    &["Dominance", "Differencing", "LowCount"],
    &[NK, P_PERCENT, LINKED_TABLE, MINIMUM_THRESHOLD],
    &["Noise", "Suppression"],
);
const POSITION_OR_ENDPOINTS: (&[&str], &[&str], &[&str]) = (
    &["ClassDisclosure", "LowCount"],
    &[REQUIRED_ZERO, PRESENCE_OF_ZERO, MINIMUM_THRESHOLD],
    &["Noise", "Suppression"],
);
const LOW_DOF: (&[&str], &[&str], &[&str]) =
    (&["LowDOF"], &[MINIMUM_DOF], &["Aggregation", "Noise", "OutlierRemoval", "Suppression"]);

/// The analysis ACRO runs for a table of `aggfunc` (`table_utils.AGGFUNC_TO_TYPE`).
fn table_analysis(aggfunc: Aggfunc) -> Analysis {
    let (statbarn, risks, checks, mitigations) = match aggfunc {
        Aggfunc::Count => FREQUENCIES,
        Aggfunc::Mean | Aggfunc::Sum => LINEAR_AGGREGATIONS,
        Aggfunc::Median => ("Position", POSITION_OR_ENDPOINTS.0, POSITION_OR_ENDPOINTS.1, POSITION_OR_ENDPOINTS.2),
        Aggfunc::Min | Aggfunc::Max => {
            ("Endpoints", POSITION_OR_ENDPOINTS.0, POSITION_OR_ENDPOINTS.1, POSITION_OR_ENDPOINTS.2)
        }
        Aggfunc::Std => ("Shape", LOW_DOF.0, LOW_DOF.1, LOW_DOF.2),
    };
    let name = match aggfunc {
        Aggfunc::Count => "FrequencyTable",
        Aggfunc::Mean => "Mean",
        Aggfunc::Sum => "Sum",
        Aggfunc::Median => "Median",
        Aggfunc::Min => "Minimum",
        Aggfunc::Max => "Maximum",
        Aggfunc::Std => "StandardDeviation",
    };
    Analysis { name, statbarn, risks, checks, mitigations }
}

/// One of ACRO's checks as it ran on an output.
struct AcroCheck {
    name: &'static str,
    status: Status,
    /// The check's summary, as ACRO words it (before the name is put in front).
    summary: String,
    cells: Vec<[usize; 2]>,
}

/// ACRO's summary of a mask: `fail - 2 cells may need suppressing.\n`.
fn mask_summary(status: Status, cells: usize) -> String {
    let word = if status == Status::Pass { "pass" } else { "fail" };
    format!("{word} - {cells} cells may need suppressing.\n")
}

fn rule_check(check: &OutputCheck, rule: Rule) -> Option<&RuleCheck> {
    check.checks.iter().find(|c| c.rule == rule)
}

/// ACRO's checks of `analysis` with the outcomes of `check`'s rules. A check whose rule did
/// not run is left out (nothing is claimed that was not checked).
fn acro_checks(check: &OutputCheck, analysis: &Analysis) -> Vec<AcroCheck> {
    let risk = &check.risk_appetite;
    let missing = rule_check(check, Rule::Missing).is_some();
    let names = analysis.checks.iter().copied().chain(missing.then_some(MISSING));
    names
        .filter_map(|name| {
            let from_rule = |rule: Rule| {
                rule_check(check, rule).map(|rc| {
                    let status = if rc.cells.is_empty() { Status::Pass } else { rc.status };
                    AcroCheck { name, status, summary: mask_summary(status, rc.cells.len()), cells: rc.cells.clone() }
                })
            };
            match name {
                REQUIRED_ZERO => Some(AcroCheck {
                    name,
                    status: Status::Pass,
                    summary: format!("zeros are {} considered disclosive.\n", if risk.zeros_are_disclosive { "" } else { "not" }),
                    cells: Vec::new(),
                }),
                LINKED_TABLE => Some(AcroCheck {
                    name,
                    status: Status::Pass,
                    summary: format!(
                        "A manual review against other outputs for differencing is recommended. Variables defining table are:  {}.\n",
                        py_list(check.table.index.iter().chain(&check.table.columns))
                    ),
                    cells: Vec::new(),
                }),
                PRESENCE_OF_ZERO => from_rule(Rule::Zeros).map(|mut c| {
                    if !risk.zeros_are_disclosive {
                        c.summary.push_str(" - risk appetite states zeros not disclosive.");
                    }
                    c
                }),
                MINIMUM_THRESHOLD => from_rule(Rule::Threshold),
                NK | P_PERCENT => {
                    let rule = if name == NK { Rule::NkRule } else { Rule::PRatio };
                    match rule_check(check, rule) {
                        // Not judged for negative values: ACRO flags the cells that hold them.
                        Some(rc) if rc.status == Status::Review => Some(AcroCheck {
                            name,
                            status: Status::Review,
                            summary: "Dominance not defined when negative value are present".to_owned(),
                            cells: rule_check(check, Rule::Negative).map(|n| n.cells.clone()).unwrap_or_default(),
                        }),
                        _ => from_rule(rule),
                    }
                }
                MINIMUM_DOF => rule_check(check, Rule::Dof).map(|rc| {
                    let status = if rc.cells.is_empty() { Status::Pass } else { Status::Fail };
                    let threshold = risk.safe_dof_threshold;
                    let summary = if status == Status::Pass {
                        format!("pass dof >= {threshold} in every cell")
                    } else {
                        format!("fail dof < {threshold} in {} cells", rc.cells.len())
                    };
                    AcroCheck { name, status, summary, cells: rc.cells.clone() }
                }),
                MISSING => from_rule(Rule::Missing).map(|mut c| {
                    if c.status != Status::Pass {
                        c.status = Status::Review;
                        c.summary.push_str(
                            " Review Notes: missing values have been ignored when calculating mean/std etc. Please check this is the expected behaviour.",
                        );
                    }
                    c
                }),
                _ => None,
            }
        })
        .collect()
}

/// ACRO's `get_overall_summary` of one analysis: its name, then the lines of the checks'
/// summaries (each after its check's name, joined by a space) that hold neither `pass` nor
/// `RequiredZeroCheck`.
fn overall_summary(analysis: &str, checks: &[AcroCheck]) -> String {
    let joined = checks.iter().map(|c| format!("{}: {}", c.name, c.summary)).collect::<Vec<_>>().join(" ");
    let mut summary = format!("{analysis} : ");
    for line in joined.split('\n').filter(|l| !l.contains("pass") && !l.contains(REQUIRED_ZERO)) {
        summary.push('\n');
        summary.push_str(line);
    }
    summary
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Review => "review",
        Status::Fail => "fail",
    }
}

/// What differs between a table's, a regression's and a histogram's record.
struct Shape {
    analysis: Analysis,
    checks: Vec<AcroCheck>,
    properties: Py,
    /// Each file's `sdc`.
    sdc: Py,
    outcome: Py,
    summary: String,
    dependent: String,
    independent: Vec<String>,
}

/// The record of a table: ACRO's `Tables._process_table_output`.
fn table_shape(output: &ResultsOutput<'_>, aggfunc: Aggfunc) -> Shape {
    let check = output.check;
    let analysis = table_analysis(aggfunc);
    let checks = acro_checks(check, &analysis);
    let properties = Py::Dict(vec![
        ("method".to_owned(), Py::str(check.method.name())),
        ("mitigation".to_owned(), Py::str(if check.suppressed { "suppress" } else { "none" })),
    ]);
    let dependent = output.spec.and_then(OutputSpec::table).and_then(|t| t.values.clone());
    Shape {
        sdc: sdc(&checks),
        outcome: outcome(check, &checks),
        summary: overall_summary(analysis.name, &checks),
        analysis,
        checks,
        properties,
        dependent: dependent.unwrap_or_else(|| "unknown".to_owned()),
        independent: check.table.index.iter().chain(&check.table.columns).cloned().collect(),
    }
}

/// The record of a histogram: ACRO's `Tables.hist` (the bins' counts are the file, where ACRO
/// writes the plot).
fn histogram_shape(output: &ResultsOutput<'_>) -> Shape {
    let check = output.check;
    let analysis = Analysis {
        name: "Histogram",
        statbarn: FREQUENCIES.0,
        risks: FREQUENCIES.1,
        checks: FREQUENCIES.2,
        mitigations: FREQUENCIES.3,
    };
    let mut checks = acro_checks(check, &analysis);
    for c in checks.iter_mut().filter(|c| c.name == MINIMUM_THRESHOLD) {
        c.summary.push_str(" Review Notes: Please check extreme bin edges are not disclosive.");
    }
    let mut summary = overall_summary(analysis.name, &checks);
    summary.push_str(if check.suppressed {
        "Disclosive Histogram Redacted."
    } else {
        "Please also check bin ends and empty bins are not disclosive."
    });
    Shape {
        sdc: sdc(&checks),
        outcome: Py::Dict(Vec::new()),
        summary,
        analysis,
        checks,
        properties: Py::Dict(vec![("method".to_owned(), Py::str("histogram"))]),
        dependent: "unknown".to_owned(),
        independent: check.table.index.clone(),
    }
}

/// The record of a regression: ACRO's `Regression._process_output` (the coefficient table is
/// the file; ACRO writes statsmodels' three summary tables).
fn regression_shape(output: &ResultsOutput<'_>) -> Shape {
    let check = output.check;
    let name = match check.method.name() {
        "logit" => "Logit",
        "probit" => "Probit",
        _ => "GeneralLinearModel",
    };
    let analysis = Analysis {
        name,
        statbarn: "CorrelationCoefficients",
        risks: LOW_DOF.0,
        checks: LOW_DOF.1,
        mitigations: LOW_DOF.2,
    };
    let threshold = check.risk_appetite.safe_dof_threshold;
    let dof = check.model.as_ref().map(|m| m.df_resid);
    let mut checks: Vec<AcroCheck> = Vec::new();
    if let Some(rc) = rule_check(check, Rule::Dof) {
        let status = if rc.status == Status::Pass { Status::Pass } else { Status::Fail };
        let comparator = if status == Status::Pass { ">=" } else { "<" };
        let dof = dof.map_or_else(|| "unknown".to_owned(), |d| d.to_string());
        let summary = format!("{} dof={dof} {comparator} {threshold}", status_name(status));
        checks.push(AcroCheck { name: MINIMUM_DOF, status, summary, cells: Vec::new() });
    }
    if let Some(rc) = rule_check(check, Rule::Missing) {
        let summary = format!("{} - {}", status_name(rc.status), rc.note.as_deref().unwrap_or("no missing value"));
        checks.push(AcroCheck { name: MISSING, status: rc.status, summary, cells: Vec::new() });
    }
    // ACRO's summary of one analysis' checks, unfiltered: `MinimumDoFCheck: pass dof=59 >= 10`.
    let summary = checks.iter().map(|c| format!("{}: {}", c.name, c.summary)).collect::<Vec<_>>().join(" ");
    let mut properties = vec![("method".to_owned(), Py::str(check.method.name()))];
    properties.extend(dof.map(|d| ("dof".to_owned(), Py::uint(d))));
    Shape {
        sdc: Py::Dict(Vec::new()),
        outcome: Py::Dict(Vec::new()),
        summary,
        analysis,
        checks,
        properties: Py::Dict(properties),
        dependent: check.model.as_ref().map_or_else(|| "unknown".to_owned(), |m| m.dep_variable.clone()),
        independent: check
            .table
            .row_labels
            .iter()
            .filter_map(|l| l.first())
            .filter(|p| !matches!(p.as_str(), "const" | "Intercept"))
            .cloned()
            .collect(),
    }
}

/// ACRO's `sdc` of a file: per check, how many cells it flags and which (`get_table_sdc`).
fn sdc(checks: &[AcroCheck]) -> Py {
    let counts = checks.iter().map(|c| (c.name.to_owned(), Py::uint(c.cells.len() as u64)));
    let cells = checks.iter().map(|c| {
        let mut cells = c.cells.clone();
        cells.sort_unstable();
        let cells = cells.iter().map(|[r, k]| Py::List(vec![Py::uint(*r as u64), Py::uint(*k as u64)]));
        (c.name.to_owned(), Py::List(cells.collect()))
    });
    Py::Dict(vec![("summary".to_owned(), Py::Dict(counts.collect())), ("cells".to_owned(), Py::Dict(cells.collect()))])
}

/// The record of one output, in ACRO's key order.
fn record(output: &ResultsOutput<'_>) -> Py {
    let check = output.check;
    let shape = match (check.kind, check.aggfunc) {
        (OutputKind::Table, aggfunc) => table_shape(output, aggfunc.unwrap_or(Aggfunc::Count)),
        (OutputKind::Histogram, _) => histogram_shape(output),
        (OutputKind::Regression, _) => regression_shape(output),
    };
    let mut comments: Vec<Py> = output.comments.iter().map(|c| Py::str(c)).collect();
    comments.extend(check.comments.iter().map(|c| Py::str(c)));
    // ACRO's suppression records its own exception; the researcher's request, made after,
    // replaces it (`add_exception`).
    let exception = match (&output.exception, check.suppressed) {
        (Some(e), _) => e.clone(),
        (None, true) => SUPPRESSION_EXCEPTION.to_owned(),
        (None, false) => String::new(),
    };
    let file = Py::Dict(vec![("name".to_owned(), Py::str(&output.file_name)), ("sdc".to_owned(), shape.sdc.clone())]);
    Py::Dict(vec![
        ("uid".to_owned(), Py::str(&output.uid)),
        ("status".to_owned(), Py::str(status_name(check.status))),
        ("type".to_owned(), Py::str(output_type(check.kind))),
        ("properties".to_owned(), shape.properties.clone()),
        ("files".to_owned(), Py::List(vec![file])),
        ("outcome".to_owned(), shape.outcome.clone()),
        ("command".to_owned(), Py::str(&output.command)),
        ("summary".to_owned(), Py::str(&shape.summary)),
        ("timestamp".to_owned(), Py::str(&output.timestamp)),
        ("comments".to_owned(), Py::List(comments)),
        ("exception".to_owned(), Py::str(&exception)),
        ("fair".to_owned(), fair(&shape)),
    ])
}

/// ACRO's `type` of an output.
fn output_type(kind: OutputKind) -> &'static str {
    match kind {
        OutputKind::Table => "table",
        OutputKind::Regression => "regression",
        OutputKind::Histogram => "histogram",
    }
}

/// ACRO's `fair`: the analysis in the ontology's words, every check's status, the variables.
fn fair(shape: &Shape) -> Py {
    let strs = |xs: &[&str]| Py::List(xs.iter().map(|x| Py::str(x)).collect());
    let analysis = &shape.analysis;
    let mut needed: Vec<&str> = analysis.checks.to_vec();
    if shape.checks.iter().any(|c| c.name == MISSING) {
        needed.push(MISSING);
    }
    Py::Dict(vec![
        ("context".to_owned(), Py::str("https://w3id.org/statbarnsdc#")),
        ("statbarn".to_owned(), Py::str(analysis.statbarn)),
        ("risks".to_owned(), strs(analysis.risks)),
        ("checks_needed".to_owned(), strs(&needed)),
        ("common_mitigations".to_owned(), strs(analysis.mitigations)),
        (
            "check_status".to_owned(),
            Py::Dict(shape.checks.iter().map(|c| (c.name.to_owned(), Py::str(status_name(c.status)))).collect()),
        ),
        ("dependent".to_owned(), Py::str(&shape.dependent)),
        ("independent".to_owned(), Py::List(shape.independent.iter().map(|x| Py::str(x)).collect())),
    ])
}

/// ACRO's `outcome`: per cell the names of the checks that flag it (`"NKCheck; "`...) or `ok`,
/// as pandas' `DataFrame.to_json()` writes it: `{column: {row: text}}`.
fn outcome(check: &OutputCheck, checks: &[AcroCheck]) -> Py {
    let table = &check.table;
    let mut grid: Vec<Vec<String>> = vec![vec![String::new(); table.column_labels.len()]; table.row_labels.len()];
    for c in checks {
        for [r, k] in &c.cells {
            if let Some(cell) = grid.get_mut(*r).and_then(|row| row.get_mut(*k)) {
                cell.push_str(c.name);
                cell.push_str("; ");
            }
        }
    }
    let columns = table.column_labels.iter().enumerate().map(|(k, column)| {
        let rows = table.row_labels.iter().enumerate().map(|(r, row)| {
            let text = grid.get(r).and_then(|g| g.get(k)).filter(|t| !t.is_empty()).map_or("ok", String::as_str);
            (label_key(row), Py::str(text))
        });
        (label_key(column), Py::Dict(rows.collect()))
    });
    Py::Dict(columns.collect())
}

/// A row or column label as pandas' `to_json` names it: the label of a single level, the
/// Python `repr` of the tuple of several.
fn label_key(label: &[String]) -> String {
    match label {
        [one] => one.clone(),
        many => format!("({})", many.iter().map(|l| py_label(l)).collect::<Vec<_>>().join(", ")),
    }
}

/// The Python `repr` of a label in a tuple: a number when it reads as one (pandas reads
/// numeric key columns as numbers), else a string.
fn py_label(label: &str) -> String {
    let numeric = !label.is_empty() && label.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | 'e' | '+'));
    if numeric {
        if let Ok(i) = label.parse::<i64>() {
            return i.to_string();
        }
        if let Ok(x) = label.parse::<f64>() {
            return py_float(x);
        }
    }
    py_str(label)
}

// ---------------------------------------------------------------------------------------------
// The output's CSV
// ---------------------------------------------------------------------------------------------

/// The table as pandas' `DataFrame.to_csv()` writes it with the index: the header (one row
/// per column level, then the index names, when the columns have several levels), then each
/// row's labels and values; a column holding only counts is written as integers, any other as
/// floats (`9.0`), as pandas types a column; NaN is empty.
fn output_csv(check: &OutputCheck) -> String {
    let t = &check.table;
    // statsmodels' coefficient table has no index name.
    let index_names =
        if check.kind == OutputKind::Regression { vec![String::new(); t.index.len()] } else { t.index.clone() };
    let mut rows: Vec<Vec<String>> = Vec::new();
    let index_levels = t.index.len().max(1);
    if t.columns.len() > 1 {
        for (level, name) in t.columns.iter().enumerate() {
            let mut row = vec![name.clone()];
            row.extend(std::iter::repeat_n(String::new(), index_levels - 1));
            row.extend(t.column_labels.iter().map(|l| l.get(level).cloned().unwrap_or_default()));
            rows.push(row);
        }
        let mut names = index_names;
        names.extend(std::iter::repeat_n(String::new(), t.column_labels.len()));
        rows.push(names);
    } else {
        let mut header = index_names;
        header.extend(t.column_labels.iter().map(|l| l.first().cloned().unwrap_or_default()));
        rows.push(header);
    }
    let integer_column: Vec<bool> = (0..t.column_labels.len())
        .map(|k| t.values.iter().all(|row| matches!(row.get(k), Some(Some(CellValue::Count(_))))))
        .collect();
    for (labels, values) in t.row_labels.iter().zip(&t.values) {
        let mut row = labels.clone();
        row.extend(values.iter().zip(&integer_column).map(|(v, integer)| match v {
            None => String::new(),
            Some(CellValue::Count(n)) if *integer => n.to_string(),
            Some(CellValue::Count(n)) => py_float(*n as f64),
            Some(CellValue::Number(x)) if x.is_nan() => String::new(),
            Some(CellValue::Number(x)) => py_float(*x),
        }));
        rows.push(row);
    }
    let mut csv = String::new();
    for row in rows {
        let fields: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        csv.push_str(&fields.join(","));
        csv.push('\n');
    }
    csv
}

/// A field as Python's `csv` module writes it (`QUOTE_MINIMAL`).
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn tuple_labels_are_keyed_as_pandas_keys_them() {
        assert_eq!(label_key(&["x".to_owned(), "1".to_owned()]), "('x', 1)");
        assert_eq!(label_key(&["All".to_owned(), String::new()]), "('All', '')");
        assert_eq!(label_key(&["1.5".to_owned(), "inf".to_owned()]), "(1.5, 'inf')");
        assert_eq!(label_key(&["p".to_owned()]), "p");
    }

    #[test]
    fn summaries_keep_the_lines_acro_keeps() {
        let checks = [
            AcroCheck {
                name: REQUIRED_ZERO,
                status: Status::Pass,
                summary: "zeros are  considered disclosive.\n".to_owned(),
                cells: vec![],
            },
            AcroCheck {
                name: PRESENCE_OF_ZERO,
                status: Status::Pass,
                summary: mask_summary(Status::Pass, 0),
                cells: vec![],
            },
            AcroCheck {
                name: MINIMUM_THRESHOLD,
                status: Status::Fail,
                summary: mask_summary(Status::Fail, 1),
                cells: vec![[0, 0]],
            },
        ];
        assert_eq!(
            overall_summary("FrequencyTable", &checks),
            "FrequencyTable : \n MinimumThresholdCheck: fail - 1 cells may need suppressing.\n"
        );
    }

    fn check(csv: &str, spec: &str, risk: Option<&str>) -> OutputCheck {
        crate::check(csv.as_bytes(), "d.csv", spec, risk).unwrap()
    }

    const THRESHOLD_CSV: &str =
        "g,c\nx,p\nx,p\nx,p\nx,p\nx,p\nx,p\nx,p\nx,p\nx,p\ny,p\ny,p\ny,p\ny,p\ny,p\ny,p\ny,p\ny,p\ny,p\ny,p\n";

    fn files_of(outputs: &[ResultsOutput<'_>]) -> Vec<(String, Vec<u8>)> {
        results_directory(outputs).unwrap()
    }

    fn file<'f>(files: &'f [(String, Vec<u8>)], name: &str) -> &'f str {
        std::str::from_utf8(&files.iter().find(|(n, _)| n == name).unwrap().1).unwrap()
    }

    #[test]
    fn a_frequency_table_gives_acros_record() {
        let out = check(THRESHOLD_CSV, r#"{"method":"crosstab","index":"g","columns":"c"}"#, None);
        let mut o = ResultsOutput::new("output_0", &out, "t = acro.crosstab(df.g, df.c)", "2026-12-02T14:43:28.134663");
        o.comments = vec!["a comment".to_owned()];
        o.exception = Some("it is fine".to_owned());
        let files = files_of(&[o]);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "results.json",
                "output_0_0.csv",
                "checksums/output_0_0.csv.txt",
                "checksums/results.json.txt",
                "config.json"
            ]
        );
        assert_eq!(file(&files, "output_0_0.csv"), "g,p\nx,9\ny,10\n");
        let results: serde_json::Value = serde_json::from_str(file(&files, "results.json")).unwrap();
        assert_eq!(results["version"], "1.0.2");
        let r = &results["results"]["output_0"];
        let want = serde_json::json!({
            "uid": "output_0", "status": "fail", "type": "table",
            "properties": {"method": "crosstab", "mitigation": "none"},
            "files": [{"name": "output_0_0.csv", "sdc": {
                "summary": {"RequiredZeroCheck": 0, "PresenceOfZeroCheck": 0, "PresenceOfLinkedTableCheck": 0, "MinimumThresholdCheck": 1},
                "cells": {"RequiredZeroCheck": [], "PresenceOfZeroCheck": [], "PresenceOfLinkedTableCheck": [], "MinimumThresholdCheck": [[0, 0]]}}}],
            "outcome": {"p": {"x": "MinimumThresholdCheck; ", "y": "ok"}},
            "command": "t = acro.crosstab(df.g, df.c)",
            "summary": "FrequencyTable : \n PresenceOfLinkedTableCheck: A manual review against other outputs for differencing is recommended. Variables defining table are:  ['g', 'c'].\n MinimumThresholdCheck: fail - 1 cells may need suppressing.\n",
            "timestamp": "2026-12-02T14:43:28.134663",
            "comments": ["a comment"],
            "exception": "it is fine",
            "fair": {
                "context": "https://w3id.org/statbarnsdc#", "statbarn": "Frequencies",
                "risks": ["ClassDisclosure", "Differencing", "LowCount"],
                "checks_needed": ["RequiredZeroCheck", "PresenceOfZeroCheck", "PresenceOfLinkedTableCheck", "MinimumThresholdCheck"],
                "common_mitigations": ["Noise", "Suppression"],
                "check_status": {"RequiredZeroCheck": "pass", "PresenceOfZeroCheck": "pass", "PresenceOfLinkedTableCheck": "pass", "MinimumThresholdCheck": "fail"},
                "dependent": "unknown", "independent": ["g", "c"]}
        });
        assert_eq!(r, &want);
        // Key order is ACRO's (the viewer shows it so; serde_json keeps it with preserve_order).
        let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "uid",
                "status",
                "type",
                "properties",
                "files",
                "outcome",
                "command",
                "summary",
                "timestamp",
                "comments",
                "exception",
                "fair"
            ]
        );
    }

    #[test]
    fn the_directory_is_deterministic_and_its_checksums_verify() {
        let out = check(THRESHOLD_CSV, r#"{"method":"crosstab","index":"g","columns":"c","margins":true}"#, None);
        let make = || {
            files_of(&[ResultsOutput::new("output_0", &out, "c", "t"), ResultsOutput::new("output_1", &out, "c", "t")])
        };
        let files = make();
        assert_eq!(files, make());
        let checksums: Vec<_> = files.iter().filter(|(n, _)| n.starts_with("checksums/")).collect();
        assert_eq!(checksums.len(), 3);
        for (name, sum) in checksums {
            let of = name.strip_prefix("checksums/").unwrap().strip_suffix(".txt").unwrap();
            let bytes = &files.iter().find(|(n, _)| n == of).unwrap().1;
            assert_eq!(std::str::from_utf8(sum).unwrap(), hex::encode(Sha256::digest(bytes)));
            assert_eq!(sum.len(), 64);
        }
        assert!(!file(&files, "results.json").ends_with('\n'));
        assert!(file(&files, "results.json").is_ascii());
    }

    #[test]
    fn multi_level_tables_are_written_as_pandas_writes_them() {
        let csv = "a,k,b,c,v\nx,1,p,u,1.5\nx,2,p,w,2\ny,1,q,u,3\n";
        let spec = r#"{"method":"crosstab","index":["a","k"],"columns":["b","c"],"values":"v","aggfunc":"mean","margins":true}"#;
        let out = check(csv, spec, None);
        let files = files_of(&[ResultsOutput::new("output_0", &out, "c", "t")]);
        let table = file(&files, "output_0_0.csv");
        let mut lines = table.lines();
        assert_eq!(lines.next(), Some("b,,p,p,q,All"));
        assert_eq!(lines.next(), Some("c,,u,w,u,"));
        assert_eq!(lines.next(), Some("a,k,,,,"));
        assert_eq!(lines.next(), Some("x,1,1.5,,,1.5"));
        let results: serde_json::Value = serde_json::from_str(file(&files, "results.json")).unwrap();
        let outcome = &results["results"]["output_0"]["outcome"];
        assert!(outcome["('p', 'u')"]["('x', 1)"].as_str().unwrap().contains("MinimumThresholdCheck; "));
        assert!(outcome["('All', '')"]["('All', '')"].is_string());
    }

    #[test]
    fn negative_values_make_dominance_a_review_of_their_cells() {
        let csv = "g,c,v\nx,p,-1\nx,p,5\ny,p,3\n";
        let out = check(csv, r#"{"method":"crosstab","index":"g","columns":"c","values":"v","aggfunc":"sum"}"#, None);
        let files = files_of(&[ResultsOutput::new("output_0", &out, "c", "t")]);
        let results: serde_json::Value = serde_json::from_str(file(&files, "results.json")).unwrap();
        let r = &results["results"]["output_0"];
        assert_eq!(r["files"][0]["sdc"]["cells"]["NKCheck"], serde_json::json!([[0, 0]]));
        assert_eq!(r["fair"]["check_status"]["PPercentCheck"], "review");
        assert_eq!(r["outcome"]["p"]["x"], "NKCheck; PPercentCheck; MinimumThresholdCheck; ");
        assert!(r["summary"].as_str().unwrap().starts_with(
            "Sum : \nNKCheck: Dominance not defined when negative value are present PPercentCheck: Dominance"
        ));
        assert_eq!(file(&files, "output_0_0.csv"), "g,p\nx,4.0\ny,3.0\n");
    }

    #[test]
    fn names_that_would_escape_or_collide_are_refused() {
        let out = check(THRESHOLD_CSV, r#"{"method":"crosstab","index":"g","columns":"c"}"#, None);
        assert_eq!(results_directory(&[]), Err(ResultsError::NoOutputs));
        let bad = ResultsOutput::new("../x", &out, "c", "t");
        assert!(matches!(results_directory(&[bad]), Err(ResultsError::Uid { .. })));
        let mut bad = ResultsOutput::new("output_0", &out, "c", "t");
        bad.file_name = "results.json".to_owned();
        assert!(matches!(results_directory(&[bad]), Err(ResultsError::FileName { .. })));
        let twice = [ResultsOutput::new("output_0", &out, "c", "t"), ResultsOutput::new("output_0", &out, "c", "t")];
        assert!(matches!(results_directory(&twice), Err(ResultsError::Duplicate { what: "uid", .. })));
        let other =
            check(THRESHOLD_CSV, r#"{"method":"crosstab","index":"g","columns":"c"}"#, Some(r#"{"safe_threshold":5}"#));
        let mixed = [ResultsOutput::new("output_0", &out, "c", "t"), ResultsOutput::new("output_1", &other, "c", "t")];
        assert!(matches!(results_directory(&mixed), Err(ResultsError::RiskAppetites { .. })));
    }
}
