//! Row and column keys: each key column's distinct values in pandas' order, and the observed
//! combinations of several key columns, numbered in that order.

use crate::microdata::{Column, ColumnValues, MISSING_CODE};

/// No key: the record has a missing key value and is left out of the table.
pub(super) const NONE: u32 = u32::MAX;
const NONE64: u64 = u64::MAX;

/// Above this many possible combinations (and four per record), combinations are numbered by
/// sorting rather than in a dense array.
const DENSE_LIMIT: u64 = 1 << 24;

/// The distinct values of one key column, sorted as pandas sorts an index, and every record's
/// rank among them.
pub(super) struct Level {
    /// The values' labels, in order.
    pub labels: Vec<String>,
    /// Per record, the rank of its value, or [`NONE`] when missing.
    pub ranks: Vec<u32>,
}

/// Sorts a key column's values: text by code point (as Python compares `str`), numbers by
/// value (`-0` and `0` are one value, as pandas groups them).
pub(super) fn level(column: &Column) -> Level {
    match column.values() {
        ColumnValues::Categorical { codes, values } => {
            let mut order: Vec<usize> = (0..values.len()).collect();
            order.sort_unstable_by(|a, b| values.get(*a).cmp(&values.get(*b)));
            let mut rank_of_code = vec![NONE; values.len()];
            for (rank, code) in order.iter().enumerate() {
                if let Some(slot) = rank_of_code.get_mut(*code) {
                    *slot = u32::try_from(rank).unwrap_or(NONE);
                }
            }
            let labels = order.iter().filter_map(|code| values.get(*code).cloned()).collect();
            let ranks = codes
                .iter()
                .map(|c| if *c == MISSING_CODE { NONE } else { rank_of_code.get(*c as usize).copied().unwrap_or(NONE) })
                .collect();
            Level { labels, ranks }
        }
        ColumnValues::Numeric(values) => {
            let mut distinct: Vec<f64> = values.iter().filter(|v| !v.is_nan()).map(|v| v + 0.0).collect();
            distinct.sort_unstable_by(f64::total_cmp);
            distinct.dedup_by(|a, b| a.total_cmp(b).is_eq());
            let ranks = values
                .iter()
                .map(|v| {
                    if v.is_nan() {
                        return NONE;
                    }
                    let v = v + 0.0;
                    distinct
                        .binary_search_by(|d| d.total_cmp(&v))
                        .map_or(NONE, |rank| u32::try_from(rank).unwrap_or(NONE))
                })
                .collect();
            Level { labels: distinct.iter().map(|v| number_label(*v)).collect(), ranks }
        }
    }
}

/// A number as a label: the shortest text that reads back as the same number (`2020`, `2.5`).
pub(super) fn number_label(v: f64) -> String {
    format!("{v}")
}

/// The observed combinations of key columns, numbered in order (outermost column first).
pub(super) struct Combinations {
    /// Per record, the number of its combination, or [`NONE`].
    pub ids: Vec<u32>,
    /// Per combination, the rank of its value in each key column.
    pub tuples: Vec<Vec<u32>>,
}

/// Numbers the combinations of `levels` that occur among the `active` records. With no
/// levels, every active record has the one empty combination.
pub(super) fn combine(levels: &[&Level], active: &[bool]) -> Combinations {
    let mut ids: Vec<u32> = active.iter().map(|a| if *a { 0 } else { NONE }).collect();
    let mut tuples: Vec<Vec<u32>> = if ids.contains(&0) { vec![Vec::new()] } else { Vec::new() };
    for level in levels {
        let card = level.labels.len() as u64;
        if card == 0 || tuples.is_empty() {
            return Combinations { ids: vec![NONE; active.len()], tuples: Vec::new() };
        }
        let keys: Vec<u64> = ids
            .iter()
            .zip(&level.ranks)
            .map(
                |(id, rank)| {
                    if *id == NONE || *rank == NONE { NONE64 } else { u64::from(*id) * card + u64::from(*rank) }
                },
            )
            .collect();
        let (next, members) = densify(&keys, tuples.len() as u64 * card);
        tuples = members
            .iter()
            .map(|k| {
                let mut tuple = tuples.get((k / card) as usize).cloned().unwrap_or_default();
                tuple.push(u32::try_from(k % card).unwrap_or(NONE));
                tuple
            })
            .collect();
        ids = next;
    }
    Combinations { ids, tuples }
}

