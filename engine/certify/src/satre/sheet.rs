//! A TRE's SATRE self-assessment, read from its spreadsheet exported as CSV.

use super::cell::{ItemNumber, Numbering, Score, item_number};
use super::error::{SheetError, shown};
use super::line::LineCounter;
use super::mapping::{MAPPING_FILE, V1Fate, v1_fate, v1_misnumbered};
use super::specification::{SATRE_VERSION, try_specification};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// The SATRE version a sheet's item numbers follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum SatreVersion {
    /// v1.x: `1.2.1.` (often with a trailing dot); items are mapped to v2.
    V1,
    /// v2: `1.2.01`.
    V2,
}

impl SatreVersion {
    /// The SATRE version the sheet is read as: `1.1` (mapped with `v1-to-v2.csv`) or `2.0.1`.
    pub fn number(self) -> &'static str {
        match self {
            SatreVersion::V1 => "1.1",
            SatreVersion::V2 => SATRE_VERSION,
        }
    }

    /// How messages name it: `v1.1` or `v2`.
    pub fn label(self) -> &'static str {
        match self {
            SatreVersion::V1 => "v1.1",
            SatreVersion::V2 => "v2",
        }
    }
}

/// One scored statement of a self-assessment.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScoredStatement {
    /// The SATRE v2.0.1 index (`2.8.01`).
    pub index: String,
    /// The index as the sheet numbers it, trailing dots trimmed (`2.5.12` in a v1.1 sheet).
    pub sheet_index: String,
    /// The sheet line its row starts on (1-based, the header is line 1).
    pub line: u64,
    /// The score.
    pub score: Score,
    /// The TRE's response (its evidence), as written.
    pub response: String,
    /// The improvements the TRE plans, as written.
    pub improvements: String,
}

/// A TRE's SATRE self-assessment, with every statement under its v2.0.1 index.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SelfAssessment {
    /// The sheet's name, as given to [`read_sheet`].
    pub name: String,
    /// The version the sheet's item numbers follow.
    pub version: SatreVersion,
    /// The scored statements by v2 index. Statements the sheet leaves out are absent.
    pub statements: BTreeMap<String, ScoredStatement>,
    /// What reading noted: v1.1 items v2 dropped, a misnumbered v1.1 item read as another.
    pub notes: Vec<String>,
}

impl SelfAssessment {
    /// The sheet's row for SATRE v2.0.1 statement `v2_index` (`1.2.01`), if it has one.
    pub fn statement_score(&self, v2_index: &str) -> Option<&ScoredStatement> {
        self.statements.get(v2_index)
    }
}

