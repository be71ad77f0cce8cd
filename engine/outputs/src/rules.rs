//! ACRO 1.0's cell checks, as `domain.md` states them, boundaries included.
//!
//! Per cell (n = records in the cell, missing values included; margins are checked like inner
//! cells):
//! - `threshold`: fails when n < `safe_threshold` (a cell of exactly the threshold passes);
//! - `zeros`: fails when n == 0 and `zeros_are_disclosive`;
//! - `nk-rule`: fails when (sum of the `safe_nk_n` largest values) / (sum of the values) >=
//!   `safe_nk_k`; 0/0 passes;
//! - `p-ratio`: p = (sum - largest - second largest) / largest fails when p < `safe_pratio_p`
//!   (p exactly at the bound passes); when the largest is 0, p is the numerator; a cell with no
//!   values passes;
//! - `dof` (standard deviations): fails when n - 1 < `safe_dof_threshold`;
//! - `negative`: a cell with a negative value asks for review, and then `nk-rule` and
//!   `p-ratio` are not judged: they ask for review of the whole table;
//! - `missing` (when `check_missing_values`): a cell whose values include missing ones asks
//!   for review.
//!
//! Which apply: `count` -> threshold, zeros; `mean`, `sum` -> threshold, nk-rule, p-ratio
//! (and negative); `median`, `min`, `max` -> threshold, zeros; `std` -> dof. A table fails when
//! any rule fails, else asks for review when any rule asks for it, else passes.
//!
//! # Floating point at the boundaries
//! Shares are computed as written, `top / total >= k` and `rest / largest < p`, with no
//! tolerance. IEEE division is correctly rounded, and `0.9` or `0.1` in a risk appetite are the
//! doubles nearest those decimals, so a share that is exactly 9/10 in the data (90 of 100,
//! 45 of 50: sums of integers or of binary fractions are exact below 2^53) divides to the very
//! double `0.9` and fails the NK rule, and 10 / 100 divides to `0.1` and passes the p-ratio.
//! A true share within half a unit in the last place (about 1e-17) of the bound rounds onto it:
//! such a share fails the NK rule (the safe side) and passes the p-ratio.
//!
//! # Against ACRO 1.0.2
//! These rules agree with ACRO 1.0.2 cell by cell, including where ACRO 0.4 differed (its NK
//! test was `> k`, its threshold counted non-missing values, it failed the p-ratio of single
//! values and the dominance of empty cells, and a negative value made the whole table a
//! review): `tests/outputs/acro_differential.py` runs both on the same data and asserts it.
//! Where ACRO 1.0.2 builds its tables differently (it forces pandas' `dropna=False`, keeps
//! rows with no value, leaves the margins of a `pivot_table` without `columns` unchecked,
//! counts values rather than records there, reports std tables' degrees of freedom as a sum,
//! asks for review of an empty cell when missing values are checked, and reports negative
//! values under the dominance checks), that script names each difference and asserts it.

use crate::risk::RiskAppetite;
use crate::spec::Aggfunc;
use crate::table::{CellStats, Table};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A disclosure check, named as ACRO names it in `results.json` (`sdc.summary`, `sdc.cells`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Rule {
    /// Too few records in a cell.
    #[serde(rename = "threshold")]
    Threshold,
    /// An empty cell, when zeros are disclosive.
    #[serde(rename = "zeros")]
    Zeros,
    /// The largest values dominate the total.
    #[serde(rename = "nk-rule")]
    NkRule,
    /// The rest is too small a fraction of the largest value.
    #[serde(rename = "p-ratio")]
    PRatio,
    /// Too few residual degrees of freedom.
    #[serde(rename = "dof")]
    Dof,
    /// Negative values (review).
    #[serde(rename = "negative")]
    Negative,
    /// Missing values (review, when checked).
    #[serde(rename = "missing")]
    Missing,
}

/// The outcome of a rule or a table, worst last (`Fail` > `Review` > `Pass`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Nothing disclosive found.
    Pass,
    /// An output checker must look.
    Review,
    /// Disclosive as it stands.
    Fail,
}

/// One rule's outcome over the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleCheck {
    /// The rule.
    pub rule: Rule,
    /// Fail or review when a cell is flagged (review for `negative` and `missing`), else pass.
    pub status: Status,
    /// The flagged cells, as `[row, column]` positions in the table (margins included), in
    /// row order.
    pub cells: Vec<[usize; 2]>,
    /// Why the rule was not judged cell by cell, or how the risk appetite set it aside.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The rules that apply to a table of `aggfunc`; `has_values` when a `values` column is
