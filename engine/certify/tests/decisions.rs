//! Certification feeds decisions: a bundle that records a member's assessments (the
//! certificates `fivesafes assess --certificate` writes) takes the member's Safe Settings from
//! them: tier and controls from the latest passing assessment, certification from the latest.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use fivesafes_certify::{Assessor, read_description};
use fivesafes_core::day::Day;
use fivesafes_core::{Bundle, DecideOptions, Outcome, Safe, SourceFile, SourceRole};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const DE_HD: &str = "examples/federation/descriptions/de-hd.ttl";
const REQUEST: &str = "examples/requests/01-allow-cardio-de.json";

/// The certificate of de-hd's description (changed by `edit`) assessed on `day`.
fn certificate(edit: impl Fn(String) -> String, day: &str) -> String {
    let text = edit(std::fs::read_to_string(root().join(DE_HD)).unwrap());
    let d = read_description("de-hd.ttl", text.as_bytes(), None).unwrap();
    let a = Assessor::new(&fivesafes_core::embedded::default_sources())
        .unwrap()
        .assess(&d, None, Day::parse(day).unwrap())
        .unwrap();
    fivesafes_certify::certificate::turtle(&a).unwrap()
}

/// The settings outcome at de-hd and its reasons' evidence, deciding the example request on
/// `time` with these certificates in the bundle.
fn settings_at_de_hd(certificates: &[String], time: &str) -> (Outcome, Vec<String>) {
    let mut files = fivesafes_core::embedded::default_sources();
    for (i, c) in certificates.iter().enumerate() {
        files.push(SourceFile::new(SourceRole::Federation, format!("assessments/de-hd-{i}.ttl"), c.clone()));
    }
    let bundle = Bundle::load(&files).unwrap();
    let request = std::fs::read_to_string(root().join(REQUEST))
        .unwrap()
        .replace("\"time\": \"2026-11-22\"", &format!("\"time\": \"{time}\""));
    let decision = fivesafes_core::decide_json(&bundle, &request, DecideOptions::default());
    let v = serde_json::to_value(&decision).unwrap();
    let member = v["members"].as_array().unwrap().iter().find(|m| m["member"] == "de-hd").unwrap().clone();
    let safe = &member["safes"][Safe::Settings.name()];
    let outcome: Outcome = serde_json::from_value(safe["outcome"].clone()).unwrap();
    let evidence = safe["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["evidence"].as_array().cloned().unwrap_or_default())
        .map(|e| e.as_str().unwrap_or_default().to_owned())
        .collect();
    (outcome, evidence)
}

#[test]
fn a_passing_assessment_certifies_the_member_until_it_expires() {
    let passing = certificate(|t| t, "2026-11-01");
    assert!(passing.contains("fs:certified true"), "{passing}");
    assert_eq!(settings_at_de_hd(std::slice::from_ref(&passing), "2026-11-22").0, Outcome::Allow);
    // Valid 365 days, the day assessed included: until 2027-10-31, within the last of its
    // certificates (the national accreditation, until 2028-01-14).
    assert!(passing.contains("fs:validUntil \"2027-10-31\""), "{passing}");
    assert_eq!(settings_at_de_hd(std::slice::from_ref(&passing), "2027-10-31").0, Outcome::Allow);
    let (outcome, evidence) = settings_at_de_hd(&[passing], "2027-11-01");
    assert_eq!(outcome, Outcome::Deny);
    assert!(
        evidence.iter().any(|e| e.contains("certified against the blueprint for 2026-11-01 (level full), valid until 2027-10-31; request day 2027-11-01")),
        "{evidence:?}"
    );
}

#[test]
fn an_assessment_lasts_no_longer_than_the_certificates() {
    // Only the ISO 27001 certificate (until 2027-06-30) is listed.
    let iso_only = certificate(
        |t| {
            let start = t.find("        [ a fs:NationalTreAccreditation").unwrap();
            let end = t[start..].find("] ;").unwrap() + start + 3;
            format!("{} ;{}", t[..start].trim_end().trim_end_matches(','), &t[end..])
        },
        "2026-11-01",
    );
    assert!(iso_only.contains("fs:validUntil \"2027-06-30\""), "{iso_only}");
    // With every certificate expired on the day assessed, the assessment is valid for no day.
    let expired = certificate(|t| t, "2028-02-01");
    assert!(expired.contains("fs:validUntil \"2028-01-31\""), "{expired}");
    assert_eq!(settings_at_de_hd(&[expired], "2028-02-01").0, Outcome::Deny);
}

#[test]
fn a_failed_latest_assessment_withdraws_the_certification() {
    let passing = certificate(|t| t, "2026-06-01");
    let failed =
        certificate(|t| t.replace("fs:breachNotificationHours 48", "fs:breachNotificationHours 96"), "2026-11-01");
    assert!(failed.contains("fs:certified false"), "{failed}");
    let (outcome, evidence) = settings_at_de_hd(&[passing.clone(), failed.clone()], "2026-11-22");
    assert_eq!(outcome, Outcome::Deny);
    assert!(
        evidence
            .iter()
            .any(|e| e
                .contains("failed its latest assessment against the blueprint, made for 2026-11-01 (level not met)")),
        "{evidence:?}"
    );
    // Before the failed assessment was made, the passing one still held.
    assert_eq!(settings_at_de_hd(&[passing, failed], "2026-10-31").0, Outcome::Allow);
}

#[test]
fn the_tier_and_controls_come_from_the_assessment() {
    // Assessed at tier 2 without a managed device: the tier-3 cardio dataset cannot be analysed.
    let lower = certificate(
        |t| {
            t.replace("fs:securityTier 4 ;", "fs:securityTier 2 ;")
                .replace("fs:ManagedDevice, ", "")
                .replace("fs:certifiedTier 4", "fs:certifiedTier 2")
        },
        "2026-11-01",
    );
    let (outcome, evidence) = settings_at_de_hd(&[lower], "2026-11-22");
    assert_eq!(outcome, Outcome::Deny);
    assert!(evidence.iter().any(|e| e.contains("site `de-hd` is tier 2")), "{evidence:?}");
}
