//! Assessments of the example federation's and the test self-descriptions (written for these
//! tests; see tests/certification/descriptions/README.md), on 2026-11-22.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use fivesafes_certify::report::Assessment;
use fivesafes_certify::satre::read_sheet;
use fivesafes_certify::{Assessor, CertifyError, Conformance, EarlFormat, Outcome, read_description};
use fivesafes_core::day::Day;
use oxigraph::io::{RdfFormat, RdfParser};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn assessor() -> Assessor {
    Assessor::new(&fivesafes_core::embedded::default_sources()).unwrap()
}

fn day() -> Day {
    Day::parse("2026-11-22").unwrap()
}

fn assess_file(path: &str, satre: Option<&str>) -> Result<Assessment, CertifyError> {
    let bytes = std::fs::read(root().join(path)).unwrap();
    let sheet = satre.map(|s| read_sheet(s, &std::fs::read(root().join(s)).unwrap()).unwrap());
    let d = read_description(path, &bytes, sheet.as_ref())?;
    assessor().assess(&d, sheet.as_ref(), day())
}

fn outcome(a: &Assessment, id: &str) -> Outcome {
    a.results.iter().find(|r| r.requirement == id).unwrap_or_else(|| panic!("no result for {id}")).outcome
}

fn not_passed(a: &Assessment) -> Vec<(String, Outcome)> {
    a.results
        .iter()
        .filter(|r| !matches!(r.outcome, Outcome::Passed))
        .map(|r| (r.requirement.clone(), r.outcome))
        .collect()
}

const DE_HD: &str = "examples/federation/descriptions/de-hd.ttl";

#[test]
fn the_complete_description_passes_every_requirement() {
    let a = assess_file(DE_HD, None).unwrap();
    assert_eq!(not_passed(&a), vec![]);
    assert_eq!(a.overall, Conformance::Full);
    assert!(a.certified);
    assert_eq!(a.results.len(), 27);
    assert_eq!(a.cells.len(), 20);
    assert!(a.evidence_hash.starts_with("sha256:") && a.evidence_hash.len() == 71);
    // Evidence points into the canonical graph: blank nodes carry canonical labels.
    let dpo = a.results.iter().find(|r| r.requirement == "LEG.SET.2").unwrap();
    assert_eq!(dpo.evidence.len(), 1);
    assert!(dpo.evidence[0].node.starts_with("_:c14n"), "{:?}", dpo.evidence);
}

#[test]
fn problems_fail_their_requirements_and_grade_the_grid() {
    let text = std::fs::read_to_string(root().join(DE_HD)).unwrap();
    let bad = text
        .replace("fs:breachNotificationHours 48", "fs:breachNotificationHours 96")
        .replace("fs:NoReidentificationClause,", "")
        .replace(", dpv:EncryptionInTransfer", "")
        .replace("\"2029-01-31\"", "\"2026-01-31\"")
        .replace("fs:lastPerformedOn \"2026-04-20\"", "fs:lastPerformedOn \"2025-04-20\"");
    let d = read_description("bad.ttl", bad.as_bytes(), None).unwrap();
    let a = assessor().assess(&d, None, day()).unwrap();
    assert_eq!(
        not_passed(&a),
        vec![
            ("LEG.PEO.3".into(), Outcome::Failed),
            ("LEG.SET.3".into(), Outcome::Failed),
            ("ORG.SET.2".into(), Outcome::Failed),
            ("TEC.SET.5".into(), Outcome::Failed),
            ("TEC.DAT.3".into(), Outcome::Failed),
        ]
    );
    let r = a.results.iter().find(|r| r.requirement == "ORG.SET.2").unwrap();
    assert_eq!(
        r.problems,
        vec!["the incident procedure notifies a breach within 96 hours, more than the 72 of GDPR Art 33"]
    );
    assert!(r.improve.starts_with("To meet ORG.SET.2:"));
    assert_eq!(a.overall, Conformance::NotMet);
    assert!(!a.certified);
    let cell = |d: &str, s: &str| a.cells.iter().find(|c| c.dimension.name() == d && c.safe.name() == s).unwrap().level;
    assert_eq!(cell("technical", "settings"), Conformance::Baseline); // only a recommended failed
    assert_eq!(cell("technical", "data"), Conformance::NotMet);
    assert_eq!(cell("semantic", "data"), Conformance::Full);
}

