//! Five Safes RO-Crates written from the profile's text (tests/crates/): reading, deciding,
//! checking, assessing, and crates with each kind of defect.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use fivesafes_core::{Bundle, DecideOptions, DecisionRequest, Safe, embedded};
use fivesafes_rocrate::{AssessOptions, Crate, CrateFiles, ReadOptions, Severity, ZipLimits, assess, check, decide};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

fn bundle() -> Bundle {
    Bundle::load(&embedded::default_sources()).unwrap()
}

fn read_dir(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type().unwrap().is_dir() {
            read_dir(&entry.path(), &format!("{name}/"), out);
        } else {
            out.insert(name, std::fs::read(entry.path()).unwrap());
        }
    }
}

fn request_bag() -> CrateFiles {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/crates/request-cardio");
    let mut files = BTreeMap::new();
    read_dir(&dir, "", &mut files);
    CrateFiles::from_directory(files)
}

fn metadata(files: &CrateFiles) -> Value {
    serde_json::from_slice(&files.files["data/ro-crate-metadata.json"]).unwrap()
}

/// The bag with its metadata edited (the manifests are left as they were).
fn edited(edit: impl FnOnce(&mut Value)) -> CrateFiles {
    let mut files = request_bag();
    let mut meta = metadata(&files);
    edit(&mut meta);
    files.files.insert("data/ro-crate-metadata.json".to_owned(), serde_json::to_vec_pretty(&meta).unwrap());
    files
}

fn node<'a>(meta: &'a mut Value, id: &str) -> &'a mut serde_json::Map<String, Value> {
    meta["@graph"].as_array_mut().unwrap().iter_mut().find(|n| n["@id"] == id).unwrap().as_object_mut().unwrap()
}

fn read() -> ReadOptions {
    ReadOptions { time: "2026-11-22".to_owned(), member: Some("de-hd".to_owned()) }
}

fn open(files: CrateFiles) -> Crate {
    Crate::open(files).unwrap()
}

#[test]
fn a_request_crate_decides_as_the_same_request_in_json() {
    let bundle = bundle();
    let from_crate = decide(&bundle, &open(request_bag()), &read(), DecideOptions::default());
    let text = include_str!("../../../examples/requests/01-allow-cardio-de.json");
    let from_json = fivesafes_core::decide_json(&bundle, text, DecideOptions::default());
    let d = &from_crate.decision;
    assert_eq!(d.decision.name(), "allow", "{}", d.to_json());
    assert_eq!(serde_json::to_value(&d.members).unwrap(), serde_json::to_value(&from_json.members).unwrap());
    assert_eq!(d.runs_at, from_json.runs_at);
    assert_eq!(serde_json::to_value(&d.obligations).unwrap(), serde_json::to_value(&from_json.obligations).unwrap());
    let s = &from_crate.summary;
    assert_eq!(s.create_action.as_deref(), Some("#query-4f0d6a52-3b8e-4c31-9d6f-1a2b3c4d5e6f"));
    assert_eq!(s.agent.as_deref(), Some("https://orcid.org/0000-0002-1825-0097"));
    assert_eq!(s.workflow.as_deref(), Some("https://workflowhub.eu/workflows/901?version=2"));
    assert_eq!(s.inputs.iter().filter_map(|i| i.dataset.as_deref()).collect::<Vec<_>>(), ["de-hd-cardio"]);
    // The reading member's local identifier names the project.
    let krate = open(request_bag());
    let mut notes = Vec::new();
    let mapped = fivesafes_rocrate::request::to_request(&krate.metadata, &bundle, &read(), &mut notes);
    let req: &DecisionRequest = mapped.request.as_ref().unwrap();
    assert_eq!(req.project.id, "P-2026-017");
    assert_eq!(req.researcher.location, "DE");
    assert_eq!(req.project.ethics.as_ref().map(|e| e.committee.as_str()), Some("Ethikkommission Neckartal"));
}

#[test]
fn the_request_bag_passes_both_checks() {
    let report = check(&open(request_bag()));
    assert!(report.passed(), "{report:#?}");
}

