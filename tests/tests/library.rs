#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]
//! The example corpus against the library.

use fivesafes_core::{Bundle, DecideOptions, decide_json_checked, embedded};
use fivesafes_tests::{cases, expected, observe};

#[test]
fn every_example_request_decides_as_expected() {
    let bundle = Bundle::load(&embedded::default_sources()).unwrap_or_else(|e| panic!("embedded bundle: {e}"));
    let cases = cases();
    assert!(cases.len() >= 25, "the corpus has {} cases; at least 25 expected", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let options = DecideOptions { all_members: case.expect.all_members };
        match decide_json_checked(&bundle, &case.text, options) {
            Ok(d) => {
                let got = observe(&d);
                let want = expected(&case.expect);
                if got != want {
                    failures
                        .push(format!("{}: {}\n  expected {want:#?}\n  got {got:#?}", case.name, case.expect.about));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                let fragment = case.expect.error.clone().unwrap_or_default();
                if case.expect.exit != "invalid" || !msg.contains(&fragment) {
                    failures.push(format!(
                        "{}: {}\n  expected {} / `{fragment}`\n  got error: {msg}",
                        case.name, case.expect.about, case.expect.exit
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn decisions_are_deterministic_byte_for_byte() {
    let bundle = Bundle::load(&embedded::default_sources()).unwrap_or_else(|e| panic!("embedded bundle: {e}"));
    for case in cases() {
        let options = DecideOptions { all_members: case.expect.all_members };
        let a = fivesafes_core::decide_json(&bundle, &case.text, options).to_json();
        let b = fivesafes_core::decide_json(&bundle, &case.text, options).to_json();
        assert_eq!(a, b, "{}", case.name);
    }
}

#[test]
fn invalid_requests_never_allow() {
    let bundle = Bundle::load(&embedded::default_sources()).unwrap_or_else(|e| panic!("embedded bundle: {e}"));
    for case in cases().iter().filter(|c| c.expect.exit == "invalid") {
        let d = fivesafes_core::decide_json(&bundle, &case.text, DecideOptions::default());
        assert_eq!(d.decision.name(), "deny", "{}", case.name);
        assert!(!d.errors.is_empty(), "{}: the error is named", case.name);
    }
}
