//! Regressions as ACRO runs them through statsmodels (`acro_regression.py`): `ols`, `logit`
//! and `probit`, their coefficient table, and what the disclosure check needs (the residual
//! degrees of freedom).
//!
//! - Records with a missing value in `endog` or any `exog` column are left out first, as
//!   statsmodels leaves them out with `missing="drop"` (and patsy in ACRO's formula commands);
//!   the comment says how many.
//! - With `add_constant`, a `const` column of ones comes first (ACRO's `add_constant`).
//! - OLS by Householder QR of the design (the normal equations are never formed); a design
//!   whose column is collinear with the columns before it is an error naming both, where
//!   statsmodels' pseudo-inverse would quietly fit a rank-deficient model.
//! - Logit and probit by Newton–Raphson from zero, at most 35 steps, converged when no
//!   parameter moves by more than 1e-8: statsmodels' defaults (`method="newton"`). Not
//!   converging, or fitting the outcome perfectly (separation), is an error.
//! - The coefficient table is statsmodels' summary table: one row per parameter (`const`
//!   first), columns `coef`, `std err`, `t` and `P>|t|` (OLS, Student's t with the residual
//!   degrees of freedom) or `z` and `P>|z|` (logit, probit: normal), `[0.025`, `0.975]`. Values
//!   are given in full precision, where statsmodels' summary rounds them to 4 decimals.
//! - Residual degrees of freedom: observations used − parameters (statsmodels' `df_resid`
//!   for a design of full rank), which ACRO's `MinimumDoFCheck` compares with
//!   `safe_dof_threshold`.

mod binary;
mod linalg;
mod ols;

use crate::microdata::{ColumnValues, Microdata};
use crate::spec::{Method, RegressionSpec};
use linalg::Matrix;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The name of the constant's row, as statsmodels' `add_constant` names the column.
pub const CONST_NAME: &str = "const";

/// The model behind a coefficient table: what statsmodels' summary shows above it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegressionFit {
    /// The dependent variable (`endog`).
    pub dep_variable: String,
    /// Observations used: records with no missing value in the model's columns.
    pub nobs: u64,
    /// Records left out for a missing value.
    pub dropped: u64,
    /// Model degrees of freedom: parameters less the constant (statsmodels' `df_model`; for
    /// logit and probit, parameters less one, as statsmodels counts them).
    pub df_model: u64,
    /// Residual degrees of freedom: observations used less parameters (`df_resid`).
    pub df_resid: u64,
    /// Whether the model has a constant (`add_constant`, or a column that is a non-zero
    /// constant).
    pub has_constant: bool,
    /// R² (OLS; uncentred without a constant, as statsmodels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r_squared: Option<f64>,
    /// Adjusted R² (OLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adj_r_squared: Option<f64>,
    /// F statistic of the regressors other than the constant (OLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f_statistic: Option<f64>,
    /// Its p-value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f_pvalue: Option<f64>,
    /// Log-likelihood at the estimates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_likelihood: Option<f64>,
    /// Log-likelihood of the constant-only model (logit, probit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ll_null: Option<f64>,
    /// McFadden's pseudo R²: 1 − llf / llnull (logit, probit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pseudo_r_squared: Option<f64>,
    /// p-value of the likelihood-ratio test against the constant-only model (logit, probit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llr_pvalue: Option<f64>,
    /// Akaike's information criterion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aic: Option<f64>,
    /// Bayesian information criterion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bic: Option<f64>,
    /// Newton steps taken (logit, probit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations: Option<u32>,
}

/// A fitted regression: its coefficient table and model statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    /// The parameters' names, `const` first when added.
    pub parameters: Vec<String>,
    /// The table's column names (`coef`, `std err`, `t`|`z`, `P>|t|`|`P>|z|`, `[0.025`,
    /// `0.975]`).
    pub columns: Vec<String>,
    /// Per parameter, its row; `None` where statsmodels shows NaN (no residual degrees of
    /// freedom left to estimate the variance).
    pub rows: Vec<Vec<Option<f64>>>,
    /// The model statistics.
    pub fit: RegressionFit,
    /// What fitting changed (records left out).
    pub comments: Vec<String>,
}

