//! SATRE self-assessments: sheets under `tests/certification/satre/` read and scored.
//!
//! `errors/*.csv` are malformed sheets, each beside a `.txt` holding the exact error message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use fivesafes_certify::satre::{
    CapabilityScore, SatreScore, SatreVersion, Score, SelfAssessment, SheetError, read_sheet, score,
};
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/certification/satre")
}

fn read(name: &str) -> SelfAssessment {
    let bytes = std::fs::read(corpus().join(name)).unwrap();
    read_sheet(name, &bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn capabilities(score: &SatreScore) -> impl Iterator<Item = &CapabilityScore> {
    score.pillars.iter().flat_map(|p| &p.capabilities)
}

fn met(score: &SatreScore) -> Vec<&str> {
    capabilities(score).filter(|c| c.met).map(|c| c.index.as_str()).collect()
}

fn capability<'a>(score: &'a SatreScore, index: &str) -> &'a CapabilityScore {
    capabilities(score).find(|c| c.index == index).unwrap()
}

fn score_of(a: &SelfAssessment, index: &str) -> Score {
    a.statement_score(index).unwrap_or_else(|| panic!("no {index}")).score
}

/// Capabilities without mandatory statements: met whatever the sheet says.
const NO_MANDATORY: [&str; 7] = ["2.9", "3.4", "4.1", "4.2", "4.7", "4.8", "5.7"];

#[test]
fn a_complete_v2_sheet_meets_satre() {
    let a = read("v2-complete.csv");
    assert_eq!(a.version, SatreVersion::V2);
    assert_eq!(a.statements.len(), 185);
    assert!(a.notes.is_empty(), "{:?}", a.notes);
    let s = a.statement_score("1.1.02").unwrap();
    assert_eq!((s.sheet_index.as_str(), s.line, s.score), ("1.1.02", 5, Score::Value(1.0)));
    assert_eq!(s.response, "Example TRE evidence for 1.1.02");
    assert_eq!(s.improvements, "Planned for next year");
    // Records with multi-line guidance: lines are the lines each record starts on.
    assert_eq!(a.statement_score("1.2.08").unwrap().line, 17);
    assert_eq!(a.statement_score("3.3.09").unwrap().line, 281);
    assert_eq!(a.statement_score("5.7.01").unwrap().line, 368);
    assert_eq!(score_of(&a, "1.2.08"), Score::NotApplicable);

    let scored = score(&a);
    assert!(scored.met);
    assert!(scored.notes.is_empty(), "{:?}", scored.notes);
    assert_eq!(scored.pillars.len(), 5);
    assert!(scored.pillars.iter().all(|p| p.met));
    assert_eq!(met(&scored).len(), 35);
    assert!(capabilities(&scored).all(|c| c.unmet.is_empty() && c.unscored.is_empty()));
    let governance = capability(&scored, "1.1");
    assert_eq!((governance.statements_scored, governance.mean_score), (3, Some(5.0 / 3.0)));
}

