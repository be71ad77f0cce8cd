#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]
//! The policy authors' commands through the binary: `validate`, `test` (YAML suites, Cedar
//! `run-tests` files, JUnit, coverage) and `explain`, with their exit codes.

mod common;

use common::{code, fivesafes, scratch, text};
use fivesafes_core::{Bundle, DecideOptions, DecisionRequest, embedded, explain};
use fivesafes_tests::root;
use std::path::{Path, PathBuf};

/// A copy of the repository's baseline and example federation, to edit.
fn checkout(name: &str) -> PathBuf {
    let dir = scratch(name);
    for (_, rel) in embedded::baseline_layout().into_iter().chain(embedded::example_federation_layout()) {
        let to = dir.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root().join(rel), &to).unwrap();
    }
    dir
}

fn edit(dir: &Path, rel: &str, from: &str, to: &str) {
    let p = dir.join(rel);
    let t = std::fs::read_to_string(&p).unwrap();
    assert!(t.contains(from), "{rel} has no `{from}`");
    std::fs::write(&p, t.replacen(from, to, 1)).unwrap();
}

#[test]
fn validate_passes_the_embedded_bundle_and_reports_every_problem_with_its_place() {
    let ok = fivesafes(&["validate"]);
    assert_eq!(code(&ok), 0, "{}", text(&ok));
    assert!(text(&ok).contains("valid: no problems"), "{}", text(&ok));

    let dir = checkout("validate");
    edit(&dir, "policies/people.cedar", "principal.identityVerified", "principal.identityChecked");
    edit(&dir, "policies/members/nl-odi.cedar", "@requirement(\"ORG.PRJ.2\")", "@requirement(\"ORG.PRJ.99\")");
    let base = dir.to_string_lossy().into_owned();
    let bad = fivesafes(&["validate", "--baseline", &base]);
    assert_eq!(code(&bad), 4, "{}", text(&bad));
    let out = text(&bad);
    assert!(out.contains("policies/people.cedar:20:10") && out.contains("did you mean `identityVerified`?"), "{out}");
    assert!(out.contains("policies/members/nl-odi.cedar:8:1") && out.contains("ORG.PRJ.99"), "{out}");
    assert!(out.contains("invalid: 2 error(s)"), "{out}");

    let json = fivesafes(&["validate", "--baseline", &base, "--format", "json"]);
    assert_eq!(code(&json), 4);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["errors"], 2);
    let d = &report["diagnostics"][0];
    assert!(d["file"].is_string() && d["line"].is_number() && d["offset"].is_number() && d["help"].is_string(), "{d}");

    let missing = fivesafes(&["validate", "--baseline", "/nonexistent/fivesafes"]);
    assert_eq!(code(&missing), 5, "{}", text(&missing));
}

#[test]
fn validate_checks_vocabulary_terms_once_the_bundle_loads() {
    let dir = checkout("validate-iri");
    edit(&dir, "policies/people.cedar", "fivesafes#FederationUserAgreement", "fivesafes#FederationUserAgrement");
    let o = fivesafes(&["validate", "--baseline", &dir.to_string_lossy()]);
    assert_eq!(code(&o), 4, "{}", text(&o));
    assert!(text(&o).contains("undefined_iri") && text(&o).contains("FederationUserAgrement"), "{}", text(&o));
}

const FAILING_SUITE: &str = r#"name: a suite that must fail
fixtures:
  requests:
    survey: {}
cases:
  - name: expects an allow the policies do not give
    request: REQUEST
    expect:
      decision: allow
      members:
        nl-odi: {projects: allow}
  - name: expects the deny that comes
    request: REQUEST
    expect:
      decision: deny
      reasons: [ORG.PRJ.2]
"#;

#[test]
fn a_failing_case_shows_expected_and_actual_exits_1_and_writes_junit() {
    let dir = scratch("failing");
    let request = std::fs::read_to_string(root().join("examples/requests/02-deny-nl-ethics-always.json")).unwrap();
    let flat: String = request.split_whitespace().collect::<Vec<_>>().join(" ");
    let suite = dir.join("failing.yaml");
    std::fs::write(&suite, FAILING_SUITE.replace("REQUEST", &flat)).unwrap();
    let junit = dir.join("junit.xml");
    let o = fivesafes(&["test", &suite.to_string_lossy(), "--junit", &junit.to_string_lossy()]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("FAIL  expects an allow the policies do not give (line 6)"), "{out}");
    assert!(out.contains("`members.nl-odi.projects`: expected allow, got deny"), "{out}");
    assert!(out.contains("nl-odi  holder"), "the matrix is shown: {out}");
    assert!(out.contains("ok    expects the deny that comes"), "{out}");
    assert!(out.contains("results: 1 passed, 1 failed"), "{out}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"2\"") && xml.contains("failures=\"1\"") && xml.contains("<failure"), "{xml}");

    let json = fivesafes(&["test", &suite.to_string_lossy(), "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["failed"], 1);
    assert_eq!(report["suites"][0]["cases"][0]["passed"], false);
}

#[test]
fn a_malformed_suite_exits_3_with_its_line() {
    let dir = scratch("malformed");
    let suite = dir.join("bad.yaml");
    std::fs::write(&suite, "cases:\n  - name: x\n    expect: {decision: perhaps}\n").unwrap();
    let o = fivesafes(&["test", &suite.to_string_lossy()]);
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(text(&o).contains("bad.yaml") && text(&o).contains("line 3"), "{}", text(&o));
}

#[test]
fn cedar_run_tests_files_run_unchanged_with_coverage() {
    let o = fivesafes(&[
        "test",
        "tests/cedar/airlock/tests.json",
        "--policies",
        "tests/cedar/airlock/policies.cedar",
        "--schema",
        "tests/cedar/airlock/schema.cedarschema",
        "--threshold",
        "100",
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("results: 5 passed, 0 failed"), "{}", text(&o));
    assert!(text(&o).contains("policies fired 4/4 (100%)"), "{}", text(&o));
}

#[test]
fn the_example_suites_pass_with_full_coverage() {
    let o = fivesafes(&["test", "tests/suites", "--coverage", "--threshold", "100"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("coverage threshold 100%: met"), "{}", text(&o));
}

#[test]
fn coverage_below_the_threshold_exits_1() {
    let o = fivesafes(&["test", "tests/suites/people.yaml", "--threshold", "100"]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("NOT met"), "{}", text(&o));
}

#[test]
fn explain_through_the_cli_matches_the_library() {
    let path = "examples/requests/02-deny-nl-ethics-always.json";
    let o = fivesafes(&["explain", path]);
    assert_eq!(code(&o), 10, "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("when { context.project.ethicsUntil < context.today } is true"), "{out}");
    assert!(out.contains("context.today = 20779 (2026-11-22)"), "{out}");
    assert!(
        out.contains("an ethics approval valid on 2026-11-22 satisfies ORG.PRJ.2: projects at nl-odi becomes allow"),
        "{out}"
    );
    let json = fivesafes(&["explain", path, "--format", "json"]);
    let got: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let bundle = Bundle::load(&embedded::default_sources()).unwrap();
    let req = DecisionRequest::from_json(&std::fs::read_to_string(root().join(path)).unwrap()).unwrap();
    let want = serde_json::to_value(explain(&bundle, &req, DecideOptions::default()).unwrap()).unwrap();
    assert_eq!(got, want);
}
