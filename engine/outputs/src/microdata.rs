//! Microdata: the records an output is built from, read from CSV into columns.
//!
//! The first row names the columns; an empty field is a missing value. A column is numeric when
//! every value that is not missing parses as a finite number (surrounding spaces and tabs
//! allowed, `inf` and `nan` are text), categorical otherwise, unless the spec declares its type
//! (`column_types`). Columns are stored, not rows: numbers as `f64` with NaN where missing,
//! categories as dictionary codes into a list of the distinct values.
//!
//! Reading is one pass over the bytes with the `csv` crate's byte records. A column inferred as
//! numeric that meets text after it has held numbers has lost the text of those numbers (`1.0`
//! and `1` are different categories), so it is read again, alone, in a second pass; a column
//! whose first value that is not missing is text costs nothing extra.
//!
//! Blank lines are skipped, as pandas' `read_csv` skips them. Unlike `read_csv`, only an empty
//! field is missing: `NA`, `NaN` or `null` are text.

mod builder;

use builder::{Builder, Outcome};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The code of a missing value in a categorical column.
pub const MISSING_CODE: u32 = u32::MAX;

/// The type of a column: what the spec's `column_types` declares, or what reading infers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// Values are labels: grouped by their text, sorted lexicographically.
    Categorical,
    /// Values are finite numbers: grouped by value, sorted numerically.
    Numeric,
}

/// The values of one column, one per record.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    /// Numbers; NaN where the value is missing (every value read is finite).
    Numeric(Vec<f64>),
    /// Categories.
    Categorical {
        /// Per record, an index into `values`, or [`MISSING_CODE`].
        codes: Vec<u32>,
        /// The distinct values, in the order first met.
        values: Vec<String>,
    },
}

/// Where a column inferred as categorical first held text that is not a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstText {
    /// 1-based line of the CSV.
    pub line: u64,
    /// The text.
    pub value: String,
}

/// One column of microdata.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    name: String,
    values: ColumnValues,
    declared: bool,
    first_text: Option<FirstText>,
}

impl Column {
    /// The column's name, from the header row.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Numeric or categorical.
    pub fn column_type(&self) -> ColumnType {
        match self.values {
            ColumnValues::Numeric(_) => ColumnType::Numeric,
            ColumnValues::Categorical { .. } => ColumnType::Categorical,
        }
    }

    /// The values.
    pub fn values(&self) -> &ColumnValues {
        &self.values
    }

    /// Whether the spec declared the type (rather than reading inferring it).
    pub fn declared(&self) -> bool {
        self.declared
    }

    /// For a column inferred as categorical: where it first held text that is not a number.
    pub fn first_text(&self) -> Option<&FirstText> {
        self.first_text.as_ref()
    }

    /// Whether the value of `record` is missing (also for a record out of range).
    pub fn is_missing(&self, record: usize) -> bool {
        match &self.values {
            ColumnValues::Numeric(v) => v.get(record).is_none_or(|x| x.is_nan()),
            ColumnValues::Categorical { codes, .. } => codes.get(record).is_none_or(|c| *c == MISSING_CODE),
        }
    }
}

/// How to read microdata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Declared column types; a declared column not in the header is ignored here (the spec
    /// reports it).
    pub column_types: BTreeMap<String, ColumnType>,
    /// Keep only these columns (all when `None`); the others are checked for shape only.
    pub only: Option<BTreeSet<String>>,
}

/// Microdata read from CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct Microdata {
    file: String,
    headers: Vec<String>,
    columns: Vec<Column>,
    records: usize,
}

