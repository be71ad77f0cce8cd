//! Suppression, as ACRO's `suppress=True` applies it to tables (`get_redacted_table`,
//! `get_redacted_pivottable` in `table_utils.py`).
//!
//! ACRO 1.0.2 turns every cell that a check fails into a query on the records of that cell,
//! removes those records from the data and builds the table again, with the same rows and
//! columns: the failing cells are then empty (NaN) and the margins are aggregated from the
//! records that remain, so no suppressed value can be recovered by subtracting the others from
//! a margin. The output is marked `review` with the exception "Suppression automatically
//! applied where needed".
//!
//! Here, likewise: the records of the inner cells that fail a rule are left out and the table
//! is built again. Then, where ACRO stops, the rebuilt table is checked again, because leaving
//! records out can change what the rules find: a margin that still fails (its records were
//! not in a failing inner cell, so ACRO's query removes none and shows it) is masked too, and
//! if an inner cell now fails (the negative values that made the dominance rules a matter of
//! review were all in suppressed cells), its records are left out in turn, until nothing
//! released fails. Cells that only ask for review (negative or missing values) are not
//! suppressed; ACRO 1.0.2 suppresses the cells holding negative values.

use crate::microdata::Microdata;
use crate::risk::RiskAppetite;
use crate::rules::{self, RuleCheck, Status};
use crate::spec::TablePlan;
use crate::table::{Table, TableError};
use std::collections::{BTreeMap, BTreeSet};

/// A table after suppression.
pub(crate) struct Suppressed {
    /// The table rebuilt without the records of the suppressed inner cells.
    pub table: Table,
    /// Every cell to show as `null`, in row order: the suppressed inner cells and the margins
    /// that still fail.
    pub masked: Vec<[usize; 2]>,
    /// What was suppressed and why.
    pub comment: String,
}

/// At most this many cells are named in the comment.
const NAMED: usize = 10;

/// Suppresses the failing cells of `table` (checked as `checks`); `None` when no cell fails.
///
/// # Errors
/// When the table cannot be rebuilt (as [`Table::build`]).
pub(crate) fn suppress_table(
    data: &Microdata,
    plan: &TablePlan,
    keep_top: usize,
    risk: &RiskAppetite,
    table: &Table,
    checks: &[RuleCheck],
) -> Result<Option<Suppressed>, TableError> {
    let failing = failing_cells(checks);
    if failing.is_empty() {
        return Ok(None);
    }
    let inner_rows = table.cells.len().saturating_sub(usize::from(table.margins));
    let inner_cols = table.column_labels.len().saturating_sub(usize::from(table.margins && !table.columns.is_empty()));
    let is_inner = |[r, c]: [usize; 2]| r < inner_rows && c < inner_cols;
    let mut removed: BTreeSet<[usize; 2]> = failing.keys().copied().filter(|at| is_inner(*at)).collect();
    let has_values = plan.values.is_some();
    // Every step removes at least one more inner cell, so this ends within the cell count.
    let (rebuilt, still_failing) = loop {
        let cells: Vec<[usize; 2]> = removed.iter().copied().collect();
        let rebuilt = Table::build_without(data, plan, keep_top, &cells)?;
        let recheck = rules::check_table(&rebuilt, has_values, risk);
        let now = failing_cells(&recheck);
        let more: Vec<[usize; 2]> = now.keys().copied().filter(|at| is_inner(*at) && !removed.contains(at)).collect();
        if more.is_empty() {
            break (rebuilt, now);
        }
        removed.extend(more);
    };
    let margins: BTreeSet<[usize; 2]> = still_failing.keys().copied().filter(|at| !is_inner(*at)).collect();
    let masked: Vec<[usize; 2]> =
        removed.iter().chain(&margins).copied().collect::<BTreeSet<_>>().into_iter().collect();

    let mut comment = format!(
        "suppression: {} masked ({}) and their records left out; the margins are recomputed from the records that remain",
        cells_count(removed.len()),
        name_cells(table, &removed, &failing, &still_failing),
    );
    if !margins.is_empty() {
        comment.push_str(&format!(
            "; {} of the margins still failing after that masked too ({})",
            cells_count(margins.len()),
            name_cells(table, &margins, &failing, &still_failing)
        ));
    }
    Ok(Some(Suppressed { table: rebuilt, masked, comment }))
}

/// Masks the failing bins of a histogram; `None` when no bin fails.
pub(crate) fn suppress_bins(table: &Table, checks: &[RuleCheck]) -> Option<(Vec<[usize; 2]>, String)> {
    let failing = failing_cells(checks);
    if failing.is_empty() {
        return None;
    }
    let masked: BTreeSet<[usize; 2]> = failing.keys().copied().collect();
    let comment = format!(
        "suppression: {} masked ({})",
        if masked.len() == 1 { "1 bin".to_owned() } else { format!("{} bins", masked.len()) },
        name_cells(table, &masked, &failing, &BTreeMap::new())
    );
    Some((masked.into_iter().collect(), comment))
}

/// The cells that fail a rule, with the rules' names.
fn failing_cells(checks: &[RuleCheck]) -> BTreeMap<[usize; 2], Vec<String>> {
    let mut cells: BTreeMap<[usize; 2], Vec<String>> = BTreeMap::new();
    for check in checks.iter().filter(|c| c.status == Status::Fail) {
        let name =
            serde_json::to_value(check.rule).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        for at in &check.cells {
            cells.entry(*at).or_default().push(name.clone());
        }
    }
    cells
}

fn cells_count(n: usize) -> String {
    if n == 1 { "1 cell".to_owned() } else { format!("{n} cells") }
}

/// `a / p: threshold, zeros; ...`, the first [`NAMED`] of `cells`, with the rules that fail
/// them (before suppression, else after).
fn name_cells(
    table: &Table,
    cells: &BTreeSet<[usize; 2]>,
    before: &BTreeMap<[usize; 2], Vec<String>>,
    after: &BTreeMap<[usize; 2], Vec<String>>,
) -> String {
    let label = |labels: Option<&Vec<String>>| {
        labels.map(|l| l.iter().filter(|x| !x.is_empty()).cloned().collect::<Vec<_>>().join(" / ")).unwrap_or_default()
    };
    let mut named: Vec<String> = cells
        .iter()
        .take(NAMED)
        .map(|at @ [r, c]| {
            let row = label(table.row_labels.get(*r));
            let at_label =
                if table.columns.is_empty() { row } else { format!("{row} x {}", label(table.column_labels.get(*c))) };
            let rules = before.get(at).or_else(|| after.get(at)).map(|r| r.join(", ")).unwrap_or_default();
            format!("`{at_label}`: {rules}")
        })
        .collect();
    if cells.len() > NAMED {
        named.push(format!("and {} more", cells.len() - NAMED));
    }
    named.join("; ")
}
