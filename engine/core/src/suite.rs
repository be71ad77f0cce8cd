//! Test suites for policy authors (`fivesafes test`), in YAML: shared fixtures (researchers,
//! projects, dataset selections, whole requests) referenced by name, and cases that give a
//! request and expect per-member, per-Safe outcomes, reasons (requirement ids), obligations and
//! where the analysis may run. A case may expect only part of the matrix. See `docs/testing.md`.
//!
//! A case's request is built as a JSON merge patch (RFC 7386): its `base` request fixture,
//! patched with its own `request`. In either, a string where a researcher or project belongs
//! names a fixture, and so does a string in `datasets`.

use crate::blueprint::Safe;
use crate::bundle::{Bundle, NamedText};
use crate::coverage::Coverage;
use crate::decision::{DecideOptions, Decision, Trace, decide_traced};
use crate::policy::Outcome;
use crate::request::DecisionRequest;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A test suite file.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// The suite's name (default: the file name).
    #[serde(default)]
    pub name: Option<String>,
    /// What it tests.
    #[serde(default)]
    pub description: Option<String>,
    /// Shared fixtures.
    #[serde(default)]
    pub fixtures: Fixtures,
    /// The cases.
    pub cases: Vec<Case>,
}

/// Named parts of requests, shared by the cases of a suite.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    /// Researchers (request `researcher` objects) by name.
    #[serde(default)]
    pub researchers: BTreeMap<String, Value>,
    /// Projects (request `project` objects) by name.
    #[serde(default)]
    pub projects: BTreeMap<String, Value>,
    /// Dataset selections (request `datasets` items: id and variables) by name.
    #[serde(default)]
    pub datasets: BTreeMap<String, Value>,
    /// Whole requests by name, for a case's `base`.
    #[serde(default)]
    pub requests: BTreeMap<String, Value>,
}

/// One case.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Case {
    /// The case's name.
    pub name: String,
    /// A request fixture the case starts from.
    #[serde(default)]
    pub base: Option<String>,
    /// The request, or a merge patch over `base`.
    #[serde(default)]
    pub request: Value,
    /// Evaluate every member as a possible site.
    #[serde(default)]
    pub all_members: bool,
    /// What the decision must say.
    pub expect: Expect,
}

/// What a case expects; anything left out is not checked.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Expect {
    /// The overall outcome.
    #[serde(default)]
    pub decision: Option<Outcome>,
    /// Per member: its overall outcome, or per Safe.
    #[serde(default)]
    pub members: BTreeMap<String, MemberExpect>,
    /// Exactly these reasons over the whole decision, each named by its requirement id or, to
    /// tell a member's rule from the baseline's, its policy id.
    #[serde(default)]
    pub reasons: Option<Vec<String>>,
    /// Exactly these obligation codes (e.g. `PUB`).
    #[serde(default)]
    pub obligations: Option<Vec<String>>,
    /// Exactly these members may run the analysis.
    #[serde(default)]
    pub runs_at: Option<Vec<String>>,
    /// The request must be refused as invalid, with a message containing this text.
    #[serde(default)]
    pub invalid: Option<String>,
    /// The decision must carry errors (a policy that could not be evaluated, an entity that
    /// could not be built), each of these texts appearing in one of them. Without it, a
    /// decision with errors fails the case: an error denies, and a deny the case expects for
    /// another reason must not pass by accident.
    #[serde(default)]
    pub errors: Option<Vec<String>>,
}

/// What a case expects of one member.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum MemberExpect {
    /// The member's overall outcome.
    Outcome(Outcome),
    /// Per Safe, and optionally the overall outcome.
    Detail(MemberDetail),
}

/// Per-Safe expectations at one member.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberDetail {
    /// The member's overall outcome.
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// Safe People.
    #[serde(default)]
    pub people: Option<SafeExpect>,
    /// Safe Projects.
    #[serde(default)]
    pub projects: Option<SafeExpect>,
    /// Safe Settings.
    #[serde(default)]
    pub settings: Option<SafeExpect>,
    /// Safe Data.
    #[serde(default)]
    pub data: Option<SafeExpect>,
    /// Safe Outputs.
    #[serde(default)]
    pub outputs: Option<SafeExpect>,
}

