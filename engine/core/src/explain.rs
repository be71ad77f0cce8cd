//! Explanations (`fivesafes explain`): for every deny or review of a decision, which condition
//! inside which policy decided it, with the values Cedar evaluated for each sub-expression, and
//! the smallest changes of evidence that flip it, each one checked by deciding the changed
//! request again.
//!
//! Sub-expressions are evaluated by Cedar itself (`cedar_policy::eval_expression`) on the same
//! request and entities the decision used, so the values shown are the values the policy saw.

use crate::blueprint::Safe;
use crate::bundle::Bundle;
use crate::day::Day;
use crate::decision::{BundleRef, DecideOptions, Reason, decide, with_cedar_inputs};
use crate::policy::Outcome;
use crate::request::DecisionRequest;
use cedar_policy::{Entities, EvalResult, Expression, Request};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cell::OnceCell;
use std::str::FromStr;

mod cedar_text;
mod remedy;

use cedar_text::expression_text;
use remedy::Remedies;

/// The explanation of a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Explanation {
    /// The overall outcome.
    pub decision: Outcome,
    /// The day the request was judged on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
    /// `sha256:` of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_hash: Option<String>,
    /// The bundle.
    pub bundle: BundleRef,
    /// Every deny and review, explained.
    pub explained: Vec<Explained>,
    /// Errors met while deciding.
    pub errors: Vec<String>,
}

/// One deny or review, explained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Explained {
    /// The member.
    pub member: String,
    /// The Safe.
    pub safe: Safe,
    /// The dataset concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// Deny or review.
    pub outcome: Outcome,
    /// The policy that decided.
    pub policy: String,
    /// The requirement it enforces.
    pub requirement: String,
    /// The member whose local rule it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_rule_of: Option<String>,
    /// The policy's message.
    pub message: String,
    /// The evidence the reason rests on.
    pub evidence: Vec<String>,
    /// The policy's conditions, each with the value of every sub-expression that matters.
    pub conditions: Vec<Clause>,
    /// The sub-expressions that decided: change any one of them and the policy no longer holds.
    pub deciding: Vec<Deciding>,
    /// Changes of evidence that flip it, smallest first, each checked by deciding again.
    pub remedies: Vec<Remedy>,
}

/// A `when` or `unless` clause of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Clause {
    /// `when` or `unless`.
    pub kind: String,
    /// The clause's expression, evaluated.
    pub condition: Node,
}

/// An evaluated sub-expression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Node {
    /// The sub-expression, in Cedar.
    pub expression: String,
    /// Its value (or the evaluation error).
    pub value: String,
    /// What the value means, when Cedar's value is a day number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Whether this sub-expression decided the outcome.
    pub deciding: bool,
    /// Its parts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Node>,
}

/// A sub-expression that decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Deciding {
    /// The sub-expression.
    pub expression: String,
    /// Its value.
    pub value: String,
    /// Its operands' values (`operand = value`).
    pub operands: Vec<String>,
}

/// A change of evidence that flips a deny or review, checked by deciding the changed request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Remedy {
    /// The change, in words, and the requirement it satisfies.
    pub change: String,
    /// The change as a JSON merge patch (RFC 7386) of the request; absent when the remedy is
    /// another member rather than other evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<Value>,
    /// What the Safe becomes at the member with the change.
    pub then: String,
}

/// Explain a request's decision.
pub fn explain(bundle: &Bundle, req: &DecisionRequest, options: DecideOptions) -> Result<Explanation, String> {
    let decision = decide(bundle, req, options).map_err(|e| e.to_string())?;
    let request_json = serde_json::to_value(req).map_err(|e| e.to_string())?;
    let day = Day::parse(&req.time)?;
    let mut explained = with_cedar_inputs(bundle, req, options, |request_for, entities| {
        let mut out = Vec::new();
        for m in &decision.members {
            for (safe, s) in &m.safes {
                for reason in s.reasons.iter().filter(|r| r.outcome != Outcome::Allow) {
                    let cedar = reason.dataset.as_deref().map(|d| request_for(&m.member, d));
                    out.push(explain_reason(bundle, &m.member, *safe, reason, cedar, entities));
                }
            }
        }
        out
    })?;
    let ctx = Remedies { bundle, request: &request_json, day, options, req, everywhere: OnceCell::new() };
    for e in &mut explained {
        e.remedies = ctx.find(e);
    }
    Ok(Explanation {
        decision: decision.decision,
        day: decision.day.clone(),
        request_hash: decision.request_hash.clone(),
        bundle: decision.bundle.clone(),
        explained,
        errors: decision.errors.clone(),
    })
}

