//! Tables built from microdata as pandas builds them for ACRO's `crosstab` and `pivot_table`.
//!
//! - Rows are the combinations of the `index` columns' values that occur, columns those of the
//!   `columns` columns, each sorted as pandas sorts an index: text by code point, numbers by
//!   value, the outermost column first.
//! - A record with a missing value in any key column is left out (pandas' `dropna=True`).
//! - A row or column with no value in any of its cells (a `mean` whose values are all missing,
//!   a `std` of single records) is left out, as `pivot_table` leaves it out, with a comment.
//! - With `margins`, an "All" column and row (`("All", "")` with two levels) are aggregated
//!   from the records, not from the cells, as pandas aggregates them. pandas first drops the
//!   records with any missing value (`data[data.notna().all(axis=1)]` in `pivot_table`), which
//!   changes no aggregate (they all skip missing values) but would change a count of records:
//!   here a margin's n, like an inner cell's, counts its records with missing values too.
//!
//! Every cell keeps what the rules need ([`CellStats`]): its records (missing values included),
//! its values that are not missing, their sum, the largest ones and the negative ones.

mod cell;
mod levels;

pub use cell::{CellStats, CellValue};

use crate::microdata::{ColumnValues, MISSING_CODE, Microdata};
use crate::spec::{Aggfunc, TablePlan};
use cell::Grouping;
use levels::{Combinations, Level, NONE};
use std::borrow::Cow;

/// The label of the margins (pandas' default `margins_name`).
pub const MARGINS_NAME: &str = "All";

/// The most cells a table may have, margins included.
pub const MAX_CELLS: usize = 1 << 24;

/// A table built from microdata, with what the rules need of every cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The aggregation of its cells.
    pub aggfunc: Aggfunc,
    /// The names of the row levels (the `index` columns).
    pub index: Vec<String>,
    /// The names of the column levels (the `columns` columns; none for a `pivot_table` without
    /// `columns`).
    pub columns: Vec<String>,
    /// Per row, its label in each row level; the margins row is `["All", "", ...]`.
    pub row_labels: Vec<Vec<String>>,
    /// Per column, its label in each column level; the margins column is `["All", "", ...]`.
    /// A `pivot_table` without `columns` has one column, labelled with the `values` column.
    pub column_labels: Vec<Vec<String>>,
    /// The cells, row by row, margins last.
    pub cells: Vec<Vec<CellStats>>,
    /// Whether the last row (and, when there are `columns`, the last column) are margins.
    pub margins: bool,
    /// What pandas' semantics changed: rows and columns left out.
    pub comments: Vec<String>,
}

impl Table {
    /// Builds the table planned; `keep_top` is how many of the largest values every cell keeps.
    ///
    /// # Errors
    /// When no record has a value in every key column, a key value is the margins' name, the
    /// table would be too large, or the plan names a column not read (or a categorical `values`
    /// column for a magnitude).
    pub fn build(data: &Microdata, plan: &TablePlan, keep_top: usize) -> Result<Table, TableError> {
        Table::build_without(data, plan, keep_top, &[])
    }

