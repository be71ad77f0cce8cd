//! One call from microdata, spec and risk appetite to the checked output: the JSON contract.

use crate::histogram::{Histogram, HistogramError};
use crate::microdata::{Microdata, MicrodataError, ReadOptions};
use crate::regression::{Regression, RegressionError, RegressionFit};
use crate::risk::{RiskAppetite, RiskError};
use crate::rules::{self, Rule, RuleCheck, Status};
use crate::spec::{Aggfunc, Method, OutputKind, OutputSpec, SpecError};
use crate::suppress;
use crate::table::{CellValue, Table, TableError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A checked output: the output built and every rule's outcome. Deterministic: the same inputs
/// give the same JSON.
///
/// One shape for every kind of output: a table's cells, a regression's coefficient table
/// (rows: parameters; columns: `coef`, `std err`, `t`|`z`, `P>|t|`|`P>|z|`, `[0.025`,
/// `0.975]`) or a histogram's bins (rows: bins; one column: `count`) are all in `table`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutputCheck {
    /// Fail if any rule fails, else review if any asks for review, else pass. A suppressed
    /// output is `review` (ACRO: "Suppression automatically applied where needed").
    pub status: Status,
    /// The kind of output: `table`, `regression` or `histogram` (ACRO's `type`).
    pub kind: OutputKind,
    /// The ACRO command that made it (`crosstab`, `pivot_table`, `ols`, `logit`, `probit`,
    /// `hist`).
    pub method: Method,
    /// The aggregation of a table's cells (absent for regressions and histograms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggfunc: Option<Aggfunc>,
    /// The output built, as released: a suppressed cell is `null`.
    pub table: OutputTable,
    /// A regression's model statistics (absent for tables and histograms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<RegressionFit>,
    /// Every rule that applies, in a fixed order, with the cells it flags. With suppression,
    /// these are the findings on the output before suppression (the cells suppressed).
    pub checks: Vec<RuleCheck>,
    /// Per rule, how many cells it flags (ACRO's `sdc.summary`); a rule that judges a whole
    /// regression or histogram rather than cells (`dof`, `missing`) counts 1 when it does not
    /// pass.
    pub summary: BTreeMap<Rule, usize>,
    /// What the building changed (rows, columns or records left out), what the output checker
    /// should look at, and what suppression did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<String>,
    /// Whether cells were suppressed (`CheckOptions::suppress` and a cell failed).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
    /// The `[row, column]` positions masked by suppression, in row order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed_cells: Vec<[usize; 2]>,
    /// The risk appetite applied.
    pub risk_appetite: RiskAppetite,
}

/// An output as released: labels and values, no counts behind them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutputTable {
    /// The names of the row levels: a table's `index` columns, `["parameter"]` for a
    /// regression, the binned column for a histogram.
    pub index: Vec<String>,
    /// The names of the column levels (none for a `pivot_table` without `columns`, a
    /// regression or a histogram).
    pub columns: Vec<String>,
    /// Per row, its label in each row level; the margins row is `["All", "", ...]`; a
    /// regression's rows are its parameters, a histogram's its bins (`[lower, upper)`).
    pub row_labels: Vec<Vec<String>>,
    /// Per column, its label in each column level; the margins column is `["All", "", ...]`.
    pub column_labels: Vec<Vec<String>>,
    /// The values, row by row; `null` where pandas shows NaN, and where a cell is suppressed.
    pub values: Vec<Vec<Option<CellValue>>>,
    /// Whether the last row (and column, when there are `columns`) are the margins.
    pub margins: bool,
    /// A histogram's bin edges (one more than its bins).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bin_edges: Vec<f64>,
}

impl From<&Table> for OutputTable {
    fn from(table: &Table) -> Self {
        OutputTable {
            index: table.index.clone(),
            columns: table.columns.clone(),
            row_labels: table.row_labels.clone(),
            column_labels: table.column_labels.clone(),
            values: table.cells.iter().map(|row| row.iter().map(|c| c.value).collect()).collect(),
            margins: table.margins,
            bin_edges: Vec::new(),
        }
    }
}

/// How to check an output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// Suppress the cells that fail, as ACRO's `suppress=True`: a table's failing cells are
    /// masked and their records left out of the margins, which are recomputed from the records
    /// that remain; a histogram's failing bins are masked; a regression is left as it is. A
    /// suppressed output asks for review.
    pub suppress: bool,
}