impl MemberDetail {
    fn safes(&self) -> [(Safe, Option<&SafeExpect>); 5] {
        [
            (Safe::People, self.people.as_ref()),
            (Safe::Projects, self.projects.as_ref()),
            (Safe::Settings, self.settings.as_ref()),
            (Safe::Data, self.data.as_ref()),
            (Safe::Outputs, self.outputs.as_ref()),
        ]
    }
}

/// What a case expects of one Safe at one member.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SafeExpect {
    /// Its outcome.
    Outcome(Outcome),
    /// Its outcome and exactly these reasons.
    Detail(SafeDetail),
}

/// One Safe's outcome and reasons.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SafeDetail {
    /// The outcome.
    pub outcome: Outcome,
    /// Exactly these reasons, by requirement id (or policy id).
    #[serde(default)]
    pub reasons: Option<Vec<String>>,
}

/// The result of one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// 1-based line of the case in its file, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Whether every expectation held.
    pub passed: bool,
    /// What did not hold, one line each (`path`: expected ..., got ...).
    pub failures: Vec<String>,
    /// The decision, for a failing case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<Decision>,
    /// The request the case built (fixtures resolved, patch applied); absent for a Cedar case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Value>,
    /// Whether the case decided for every member.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_members: bool,
}

/// The result of one suite file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SuiteResult {
    /// The file.
    pub file: String,
    /// The suite's name.
    pub name: String,
    /// `fivesafes` (YAML suite) or `cedar` (Cedar `run-tests` JSON).
    pub format: String,
    /// Per case, in file order.
    pub cases: Vec<CaseResult>,
}

/// A suite file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("`{file}`{}: {message}", location(*.line, *.column))]
#[diagnostic(code(fivesafes::test::suite))]
pub struct SuiteError {
    /// The file.
    pub file: String,
    /// What is wrong.
    pub message: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
}

fn location(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" line {l}, column {c}"),
        (Some(l), None) => format!(" line {l}"),
        _ => String::new(),
    }
}

/// Everything a test run found: what `fivesafes test --format json` writes, on every surface
/// (`schemas/test-report.schema.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "TestReport")]
pub struct Report {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Per suite file, in the order run.
    pub suites: Vec<SuiteResult>,
    /// Coverage of the bundle's policies, requirements and members, when measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
    /// Coverage of other policies given to Cedar `run-tests` files, when measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policies_coverage: Option<Coverage>,
    /// The coverage threshold (percent), when one was set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Whether every coverage measured meets the threshold (true when none was set).
    pub coverage_met: bool,
}

/// The JSON Schema of [`Report`] (published as `schemas/test-report.schema.json`).
pub fn report_schema() -> Value {
    serde_json::to_value(schemars::schema_for!(Report)).unwrap_or_default()
}

impl Report {
    /// The report of suites that ran, with the coverage measured and the threshold set.
    pub fn new(
        suites: Vec<SuiteResult>,
        coverage: Option<Coverage>,
        policies_coverage: Option<Coverage>,
        threshold: Option<f64>,
    ) -> Report {
        let passed = suites.iter().flat_map(|s| &s.cases).filter(|c| c.passed).count();
        let failed = suites.iter().flat_map(|s| &s.cases).filter(|c| !c.passed).count();
        let coverage_met = match threshold {
            Some(t) => coverage.iter().chain(&policies_coverage).all(|c| c.meets(t)),
            None => true,
        };
        Report { passed, failed, suites, coverage, policies_coverage, threshold, coverage_met }
    }

    /// Whether every case passed and coverage meets the threshold.
    pub fn succeeded(&self) -> bool {
        self.failed == 0 && self.coverage_met
    }
}

