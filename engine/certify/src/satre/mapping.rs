//! SATRE v1.1 requirement indices in v2.0.1, from `blueprint/satre/v1-to-v2.csv` (written from
//! the SATRE v1.1 to v2.0 change log).
//!
//! A v1.1 index the table lists moved, was renumbered or was dropped; any other keeps its place
//! and only gains v2's zero padding (`1.2.1` is `1.2.01`). One v1.1 error depends on the row,
//! not the index, so it is not in the table: see [`v1_misnumbered`].

use super::error::SpecificationError;
use super::line::LineCounter;
use super::specification::{Specification, is_v2_index};
use schemars::JsonSchema;
use serde::Serialize;
use std::sync::LazyLock;

/// The embedded mapping's path in the repository, as errors name it.
pub const MAPPING_FILE: &str = "blueprint/satre/v1-to-v2.csv";

const MAPPING_CSV: &str = include_str!("../../../../blueprint/satre/v1-to-v2.csv");

static EMBEDDED: LazyLock<Result<Vec<V1Mapping>, SpecificationError>> =
    LazyLock::new(|| mappings_from_csv(MAPPING_FILE, MAPPING_CSV));

/// One row of the mapping: a v1.1 requirement that moved, was renumbered or was dropped.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct V1Mapping {
    /// The v1.1 index, unpadded (`2.5.12`).
    pub v1_index: String,
    /// The v2 index (`2.8.01`); none when v2 dropped the requirement.
    pub v2_index: Option<String>,
    /// What happened, from the change log.
    pub note: String,
    /// The row's 1-based line in the mapping file.
    pub line: u64,
}

/// What became of a v1.1 requirement in v2.
#[derive(Debug, Clone, PartialEq)]
pub enum V1Fate {
    /// It is this v2 statement (not checked against the specification here).
    InV2 {
        /// The v2 index.
        v2_index: String,
        /// The mapping's note when the table lists it; none when it only gained padding.
        note: Option<String>,
    },
    /// v2 dropped it.
    Dropped {
        /// Why, from the change log.
        note: String,
    },
}

/// The embedded mapping, parsed on first use.
pub fn v1_mappings() -> Result<&'static [V1Mapping], SpecificationError> {
    EMBEDDED.as_ref().map(Vec::as_slice).map_err(Clone::clone)
}

/// What became of v1.1 requirement `v1_index` (unpadded, no trailing dot: `1.4.7`) in v2.
pub fn v1_fate(v1_index: &str) -> Result<V1Fate, SpecificationError> {
    let mappings = v1_mappings()?;
    Ok(match mappings.iter().find(|m| m.v1_index == v1_index) {
        Some(V1Mapping { v2_index: Some(v2), note, .. }) => {
            V1Fate::InV2 { v2_index: v2.clone(), note: Some(note.clone()) }
        }
        Some(V1Mapping { v2_index: None, note, .. }) => V1Fate::Dropped { note: note.clone() },
        None => V1Fate::InV2 { v2_index: pad(v1_index), note: None },
    })
}

/// v1.1 gave Quality Management's requirement 1.2.2 the index `1.1.2` (the change log's
/// "known data quality issue"), so a v1.1 sheet made from the v1.1 YAML has two rows `1.1.2`.
/// A row `1.1.2` is Quality Management's, and read as `1.2.2`, when its Section names Quality
/// Management (case-insensitively) or its Statement is the statement of v2 1.2.02 (ignoring
/// case, spacing and a final full stop). Returns the corrected v1.1 index, if any.
pub fn v1_misnumbered(v1_index: &str, section: &str, statement: &str, spec: &Specification) -> Option<&'static str> {
    if v1_index != "1.1.2" {
        return None;
    }
    let in_quality_management = section.to_lowercase().contains("quality management");
    let is_quality_statement =
        spec.statement("1.2.02").is_some_and(|s| normalise(&s.statement) == normalise(statement));
    (in_quality_management || is_quality_statement).then_some("1.2.2")
}