#[test]
fn a_partial_v2_sheet_names_what_is_unmet_and_unscored() {
    let a = read("v2-partial.csv");
    assert_eq!(a.version, SatreVersion::V2);
    assert_eq!(a.statements.len(), 23);
    let first = a.statement_score("1.1.01").unwrap();
    assert_eq!(first.line, 3);
    assert_eq!(first.response, "Register of legal, regulatory and ethical requirements\nreviewed every quarter");
    assert_eq!(a.statement_score("1.1.02").unwrap().line, 5);
    assert_eq!(score_of(&a, "1.1.03"), Score::NotScored);
    assert_eq!(score_of(&a, "1.2.05"), Score::Value(1.5));
    assert_eq!(score_of(&a, "1.2.12"), Score::NotApplicable);

    let scored = score(&a);
    assert!(!scored.met);
    assert!(scored.pillars.iter().all(|p| !p.met));
    let mut expected = vec!["1.2"];
    expected.extend(NO_MANDATORY);
    assert_eq!(met(&scored), expected);

    let governance = capability(&scored, "1.1");
    assert_eq!(governance.name, "Information Governance");
    assert_eq!(governance.unmet, ["1.1.02"]);
    assert_eq!(governance.unscored, ["1.1.03"]);
    assert_eq!((governance.statements_scored, governance.mean_score), (2, Some(1.0)));

    let quality = capability(&scored, "1.2");
    assert!(quality.met, "1.2.08 is Mandatory* and N/A; 1.2.03 is Recommended and 0");
    assert_eq!((quality.statements_scored, quality.mean_score), (9, Some(1.5)));

    let risk = capability(&scored, "1.3");
    assert_eq!((risk.met, risk.unmet.as_slice(), risk.unscored.len()), (false, ["1.3.01".to_owned()].as_slice(), 0));
    assert_eq!(
        scored.notes,
        ["`1.3.01` is Mandatory but scored N/A: only Mandatory* statements may not apply, so it is not met"]
    );

    let security = capability(&scored, "2.5");
    assert_eq!(security.unmet, ["2.5.01"]);
    assert!(security.unscored.is_empty());

    let study = capability(&scored, "1.4");
    assert_eq!(study.unscored, ["1.4.01", "1.4.02", "1.4.03", "1.4.04", "1.4.07"]);
    assert_eq!((study.statements_scored, study.mean_score), (0, None));
}

#[test]
fn a_v1_sheet_is_read_as_v2() {
    let a = read("v1.1-sheet.csv");
    assert_eq!(a.version, SatreVersion::V1);
    assert_eq!(a.statements.len(), 57);
    let at = |v2: &str| {
        let s = a.statement_score(v2).unwrap_or_else(|| panic!("no {v2}"));
        (s.sheet_index.as_str(), s.line, s.score)
    };
    // BOM stripped, trailing dots trimmed, padding added.
    assert_eq!(at("1.1.01"), ("1.1.1", 2, Score::Value(2.0)));
    // v1.1's misnumbered Quality Management 1.2.2, under a Quality Management Section.
    assert_eq!(at("1.1.02"), ("1.1.2", 3, Score::Value(1.5)));
    assert_eq!(at("1.2.02"), ("1.1.2", 7, Score::Value(2.0)));
    assert_eq!(at("1.2.08"), ("1.2.8", 13, Score::NotApplicable));
    assert_eq!(at("1.2.12"), ("1.2.12", 17, Score::NotApplicable));
    // 1.4.6 dropped, 1.4.7 is 1.4.06.
    assert_eq!(at("1.4.06"), ("1.4.7", 24, Score::Value(2.0)));
    // 2.2.13 dropped, 2.2.14-16 shift down; items without a trailing dot follow the sheet.
    assert_eq!(at("2.2.08"), ("2.2.8", 32, Score::Value(0.0)));
    assert_eq!(at("2.2.10"), ("2.2.10", 34, Score::Value(2.0)));
    assert_eq!(at("2.2.12"), ("2.2.12", 36, Score::Value(1.0)));
    assert_eq!(at("2.2.13"), ("2.2.14", 38, Score::Value(1.5)));
    assert_eq!(at("2.2.15"), ("2.2.16", 40, Score::NotScored));
    // The Information Security split.
    assert_eq!(at("2.8.01"), ("2.5.12", 41, Score::Value(2.0)));
    assert_eq!(at("2.8.05"), ("2.5.16", 45, Score::NotScored));
    assert_eq!(at("2.5.01"), ("2.5.18", 46, Score::Value(1.0)));
    // The Output Management reorder.
    let reordered: Vec<&str> =
        (1..=8).map(|i| a.statement_score(&format!("3.3.0{i}")).unwrap().sheet_index.as_str()).collect();
    assert_eq!(reordered, ["3.3.1", "3.3.8", "3.3.2", "3.3.3", "3.3.4", "3.3.6", "3.3.5", "3.3.7"]);
    assert_eq!(at("3.3.02"), ("3.3.8", 54, Score::Value(1.0)));
    assert_eq!(at("3.3.07"), ("3.3.5", 51, Score::Value(1.5)));
    assert!(a.statement_score("3.3.09").is_none());
    // Public Involvement and Engagement moved to pillar 1; Legal Services renumbered.
    assert_eq!(at("1.7.02"), ("4.8.2", 56, Score::Value(0.5)));
    assert_eq!(at("4.8.01"), ("4.9.1", 59, Score::Value(2.0)));
    assert_eq!(
        a.notes,
        [
            "read as SATRE v1.1, its items mapped to v2.0.1 (blueprint/satre/v1-to-v2.csv)",
            "line 7: v1.1 item `1.1.2` is Quality Management's, read as 1.2.2 (v1.1 misnumbered it)",
            "line 23: v1.1 item `1.4.6` was dropped in v2 (no equivalent in v2; its slot went to the revised 1.4.06 (was 1.4.7))",
            "line 37: v1.1 item `2.2.13` was dropped in v2 (merged into the revised 2.2.12, which now covers monitoring of all configuration)",
        ]
    );

    let scored = score(&a);
    assert!(!scored.met);
    let mut expected = vec!["1.1", "1.2", "2.2", "2.8", "2.9", "3.3", "3.4", "4.1", "4.2", "4.7", "4.8", "5.7"];
    expected.sort_unstable();
    let mut got = met(&scored);
    got.sort_unstable();
    assert_eq!(got, expected);
    // Statements new in v2 are not in a v1.1 sheet.
    assert_eq!(capability(&scored, "1.4").unscored, ["1.4.07"]);
    assert_eq!(capability(&scored, "2.5").unscored, ["2.5.03"]);
    let engagement = capability(&scored, "1.7");
    assert_eq!((engagement.unmet.as_slice(), engagement.unscored.len()), (["1.7.02".to_owned()].as_slice(), 0));
    assert!(scored.notes.is_empty(), "{:?}", scored.notes);
}