/// The design of a model: the rows used and the columns.
pub(crate) struct Design {
    /// The outcome's column.
    pub endog: String,
    pub names: Vec<String>,
    pub x: Matrix,
    pub y: Vec<f64>,
    pub has_constant: bool,
    /// Per observation used, its record's 1-based number in the microdata.
    pub records: Vec<usize>,
}

/// Coefficients with their covariance, before the table is made.
pub(crate) struct Estimates {
    pub params: Vec<f64>,
    /// `k x k`, row-major.
    pub cov: Vec<f64>,
}

/// The two-sided 95% interval's quantile of the standard normal (statsmodels' `alpha=0.05`).
fn normal_975() -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().inverse_cdf(0.975)
}

impl Regression {
    /// Fits the model `method` names on `data`.
    ///
    /// # Errors
    /// When no record has every value, the design is singular, a binary outcome is not 0 or
    /// 1, or logit and probit do not converge or separate the outcome perfectly.
    pub fn fit(data: &Microdata, method: Method, spec: &RegressionSpec) -> Result<Regression, RegressionError> {
        let (design, dropped) = design(data, spec)?;
        let n = design.y.len() as u64;
        let k = design.names.len() as u64;
        let mut comments = Vec::new();
        if dropped > 0 {
            let columns = std::iter::once(&spec.endog)
                .chain(spec.exog.names())
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ");
            comments.push(format!(
                "{dropped} record{} with a missing value in {columns} left out, as statsmodels leaves them out with missing='drop'",
                if dropped == 1 { "" } else { "s" }
            ));
        }
        let df_resid = n.saturating_sub(k);
        let k_constant = u64::from(design.has_constant);
        let (estimates, mut fit, normal) = match method {
            Method::Logit | Method::Probit => {
                let link = if method == Method::Logit { binary::Link::Logit } else { binary::Link::Probit };
                let (estimates, fit) = binary::fit(&design, link)?;
                (estimates, fit, true)
            }
            _ => {
                let (estimates, fit) = ols::fit(&design)?;
                (estimates, fit, false)
            }
        };
        fit.dep_variable.clone_from(&spec.endog);
        fit.nobs = n;
        fit.dropped = dropped;
        fit.df_resid = df_resid;
        fit.has_constant = design.has_constant;
        fit.df_model = if normal { k.saturating_sub(1) } else { k.saturating_sub(k_constant) };
        let rows = coefficient_rows(&estimates, normal, df_resid);
        let (stat, p) = if normal { ("z", "P>|z|") } else { ("t", "P>|t|") };
        let columns = ["coef", "std err", stat, p, "[0.025", "0.975]"].map(str::to_owned).to_vec();
        Ok(Regression { parameters: design.names, columns, rows, fit, comments })
    }
}

/// The coefficient table: coef, std err, statistic, p-value and the 95% interval.
fn coefficient_rows(estimates: &Estimates, normal: bool, df_resid: u64) -> Vec<Vec<Option<f64>>> {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let k = estimates.params.len();
    let t = (!normal).then(|| StudentsT::new(0.0, 1.0, df_resid as f64).ok()).flatten();
    let quantile = if normal { Some(normal_975()) } else { t.as_ref().map(|t| t.inverse_cdf(0.975)) };
    let finite = |x: f64| x.is_finite().then_some(x);
    estimates
        .params
        .iter()
        .enumerate()
        .map(|(i, coef)| {
            let variance = estimates.cov.get(i * k + i).copied().unwrap_or(f64::NAN);
            let se = finite(variance).filter(|v| *v >= 0.0).map(f64::sqrt);
            let stat = se.and_then(|se| finite(coef / se));
            let p = stat.and_then(|s| {
                if normal {
                    Some(libm::erfc(s.abs() / std::f64::consts::SQRT_2))
                } else {
                    t.as_ref().map(|t| 2.0 * t.sf(s.abs()))
                }
            });
            let half = se.zip(quantile).map(|(se, q)| q * se);
            vec![finite(*coef), se, stat, p, half.map(|h| coef - h), half.map(|h| coef + h)]
        })
        .collect()
}

