//! The output specification: what to build from the microdata, in ACRO's argument names.
//!
//! `{"method": "crosstab", "index": ["sex", "age_band"], "columns": "region", "values": "income",
//! "aggfunc": "mean", "margins": true, "column_types": {"region": "categorical"}}`.
//!
//! As in ACRO (`acro_tables.py`): a `crosstab` without `aggfunc` is a frequency table (so is one
//! with `count` and no `values`, which pandas would refuse), a `crosstab` with `values` needs an
//! `aggfunc`, and one with an `aggfunc` other than `count` needs `values`; a `pivot_table` needs
//! `values`, its `aggfunc` defaults to `mean` and its `columns` may be left out (one column,
//! labelled with the `values` column's name, as pandas labels it).
//!
//! Models and plots take ACRO's argument names too (`acro_regression.py`, `acro_tables.py`):
//! - `{"method": "ols"|"logit"|"probit", "endog": "y", "exog": ["x1", "x2"], "add_constant":
//!   true}`: a regression of `endog` on `exog`, with a `const` column of ones first when
//!   `add_constant` (ACRO's `add_constant`; statsmodels adds none by default, nor does this);
//! - `{"method": "hist", "column": "income", "bins": 10, "range": [0, 100]}`: a histogram of
//!   one numeric column (`values` is read as another name of `column`); `bins` is a number of
//!   equal-width bins (10 when left out) or the bin edges, `range` the interval the equal-width
//!   bins cover (numpy's `histogram`; the data's smallest and largest values when left out).

use crate::microdata::{ColumnType, Microdata};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// An output to build and check. The `method` names the kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum OutputSpec {
    /// `pandas.crosstab` as ACRO wraps it: needs `index` and `columns`.
    Crosstab(TableSpec),
    /// `pandas.pivot_table` as ACRO wraps it: needs `index` and `values`.
    PivotTable(TableSpec),
    /// Ordinary least squares (`acro.ols`, statsmodels' `OLS`).
    Ols(RegressionSpec),
    /// Logistic regression of a 0/1 outcome (`acro.logit`, statsmodels' `Logit`).
    Logit(RegressionSpec),
    /// Probit regression of a 0/1 outcome (`acro.probit`, statsmodels' `Probit`).
    Probit(RegressionSpec),
    /// A histogram of one column (`acro.hist`, numpy's `histogram` bins).
    Hist(HistSpec),
}

/// The arguments of a regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegressionSpec {
    /// The dependent variable (a numeric column; 0 or 1, or a share between, for `logit` and
    /// `probit`).
    pub endog: String,
    /// The regressors (numeric columns), in the order of the coefficient table.
    #[serde(default = "no_columns")]
    pub exog: ColumnNames,
    /// Whether to add a `const` column of ones before the regressors (ACRO's `add_constant`).
    #[serde(default)]
    pub add_constant: bool,
    /// Column types that override inference.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub column_types: BTreeMap<String, ColumnType>,
}

fn no_columns() -> ColumnNames {
    ColumnNames::Many(Vec::new())
}

/// The arguments of a histogram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistSpec {
    /// The numeric column whose values are binned (ACRO's `column`; `values` is read too).
    #[serde(alias = "values")]
    pub column: String,
    /// The number of equal-width bins, or the bin edges (ACRO's and numpy's `bins`).
    #[serde(default)]
    pub bins: Bins,
    /// The interval `[lower, upper]` the equal-width bins cover; values outside are left out
    /// (numpy's `range`). The data's smallest and largest values when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<[f64; 2]>,
    /// Column types that override inference.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub column_types: BTreeMap<String, ColumnType>,
}

/// A histogram's bins: how many of equal width, or their edges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Bins {
    /// This many bins of equal width.
    Count(u64),
    /// The edges, increasing: `n + 1` edges make `n` bins, each closed on the left, the last
    /// closed on both sides.
    Edges(Vec<f64>),
}

impl Default for Bins {
    /// ACRO's default: 10 bins.
    fn default() -> Self {
        Bins::Count(10)
    }
}

/// The most bins a histogram may have.
pub const MAX_BINS: u64 = 1 << 20;