#[test]
fn malformed_sheets_are_errors_naming_file_and_line() {
    let dir = corpus().join("errors");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "{} cases", cases.len());
    let mut failures = Vec::new();
    for path in &cases {
        let name = path.file_name().unwrap().to_str().unwrap();
        let expected = std::fs::read_to_string(path.with_extension("txt")).unwrap();
        match read_sheet(name, &std::fs::read(path).unwrap()) {
            Ok(_) => failures.push(format!("{name}: read without error")),
            Err(e) if e.to_string() == expected.trim_end() => {}
            Err(e) => failures.push(format!("{name}:\n  expected {}\n  got      {e}", expected.trim_end())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_repeated_misnumbered_v1_item_says_why() {
    let bytes = std::fs::read(corpus().join("errors/duplicate-misnumbered-v1.csv")).unwrap();
    let err = read_sheet("duplicate-misnumbered-v1.csv", &bytes).unwrap_err();
    let help = miette::Diagnostic::help(&err).map(|h| h.to_string()).unwrap_or_default();
    assert!(help.contains("numbered Quality Management's 1.2.2 as `1.1.2`"), "{help}");
    assert!(matches!(err, SheetError::DuplicateItem { line: 5, first_line: 3, .. }));
}

#[test]
fn results_serialise_in_camel_case_with_a_schema() {
    let a = read("v2-partial.csv");
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["version"], "v2");
    assert_eq!(json["statements"]["1.2.05"]["sheetIndex"], "1.2.05");
    assert_eq!(json["statements"]["1.2.05"]["score"], serde_json::json!({"value": 1.5}));
    assert_eq!(json["statements"]["1.2.08"]["score"], "notApplicable");
    let scored = serde_json::to_value(score(&a)).unwrap();
    assert_eq!(scored["pillars"][0]["capabilities"][0]["statementsScored"], 2);
    assert_eq!(scored["pillars"][0]["capabilities"][0]["meanScore"], 1.0);
    let schema = serde_json::to_value(schemars::schema_for!(SatreScore)).unwrap();
    assert!(schema["properties"]["pillars"].is_object(), "{schema}");
    let schema = serde_json::to_value(schemars::schema_for!(SelfAssessment)).unwrap();
    assert!(schema["properties"]["statements"].is_object(), "{schema}");
}
