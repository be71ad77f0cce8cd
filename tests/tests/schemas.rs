#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]
//! The published JSON Schemas are generated from the types; a change shows up here and in review.
//! Regenerate with `UPDATE_SCHEMAS=1 cargo test -p fivesafes-tests --test schemas`.

use fivesafes_tests::root;

fn check(file: &str, value: serde_json::Value) {
    let path = root().join("schemas").join(file);
    let generated = format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default());
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &generated).unwrap_or_else(|e| panic!("{e}"));
    }
    let published = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        published, generated,
        "{file} is out of date: run UPDATE_SCHEMAS=1 cargo test -p fivesafes-tests --test schemas"
    );
}

#[test]
fn request_schema_is_published() {
    check("request.schema.json", fivesafes_core::request_schema());
}

#[test]
fn decision_schema_is_published() {
    check("decision.schema.json", fivesafes_core::decision_schema());
}

#[test]
fn validation_schema_is_published() {
    check("validation.schema.json", fivesafes_core::validation_schema());
}

#[test]
fn explanation_schema_is_published() {
    check("explanation.schema.json", fivesafes_core::explain::explanation_schema());
}

#[test]
fn test_report_schema_is_published() {
    check("test-report.schema.json", fivesafes_core::suite::report_schema());
}

/// The report of the repository's own suites, with coverage and a threshold, is what its
/// schema describes (so the schema is not only generated but true of real output).
#[test]
fn a_test_report_follows_its_schema() {
    let bundle = fivesafes_core::Bundle::load(&fivesafes_core::embedded::default_sources()).unwrap();
    let dir = root().join("tests").join("suites");
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    let files: Vec<fivesafes_core::NamedText> = names
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"))
        .map(|p| fivesafes_core::NamedText {
            name: p.file_name().unwrap().to_string_lossy().into_owned(),
            text: std::fs::read_to_string(p).unwrap(),
        })
        .collect();
    let report = fivesafes_core::suite::run_files(&bundle, &files, true, Some(50.0)).unwrap();
    assert!(report.passed > 100 && report.coverage.is_some(), "{} passed", report.passed);
    let value = serde_json::to_value(&report).unwrap();
    let validator = jsonschema::validator_for(&fivesafes_core::suite::report_schema()).unwrap();
    let errors: Vec<String> = validator.iter_errors(&value).map(|e| format!("{}: {e}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:?}");
    // And a report with a failing case (the decision included) too.
    let failing = fivesafes_core::NamedText {
        name: "failing.yaml".into(),
        text: files.iter().find(|f| f.name == "data.yaml").unwrap().text.replacen(
            "decision: allow",
            "decision: deny",
            1,
        ),
    };
    let report = fivesafes_core::suite::run_files(&bundle, &[failing], false, None).unwrap();
    assert!(report.failed > 0);
    let value = serde_json::to_value(&report).unwrap();
    assert!(
        validator.is_valid(&value),
        "{:?}",
        validator.iter_errors(&value).map(|e| e.to_string()).collect::<Vec<_>>()
    );
    let back: fivesafes_core::suite::Report = serde_json::from_value(value).unwrap();
    assert_eq!(back, report);
}

#[test]
fn assessment_schema_is_published() {
    check("assessment.schema.json", fivesafes_certify::assessment_schema());
}

#[test]
fn log_entry_schema_is_published() {
    check("log-entry.schema.json", fivesafes_audit::log_entry_schema());
}

#[test]
fn audit_verification_schema_is_published() {
    check("audit-verification.schema.json", fivesafes_audit::verification_schema());
}

#[test]
fn schema_errors_name_the_json_path() {
    let text = r#"{"time": "2026-11-22", "action": "analyse", "researcher": {"id": "x", "location": "germany"},
        "project": {"id": "p", "purpose": {}, "start": "2026-01-01", "end": "2027-01-01"}, "datasets": []}"#;
    let err = fivesafes_core::DecisionRequest::from_json(text).map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("/researcher/location"), "{err}");
    assert!(err.contains("/datasets"), "{err}");
}