/// Builds the output `spec_json` asks for from the microdata `csv` (named `csv_name` in
/// errors) and checks it with the risk appetite `risk_json` (ACRO's defaults when `None`).
///
/// # Errors
/// When the spec or the risk appetite is malformed, the microdata is not readable CSV, the spec
/// names a column the microdata lacks, or the output cannot be built. Nothing is checked then:
/// the caller fails closed.
pub fn check(csv: &[u8], csv_name: &str, spec_json: &str, risk_json: Option<&str>) -> Result<OutputCheck, OutputError> {
    let spec = OutputSpec::from_json(spec_json)?;
    let risk = risk_json.map(RiskAppetite::from_json).transpose()?.unwrap_or_default();
    check_spec(csv, csv_name, &spec, &risk)
}

/// [`check`] with the spec and risk appetite already read.
///
/// # Errors
/// As [`check`].
pub fn check_spec(
    csv: &[u8],
    csv_name: &str,
    spec: &OutputSpec,
    risk: &RiskAppetite,
) -> Result<OutputCheck, OutputError> {
    check_spec_with(csv, csv_name, spec, risk, &CheckOptions::default())
}

/// [`check_spec`] with options (suppression).
///
/// # Errors
/// As [`check`].
pub fn check_spec_with(
    csv: &[u8],
    csv_name: &str,
    spec: &OutputSpec,
    risk: &RiskAppetite,
    options: &CheckOptions,
) -> Result<OutputCheck, OutputError> {
    risk.validate()?;
    spec.validate()?;
    let read = ReadOptions { column_types: spec.column_types().clone(), only: Some(spec.columns_used()) };
    let data = Microdata::from_csv(csv, csv_name, &read)?;
    spec.check_columns(&data)?;
    match spec {
        OutputSpec::Crosstab(_) | OutputSpec::PivotTable(_) => check_table(&data, spec, risk, options),
        OutputSpec::Ols(r) | OutputSpec::Logit(r) | OutputSpec::Probit(r) => {
            let regression = Regression::fit(&data, spec.method(), r)?;
            Ok(check_regression(regression, spec.method(), risk, options))
        }
        OutputSpec::Hist(h) => {
            let histogram = Histogram::build(&data, h)?;
            let missing =
                data.column(&h.column).map_or(0, |c| (0..data.records()).filter(|r| c.is_missing(*r)).count());
            Ok(check_histogram(histogram, missing as u64, risk, options))
        }
    }
}

fn check_table(
    data: &Microdata,
    spec: &OutputSpec,
    risk: &RiskAppetite,
    options: &CheckOptions,
) -> Result<OutputCheck, OutputError> {
    let plan = spec.plan()?;
    // The p-ratio needs the two largest values of a cell, the NK rule the N largest.
    let keep_top = usize::try_from(risk.safe_nk_n).unwrap_or(usize::MAX).max(2);
    let table = Table::build(data, &plan, keep_top)?;
    let checks = rules::check_table(&table, plan.values.is_some(), risk);
    let mut out = OutputCheck {
        status: rules::overall(&checks),
        kind: OutputKind::Table,
        method: plan.method,
        aggfunc: Some(plan.aggfunc),
        table: OutputTable::from(&table),
        model: None,
        summary: summary(&checks, false),
        checks,
        comments: table.comments.clone(),
        suppressed: false,
        suppressed_cells: Vec::new(),
        risk_appetite: risk.clone(),
    };
    if options.suppress
        && let Some(done) = suppress::suppress_table(data, &plan, keep_top, risk, &table, &out.checks)?
    {
        out.table = OutputTable::from(&done.table);
        apply(&mut out, done.masked, done.comment);
    }
    Ok(out)
}

/// Marks `out` suppressed: its `masked` cells `null`, the status `review`, the comment added.
fn apply(out: &mut OutputCheck, masked: Vec<[usize; 2]>, comment: String) {
    for [r, c] in &masked {
        if let Some(cell) = out.table.values.get_mut(*r).and_then(|row| row.get_mut(*c)) {
            *cell = None;
        }
    }
    out.status = Status::Review;
    out.suppressed = true;
    out.suppressed_cells = masked;
    out.comments.push(comment);
}