/// The arguments of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// The column or columns whose values label the rows.
    pub index: ColumnNames,
    /// The column or columns whose values label the columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<ColumnNames>,
    /// The column aggregated in each cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<String>,
    /// How `values` are aggregated: `count` when left out of a `crosstab`, `mean` when left out
    /// of a `pivot_table`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggfunc: Option<Aggfunc>,
    /// Whether to add the "All" row and column.
    #[serde(default)]
    pub margins: bool,
    /// Column types that override inference.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub column_types: BTreeMap<String, ColumnType>,
}

/// One column name or a list of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ColumnNames {
    /// One column.
    One(String),
    /// Columns, outermost first.
    Many(Vec<String>),
}

impl ColumnNames {
    /// The names, outermost first.
    pub fn names(&self) -> &[String] {
        match self {
            ColumnNames::One(name) => std::slice::from_ref(name),
            ColumnNames::Many(names) => names,
        }
    }

    /// The JSON path of the `i`-th name under `field`.
    fn path(&self, field: &str, i: usize) -> String {
        match self {
            ColumnNames::One(_) => format!("/{field}"),
            ColumnNames::Many(_) => format!("/{field}/{i}"),
        }
    }
}

/// The aggregation of a cell (pandas' names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Aggfunc {
    /// Records in the cell, or with `values` the values that are not missing.
    Count,
    /// Arithmetic mean of the values.
    Mean,
    /// Sum of the values.
    Sum,
    /// Median of the values.
    Median,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// Sample standard deviation of the values (n - 1 in the denominator, as pandas).
    Std,
}

impl Aggfunc {
    /// pandas' name.
    pub fn name(self) -> &'static str {
        match self {
            Aggfunc::Count => "count",
            Aggfunc::Mean => "mean",
            Aggfunc::Sum => "sum",
            Aggfunc::Median => "median",
            Aggfunc::Min => "min",
            Aggfunc::Max => "max",
            Aggfunc::Std => "std",
        }
    }

    /// Whether the aggregation is of magnitudes (needs a numeric `values` column).
    pub fn is_magnitude(self) -> bool {
        self != Aggfunc::Count
    }
}

/// The ACRO command that makes the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// `crosstab`.
    Crosstab,
    /// `pivot_table`.
    PivotTable,
    /// `ols`.
    Ols,
    /// `logit`.
    Logit,
    /// `probit`.
    Probit,
    /// `hist`.
    Hist,
}

impl Method {
    /// ACRO's name of the command.
    pub fn name(self) -> &'static str {
        match self {
            Method::Crosstab => "crosstab",
            Method::PivotTable => "pivot_table",
            Method::Ols => "ols",
            Method::Logit => "logit",
            Method::Probit => "probit",
            Method::Hist => "hist",
        }
    }

    /// The kind of output the command makes.
    pub fn kind(self) -> OutputKind {
        match self {
            Method::Crosstab | Method::PivotTable => OutputKind::Table,
            Method::Ols | Method::Logit | Method::Probit => OutputKind::Regression,
            Method::Hist => OutputKind::Histogram,
        }
    }
}

/// The kind of output, as ACRO's `results.json` names it (`type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutputKind {
    /// A table of cells (`crosstab`, `pivot_table`).
    Table,
    /// A regression's coefficient table (`ols`, `logit`, `probit`).
    Regression,
    /// A histogram's bins (`hist`).
    Histogram,
}

/// A table spec checked against itself, with defaults applied: what the table builder takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TablePlan {
    /// The kind of table.
    pub method: Method,
    /// Row columns, outermost first (never empty).
    pub index: Vec<String>,
    /// Column columns, outermost first (empty for a `pivot_table` without `columns`).
    pub columns: Vec<String>,
    /// The aggregated column.
    pub values: Option<String>,
    /// The aggregation.
    pub aggfunc: Aggfunc,
    /// Whether to add the "All" row and column.
    pub margins: bool,
}