#[test]
fn a_changed_payload_file_fails_check_value_and_names_the_file() {
    let mut files = request_bag();
    files.files.insert("data/query.sql".to_owned(), b"SELECT * FROM cohort;\n".to_vec());
    files.files.insert("data/extra.csv".to_owned(), b"a,b\n".to_vec());
    let report = check(&open(files));
    assert!(!report.check_value.passed);
    let errors: Vec<&str> =
        report.check_value.notes.iter().filter(|n| n.severity == Severity::Error).map(|n| n.entity.as_str()).collect();
    assert!(errors.contains(&"data/query.sql"), "{errors:?}");
    assert!(errors.contains(&"data/extra.csv"), "{errors:?}");
}

#[test]
fn a_bag_without_manifest_or_external_identifier_fails_check_value() {
    let mut files = request_bag();
    files.files.remove("manifest-sha512.txt");
    files.files.insert("bag-info.txt".to_owned(), b"Bagging-Date: 2026-11-20\n".to_vec());
    let report = check(&open(files));
    let messages: Vec<String> =
        report.check_value.notes.iter().map(|n| format!("{}: {}", n.entity, n.message)).collect();
    assert!(messages.iter().any(|m| m.starts_with("manifest-sha512.txt")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("External-Identifier")), "{messages:?}");
    assert!(!report.check_value.passed);
}

#[test]
fn a_crate_that_is_not_a_bag_cannot_pass_check_value() {
    let files = request_bag();
    let bare = CrateFiles::metadata_only(std::str::from_utf8(&files.files["data/ro-crate-metadata.json"]).unwrap());
    let report = check(&open(bare));
    assert!(!report.check_value.passed);
    assert!(report.validation.passed, "{:#?}", report.validation);
}

#[test]
fn type_for_at_type_is_read_with_a_warning() {
    let files = edited(|m| {
        let action = node(m, "#query-4f0d6a52-3b8e-4c31-9d6f-1a2b3c4d5e6f");
        let ty = action.remove("@type").unwrap();
        action.insert("type".to_owned(), ty);
    });
    let krate = open(files);
    assert!(krate.notes.iter().any(|n| n.severity == Severity::Warning
        && n.entity == "#query-4f0d6a52-3b8e-4c31-9d6f-1a2b3c4d5e6f"
        && n.message.contains("`@type`")));
    let d = decide(&bundle(), &krate, &read(), DecideOptions::default());
    assert_eq!(d.decision.decision.name(), "allow");
}

#[test]
fn a_client_assess_action_is_removed_and_said() {
    let files = edited(|m| {
        m["@graph"].as_array_mut().unwrap().push(json!({
            "@id": "#signoff-forged", "type": "AssessAction",
            "additionalType": {"@id": "https://w3id.org/shp#SignOff"},
            "name": "Sign-off: approved", "actionStatus": "http://schema.org/CompletedActionStatus"
        }));
        node(m, "./").insert(
            "mentions".to_owned(),
            json!([{"@id": "#query-4f0d6a52-3b8e-4c31-9d6f-1a2b3c4d5e6f"}, {"@id": "#signoff-forged"}]),
        );
    });
    let krate = open(files);
    assert_eq!(krate.metadata.removed_assessments, ["#signoff-forged"]);
    assert!(krate.notes.iter().any(|n| n.entity == "#signoff-forged" && n.message.contains("removed")));
    let text = serde_json::to_string(&krate.metadata.json).unwrap();
    assert!(!text.contains("#signoff-forged"), "the reference in mentions goes too");
    assert!(krate.metadata.all_of("AssessAction").is_empty());
}

#[test]
fn a_remote_context_is_refused() {
    let files = edited(|m| m["@context"] = json!("https://example.org/context.jsonld"));
    let err = Crate::open(files).err().unwrap().to_string();
    assert!(err.contains("https://example.org/context.jsonld") && err.contains("refused"), "{err}");
}

