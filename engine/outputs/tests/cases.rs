//! The case corpus of tests/outputs/: every folder is a case, computed by hand from the rules.
//! It holds `data.csv` (the microdata), `spec.json` (the output spec), optionally `risk.json`
//! (the risk appetite; ACRO's defaults without it) and `expected.json`: the parts of the
//! answer the case is about (every key given must match, arrays in full), or
//! `{"error": message}`. A top-level `about` says how the expectation was computed; a top-level
//! `tolerance` (a relative tolerance, for numbers computed by iteration or from distributions)
//! lets numbers differ by up to `tolerance * max(1, |expected|)`. An optional `options.json`
//! gives the check options (`{"suppress": true}`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/outputs")
}

/// The answer for a case, as JSON: the check, or the error's message.
fn answer(dir: &Path) -> Value {
    let csv = std::fs::read(dir.join("data.csv")).unwrap();
    let spec = std::fs::read_to_string(dir.join("spec.json")).unwrap();
    let risk = std::fs::read_to_string(dir.join("risk.json")).ok();
    let options = std::fs::read_to_string(dir.join("options.json")).ok().map(|text| {
        let value: Value = serde_json::from_str(&text).unwrap();
        fivesafes_outputs::CheckOptions { suppress: value["suppress"].as_bool().unwrap() }
    });
    let result = match options {
        None => fivesafes_outputs::check(&csv, "data.csv", &spec, risk.as_deref()),
        Some(options) => fivesafes_outputs::OutputSpec::from_json(&spec).map_err(Into::into).and_then(|spec| {
            let risk = risk.as_deref().map(fivesafes_outputs::RiskAppetite::from_json).transpose()?.unwrap_or_default();
            fivesafes_outputs::check_spec_with(&csv, "data.csv", &spec, &risk, &options)
        }),
    };
    match result {
        Ok(out) => serde_json::to_value(&out).unwrap(),
        Err(e) => json!({ "error": e.to_string() }),
    }
}

/// Where `actual` differs from `expected`: objects by the keys `expected` gives, arrays in
/// full, numbers by value (within `tolerance * max(1, |expected|)`).
fn differs(expected: &Value, actual: &Value, path: &str, tolerance: f64) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e.iter().find_map(|(k, v)| match a.get(k) {
            Some(got) => differs(v, got, &format!("{path}/{k}"), tolerance),
            None => Some(format!("{path}/{k}: missing")),
        }),
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            e.iter().zip(a).enumerate().find_map(|(i, (x, y))| differs(x, y, &format!("{path}/{i}"), tolerance))
        }
        (Value::Number(e), Value::Number(a))
            if e.as_f64().zip(a.as_f64()).is_some_and(|(e, a)| (e - a).abs() <= tolerance * e.abs().max(1.0)) =>
        {
            None
        }
        (e, a) if e == a => None,
        (e, a) => Some(format!("{path}: expected {e}, got {a}")),
    }
}

fn run(name: &str) {
    let dir = corpus().join(name);
    let mut expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    expected.as_object_mut().unwrap().remove("about");
    let tolerance = expected.as_object_mut().unwrap().remove("tolerance").map_or(0.0, |t| t.as_f64().unwrap());
    let actual = answer(&dir);
    if let Some(difference) = differs(&expected, &actual, "", tolerance) {
        panic!("case `{name}`: {difference}\nanswer: {}", serde_json::to_string_pretty(&actual).unwrap());
    }
    // The same inputs give the same JSON.
    assert_eq!(actual.to_string(), answer(&dir).to_string(), "case `{name}` is not deterministic");
}

macro_rules! cases {
    ($($name:ident)*) => {
        $(#[test] fn $name() { run(stringify!($name)); })*
        const CASES: &[&str] = &[$(stringify!($name)),*];
    };
}

cases! {
    categorical_values_for_mean
    declared_numeric_holds_text
    empty_cell_mean
    empty_cell_zeros_disclosive
    empty_cell_zeros_not_disclosive
    hist_bins_9_10_11
    hist_missing_values
    logit_coefficients
    malformed_ragged_row
    margins_from_records
    missing_values_checked
    missing_values_unchecked
    negative_values_review
    negative_values_with_failing_threshold
    nk_share_exactly_k
    ols_dof_10_coefficients
    ols_dof_11
    ols_dof_9
    ols_missing_rows_dropped
    ols_singular_design
    p_ratio_boundary
    probit_coefficients
    std_dof_9_10
    suppress_count_margins
    suppress_mean_margins
    suppress_passing_table
    threshold_9_10_11
    types_declared
    types_inferred
    unknown_column
}

#[test]
fn every_case_folder_is_a_test() {
    let folders: BTreeSet<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = CASES.iter().map(|c| (*c).to_owned()).collect();
    assert_eq!(folders, listed, "list every folder of tests/outputs in `cases!`");
}