impl OutputSpec {
    /// Reads a spec from JSON and checks it on its own (the columns are checked against the
    /// microdata by [`OutputSpec::check_columns`]).
    ///
    /// # Errors
    /// When the text is not a spec, or its arguments do not fit together.
    pub fn from_json(text: &str) -> Result<Self, SpecError> {
        let spec: OutputSpec = crate::json::from_object(text).map_err(|p| SpecError::Json {
            line: p.line,
            column: p.column,
            message: p.message,
        })?;
        spec.validate()?;
        Ok(spec)
    }

    /// Checks the spec on its own: a table's arguments fit together, a model names its columns
    /// once, a histogram's bins and range are sound.
    ///
    /// # Errors
    /// The first argument that is wrong, naming its JSON path.
    pub fn validate(&self) -> Result<(), SpecError> {
        match self {
            OutputSpec::Crosstab(_) | OutputSpec::PivotTable(_) => self.plan().map(|_| ()),
            OutputSpec::Ols(r) | OutputSpec::Logit(r) | OutputSpec::Probit(r) => {
                if r.exog.names().is_empty() && !r.add_constant {
                    return Err(SpecError::Invalid {
                        path: "/exog".to_owned(),
                        message: "names no column, and `add_constant` is false: the model has no regressor".to_owned(),
                    });
                }
                self.no_column_twice()
            }
            OutputSpec::Hist(h) => validate_hist(h),
        }
    }

    /// The table arguments (`None` for a model or a histogram).
    pub fn table(&self) -> Option<&TableSpec> {
        match self {
            OutputSpec::Crosstab(t) | OutputSpec::PivotTable(t) => Some(t),
            _ => None,
        }
    }

    /// The ACRO command.
    pub fn method(&self) -> Method {
        match self {
            OutputSpec::Crosstab(_) => Method::Crosstab,
            OutputSpec::PivotTable(_) => Method::PivotTable,
            OutputSpec::Ols(_) => Method::Ols,
            OutputSpec::Logit(_) => Method::Logit,
            OutputSpec::Probit(_) => Method::Probit,
            OutputSpec::Hist(_) => Method::Hist,
        }
    }

    /// Declared column types.
    pub fn column_types(&self) -> &BTreeMap<String, ColumnType> {
        match self {
            OutputSpec::Crosstab(t) | OutputSpec::PivotTable(t) => &t.column_types,
            OutputSpec::Ols(r) | OutputSpec::Logit(r) | OutputSpec::Probit(r) => &r.column_types,
            OutputSpec::Hist(h) => &h.column_types,
        }
    }

    /// The columns the output reads (to keep when reading the microdata).
    pub fn columns_used(&self) -> BTreeSet<String> {
        self.named_columns().into_iter().map(|(_, name)| name.clone()).collect()
    }

    /// Every column the spec names (a table's index, columns and values; a model's endog and
    /// exog; a histogram's column), with its JSON path.
    fn named_columns(&self) -> Vec<(String, &String)> {
        match self {
            OutputSpec::Crosstab(t) | OutputSpec::PivotTable(t) => {
                let index = t.index.names().iter().enumerate().map(|(i, n)| (t.index.path("index", i), n));
                let columns = t
                    .columns
                    .iter()
                    .flat_map(|c| c.names().iter().enumerate().map(move |(i, n)| (c.path("columns", i), n)));
                let values = t.values.iter().map(|v| ("/values".to_owned(), v));
                index.chain(columns).chain(values).collect()
            }
            OutputSpec::Ols(r) | OutputSpec::Logit(r) | OutputSpec::Probit(r) => {
                let exog = r.exog.names().iter().enumerate().map(|(i, n)| (r.exog.path("exog", i), n));
                std::iter::once(("/endog".to_owned(), &r.endog)).chain(exog).collect()
            }
            OutputSpec::Hist(h) => vec![("/column".to_owned(), &h.column)],
        }
    }

    /// A column may be named once.
    fn no_column_twice(&self) -> Result<(), SpecError> {
        let mut seen = BTreeSet::new();
        for (path, name) in self.named_columns() {
            if !seen.insert(name) {
                return Err(SpecError::Invalid { path, message: format!("column `{name}` is used twice") });
            }
        }
        Ok(())
    }