    /// The table [`Table::build`] builds, with the same rows and columns, from the records
    /// that are not in the inner cells at `cells` (`[row, column]` positions; positions in the
    /// margins leave no record out): those cells are left with no record, and the margins are
    /// aggregated from the records that remain, as ACRO's suppression rebuilds a table
    /// (`get_redacted_table`).
    ///
    /// # Errors
    /// As [`Table::build`].
    pub fn build_without(
        data: &Microdata,
        plan: &TablePlan,
        keep_top: usize,
        cells: &[[usize; 2]],
    ) -> Result<Table, TableError> {
        let keys = TableKeys::new(data, plan)?;
        let (nr, nc) = (keys.rows.tuples.len(), keys.cols.tuples.len());
        if nr.saturating_add(1).saturating_mul(nc.saturating_add(1)) > MAX_CELLS {
            return Err(TableError::TooLarge { rows: nr, columns: nc, limit: MAX_CELLS });
        }
        let values = values_of(data, plan)?;
        let grouping = Grouping { values: values.as_deref(), aggfunc: plan.aggfunc, keep_top };
        let records = data.records();
        let mut inner = grouping.summarise(records, nr * nc, |r| Some(keys.row(r)? * nc + keys.col(r)?));

        // pandas leaves out the rows and columns with no value in any cell.
        let has_value = |r: usize, c: usize| inner.get(r * nc + c).is_some_and(|s| s.value.is_some());
        let row_kept: Vec<bool> = (0..nr).map(|r| (0..nc).any(|c| has_value(r, c))).collect();
        let col_kept: Vec<bool> = (0..nc).map(|c| (0..nr).any(|r| has_value(r, c))).collect();
        let (kept_rows, kept_cols) = (kept(&row_kept), kept(&col_kept));
        if kept_rows.is_empty() {
            return Err(TableError::NoValue { file: data.file().to_owned() });
        }
        let comments =
            [("rows", &row_kept, &keys.index, &keys.rows), ("columns", &col_kept, &keys.columns, &keys.cols)]
                .into_iter()
                .filter_map(|(what, mask, levels, combinations)| {
                    let left_out: Vec<String> = mask
                        .iter()
                        .enumerate()
                        .filter(|(_, k)| !**k)
                        .map(|(i, _)| format!("`{}`", label(levels, combinations.tuples.get(i)).join(" / ")))
                        .collect();
                    left_out_comment(what, &left_out)
                })
                .collect();

        // The records left out: those of the inner cells named, by their row and column.
        let excluded: Vec<bool> = if cells.is_empty() {
            Vec::new()
        } else {
            let position = |kept: &[usize], size: usize| {
                let mut at = vec![usize::MAX; size];
                for (p, k) in kept.iter().enumerate() {
                    if let Some(slot) = at.get_mut(*k) {
                        *slot = p;
                    }
                }
                at
            };
            let (row_at, col_at) = (position(&kept_rows, nr), position(&kept_cols, nc));
            let named: std::collections::BTreeSet<[usize; 2]> = cells.iter().copied().collect();
            (0..records)
                .map(|r| {
                    let at = keys.row(r).and_then(|x| row_at.get(x)).zip(keys.col(r).and_then(|x| col_at.get(x)));
                    at.is_some_and(|(row, col)| named.contains(&[*row, *col]))
                })
                .collect()
        };
        let kept_record = |r: usize| !excluded.get(r).copied().unwrap_or(false);
        if !excluded.is_empty() {
            inner = grouping.summarise(records, nr * nc, |r| {
                kept_record(r).then_some(())?;
                Some(keys.row(r)? * nc + keys.col(r)?)
            });
        }
        let mut row_labels: Vec<Vec<String>> =
            kept_rows.iter().map(|r| label(&keys.index, keys.rows.tuples.get(*r))).collect();
        let mut column_labels: Vec<Vec<String>> = if plan.columns.is_empty() {
            vec![vec![plan.values.clone().unwrap_or_default()]]
        } else {
            kept_cols.iter().map(|c| label(&keys.columns, keys.cols.tuples.get(*c))).collect()
        };
        let mut cells: Vec<Vec<CellStats>> = kept_rows
            .iter()
            .map(|r| kept_cols.iter().filter_map(|c| inner.get(r * nc + c).cloned()).collect())
            .collect();
        if plan.margins {
            // From the records of each row, each column and the whole table, as pandas does.
            let with_columns = !plan.columns.is_empty();
            let mut last = Vec::new();
            if with_columns {
                let by_row = grouping.summarise(records, nr, |r| keys.row(r).filter(|_| kept_record(r)));
                for (row, r) in cells.iter_mut().zip(&kept_rows) {
                    row.extend(by_row.get(*r).cloned());
                }
                column_labels.push(margin_label(plan.columns.len()));
                let by_column = grouping.summarise(records, nc, |r| keys.col(r).filter(|_| kept_record(r)));
                last.extend(kept_cols.iter().filter_map(|c| by_column.get(*c).cloned()));
            }
            last.extend(grouping.summarise(records, 1, |r| {
                (keys.active.get(r).copied().unwrap_or(false) && kept_record(r)).then_some(0)
            }));
            cells.push(last);
            row_labels.push(margin_label(plan.index.len()));
        }
        Ok(Table {
            aggfunc: plan.aggfunc,
            index: plan.index.clone(),
            columns: plan.columns.clone(),
            row_labels,
            column_labels,
            cells,
            margins: plan.margins,
            comments,
        })
    }