impl Microdata {
    /// Reads CSV bytes; `file` names them in errors.
    ///
    /// # Errors
    /// When the bytes are not CSV with a header row, a row has more or fewer fields than the
    /// header, a header name repeats, a kept value is not UTF-8 or a column declared numeric
    /// holds text.
    pub fn from_csv(csv: &[u8], file: &str, options: &ReadOptions) -> Result<Self, MicrodataError> {
        let mut reader = csv_reader(csv);
        let headers = headers(&mut reader, file)?;
        let mut builders: Vec<(usize, Builder)> = headers
            .iter()
            .enumerate()
            .filter(|(_, name)| options.only.as_ref().is_none_or(|only| only.contains(*name)))
            .map(|(index, name)| (index, Builder::new(options.column_types.get(name).copied())))
            .collect();
        let records = read_records(&mut reader, file, &headers, &mut builders)?;
        let mut columns = Vec::with_capacity(builders.len());
        let mut deferred = Vec::new();
        for (index, builder) in builders {
            let name = headers.get(index).cloned().unwrap_or_default();
            match builder.finish() {
                Outcome::Done { values, first_text } => {
                    let declared = options.column_types.contains_key(&name);
                    columns.push(Column { name, values, declared, first_text });
                }
                Outcome::Deferred { first_text } => deferred.push((index, name, first_text, columns.len())),
            }
        }
        // Columns inferred as numeric that met text after numbers: read again as categories.
        if !deferred.is_empty() {
            let mut reader = csv_reader(csv);
            headers_again(&mut reader, file)?;
            let mut again: Vec<(usize, Builder)> =
                deferred.iter().map(|(index, ..)| (*index, Builder::new(Some(ColumnType::Categorical)))).collect();
            read_records(&mut reader, file, &headers, &mut again)?;
            for ((_, builder), (_, name, first_text, position)) in again.into_iter().zip(deferred).rev() {
                if let Outcome::Done { values, .. } = builder.finish() {
                    let column = Column { name, values, declared: false, first_text };
                    columns.insert(position.min(columns.len()), column);
                }
            }
        }
        Ok(Microdata { file: file.to_owned(), headers, columns, records })
    }

    /// The file's name, as given.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Every column name of the header row, in order (also those not kept).
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The kept columns, in header order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// A kept column by name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The number of records (rows after the header).
    pub fn records(&self) -> usize {
        self.records
    }
}

fn csv_reader(csv: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(csv)
}

fn headers(reader: &mut csv::Reader<&[u8]>, file: &str) -> Result<Vec<String>, MicrodataError> {
    let raw = reader.byte_headers().map_err(|e| csv_error(file, &e))?.clone();
    if raw.is_empty() {
        return Err(MicrodataError::NoHeader { file: file.to_owned() });
    }
    let line = raw.position().map_or(1, csv::Position::line);
    let mut names = Vec::with_capacity(raw.len());
    let mut seen = BTreeSet::new();
    for (index, field) in raw.iter().enumerate() {
        let name = std::str::from_utf8(field)
            .map_err(|_| MicrodataError::NotUtf8 { file: file.to_owned(), line, column: format!("#{}", index + 1) })?
            .to_owned();
        if !seen.insert(name.clone()) {
            return Err(MicrodataError::DuplicateColumn { file: file.to_owned(), line, column: name });
        }
        names.push(name);
    }
    Ok(names)
}

fn headers_again(reader: &mut csv::Reader<&[u8]>, file: &str) -> Result<(), MicrodataError> {
    reader.byte_headers().map(|_| ()).map_err(|e| csv_error(file, &e))
}

/// Reads every record, feeding each kept field to its builder; returns the number of records.
fn read_records(
    reader: &mut csv::Reader<&[u8]>,
    file: &str,
    headers: &[String],
    builders: &mut [(usize, Builder)],
) -> Result<usize, MicrodataError> {
    let mut record = csv::ByteRecord::new();
    let mut records = 0_usize;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(file, &e)),
        }
        if records >= (MISSING_CODE - 1) as usize {
            return Err(MicrodataError::TooManyRecords { file: file.to_owned(), limit: MISSING_CODE - 1 });
        }
        let line = record.position().map_or(0, csv::Position::line);
        for (index, builder) in builders.iter_mut() {
            let field = record.get(*index).unwrap_or_default();
            if let Err(problem) = builder.push(field, line) {
                let column = headers.get(*index).cloned().unwrap_or_default();
                return Err(problem.into_error(file, line, column));
            }
        }
        records += 1;
    }
    Ok(records)
}

/// `1 field`, `3 fields`.
fn fields(count: u64) -> String {
    if count == 1 { "1 field".to_owned() } else { format!("{count} fields") }
}

