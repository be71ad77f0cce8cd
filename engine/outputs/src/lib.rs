//! Safe Outputs: statistical disclosure control of outputs built from microdata, with the
//! rules, defaults and argument names of ACRO (the SACRO project's output checker).
//!
//! [`check`] takes the microdata (CSV bytes), an output spec in ACRO's argument names and a
//! member TRE's risk appetite in ACRO's keys, builds the output as pandas, statsmodels or numpy
//! would for ACRO and checks it:
//!
//! 1. [`microdata`]: the CSV is read into columns, types inferred or declared.
//! 2. [`spec`]: `{"method": "crosstab"|"pivot_table", "index", "columns", "values", "aggfunc",
//!    "margins", "column_types"}`, `{"method": "ols"|"logit"|"probit", "endog", "exog",
//!    "add_constant"}` or `{"method": "hist", "column", "bins", "range"}`.
//! 3. [`risk`]: `safe_threshold`, `safe_dof_threshold`, `safe_nk_n`, `safe_nk_k`,
//!    `safe_pratio_p`, `zeros_are_disclosive`, `check_missing_values`, with ACRO 1.0's
//!    defaults.
//! 4. [`table`]: the table with its margins, and per cell what the rules need.
//! 5. [`regression`]: OLS, logit and probit with statsmodels' coefficient table; the check is
//!    on the residual degrees of freedom.
//! 6. [`histogram`]: numpy's bins, each checked like a cell of a frequency table.
//! 7. [`rules`]: threshold, zeros, NK dominance, p-ratio, degrees of freedom, negative and
//!    missing values; the output passes, fails or asks for review.
//!
//! The answer ([`OutputCheck`]) is one JSON contract: the status, the output as a table
//! (labels and values: a table's cells, a regression's coefficients, a histogram's bins) and,
//! per rule, the flagged cells as `[row, column]` positions in that table. With
//! [`CheckOptions::suppress`] ([`check_spec_with`]), failing cells are suppressed as ACRO's
//! `suppress=True` suppresses them.
//!
//! ```
//! let csv = b"sex,region,income\nF,north,10\nM,north,20\nF,south,30\n";
//! let spec = r#"{"method": "crosstab", "index": "sex", "columns": "region"}"#;
//! let out = fivesafes_outputs::check(csv, "survey.csv", spec, None)?;
//! assert_eq!(out.status, fivesafes_outputs::Status::Fail); // cells below 10 records
//! # Ok::<(), fivesafes_outputs::OutputError>(())
//! ```
//!
//! The crate does no I/O: the caller reads the files.

#![deny(missing_docs)]

mod check;
pub mod histogram;
mod json;
pub mod microdata;
pub mod regression;
pub mod results;
pub mod risk;
pub mod rules;
pub mod spec;
mod suppress;
pub mod table;

pub use check::{CheckOptions, OutputCheck, OutputError, OutputTable, check, check_spec, check_spec_with};
pub use histogram::{Histogram, HistogramError};
pub use microdata::{ColumnType, Microdata, MicrodataError};
pub use regression::{Regression, RegressionError, RegressionFit};
pub use risk::{RiskAppetite, RiskError};
pub use rules::{Rule, RuleCheck, Status};
pub use spec::{Aggfunc, Bins, HistSpec, Method, OutputKind, OutputSpec, RegressionSpec, SpecError, TableSpec};
pub use table::{CellStats, CellValue, Table, TableError};