/// The JSON Schema of an explanation.
pub fn explanation_schema() -> Value {
    serde_json::to_value(schemars::schema_for!(Explanation)).unwrap_or_default()
}

fn explain_reason(
    bundle: &Bundle,
    member: &str,
    safe: Safe,
    reason: &Reason,
    cedar: Option<Result<Request, String>>,
    entities: &Entities,
) -> Explained {
    let mut conditions = Vec::new();
    let mut deciding = Vec::new();
    if let (Some(json), Some(Ok(request))) = (bundle.policies.trees.get(&reason.policy), &cedar) {
        let eval = Eval { request, entities };
        for c in json.get("conditions").and_then(Value::as_array).into_iter().flatten() {
            let kind = c.get("kind").and_then(Value::as_str).unwrap_or("when").to_owned();
            let Some(body) = c.get("body") else { continue };
            // A forbid holds when every `when` is true and every `unless` false.
            let need = kind == "when";
            let node = eval.node(body, Some(need));
            collect_deciding(&node, &mut deciding);
            conditions.push(Clause { kind, condition: node });
        }
    }
    let mut evidence = reason.evidence.clone();
    if let Some(Err(e)) = &cedar {
        evidence.push(format!("could not rebuild the Cedar request to explain it: {e}"));
    }
    Explained {
        member: member.to_owned(),
        safe,
        dataset: reason.dataset.clone(),
        outcome: reason.outcome,
        policy: reason.policy.clone(),
        requirement: reason.requirement.clone(),
        local_rule_of: reason.local_rule_of.clone(),
        message: reason.message.clone(),
        evidence,
        conditions,
        deciding,
        remedies: Vec::new(),
    }
}

fn collect_deciding(node: &Node, out: &mut Vec<Deciding>) {
    if node.deciding {
        out.push(Deciding {
            expression: node.expression.clone(),
            value: node.value.clone(),
            operands: node
                .parts
                .iter()
                .map(|p| match &p.note {
                    Some(n) => format!("{} = {} ({n})", p.expression, p.value),
                    None => format!("{} = {}", p.expression, p.value),
                })
                .collect(),
        });
    }
    node.parts.iter().for_each(|p| collect_deciding(p, out));
}

/// Evaluates policy sub-expressions with Cedar on one request.
struct Eval<'a> {
    request: &'a Request,
    entities: &'a Entities,
}

/// Operators whose operands are worth showing.
const COMPARISONS: &[&str] =
    &["==", "!=", "<", "<=", ">", ">=", "in", "contains", "containsAll", "containsAny", "like", "has", "is"];

impl Eval<'_> {
    /// Evaluate an expression (Cedar's JSON form) and, where the outcome needs it, its parts.
    /// `need` is the boolean value the expression had to have for the policy to hold.
    fn node(&self, expr: &Value, need: Option<bool>) -> Node {
        let expression = expression_text(expr).unwrap_or_else(|| expr.to_string());
        let (value, boolean) = self.value(&expression);
        let op = expr.as_object().and_then(|m| m.keys().next()).map(String::as_str).unwrap_or_default();
        let arg = |k: &str| expr.get(op).and_then(|o| o.get(k));
        let mut parts = Vec::new();
        let mut structural = false;
        let mut together = false;
        match op {
            "&&" | "||" => {
                structural = true;
                let sides: Vec<&Value> = [arg("left"), arg("right")].into_iter().flatten().collect();
                let values: Vec<Option<bool>> =
                    sides.iter().map(|s| self.value(&expression_text(s).unwrap_or_default()).1).collect();
                // The value that makes the whole what it is: `a && b` false because of a false
                // side, `a || b` true because of a true side.
                let short = if op == "&&" { Some(false) } else { Some(true) };
                let deciding_sides = values.iter().filter(|v| **v == short).count();
                let left_decided = values.first().copied().flatten().is_some_and(|l| Some(l) == short);
                for (i, side) in sides.iter().enumerate() {
                    let value = values.get(i).copied().flatten();
                    let child_need = match need {
                        // Every side had to be as it is: each one alone flips the whole.
                        Some(n) if Some(n) != short => Some(n),
                        // One side decided: it alone flips the whole. Several: none alone does,
                        // so they decide together, and the whole is what decides.
                        Some(n) if deciding_sides == 1 && value == Some(n) => Some(n),
                        _ => None,
                    };
                    let mut child = self.node(side, child_need);
                    // Cedar stops at a left side that decides; it never evaluates the right.
                    if i == 1 && left_decided {
                        child.note = Some("not evaluated by Cedar: the left side decided".to_owned());
                    }
                    parts.push(child);
                }
                together = need.is_some() && need == short && deciding_sides > 1 && boolean == need;
            }
            "!" => {
                structural = true;
                if let Some(a) = arg("arg") {
                    parts.push(self.node(a, need.map(|n| !n)));
                }
            }
            _ if COMPARISONS.contains(&op) => {
                for side in [arg("left"), arg("right")].into_iter().flatten() {
                    if side.get("Value").is_none() {
                        parts.push(self.leaf(side));
                    }
                }
            }
            _ => {}
        }
        let deciding = (!structural && need.is_some() && boolean == need) || together;
        Node { note: day_note(&expression, &value), expression, value, deciding, parts }
    }

    fn leaf(&self, expr: &Value) -> Node {
        let expression = expression_text(expr).unwrap_or_else(|| expr.to_string());
        let (value, _) = self.value(&expression);
        Node { note: day_note(&expression, &value), expression, value, deciding: false, parts: Vec::new() }
    }

    fn value(&self, text: &str) -> (String, Option<bool>) {
        let expr = match Expression::from_str(text) {
            Ok(e) => e,
            Err(e) => return (format!("error: {e}"), None),
        };
        match cedar_policy::eval_expression(self.request, self.entities, &expr) {
            Ok(EvalResult::Bool(b)) => (b.to_string(), Some(b)),
            Ok(v) => (v.to_string(), None),
            Err(e) => (format!("error: {e}"), None),
        }
    }
}