/// The rows with every value of the model's columns, and how many records were left out.
fn design(data: &Microdata, spec: &RegressionSpec) -> Result<(Design, u64), RegressionError> {
    let numbers = |name: &str| -> Result<&[f64], RegressionError> {
        match data.column(name).map(crate::microdata::Column::values) {
            Some(ColumnValues::Numeric(v)) => Ok(v),
            _ => Err(RegressionError::NotRead { column: name.to_owned() }),
        }
    };
    let y_all = numbers(&spec.endog)?;
    let x_all: Vec<&[f64]> = spec.exog.names().iter().map(|n| numbers(n)).collect::<Result<_, _>>()?;
    let used: Vec<usize> = (0..data.records())
        .filter(|r| {
            y_all.get(*r).is_some_and(|v| !v.is_nan()) && x_all.iter().all(|c| c.get(*r).is_some_and(|v| !v.is_nan()))
        })
        .collect();
    let dropped = (data.records() - used.len()) as u64;
    if used.is_empty() {
        return Err(RegressionError::NoObservations { file: data.file().to_owned() });
    }
    let mut names = Vec::new();
    if spec.add_constant {
        names.push(CONST_NAME.to_owned());
    }
    names.extend(spec.exog.names().iter().cloned());
    let k = names.len();
    let mut x = Matrix::zeros(used.len(), k);
    let offset = usize::from(spec.add_constant);
    for (row, r) in used.iter().enumerate() {
        if spec.add_constant {
            x.set(row, 0, 1.0);
        }
        for (c, column) in x_all.iter().enumerate() {
            x.set(row, c + offset, column.get(*r).copied().unwrap_or(f64::NAN));
        }
    }
    // statsmodels also takes a column that is a non-zero constant for the constant.
    let constant_column = (0..k).any(|c| {
        let first = x.get(0, c);
        first != 0.0 && (0..x.rows).all(|r| x.get(r, c) == first)
    });
    let y = used.iter().map(|r| y_all.get(*r).copied().unwrap_or(f64::NAN)).collect();
    let records = used.iter().map(|r| r + 1).collect();
    Ok((
        Design { endog: spec.endog.clone(), names, x, y, has_constant: spec.add_constant || constant_column, records },
        dropped,
    ))
}

/// A regression cannot be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
pub enum RegressionError {
    /// No record has a value in every column of the model.
    #[error("no record of `{file}` has a value in every column of the model: nothing to fit")]
    #[diagnostic(code(fivesafes::outputs::no_observations))]
    NoObservations {
        /// The microdata's file.
        file: String,
    },
    /// A column of the design is a linear combination of the columns before it.
    #[error("the design is singular: `{column}` is a linear combination of {before} over the {nobs} observations used")]
    #[diagnostic(
        code(fivesafes::outputs::singular_design),
        help("leave out the collinear column (or the constant, if a column is constant)")
    )]
    Singular {
        /// The collinear column.
        column: String,
        /// The columns before it, quoted (`nothing: it is all zeros` for the first).
        before: String,
        /// Observations used.
        nobs: u64,
    },
    /// Fewer observations than parameters.
    #[error("{nobs} observations cannot determine {parameters} parameters")]
    #[diagnostic(code(fivesafes::outputs::too_few_observations))]
    TooFewObservations {
        /// Observations used.
        nobs: u64,
        /// Parameters.
        parameters: u64,
    },
    /// A logit or probit outcome that is not 0 or 1.
    #[error("`{column}` is the outcome of a {method}, but record {record} holds `{value}`: it must be 0 or 1")]
    #[diagnostic(code(fivesafes::outputs::outcome_not_binary))]
    NotBinary {
        /// The outcome column.
        column: String,
        /// `logit` or `probit`.
        method: String,
        /// The value.
        value: f64,
        /// The record's 1-based number (the header is not a record).
        record: usize,
    },
    /// The regressors predict the outcome perfectly: the estimates do not exist.
    #[error(
        "perfect separation: the {method} fits every outcome with probability 0 or 1 (after {iterations} Newton steps), so the maximum-likelihood estimates do not exist"
    )]
    #[diagnostic(
        code(fivesafes::outputs::perfect_separation),
        help("a regressor (or a combination) splits the outcomes exactly: leave it out or combine categories")
    )]
    PerfectSeparation {
        /// `logit` or `probit`.
        method: String,
        /// Steps taken.
        iterations: u32,
    },
    /// Newton–Raphson did not converge.
    #[error("the {method} did not converge in {iterations} Newton steps ({why})")]
    #[diagnostic(code(fivesafes::outputs::not_converged))]
    NotConverged {
        /// `logit` or `probit`.
        method: String,
        /// Steps taken.
        iterations: u32,
        /// What was seen.
        why: String,
    },
    /// The plan names a column the microdata was read without, or not numeric.
    #[error("column `{column}` was not read from the microdata as numbers")]
    #[diagnostic(code(fivesafes::outputs::not_read))]
    NotRead {
        /// The column.
        column: String,
    },
}

