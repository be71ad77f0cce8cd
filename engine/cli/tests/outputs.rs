#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]
//! `fivesafes outputs check` through the binary: the same check as the library's case corpus
//! (tests/outputs/), exit codes and formats.

mod common;

use common::{code, fivesafes, text};

fn case(name: &str, format: &str) -> std::process::Output {
    let data = format!("tests/outputs/{name}/data.csv");
    let spec = format!("tests/outputs/{name}/spec.json");
    fivesafes(&["outputs", "check", "--data", &data, "--spec", &spec, "--format", format])
}

#[test]
fn a_cell_below_the_threshold_fails_and_is_marked() {
    let o = case("threshold_9_10_11", "human");
    assert_eq!(code(&o), 10, "{}", text(&o));
    let out = text(&o);
    assert!(out.starts_with("status: fail"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("x ") && l.contains("9 [threshold]")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("y ") && !l.contains('[')), "{out}");
}

#[test]
fn json_is_the_contract_the_case_expects() {
    let o = case("threshold_9_10_11", "json");
    let got: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/outputs/threshold_9_10_11/expected.json");
    let expected: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for key in ["status", "method", "aggfunc", "table", "checks", "summary"] {
        assert_eq!(got[key], expected[key], "{key}");
    }
}

#[test]
fn negative_values_ask_for_review() {
    let o = case("negative_values_review", "human");
    assert_eq!(code(&o), 11, "{}", text(&o));
}

#[test]
fn bad_input_is_refused_with_where() {
    let o = case("unknown_column", "json");
    assert_eq!(code(&o), 3, "{}", text(&o));
    let o = case("malformed_ragged_row", "json");
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("data.csv"), "{}", String::from_utf8_lossy(&o.stderr));
}
