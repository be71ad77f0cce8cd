//! Cells: the records of a group, what the rules need of them, and the aggregated value.

use crate::spec::Aggfunc;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A cell's value as the table shows it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum CellValue {
    /// A count (`count` tables).
    Count(u64),
    /// A magnitude (the other aggregations).
    Number(f64),
}

/// What the rules need to know of a cell (inner or margin).
#[derive(Debug, Clone, PartialEq)]
pub struct CellStats {
    /// Records in the cell, those whose `values` is missing included.
    pub n: u64,
    /// Records in the cell whose `values` is not missing (`n` when there is no `values`).
    pub non_missing: u64,
    /// Sum of the values that are not missing (compensated summation; 0 when none).
    pub sum: f64,
    /// The largest values, largest first: as many as the rules need (at most the values).
    pub top: Vec<f64>,
    /// How many values are negative.
    pub negatives: u64,
    /// The cell's value; `None` where pandas shows NaN (no records, or nothing to aggregate).
    pub value: Option<CellValue>,
}

/// Groups the records and summarises each group.
pub(super) struct Grouping<'a> {
    /// Per record, the value to aggregate (NaN when missing); `None` for a frequency table.
    pub values: Option<&'a [f64]>,
    /// The aggregation.
    pub aggfunc: Aggfunc,
    /// How many of the largest values to keep.
    pub keep_top: usize,
}

impl Grouping<'_> {
    /// Summarises `groups` groups; `group(r)` is the group of record `r` (`None`: left out).
    pub(super) fn summarise(
        &self,
        records: usize,
        groups: usize,
        group: impl Fn(usize) -> Option<usize>,
    ) -> Vec<CellStats> {
        let value = |r: usize| self.values.and_then(|v| v.get(r).copied()).filter(|v| !v.is_nan());
        let mut n = vec![0_u64; groups];
        // offsets[g + 1] counts group g's values, then becomes where they end.
        let mut offsets = vec![0_usize; groups + 1];
        for r in 0..records {
            if let Some(g) = group(r) {
                if let Some(count) = n.get_mut(g) {
                    *count += 1;
                }
                if value(r).is_some()
                    && let Some(count) = offsets.get_mut(g + 1)
                {
                    *count += 1;
                }
            }
        }
        for g in 0..groups {
            let before = offsets.get(g).copied().unwrap_or(0);
            if let Some(end) = offsets.get_mut(g + 1) {
                *end += before;
            }
        }
        // Counting sort: each group's values together.
        let mut buffer = vec![0.0_f64; offsets.last().copied().unwrap_or(0)];
        let mut cursor = offsets.clone();
        for r in 0..records {
            if let (Some(g), Some(v)) = (group(r), value(r))
                && let Some(at) = cursor.get_mut(g)
            {
                if let Some(slot) = buffer.get_mut(*at) {
                    *slot = v;
                }
                *at += 1;
            }
        }
        let mut rest: &mut [f64] = &mut buffer;
        let mut stats = Vec::with_capacity(groups);
        for (g, count) in n.iter().enumerate() {
            let len = offsets.get(g + 1).copied().unwrap_or(0).saturating_sub(offsets.get(g).copied().unwrap_or(0));
            let taken = std::mem::take(&mut rest);
            let (mine, others) = taken.split_at_mut(len.min(taken.len()));
            rest = others;
            stats.push(self.cell(*count, mine));
        }
        stats
    }

    /// The statistics of one group: `n` records, `values` those not missing.
    fn cell(&self, n: u64, values: &mut [f64]) -> CellStats {
        let non_missing = if self.values.is_some() { values.len() as u64 } else { n };
        let mut negatives = 0;
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.iter() {
            negatives += u64::from(*v < 0.0);
            min = min.min(*v);
            max = max.max(*v);
        }
        let sum = compensated_sum(values);
        let top = largest(values, self.keep_top);
        let any = !values.is_empty();
        let number = |x: f64| Some(CellValue::Number(x));
        let value = match self.aggfunc {
            Aggfunc::Count if self.values.is_none() => Some(CellValue::Count(n)),
            Aggfunc::Count => (n > 0).then_some(CellValue::Count(non_missing)),
            Aggfunc::Sum => {
                if n > 0 {
                    number(sum)
                } else {
                    None
                }
            }
            Aggfunc::Mean => {
                if any {
                    number(sum / values.len() as f64)
                } else {
                    None
                }
            }
            Aggfunc::Min => {
                if any {
                    number(min)
                } else {
                    None
                }
            }
            Aggfunc::Max => {
                if any {
                    number(max)
                } else {
                    None
                }
            }
            Aggfunc::Median => median(values).and_then(number),
            Aggfunc::Std => std(values, sum).and_then(number),
        };
        CellStats { n, non_missing, sum, top, negatives, value }
    }
}

/// Neumaier's compensated sum: exact for integers below 2^53, close to pandas' Kahan sums.
fn compensated_sum(values: &[f64]) -> f64 {
    let (mut sum, mut compensation) = (0.0_f64, 0.0_f64);
    for v in values {
        let t = sum + v;
        compensation += if sum.abs() >= v.abs() { (sum - t) + v } else { (v - t) + sum };
        sum = t;
    }
    sum + compensation
}

