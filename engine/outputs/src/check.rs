//! One call from microdata, spec and risk appetite to the checked output: the JSON contract.

use crate::microdata::{Microdata, MicrodataError, ReadOptions};
use crate::risk::{RiskAppetite, RiskError};
use crate::rules::{self, Rule, RuleCheck, Status};
use crate::spec::{Aggfunc, Method, OutputSpec, SpecError};
use crate::table::{CellValue, Table, TableError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A checked output: the table built and every rule's outcome. Deterministic: the same inputs
/// give the same JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutputCheck {
    /// Fail if any rule fails, else review if any asks for review, else pass.
    pub status: Status,
    /// The kind of table.
    pub method: Method,
    /// The aggregation of its cells.
    pub aggfunc: Aggfunc,
    /// The table built.
    pub table: OutputTable,
    /// Every rule that applies, in a fixed order, with the cells it flags.
    pub checks: Vec<RuleCheck>,
    /// Per rule, how many cells it flags (ACRO's `sdc.summary`).
    pub summary: BTreeMap<Rule, usize>,
    /// What the building changed (rows or columns left out, as pandas leaves them out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<String>,
    /// The risk appetite applied.
    pub risk_appetite: RiskAppetite,
}

/// A table as released: labels and values, no counts behind them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutputTable {
    /// The names of the row levels.
    pub index: Vec<String>,
    /// The names of the column levels (none for a `pivot_table` without `columns`).
    pub columns: Vec<String>,
    /// Per row, its label in each row level; the margins row is `["All", "", ...]`.
    pub row_labels: Vec<Vec<String>>,
    /// Per column, its label in each column level; the margins column is `["All", "", ...]`.
    pub column_labels: Vec<Vec<String>>,
    /// The values, row by row; `null` where pandas shows NaN.
    pub values: Vec<Vec<Option<CellValue>>>,
    /// Whether the last row (and column, when there are `columns`) are the margins.
    pub margins: bool,
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
        }
    }
}

/// Builds the output `spec_json` asks for from the microdata `csv` (named `csv_name` in
/// errors) and checks it with the risk appetite `risk_json` (ACRO's defaults when `None`).
///
/// # Errors
/// When the spec or the risk appetite is malformed, the microdata is not readable CSV, the spec
/// names a column the microdata lacks, or the table cannot be built. Nothing is checked then:
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
    risk.validate()?;
    let plan = spec.plan()?;
    let options = ReadOptions { column_types: spec.column_types().clone(), only: Some(spec.columns_used()) };
    let data = Microdata::from_csv(csv, csv_name, &options)?;
    spec.check_columns(&data)?;
    // The p-ratio needs the two largest values of a cell, the NK rule the N largest.
    let keep_top = usize::try_from(risk.safe_nk_n).unwrap_or(usize::MAX).max(2);
    let table = Table::build(&data, &plan, keep_top)?;
    let checks = rules::check_table(&table, plan.values.is_some(), risk);
    Ok(OutputCheck {
        status: rules::overall(&checks),
        method: plan.method,
        aggfunc: plan.aggfunc,
        table: OutputTable::from(&table),
        summary: checks.iter().map(|c| (c.rule, c.cells.len())).collect(),
        checks,
        comments: table.comments,
        risk_appetite: risk.clone(),
    })
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
    fn errors_fail_closed_and_name_where() {
        let err =
            check(b"a,b\n1,2\n", "d.csv", r#"{"method":"crosstab","index":"a","columns":"c"}"#, None).unwrap_err();
        assert!(matches!(err, OutputError::Spec(SpecError::UnknownColumn { ref path, .. }) if path == "/columns"));
        let err = check(b"a,b\n1,2\n", "d.csv", r#"{"method":"crosstab","index":"a","columns":"b"}"#, Some("[]"))
            .unwrap_err();
        assert!(matches!(err, OutputError::Risk(_)));
    }
}
