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