/// Day numbers (days since 1970-01-01) shown as dates.
fn day_note(expression: &str, value: &str) -> Option<String> {
    let dayish = ["today", "until", "Until", "Day"].iter().any(|k| expression.contains(k));
    let n: i64 = value.parse().ok()?;
    if !dayish {
        return None;
    }
    Some(if n <= 0 { "no date".to_owned() } else { Day::from_number(n).iso() })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]
    use super::*;
    use crate::embedded;
    use serde_json::json;

    fn bundle() -> Bundle {
        Bundle::load(&embedded::default_sources()).unwrap()
    }

    fn explain_text(b: &Bundle, text: &str) -> Explanation {
        let req = DecisionRequest::from_json(text).unwrap();
        explain(b, &req, DecideOptions::default()).unwrap()
    }

    #[test]
    fn an_ethics_deny_names_its_condition_and_a_checked_remedy() {
        let b = bundle();
        let x = explain_text(&b, include_str!("../../../examples/requests/02-deny-nl-ethics-always.json"));
        assert_eq!(x.explained.len(), 1, "{x:#?}");
        let e = &x.explained[0];
        assert_eq!(e.policy, "nl-odi.ethics-always");
        assert_eq!(e.conditions.len(), 1);
        let c = &e.conditions[0];
        assert_eq!(c.kind, "when");
        assert_eq!(c.condition.expression, "context.project.ethicsUntil < context.today");
        assert_eq!(c.condition.value, "true");
        assert!(c.condition.deciding);
        let today = c.condition.parts.iter().find(|p| p.expression == "context.today").unwrap();
        assert_eq!(today.note.as_deref(), Some("2026-11-22"));
        assert_eq!(e.deciding.len(), 1);
        let r = e.remedies.first().unwrap_or_else(|| panic!("no remedy: {e:#?}"));
        assert!(r.change.starts_with("an ethics approval valid on 2026-11-22 satisfies ORG.PRJ.2"), "{r:?}");
        assert_eq!(r.then, "projects at nl-odi becomes allow");
    }

    #[test]
    fn expression_text_prints_cedar() {
        let e = json!({"&&": {"left": {".": {"left": {"Var": "context"}, "attr": "linkage"}}, "right": {"!": {"arg": {"Value": true}}}}});
        assert_eq!(expression_text(&e).as_deref(), Some("context.linkage && (!true)"));
        let ge = json!({">=": {"left": {".": {"left": {"Var": "resource"}, "attr": "tier"}}, "right": {"Value": 3}}});
        assert_eq!(expression_text(&ge).as_deref(), Some("resource.tier >= 3"));
        let all = json!({"containsAll": {"left": {".": {"left": {"Var": "context"}, "attr": "x"}}, "right": {"Set": [{"Value": {"__entity": {"type": "Concept", "id": "a"}}}]}}});
        assert_eq!(expression_text(&all).as_deref(), Some("context.x.containsAll([Concept::\"a\"])"));
    }
}
