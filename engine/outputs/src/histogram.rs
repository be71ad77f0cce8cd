//! Histograms as ACRO's `hist` bins them (numpy's `histogram`, which pandas' `hist` calls).
//!
//! - Missing values are left out first (ACRO: `data[column].dropna()`); the comment says how
//!   many.
//! - `bins` as a number: equal-width bins over `range`, or over the smallest and largest value
//!   (one value only: over value ± 0.5, as numpy); the edges are numpy's `linspace` (edge i is
//!   `lower + i * (upper − lower) / bins`, the last edge `upper` itself). `bins` as edges: those.
//! - Every bin holds the values `edges[i] <= v < edges[i + 1]`, the last also `v == upper`;
//!   values outside the edges are left out (numpy's `range`), and the comment says how many.
//!
//! Each bin is a cell of a one-column table (`count`), checked with the frequency rules:
//! `threshold` (a bin below `safe_threshold` fails) and `zeros` (an empty bin fails when zeros
//! are disclosive). The outer edges of bins drawn over the data's range are its smallest and
//! largest values: ACRO asks the output checker to look at them ("check extreme bin edges are
//! not disclosive"), and so does a comment here.

use crate::microdata::{ColumnValues, Microdata};
use crate::spec::{Aggfunc, Bins, HistSpec};
use crate::table::{CellStats, CellValue, Table};

/// The label of the histogram's one column.
pub const COUNT_LABEL: &str = "count";

/// A histogram: its bin edges and counts, as a one-column table.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// The bins as a one-column `count` table (one row per bin, labelled `[lower, upper)`,
    /// the last `[lower, upper]`).
    pub table: Table,
    /// The `bins + 1` edges.
    pub edges: Vec<f64>,
}

impl Histogram {
    /// Bins `spec.column` of `data`.
    ///
    /// # Errors
    /// When the column has no value that is not missing, or was not read as numbers.
    pub fn build(data: &Microdata, spec: &HistSpec) -> Result<Histogram, HistogramError> {
        let values = match data.column(&spec.column).map(crate::microdata::Column::values) {
            Some(ColumnValues::Numeric(v)) => v,
            _ => return Err(HistogramError::NotRead { column: spec.column.clone() }),
        };
        let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        let missing = values.len() - present.len();
        let (Some(min), Some(max)) =
            (present.iter().copied().min_by(f64::total_cmp), present.iter().copied().max_by(f64::total_cmp))
        else {
            return Err(HistogramError::Empty { column: spec.column.clone(), file: data.file().to_owned() });
        };
        let edges = match &spec.bins {
            Bins::Edges(edges) => edges.clone(),
            Bins::Count(n) => {
                let [mut lower, mut upper] = spec.range.unwrap_or([min, max]);
                if lower == upper {
                    lower -= 0.5;
                    upper += 0.5;
                }
                linspace(lower, upper, usize::try_from(*n).unwrap_or(usize::MAX))
            }
        };
        let bins = edges.len().saturating_sub(1);
        let mut counts = vec![0_u64; bins];
        let mut outside = 0_usize;
        for v in &present {
            match bin_of(&edges, *v) {
                Some(i) => {
                    if let Some(c) = counts.get_mut(i) {
                        *c += 1;
                    }
                }
                None => outside += 1,
            }
        }
        let mut comments = Vec::new();
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        if missing > 0 {
            comments.push(format!(
                "{missing} record{} with a missing `{}` left out, as ACRO leaves them out",
                plural(missing),
                spec.column
            ));
        }
        if outside > 0 {
            comments.push(format!(
                "{outside} value{} outside the bins left out, as numpy leaves them out",
                plural(outside)
            ));
        }
        if matches!(spec.bins, Bins::Count(_)) && spec.range.is_none() {
            comments.push(format!(
                "the outer bin edges are the smallest ({}) and largest ({}) values of `{}`: check they are not disclosive",
                label(min),
                label(max),
                spec.column
            ));
        }
        let row_labels = (0..bins)
            .map(|i| {
                let lower = edges.get(i).copied().unwrap_or(f64::NAN);
                let upper = edges.get(i + 1).copied().unwrap_or(f64::NAN);
                let close = if i + 1 == bins { "]" } else { ")" };
                vec![format!("[{}, {}{close}", label(lower), label(upper))]
            })
            .collect();
        let cells = counts
            .iter()
            .map(|n| {
                vec![CellStats {
                    n: *n,
                    non_missing: *n,
                    sum: 0.0,
                    top: Vec::new(),
                    negatives: 0,
                    value: Some(CellValue::Count(*n)),
                }]
            })
            .collect();
        let table = Table {
            aggfunc: Aggfunc::Count,
            index: vec![spec.column.clone()],
            columns: Vec::new(),
            row_labels,
            column_labels: vec![vec![COUNT_LABEL.to_owned()]],
            cells,
            margins: false,
            comments,
        };
        Ok(Histogram { table, edges })
    }
}