/// Whether a file name is a Cedar `run-tests` file's or an entities file's (`.json`) rather
/// than a YAML suite's.
pub fn is_json_name(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("json"))
}

/// Run test files the caller has read against a bundle, as `fivesafes test` does for the files
/// it finds: YAML suites, and `.json` files that hold Cedar test cases run against the bundle's
/// policies; other `.json` files are the entities files those name. Coverage of the bundle is
/// measured when `coverage` is set or a `threshold` (percent) is given.
pub fn run_files(
    bundle: &Bundle,
    files: &[NamedText],
    coverage: bool,
    threshold: Option<f64>,
) -> Result<Report, SuiteError> {
    let mut trace = Trace::default();
    let mut suites = Vec::new();
    for f in files {
        if !is_json_name(&f.name) {
            suites.push(run(bundle, &f.name, &f.text, &mut trace)?);
        } else if crate::cedar_tests::holds_cases(&f.text) {
            // An entities file a test names is found beside the test file, as the CLI finds it.
            let dir = f.name.rsplit_once(['/', '\\']).map(|(d, _)| d);
            let entities = |name: &str| {
                let path = dir.map_or_else(|| name.to_owned(), |d| format!("{d}/{name}"));
                files
                    .iter()
                    .find(|g| g.name == path)
                    .map(|g| g.text.clone())
                    .ok_or_else(|| format!("entities file `{name}` is not among the files given (as `{path}`)"))
            };
            let (set, schema) = (&bundle.policies.all, Some(&bundle.policies.schema));
            suites.push(crate::cedar_tests::run(&f.name, &f.text, set, schema, &entities, &mut trace)?);
        }
    }
    let measured = (coverage || threshold.is_some()).then(|| Coverage::of_bundle(bundle, &trace));
    Ok(Report::new(suites, measured, None, threshold))
}

/// Parse a YAML suite.
pub fn parse(file: &str, text: &str) -> Result<Suite, SuiteError> {
    serde_yaml_ng::from_str::<Suite>(text).map_err(|e| SuiteError {
        file: file.to_owned(),
        message: e.to_string(),
        line: e.location().map(|l| l.line()),
        column: e.location().map(|l| l.column()),
    })
}

/// Run a YAML suite against a bundle, adding what was evaluated to `trace`.
pub fn run(bundle: &Bundle, file: &str, text: &str, trace: &mut Trace) -> Result<SuiteResult, SuiteError> {
    let suite = parse(file, text)?;
    let mut cases = Vec::new();
    for (i, case) in suite.cases.iter().enumerate() {
        let nth = suite.cases.iter().take(i).filter(|c| c.name == case.name).count();
        let line = line_of(text, &case.name, nth);
        let err = |message: String| SuiteError { file: file.to_owned(), message, line, column: None };
        let request = build_request(&suite.fixtures, case).map_err(|m| err(format!("case `{}`: {m}", case.name)))?;
        cases.push(run_case(bundle, case, &request, line, trace));
    }
    let name = suite.name.clone().unwrap_or_else(|| file.rsplit(['/', '\\']).next().unwrap_or(file).to_owned());
    Ok(SuiteResult { file: file.to_owned(), name, format: "fivesafes".to_owned(), cases })
}

/// The line of the `nth` case item whose `name:` is `name` (a case's, not the suite's: an item
/// `- name:` or an indented `name:`).
fn line_of(text: &str, name: &str, nth: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            let item = t.starts_with("- ") || (t.len() < l.len() && t.starts_with("name:"));
            let t = t.trim_start_matches("- ").trim_start();
            item && t.strip_prefix("name:").map(|v| v.trim().trim_matches(['"', '\''])) == Some(name)
        })
        .nth(nth)
        .map(|(i, _)| i + 1)
}