/// Read a self-assessment sheet exported as CSV (UTF-8, a byte order mark allowed) named
/// `name` (errors name it).
///
/// - The header row names the columns Section, Item, Statement, Guidance, Importance, Score,
///   Response, Improvements, in any order and case. Item and Score are required; Response and
///   Improvements are kept; Section and Statement serve only to recognise v1.1's misnumbered
///   1.2.2 ([`v1_misnumbered`](super::v1_misnumbered)); other columns are ignored (the
///   importance that counts is the specification's, not the sheet's).
/// - A row with an empty Item is a section heading and is skipped (its Section, if any,
///   carries down to the rows below that leave theirs empty).
/// - Items are numbered `x.y.z.` (v1.x) or `x.y.0z` (v2), trailing dots and spaces trimmed;
///   one sheet follows one version (a sheet whose every item could be either, like `3.1.10`,
///   is read as v2). A v1.1 item is read as its v2 statement (`blueprint/satre/v1-to-v2.csv`);
///   an item v2 dropped is left out with a note.
/// - Scores are 0 to 2 (fractions allowed), `N/A` / `NA` (any case), or blank (not scored).
///
/// An item that is not a v2.0.1 statement (after mapping) or that appears twice is an error.
pub fn read_sheet(name: &str, bytes: &[u8]) -> Result<SelfAssessment, SheetError> {
    let spec = try_specification()?;
    let (header_line, rows) = read_rows(name, bytes)?;
    let version =
        sheet_version(name, &rows)?.ok_or_else(|| SheetError::NoItems { file: name.to_owned(), line: header_line })?;
    let mut notes = Vec::new();
    if version == SatreVersion::V1 {
        notes.push(format!("read as SATRE v1.1, its items mapped to v{SATRE_VERSION} ({MAPPING_FILE})"));
    }
    let mut statements: BTreeMap<String, ScoredStatement> = BTreeMap::new();
    let mut dropped: BTreeMap<String, u64> = BTreeMap::new();
    for row in rows {
        let sheet_index = row.item.index;
        let index = match version {
            SatreVersion::V2 => sheet_index.clone(),
            SatreVersion::V1 => {
                let corrected = v1_misnumbered(&sheet_index, &row.section, &row.statement, spec);
                if let Some(corrected) = corrected {
                    notes.push(format!(
                        "line {}: v1.1 item `{sheet_index}` is Quality Management's, read as {corrected} (v1.1 misnumbered it)",
                        row.line
                    ));
                }
                let v1_index = corrected.unwrap_or(&sheet_index);
                match v1_fate(v1_index)? {
                    V1Fate::InV2 { v2_index, .. } => v2_index,
                    V1Fate::Dropped { note } => {
                        if let Some(first_line) = dropped.insert(v1_index.to_owned(), row.line) {
                            return Err(duplicate(name, row.line, &sheet_index, first_line, false));
                        }
                        notes.push(format!("line {}: v1.1 item `{v1_index}` was dropped in v2 ({note})", row.line));
                        continue;
                    }
                }
            }
        };
        if spec.statement(&index).is_none() {
            let mapped = match version {
                SatreVersion::V1 => format!(" (v1.1, read as `{index}`)"),
                SatreVersion::V2 => String::new(),
            };
            return Err(SheetError::UnknownItem { file: name.to_owned(), line: row.line, item: sheet_index, mapped });
        }
        if let Some(first) = statements.get(&index) {
            let misnumbered = version == SatreVersion::V1 && sheet_index == "1.1.2";
            return Err(duplicate(name, row.line, &sheet_index, first.line, misnumbered));
        }
        let scored = ScoredStatement {
            index: index.clone(),
            sheet_index,
            line: row.line,
            score: row.score,
            response: row.response,
            improvements: row.improvements,
        };
        statements.insert(index, scored);
    }
    Ok(SelfAssessment { name: name.to_owned(), version, statements, notes })
}

fn duplicate(file: &str, line: u64, item: &str, first_line: u64, misnumbered: bool) -> SheetError {
    let help = misnumbered.then(|| {
        "SATRE v1.1 numbered Quality Management's 1.2.2 as `1.1.2`: name Quality Management in that row's \
         Section to read it as 1.2.2"
            .to_owned()
    });
    SheetError::DuplicateItem { file: file.to_owned(), line, item: item.to_owned(), first_line, help }
}

/// An item row, its cells read.
struct Row {
    line: u64,
    item: ItemNumber,
    /// The row's Section, or the last one given above it.
    section: String,
    statement: String,
    score: Score,
    response: String,
    improvements: String,
}

/// Where the columns the reader uses are (0-based).
struct Columns {
    item: usize,
    score: usize,
    score_name: String,
    section: Option<usize>,
    statement: Option<usize>,
    response: Option<usize>,
    improvements: Option<usize>,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The header's line and the item rows, with items and scores read.
fn read_rows(name: &str, bytes: &[u8]) -> Result<(u64, Vec<Row>), SheetError> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let mut lines = LineCounter::new(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut records = reader.records();
    let mut last_line = 1;
    let csv_error = |e: csv::Error, lines: &mut LineCounter<'_>, last_line: u64| SheetError::Csv {
        file: name.to_owned(),
        line: e.position().map_or(last_line + 1, |p| lines.record_line(p.byte())),
        message: shown(&e.to_string()),
    };
    let header = match records.next() {
        None => return Err(SheetError::Empty { file: name.to_owned() }),
        Some(header) => header.map_err(|e| csv_error(e, &mut lines, 0))?,
    };
    let header_line = header.position().map_or(1, |p| lines.record_line(p.byte()));
    let columns = columns(name, &header, header_line)?;
    let mut section = String::new();
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|e| csv_error(e, &mut lines, last_line))?;
        let line = record.position().map_or(last_line + 1, |p| lines.record_line(p.byte()));
        last_line = line;
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or_default();
        let own_section = cell(columns.section).trim();
        if !own_section.is_empty() {
            own_section.clone_into(&mut section);
        }
        let item_text = cell(Some(columns.item));
        if item_text.trim().is_empty() {
            continue;
        }
        let item = item_number(item_text).ok_or_else(|| SheetError::BadItem {
            file: name.to_owned(),
            line,
            item: shown(item_text.trim()),
        })?;
        let score_text = cell(Some(columns.score));
        let score = Score::parse(score_text).ok_or_else(|| SheetError::BadScore {
            file: name.to_owned(),
            line,
            column: columns.score + 1,
            column_name: columns.score_name.clone(),
            text: shown(score_text.trim()),
        })?;
        rows.push(Row {
            line,
            item,
            section: section.clone(),
            statement: cell(columns.statement).trim().to_owned(),
            score,
            response: cell(columns.response).trim().to_owned(),
            improvements: cell(columns.improvements).trim().to_owned(),
        });
    }
    Ok((header_line, rows))
}