/// Parse a mapping: a header `v1_index,v2_index,note`, then one row per v1.1 requirement. Every
/// v1.1 index is `x.y.z` and listed once; every v2 index is `x.y.0z` (or empty: dropped) and
/// the target of one row at most. `file` names the text in errors.
pub fn mappings_from_csv(file: &str, text: &str) -> Result<Vec<V1Mapping>, SpecificationError> {
    let error = |line: u64, message: String| SpecificationError::Mapping { file: file.to_owned(), line, message };
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| error(1, e.to_string()))?;
    let names: Vec<&str> = header.iter().map(str::trim).collect();
    if names != ["v1_index", "v2_index", "note"] {
        return Err(error(1, "the header is not `v1_index,v2_index,note`".to_owned()));
    }
    let mut mappings: Vec<V1Mapping> = Vec::new();
    let mut lines = LineCounter::new(text.as_bytes());
    let mut line = 1;
    for record in reader.records() {
        let record = record.map_err(|e| error(line + 1, e.to_string()))?;
        line = record.position().map_or(line + 1, |p| lines.record_line(p.byte()));
        let cell = |i: usize| record.get(i).map(str::trim).unwrap_or_default();
        let (v1, v2, note) = (cell(0), cell(1), cell(2));
        if !is_v1_index(v1) {
            return Err(error(line, format!("`{v1}` is not a v1.1 index `x.y.z`")));
        }
        if !v2.is_empty() && !is_v2_index(v2) {
            return Err(error(line, format!("`{v2}` is not a v2 index `x.y.0z`")));
        }
        if let Some(first) = mappings.iter().find(|m| m.v1_index == v1) {
            return Err(error(line, format!("v1.1 index `{v1}` is listed again (first on line {})", first.line)));
        }
        if let Some(first) = mappings.iter().find(|m| !v2.is_empty() && m.v2_index.as_deref() == Some(v2)) {
            return Err(error(line, format!("v2 index `{v2}` is the target again (first on line {})", first.line)));
        }
        mappings.push(V1Mapping {
            v1_index: v1.to_owned(),
            v2_index: (!v2.is_empty()).then(|| v2.to_owned()),
            note: note.to_owned(),
            line,
        });
    }
    Ok(mappings)
}

/// A v1.1 index: `x.y.z`, numbers without leading zeros, none zero.
fn is_v1_index(text: &str) -> bool {
    let number =
        |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && !p.starts_with('0') && p.len() <= 2;
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| number(p))
}

/// `1.2.1` as v2 writes it: `1.2.01`.
fn pad(v1_index: &str) -> String {
    match v1_index.rsplit_once('.') {
        Some((head, last)) if last.len() == 1 => format!("{head}.0{last}"),
        _ => v1_index.to_owned(),
    }
}

fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").trim_end_matches('.').to_lowercase()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]
    use super::*;
    use crate::satre::specification::try_specification;

    fn v2(v1: &str) -> Option<String> {
        match v1_fate(v1).unwrap() {
            V1Fate::InV2 { v2_index, .. } => Some(v2_index),
            V1Fate::Dropped { .. } => None,
        }
    }

    #[test]
    fn every_v2_index_of_the_mapping_is_in_the_specification() {
        let spec = try_specification().unwrap();
        let mappings = v1_mappings().unwrap();
        assert_eq!(mappings.len(), 47);
        for m in mappings {
            if let Some(v2) = &m.v2_index {
                assert!(spec.statement(v2).is_some(), "line {}: {v2} is not in SATRE v2.0.1", m.line);
            }
        }
    }

    #[test]
    fn the_change_log_moves() {
        assert_eq!(v2("1.4.6"), None);
        assert_eq!(v2("1.4.7").as_deref(), Some("1.4.06"));
        assert_eq!(v2("2.2.13"), None);
        assert_eq!(v2("2.2.14").as_deref(), Some("2.2.13"));
        assert_eq!(v2("2.2.16").as_deref(), Some("2.2.15"));
        assert_eq!(v2("2.5.1").as_deref(), Some("2.6.01"));
        assert_eq!(v2("2.5.11").as_deref(), Some("2.7.06"));
        assert_eq!(v2("2.5.12").as_deref(), Some("2.8.01"));
        assert_eq!(v2("2.5.17").as_deref(), Some("2.9.01"));
        assert_eq!(v2("2.5.18").as_deref(), Some("2.5.01"));
        assert_eq!(v2("3.5.3").as_deref(), Some("3.1.19"));
        assert_eq!(v2("3.6.2").as_deref(), Some("3.4.04"));
        assert_eq!(v2("3.7.1").as_deref(), Some("3.4.03"));
        assert_eq!(v2("3.8.2").as_deref(), Some("3.1.15"));
        assert_eq!(v2("4.8.1").as_deref(), Some("1.7.01"));
        assert_eq!(v2("4.9.3").as_deref(), Some("4.8.03"));
    }

    #[test]
    fn output_management_is_reordered() {
        let order: Vec<String> = (1..=8).map(|i| v2(&format!("3.3.{i}")).unwrap()).collect();
        assert_eq!(order, ["3.3.01", "3.3.03", "3.3.04", "3.3.05", "3.3.07", "3.3.06", "3.3.08", "3.3.02"]);
        let spec = try_specification().unwrap();
        let minimum = &spec.statement(&order[7]).unwrap().statement;
        assert!(minimum.contains("limited to the minimum required"), "{minimum}");
        let unchecked = &spec.statement(&order[4]).unwrap().statement;
        assert!(unchecked.contains("cannot be manually checked"), "{unchecked}");
    }

    #[test]
    fn unlisted_indices_gain_padding() {
        assert_eq!(v2("1.2.1").as_deref(), Some("1.2.01"));
        assert_eq!(v2("2.1.18").as_deref(), Some("2.1.18"));
        assert_eq!(v2("1.5.6").as_deref(), Some("1.5.06"));
        assert_eq!(
            v1_fate("1.4.7").unwrap(),
            V1Fate::InV2 {
                v2_index: "1.4.06".into(),
                note: Some("renumbered after the 1.4.6 drop; statement revised (Safe Projects)".into())
            }
        );
        assert_eq!(v1_fate("1.1.1").unwrap(), V1Fate::InV2 { v2_index: "1.1.01".into(), note: None });
    }

    #[test]
    fn quality_managements_misnumbered_requirement() {
        let spec = try_specification().unwrap();
        assert_eq!(v1_misnumbered("1.1.2", "Quality management", "", spec), Some("1.2.2"));
        assert_eq!(v1_misnumbered("1.1.2", "1.2 Quality Management", "anything", spec), Some("1.2.2"));
        let statement = "You must use versioning and a codified change procedure for all policies and  standard \
                         operating procedures";
        assert_eq!(v1_misnumbered("1.1.2", "Information governance", statement, spec), Some("1.2.2"));
        assert_eq!(v1_misnumbered("1.1.2", "Information governance", "You must ensure controls", spec), None);
        assert_eq!(v1_misnumbered("1.1.3", "Quality Management", "", spec), None);
    }

    #[test]
    fn malformed_mappings_are_errors() {
        let err = |text: &str| mappings_from_csv("map.csv", text).unwrap_err().to_string();
        assert_eq!(err("a,b,c\n"), "map.csv line 1: the header is not `v1_index,v2_index,note`");
        assert_eq!(
            err("v1_index,v2_index,note\n1.2.1,1.2.01,x\n1.2.1,1.2.02,y\n"),
            "map.csv line 3: v1.1 index `1.2.1` is listed again (first on line 2)"
        );
        assert_eq!(
            err("v1_index,v2_index,note\n1.2.1,1.2.01,x\n1.2.2,1.2.01,y\n"),
            "map.csv line 3: v2 index `1.2.01` is the target again (first on line 2)"
        );
        assert_eq!(err("v1_index,v2_index,note\n1.2.01,,x\n"), "map.csv line 2: `1.2.01` is not a v1.1 index `x.y.z`");
        assert_eq!(
            err("v1_index,v2_index,note\n1.2.1,1.2.1,x\n"),
            "map.csv line 2: `1.2.1` is not a v2 index `x.y.0z`"
        );
    }
}
