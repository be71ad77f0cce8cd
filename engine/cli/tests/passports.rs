#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]
//! GA4GH Passports through the binary: `decide --passport` and `passport check`, with their
//! exit codes.

mod common;

use common::{code, fivesafes, scratch, text};

const REQUEST: &str = "examples/passports/ada-cardio.request.json";
const PASSPORT: &str = "examples/passports/ada.passport.json";

#[test]
fn decide_with_the_example_passport_allows_and_says_which_visas_were_ignored() {
    let o = fivesafes(&["decide", REQUEST]);
    assert_eq!(code(&o), 10, "without the passport the evidence is missing: {}", text(&o));
    let o = fivesafes(&["decide", REQUEST, "--passport", PASSPORT, "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(d["runsAt"], serde_json::json!(["de-hd"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("visa #4") && err.contains("expired at 2026-05-01T00:00:00Z"), "{err}");
    assert!(err.contains("visa #5") && err.contains("signature that does not verify"), "{err}");
    assert!(err.contains("visa #8") && err.contains("issuer the federation does not know"), "{err}");
}

#[test]
fn passport_check_lists_each_members_visas_and_fails_when_any_did_not_verify() {
    let o = fivesafes(&["passport", "check", PASSPORT, "--time", "2026-11-22"]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("6 of 9 visas verified"), "{out}");
    assert!(out.contains("fi-fin: accepts #0, #1, #2, #3, #6, #7"), "{out}");
    assert!(out.contains("gb-sail: accepts #0, #1, #2, #7"), "{out}");
    let o =
        fivesafes(&["passport", "check", PASSPORT, "--time", "2026-11-22", "--member", "fi-fin", "--format", "json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["members"]["fi-fin"]["accepted"], serde_json::json!([0, 1, 2, 3, 6, 7]));
    assert_eq!(j["verified"].as_array().unwrap().len(), 6);
    // On a day before anything expired, only the forged and unknown-issuer visas fail.
    let o = fivesafes(&["passport", "check", PASSPORT, "--time", "2026-04-30T00:00:00Z", "--format", "json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let failed: Vec<u64> = j["notes"].as_array().unwrap().iter().map(|n| n["visa"].as_u64().unwrap()).collect();
    // Visas minted on 2026-11-20 were not yet issued then.
    assert!(failed.contains(&5) && failed.contains(&8) && !failed.contains(&4), "{failed:?}");
}

#[test]
fn a_passport_that_cannot_be_read_is_invalid_input_and_one_that_is_missing_cannot_be_read() {
    let dir = scratch("passport-bad");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"ga4gh_passport_v1": [{"type": "AffiliationAndRole"}]}"#).unwrap();
    let o = fivesafes(&["decide", REQUEST, "--passport", bad.to_str().unwrap()]);
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(text(&o).contains("$.ga4gh_passport_v1[0]"), "{}", text(&o));
    let o = fivesafes(&["decide", REQUEST, "--passport", dir.join("absent.json").to_str().unwrap()]);
    assert_eq!(code(&o), 5, "{}", text(&o));
    let o = fivesafes(&["decide", REQUEST, "--passport", PASSPORT, "--engine", "wasm"]);
    assert_eq!(code(&o), 2, "{}", text(&o));
}

/// The example request crate without its DAC approval and accreditation: a passport supplies
/// them.
fn crate_without_paperwork(dir: &std::path::Path) -> std::path::PathBuf {
    let path = fivesafes_tests::root().join("tests/crates/request-cardio/data/ro-crate-metadata.json");
    let mut meta: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let gone = ["#approval-dac", "#credential-far"];
    let graph = meta["@graph"].as_array_mut().unwrap();
    graph.retain(|e| !gone.contains(&e["@id"].as_str().unwrap_or_default()));
    for e in graph.iter_mut() {
        if let Some(serde_json::Value::Array(creds)) = e.get_mut("hasCredential") {
            creds.retain(|c| !gone.contains(&c["@id"].as_str().unwrap_or_default()));
        }
    }
    let out = dir.join("ro-crate-metadata.json");
    std::fs::write(&out, serde_json::to_string_pretty(&meta).unwrap()).unwrap();
    out
}

#[test]
fn a_crate_and_a_passport_are_decided_and_assessed_together() {
    let dir = scratch("passport-crate");
    let meta = crate_without_paperwork(&dir);
    let meta = meta.to_str().unwrap();
    let base = ["--time", "2026-11-22", "--member", "de-hd"];
    let o = fivesafes(&[&["decide", meta][..], &base].concat());
    assert_eq!(code(&o), 10, "the crate alone lacks the evidence: {}", text(&o));
    let o = fivesafes(&[&["decide", meta][..], &base, &["--passport", PASSPORT]].concat());
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("visa #5"), "{}", text(&o));
    let out = dir.join("assessed");
    let o = fivesafes(
        &[&["crate", "assess", meta, "--out", out.to_str().unwrap()][..], &base, &["--passport", PASSPORT]].concat(),
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("SignOff allow"), "{}", text(&o));
}