/// A case's request: its base fixture, patched with its own request, fixtures resolved.
pub fn build_request(fixtures: &Fixtures, case: &Case) -> Result<Value, String> {
    let mut request = match &case.base {
        Some(name) => {
            let base = fixtures.requests.get(name).ok_or_else(|| format!("no request fixture named `{name}`"))?;
            resolve(fixtures, base)?
        }
        None => Value::Object(Map::new()),
    };
    match &case.request {
        Value::Null => {}
        patch @ Value::Object(p) => {
            let resolved = resolve(fixtures, patch)?;
            // A fixture named in the patch replaces the base's value; an object merges into it.
            if let Value::Object(target) = &mut request {
                for key in ["researcher", "project"] {
                    if matches!(p.get(key), Some(Value::String(_))) {
                        target.remove(key);
                    }
                }
            }
            merge_patch(&mut request, &resolved);
        }
        _ => return Err("`request` must be a mapping".to_owned()),
    }
    Ok(request)
}

/// Replace fixture names by their values.
fn resolve(fixtures: &Fixtures, request: &Value) -> Result<Value, String> {
    let mut out = request.clone();
    let Value::Object(map) = &mut out else { return Err("a request must be a mapping".to_owned()) };
    for (key, table, what) in
        [("researcher", &fixtures.researchers, "researcher"), ("project", &fixtures.projects, "project")]
    {
        if let Some(Value::String(name)) = map.get(key) {
            let v = table.get(name).ok_or_else(|| format!("no {what} fixture named `{name}`"))?;
            map.insert(key.to_owned(), v.clone());
        }
    }
    if let Some(Value::Array(items)) = map.get_mut("datasets") {
        for item in items.iter_mut() {
            if let Value::String(name) = item {
                *item = fixtures.datasets.get(name.as_str()).cloned().ok_or_else(|| {
                    format!("no dataset fixture named `{name}` (a selection is `{{id: ..., variables: [...]}}`)")
                })?;
            }
        }
    }
    Ok(out)
}

/// Apply an RFC 7386 JSON merge patch (as a case's request over its base, or an explanation's
/// remedy over a request).
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, Value::Object(p)) => {
            // A patch object over a non-object: the target becomes an object, patched (so
            // nulls inside the patch are removed at every depth).
            *t = Value::Object(Map::new());
            merge_patch(t, &Value::Object(p.clone()));
        }
        (t, p) => *t = p.clone(),
    }
}

fn run_case(bundle: &Bundle, case: &Case, request: &Value, line: Option<usize>, trace: &mut Trace) -> CaseResult {
    let mut failures = Vec::new();
    let parsed = DecisionRequest::from_value(request.clone());
    let decision = match (parsed, &case.expect.invalid) {
        (Err(e), Some(want)) => {
            if !e.to_string().contains(want.as_str()) {
                failures.push(format!("`invalid`: expected a refusal mentioning `{want}`, got: {e}"));
            }
            None
        }
        (Err(e), None) => {
            failures.push(format!("the request is invalid: {e}"));
            None
        }
        (Ok(req), want) => {
            let options = DecideOptions { all_members: case.all_members };
            match decide_traced(bundle, &req, options) {
                Ok((d, t)) => {
                    trace.merge(&t);
                    if let Some(want) = want {
                        failures.push(format!("`invalid`: expected a refusal mentioning `{want}`, got a decision"));
                    }
                    Some(d)
                }
                Err(e) if want.as_ref().is_some_and(|w| e.to_string().contains(w.as_str())) => None,
                Err(e) => {
                    failures.push(format!("the request is invalid: {e}"));
                    None
                }
            }
        }
    };
    if let Some(d) = &decision {
        compare(&case.expect, d, &mut failures);
    }
    let passed = failures.is_empty();
    CaseResult {
        name: case.name.clone(),
        line,
        passed,
        failures,
        actual: if passed { None } else { decision },
        request: Some(request.clone()),
        all_members: case.all_members,
    }
}