/// Find the columns by name (case-insensitive, trimmed).
fn columns(name: &str, header: &csv::StringRecord, line: u64) -> Result<Columns, SheetError> {
    const USED: [&str; 6] = ["section", "item", "statement", "score", "response", "improvements"];
    let mut found: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, cell) in header.iter().enumerate() {
        let key = cell.trim().to_lowercase();
        let Some(used) = USED.iter().find(|u| **u == key) else { continue };
        if let Some(first) = found.insert(used, i) {
            return Err(SheetError::DuplicateColumn {
                column: shown(cell.trim()),
                file: name.to_owned(),
                line,
                first: first + 1,
                second: i + 1,
            });
        }
    }
    let required = |key: &str, column: &str| {
        found.get(key).copied().ok_or_else(|| {
            let names: Vec<String> =
                header.iter().map(str::trim).filter(|n| !n.is_empty()).map(|n| format!("`{}`", shown(n))).collect();
            SheetError::MissingColumn {
                column: column.to_owned(),
                file: name.to_owned(),
                line,
                found: if names.is_empty() { "no names".to_owned() } else { names.join(", ") },
            }
        })
    };
    let item = required("item", "Item")?;
    let score = required("score", "Score")?;
    Ok(Columns {
        item,
        score,
        score_name: shown(header.get(score).map(str::trim).unwrap_or("Score")),
        section: found.get("section").copied(),
        statement: found.get("statement").copied(),
        response: found.get("response").copied(),
        improvements: found.get("improvements").copied(),
    })
}