fn check_regression(
    regression: Regression,
    method: Method,
    risk: &RiskAppetite,
    options: &CheckOptions,
) -> OutputCheck {
    let fit = &regression.fit;
    let dof = fit.df_resid;
    let parameters = regression.parameters.len();
    let passes = dof >= risk.safe_dof_threshold;
    let note = format!(
        "residual degrees of freedom {dof} = {} observations - {parameters} parameters, {} the threshold {}",
        fit.nobs,
        if passes { "at least" } else { "below" },
        risk.safe_dof_threshold
    );
    let mut checks = vec![RuleCheck {
        rule: Rule::Dof,
        status: if passes { Status::Pass } else { Status::Fail },
        cells: Vec::new(),
        note: Some(note),
    }];
    checks.extend(missing_check(fit.dropped, risk));
    let mut comments = regression.comments.clone();
    if options.suppress {
        comments.push("suppression does not apply to a regression: nothing is masked".to_owned());
    }
    let table = OutputTable {
        index: vec!["parameter".to_owned()],
        columns: Vec::new(),
        row_labels: regression.parameters.iter().map(|p| vec![p.clone()]).collect(),
        column_labels: regression.columns.iter().map(|c| vec![c.clone()]).collect(),
        values: regression.rows.iter().map(|row| row.iter().map(|v| v.map(CellValue::Number)).collect()).collect(),
        margins: false,
        bin_edges: Vec::new(),
    };
    OutputCheck {
        status: rules::overall(&checks),
        kind: OutputKind::Regression,
        method,
        aggfunc: None,
        table,
        model: Some(regression.fit),
        summary: summary(&checks, true),
        checks,
        comments,
        suppressed: false,
        suppressed_cells: Vec::new(),
        risk_appetite: risk.clone(),
    }
}

fn check_histogram(histogram: Histogram, missing: u64, risk: &RiskAppetite, options: &CheckOptions) -> OutputCheck {
    let mut checks = rules::check_table(&histogram.table, false, risk);
    checks.extend(missing_check(missing, risk));
    let mut table = OutputTable::from(&histogram.table);
    table.bin_edges = histogram.edges;
    let mut out = OutputCheck {
        status: rules::overall(&checks),
        kind: OutputKind::Histogram,
        method: Method::Hist,
        aggfunc: None,
        table,
        model: None,
        summary: summary(&checks, true),
        checks,
        comments: histogram.table.comments.clone(),
        suppressed: false,
        suppressed_cells: Vec::new(),
        risk_appetite: risk.clone(),
    };
    if options.suppress
        && let Some((masked, comment)) = suppress::suppress_bins(&histogram.table, &out.checks)
    {
        apply(&mut out, masked, comment);
    }
    out
}

/// The `missing` rule of a regression or a histogram: records left out for a missing value
/// ask for review when the risk appetite checks missing values.
fn missing_check(dropped: u64, risk: &RiskAppetite) -> Option<RuleCheck> {
    risk.check_missing_values.then(|| RuleCheck {
        rule: Rule::Missing,
        status: if dropped > 0 { Status::Review } else { Status::Pass },
        cells: Vec::new(),
        note: (dropped > 0).then(|| format!("{dropped} records with a missing value left out")),
    })
}

/// Per rule, the cells it flags; with `whole`, a rule flagging no cell but not passing counts 1.
fn summary(checks: &[RuleCheck], whole: bool) -> BTreeMap<Rule, usize> {
    checks
        .iter()
        .map(|c| {
            let count = if whole && c.cells.is_empty() && c.status != Status::Pass { 1 } else { c.cells.len() };
            (c.rule, count)
        })
        .collect()
}

/// Why an output could not be checked.
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
pub enum OutputError {
    /// The spec is malformed or does not fit the microdata.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Spec(#[from] SpecError),
    /// The risk appetite is malformed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Risk(#[from] RiskError),
    /// The microdata cannot be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Microdata(#[from] MicrodataError),
    /// The table cannot be built.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Table(#[from] TableError),
    /// The regression cannot be fitted.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Regression(#[from] RegressionError),
    /// The histogram cannot be built.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Histogram(#[from] HistogramError),
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn the_contract_reads_back_and_has_a_schema() {
        let csv = "a,b,v\nx,p,1\nx,q,2\ny,p,3\n";
        let spec = r#"{"method":"crosstab","index":"a","columns":"b","values":"v","aggfunc":"sum","margins":true}"#;
        let out = check(csv.as_bytes(), "d.csv", spec, None).unwrap();
        let json = serde_json::to_string(&out).unwrap();
        assert_eq!(serde_json::from_str::<OutputCheck>(&json).unwrap(), out);
        assert_eq!(out.status, Status::Fail);
        let schema = serde_json::to_value(schemars::schema_for!(OutputCheck)).unwrap();
        assert!(schema["properties"]["checks"].is_object());
    }

