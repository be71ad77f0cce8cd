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
}

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

/// The kind of table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// `crosstab`.
    Crosstab,
    /// `pivot_table`.
    PivotTable,
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
        spec.plan()?;
        Ok(spec)
    }

    /// The table arguments.
    pub fn table(&self) -> &TableSpec {
        match self {
            OutputSpec::Crosstab(t) | OutputSpec::PivotTable(t) => t,
        }
    }

    /// The kind of table.
    pub fn method(&self) -> Method {
        match self {
            OutputSpec::Crosstab(_) => Method::Crosstab,
            OutputSpec::PivotTable(_) => Method::PivotTable,
        }
    }

    /// Declared column types.
    pub fn column_types(&self) -> &BTreeMap<String, ColumnType> {
        &self.table().column_types
    }

    /// The columns the output reads (to keep when reading the microdata).
    pub fn columns_used(&self) -> BTreeSet<String> {
        self.named_columns().into_iter().map(|(_, name)| name.clone()).collect()
    }

    /// Every column the table names (index, columns, values), with its JSON path.
    fn named_columns(&self) -> Vec<(String, &String)> {
        let t = self.table();
        let index = t.index.names().iter().enumerate().map(|(i, n)| (t.index.path("index", i), n));
        let columns =
            t.columns.iter().flat_map(|c| c.names().iter().enumerate().map(move |(i, n)| (c.path("columns", i), n)));
        let values = t.values.iter().map(|v| ("/values".to_owned(), v));
        index.chain(columns).chain(values).collect()
    }

    /// The plan of the table, with defaults applied.
    ///
    /// # Errors
    /// When the arguments do not fit together, naming the JSON path.
    pub fn plan(&self) -> Result<TablePlan, SpecError> {
        let method = self.method();
        let t = self.table();
        let invalid = |path: &str, message: String| SpecError::Invalid { path: path.to_owned(), message };
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
            (None, Method::Crosstab) => Aggfunc::Count,
            (None, Method::PivotTable) => Aggfunc::Mean,
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
        let mut seen = BTreeSet::new();
        for (path, name) in self.named_columns() {
            if !seen.insert(name) {
                return Err(SpecError::Invalid { path, message: format!("column `{name}` is used twice") });
            }
        }
        Ok(TablePlan {
            method,
            index: t.index.names().to_vec(),
            columns: columns.to_vec(),
            values: t.values.clone(),
            aggfunc,
            margins: t.margins,
        })
    }

    /// Checks that every column named exists in the microdata and that `values` is numeric for
    /// a magnitude aggregation.
    ///
    /// # Errors
    /// The first column that is unknown or of the wrong type, naming its JSON path.
    pub fn check_columns(&self, data: &Microdata) -> Result<(), SpecError> {
        let t = self.table();
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
        for name in t.column_types.keys() {
            if !known(name) {
                return Err(unknown(format!("/column_types/{}", pointer_escape(name)), name));
            }
        }
        let aggfunc = self.plan()?.aggfunc;
        if let (Some(values), true) = (&t.values, aggfunc.is_magnitude())
            && let Some(column) = data.column(values)
            && column.column_type() == ColumnType::Categorical
        {
            let why = match (column.declared(), column.first_text()) {
                (true, _) => "the spec declares it categorical".to_owned(),
                (false, Some(first)) => format!("line {} holds `{}`", first.line, first.value),
                (false, None) => "it holds text".to_owned(),
            };
            return Err(SpecError::NotNumeric { column: values.clone(), aggfunc: aggfunc.name().to_owned(), why });
        }
        Ok(())
    }
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
            "a table spec is `{{\"method\": \"crosstab\"|\"pivot_table\", \"index\": ..., \"columns\": ..., \"values\": ..., \"aggfunc\": ..., \"margins\": ..., \"column_types\": ...}}`"
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
