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

/// `outputs check --out DIR` for the threshold case, with a fixed timestamp.
fn case_out(name: &str, dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let data = format!("tests/outputs/{name}/data.csv");
    let spec = format!("tests/outputs/{name}/spec.json");
    let out = dir.display().to_string();
    let mut args = vec!["outputs", "check", "--data", &data, "--spec", &spec, "--out", &out];
    args.extend(["--timestamp", "2024-05-01T12:30:00.123456"]);
    args.extend(extra);
    fivesafes(&args)
}

fn read_dir_files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for sub in ["", "checksums"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                files.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn out_writes_acros_results_directory() {
    let dir = common::scratch("outputs-out").join("results");
    let justification = "the cell of 9 counts sites, not people";
    let o = case_out("threshold_9_10_11", &dir, &["--exception", justification, "--comment", "table 2"]);
    assert_eq!(code(&o), 10, "{}", text(&o));
    let names: Vec<String> = read_dir_files(&dir).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["checksums/output_0_0.csv.txt", "checksums/results.json.txt", "config.json", "output_0_0.csv", "results.json"]
    );
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["version"], "1.0.2");
    let r = &results["results"]["output_0"];
    assert_eq!(r["status"], "fail");
    assert_eq!(r["type"], "table");
    assert_eq!(r["exception"], justification);
    assert_eq!(r["comments"][0], "table 2");
    assert_eq!(r["timestamp"], "2024-05-01T12:30:00.123456");
    assert_eq!(r["files"][0]["sdc"]["cells"]["MinimumThresholdCheck"], serde_json::json!([[0, 0]]));
    assert_eq!(r["outcome"]["p"]["x"], "MinimumThresholdCheck; ");
    assert!(
        r["command"].as_str().unwrap().starts_with("fivesafes outputs check --data tests/outputs/threshold_9_10_11/")
    );
    assert_eq!(std::fs::read_to_string(dir.join("output_0_0.csv")).unwrap(), "g,p\nx,9\ny,10\nz,11\n");
    let sum = std::fs::read_to_string(dir.join("checksums/results.json.txt")).unwrap();
    assert!(sum.len() == 64 && sum.chars().all(|c| c.is_ascii_hexdigit()), "{sum}");

    // The same inputs and timestamp write the same bytes.
    let again = common::scratch("outputs-out-again").join("results");
    let o = case_out("threshold_9_10_11", &again, &["--exception", justification, "--comment", "table 2"]);
    assert_eq!(code(&o), 10, "{}", text(&o));
    assert_eq!(read_dir_files(&dir), read_dir_files(&again));
}

#[test]
fn out_refuses_a_directory_that_holds_results() {
    let dir = common::scratch("outputs-out-refused").join("results");
    let o = case_out("threshold_9_10_11", &dir, &[]);
    assert_eq!(code(&o), 10, "{}", text(&o));
    let before = read_dir_files(&dir);
    let o = case_out("negative_values_review", &dir, &["--exception", "another"]);
    assert_eq!(code(&o), 5, "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("results.json") && err.contains("nothing was written"), "{err}");
    assert_eq!(read_dir_files(&dir), before, "a refused --out changes nothing");
}

#[test]
fn out_into_an_existing_empty_directory_is_fine() {
    let dir = common::scratch("outputs-out-existing");
    let o = case_out("negative_values_review", &dir, &[]);
    assert_eq!(code(&o), 11, "{}", text(&o));
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    let r = &results["results"]["output_0"];
    assert_eq!(r["status"], "review");
    assert_eq!(r["exception"], "");
    assert_eq!(r["fair"]["check_status"]["NKCheck"], "review");
}

#[test]
fn suppress_masks_the_failing_cells_and_asks_for_review() {
    let dir = common::scratch("outputs-out-suppress").join("results");
    let o = case_out("threshold_9_10_11", &dir, &["--suppress", "--format", "json"]);
    assert_eq!(code(&o), 11, "{}", text(&o));
    let got: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(got["table"]["values"][0][0], serde_json::Value::Null);
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    let r = &results["results"]["output_0"];
    assert_eq!(r["status"], "review");
    assert_eq!(r["properties"]["mitigation"], "suppress");
    assert_eq!(r["exception"], "Suppression automatically applied where needed");
    assert_eq!(std::fs::read_to_string(dir.join("output_0_0.csv")).unwrap(), "g,p\nx,\ny,10.0\nz,11.0\n");
}

#[test]
fn results_options_need_out_and_are_documented() {
    let o = fivesafes(&[
        "outputs",
        "check",
        "--data",
        "tests/outputs/threshold_9_10_11/data.csv",
        "--spec",
        "tests/outputs/threshold_9_10_11/spec.json",
        "--exception",
        "why",
    ]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    let help = text(&fivesafes(&["outputs", "check", "--help"]));
    for flag in ["--out", "--exception", "--timestamp", "--suppress", "results.json"] {
        assert!(help.contains(flag), "{flag}: {help}");
    }
}