#[test]
fn the_boundaries_of_dates_and_hours() {
    let text = std::fs::read_to_string(root().join(DE_HD)).unwrap();
    // 72 hours is within GDPR Art 33; an agreement valid until the assessment day is in force; a
    // penetration test exactly a year before is recent enough.
    let edge = text
        .replace("fs:breachNotificationHours 48", "fs:breachNotificationHours 72")
        .replace("\"2029-01-31\"", "\"2026-11-22\"")
        .replace("fs:lastPerformedOn \"2026-04-20\"", "fs:lastPerformedOn \"2025-11-22\"");
    let a = assessor().assess(&read_description("edge.ttl", edge.as_bytes(), None).unwrap(), None, day()).unwrap();
    assert_eq!(not_passed(&a), vec![]);
    let past = edge
        .replace("fs:breachNotificationHours 72", "fs:breachNotificationHours 73")
        .replace(
            "\"2026-11-22\"^^xsd:date ;\n        fs:documentedAt \"https://federation",
            "\"2026-11-21\"^^xsd:date ;\n        fs:documentedAt \"https://federation",
        )
        .replace("fs:lastPerformedOn \"2025-11-22\"", "fs:lastPerformedOn \"2025-11-21\"");
    let a = assessor().assess(&read_description("past.ttl", past.as_bytes(), None).unwrap(), None, day()).unwrap();
    assert_eq!(
        not_passed(&a),
        vec![
            ("LEG.SET.3".into(), Outcome::Failed),
            ("ORG.SET.2".into(), Outcome::Failed),
            ("TEC.SET.5".into(), Outcome::Failed),
        ]
    );
}

#[test]
fn a_partial_description_fails_with_what_is_missing() {
    let a = assess_file("tests/certification/descriptions/partial.ttl", None).unwrap();
    assert_eq!(a.overall, Conformance::NotMet);
    assert_eq!(outcome(&a, "TEC.PEO.2"), Outcome::Passed);
    assert_eq!(outcome(&a, "LEG.SET.2"), Outcome::Failed);
    // Checks over the bundle still see the member's datasets.
    assert_eq!(outcome(&a, "SEM.PRJ.4"), Outcome::Passed);
    let r = a.results.iter().find(|r| r.requirement == "LEG.SET.2").unwrap();
    assert_eq!(r.problems, vec!["the description names no data protection officer (fs:dataProtectionOfficer)"]);
    let r = a.results.iter().find(|r| r.requirement == "SEM.SET.1").unwrap();
    assert_eq!(r.outcome, Outcome::Failed);
    assert_eq!(
        r.problems,
        vec!["control `https://tre.example/terms#HomeMadeControl` is not a term of the federation's vocabularies"]
    );
    let r = a.results.iter().find(|r| r.requirement == "TEC.DAT.3").unwrap();
    assert_eq!(r.problems, vec!["data is not encrypted in transit (fs:hasControl dpv:EncryptionInTransfer)"]);
}

#[test]
fn a_member_holding_no_datasets_makes_dataset_requirements_inapplicable() {
    let text = std::fs::read_to_string(root().join(DE_HD)).unwrap().replace("ex:de-hd", "ex:new-member");
    let a = assessor().assess(&read_description("new.ttl", text.as_bytes(), None).unwrap(), None, day()).unwrap();
    assert_eq!(outcome(&a, "SEM.PRJ.4"), Outcome::Inapplicable);
    assert_eq!(outcome(&a, "SEM.DAT.3"), Outcome::Inapplicable);
    // The bundle states no visa trust for an unknown member.
    assert_eq!(outcome(&a, "SEM.PEO.2"), Outcome::Failed);
    assert_eq!(a.overall, Conformance::Baseline);
}

#[test]
fn satre_scores_that_contradict_the_description_cannot_be_told() {
    let a = assess_file(
        "tests/certification/descriptions/contradictory.ttl",
        Some("tests/certification/descriptions/contradictory.satre.csv"),
    )
    .unwrap();
    assert_eq!(outcome(&a, "TEC.PEO.2"), Outcome::CantTell);
    assert_eq!(outcome(&a, "TEC.DAT.3"), Outcome::CantTell);
    assert_eq!(outcome(&a, "ORG.SET.2"), Outcome::Passed);
    assert_eq!(outcome(&a, "LEG.SET.2"), Outcome::CantTell);
    let r = a.results.iter().find(|r| r.requirement == "TEC.PEO.2").unwrap();
    assert_eq!(r.mode, fivesafes_certify::report::Mode::SemiAuto);
    assert_eq!(r.satre[0].statement, "3.2.04");
    assert_eq!(r.satre[0].score, "0");
    assert!(r.improve.contains("Roll MFA out to researchers"), "{}", r.improve);
    // The SATRE scores are part of the evidence graph.
    let without = assess_file("tests/certification/descriptions/contradictory.ttl", None).unwrap();
    assert_ne!(a.evidence_hash, without.evidence_hash);
    assert!(a.satre.as_ref().is_some_and(|s| !s.met));
}

#[test]
fn bad_descriptions_are_refused_with_where() {
    let e = assess_file("tests/certification/descriptions/malformed.ttl", None).unwrap_err();
    let text = format!("{e}");
    assert!(text.contains("malformed.ttl"), "{text}");
    let e = assess_file("tests/certification/descriptions/two-tres.ttl", None).unwrap_err();
    assert!(format!("{e}").contains("describes 2 TREs"), "{e}");
    let Err(e) = read_description("none.ttl", b"<https://e.org/a> <https://e.org/p> 1 .", None) else { panic!() };
    assert!(format!("{e}").contains("describes no TRE"), "{e}");
}