    /// The plan of the table, with defaults applied.
    ///
    /// # Errors
    /// When the spec is not a table's, or the arguments do not fit together, naming the JSON
    /// path.
    pub fn plan(&self) -> Result<TablePlan, SpecError> {
        let method = self.method();
        let invalid = |path: &str, message: String| SpecError::Invalid { path: path.to_owned(), message };
        let Some(t) = self.table() else {
            return Err(invalid("/method", format!("`{}` does not make a table", method.name())));
        };
        if t.index.names().is_empty() {
            return Err(invalid("/index", "names no column".to_owned()));
        }
        let columns = t.columns.as_ref().map(ColumnNames::names).unwrap_or_default();
        match (&t.columns, method) {
            (None, Method::Crosstab) => return Err(invalid("", "a `crosstab` needs `columns`".to_owned())),
            (Some(c), _) if c.names().is_empty() => return Err(invalid("/columns", "names no column".to_owned())),
            _ => {}
        }
        let aggfunc = match (t.aggfunc, method) {
            (Some(a), _) => a,
            (None, Method::PivotTable) => Aggfunc::Mean,
            (None, _) => Aggfunc::Count,
        };
        match (&t.values, t.aggfunc, method) {
            (None, _, Method::PivotTable) => return Err(invalid("", "a `pivot_table` needs `values`".to_owned())),
            (None, _, Method::Crosstab) if aggfunc.is_magnitude() => {
                return Err(invalid("", format!("aggfunc `{}` needs `values`", aggfunc.name())));
            }
            (Some(_), None, Method::Crosstab) => {
                return Err(invalid("/values", "a `crosstab` with `values` needs an `aggfunc`".to_owned()));
            }
            _ => {}
        }
        // A column may label rows or columns, or be aggregated, once.
        self.no_column_twice()?;
        Ok(TablePlan {
            method,
            index: t.index.names().to_vec(),
            columns: columns.to_vec(),
            values: t.values.clone(),
            aggfunc,
            margins: t.margins,
        })
    }

    /// Checks that every column named exists in the microdata, that `values` is numeric for
    /// a magnitude aggregation, and that a model's or a histogram's columns are numeric.
    ///
    /// # Errors
    /// The first column that is unknown or of the wrong type, naming its JSON path.
    pub fn check_columns(&self, data: &Microdata) -> Result<(), SpecError> {
        let unknown = |path: String, column: &str| SpecError::UnknownColumn {
            path,
            column: column.to_owned(),
            file: data.file().to_owned(),
            available: data.headers().iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", "),
        };
        let known = |name: &str| data.headers().iter().any(|h| h == name);
        for (path, name) in self.named_columns() {
            if !known(name) {
                return Err(unknown(path, name));
            }
        }
        for name in self.column_types().keys() {
            if !known(name) {
                return Err(unknown(format!("/column_types/{}", pointer_escape(name)), name));
            }
        }
        let why_categorical = |column: &crate::microdata::Column| match (column.declared(), column.first_text()) {
            (true, _) => "the spec declares it categorical".to_owned(),
            (false, Some(first)) => format!("line {} holds `{}`", first.line, first.value),
            (false, None) => "it holds text".to_owned(),
        };
        let Some(t) = self.table() else {
            let what = if self.method() == Method::Hist { "a histogram" } else { "a regression" };
            for (path, name) in self.named_columns() {
                if let Some(column) = data.column(name)
                    && column.column_type() == ColumnType::Categorical
                {
                    return Err(SpecError::NotNumericColumn {
                        path,
                        column: name.clone(),
                        what: what.to_owned(),
                        why: why_categorical(column),
                    });
                }
            }
            return Ok(());
        };
        let aggfunc = self.plan()?.aggfunc;
        if let (Some(values), true) = (&t.values, aggfunc.is_magnitude())
            && let Some(column) = data.column(values)
            && column.column_type() == ColumnType::Categorical
        {
            let why = why_categorical(column);
            return Err(SpecError::NotNumeric { column: values.clone(), aggfunc: aggfunc.name().to_owned(), why });
        }
        Ok(())
    }
}