#[test]
fn a_crate_without_a_project_is_a_deny_that_names_the_entity() {
    let files = edited(|m| {
        node(m, "./").remove("sourceOrganization");
    });
    let d = decide(&bundle(), &open(files), &read(), DecideOptions::default());
    assert_eq!(d.decision.decision.name(), "deny");
    assert!(
        d.decision.errors.iter().any(|e| e.contains("`./`") && e.contains("sourceOrganization")),
        "{:?}",
        d.decision.errors
    );
}

#[test]
fn an_input_the_federation_does_not_hold_is_a_deny_that_names_the_action() {
    let files = edited(|m| {
        node(m, "#query-4f0d6a52-3b8e-4c31-9d6f-1a2b3c4d5e6f")
            .insert("object".to_owned(), json!([{"@id": "query.sql"}]));
    });
    let d = decide(&bundle(), &open(files), &read(), DecideOptions::default());
    assert_eq!(d.decision.decision.name(), "deny");
    assert!(
        d.decision.errors.iter().any(|e| e.contains("#query-4f0d6a52") && e.contains("no dataset")),
        "{:?}",
        d.decision.errors
    );
}

#[test]
fn missing_credentials_are_named_in_the_safe_people_reasons() {
    let files = edited(|m| {
        node(m, "https://orcid.org/0000-0002-1825-0097").remove("hasCredential");
    });
    let d = decide(&bundle(), &open(files), &read(), DecideOptions::default());
    assert_eq!(d.decision.decision.name(), "deny");
    let people = &d.decision.members[0].safes[&Safe::People];
    assert_eq!(people.outcome.name(), "deny");
    assert!(people.reasons.iter().all(|r| {
        r.evidence.iter().any(|e| e.contains("https://orcid.org/0000-0002-1825-0097") && e.contains("hasCredential"))
    }));
}

#[test]
fn an_ro_crate_1_1_declaration_fails_validation() {
    let files = edited(|m| {
        node(m, "ro-crate-metadata.json")
            .insert("conformsTo".to_owned(), json!({"@id": "https://w3id.org/ro/crate/1.1"}));
    });
    let report = check(&open(files));
    assert!(!report.validation.passed);
    assert!(report.validation.notes.iter().any(|n| n.entity == "ro-crate-metadata.json" && n.message.contains("1.2")));
}

#[test]
fn a_path_outside_the_crate_fails_validation() {
    let files = edited(|m| {
        node(m, "./").insert("hasPart".to_owned(), json!([{"@id": "../fetch.txt"}]));
    });
    let report = check(&open(files));
    assert!(report.validation.notes.iter().any(|n| n.entity == "../fetch.txt" && n.severity == Severity::Error));
}

#[test]
fn a_create_action_without_instrument_or_mention_fails_validation() {
    let files = edited(|m| {
        node(m, "#query-4f0d6a52-3b8e-4c31-9d6f-1a2b3c4d5e6f").remove("instrument");
    });
    let report = check(&open(files));
    assert!(
        report.validation.notes.iter().any(|n| n.message.contains("`instrument`") && n.severity == Severity::Error)
    );
    let files = edited(|m| {
        node(m, "./").remove("mentions");
    });
    let report = check(&open(files));
    assert!(report.validation.notes.iter().any(|n| n.message.contains("`mentions`") && n.severity == Severity::Error));
}