#[test]
fn assessments_are_deterministic() {
    let a = serde_json::to_string(&assess_file(DE_HD, None).unwrap()).unwrap();
    let b = serde_json::to_string(&assess_file(DE_HD, None).unwrap()).unwrap();
    assert_eq!(a, b);
    let a = assess_file(DE_HD, None).unwrap();
    let e1 = fivesafes_certify::write_earl(&a, EarlFormat::Turtle).unwrap();
    let e2 = fivesafes_certify::write_earl(&assess_file(DE_HD, None).unwrap(), EarlFormat::Turtle).unwrap();
    assert_eq!(e1, e2);
}

#[test]
fn earl_reads_back_in_turtle_and_json_ld() {
    let a = assess_file("tests/certification/descriptions/partial.ttl", None).unwrap();
    for (format, parse) in [
        (EarlFormat::Turtle, RdfFormat::Turtle),
        (EarlFormat::JsonLd, RdfFormat::JsonLd { profile: oxigraph::io::JsonLdProfileSet::empty() }),
    ] {
        let text = fivesafes_certify::write_earl(&a, format).unwrap();
        let triples: Vec<_> =
            RdfParser::from_format(parse).for_slice(text.as_bytes()).collect::<Result<_, _>>().unwrap();
        let outcomes: Vec<String> = triples
            .iter()
            .filter(|q| q.predicate.as_str() == "http://www.w3.org/ns/earl#outcome")
            .map(|q| q.object.to_string())
            .collect();
        assert_eq!(outcomes.len(), 27);
        let failed = outcomes.iter().filter(|o| o.as_str() == "<http://www.w3.org/ns/earl#failed>").count();
        assert_eq!(failed, a.results.iter().filter(|r| r.outcome == Outcome::Failed).count());
        assert!(triples.iter().any(|q| q.predicate.as_str() == "https://w3id.org/fivesafes#evidenceGraphHash"
            && q.object.to_string().contains(&a.evidence_hash)));
    }
}

#[test]
fn the_html_report_is_self_contained() {
    let a = assess_file("tests/certification/descriptions/partial.ttl", None).unwrap();
    let html = fivesafes_certify::html::report(&a);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("id=\"heatmap\""));
    assert_eq!(html.matches("data-safe=").count(), 20);
    assert!(!html.contains("<script") && !html.contains("http://cdn") && !html.contains("<link"));
    assert!(html.contains("HomeMadeControl"));
}

#[test]
fn each_problem_is_about_its_own_evidence() {
    // Other measures have a document, a date and federation sharing; the changed ones do not.
    let text = std::fs::read_to_string(root().join(DE_HD)).unwrap();
    let bad = text
        .replace("\n          fs:documentedAt \"https://neckartal-hdsh.example/sop/dpia\" ;", "\n         ")
        .replace("fs:logRetentionDays 730 ; fs:sharedWithFederation true ;", "fs:logRetentionDays 730 ;")
        .replace("fs:lastPerformedOn \"2026-04-20\"^^xsd:date ;", "")
        .replace("fs:securityTier 4 ;\n    fs:hasControl", "fs:securityTier 3 ;\n    fs:hasControl");
    let a = assessor().assess(&read_description("scoped.ttl", bad.as_bytes(), None).unwrap(), None, day()).unwrap();
    assert_eq!(
        not_passed(&a),
        vec![
            ("LEG.PRJ.3".into(), Outcome::Failed),
            ("TEC.SET.4".into(), Outcome::Failed),
            ("TEC.SET.5".into(), Outcome::Failed),
            ("SEM.SET.2".into(), Outcome::Failed),
        ]
    );
    let r = a.results.iter().find(|r| r.requirement == "SEM.SET.2").unwrap();
    assert_eq!(r.problems, vec!["the description and the federation bundle state different tiers: 3 and 4"]);
}

#[test]
fn stale_dates_fail_on_the_29th_of_february_too() {
    let text = std::fs::read_to_string(root().join(DE_HD))
        .unwrap()
        .replace("\"2026-10-15\"^^xsd:date", "\"2027-02-27\"^^xsd:date")
        .replace("\"2029-01-31\"", "\"2030-01-31\"");
    let leap = Day::parse("2028-02-29").unwrap();
    let a = assessor().assess(&read_description("leap.ttl", text.as_bytes(), None).unwrap(), None, leap).unwrap();
    // A year before 2028-02-29 is compared as the string 2027-02-29, which no xsd:date cast builds.
    assert_eq!(outcome(&a, "TEC.SET.5"), Outcome::Failed);
    assert_eq!(outcome(&a, "SEM.SET.1"), Outcome::Failed);
}