/// aggregated (the only case where values can be missing).
pub fn rules_for(aggfunc: Aggfunc, has_values: bool, risk: &RiskAppetite) -> Vec<Rule> {
    let mut rules = match aggfunc {
        Aggfunc::Count | Aggfunc::Median | Aggfunc::Min | Aggfunc::Max => vec![Rule::Threshold, Rule::Zeros],
        Aggfunc::Mean | Aggfunc::Sum => vec![Rule::Threshold, Rule::NkRule, Rule::PRatio, Rule::Negative],
        Aggfunc::Std => vec![Rule::Dof],
    };
    if risk.check_missing_values && has_values {
        rules.push(Rule::Missing);
    }
    rules
}

/// Checks every cell of `table` against the rules of its aggregation.
pub fn check_table(table: &Table, has_values: bool, risk: &RiskAppetite) -> Vec<RuleCheck> {
    let negatives = table.positions().any(|(_, cell)| cell.negatives > 0);
    rules_for(table.aggfunc, has_values, risk)
        .into_iter()
        .map(|rule| {
            if negatives && matches!(rule, Rule::NkRule | Rule::PRatio) {
                return RuleCheck {
                    rule,
                    status: Status::Review,
                    cells: Vec::new(),
                    note: Some(
                        "the table holds negative values: dominance is not judged, an output checker must".to_owned(),
                    ),
                };
            }
            let cells: Vec<[usize; 2]> =
                table.positions().filter(|(_, cell)| flags(rule, cell, risk)).map(|(at, _)| at).collect();
            let status = match (cells.is_empty(), rule) {
                (true, _) => Status::Pass,
                (false, Rule::Negative | Rule::Missing) => Status::Review,
                (false, _) => Status::Fail,
            };
            let note = (rule == Rule::Zeros && !risk.zeros_are_disclosive)
                .then(|| "the risk appetite does not hold zeros disclosive".to_owned());
            RuleCheck { rule, status, cells, note }
        })
        .collect()
}

/// The table's status: fail if any rule fails, else review if any asks for it, else pass.
pub fn overall(checks: &[RuleCheck]) -> Status {
    checks.iter().map(|c| c.status).max().unwrap_or(Status::Pass)
}

/// Whether `rule` flags `cell`.
pub fn flags(rule: Rule, cell: &CellStats, risk: &RiskAppetite) -> bool {
    match rule {
        Rule::Threshold => cell.n < risk.safe_threshold,
        Rule::Zeros => risk.zeros_are_disclosive && cell.n == 0,
        Rule::NkRule => nk_dominated(cell, risk),
        Rule::PRatio => p_ratio_too_small(cell, risk),
        // n - 1 < dof, without going below zero: n < dof + 1.
        Rule::Dof => cell.n < risk.safe_dof_threshold.saturating_add(1),
        Rule::Negative => cell.negatives > 0,
        Rule::Missing => cell.non_missing < cell.n,
    }
}

/// Whether the cell kept fewer of its largest values than a rule needs (the table was built
/// keeping too few): the rule then flags the cell, failing closed.
fn too_few_kept(cell: &CellStats, needed: u64) -> bool {
    (cell.top.len() as u64) < needed.min(cell.non_missing)
}

/// NK dominance: the `safe_nk_n` largest values make `safe_nk_k` of the total or more.
fn nk_dominated(cell: &CellStats, risk: &RiskAppetite) -> bool {
    if too_few_kept(cell, risk.safe_nk_n) {
        return true;
    }
    if cell.sum == 0.0 {
        return false; // 0/0: nothing to dominate
    }
    let n = usize::try_from(risk.safe_nk_n).unwrap_or(usize::MAX);
    let top: f64 = cell.top.iter().take(n).sum();
    top / cell.sum >= risk.safe_nk_k
}

