//! One column being read: numbers, categories, or an inferred column to read again.

use super::{ColumnType, ColumnValues, FirstText, MISSING_CODE, MicrodataError};
use std::collections::HashMap;

/// A column under construction.
pub(super) enum Builder {
    /// Numbers so far: declared numeric, or inferred and every value so far a number.
    Numeric { values: Vec<f64>, declared: bool, seen_number: bool },
    /// Categories: declared, or inferred after the first text met when no number had been.
    Categorical { codes: Vec<u32>, lookup: HashMap<Box<[u8]>, u32>, values: Vec<String>, first_text: Option<FirstText> },
    /// Inferred as numeric, then text after numbers: to be read again as categories.
    Deferred { first_text: FirstText },
}

/// A finished column.
pub(super) enum Outcome {
    /// The values.
    Done { values: ColumnValues, first_text: Option<FirstText> },
    /// Read again as categories.
    Deferred { first_text: Option<FirstText> },
}

/// Why a field could not be taken.
pub(super) enum Problem {
    NotUtf8,
    NotNumeric(String),
}

impl Problem {
    pub(super) fn into_error(self, file: &str, line: u64, column: String) -> MicrodataError {
        match self {
            Problem::NotUtf8 => MicrodataError::NotUtf8 { file: file.to_owned(), line, column },
            Problem::NotNumeric(value) => MicrodataError::NotNumeric { file: file.to_owned(), line, column, value },
        }
    }
}

/// A finite number, from a field with optional spaces or tabs around it.
pub(super) fn parse_number(field: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(field.trim_ascii()).ok()?;
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

impl Builder {
    pub(super) fn new(declared: Option<ColumnType>) -> Self {
        match declared {
            Some(ColumnType::Categorical) => Builder::categorical(0, None),
            Some(ColumnType::Numeric) => Builder::Numeric { values: Vec::new(), declared: true, seen_number: false },
            None => Builder::Numeric { values: Vec::new(), declared: false, seen_number: false },
        }
    }

    fn categorical(missing: usize, first_text: Option<FirstText>) -> Self {
        Builder::Categorical {
            codes: vec![MISSING_CODE; missing],
            lookup: HashMap::new(),
            values: Vec::new(),
            first_text,
        }
    }

    /// Takes the next record's field (`line` names it in errors).
    pub(super) fn push(&mut self, field: &[u8], line: u64) -> Result<(), Problem> {
        match self {
            Builder::Numeric { values, declared, seen_number } => {
                if field.is_empty() {
                    values.push(f64::NAN);
                    return Ok(());
                }
                if let Some(number) = parse_number(field) {
                    values.push(number);
                    *seen_number = true;
                    return Ok(());
                }
                let text = String::from_utf8_lossy(field).into_owned();
                if *declared {
                    return Err(Problem::NotNumeric(text));
                }
                let first_text = FirstText { line, value: text };
                if *seen_number {
                    *self = Builder::Deferred { first_text };
                    Ok(())
                } else {
                    // Only missing values so far: they stay missing as categories.
                    *self = Builder::categorical(values.len(), Some(first_text));
                    self.push(field, line)
                }
            }
            Builder::Categorical { codes, lookup, values, .. } => {
                if field.is_empty() {
                    codes.push(MISSING_CODE);
                    return Ok(());
                }
                if let Some(code) = lookup.get(field) {
                    codes.push(*code);
                    return Ok(());
                }
                let text = std::str::from_utf8(field).map_err(|_| Problem::NotUtf8)?;
                // Codes stay below MISSING_CODE: there are fewer distinct values than records.
                let code = u32::try_from(values.len()).unwrap_or(MISSING_CODE - 1);
                values.push(text.to_owned());
                lookup.insert(field.into(), code);
                codes.push(code);
                Ok(())
            }
            Builder::Deferred { .. } => Ok(()),
        }
    }

    pub(super) fn finish(self) -> Outcome {
        match self {
            Builder::Numeric { values, .. } => {
                Outcome::Done { values: ColumnValues::Numeric(values), first_text: None }
            }
            Builder::Categorical { codes, values, first_text, .. } => {
                Outcome::Done { values: ColumnValues::Categorical { codes, values }, first_text }
            }
            Builder::Deferred { first_text } => Outcome::Deferred { first_text: Some(first_text) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_number;

    #[test]
    fn numbers_are_finite_and_may_have_spaces_around_them() {
        assert_eq!(parse_number(b"1"), Some(1.0));
        assert_eq!(parse_number(b" -2.5\t"), Some(-2.5));
        assert_eq!(parse_number(b"1e3"), Some(1000.0));
        assert_eq!(parse_number(b"+.5"), Some(0.5));
        for text in [&b"inf"[..], b"NaN", b"1e400", b"1,5", b"x", b" ", b"0x10"] {
            assert_eq!(parse_number(text), None, "{}", String::from_utf8_lossy(text));
        }
    }
}