impl RegressionError {
    /// The singular-design error for column `column` of `names`.
    pub(crate) fn singular(names: &[String], column: usize, nobs: u64) -> Self {
        if column >= names.len() {
            return RegressionError::TooFewObservations { nobs, parameters: names.len() as u64 };
        }
        let before: Vec<String> = names.iter().take(column).map(|n| format!("`{n}`")).collect();
        RegressionError::Singular {
            column: names.get(column).cloned().unwrap_or_default(),
            before: if before.is_empty() { "nothing: it is all zeros".to_owned() } else { before.join(", ") },
            nobs,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::microdata::ReadOptions;
    use crate::spec::OutputSpec;

    pub(super) fn fit(csv: &str, spec: &str) -> Result<Regression, RegressionError> {
        let spec = OutputSpec::from_json(spec).unwrap();
        let data = Microdata::from_csv(csv.as_bytes(), "d.csv", &ReadOptions::default()).unwrap();
        let (OutputSpec::Ols(r) | OutputSpec::Logit(r) | OutputSpec::Probit(r)) = &spec else { unreachable!() };
        Regression::fit(&data, spec.method(), r)
    }

    /// `a` within the relative tolerance `tol` of `b`.
    pub(super) fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300)
    }

    #[test]
    fn missing_rows_are_dropped_and_counted() {
        let csv = "y,x\n1,0\n,1\n3,\n5,2\n7,3\n9,4\n";
        let r = fit(csv, r#"{"method":"ols","endog":"y","exog":"x","add_constant":true}"#).unwrap();
        assert_eq!((r.fit.nobs, r.fit.dropped, r.fit.df_resid, r.fit.df_model), (4, 2, 2, 1));
        assert_eq!(r.parameters, ["const", "x"]);
        assert!(r.comments[0].starts_with("2 records with a missing value in `y`, `x` left out"), "{:?}", r.comments);
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let err = fit("y,x\n1,\n,2\n", r#"{"method":"ols","endog":"y","exog":"x"}"#).unwrap_err();
        assert!(matches!(err, RegressionError::NoObservations { .. }));
        let err =
            fit("y,x\n1,1\n2,1\n3,1\n", r#"{"method":"ols","endog":"y","exog":"x","add_constant":true}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the design is singular: `x` is a linear combination of `const` over the 3 observations used"
        );
        let err = fit("y,x\n1,1\n", r#"{"method":"ols","endog":"y","exog":"x","add_constant":true}"#).unwrap_err();
        assert_eq!(err.to_string(), "1 observations cannot determine 2 parameters");
        let err = fit("y,x\n0,1\n2,2\n", r#"{"method":"logit","endog":"y","exog":"x"}"#).unwrap_err();
        assert_eq!(err.to_string(), "`y` is the outcome of a logit, but record 2 holds `2`: it must be 0 or 1");
    }

    #[test]
    fn the_normal_quantile_is_numpys() {
        assert!((normal_975() - 1.959963984540054).abs() < 1e-14);
    }
}
