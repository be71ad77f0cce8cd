#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]
//! The data agrees with itself: schema and policies use only what `vocab/` defines, every policy
//! cites a blueprint requirement, every mandatory requirement is enforced or certified, the
//! blueprint covers every dimension x safe cell, and members can only restrict the baseline.

use fivesafes_core::blueprint::{Dimension, Level, Safe};
use fivesafes_core::{Bundle, BundleError, SourceRole, embedded};
use fivesafes_tests::root;
use std::collections::BTreeSet;

fn bundle() -> Bundle {
    Bundle::load(&embedded::default_sources()).unwrap_or_else(|e| panic!("embedded bundle: {e}"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Names declared in a Cedar schema: entity and common types, actions, attributes.
fn schema_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in text.lines().map(str::trim).filter(|l| !l.starts_with("//")) {
        let word = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
        if let Some(rest) = line.strip_prefix("entity ") {
            names.insert(word(rest));
        } else if let Some(rest) = line.strip_prefix("type ") {
            names.insert(word(rest));
        } else if let Some(rest) = line.strip_prefix("action ") {
            let list = rest.split("appliesTo").next().unwrap_or_default();
            names.extend(list.split(',').map(|s| word(s.trim())).filter(|s| !s.is_empty()));
        } else if let Some((attr, _)) = line.split_once(':') {
            let attr = attr.trim();
            if !attr.is_empty()
                && attr.chars().all(|c| c.is_alphanumeric())
                && !["principal", "resource", "context"].contains(&attr)
            {
                names.insert(attr.to_owned());
            }
        }
    }
    names
}

fn cedar_names_in_vocab() -> BTreeSet<String> {
    let mut graph = oxigraph::model::Graph::new();
    for f in embedded::baseline().iter().filter(|f| f.role == SourceRole::Vocabulary) {
        fivesafes_core::rdf::load_into(&mut graph, &f.name, f.text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    }
    let pred = fivesafes_core::rdf::iri(fivesafes_core::rdf::ns::FS, "cedarName");
    graph
        .iter()
        .filter(|t| t.predicate == pred.as_ref())
        .filter_map(|t| match t.object {
            oxigraph::model::TermRef::Literal(l) => Some(l.value().to_owned()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_schema_uses_only_names_the_vocabulary_defines() {
    let names = schema_names(&read("policies/schema.cedarschema"));
    assert!(names.len() > 40, "parsed {} names from the schema", names.len());
    let defined = cedar_names_in_vocab();
    let missing: Vec<&String> = names.iter().filter(|n| !defined.contains(*n)).collect();
    assert!(missing.is_empty(), "schema names without fs:cedarName in vocab/: {missing:?}");
}

#[test]
fn policies_use_only_iris_the_vocabularies_define() {
    let b = bundle();
    let mut files = vec!["people", "projects", "settings", "data", "outputs"]
        .into_iter()
        .map(|s| format!("policies/{s}.cedar"))
        .collect::<Vec<_>>();
    for m in b.federation.members.keys() {
        files.push(format!("policies/members/{m}.cedar"));
    }
    let mut undefined = Vec::new();
    let mut count = 0;
    for f in files {
        let text = read(&f);
        let mut rest = text.as_str();
        while let Some(i) = rest.find("://") {
            let begin = rest.get(..i).and_then(|s| s.rfind('"')).map(|b| b + 1).unwrap_or(0);
            let end = rest.get(i..).and_then(|s| s.find('"')).map(|e| e + i).unwrap_or(rest.len());
            let iri = rest.get(begin..end).unwrap_or_default();
            count += 1;
            if !b.vocab.defines(iri) {
                undefined.push(format!("{f}: {iri}"));
            }
            rest = rest.get(end..).unwrap_or_default();
        }
    }
    assert!(count > 15, "found only {count} IRIs in the policies");
    assert!(undefined.is_empty(), "IRIs no vocabulary defines: {undefined:?}");
}

#[test]
fn iri_constants_in_the_engine_are_defined_in_vocab() {
    let b = bundle();
    let dir = root().join("engine/core/src");
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")).flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for marker in ["fs(\"", "iri(ns::FS, \"", "ns::FS, \""] {
            let mut rest = text.as_str();
            while let Some(i) = rest.find(marker) {
                let after = rest.get(i + marker.len()..).unwrap_or_default();
                let name: String = after.chars().take_while(|c| *c != '"').collect();
                found.insert(format!("https://w3id.org/fivesafes#{name}"));
                rest = after;
            }
        }
        let mut rest = text.as_str();
        while let Some(i) = rest.find("}NoOutput") {
            found.insert("https://w3id.org/fivesafes#NoOutput".to_owned());
            rest = rest.get(i + 1..).unwrap_or_default();
        }
    }
    assert!(found.len() > 20, "found only {} fs: IRIs in the engine", found.len());
    let undefined: Vec<&String> = found.iter().filter(|i| !b.vocab.defines(i)).collect();
    assert!(undefined.is_empty(), "fs: terms used in code but not defined in vocab/: {undefined:?}");
}

#[test]
fn the_blueprint_covers_every_cell_and_every_mandatory_requirement_is_enforced() {
    let b = bundle();
    let reqs = &b.blueprint.requirements;
    assert!(reqs.len() >= 40, "{} requirements", reqs.len());
    for d in Dimension::ALL {
        for s in Safe::ALL {
            assert!(
                reqs.values().any(|r| r.dimension == d && r.safe == s),
                "no requirement for {} x {}",
                d.name(),
                s.name()
            );
        }
    }
    for r in reqs.values() {
        if r.level == Level::Mandatory {
            assert!(
                !r.enforced_by.is_empty() || r.checked_at_certification,
                "{} is neither enforced nor certified",
                r.id
            );
        }
        for p in &r.enforced_by {
            let meta = b
                .policies
                .meta
                .get(p)
                .unwrap_or_else(|| panic!("{} is enforced by `{p}`, which is not a policy", r.id));
            assert_eq!(meta.requirement, r.id, "`{p}` does not cite {}", r.id);
        }
    }
    for m in b.policies.meta.values().filter(|m| m.member.is_none()) {
        let r = reqs.get(&m.requirement).unwrap_or_else(|| panic!("`{}` cites an unknown requirement", m.id));
        assert!(r.enforced_by.contains(&m.id), "{} does not list `{}` in fs:enforcedBy", r.id, m.id);
    }
}

#[test]
fn a_member_cannot_widen_the_baseline() {
    let mut files = embedded::default_sources();
    for f in files.iter_mut().filter(|f| f.name.ends_with("de-hd.cedar")) {
        f.text.push_str(
            "\n@id(\"de-hd.open\") @safe(\"people\") @requirement(\"ORG.PEO.1\") @dimension(\"organisational\") @member(\"de-hd\") @message(\"open\")\npermit (principal, action, resource);\n",
        );
    }
    match Bundle::load(&files) {
        Err(BundleError::Policy { message, .. }) => assert!(message.contains("may only restrict"), "{message}"),
        other => panic!("a local permit must be refused, got {:?}", other.map(|_| "a bundle")),
    }
}

#[test]
fn a_policy_citing_an_unknown_requirement_is_refused() {
    let mut files = embedded::default_sources();
    for f in files.iter_mut().filter(|f| f.name.ends_with("people.cedar")) {
        f.text = f.text.replace("@requirement(\"TEC.PEO.1\")", "@requirement(\"TEC.PEO.99\")");
    }
    match Bundle::load(&files) {
        Err(BundleError::Policy { message, .. }) => assert!(message.contains("TEC.PEO.99"), "{message}"),
        other => panic!("expected a policy error, got {:?}", other.map(|_| "a bundle")),
    }
}

#[test]
fn a_policy_using_an_attribute_the_schema_lacks_fails_validation() {
    let mut files = embedded::default_sources();
    for f in files.iter_mut().filter(|f| f.name.ends_with("people.cedar")) {
        f.text = f.text.replace("principal.identityVerified", "principal.identityChecked");
    }
    match Bundle::load(&files) {
        Err(BundleError::Validation { message }) => {
            assert!(message.contains("people.identity") && message.contains("people.cedar:"), "{message}")
        }
        other => panic!("expected a validation error, got {:?}", other.map(|_| "a bundle")),
    }
}