/// A histogram's bins and range, as numpy's `histogram` accepts them.
fn validate_hist(h: &HistSpec) -> Result<(), SpecError> {
    let invalid = |path: &str, message: &str| SpecError::Invalid { path: path.to_owned(), message: message.to_owned() };
    match &h.bins {
        Bins::Count(0) => return Err(invalid("/bins", "must be at least 1")),
        Bins::Count(n) if *n > MAX_BINS => return Err(invalid("/bins", &format!("must be at most {MAX_BINS}"))),
        Bins::Count(_) => {}
        Bins::Edges(edges) => {
            if edges.len() < 2 {
                return Err(invalid("/bins", "gives fewer than 2 edges: no bin"));
            }
            if edges.len() as u64 > MAX_BINS + 1 {
                return Err(invalid("/bins", &format!("gives more than {MAX_BINS} bins")));
            }
            if let Some(i) = edges.iter().position(|e| !e.is_finite()) {
                return Err(invalid(&format!("/bins/{i}"), "is not a finite number"));
            }
            if let Some(i) = edges.windows(2).position(|w| matches!(w, [a, b] if a >= b)) {
                return Err(invalid(&format!("/bins/{}", i + 1), "edges must increase"));
            }
            if h.range.is_some() {
                return Err(invalid("/range", "a `range` goes with a number of `bins`, not with their edges"));
            }
        }
    }
    if let Some([lower, upper]) = h.range {
        if !(lower.is_finite() && upper.is_finite()) {
            return Err(invalid("/range", "must be two finite numbers"));
        }
        if lower > upper {
            return Err(invalid("/range", "the lower bound is above the upper bound"));
        }
    }
    Ok(())
}

/// The path, quoted, after a space; nothing for the whole spec (the empty path).
fn at_path(path: &str) -> String {
    if path.is_empty() { String::new() } else { format!(" `{path}`") }
}