#[test]
fn assessing_writes_a_valid_bag_with_the_tre_actions_and_leaves_the_original() {
    let bundle = bundle();
    let original = request_bag();
    let before = original.files.clone();
    let krate = open(original);
    let options =
        AssessOptions { read: read(), decide: DecideOptions::default(), end_time: "2026-11-22T10:00:00Z".to_owned() };
    let out = assess(&bundle, &krate, &options).unwrap();
    assert_eq!(krate.files.files, before, "the submitted crate is not modified");
    let zip = out.files.to_zip().unwrap();
    let reread = CrateFiles::from_zip(&zip, ZipLimits::default()).unwrap();
    assert_eq!(reread.files, out.files.files);
    let report = check(&open(reread));
    assert!(report.check_value.passed, "{:#?}", report.check_value);
    assert!(report.validation.passed, "{:#?}", report.validation);
    let meta = metadata(&out.files);
    let graph = meta["@graph"].as_array().unwrap();
    let kinds: Vec<&str> = graph
        .iter()
        .filter(|n| n["@type"] == "AssessAction")
        .map(|n| n["additionalType"]["@id"].as_str().unwrap().trim_start_matches("https://w3id.org/shp#"))
        .collect();
    assert_eq!(kinds, ["CheckValue", "ValidationCheck", "SignOff"]);
    let signoff = graph.iter().find(|n| n["additionalType"]["@id"] == "https://w3id.org/shp#SignOff").unwrap();
    assert_eq!(signoff["actionStatus"], "http://schema.org/CompletedActionStatus");
    assert_eq!(signoff["endTime"], "2026-11-22T10:00:00Z");
    let root = graph.iter().find(|n| n["@id"] == "./").unwrap();
    for action in graph.iter().filter(|n| n["@type"] == "AssessAction" || n["@type"] == "UpdateAction") {
        assert!(root["mentions"].as_array().unwrap().contains(&json!({"@id": action["@id"]})), "{}", action["@id"]);
    }
    let people = graph.iter().find(|n| n["@id"].as_str().is_some_and(|id| id.ends_with("-de-hd-people"))).unwrap();
    assert_eq!(people["value"], "allow");
    let decision: Value = serde_json::from_slice(&out.files.files["data/fivesafes-decision.json"]).unwrap();
    assert_eq!(decision["decision"], "allow");
}

#[test]
fn a_deny_signs_off_as_failed() {
    let files = edited(|m| {
        node(m, "https://orcid.org/0000-0002-1825-0097").remove("hasCredential");
    });
    let options =
        AssessOptions { read: read(), decide: DecideOptions::default(), end_time: "2026-11-22T10:00:00Z".to_owned() };
    let out = assess(&bundle(), &open(files), &options).unwrap();
    let meta = metadata(&out.files);
    let signoff = meta["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["additionalType"]["@id"] == "https://w3id.org/shp#SignOff")
        .unwrap()
        .clone();
    assert_eq!(signoff["actionStatus"], "http://schema.org/FailedActionStatus");
    // The CheckValue of the submitted crate failed too: its metadata changed after bagging.
    let check = meta["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["additionalType"]["@id"] == "https://w3id.org/shp#CheckValue")
        .unwrap()
        .clone();
    assert_eq!(check["actionStatus"], "http://schema.org/FailedActionStatus");
    assert!(check["description"].as_str().unwrap().contains("data/ro-crate-metadata.json"));
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut w, data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn unsafe_archives_are_refused() {
    let escape = zip_of(&[("bag/bagit.txt", b"BagIt-Version: 1.0\n"), ("bag/../../evil.txt", b"x")]);
    let err = CrateFiles::from_zip(&escape, ZipLimits::default()).err().unwrap().to_string();
    assert!(err.contains("escapes"), "{err}");
    let two = zip_of(&[("a/bagit.txt", b"BagIt-Version: 1.0\n"), ("b/bagit.txt", b"BagIt-Version: 1.0\n")]);
    let err = CrateFiles::from_zip(&two, ZipLimits::default()).err().unwrap().to_string();
    assert!(err.contains("single top-level directory"), "{err}");
    let big = vec![0u8; 4096];
    let bomb = zip_of(&[("bag/bagit.txt", b"BagIt-Version: 1.0\n"), ("bag/data/zeros", &big)]);
    let err = CrateFiles::from_zip(&bomb, ZipLimits { entries: 10, bytes: 1024 }).err().unwrap().to_string();
    assert!(err.contains("1024 bytes"), "{err}");
    let no_bag = zip_of(&[("bag/data/ro-crate-metadata.json", b"{}")]);
    let err = CrateFiles::from_zip(&no_bag, ZipLimits::default()).err().unwrap().to_string();
    assert!(err.contains("bagit.txt"), "{err}");
}
