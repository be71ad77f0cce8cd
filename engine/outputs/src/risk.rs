//! The risk appetite: a member TRE's thresholds for statistical disclosure control.
//!
//! ACRO's keys and ACRO 1.0's defaults (ACRO's `default.yaml`); a key left out keeps its
//! default, so `{"safe_threshold": 5}` changes the threshold alone.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Thresholds of the disclosure checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RiskAppetite {
    /// Fewest records a cell may have (threshold rule): a cell of exactly this many passes.
    pub safe_threshold: u64,
    /// Fewest residual degrees of freedom (standard deviations: records - 1).
    pub safe_dof_threshold: u64,
    /// N of the NK dominance rule: how many of the largest values.
    pub safe_nk_n: u64,
    /// K of the NK dominance rule: the share of the total the N largest may not reach.
    pub safe_nk_k: f64,
    /// p of the p-ratio rule: the least (total - two largest) / largest may be.
    pub safe_pratio_p: f64,
    /// Whether an empty cell is disclosive (zeros rule).
    pub zeros_are_disclosive: bool,
    /// Whether cells whose values include missing ones are flagged for review.
    pub check_missing_values: bool,
    /// ACRO's threshold of survival tables and plots; read for compatibility with ACRO's
    /// configuration, not used by tables.
    pub survival_safe_threshold: u64,
}

impl Default for RiskAppetite {
    fn default() -> Self {
        RiskAppetite {
            safe_threshold: 10,
            safe_dof_threshold: 10,
            safe_nk_n: 2,
            safe_nk_k: 0.9,
            safe_pratio_p: 0.1,
            zeros_are_disclosive: true,
            check_missing_values: false,
            survival_safe_threshold: 10,
        }
    }
}

impl RiskAppetite {
    /// Reads a risk appetite from JSON; keys left out keep ACRO's defaults.
    ///
    /// # Errors
    /// When the text is not a risk appetite, or a value is out of its range: N at least 1, k
    /// above 0 and at most 1, p at least 0 (a k above 1 or a negative p would switch a rule
    /// off, which a risk appetite does not do silently).
    pub fn from_json(text: &str) -> Result<Self, RiskError> {
        let risk: RiskAppetite = crate::json::from_object(text).map_err(|p| RiskError::Json {
            line: p.line,
            column: p.column,
            message: p.message,
        })?;
        risk.validate()?;
        Ok(risk)
    }

    /// Checks the ranges of the values.
    ///
    /// # Errors
    /// The first value out of range, naming its key.
    pub fn validate(&self) -> Result<(), RiskError> {
        let out =
            |path: &str, message: &str| RiskError::OutOfRange { path: path.to_owned(), message: message.to_owned() };
        if self.safe_nk_n == 0 {
            return Err(out("/safe_nk_n", "must be at least 1"));
        }
        if !(self.safe_nk_k > 0.0 && self.safe_nk_k <= 1.0) {
            return Err(out("/safe_nk_k", "must be above 0 and at most 1"));
        }
        if !(self.safe_pratio_p.is_finite() && self.safe_pratio_p >= 0.0) {
            return Err(out("/safe_pratio_p", "must be a number of at least 0"));
        }
        Ok(())
    }
}

/// The risk appetite is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum RiskError {
    /// Not JSON, or not of the shape of a risk appetite.
    #[error("the risk appetite is malformed{}: {message}", crate::json::at(*line, *column))]
    #[diagnostic(
        code(fivesafes::outputs::risk_json),
        help(
            "the keys are ACRO's: safe_threshold, safe_dof_threshold, safe_nk_n, safe_nk_k, safe_pratio_p, zeros_are_disclosive, check_missing_values"
        )
    )]
    Json {
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: u64,
        /// The parser's message.
        message: String,
    },
    /// A value is out of its range.
    #[error("risk appetite `{path}`: {message}")]
    #[diagnostic(code(fivesafes::outputs::risk_range))]
    OutOfRange {
        /// JSON Pointer to the key.
        path: String,
        /// The range.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_are_acro_1_0s() {
        let risk = RiskAppetite::from_json("{}").unwrap();
        assert_eq!(risk, RiskAppetite::default());
        assert_eq!((risk.safe_threshold, risk.safe_dof_threshold, risk.safe_nk_n), (10, 10, 2));
        assert_eq!((risk.safe_nk_k, risk.safe_pratio_p), (0.9, 0.1));
        assert!(risk.zeros_are_disclosive && !risk.check_missing_values);
    }

    #[test]
    fn a_partial_appetite_overrides_only_its_keys() {
        let risk = RiskAppetite::from_json(r#"{"safe_threshold": 5, "check_missing_values": true}"#).unwrap();
        assert_eq!(risk.safe_threshold, 5);
        assert!(risk.check_missing_values);
        assert_eq!(risk.safe_nk_k, 0.9);
    }

    #[test]
    fn unknown_keys_and_out_of_range_values_are_errors() {
        let err = RiskAppetite::from_json(r#"{"safe_treshold": 5}"#).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the risk appetite is malformed at line 1 column 16: unknown field `safe_treshold`"),
            "{err}"
        );
        let err = RiskAppetite::from_json(r#"{"safe_nk_k": 1.5}"#).unwrap_err();
        assert_eq!(err.to_string(), "risk appetite `/safe_nk_k`: must be above 0 and at most 1");
        assert!(RiskAppetite::from_json(r#"{"safe_nk_n": 0}"#).is_err());
        assert!(RiskAppetite::from_json(r#"{"safe_pratio_p": -0.1}"#).is_err());
        assert!(RiskAppetite::from_json(r#"{"safe_threshold": -1}"#).is_err());
        assert!(RiskAppetite::from_json("[5]").is_err(), "positional values are not keys");
    }
}