/// Escapes a key for a JSON Pointer (RFC 6901).
fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The spec is not one, or does not fit the microdata. Paths are JSON Pointers into the spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum SpecError {
    /// Not JSON, or not of the shape of a spec.
    #[error("the output spec is malformed{}: {message}", crate::json::at(*line, *column))]
    #[diagnostic(
        code(fivesafes::outputs::spec_json),
        help(
            "a spec is `{{\"method\": \"crosstab\"|\"pivot_table\", \"index\", \"columns\", \"values\", \"aggfunc\", \"margins\", \"column_types\"}}`, `{{\"method\": \"ols\"|\"logit\"|\"probit\", \"endog\", \"exog\", \"add_constant\", \"column_types\"}}` or `{{\"method\": \"hist\", \"column\", \"bins\", \"range\", \"column_types\"}}`"
        )
    )]
    Json {
        /// 1-based line (0 when the shape of the spec is wrong: serde reads a spec's arguments
        /// after its `method`, without their place).
        line: u64,
        /// 1-based column (0 with line 0).
        column: u64,
        /// The parser's message.
        message: String,
    },
    /// The arguments do not fit together.
    #[error("output spec{}: {message}", at_path(path))]
    #[diagnostic(code(fivesafes::outputs::spec))]
    Invalid {
        /// JSON Pointer to the argument (empty for the whole spec).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A column named by the spec is not in the microdata.
    #[error("output spec `{path}`: no column `{column}` in `{file}`")]
    #[diagnostic(code(fivesafes::outputs::unknown_column), help("the columns of the microdata are {available}"))]
    UnknownColumn {
        /// JSON Pointer to the name.
        path: String,
        /// The name.
        column: String,
        /// The microdata's file.
        file: String,
        /// The header's names, quoted, comma-separated.
        available: String,
    },
    /// A model's or a histogram's column is categorical.
    #[error("output spec `{path}`: {what} needs numeric columns, but `{column}` is categorical ({why})")]
    #[diagnostic(
        code(fivesafes::outputs::column_not_numeric),
        help("name a numeric column, correct its values, or declare it numeric in `column_types`")
    )]
    NotNumericColumn {
        /// JSON Pointer to the name.
        path: String,
        /// The column.
        column: String,
        /// What needs numbers (`a regression`, `a histogram`).
        what: String,
        /// Why the column is categorical.
        why: String,
    },
    /// The aggregated column is categorical but the aggregation needs numbers.
    #[error("output spec `/values`: aggfunc `{aggfunc}` needs a numeric column, but `{column}` is categorical ({why})")]
    #[diagnostic(
        code(fivesafes::outputs::values_not_numeric),
        help("aggregate a numeric column, correct its values, or use aggfunc `count`")
    )]
    NotNumeric {
        /// The column.
        column: String,
        /// The aggregation.
        aggfunc: String,
        /// Why the column is categorical.
        why: String,
    },
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::microdata::ReadOptions;

    fn invalid(json: &str) -> (String, String) {
        match OutputSpec::from_json(json).unwrap_err() {
            SpecError::Invalid { path, message } => (path, message),
            other => (String::new(), other.to_string()),
        }
    }

    #[test]
    fn names_are_one_or_many_and_defaults_apply() {
        let spec = OutputSpec::from_json(r#"{"method":"crosstab","index":"a","columns":["b","c"]}"#).unwrap();
        let plan = spec.plan().unwrap();
        assert_eq!(
            (plan.index, plan.columns, plan.aggfunc),
            (vec!["a".to_owned()], vec!["b".to_owned(), "c".to_owned()], Aggfunc::Count)
        );
        let spec = OutputSpec::from_json(r#"{"method":"pivot_table","index":["a"],"values":"v"}"#).unwrap();
        let plan = spec.plan().unwrap();
        assert_eq!((plan.method, plan.aggfunc, plan.columns.len()), (Method::PivotTable, Aggfunc::Mean, 0));
        assert_eq!(spec.columns_used(), ["a".to_owned(), "v".to_owned()].into());
    }

    #[test]
    fn unknown_fields_and_methods_are_rejected() {
        let err = OutputSpec::from_json(r#"{"method":"crosstab","index":"a","columns":"b","colour":1}"#).unwrap_err();
        assert!(err.to_string().starts_with("the output spec is malformed: unknown field `colour`"), "{err}");
        let err = OutputSpec::from_json("{\"method\":\n\"crosstab\",}").unwrap_err();
        assert_eq!(err.to_string(), "the output spec is malformed at line 2 column 12: trailing comma");
        let err = OutputSpec::from_json(r#"["crosstab", "a", "b"]"#).unwrap_err();
        assert_eq!(err.to_string(), "the output spec is malformed at line 1 column 1: expected a JSON object");
        let err = OutputSpec::from_json(r#"{"method":"tabulate","index":"a"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown variant `tabulate`"), "{err}");
        let err =
            OutputSpec::from_json(r#"{"method":"crosstab","index":"a","columns":"b","aggfunc":"mode"}"#).unwrap_err();
        assert!(matches!(err, SpecError::Json { .. }), "{err}");
    }

    #[test]
    fn arguments_must_fit_together() {
        assert_eq!(invalid(r#"{"method":"crosstab","index":"a"}"#).1, "a `crosstab` needs `columns`");
        let err = OutputSpec::from_json(r#"{"method":"crosstab","index":"a"}"#).unwrap_err();
        assert_eq!(err.to_string(), "output spec: a `crosstab` needs `columns`");
        assert_eq!(invalid(r#"{"method":"crosstab","index":[],"columns":"b"}"#).0, "/index");
        assert_eq!(
            invalid(r#"{"method":"crosstab","index":"a","columns":"b","aggfunc":"mean"}"#).1,
            "aggfunc `mean` needs `values`"
        );
        assert_eq!(invalid(r#"{"method":"crosstab","index":"a","columns":"b","values":"v"}"#).0, "/values");
        assert_eq!(invalid(r#"{"method":"pivot_table","index":"a"}"#).1, "a `pivot_table` needs `values`");
        assert_eq!(
            invalid(r#"{"method":"crosstab","index":["a","b"],"columns":["c","a"]}"#),
            ("/columns/1".to_owned(), "column `a` is used twice".to_owned())
        );
    }

    #[test]
    fn models_and_histograms_are_validated_with_paths() {
        let spec =
            OutputSpec::from_json(r#"{"method":"ols","endog":"y","exog":["a","b"],"add_constant":true}"#).unwrap();
        assert_eq!((spec.method(), spec.method().kind()), (Method::Ols, OutputKind::Regression));
        assert_eq!(spec.columns_used(), ["a".to_owned(), "b".to_owned(), "y".to_owned()].into());
        assert!(spec.table().is_none());
        assert_eq!(spec.plan().unwrap_err().to_string(), "output spec `/method`: `ols` does not make a table");
        assert_eq!(invalid(r#"{"method":"logit","endog":"y","exog":["a","y"]}"#).0, "/exog/1");
        assert_eq!(invalid(r#"{"method":"probit","endog":"y"}"#).0, "/exog");
        assert!(OutputSpec::from_json(r#"{"method":"ols","endog":"y","add_constant":true}"#).is_ok());
        assert!(matches!(OutputSpec::from_json(r#"{"method":"ols","endog":"y","x":1}"#), Err(SpecError::Json { .. })));

        let hist = OutputSpec::from_json(r#"{"method":"hist","values":"v"}"#).unwrap();
        let OutputSpec::Hist(h) = &hist else { unreachable!() };
        assert_eq!((h.column.as_str(), &h.bins, h.range), ("v", &Bins::Count(10), None));
        assert_eq!(
            invalid(r#"{"method":"hist","column":"v","bins":0}"#),
            ("/bins".to_owned(), "must be at least 1".to_owned())
        );
        assert_eq!(invalid(r#"{"method":"hist","column":"v","bins":[0,2,2]}"#).0, "/bins/2");
        assert_eq!(invalid(r#"{"method":"hist","column":"v","bins":[0,1],"range":[0,1]}"#).0, "/range");
        assert_eq!(
            invalid(r#"{"method":"hist","column":"v","range":[2,1]}"#),
            ("/range".to_owned(), "the lower bound is above the upper bound".to_owned())
        );
    }

    #[test]
    fn model_columns_must_be_numeric() {
        let data = Microdata::from_csv(b"y,x,t\n1,2,z\n", "d.csv", &ReadOptions::default()).unwrap();
        let check = |json: &str| OutputSpec::from_json(json).unwrap().check_columns(&data);
        assert!(check(r#"{"method":"ols","endog":"y","exog":"x"}"#).is_ok());
        let err = check(r#"{"method":"ols","endog":"y","exog":["x","t"]}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "output spec `/exog/1`: a regression needs numeric columns, but `t` is categorical (line 2 holds `z`)"
        );
        let err = check(r#"{"method":"hist","column":"t"}"#).unwrap_err();
        assert!(matches!(err, SpecError::NotNumericColumn { ref path, .. } if path == "/column"), "{err}");
        let err = check(r#"{"method":"hist","column":"w"}"#).unwrap_err();
        assert_eq!(err.to_string(), "output spec `/column`: no column `w` in `d.csv`");
    }

    #[test]
    fn columns_are_checked_against_the_microdata() {
        let data = Microdata::from_csv(b"a,b,v,t\nx,y,1,z\n", "d.csv", &ReadOptions::default()).unwrap();
        let check = |json: &str| OutputSpec::from_json(json).unwrap().check_columns(&data);
        assert!(check(r#"{"method":"crosstab","index":"a","columns":"b","values":"v","aggfunc":"sum"}"#).is_ok());
        let err = check(r#"{"method":"crosstab","index":["a","nope"],"columns":"b"}"#).unwrap_err();
        assert_eq!(err.to_string(), "output spec `/index/1`: no column `nope` in `d.csv`");
        let err =
            check(r#"{"method":"crosstab","index":"a","columns":"b","column_types":{"x/y":"numeric"}}"#).unwrap_err();
        assert!(matches!(err, SpecError::UnknownColumn { ref path, .. } if path == "/column_types/x~1y"), "{err}");
        let err = check(r#"{"method":"pivot_table","index":"a","values":"t"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "output spec `/values`: aggfunc `mean` needs a numeric column, but `t` is categorical (line 2 holds `z`)"
        );
        assert!(check(r#"{"method":"pivot_table","index":"a","values":"t","aggfunc":"count"}"#).is_ok());
    }
}