/// Numbers the distinct keys below `radix` in their order; returns each key's number and the
/// distinct keys.
fn densify(keys: &[u64], radix: u64) -> (Vec<u32>, Vec<u64>) {
    let number = |i: usize| u32::try_from(i).unwrap_or(NONE);
    if radix <= DENSE_LIMIT.min((keys.len() as u64).saturating_mul(4).max(1 << 16)) {
        let mut slots = vec![NONE; usize::try_from(radix).unwrap_or(0)];
        for k in keys {
            if let Some(slot) = slots.get_mut(usize::try_from(*k).unwrap_or(usize::MAX)) {
                *slot = 0;
            }
        }
        let mut members = Vec::new();
        for (k, slot) in slots.iter_mut().enumerate() {
            if *slot != NONE {
                *slot = number(members.len());
                members.push(k as u64);
            }
        }
        let ids = keys
            .iter()
            .map(|k| slots.get(usize::try_from(*k).unwrap_or(usize::MAX)).copied().unwrap_or(NONE))
            .collect();
        (ids, members)
    } else {
        let mut members: Vec<u64> = keys.iter().copied().filter(|k| *k != NONE64).collect();
        members.sort_unstable();
        members.dedup();
        let ids = keys.iter().map(|k| members.binary_search(k).map_or(NONE, number)).collect();
        (ids, members)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::microdata::{Microdata, ReadOptions};

    fn column(csv: &str) -> Column {
        let data = Microdata::from_csv(csv.as_bytes(), "d.csv", &ReadOptions::default()).unwrap();
        data.columns()[0].clone()
    }

    #[test]
    fn text_sorts_by_code_point_and_numbers_by_value() {
        let text = level(&column("k,o\nb,1\nB,1\na,1\n,1\nb,1\né,1\n"));
        assert_eq!(text.labels, ["B", "a", "b", "é"]);
        assert_eq!(text.ranks, [2, 0, 1, NONE, 2, 3]);
        let numbers = level(&column("k\n10\n9\n-0\n0\n2.5\n"));
        assert_eq!(numbers.labels, ["0", "2.5", "9", "10"]);
        assert_eq!(numbers.ranks, [3, 2, 0, 0, 1]);
    }

    #[test]
    fn combinations_are_the_observed_ones_in_order() {
        let a = Level { labels: vec!["x".into(), "y".into()], ranks: vec![1, 0, 1, 0, NONE] };
        let b = Level { labels: vec!["p".into(), "q".into(), "r".into()], ranks: vec![2, 0, 2, 1, 0] };
        let keys = combine(&[&a, &b], &[true, true, true, true, false]);
        assert_eq!(keys.tuples, [vec![0, 0], vec![0, 1], vec![1, 2]]);
        assert_eq!(keys.ids, [2, 0, 2, 1, NONE]);
        let none = combine(&[], &[true, false]);
        assert_eq!((none.ids, none.tuples), (vec![0, NONE], vec![vec![]]));
    }

    #[test]
    fn sparse_numbering_matches_dense() {
        let keys = [5_u64, NONE64, 1 << 40, 5, 7];
        let (ids, members) = densify(&keys, 1 << 41);
        assert_eq!(members, [5, 7, 1 << 40]);
        assert_eq!(ids, [0, NONE, 2, 0, 1]);
        let (ids, members) = densify(&[5, NONE64, 3, 5, 7], 8);
        assert_eq!((ids, members), (vec![1, NONE, 0, 1, 2], vec![3, 5, 7]));
    }
}
