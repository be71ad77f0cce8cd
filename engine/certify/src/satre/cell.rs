//! One cell of a self-assessment sheet: an item number or a score.

use schemars::JsonSchema;
use serde::Serialize;

/// A statement's score in a self-assessment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Score {
    /// A score from 0 (not met) through 1 (sufficient) to 2 (satisfied); fractions allowed.
    Value(f64),
    /// `N/A`, `NA` or `n/a`: the TRE says the statement does not apply to it.
    NotApplicable,
    /// Blank.
    NotScored,
}

impl Score {
    /// Read a Score cell: a number from 0 to 2, `N/A` or `NA` (any case), or blank (spaces
    /// around it ignored). None when it is none of these.
    pub fn parse(text: &str) -> Option<Score> {
        let text = text.trim();
        if text.is_empty() {
            return Some(Score::NotScored);
        }
        if text.eq_ignore_ascii_case("n/a") || text.eq_ignore_ascii_case("na") {
            return Some(Score::NotApplicable);
        }
        let value: f64 = text.parse().ok()?;
        // `-0` is 0; NaN and infinities fail the range.
        (value.is_finite() && (0.0..=2.0).contains(&value)).then_some(Score::Value(value.abs()))
    }

    /// The number, when it is one.
    pub fn value(self) -> Option<f64> {
        match self {
            Score::Value(v) => Some(v),
            Score::NotApplicable | Score::NotScored => None,
        }
    }
}

/// Which SATRE version an item's numbering says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Numbering {
    /// `1.2.1`, `1.2.10.`: a last number of one digit, or a trailing dot.
    V1,
    /// `1.2.01`: a zero-padded last number.
    V2,
    /// `1.2.10`: could be either.
    Either,
}

/// An Item cell, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ItemNumber {
    /// The index, trailing dots and spaces trimmed: `1.2.1`, `1.2.01`.
    pub(crate) index: String,
    /// What the numbering says of the version.
    pub(crate) numbering: Numbering,
}

/// Read an Item cell: three numbers joined by dots (none zero, the first two without leading
/// zeros, at most two digits each), with trailing dots and spaces trimmed. None when it is not
/// an item number.
pub(crate) fn item_number(text: &str) -> Option<ItemNumber> {
    let trimmed = text.trim();
    let index = trimmed.trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    let trailing_dot = index.len() < trimmed.len();
    let digits = |p: &str| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = index.split('.').collect();
    let [x, y, z] = parts.as_slice() else { return None };
    let plain = |p: &str| digits(p) && !p.starts_with('0');
    if !(plain(x) && plain(y) && digits(z) && z.bytes().any(|b| b != b'0')) {
        return None;
    }
    let numbering = if z.starts_with('0') {
        Numbering::V2
    } else if z.len() == 1 || trailing_dot {
        Numbering::V1
    } else {
        Numbering::Either
    };
    Some(ItemNumber { index: index.to_owned(), numbering })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]
    use super::*;

    #[test]
    fn scores() {
        assert_eq!(Score::parse("2"), Some(Score::Value(2.0)));
        assert_eq!(Score::parse(" 1.5 "), Some(Score::Value(1.5)));
        assert_eq!(Score::parse("0"), Some(Score::Value(0.0)));
        assert_eq!(Score::parse("-0"), Some(Score::Value(0.0)));
        assert_eq!(Score::parse("N/A"), Some(Score::NotApplicable));
        assert_eq!(Score::parse("na"), Some(Score::NotApplicable));
        assert_eq!(Score::parse("n/a"), Some(Score::NotApplicable));
        assert_eq!(Score::parse("  "), Some(Score::NotScored));
        for bad in ["-1", "2.5", "3", "yes", "NaN", "inf", "1,5", "N / A"] {
            assert_eq!(Score::parse(bad), None, "{bad}");
        }
        assert_eq!(Score::Value(1.5).value(), Some(1.5));
        assert_eq!(Score::NotApplicable.value(), None);
    }

    #[test]
    fn item_numbers() {
        let item = |t: &str| item_number(t).map(|i| (i.index, i.numbering));
        assert_eq!(item("1.2.1."), Some(("1.2.1".into(), Numbering::V1)));
        assert_eq!(item("2.1.8"), Some(("2.1.8".into(), Numbering::V1)));
        assert_eq!(item(" 1.2.10. "), Some(("1.2.10".into(), Numbering::V1)));
        assert_eq!(item("1.2.10"), Some(("1.2.10".into(), Numbering::Either)));
        assert_eq!(item("1.2.01"), Some(("1.2.01".into(), Numbering::V2)));
        assert_eq!(item("1.2.01."), Some(("1.2.01".into(), Numbering::V2)));
        for bad in ["", "1.2", "1.2.3.4", "1.2.0", "1.2.00", "01.2.1", "1.x.1", "1.2.123", "1. 2.1", "A"] {
            assert_eq!(item_number(bad), None, "{bad}");
        }
    }
}
