#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]
//! `fivesafes audit verify` through the binary: a log written by the appender across rotated
//! files verifies; tampering is named with file, line and sequence; exit codes and formats.

mod common;

use common::{code, fivesafes, scratch, text};
use fivesafes_audit::files::{DecisionLog, LogConfig};
use fivesafes_audit::{DecisionId, DecisionRecord};
use fivesafes_core::decision::{BundleRef, Decision};
use std::path::Path;

/// A log of `count` decisions in `dir`, rotated so that it spans several files.
fn write_log(dir: &Path, count: u64) {
    let bundle = BundleRef {
        federation: "https://example.org/federation".to_owned(),
        version: "1.0".to_owned(),
        blueprint_version: "0.3".to_owned(),
        hash: "sha256:abcd".to_owned(),
    };
    let config = LogConfig { max_file_bytes: 1500, ..LogConfig::new(dir) };
    let log = DecisionLog::open(config).unwrap();
    for n in 1..=count {
        let decision = Decision::failed_under(bundle.clone(), Some(format!("sha256:{n:064x}")), format!("error {n}"));
        let time: jiff::Timestamp = "2025-01-01T12:00:00Z".parse().unwrap();
        log.append(DecisionRecord::new(
            &decision,
            DecisionId::parse(&format!("00000000-0000-0000-0000-{n:012x}")).unwrap(),
            time,
        ))
        .unwrap();
    }
    log.close().unwrap();
}

fn verify(args: &[&str]) -> std::process::Output {
    fivesafes(&[&["audit", "verify"], args].concat())
}

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

#[test]
fn a_rotated_log_verifies_from_its_directory_or_its_first_file() {
    let dir = scratch("audit-verifies");
    write_log(&dir, 12);
    assert!(dir.join("decisions.log.1").is_file() && dir.join("decisions.log.2").is_file());
    let d = dir.display().to_string();
    let o = verify(&[&d]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).starts_with("verified: 12 entries in "), "{}", text(&o));
    let first = dir.join("decisions.log.1").display().to_string();
    let o = verify(&[&first, "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let v = json(&o);
    assert_eq!(v["verified"], true);
    assert_eq!(v["entries"], 12);
    assert_eq!(v["head"]["sequence"], 12);
    assert!(v["files"].as_array().unwrap().len() >= 3, "{v}");
}

#[test]
fn an_edited_entry_is_named_and_exits_1() {
    let dir = scratch("audit-edited");
    write_log(&dir, 12);
    let file = dir.join("decisions.log.2");
    let text_before = std::fs::read_to_string(&file).unwrap();
    let second = text_before.lines().nth(1).unwrap();
    let edited = second.replace("\"outcome\":\"deny\"", "\"outcome\":\"allow\"");
    assert_ne!(second, edited);
    std::fs::write(&file, text_before.replace(second, &edited)).unwrap();
    let d = dir.display().to_string();
    let o = verify(&[&d]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    let out = text(&o);
    assert!(out.starts_with("broken: "), "{out}");
    assert!(out.contains("decisions.log.2 line 2 (sequence "), "{out}");
    assert!(out.contains("edited"), "{out}");
    let v = json(&verify(&[&d, "--format", "json"]));
    assert_eq!(v["verified"], false);
    assert_eq!(v["badEntry"]["fault"]["kind"], "edited");
    assert_eq!(v["badEntry"]["at"]["line"], 2);
}

#[test]
fn a_deleted_line_and_a_missing_file_are_named() {
    let dir = scratch("audit-deleted");
    write_log(&dir, 12);
    let file = dir.join("decisions.log.1");
    let lines: Vec<String> = std::fs::read_to_string(&file).unwrap().lines().map(str::to_owned).collect();
    let without: String = lines.iter().enumerate().filter(|(i, _)| *i != 1).map(|(_, l)| format!("{l}\n")).collect();
    std::fs::write(&file, without).unwrap();
    let d = dir.display().to_string();
    let v = json(&verify(&[&d, "--format", "json"]));
    assert_eq!(v["badEntry"]["fault"]["kind"], "missing", "{v}");
    assert_eq!(v["badEntry"]["fault"]["expected"], 2);
    assert_eq!(v["badEntry"]["sequence"], 3);
    // Files given one by one, the first left out: the log does not start at entry 1.
    let later = [dir.join("decisions.log.2").display().to_string(), dir.join("decisions.log").display().to_string()];
    let o = verify(&[&later[0], &later[1]]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("missing: entries 1 to "), "{}", text(&o));
}

#[test]
fn a_torn_last_line_is_named() {
    let dir = scratch("audit-torn");
    write_log(&dir, 4);
    let active = dir.join("decisions.log");
    let mut bytes = std::fs::read(&active).unwrap();
    bytes.truncate(bytes.len() - 10);
    std::fs::write(&active, bytes).unwrap();
    let d = dir.display().to_string();
    let v = json(&verify(&[&d, "--format", "json"]));
    assert_eq!(v["badEntry"]["fault"]["kind"], "truncated", "{v}");
}

#[test]
fn an_unreadable_log_exits_5() {
    let dir = scratch("audit-unreadable");
    let missing = dir.join("nothing-here").display().to_string();
    let o = verify(&[&missing]);
    assert_eq!(code(&o), 5, "{}", text(&o));
}