/// The `k` largest values, largest first (all of them, sorted, when there are at most `k`).
fn largest(values: &mut [f64], k: usize) -> Vec<f64> {
    let descending = |a: &f64, b: &f64| b.total_cmp(a);
    if k == 0 {
        return Vec::new();
    }
    if k <= 16 {
        let mut top: Vec<f64> = Vec::with_capacity(k + 1);
        for v in values.iter() {
            if top.len() == k && top.last().is_some_and(|last| v <= last) {
                continue;
            }
            let at = top.iter().position(|t| v > t).unwrap_or(top.len());
            top.insert(at, *v);
            top.truncate(k);
        }
        return top;
    }
    if values.len() > k {
        values.select_nth_unstable_by(k - 1, descending);
    }
    let mut top: Vec<f64> = values.iter().take(k).copied().collect();
    top.sort_unstable_by(descending);
    top
}

/// The median: the middle value, or the mean of the two middle values (pandas, numpy).
fn median(values: &mut [f64]) -> Option<f64> {
    let len = values.len();
    if len == 0 {
        return None;
    }
    let (lower, upper, _) = values.select_nth_unstable_by(len / 2, f64::total_cmp);
    let upper = *upper;
    if len % 2 == 1 {
        return Some(upper);
    }
    let below = lower.iter().copied().max_by(f64::total_cmp)?;
    Some((below + upper) / 2.0)
}

/// The sample standard deviation (n - 1 in the denominator, as pandas), two passes.
fn std(values: &[f64], sum: f64) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let count = values.len() as f64;
    let mean = sum / count;
    let squares: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    Some((squares / (count - 1.0)).sqrt())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn one(aggfunc: Aggfunc, values: &[f64]) -> CellStats {
        let grouping = Grouping { values: Some(values), aggfunc, keep_top: 2 };
        grouping.summarise(values.len(), 1, |_| Some(0)).remove(0)
    }

    #[test]
    fn aggregations_follow_pandas() {
        let v = [4.0, f64::NAN, 1.0, 3.0, 2.0];
        assert_eq!(one(Aggfunc::Count, &v).value, Some(CellValue::Count(4)));
        assert_eq!(one(Aggfunc::Sum, &v).value, Some(CellValue::Number(10.0)));
        assert_eq!(one(Aggfunc::Mean, &v).value, Some(CellValue::Number(2.5)));
        assert_eq!(one(Aggfunc::Median, &v).value, Some(CellValue::Number(2.5)));
        assert_eq!(one(Aggfunc::Median, &v[..4]).value, Some(CellValue::Number(3.0)));
        assert_eq!(one(Aggfunc::Min, &v).value, Some(CellValue::Number(1.0)));
        assert_eq!(one(Aggfunc::Max, &v).value, Some(CellValue::Number(4.0)));
        // var = (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5/3
        assert_eq!(one(Aggfunc::Std, &v).value, Some(CellValue::Number((5.0_f64 / 3.0).sqrt())));
        let stats = one(Aggfunc::Mean, &v);
        assert_eq!((stats.n, stats.non_missing, stats.top.clone(), stats.negatives), (5, 4, vec![4.0, 3.0], 0));
    }

    #[test]
    fn nothing_to_aggregate_is_nan_but_sum_and_count_are_zero() {
        let missing = [f64::NAN, f64::NAN];
        assert_eq!(one(Aggfunc::Mean, &missing).value, None);
        assert_eq!(one(Aggfunc::Std, &[1.0]).value, None);
        assert_eq!(one(Aggfunc::Sum, &missing).value, Some(CellValue::Number(0.0)));
        assert_eq!(one(Aggfunc::Count, &missing).value, Some(CellValue::Count(0)));
        // No records at all: NaN even for sum and count (pandas leaves the cell empty).
        let grouping = Grouping { values: Some(&[]), aggfunc: Aggfunc::Sum, keep_top: 2 };
        assert_eq!(grouping.summarise(0, 1, |_| Some(0))[0].value, None);
        let frequency = Grouping { values: None, aggfunc: Aggfunc::Count, keep_top: 2 };
        assert_eq!(frequency.summarise(0, 1, |_| Some(0))[0].value, Some(CellValue::Count(0)));
    }

    #[test]
    fn groups_are_summarised_apart() {
        let values = [1.0, 10.0, 2.0, 20.0, -3.0];
        let grouping = Grouping { values: Some(&values), aggfunc: Aggfunc::Sum, keep_top: 2 };
        let stats = grouping.summarise(5, 3, |r| [Some(0), Some(1), Some(0), Some(1), None][r]);
        assert_eq!(
            stats.iter().map(|s| s.value).collect::<Vec<_>>(),
            [Some(CellValue::Number(3.0)), Some(CellValue::Number(30.0)), None]
        );
        assert_eq!(stats[1].top, [20.0, 10.0]);
        assert_eq!(stats[2].n, 0);
    }

    #[test]
    fn the_largest_values_with_any_k() {
        let mut v = [3.0, 9.0, 1.0, 9.0, 4.0];
        assert_eq!(largest(&mut v, 3), [9.0, 9.0, 4.0]);
        assert_eq!(largest(&mut v, 7), [9.0, 9.0, 4.0, 3.0, 1.0]);
        let mut many: Vec<f64> = (0..100).map(f64::from).collect();
        assert_eq!(largest(&mut many, 20).first(), Some(&99.0));
        assert_eq!(largest(&mut many, 20).len(), 20);
        assert_eq!(largest(&mut many, 20).last(), Some(&80.0));
    }

    #[test]
    fn compensated_sums_keep_small_terms() {
        assert_eq!(compensated_sum(&[1e16, 1.0, -1e16]), 1.0);
        assert_eq!(compensated_sum(&[0.1; 10]), 1.0);
    }
}
