#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]
//! `fivesafes assess` through the binary: formats, the federation summary and exit codes.

mod common;

use common::{code, fivesafes, text};

const DE_HD: &str = "examples/federation/descriptions/de-hd.ttl";

#[test]
fn a_complete_description_is_certified_in_every_format() {
    let o = fivesafes(&["assess", DE_HD, "--date", "2026-11-22"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("overall: full (certified"), "{}", text(&o));
    let o = fivesafes(&["assess", DE_HD, "--date", "2026-11-22", "--format", "json"]);
    let a: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(a["overall"], "full");
    assert_eq!(a["results"].as_array().unwrap().len(), 27);
    let o = fivesafes(&["assess", DE_HD, "--date", "2026-11-22", "--format", "earl"]);
    assert!(text(&o).contains("earl:outcome earl:passed"), "{}", text(&o));
    let o = fivesafes(&["assess", DE_HD, "--date", "2026-11-22", "--format", "earl-jsonld"]);
    let _: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let o = fivesafes(&["assess", DE_HD, "--date", "2026-11-22", "--format", "html"]);
    assert!(text(&o).starts_with("<!DOCTYPE html>"));
}

#[test]
fn the_example_federation_shows_every_level() {
    let o = fivesafes(&["assess", "--federation", "--date", "2026-11-22"]);
    assert_eq!(code(&o), 10, "a member fails a mandatory requirement: {}", text(&o));
    let out = text(&o);
    for (member, level) in [
        ("de-hd", "full"),
        ("fi-fin", "full"),
        ("nl-odi", "baseline"),
        ("gb-sail", "baseline"),
        ("es-bcn", "not met"),
        ("no-osl", "not met"),
        ("ch-zrh", "not met"),
    ] {
        assert!(out.lines().any(|l| l.starts_with(member) && l.contains(level)), "{member} {level}: {out}");
    }
}

#[test]
fn contradictions_are_undetermined_and_bad_input_is_refused() {
    let o = fivesafes(&[
        "assess",
        "tests/certification/descriptions/contradictory.ttl",
        "--satre",
        "tests/certification/descriptions/contradictory.satre.csv",
        "--date",
        "2026-11-22",
    ]);
    assert_eq!(code(&o), 10, "{}", text(&o));
    assert!(text(&o).contains("????"), "{}", text(&o));
    let o = fivesafes(&["assess", "tests/certification/descriptions/malformed.ttl"]);
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("malformed.ttl"));
    let o = fivesafes(&["assess", "tests/certification/satre/does-not-exist.ttl"]);
    assert_eq!(code(&o), 5);
    let o = fivesafes(&["assess", DE_HD, "--date", "2026-13-01"]);
    assert_eq!(code(&o), 2);
}