/// numpy's `linspace(lower, upper, bins + 1)`: `lower + i * step`, the last edge `upper`.
fn linspace(lower: f64, upper: f64, bins: usize) -> Vec<f64> {
    let step = (upper - lower) / bins as f64;
    let mut edges: Vec<f64> = (0..=bins).map(|i| i as f64 * step + lower).collect();
    if let Some(last) = edges.last_mut() {
        *last = upper;
    }
    edges
}

/// The bin of `v`: the last `i` with `edges[i] <= v`, the last bin closed; `None` outside.
fn bin_of(edges: &[f64], v: f64) -> Option<usize> {
    let (first, last) = (edges.first()?, edges.last()?);
    if v < *first || v > *last {
        return None;
    }
    let at = edges.partition_point(|e| *e <= v);
    Some(at.saturating_sub(1).min(edges.len().saturating_sub(2)))
}

/// A number as a label: the shortest text that reads back as the same number.
fn label(v: f64) -> String {
    format!("{v}")
}

/// A histogram cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum HistogramError {
    /// Every value of the column is missing.
    #[error("every value of `{column}` in `{file}` is missing: nothing to bin")]
    #[diagnostic(code(fivesafes::outputs::empty_histogram))]
    Empty {
        /// The column.
        column: String,
        /// The microdata's file.
        file: String,
    },
    /// The column was not read as numbers.
    #[error("column `{column}` was not read from the microdata as numbers")]
    #[diagnostic(code(fivesafes::outputs::not_read))]
    NotRead {
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

    fn hist(csv: &str, spec: &str) -> Result<Histogram, HistogramError> {
        let OutputSpec::Hist(spec) = OutputSpec::from_json(spec).unwrap() else { unreachable!() };
        let data = Microdata::from_csv(csv.as_bytes(), "d.csv", &ReadOptions::default()).unwrap();
        Histogram::build(&data, &spec)
    }

    fn counts(h: &Histogram) -> Vec<u64> {
        h.table.cells.iter().map(|r| r[0].n).collect()
    }

    #[test]
    fn edges_are_numpys_linspace() {
        assert_eq!(linspace(0.0, 1.0, 4), [0.0, 0.25, 0.5, 0.75, 1.0]);
        // numpy.linspace(0, 2, 4): 0, 0.6666666666666666, 1.3333333333333333, 2
        assert_eq!(linspace(0.0, 2.0, 3), [0.0, 2.0 / 3.0, 4.0 / 3.0, 2.0]);
    }

    #[test]
    fn bins_are_closed_on_the_left_and_the_last_on_both_sides() {
        let edges = [0.0, 1.0, 2.0, 3.0];
        assert_eq!(bin_of(&edges, 0.0), Some(0));
        assert_eq!(bin_of(&edges, 1.0), Some(1));
        assert_eq!(bin_of(&edges, 2.999), Some(2));
        assert_eq!(bin_of(&edges, 3.0), Some(2));
        assert_eq!(bin_of(&edges, 3.5), None);
        assert_eq!(bin_of(&edges, -0.1), None);
    }

    #[test]
    fn the_largest_value_is_in_the_last_bin() {
        let h = hist("x\n0\n1\n2\n2\n\n", r#"{"method":"hist","column":"x","bins":2}"#).unwrap();
        assert_eq!(h.edges, [0.0, 1.0, 2.0]);
        assert_eq!(counts(&h), [1, 3]);
        assert_eq!(h.table.row_labels, [vec!["[0, 1)"], vec!["[1, 2]"]]);
    }

    #[test]
    fn one_value_spreads_half_a_unit_and_ranges_leave_values_out() {
        let h = hist("x\n5\n5\n", r#"{"method":"hist","values":"x","bins":2}"#).unwrap();
        assert_eq!((h.edges.clone(), counts(&h)), (vec![4.5, 5.0, 5.5], vec![0, 2]));
        let h = hist("x\n1\n5\n9\n", r#"{"method":"hist","column":"x","bins":2,"range":[0,6]}"#).unwrap();
        assert_eq!(counts(&h), [1, 1]);
        assert!(h.table.comments.iter().any(|c| c.starts_with("1 value outside the bins")));
        let h = hist("x\n1\n5\n9\n", r#"{"method":"hist","column":"x","bins":[0,2,10]}"#).unwrap();
        assert_eq!(counts(&h), [1, 2]);
    }

    #[test]
    fn an_all_missing_column_is_an_error() {
        let err = hist("x,y\n,1\n,2\n", r#"{"method":"hist","column":"x"}"#).unwrap_err();
        assert_eq!(err.to_string(), "every value of `x` in `d.csv` is missing: nothing to bin");
    }
}