    /// The cell at `[row, column]`.
    pub fn cell(&self, row: usize, column: usize) -> Option<&CellStats> {
        self.cells.get(row).and_then(|r| r.get(column))
    }

    /// Every cell with its `[row, column]` position, row by row.
    pub fn positions(&self) -> impl Iterator<Item = ([usize; 2], &CellStats)> {
        self.cells.iter().enumerate().flat_map(|(r, row)| row.iter().enumerate().map(move |(c, cell)| ([r, c], cell)))
    }
}

/// A comment naming the rows or columns left out (the first ten of them).
fn left_out_comment(what: &str, labels: &[String]) -> Option<String> {
    const NAMED: usize = 10;
    if labels.is_empty() {
        return None;
    }
    let named = labels.iter().take(NAMED).cloned().collect::<Vec<_>>().join(", ");
    let more = match labels.len().saturating_sub(NAMED) {
        0 => String::new(),
        more => format!(" and {more} more"),
    };
    Some(format!("{what} {named}{more} have no value in any cell: left out, as pandas leaves them out"))
}

/// The key columns of a table: their levels, the records that have a value in every one, and
/// the observed row and column combinations.
struct TableKeys {
    index: Vec<Level>,
    columns: Vec<Level>,
    active: Vec<bool>,
    rows: Combinations,
    cols: Combinations,
}

impl TableKeys {
    fn new(data: &Microdata, plan: &TablePlan) -> Result<Self, TableError> {
        let levels_of = |names: &[String]| -> Result<Vec<Level>, TableError> {
            names.iter().map(|name| column(data, name).map(levels::level)).collect()
        };
        let index = levels_of(&plan.index)?;
        let columns = levels_of(&plan.columns)?;
        if plan.margins {
            let named = plan.index.iter().zip(&index).chain(plan.columns.iter().zip(&columns));
            if let Some((name, _)) = named.into_iter().find(|(_, l)| l.labels.iter().any(|x| x == MARGINS_NAME)) {
                return Err(TableError::MarginsName { column: name.clone() });
            }
        }
        let all: Vec<&Level> = index.iter().chain(&columns).collect();
        let active: Vec<bool> =
            (0..data.records()).map(|r| all.iter().all(|l| l.ranks.get(r).is_some_and(|x| *x != NONE))).collect();
        if !active.contains(&true) {
            return Err(TableError::Empty { file: data.file().to_owned() });
        }
        let rows = levels::combine(&index.iter().collect::<Vec<_>>(), &active);
        let cols = levels::combine(&columns.iter().collect::<Vec<_>>(), &active);
        Ok(TableKeys { index, columns, active, rows, cols })
    }

    /// The row of record `r`, if it is in the table.
    fn row(&self, r: usize) -> Option<usize> {
        self.rows.ids.get(r).copied().filter(|x| *x != NONE).map(|x| x as usize)
    }

    /// The column of record `r`, if it is in the table.
    fn col(&self, r: usize) -> Option<usize> {
        self.cols.ids.get(r).copied().filter(|x| *x != NONE).map(|x| x as usize)
    }
}

/// The positions where `mask` is true.
fn kept(mask: &[bool]) -> Vec<usize> {
    mask.iter().enumerate().filter(|(_, k)| **k).map(|(i, _)| i).collect()
}

/// The label of a combination: its value in each level.
fn label(levels: &[Level], tuple: Option<&Vec<u32>>) -> Vec<String> {
    let ranks = tuple.map(Vec::as_slice).unwrap_or_default();
    levels.iter().zip(ranks).map(|(l, rank)| l.labels.get(*rank as usize).cloned().unwrap_or_default()).collect()
}

fn margin_label(levels: usize) -> Vec<String> {
    std::iter::once(MARGINS_NAME.to_owned())
        .chain(std::iter::repeat_n(String::new(), levels.saturating_sub(1)))
        .collect()
}

fn column<'a>(data: &'a Microdata, name: &str) -> Result<&'a crate::microdata::Column, TableError> {
    data.column(name).ok_or_else(|| TableError::NotRead { column: name.to_owned() })
}

