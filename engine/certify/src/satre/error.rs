//! What can go wrong reading SATRE data: the embedded specification and mapping, or a TRE's
//! self-assessment sheet. Every sheet error names the file and the 1-based line (the header is
//! line 1; a record that spans lines is named by the line it starts on).

/// The embedded SATRE data (`blueprint/satre/`) could not be read. Never expected in a
/// release: a test reads both files. When it happens, nothing is scored (fail closed).
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
pub enum SpecificationError {
    /// The specification is not YAML of the expected shape.
    #[error("{file} line {line}: not a SATRE specification: {message}")]
    #[diagnostic(code(fivesafes::satre::specification))]
    Yaml {
        /// The file.
        file: String,
        /// 1-based line (0 when the parser gave none).
        line: u64,
        /// The parser's message.
        message: String,
    },
    /// A statement of the specification is malformed.
    #[error("{file}: statement `{index}`: {message}")]
    #[diagnostic(code(fivesafes::satre::statement))]
    Statement {
        /// The file.
        file: String,
        /// The statement's `requirement_index`.
        index: String,
        /// What is wrong.
        message: String,
    },
    /// The v1.1 to v2 mapping is malformed.
    #[error("{file} line {line}: {message}")]
    #[diagnostic(code(fivesafes::satre::mapping))]
    Mapping {
        /// The file.
        file: String,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
}

/// A self-assessment sheet could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
pub enum SheetError {
    /// The embedded SATRE data is broken.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Specification(#[from] SpecificationError),
    /// The bytes are not readable CSV (or not UTF-8).
    #[error("{file} line {line}: not readable as CSV: {message}")]
    #[diagnostic(code(fivesafes::satre::csv), help("export the sheet as CSV in UTF-8"))]
    Csv {
        /// The sheet.
        file: String,
        /// 1-based line.
        line: u64,
        /// The CSV reader's message.
        message: String,
    },
    /// The sheet has no header row.
    #[error("{file} line 1: empty, expected a header row naming the columns `Item` and `Score`")]
    #[diagnostic(code(fivesafes::satre::empty))]
    Empty {
        /// The sheet.
        file: String,
    },
    /// A required column is missing from the header.
    #[error("{file} line {line}: no `{column}` column in the header (it has {found})")]
    #[diagnostic(
        code(fivesafes::satre::missing_column),
        help(
            "a SATRE self-assessment has the columns Section, Item, Statement, Guidance, Importance, Score, Response, Improvements"
        )
    )]
    MissingColumn {
        /// The column's name.
        column: String,
        /// The sheet.
        file: String,
        /// The header's 1-based line.
        line: u64,
        /// The header's column names, in backticks, comma-separated.
        found: String,
    },
    /// A column the reader uses appears twice in the header.
    #[error("{file} line {line}: two `{column}` columns (columns {first} and {second})")]
    #[diagnostic(code(fivesafes::satre::duplicate_column))]
    DuplicateColumn {
        /// The column's name.
        column: String,
        /// The sheet.
        file: String,
        /// The header's 1-based line.
        line: u64,
        /// 1-based position of the first.
        first: usize,
        /// 1-based position of the second.
        second: usize,
    },
    /// The sheet has a header but no item rows.
    #[error("{file} line {line}: a header but no SATRE items below it")]
    #[diagnostic(code(fivesafes::satre::no_items))]
    NoItems {
        /// The sheet.
        file: String,
        /// The header's 1-based line.
        line: u64,
    },
    /// An Item cell is not a SATRE item number.
    #[error("{file} line {line}: `{item}` is not a SATRE item number (`x.y.z.` in v1.1, `x.y.0z` in v2)")]
    #[diagnostic(code(fivesafes::satre::bad_item))]
    BadItem {
        /// The sheet.
        file: String,
        /// 1-based line.
        line: u64,
        /// The cell.
        item: String,
    },
    /// Items numbered as v1.1 and as v2 in one sheet.
    #[error(
        "{file} line {line}: item `{item}` is numbered as SATRE {version} but line {first_line} numbers items as SATRE {first_version}"
    )]
    #[diagnostic(
        code(fivesafes::satre::mixed_versions),
        help("number every item of a sheet the same way: `1.2.1.` (v1.1) or `1.2.01` (v2)")
    )]
    MixedVersions {
        /// The sheet.
        file: String,
        /// 1-based line of the item that disagrees.
        line: u64,
        /// The item.
        item: String,
        /// The version its numbering says (`v1.1` or `v2`).
        version: String,
        /// The first line whose numbering set the sheet's version.
        first_line: u64,
        /// The version that line's numbering says.
        first_version: String,
    },
    /// A Score cell is not a score.
    #[error(
        "{file} line {line}, column {column} `{column_name}`: `{text}` is not a SATRE score (0 to 2, `N/A` or blank)"
    )]
    #[diagnostic(code(fivesafes::satre::bad_score))]
    BadScore {
        /// The sheet.
        file: String,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: usize,
        /// The column's name in the header.
        column_name: String,
        /// The cell.
        text: String,
    },
    /// An item that is not a SATRE v2.0.1 statement (after mapping, for a v1.1 sheet).
    #[error("{file} line {line}: item `{item}` is not a SATRE v2.0.1 statement{mapped}")]
    #[diagnostic(code(fivesafes::satre::unknown_item))]
    UnknownItem {
        /// The sheet.
        file: String,
        /// 1-based line.
        line: u64,
        /// The item, as the sheet numbers it.
        item: String,
        /// For a v1.1 item, what it maps to (` (v1.1, read as `1.2.13`)`); empty for v2.
        mapped: String,
    },
    /// The same statement twice.
    #[error("{file} line {line}: item `{item}` appears again (first on line {first_line})")]
    #[diagnostic(code(fivesafes::satre::duplicate_item))]
    DuplicateItem {
        /// The sheet.
        file: String,
        /// 1-based line of the repeat.
        line: u64,
        /// The item, as the sheet numbers it.
        item: String,
        /// The line it first appeared on.
        first_line: u64,
        /// A hint, when the repeat has a known cause.
        #[help]
        help: Option<String>,
    },
}

/// A user's text as a message shows it: on one line, control characters escaped (`\n`).
pub(crate) fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