fn csv_error(file: &str, error: &csv::Error) -> MicrodataError {
    match error.kind() {
        csv::ErrorKind::UnequalLengths { pos, expected_len, len } => MicrodataError::Ragged {
            file: file.to_owned(),
            line: pos.as_ref().map_or(0, csv::Position::line),
            expected: *expected_len,
            found: *len,
        },
        _ => MicrodataError::Csv {
            file: file.to_owned(),
            line: error.position().map_or(0, csv::Position::line),
            message: error.to_string(),
        },
    }
}

/// Microdata could not be read. Every error names the file and the 1-based line (the header is
/// line 1; a record that spans lines is named by the line it starts on).
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
pub enum MicrodataError {
    /// The bytes are not readable as CSV.
    #[error("`{file}` line {line}: not readable as CSV: {message}")]
    #[diagnostic(code(fivesafes::outputs::csv), help("give the microdata as comma-separated values in UTF-8"))]
    Csv {
        /// The file.
        file: String,
        /// 1-based line (0 when the reader gave none).
        line: u64,
        /// The CSV reader's message.
        message: String,
    },
    /// A row has more or fewer fields than the header.
    #[error("`{file}` line {line}: {} where the header has {expected}", fields(*found))]
    #[diagnostic(
        code(fivesafes::outputs::ragged),
        help("every row needs one field per header column; leave a field empty for a missing value")
    )]
    Ragged {
        /// The file.
        file: String,
        /// 1-based line of the row.
        line: u64,
        /// Fields in the header.
        expected: u64,
        /// Fields in the row.
        found: u64,
    },
    /// There is no header row.
    #[error("`{file}` line 1: empty, expected a header row naming the columns")]
    #[diagnostic(code(fivesafes::outputs::no_header))]
    NoHeader {
        /// The file.
        file: String,
    },
    /// A column name appears twice in the header.
    #[error("`{file}` line {line}: the header names column `{column}` twice")]
    #[diagnostic(code(fivesafes::outputs::duplicate_column), help("give every column a distinct name"))]
    DuplicateColumn {
        /// The file.
        file: String,
        /// 1-based line of the header.
        line: u64,
        /// The repeated name.
        column: String,
    },
    /// A field is not UTF-8.
    #[error("`{file}` line {line}, column `{column}`: the value is not UTF-8")]
    #[diagnostic(code(fivesafes::outputs::utf8), help("save the microdata in UTF-8"))]
    NotUtf8 {
        /// The file.
        file: String,
        /// 1-based line.
        line: u64,
        /// The column's name (`#n` for a header field).
        column: String,
    },
    /// A column the spec declares numeric holds text.
    #[error(
        "`{file}` line {line}, column `{column}`: `{value}` is not a finite number, but the spec declares the column numeric"
    )]
    #[diagnostic(
        code(fivesafes::outputs::not_numeric),
        help("correct the value, leave it empty if it is missing, or declare the column categorical")
    )]
    NotNumeric {
        /// The file.
        file: String,
        /// 1-based line.
        line: u64,
        /// The column's name.
        column: String,
        /// The value.
        value: String,
    },
    /// More records than a table can index.
    #[error("`{file}`: more than {limit} records")]
    #[diagnostic(code(fivesafes::outputs::too_many_records))]
    TooManyRecords {
        /// The file.
        file: String,
        /// The most records read.
        limit: u32,
    },
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn read(csv: &str, types: &[(&str, ColumnType)]) -> Result<Microdata, MicrodataError> {
        let options =
            ReadOptions { column_types: types.iter().map(|(n, t)| ((*n).to_owned(), *t)).collect(), only: None };
        Microdata::from_csv(csv.as_bytes(), "data.csv", &options)
    }

    fn numbers(data: &Microdata, name: &str) -> Vec<f64> {
        match data.column(name).unwrap().values() {
            ColumnValues::Numeric(v) => v.clone(),
            ColumnValues::Categorical { .. } => panic!("`{name}` is categorical"),
        }
    }

    fn categories(data: &Microdata, name: &str) -> Vec<Option<String>> {
        match data.column(name).unwrap().values() {
            ColumnValues::Categorical { codes, values } => {
                codes.iter().map(|c| values.get(*c as usize).cloned()).collect()
            }
            ColumnValues::Numeric(_) => panic!("`{name}` is numeric"),
        }
    }

    #[test]
    fn types_are_inferred_per_column() {
        let data = read("a,b,c,d\n1, 2.5 ,x,\n,-3e2,1,\n4,inf,2,\n", &[]).unwrap();
        assert_eq!(data.records(), 3);
        assert_eq!(data.column("a").unwrap().column_type(), ColumnType::Numeric);
        let a = numbers(&data, "a");
        assert_eq!(a[0], 1.0);
        assert!(a[1].is_nan());
        assert_eq!(data.column("b").unwrap().column_type(), ColumnType::Categorical);
        assert_eq!(categories(&data, "b"), [Some(" 2.5 ".to_owned()), Some("-3e2".to_owned()), Some("inf".to_owned())]);
        assert_eq!(data.column("b").unwrap().first_text().unwrap(), &FirstText { line: 4, value: "inf".to_owned() });
        assert_eq!(categories(&data, "c"), [Some("x".to_owned()), Some("1".to_owned()), Some("2".to_owned())]);
        // All missing: numeric, every value NaN.
        assert!(numbers(&data, "d").iter().all(|v| v.is_nan()));
    }

    #[test]
    fn text_after_numbers_rereads_the_column_keeping_the_original_text() {
        let data = read("k,v\n1.0,1\n1,2\nx,3\n,4\n", &[]).unwrap();
        assert_eq!(categories(&data, "k"), [Some("1.0".to_owned()), Some("1".to_owned()), Some("x".to_owned()), None]);
        assert_eq!(data.columns().iter().map(Column::name).collect::<Vec<_>>(), ["k", "v"]);
        assert!(!data.column("k").unwrap().declared());
    }

    #[test]
    fn declared_types_win_over_inference() {
        let data = read("year,v\n2020,1\n2021,x\n", &[("year", ColumnType::Categorical)]).unwrap();
        assert_eq!(categories(&data, "year"), [Some("2020".to_owned()), Some("2021".to_owned())]);
        assert!(data.column("year").unwrap().declared());
        let err = read("year,v\n2020,1\n2021,x\n", &[("v", ColumnType::Numeric)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`data.csv` line 3, column `v`: `x` is not a finite number, but the spec declares the column numeric"
        );
    }

    #[test]
    fn a_ragged_row_is_named_by_its_line() {
        let err = read("a,b\n1,2\n3\n4,5\n", &[]).unwrap_err();
        assert_eq!(err, MicrodataError::Ragged { file: "data.csv".to_owned(), line: 3, expected: 2, found: 1 });
        assert_eq!(err.to_string(), "`data.csv` line 3: 1 field where the header has 2");
    }

    #[test]
    fn headers_must_exist_and_be_distinct() {
        assert!(matches!(read("", &[]), Err(MicrodataError::NoHeader { .. })));
        assert!(matches!(read("a,a\n1,2\n", &[]), Err(MicrodataError::DuplicateColumn { line: 1, .. })));
    }

    #[test]
    fn quoted_fields_blank_lines_and_a_bom() {
        let data = read("\u{feff}a,b\n\"x,y\",1\n\n\"\",2\n", &[]).unwrap();
        assert_eq!(data.headers(), ["a", "b"]);
        assert_eq!(data.records(), 2);
        assert_eq!(categories(&data, "a"), [Some("x,y".to_owned()), None]);
    }

    #[test]
    fn only_the_kept_columns_are_stored() {
        let options = ReadOptions { column_types: BTreeMap::new(), only: Some(["b".to_owned()].into()) };
        let data = Microdata::from_csv(b"a,b\nx,1\ny,2\n", "d.csv", &options).unwrap();
        assert_eq!(data.headers(), ["a", "b"]);
        assert_eq!(data.columns().len(), 1);
        assert!(data.column("a").is_none());
        assert!(!data.column("b").unwrap().is_missing(1));
        assert!(data.column("b").unwrap().is_missing(2));
    }

    #[test]
    fn invalid_utf8_in_a_kept_category_is_an_error() {
        let err = Microdata::from_csv(b"a\n\xff\n", "d.csv", &ReadOptions::default()).unwrap_err();
        assert!(matches!(err, MicrodataError::NotUtf8 { line: 2, .. }), "{err:?}");
    }
}
