//! The example corpus and its expectations, shared by every surface's tests.
//!
//! A case is `examples/requests/NAME.json` (the request) with `NAME.expect.json` beside it:
//! the expected overall decision, the members x safes matrix, the exact set of reasons
//! (`member safe requirement policy dataset`), the obligation codes and where it runs; or, for a
//! request that must be refused, `"exit": "invalid"` and a fragment of the error.

use fivesafes_core::Decision;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// What a case expects.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Expectation {
    /// What the case shows, in words.
    pub about: String,
    /// Decide with `--all-members`.
    #[serde(default)]
    pub all_members: bool,
    /// `allow`, `deny`, `review` or `invalid`.
    pub exit: String,
    /// For `invalid`: a fragment of the error message.
    #[serde(default)]
    pub error: Option<String>,
    /// member -> safe -> outcome.
    #[serde(default)]
    pub members: BTreeMap<String, BTreeMap<String, String>>,
    /// `member safe requirement policy dataset`, exact set.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Obligation codes, exact set.
    #[serde(default)]
    pub obligations: Vec<String>,
    /// Members where it runs.
    #[serde(default)]
    pub runs_at: Vec<String>,
}

/// One case of the corpus.
#[derive(Debug)]
pub struct Case {
    /// File stem.
    pub name: String,
    /// Path of the request.
    pub request: PathBuf,
    /// The request text.
    pub text: String,
    /// The expectation.
    pub expect: Expectation,
}

/// Every case in `examples/requests`, sorted by name.
pub fn cases() -> Vec<Case> {
    let dir = root().join("examples/requests");
    let mut names: Vec<PathBuf> =
        std::fs::read_dir(&dir).map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    names.retain(|p| p.extension().is_some_and(|e| e == "json") && !p.to_string_lossy().ends_with(".expect.json"));
    names.sort();
    names
        .into_iter()
        .map(|request| {
            let name = request.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let expect_path = dir.join(format!("{name}.expect.json"));
            let text = std::fs::read_to_string(&request).unwrap_or_default();
            let expect_text = std::fs::read_to_string(&expect_path).unwrap_or_else(|e| {
                format!("{{\"about\": \"missing {}: {e}\", \"exit\": \"missing\"}}", expect_path.display())
            });
            let expect: Expectation = serde_json::from_str(&expect_text).unwrap_or_else(|e| Expectation {
                about: format!("unreadable expectation {}: {e}", expect_path.display()),
                all_members: false,
                exit: "unreadable".to_owned(),
                error: None,
                members: BTreeMap::new(),
                reasons: Vec::new(),
                obligations: Vec::new(),
                runs_at: Vec::new(),
            });
            Case { name, request, text, expect }
        })
        .collect()
}

/// The compact view of a decision that expectations state.
#[derive(Debug, PartialEq)]
pub struct Observed {
    /// Overall outcome name.
    pub exit: String,
    /// member -> safe -> outcome.
    pub members: BTreeMap<String, BTreeMap<String, String>>,
    /// Sorted reasons.
    pub reasons: Vec<String>,
    /// Sorted obligation codes.
    pub obligations: Vec<String>,
    /// Members where it runs.
    pub runs_at: Vec<String>,
}

/// Reduce a decision to what expectations state.
pub fn observe(d: &Decision) -> Observed {
    let members = d
        .members
        .iter()
        .map(|m| {
            let safes = m.safes.iter().map(|(s, sd)| (s.name().to_owned(), sd.outcome.name().to_owned())).collect();
            (m.member.clone(), safes)
        })
        .collect();
    let mut reasons: Vec<String> = d
        .members
        .iter()
        .flat_map(|m| {
            m.safes.values().flat_map(move |sd| {
                sd.reasons.iter().map(move |r| {
                    format!(
                        "{} {} {} {} {}",
                        m.member,
                        r.safe.name(),
                        r.requirement,
                        r.policy,
                        r.dataset.as_deref().unwrap_or("-")
                    )
                })
            })
        })
        .collect();
    reasons.sort();
    reasons.dedup();
    let mut obligations: Vec<String> = d.obligations.iter().map(|o| o.code.clone()).collect();
    obligations.sort();
    obligations.dedup();
    Observed { exit: d.decision.name().to_owned(), members, reasons, obligations, runs_at: d.runs_at.clone() }
}

/// The expectation in the same compact form.
pub fn expected(e: &Expectation) -> Observed {
    let mut reasons = e.reasons.clone();
    reasons.sort();
    let mut obligations = e.obligations.clone();
    obligations.sort();
    Observed { exit: e.exit.clone(), members: e.members.clone(), reasons, obligations, runs_at: e.runs_at.clone() }
}