/// The values to aggregate, NaN where missing. A categorical column can only be counted: its
/// values become 0 (present) or NaN (missing).
fn values_of<'a>(data: &'a Microdata, plan: &TablePlan) -> Result<Option<Cow<'a, [f64]>>, TableError> {
    let Some(name) = &plan.values else { return Ok(None) };
    match column(data, name)?.values() {
        ColumnValues::Numeric(v) => Ok(Some(Cow::Borrowed(v))),
        ColumnValues::Categorical { codes, .. } if plan.aggfunc == Aggfunc::Count => {
            Ok(Some(Cow::Owned(codes.iter().map(|c| if *c == MISSING_CODE { f64::NAN } else { 0.0 }).collect())))
        }
        ColumnValues::Categorical { .. } => Err(TableError::NotNumeric { column: name.clone() }),
    }
}

/// The table cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum TableError {
    /// No record has a value in every key column.
    #[error("no record of `{file}` has a value in every `index` and `columns` column: the table is empty")]
    #[diagnostic(code(fivesafes::outputs::empty_table))]
    Empty {
        /// The microdata's file.
        file: String,
    },
    /// No cell of the table has a value.
    #[error("no cell of the table built from `{file}` has a value: the table is empty")]
    #[diagnostic(code(fivesafes::outputs::no_value), help("the aggregated column may be missing in every record"))]
    NoValue {
        /// The microdata's file.
        file: String,
    },
    /// A key value is the margins' name.
    #[error("column `{column}` holds the value `All`, the label of the margins")]
    #[diagnostic(code(fivesafes::outputs::margins_name), help("rename the value, or build the table without margins"))]
    MarginsName {
        /// The key column.
        column: String,
    },
    /// The table would have too many cells.
    #[error("the table would have {rows} rows and {columns} columns, more than {limit} cells")]
    #[diagnostic(code(fivesafes::outputs::too_large), help("label rows and columns with fewer distinct values"))]
    TooLarge {
        /// Rows before margins.
        rows: usize,
        /// Columns before margins.
        columns: usize,
        /// The most cells.
        limit: usize,
    },
    /// The plan names a column the microdata was read without.
    #[error("column `{column}` was not read from the microdata")]
    #[diagnostic(code(fivesafes::outputs::not_read))]
    NotRead {
        /// The column.
        column: String,
    },
    /// A magnitude of a categorical column.
    #[error("column `{column}` is categorical: only `count` aggregates it")]
    #[diagnostic(code(fivesafes::outputs::categorical_values))]
    NotNumeric {
        /// The column.
        column: String,
    },
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::microdata::ReadOptions;
    use crate::spec::OutputSpec;

    fn build(csv: &str, spec: &str) -> Result<Table, TableError> {
        let spec = OutputSpec::from_json(spec).unwrap();
        let data = Microdata::from_csv(csv.as_bytes(), "d.csv", &ReadOptions::default()).unwrap();
        Table::build(&data, &spec.plan().unwrap(), 2)
    }

    fn values(table: &Table) -> Vec<Vec<Option<CellValue>>> {
        table.cells.iter().map(|row| row.iter().map(|c| c.value).collect()).collect()
    }

    const N: fn(f64) -> Option<CellValue> = |x| Some(CellValue::Number(x));
    const C: fn(u64) -> Option<CellValue> = |x| Some(CellValue::Count(x));

    #[test]
    fn a_frequency_table_with_margins() {
        let csv = "a,b\nx,p\ny,q\nx,q\nx,p\n,p\ny,\n";
        let table = build(csv, r#"{"method":"crosstab","index":"a","columns":"b","margins":true}"#).unwrap();
        assert_eq!(table.row_labels, [vec!["x"], vec!["y"], vec!["All"]]);
        assert_eq!(table.column_labels, [vec!["p"], vec!["q"], vec!["All"]]);
        assert_eq!(values(&table), [vec![C(2), C(1), C(3)], vec![C(0), C(1), C(1)], vec![C(2), C(2), C(4)]]);
    }

    #[test]
    fn margins_are_aggregated_from_the_records() {
        // The mean of the row means would be 2.5; the records' mean is 7/3.
        let csv = "a,b,v\nx,p,1\nx,p,2\nx,q,4\n";
        let table = build(
            csv,
            r#"{"method":"crosstab","index":"a","columns":"b","values":"v","aggfunc":"mean","margins":true}"#,
        )
        .unwrap();
        assert_eq!(values(&table)[0], [N(1.5), N(4.0), N(7.0 / 3.0)]);
        assert_eq!(values(&table)[1], [N(1.5), N(4.0), N(7.0 / 3.0)]);
    }

    #[test]
    fn multi_level_keys_sort_as_tuples_and_numbers_by_value() {
        let csv = "a,n,b\ny,10,p\nx,9,p\ny,9,p\nx,10,p\n";
        let table = build(csv, r#"{"method":"crosstab","index":["a","n"],"columns":"b","margins":true}"#).unwrap();
        assert_eq!(
            table.row_labels,
            [vec!["x", "9"], vec!["x", "10"], vec!["y", "9"], vec!["y", "10"], vec!["All", ""]]
        );
        assert_eq!(table.index, ["a", "n"]);
    }

    #[test]
    fn rows_and_columns_without_values_are_left_out() {
        let csv = "a,b,v\nx,p,1\nx,q,\ny,p,\ny,q,\n";
        let table = build(
            csv,
            r#"{"method":"crosstab","index":"a","columns":"b","values":"v","aggfunc":"mean","margins":true}"#,
        )
        .unwrap();
        assert_eq!(table.row_labels, [vec!["x"], vec!["All"]]);
        assert_eq!(table.column_labels, [vec!["p"], vec!["All"]]);
        assert_eq!(table.comments.len(), 2);
        // The margins still count every record of the row, missing values included.
        assert_eq!((table.cells[0][1].n, table.cells[1][1].n), (2, 4));
    }

    #[test]
    fn a_pivot_table_without_columns() {
        let csv = "a,v\nx,1\nx,3\ny,5\n";
        let table =
            build(csv, r#"{"method":"pivot_table","index":"a","values":"v","aggfunc":"sum","margins":true}"#).unwrap();
        assert_eq!(table.column_labels, [vec!["v"]]);
        assert!(table.columns.is_empty());
        assert_eq!(values(&table), [vec![N(4.0)], vec![N(5.0)], vec![N(9.0)]]);
    }

    #[test]
    fn the_margins_name_may_not_be_a_key_value() {
        let err =
            build("a,b\nAll,p\n", r#"{"method":"crosstab","index":"a","columns":"b","margins":true}"#).unwrap_err();
        assert_eq!(err, TableError::MarginsName { column: "a".to_owned() });
        assert!(build("a,b\nAll,p\n", r#"{"method":"crosstab","index":"a","columns":"b"}"#).is_ok());
    }

    #[test]
    fn leaving_out_cells_keeps_the_shape_and_recomputes_the_margins() {
        let csv = "a,b,v\nx,p,1\nx,p,2\nx,q,4\ny,q,8\n";
        let spec = OutputSpec::from_json(
            r#"{"method":"crosstab","index":"a","columns":"b","values":"v","aggfunc":"sum","margins":true}"#,
        )
        .unwrap();
        let data = Microdata::from_csv(csv.as_bytes(), "d.csv", &ReadOptions::default()).unwrap();
        let table = Table::build_without(&data, &spec.plan().unwrap(), 2, &[[0, 0], [2, 2]]).unwrap();
        assert_eq!(table.row_labels, [vec!["x"], vec!["y"], vec!["All"]]);
        // (x, p) is left with no record: NaN; x's margin is 4, p's margin NaN, the total 12.
        assert_eq!(
            values(&table),
            [vec![None, N(4.0), N(4.0)], vec![None, N(8.0), N(8.0)], vec![None, N(12.0), N(12.0)]]
        );
        assert_eq!(table.cells[0][0].n, 0);
    }

    #[test]
    fn no_complete_record_is_an_empty_table() {
        let err = build("a,b\nx,\n,p\n", r#"{"method":"crosstab","index":"a","columns":"b"}"#).unwrap_err();
        assert!(matches!(err, TableError::Empty { .. }));
    }
}
