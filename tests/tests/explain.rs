#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]
//! `explain` on every example request: every deny and review is explained by the conditions of
//! the policy that decided it, evaluated to the values that made it hold; every remedy offered
//! is checked here again, independently, by deciding the changed request; and a deny that rests
//! on the researcher's or project's evidence gets a remedy.

use fivesafes_core::explain::{Explained, Node, explain};
use fivesafes_core::suite::merge_patch;
use fivesafes_core::{Bundle, DecideOptions, DecisionRequest, decide, embedded};
use fivesafes_tests::cases;
use serde_json::Value;

fn leaves(n: &Node, out: &mut usize) {
    if n.deciding {
        *out += 1;
    }
    n.parts.iter().for_each(|p| leaves(p, out));
}

/// Evidence a researcher or project can supply: a deny on it must come with a remedy.
const REMEDIABLE: &[&str] = &[
    "people.training",
    "people.user-agreement",
    "people.accreditation",
    "projects.ethics",
    "nl-odi.ethics-always",
    "projects.dac-approval",
    "data.minimisation",
    "gb-sail.uk-accredited",
    "fi-fin.findata-permit",
];

#[test]
fn every_deny_and_review_of_every_example_is_explained_and_every_remedy_flips_it() {
    let bundle = Bundle::load(&embedded::default_sources()).unwrap();
    let mut explained = 0;
    let mut remedies = 0;
    for case in cases() {
        let Ok(req) = DecisionRequest::from_json(&case.text) else { continue };
        let options = DecideOptions { all_members: case.expect.all_members };
        let Ok(decision) = decide(&bundle, &req, options) else {
            // Invalid input: nothing to explain, and explain says so too.
            assert!(explain(&bundle, &req, options).is_err(), "{}", case.name);
            continue;
        };
        let x = explain(&bundle, &req, options).unwrap();
        assert_eq!(x.decision, decision.decision, "{}", case.name);
        let reasons: usize = decision
            .members
            .iter()
            .flat_map(|m| m.safes.values())
            .map(|s| s.reasons.iter().filter(|r| r.outcome.name() != "allow").count())
            .sum();
        assert_eq!(x.explained.len(), reasons, "{}: one explanation per deny or review", case.name);
        for e in &x.explained {
            explained += 1;
            check_conditions(&case.name, e);
            for r in &e.remedies {
                let Some(patch) = &r.patch else { continue };
                remedies += 1;
                let mut changed: Value = serde_json::from_str(&case.text).unwrap();
                merge_patch(&mut changed, patch);
                let req2 = DecisionRequest::from_value(changed).unwrap_or_else(|err| {
                    panic!("{}: remedy `{}` makes an invalid request: {err}", case.name, r.change)
                });
                let d2 = decide(&bundle, &req2, options).unwrap();
                let m = d2.members.iter().find(|m| m.member == e.member).unwrap();
                let still = m.safes[&e.safe].reasons.iter().any(|x| x.policy == e.policy && x.dataset == e.dataset);
                assert!(!still, "{}: remedy `{}` does not flip {} at {}", case.name, r.change, e.policy, e.member);
            }
            if REMEDIABLE.contains(&e.policy.as_str()) {
                assert!(
                    e.remedies.iter().any(|r| r.patch.is_some()),
                    "{}: no remedy for {} at {}: {e:#?}",
                    case.name,
                    e.policy,
                    e.member
                );
            }
        }
    }
    assert!(explained > 20, "only {explained} denies and reviews explained");
    assert!(remedies > 10, "only {remedies} remedies checked");
}

fn check_conditions(case: &str, e: &Explained) {
    assert!(!e.conditions.is_empty(), "{case}: {} has no conditions explained", e.policy);
    for c in &e.conditions {
        // The policy held: every `when` true and every `unless` false.
        let want = if c.kind == "when" { "true" } else { "false" };
        assert_eq!(c.condition.value, want, "{case}: {} {} {}", e.policy, c.kind, c.condition.expression);
        let mut n = 0;
        leaves(&c.condition, &mut n);
        assert!(n > 0, "{case}: {} {} names no deciding sub-expression", e.policy, c.kind);
    }
    assert!(!e.deciding.is_empty(), "{case}: {}", e.policy);
}

#[test]
fn sides_that_decide_only_together_are_reported_together() {
    // A GS (EEA-only) dataset at ch-zrh by a researcher in Switzerland: neither the site nor
    // the researcher is within the region, so neither change alone flips the rule.
    let bundle = Bundle::load(&embedded::default_sources()).unwrap();
    let text =
        std::fs::read_to_string(fivesafes_tests::root().join("examples/requests/33-gs-region-where-it-may-run.json"))
            .unwrap();
    let mut value: Value = serde_json::from_str(&text).unwrap();
    value["researcher"]["location"] = Value::from("CH");
    let req = DecisionRequest::from_value(value).unwrap();
    let x = explain(&bundle, &req, DecideOptions { all_members: true }).unwrap();
    let e = x
        .explained
        .iter()
        .find(|e| e.member == "ch-zrh" && e.policy == "settings.geographic-restriction")
        .unwrap_or_else(|| panic!("{x:#?}"));
    let deciding: Vec<&str> = e.deciding.iter().map(|d| d.expression.as_str()).collect();
    assert!(deciding.contains(&"context.region.siteWithin && context.region.researcherWithin"), "{deciding:?}");
    assert!(!deciding.contains(&"context.region.siteWithin"), "{deciding:?}");
    assert!(!deciding.contains(&"context.region.researcherWithin"), "{deciding:?}");
}