/// p-ratio: (total - largest - second largest) / largest is below `safe_pratio_p`.
fn p_ratio_too_small(cell: &CellStats, risk: &RiskAppetite) -> bool {
    if too_few_kept(cell, 2) {
        return true;
    }
    let Some(largest) = cell.top.first().copied() else {
        return false; // no values: nothing to estimate
    };
    let second = cell.top.get(1).copied().unwrap_or(0.0);
    let rest = cell.sum - largest - second;
    let p = if largest == 0.0 { rest } else { rest / largest };
    p < risk.safe_pratio_p
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// A cell of `n` records holding `values` (sorted descending, all kept).
    fn cell(n: u64, values: &[f64]) -> CellStats {
        let mut top = values.to_vec();
        top.sort_by(|a, b| b.total_cmp(a));
        CellStats {
            n,
            non_missing: values.len() as u64,
            sum: values.iter().sum(),
            top,
            negatives: values.iter().filter(|v| **v < 0.0).count() as u64,
            value: None,
        }
    }

    fn risk() -> RiskAppetite {
        RiskAppetite::default()
    }

    #[test]
    fn threshold_boundaries() {
        assert!(flags(Rule::Threshold, &cell(9, &[]), &risk()));
        assert!(!flags(Rule::Threshold, &cell(10, &[]), &risk()));
        assert!(!flags(Rule::Threshold, &cell(11, &[]), &risk()));
    }

    #[test]
    fn zeros_only_when_disclosive() {
        assert!(flags(Rule::Zeros, &cell(0, &[]), &risk()));
        assert!(!flags(Rule::Zeros, &cell(1, &[]), &risk()));
        let lenient = RiskAppetite { zeros_are_disclosive: false, ..risk() };
        assert!(!flags(Rule::Zeros, &cell(0, &[]), &lenient));
    }

    #[test]
    fn nk_share_exactly_k_fails_and_just_below_passes() {
        assert_eq!(90.0 / 100.0, 0.9);
        let mut at = vec![50.0, 40.0];
        at.extend([1.25; 8]);
        assert!(flags(Rule::NkRule, &cell(10, &at), &risk()));
        let mut below = vec![50.0, 39.0];
        below.extend([1.375; 8]);
        assert!(!flags(Rule::NkRule, &cell(10, &below), &risk()));
        assert!(!flags(Rule::NkRule, &cell(10, &[0.0; 10]), &risk()), "0/0 passes");
        assert!(!flags(Rule::NkRule, &cell(0, &[]), &risk()), "an empty cell passes");
    }

    #[test]
    fn p_ratio_exactly_p_passes_and_just_below_fails() {
        assert_eq!(10.0 / 100.0, 0.1);
        // (100 + 50 + 10 - 100 - 50) / 100 = 0.1
        assert!(!flags(Rule::PRatio, &cell(3, &[100.0, 50.0, 10.0]), &risk()));
        // (1000 + 500 + 99 - 1000 - 500) / 1000 = 0.099
        assert!(flags(Rule::PRatio, &cell(3, &[1000.0, 500.0, 99.0]), &risk()));
        assert!(flags(Rule::PRatio, &cell(1, &[7.0]), &risk()), "one value: p = 0");
        assert!(flags(Rule::PRatio, &cell(3, &[0.0, 0.0, 0.0]), &risk()), "largest 0: p = numerator = 0");
        assert!(!flags(Rule::PRatio, &cell(0, &[]), &risk()), "an empty cell passes");
        assert!(!flags(Rule::PRatio, &cell(4, &[]), &risk()), "no values passes");
    }

    #[test]
    fn dof_boundaries() {
        assert!(flags(Rule::Dof, &cell(10, &[]), &risk()), "n - 1 = 9");
        assert!(!flags(Rule::Dof, &cell(11, &[]), &risk()), "n - 1 = 10");
        assert!(flags(Rule::Dof, &cell(0, &[]), &risk()));
    }

    #[test]
    fn missing_and_negative_cells() {
        assert!(flags(Rule::Missing, &cell(3, &[1.0, 2.0]), &risk()));
        assert!(!flags(Rule::Missing, &cell(2, &[1.0, 2.0]), &risk()));
        assert!(flags(Rule::Negative, &cell(2, &[1.0, -2.0]), &risk()));
    }

    #[test]
    fn too_few_kept_values_fail_closed() {
        let mut c = cell(10, &[5.0, 4.0, 3.0, 2.0, 1.0]);
        c.top.truncate(1);
        let wide = RiskAppetite { safe_nk_n: 3, ..risk() };
        assert!(flags(Rule::NkRule, &c, &wide));
        assert!(flags(Rule::PRatio, &c, &risk()));
    }

    #[test]
    fn which_rules_apply() {
        let checked = RiskAppetite { check_missing_values: true, ..risk() };
        assert_eq!(rules_for(Aggfunc::Count, false, &checked), [Rule::Threshold, Rule::Zeros]);
        assert_eq!(
            rules_for(Aggfunc::Sum, true, &risk()),
            [Rule::Threshold, Rule::NkRule, Rule::PRatio, Rule::Negative]
        );
        assert_eq!(rules_for(Aggfunc::Max, true, &checked), [Rule::Threshold, Rule::Zeros, Rule::Missing]);
        assert_eq!(rules_for(Aggfunc::Std, true, &risk()), [Rule::Dof]);
    }

    #[test]
    fn the_worst_status_wins() {
        let check = |status| RuleCheck { rule: Rule::Threshold, status, cells: Vec::new(), note: None };
        assert_eq!(overall(&[]), Status::Pass);
        assert_eq!(overall(&[check(Status::Pass), check(Status::Review)]), Status::Review);
        assert_eq!(overall(&[check(Status::Fail), check(Status::Review)]), Status::Fail);
    }
}
