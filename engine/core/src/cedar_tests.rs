//! Test files in Cedar's own `run-tests` format (a JSON array of cases: `request` with
//! `principal`, `action`, `resource` as entity uids and `context`; `entities` inline or a file
//! name; the expected `decision`, `reason` (policy ids that must be among the determining ones)
//! and `num_errors`), run unchanged, so existing Cedar test corpora work. Cases are checked as
//! `cedar run-tests` checks them; permits and forbids are evaluated apart so that coverage knows
//! exactly which policies held, which Cedar's answer alone does not say.

use crate::decision::Trace;
use crate::suite::{CaseResult, SuiteError, SuiteResult};
use cedar_policy::{
    Authorizer, Context, Effect, Entities, PolicyId, PolicySet, Request, Schema, ValidationMode, Validator,
};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::str::FromStr;

#[derive(Deserialize)]
struct CedarCase {
    request: CedarRequest,
    entities: serde_json::Value,
    decision: Expected,
    reason: Vec<String>,
    num_errors: usize,
}

#[derive(Deserialize)]
struct CedarRequest {
    principal: String,
    action: String,
    resource: String,
    context: serde_json::Value,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
enum Expected {
    Allow,
    Deny,
}

/// Where Cedar test cases read entities from when they name a file.
pub type EntitiesLoader<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// A policy set split by effect, evaluated apart.
struct Split {
    permits: PolicySet,
    forbids: PolicySet,
}

impl Split {
    fn of(set: &PolicySet) -> Result<Split, String> {
        let (mut permits, mut forbids) = (PolicySet::new(), PolicySet::new());
        for p in set.policies() {
            let into = if p.effect() == Effect::Permit { &mut permits } else { &mut forbids };
            into.add(p.clone()).map_err(|e| e.to_string())?;
        }
        Ok(Split { permits, forbids })
    }
}

/// Whether a JSON text holds Cedar test cases (an array of objects with a `request`), rather
/// than, say, the entities file a test names. Unreadable JSON counts as test cases, so that its
/// problem is reported when it runs.
pub fn holds_cases(text: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(text) {
        // An array of objects none of which has a `request` (an entities file) holds none.
        Ok(serde_json::Value::Array(items)) => {
            items.is_empty() || items.iter().any(|i| i.get("request").is_some() || !i.is_object())
        }
        _ => true,
    }
}

/// The policies of a Cedar file given to `run-tests` files (as `cedar run-tests --policies`):
/// each named by its `@id` annotation when it has one, otherwise as Cedar numbers them.
pub fn policies_from_text(file: &str, text: &str) -> Result<PolicySet, String> {
    let parsed =
        PolicySet::from_str(text).map_err(|e| format!("`{file}`: {}", crate::policy::diagnostic_text(text, &e)))?;
    let mut set = PolicySet::new();
    for p in parsed.policies() {
        let p = match crate::policy::annotation(p, "id") {
            Some(id) => p.new_id(PolicyId::new(id)),
            None => p.clone(),
        };
        set.add(p).map_err(|e| format!("`{file}`: {e}"))?;
    }
    Ok(set)
}

/// The schema of `run-tests` files (as `cedar run-tests --schema`; Cedar syntax, or JSON when
/// `json`), which the policies must validate against without errors or warnings.
pub fn schema_for(file: &str, text: &str, json: bool, policies: &PolicySet) -> Result<Schema, String> {
    let schema = if json {
        Schema::from_json_str(text).map_err(|e| format!("`{file}`: {e}"))?
    } else {
        Schema::from_cedarschema_str(text)
            .map(|(schema, _)| schema)
            .map_err(|e| format!("`{file}`: {}", crate::policy::diagnostic_text(text, &e)))?
    };
    let result = Validator::new(schema.clone()).validate(policies, ValidationMode::Strict);
    // As `cedar run-tests`: warnings (an impossible policy, confusable text) fail too.
    if !result.validation_passed_without_warnings() {
        let problems: Vec<String> = result
            .validation_errors()
            .map(ToString::to_string)
            .chain(result.validation_warnings().map(|w| format!("warning: {w}")))
            .collect();
        return Err(format!("the policies do not validate against `{file}`: {}", problems.join("; ")));
    }
    Ok(schema)
}

/// Run a Cedar `run-tests` file against a policy set.
pub fn run(
    file: &str,
    text: &str,
    policies: &PolicySet,
    schema: Option<&Schema>,
    load_entities: EntitiesLoader<'_>,
    trace: &mut Trace,
) -> Result<SuiteResult, SuiteError> {
    let err = |message: String, line: Option<usize>, column: Option<usize>| SuiteError {
        file: file.to_owned(),
        message,
        line,
        column,
    };
    let values: Vec<serde_json::Value> =
        serde_json::from_str(text).map_err(|e| err(e.to_string(), Some(e.line()), Some(e.column())))?;
    let split = Split::of(policies).map_err(|m| err(m, None, None))?;
    let mut cases = Vec::new();
    for (i, value) in values.into_iter().enumerate() {
        let name = value.get("name").and_then(|n| n.as_str()).map(str::to_owned).unwrap_or_else(|| format!("test {i}"));
        let failures = match check(value, &split, schema, load_entities, trace) {
            Ok(f) => f,
            Err(e) => vec![format!("the test case cannot be read: {e}")],
        };
        cases.push(CaseResult {
            name,
            line: None,
            passed: failures.is_empty(),
            failures,
            actual: None,
            request: None,
            all_members: false,
        });
    }
    Ok(SuiteResult { file: file.to_owned(), name: file.to_owned(), format: "cedar".to_owned(), cases })
}

fn check(
    value: serde_json::Value,
    split: &Split,
    schema: Option<&Schema>,
    load_entities: EntitiesLoader<'_>,
    trace: &mut Trace,
) -> Result<Vec<String>, String> {
    let case: CedarCase = serde_json::from_value(value).map_err(|e| e.to_string())?;
    let parse = |what: &str, s: &str| s.parse().map_err(|e| format!("cannot parse {what} `{s}`: {e}"));
    let principal = parse("principal", &case.request.principal)?;
    let action = parse("action", &case.request.action)?;
    let resource = parse("resource", &case.request.resource)?;
    let context = Context::from_json_value(case.request.context.clone(), schema.map(|s| (s, &action)))
        .map_err(|e| format!("cannot read the context: {e}"))?;
    let request = Request::new(principal, action, resource, context, schema)
        .map_err(|e| format!("cannot build the request: {e}"))?;
    let entities_json = match &case.entities {
        serde_json::Value::String(name) => {
            let text = load_entities(name)?;
            serde_json::from_str(&text).map_err(|e| format!("entities file `{name}`: {e}"))?
        }
        v => v.clone(),
    };
    let entities =
        Entities::from_json_value(entities_json, schema).map_err(|e| format!("cannot read the entities: {e}"))?;

    let authorizer = Authorizer::new();
    let mut held = BTreeSet::new();
    let mut errored = BTreeSet::new();
    let mut error_messages = Vec::new();
    let mut permits_held = BTreeSet::new();
    let mut forbids_held = BTreeSet::new();
    for (set, into) in [(&split.permits, &mut permits_held), (&split.forbids, &mut forbids_held)] {
        let response = authorizer.is_authorized(&request, set, &entities);
        into.extend(response.diagnostics().reason().map(|p| p.to_string()));
        for e in response.diagnostics().errors() {
            let cedar_policy::AuthorizationError::PolicyEvaluationError(p) = e;
            errored.insert(p.policy_id().to_string());
            error_messages.push(e.to_string());
        }
        held.extend(into.iter().cloned());
        for p in set.policies() {
            let id = p.id().to_string();
            if into.contains(&id) {
                trace.held.insert(id);
            } else if errored.contains(&id) {
                trace.errored.insert(id);
            } else if request.action().is_some_and(|a| crate::decision::applies_to_action(p, a)) {
                trace.not_held.insert(id);
            }
        }
    }
    // Cedar's semantics: allow when some permit holds and no forbid does; the determining
    // policies are the permits that held on allow, the forbids that held on deny.
    let allow = !permits_held.is_empty() && forbids_held.is_empty();
    let reason = if allow { &permits_held } else { &forbids_held };
    let got = if allow { Expected::Allow } else { Expected::Deny };
    let mut failures = Vec::new();
    if got != case.decision {
        let name = |d: Expected| if d == Expected::Allow { "allow" } else { "deny" };
        failures.push(format!("`decision`: expected {}, got {}", name(case.decision), name(got)));
        return Ok(failures);
    }
    let missing: Vec<String> = case.reason.iter().filter(|r| !reason.contains(*r)).map(|r| format!("`{r}`")).collect();
    if !missing.is_empty() {
        failures.push(format!(
            "`reason`: missing {} (determining policies: {})",
            missing.join(", "),
            reason.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if error_messages.len() != case.num_errors {
        failures.push(format!(
            "`num_errors`: expected {}, got {}{}",
            case.num_errors,
            error_messages.len(),
            if error_messages.is_empty() { String::new() } else { format!(": {}", error_messages.join("; ")) }
        ));
    }
    Ok(failures)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]
    use super::*;
    use std::str::FromStr;

    const POLICIES: &str = r#"
        @id("owner") permit (principal, action == Action::"view", resource) when { resource.owner == principal };
        @id("locked") forbid (principal, action, resource) when { resource.locked };
        @id("broken") forbid (principal, action, resource) when { resource.missing == 1 };
    "#;

    fn set() -> PolicySet {
        let parsed = PolicySet::from_str(POLICIES).unwrap();
        let mut out = PolicySet::new();
        for p in parsed.policies() {
            let id = p.annotation("id").unwrap().to_owned();
            out.add(p.new_id(cedar_policy::PolicyId::new(id))).unwrap();
        }
        out
    }

    fn no_files(name: &str) -> Result<String, String> {
        Err(format!("no file `{name}`"))
    }

    const CASES: &str = r#"[
      {"name": "owner views", "request": {"principal": "User::\"a\"", "action": "Action::\"view\"", "resource": "Photo::\"p\"", "context": {}},
       "entities": [{"uid": {"type": "Photo", "id": "p"}, "attrs": {"owner": {"__entity": {"type": "User", "id": "a"}}, "locked": false}, "parents": []}],
       "decision": "allow", "reason": ["owner"], "num_errors": 1},
      {"name": "locked", "request": {"principal": "User::\"a\"", "action": "Action::\"view\"", "resource": "Photo::\"p\"", "context": {}},
       "entities": [{"uid": {"type": "Photo", "id": "p"}, "attrs": {"owner": {"__entity": {"type": "User", "id": "a"}}, "locked": true}, "parents": []}],
       "decision": "deny", "reason": ["locked"], "num_errors": 1},
      {"name": "wrong", "request": {"principal": "User::\"b\"", "action": "Action::\"view\"", "resource": "Photo::\"p\"", "context": {}},
       "entities": [{"uid": {"type": "Photo", "id": "p"}, "attrs": {"owner": {"__entity": {"type": "User", "id": "a"}}, "locked": false}, "parents": []}],
       "decision": "allow", "reason": [], "num_errors": 0},
      {"request": {"principal": "User::\"b\"", "action": "Action::\"view\"", "resource": "Photo::\"p\"", "context": {}},
       "entities": "elsewhere.json", "decision": "deny", "reason": [], "num_errors": 0}
    ]"#;

    #[test]
    fn cases_are_judged_as_cedar_run_tests_judges_them() {
        let mut trace = Trace::default();
        let r = run("t.json", CASES, &set(), None, &no_files, &mut trace).unwrap();
        assert_eq!(r.format, "cedar");
        let passed: Vec<bool> = r.cases.iter().map(|c| c.passed).collect();
        assert_eq!(passed, vec![true, true, false, false], "{:#?}", r.cases);
        assert_eq!(r.cases[2].failures, vec!["`decision`: expected allow, got deny".to_owned()]);
        assert!(r.cases[3].failures[0].contains("elsewhere.json"), "{:?}", r.cases[3].failures);
        assert_eq!(r.cases[3].name, "test 3");
        assert!(trace.held.contains("owner") && trace.held.contains("locked"));
        assert!(trace.not_held.contains("locked") && trace.errored.contains("broken"));
    }
}