    #[test]
    fn regressions_and_histograms_share_the_contract() {
        let csv = "y,x\n1,0\n3,1\n4,2\n";
        let out =
            check(csv.as_bytes(), "d.csv", r#"{"method":"ols","endog":"y","exog":"x","add_constant":true}"#, None)
                .unwrap();
        assert_eq!(
            (out.kind, out.method, out.aggfunc, out.status),
            (OutputKind::Regression, Method::Ols, None, Status::Fail)
        );
        assert_eq!(out.summary.get(&Rule::Dof), Some(&1));
        let json = serde_json::to_value(&out).unwrap();
        assert!(json.get("aggfunc").is_none() && json.get("suppressed").is_none());
        assert_eq!(json["kind"], "regression");
        assert_eq!(serde_json::from_value::<OutputCheck>(json).unwrap(), out);

        let out = check(b"v\n1\n2\n", "d.csv", r#"{"method":"hist","column":"v","bins":2}"#, None).unwrap();
        assert_eq!((out.kind, out.table.bin_edges.len()), (OutputKind::Histogram, 3));
        assert_eq!(serde_json::to_value(&out).unwrap()["table"]["binEdges"], serde_json::json!([1.0, 1.5, 2.0]));
    }

    #[test]
    fn suppression_masks_failing_bins_and_leaves_regressions() {
        let spec = OutputSpec::from_json(r#"{"method":"hist","column":"v","bins":2}"#).unwrap();
        let mut csv = "v\n".to_owned();
        csv.push_str(&"1\n".repeat(3));
        csv.push_str(&"2\n".repeat(12));
        let options = CheckOptions { suppress: true };
        let out = check_spec_with(csv.as_bytes(), "d.csv", &spec, &RiskAppetite::default(), &options).unwrap();
        assert_eq!((out.status, out.suppressed, out.suppressed_cells.clone()), (Status::Review, true, vec![[0, 0]]));
        assert_eq!(out.table.values, [vec![None], vec![Some(CellValue::Count(12))]]);
        assert_eq!(out.checks[0].cells, [[0, 0]], "the findings before suppression stay");

        let spec = OutputSpec::from_json(r#"{"method":"ols","endog":"v","add_constant":true}"#).unwrap();
        let out = check_spec_with(csv.as_bytes(), "d.csv", &spec, &RiskAppetite::default(), &options).unwrap();
        assert_eq!((out.status, out.suppressed), (Status::Pass, false));
        assert!(out.comments.iter().any(|c| c.starts_with("suppression does not apply")));
    }

    #[test]
    fn suppression_recomputes_until_nothing_released_fails() {
        // (x, p) holds the only negative value: dominance is a matter of review, so only its
        // threshold fails. Once it is suppressed, (y, q)'s dominance is judged and fails.
        let mut csv = "a,b,v\n".to_owned();
        csv.push_str("x,p,-1\n");
        csv.push_str(&"x,q,5\n".repeat(10));
        csv.push_str(&"y,p,5\n".repeat(10));
        csv.push_str("y,q,1000\n");
        csv.push_str(&"y,q,1\n".repeat(9));
        let spec = OutputSpec::from_json(
            r#"{"method":"crosstab","index":"a","columns":"b","values":"v","aggfunc":"sum","margins":true}"#,
        )
        .unwrap();
        let options = CheckOptions { suppress: true };
        let out = check_spec_with(csv.as_bytes(), "d.csv", &spec, &RiskAppetite::default(), &options).unwrap();
        assert_eq!(out.status, Status::Review);
        assert!(out.suppressed_cells.contains(&[0, 0]) && out.suppressed_cells.contains(&[1, 1]), "{out:?}");
        // y's margin now holds only (y, p): 50; the total 100 (x, q) + 50.
        assert_eq!(out.table.values[1][2], Some(CellValue::Number(50.0)));
        assert_eq!(out.table.values[2][2], Some(CellValue::Number(100.0)));
    }

    #[test]
    fn errors_fail_closed_and_name_where() {
        let err =
            check(b"a,b\n1,2\n", "d.csv", r#"{"method":"crosstab","index":"a","columns":"c"}"#, None).unwrap_err();
        assert!(matches!(err, OutputError::Spec(SpecError::UnknownColumn { ref path, .. }) if path == "/columns"));
        let err = check(b"a,b\n1,2\n", "d.csv", r#"{"method":"crosstab","index":"a","columns":"b"}"#, Some("[]"))
            .unwrap_err();
        assert!(matches!(err, OutputError::Risk(_)));
    }
}