fn compare(expect: &Expect, d: &Decision, failures: &mut Vec<String>) {
    match &expect.errors {
        None if !d.errors.is_empty() => {
            failures.push(format!("the decision has errors (expect them with `errors:`): {}", d.errors.join("; ")));
        }
        Some(want) => {
            if d.errors.is_empty() {
                failures.push("`errors`: expected errors, the decision has none".to_owned());
            }
            for w in want.iter().filter(|w| !d.errors.iter().any(|e| e.contains(w.as_str()))) {
                failures.push(format!("`errors`: none mentions `{w}`; got: {}", d.errors.join("; ")));
            }
        }
        None => {}
    }
    let mut check = |path: String, want: Outcome, got: Outcome| {
        if want != got {
            failures.push(format!("`{path}`: expected {}, got {}", want.name(), got.name()));
        }
    };
    if let Some(want) = expect.decision {
        check("decision".to_owned(), want, d.decision);
    }
    let mut set_failures = Vec::new();
    for (member, want) in &expect.members {
        let Some(got) = d.members.iter().find(|m| &m.member == member) else {
            set_failures.push(format!("`members.{member}`: expected in the decision, but it was not evaluated"));
            continue;
        };
        match want {
            MemberExpect::Outcome(o) => check(format!("members.{member}"), *o, got.outcome),
            MemberExpect::Detail(detail) => {
                if let Some(o) = detail.outcome {
                    check(format!("members.{member}.outcome"), o, got.outcome);
                }
                for (safe, want) in detail.safes() {
                    let Some(want) = want else { continue };
                    let Some(s) = got.safes.get(&safe) else { continue };
                    let path = format!("members.{member}.{}", safe.name());
                    match want {
                        SafeExpect::Outcome(o) => check(path, *o, s.outcome),
                        SafeExpect::Detail(SafeDetail { outcome, reasons }) => {
                            check(path.clone(), *outcome, s.outcome);
                            if let Some(r) = reasons {
                                set_failures.extend(same_set(
                                    &format!("{path}.reasons"),
                                    r,
                                    reason_keys(r, &s.reasons),
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    failures.extend(set_failures);
    if let Some(r) = &expect.reasons {
        let got: Vec<crate::decision::Reason> =
            d.members.iter().flat_map(|m| m.safes.values()).flat_map(|s| s.reasons.iter().cloned()).collect();
        failures.extend(same_set("reasons", r, reason_keys(r, &got)));
    }
    if let Some(o) = &expect.obligations {
        failures.extend(same_set("obligations", o, d.obligations.iter().map(|o| o.code.clone()).collect()));
    }
    if let Some(r) = &expect.runs_at {
        failures.extend(same_set("runsAt", r, d.runs_at.iter().cloned().collect()));
    }
}

/// The actual reasons as the expectation names them: by policy id where the expectation names
/// that policy, otherwise by requirement id.
fn reason_keys(want: &[String], got: &[crate::decision::Reason]) -> BTreeSet<String> {
    got.iter().map(|r| if want.contains(&r.policy) { r.policy.clone() } else { r.requirement.clone() }).collect()
}

/// Compare an expected set with the actual one; a failure line when they differ.
fn same_set(path: &str, want: &[String], got: BTreeSet<String>) -> Option<String> {
    let want: BTreeSet<String> = want.iter().cloned().collect();
    if want == got {
        return None;
    }
    let missing: Vec<&String> = want.difference(&got).collect();
    let extra: Vec<&String> = got.difference(&want).collect();
    let list = |v: &[&String]| v.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("missing {}", list(&missing)));
    }
    if !extra.is_empty() {
        parts.push(format!("unexpected {}", list(&extra)));
    }
    Some(format!(
        "`{path}`: expected [{}], got [{}] ({})",
        want.iter().cloned().collect::<Vec<_>>().join(", "),
        got.into_iter().collect::<Vec<_>>().join(", "),
        parts.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]
    use super::*;
    use crate::embedded;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut t, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e"}}));
        let mut t = json!({"a": [1, 2]});
        merge_patch(&mut t, &json!({"a": [3], "b": {"x": null, "y": 1}}));
        assert_eq!(t, json!({"a": [3], "b": {"y": 1}}));
    }

    #[test]
    fn fixtures_resolve_and_a_patch_merges_into_them() {
        let suite = parse(
            "t.yaml",
            "fixtures:\n  researchers:\n    r: {id: x, location: DE, training: [1]}\n  requests:\n    base: {researcher: r, datasets: [d]}\n  datasets:\n    d: {id: d1, variables: [v]}\ncases:\n  - name: c\n    base: base\n    request: {researcher: {training: []}}\n    expect: {}\n",
        )
        .unwrap();
        let req = build_request(&suite.fixtures, &suite.cases[0]).unwrap();
        assert_eq!(
            req,
            json!({"researcher": {"id": "x", "location": "DE", "training": []}, "datasets": [{"id": "d1", "variables": ["v"]}]})
        );
    }

    #[test]
    fn a_fixture_named_in_the_patch_replaces_the_base_value() {
        let suite = parse(
            "t.yaml",
            "fixtures:\n  researchers:\n    a: {id: a, training: [1]}\n    b: {id: b}\n  requests:\n    base: {researcher: a}\ncases:\n  - name: c\n    base: base\n    request: {researcher: b, project: {x: {y: null}}}\n    expect: {}\n",
        )
        .unwrap();
        let req = build_request(&suite.fixtures, &suite.cases[0]).unwrap();
        assert_eq!(req, json!({"researcher": {"id": "b"}, "project": {"x": {}}}));
    }

    #[test]
    fn a_typo_in_a_safe_expectation_is_refused() {
        let err = parse(
            "t.yaml",
            "cases:\n  - name: c\n    expect:\n      members:\n        x: {people: {outcome: deny, reason: [A]}}\n",
        )
        .unwrap_err();
        assert!(err.line.is_some(), "{err}");
    }

    #[test]
    fn a_decision_with_errors_fails_unless_expected() {
        let mut failures = Vec::new();
        let bundle = Bundle::load(&embedded::default_sources()).unwrap();
        let d = Decision::failed(&bundle, None, "policy `x` failed: overflow".to_owned());
        compare(&Expect { decision: Some(Outcome::Deny), ..Expect::default() }, &d, &mut failures);
        assert_eq!(failures.len(), 1, "{failures:?}");
        failures.clear();
        let want = Expect { errors: Some(vec!["overflow".to_owned()]), ..Expect::default() };
        compare(&want, &d, &mut failures);
        assert!(failures.is_empty(), "{failures:?}");
    }

    #[test]
    fn a_case_line_skips_the_suite_name_and_counts_duplicates() {
        let text = "name: c\ncases:\n  - name: c\n    expect: {}\n  - name: c\n    expect: {}\n";
        assert_eq!(line_of(text, "c", 0), Some(3));
        assert_eq!(line_of(text, "c", 1), Some(5));
    }

    #[test]
    fn an_unknown_fixture_is_named() {
        let suite =
            parse("t.yaml", "cases:\n  - name: c\n    request: {researcher: nobody}\n    expect: {}\n").unwrap();
        let err = build_request(&suite.fixtures, &suite.cases[0]).unwrap_err();
        assert!(err.contains("nobody"), "{err}");
    }

    #[test]
    fn files_run_as_the_cli_finds_them() {
        let bundle = Bundle::load(&crate::embedded::default_sources()).unwrap();
        let file = |name: &str, text: &str| NamedText { name: name.to_owned(), text: text.to_owned() };
        let people = include_str!("../../../tests/suites/people.yaml");
        let cedar = include_str!("../../../tests/suites/settings-hypothetical-sites.json");
        let files = [
            file("tests/suites/people.yaml", people),
            file("tests/suites/settings-hypothetical-sites.json", cedar),
            // An entities file (an array of entities, no test cases) is not run.
            file("tests/suites/entities.json", "[{\"uid\": {\"type\": \"fs::Member\", \"id\": \"x\"}}]"),
        ];
        let report = run_files(&bundle, &files, true, Some(1.0)).unwrap();
        assert_eq!(report.suites.len(), 2);
        assert_eq!(report.suites.iter().map(|s| s.format.as_str()).collect::<Vec<_>>(), ["fivesafes", "cedar"]);
        assert!(report.passed > 10 && report.failed == 0, "{} passed, {} failed", report.passed, report.failed);
        assert!(report.coverage.is_some() && report.coverage_met && report.succeeded());
        // A case that fails makes the run fail; a threshold no run reaches is not met.
        let failing = people.replacen("decision: allow", "decision: deny", 1);
        let report = run_files(&bundle, &[file("p.yaml", &failing)], false, None).unwrap();
        assert_eq!(report.failed, 1);
        assert!(report.coverage.is_none() && !report.succeeded());
        let report = run_files(&bundle, &files[..1], false, Some(100.0)).unwrap();
        assert!(!report.coverage_met);
    }

    #[test]
    fn a_yaml_error_has_a_line() {
        let err = parse("t.yaml", "cases:\n  - name: c\n    expect: {decision: perhaps}\n").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
    }

    #[test]
    fn a_wrong_expectation_fails_with_expected_and_actual() {
        let bundle = Bundle::load(&embedded::default_sources()).unwrap();
        let request = include_str!("../../../examples/requests/02-deny-nl-ethics-always.json");
        let text = format!(
            "cases:\n  - name: wrong\n    request: {request}\n    expect:\n      decision: allow\n      members:\n        nl-odi: {{projects: allow, people: allow}}\n      reasons: [ORG.PEO.1]\n  - name: right\n    request: {request}\n    expect:\n      decision: deny\n      members:\n        nl-odi: {{projects: {{outcome: deny, reasons: [ORG.PRJ.2]}}}}\n      reasons: [ORG.PRJ.2]\n      runsAt: []\n  - name: by policy\n    request: {request}\n    expect:\n      reasons: [nl-odi.ethics-always]\n  - name: by the wrong policy\n    request: {request}\n    expect:\n      reasons: [projects.ethics]\n"
        );
        let mut trace = Trace::default();
        let r = run(&bundle, "t.yaml", &text, &mut trace).unwrap();
        let wrong = &r.cases[0];
        assert!(!wrong.passed);
        assert_eq!(wrong.line, Some(2));
        assert!(wrong.failures.iter().any(|f| f == "`decision`: expected allow, got deny"), "{:?}", wrong.failures);
        assert!(
            wrong.failures.iter().any(|f| f == "`members.nl-odi.projects`: expected allow, got deny"),
            "{:?}",
            wrong.failures
        );
        assert!(
            wrong.failures.iter().any(|f| f.starts_with("`reasons`: expected [ORG.PEO.1], got [ORG.PRJ.2]")),
            "{:?}",
            wrong.failures
        );
        assert_eq!(wrong.failures.len(), 3, "{:?}", wrong.failures);
        assert!(wrong.actual.is_some());
        assert!(r.cases[1].passed, "{:?}", r.cases[1].failures);
        assert!(r.cases[2].passed, "{:?}", r.cases[2].failures);
        assert_eq!(
            r.cases[3].failures,
            vec!["`reasons`: expected [projects.ethics], got [ORG.PRJ.2] (missing `projects.ethics`; unexpected `ORG.PRJ.2`)".to_owned()]
        );
        assert!(trace.held.contains("nl-odi.ethics-always"));
        assert!(trace.not_held.contains("people.identity"));
    }

    #[test]
    fn an_expected_refusal_passes_only_when_refused() {
        let bundle = Bundle::load(&embedded::default_sources()).unwrap();
        let text = "cases:\n  - name: refused\n    request: {time: yesterday}\n    expect: {invalid: is a required property}\n  - name: not refused as expected\n    request: {time: yesterday}\n    expect: {invalid: /nothing-like-this}\n";
        let r = run(&bundle, "t.yaml", text, &mut Trace::default()).unwrap();
        assert!(r.cases[0].passed, "{:?}", r.cases[0].failures);
        assert!(!r.cases[1].passed);
    }
}