/// The version the items follow: the first item whose numbering says one sets it, and every
/// other must agree. None when there are no items; v2 when no item's numbering says.
fn sheet_version(name: &str, rows: &[Row]) -> Result<Option<SatreVersion>, SheetError> {
    let version_of = |n: Numbering| match n {
        Numbering::V1 => Some(SatreVersion::V1),
        Numbering::V2 => Some(SatreVersion::V2),
        Numbering::Either => None,
    };
    if rows.is_empty() {
        return Ok(None);
    }
    let Some((first_row, version)) = rows.iter().find_map(|r| version_of(r.item.numbering).map(|v| (r, v))) else {
        return Ok(Some(SatreVersion::V2));
    };
    for row in rows {
        if let Some(other) = version_of(row.item.numbering).filter(|v| *v != version) {
            return Err(SheetError::MixedVersions {
                file: name.to_owned(),
                line: row.line,
                item: row.item.index.clone(),
                version: other.label().to_owned(),
                first_line: first_row.line,
                first_version: version.label().to_owned(),
            });
        }
    }
    Ok(Some(version))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]
    use super::*;

    fn read(text: &str) -> Result<SelfAssessment, SheetError> {
        read_sheet("s.csv", text.as_bytes())
    }

    #[test]
    fn columns_in_any_order_and_case_extra_columns_ignored() {
        let a = read(" SCORE ,Owner,item\n1,me,1.1.01\n").unwrap();
        assert_eq!(a.version, SatreVersion::V2);
        let s = a.statement_score("1.1.01").unwrap();
        assert_eq!((s.score, s.line, s.response.as_str()), (Score::Value(1.0), 2, ""));
    }

    #[test]
    fn headings_are_skipped_and_multiline_records_keep_their_first_line() {
        let text = "Section,Item,Statement,Score,Response\n\
                    Information Governance,,,,\n\
                    ,1.1.01,\"two\nlines\",2,\"evidence\nacross lines\"\n\
                    ,1.1.02,,N/A,\n";
        let a = read(text).unwrap();
        assert_eq!(a.statements.len(), 2);
        assert_eq!(a.statement_score("1.1.01").unwrap().line, 3);
        assert_eq!(a.statement_score("1.1.01").unwrap().response, "evidence\nacross lines");
        assert_eq!(a.statement_score("1.1.02").unwrap().line, 6);
        assert_eq!(a.statement_score("1.1.02").unwrap().score, Score::NotApplicable);
    }

    #[test]
    fn a_bom_is_stripped() {
        let a = read_sheet("s.csv", b"\xEF\xBB\xBFItem,Score\n1.1.1.,2\n").unwrap();
        assert_eq!(a.version, SatreVersion::V1);
        assert_eq!(a.statement_score("1.1.01").unwrap().sheet_index, "1.1.1");
    }

    #[test]
    fn items_that_could_be_either_version_follow_the_sheet() {
        let v1 = read("Item,Score\n2.5.10,1\n2.5.1,2\n").unwrap();
        assert_eq!(v1.version, SatreVersion::V1);
        assert_eq!(v1.statement_score("2.7.05").unwrap().sheet_index, "2.5.10");
        let v2 = read("Item,Score\n3.1.10,1\n3.1.11,2\n").unwrap();
        assert_eq!(v2.version, SatreVersion::V2);
        assert!(v2.statement_score("3.1.10").is_some());
    }

    #[test]
    fn the_section_of_a_heading_row_carries_down() {
        let text = "Section,Item,Statement,Score\n\
                    Information Governance,1.1.1.,,2\n\
                    Information Governance,1.1.2.,,2\n\
                    Quality Management,,,\n\
                    ,1.2.1.,,2\n\
                    ,1.1.2.,,1\n";
        let a = read(text).unwrap();
        assert_eq!(a.statement_score("1.1.02").unwrap().line, 3);
        let qm = a.statement_score("1.2.02").unwrap();
        assert_eq!((qm.sheet_index.as_str(), qm.line, qm.score), ("1.1.2", 6, Score::Value(1.0)));
        assert!(
            a.notes.iter().any(|n| n.starts_with("line 6: v1.1 item `1.1.2` is Quality Management's")),
            "{:?}",
            a.notes
        );
    }

    #[test]
    fn errors_name_file_and_line() {
        let err = |text: &str| read(text).unwrap_err().to_string();
        assert_eq!(err(""), "s.csv line 1: empty, expected a header row naming the columns `Item` and `Score`");
        assert_eq!(err("Item,Score\n"), "s.csv line 1: a header but no SATRE items below it");
        assert_eq!(err("Item,Score\n,\n"), "s.csv line 1: a header but no SATRE items below it");
        assert_eq!(err("Item,Score,item\n"), "s.csv line 1: two `item` columns (columns 1 and 3)");
        assert_eq!(err("Item,Points\n"), "s.csv line 1: no `Score` column in the header (it has `Item`, `Points`)");
        assert_eq!(
            err("Item,Score\n1.1,2\n"),
            "s.csv line 2: `1.1` is not a SATRE item number (`x.y.z.` in v1.1, `x.y.0z` in v2)"
        );
        assert_eq!(
            err("Item,Score\n1.1.01,2\n1.1.02,-1\n"),
            "s.csv line 3, column 2 `Score`: `-1` is not a SATRE score (0 to 2, `N/A` or blank)"
        );
        assert_eq!(
            err("Item,Score\n1.1.01,2\n\"1.1\n02\",2\n"),
            "s.csv line 3: `1.1\\n02` is not a SATRE item number (`x.y.z.` in v1.1, `x.y.0z` in v2)"
        );
        let invalid_utf8 = read_sheet("s.csv", b"Item,Score\n1.1.01,\xff\n").unwrap_err().to_string();
        assert!(invalid_utf8.starts_with("s.csv line 2: not readable as CSV"), "{invalid_utf8}");
    }

    #[test]
    fn dropped_v1_items_are_noted_once() {
        let a = read("Item,Score\n1.4.6.,1\n1.4.7.,2\n").unwrap();
        assert_eq!(a.statement_score("1.4.06").unwrap().sheet_index, "1.4.7");
        assert_eq!(a.statements.len(), 1);
        assert!(a.notes.iter().any(|n| n.starts_with("line 2: v1.1 item `1.4.6` was dropped in v2")), "{:?}", a.notes);
        let err = read("Item,Score\n1.4.6.,1\n1.4.6.,2\n").unwrap_err().to_string();
        assert_eq!(err, "s.csv line 3: item `1.4.6` appears again (first on line 2)");
    }

    #[test]
    fn version_numbers() {
        assert_eq!(SatreVersion::V1.number(), "1.1");
        assert_eq!(SatreVersion::V2.number(), "2.0.1");
        assert_eq!(SatreVersion::V1.label(), "v1.1");
    }
}
