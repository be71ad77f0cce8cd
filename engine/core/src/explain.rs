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
use crate::decision::{BundleRef, DecideOptions, Decision, Reason, decide, with_cedar_inputs};
use crate::policy::{Outcome, PolicyMeta};
use crate::request::DecisionRequest;
use crate::suite::merge_patch;
use cedar_policy::{Entities, EvalResult, Expression, Policy, PolicyId, Request};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::str::FromStr;

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
    let ctx = Remedies { bundle, request: &request_json, day, options, req };
    let mut elsewhere: Option<Decision> = None;
    for e in &mut explained {
        e.remedies = ctx.find(e, &mut elsewhere);
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

/// A policy of the bundle by id (baseline or any member's local rules).
fn policy_of<'b>(bundle: &'b Bundle, id: &str) -> Option<&'b Policy> {
    let pid = PolicyId::new(id);
    bundle.policies.baseline.policy(&pid).or_else(|| bundle.policies.local_only.values().find_map(|s| s.policy(&pid)))
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
    let json = policy_of(bundle, &reason.policy).and_then(|p| p.to_json().ok());
    if let (Some(json), Some(Ok(request))) = (&json, &cedar) {
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
                    if i == 1
                        && values.first().copied().flatten().is_some()
                        && values.first().copied().flatten() == short
                    {
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

/// A Cedar expression's text, from its JSON form, written as an author writes it (`>=` stays
/// `>=`); forms this printer does not know go through Cedar's own printer.
fn expression_text(expr: &Value) -> Option<String> {
    print_expr(expr).or_else(|| cedar_printed(expr))
}

fn cedar_printed(expr: &Value) -> Option<String> {
    let policy = json!({
        "effect": "permit",
        "principal": {"op": "All"},
        "action": {"op": "All"},
        "resource": {"op": "All"},
        "conditions": [{"kind": "when", "body": expr}],
    });
    let text = Policy::from_json(None, policy).ok()?.to_cedar()?;
    let start = text.find("when {")? + "when {".len();
    let end = text.rfind('}')?;
    let body = text.get(start..end)?;
    Some(body.split_whitespace().collect::<Vec<_>>().join(" "))
}

const INFIX: &[&str] = &["==", "!=", "<", "<=", ">", ">=", "&&", "||", "+", "-", "*", "in"];
const METHODS: &[&str] = &["contains", "containsAll", "containsAny", "getTag", "hasTag"];

/// Print an expression; compound operands get parentheses.
fn print_expr(e: &Value) -> Option<String> {
    let (op, arg) = e.as_object().filter(|m| m.len() == 1).and_then(|m| m.iter().next())?;
    let sub = |k: &str| arg.get(k).and_then(print_operand);
    Some(match op.as_str() {
        "Var" => arg.as_str()?.to_owned(),
        "Value" => print_value(arg)?,
        "!" => format!("!{}", sub("arg")?),
        "neg" => format!("-{}", sub("arg")?),
        "isEmpty" => format!("{}.isEmpty()", sub("arg")?),
        "." => format!("{}.{}", sub("left")?, arg.get("attr")?.as_str()?),
        "has" => format!("{} has {}", sub("left")?, arg.get("attr")?.as_str()?),
        "like" => format!("{} like \"{}\"", sub("left")?, arg.get("pattern").and_then(like_pattern)?),
        "is" => match arg.get("in") {
            Some(i) => format!("{} is {} in {}", sub("left")?, arg.get("entity_type")?.as_str()?, print_operand(i)?),
            None => format!("{} is {}", sub("left")?, arg.get("entity_type")?.as_str()?),
        },
        o if INFIX.contains(&o) => format!("{} {o} {}", sub("left")?, sub("right")?),
        o if METHODS.contains(&o) => format!("{}.{o}({})", sub("left")?, print_expr(arg.get("right")?)?),
        "if-then-else" => format!(
            "if {} then {} else {}",
            print_expr(arg.get("if")?)?,
            print_expr(arg.get("then")?)?,
            print_expr(arg.get("else")?)?
        ),
        "Set" => {
            let items: Option<Vec<String>> = arg.as_array()?.iter().map(print_expr).collect();
            format!("[{}]", items?.join(", "))
        }
        "Record" => {
            let fields: Option<Vec<String>> =
                arg.as_object()?.iter().map(|(k, v)| Some(format!("\"{k}\": {}", print_expr(v)?))).collect();
            format!("{{{}}}", fields?.join(", "))
        }
        _ => return None,
    })
}

/// An operand: atoms as they are, compound expressions in parentheses.
fn print_operand(e: &Value) -> Option<String> {
    let text = print_expr(e)?;
    let op = e.as_object().and_then(|m| m.keys().next()).map(String::as_str).unwrap_or_default();
    let atom = matches!(op, "Var" | "Value" | "." | "Set" | "Record") || METHODS.contains(&op) || op == "isEmpty";
    Some(if atom { text } else { format!("({text})") })
}

fn print_value(v: &Value) -> Option<String> {
    Some(match v {
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::to_string(s).ok()?,
        Value::Object(m) => {
            let uid = m.get("__entity")?;
            let id = serde_json::to_string(uid.get("id")?.as_str()?).ok()?;
            format!("{}::{id}", uid.get("type")?.as_str()?)
        }
        _ => return None,
    })
}

fn like_pattern(p: &Value) -> Option<String> {
    let parts: Option<Vec<String>> = p
        .as_array()?
        .iter()
        .map(|x| match x {
            Value::String(w) if w == "Wildcard" => Some("*".to_owned()),
            Value::Object(m) => m.get("Literal").and_then(Value::as_str).map(|l| l.replace('*', "\\*")),
            _ => None,
        })
        .collect();
    Some(parts?.concat())
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

/// Finds and checks changes of evidence.
struct Remedies<'a> {
    bundle: &'a Bundle,
    request: &'a Value,
    day: Day,
    options: DecideOptions,
    req: &'a DecisionRequest,
}

/// A candidate change: in words, and as a merge patch.
type Candidate = (String, Value);

/// At most this many remedies per deny or review.
const MAX_REMEDIES: usize = 3;

impl Remedies<'_> {
    fn find(&self, e: &Explained, elsewhere: &mut Option<Decision>) -> Vec<Remedy> {
        let Some(meta) = self.bundle.policies.meta.get(&e.policy) else { return Vec::new() };
        let key = meta.evidence.as_deref().unwrap_or_default();
        let mut out = Vec::new();
        for (change, patch) in self.candidates(e, meta, key) {
            if out.len() >= MAX_REMEDIES {
                break;
            }
            if let Some(then) = self.flips(e, &patch) {
                out.push(Remedy { change: format!("{change} satisfies {}", e.requirement), patch: Some(patch), then });
            }
        }
        if key.starts_with("site.") || key == "data.deidentification" {
            out.extend(self.other_members(e, elsewhere));
        }
        out
    }

    /// Decide the patched request: the Safe's outcome at the member when the reason is gone.
    fn flips(&self, e: &Explained, patch: &Value) -> Option<String> {
        let mut changed = self.request.clone();
        merge_patch(&mut changed, patch);
        let req = DecisionRequest::from_value(changed).ok()?;
        let d = decide(self.bundle, &req, self.options).ok()?;
        if !d.errors.is_empty() {
            return None;
        }
        let m = d.members.iter().find(|m| m.member == e.member)?;
        let s = m.safes.get(&e.safe)?;
        if s.reasons.iter().any(|r| r.policy == e.policy && r.dataset == e.dataset) {
            return None;
        }
        Some(match s.outcome {
            Outcome::Allow => format!("{} at {} becomes allow", e.safe.name(), e.member),
            o => {
                let others: BTreeSet<&str> = s.reasons.iter().map(|r| r.requirement.as_str()).collect();
                format!(
                    "{} at {} still {} for {}",
                    e.safe.name(),
                    e.member,
                    if o == Outcome::Review { "goes to review" } else { "denies" },
                    others.into_iter().collect::<Vec<_>>().join(", ")
                )
            }
        })
    }

    /// Where a site's property decides: the members where the same policy does not hold.
    fn other_members(&self, e: &Explained, elsewhere: &mut Option<Decision>) -> Option<Remedy> {
        if elsewhere.is_none() {
            *elsewhere = decide(self.bundle, self.req, DecideOptions { all_members: true }).ok();
        }
        let all = elsewhere.as_ref()?;
        if !all.errors.is_empty() {
            return None;
        }
        // Members where the same policy does not hold for the dataset, with what the Safe is
        // there (other policies of the Safe may still deny).
        let there: Vec<(&str, Outcome)> = all
            .members
            .iter()
            .filter(|m| m.member != e.member && m.datasets.iter().any(|d| Some(d) == e.dataset.as_ref()))
            .filter_map(|m| {
                let s = m.safes.get(&e.safe)?;
                (!s.reasons.iter().any(|r| r.policy == e.policy && r.dataset == e.dataset))
                    .then_some((m.member.as_str(), s.outcome))
            })
            .collect();
        if there.is_empty() {
            return None;
        }
        let dataset = e.dataset.as_deref().unwrap_or("the data");
        let allow: Vec<&str> = there.iter().filter(|(_, o)| *o == Outcome::Allow).map(|(m, _)| *m).collect();
        let other: Vec<String> =
            there.iter().filter(|(_, o)| *o != Outcome::Allow).map(|(m, o)| format!("{m} ({})", o.name())).collect();
        let mut then = Vec::new();
        if !allow.is_empty() {
            then.push(format!("{} allows there at {}", e.safe.name(), allow.join(", ")));
        }
        if !other.is_empty() {
            then.push(format!("{} still does not allow at {} for other reasons", e.safe.name(), other.join(", ")));
        }
        Some(Remedy {
            change: format!(
                "this is a property of the site, not of the evidence: analysing `{dataset}` at {} satisfies {}",
                there.iter().map(|(m, _)| *m).collect::<Vec<_>>().join(", "),
                e.requirement
            ),
            patch: None,
            then: then.join("; "),
        })
    }

    fn candidates(&self, e: &Explained, meta: &PolicyMeta, key: &str) -> Vec<Candidate> {
        let d = self.day.iso();
        let year = self.day.plus(365).iso();
        let r = self.request;
        let researcher = r.get("researcher").cloned().unwrap_or(Value::Null);
        let project = r.get("project").cloned().unwrap_or(Value::Null);
        let list = |v: &Value, k: &str| v.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
        let vocab = &self.bundle.vocab;
        let dataset = e.dataset.clone().unwrap_or_default();
        let mut out: Vec<Candidate> = Vec::new();
        let concepts = in_targets(self.bundle, &e.policy);
        // Terms a concept stands for: itself and what the vocabularies put under it.
        // Terms the request already uses (an expired record to renew) come first.
        let used: BTreeSet<String> = ["accreditations", "training", "agreements"]
            .iter()
            .flat_map(|f| list(&researcher, f))
            .filter_map(|x| {
                ["scheme", "course", "agreement"]
                    .iter()
                    .find_map(|k| x.get(*k).and_then(Value::as_str))
                    .map(crate::vocab::expand)
            })
            .chain(list(&project, "legalBasis").iter().filter_map(Value::as_str).map(crate::vocab::expand))
            .collect();
        let terms_under = |c: &str| -> Vec<String> {
            let mut t: Vec<String> = vocab.terms().filter(|t| vocab.is_a(t, c)).map(str::to_owned).collect();
            t.sort_by_key(|x| (!used.contains(x), x.as_str() != c, x.len(), x.clone()));
            t.into_iter().take(4).collect()
        };
        for (left, concept) in &concepts {
            match left.as_str() {
                "principal" => {
                    for t in terms_under(concept) {
                        let shown = vocab.display(&t);
                        let (field, item, words) = match key {
                            "researcher.training" => (
                                "training",
                                json!({"course": t, "completed": d, "expires": year}),
                                format!("a training record for {shown}, completed {d} and valid on {d},"),
                            ),
                            "researcher.agreements" => (
                                "agreements",
                                json!({"agreement": t, "signed": d}),
                                format!("the agreement {shown}, signed {d},"),
                            ),
                            _ => (
                                "accreditations",
                                json!({"scheme": t, "issued": d, "expires": year}),
                                format!("an accreditation {shown}, valid on {d},"),
                            ),
                        };
                        let mut items = list(&researcher, field);
                        items.push(item);
                        out.push((words, json!({"researcher": {field: items}})));
                    }
                }
                "principal.location" => {
                    let fed = &self.bundle.federation;
                    let site = fed.members.get(&e.member).map(|m| m.country.clone());
                    let holder = fed
                        .datasets
                        .get(&dataset)
                        .and_then(|ds| fed.members.get(&ds.holder))
                        .map(|m| m.country.clone());
                    let places: BTreeSet<String> = [site, holder].into_iter().flatten().collect();
                    for c in places.into_iter().filter(|c| vocab.is_a(c, concept) || c == concept) {
                        let code = crate::vocab::local_name(&c).to_owned();
                        out.push((
                            format!("the researcher working from {}", vocab.display(&c)),
                            json!({"researcher": {"location": code}}),
                        ));
                    }
                }
                "context.project" => {
                    for t in terms_under(concept).into_iter().filter(|t| t != concept) {
                        let mut items = list(&project, "legalBasis");
                        items.push(json!(t));
                        out.push((
                            format!("the legal basis {}", vocab.display(&t)),
                            json!({"project": {"legalBasis": items}}),
                        ));
                    }
                }
                _ => {}
            }
        }
        // Approvals given now run to the end of the project, and at least to the request day.
        let end = project.get("end").and_then(Value::as_str).unwrap_or(&year).to_owned().max(d.clone());
        let requested: Vec<Value> = list(r, "datasets")
            .into_iter()
            .find(|x| x.get("id").and_then(Value::as_str) == Some(dataset.as_str()))
            .map(|x| list(&x, "variables"))
            .unwrap_or_default();
        let approvals = list(&project, "dacApprovals");
        let approval =
            approvals.iter().position(|a| a.get("dataset").and_then(Value::as_str) == Some(dataset.as_str()));
        let with_approval = |edit: &dyn Fn(&mut Value)| -> Value {
            let mut all = approvals.clone();
            match approval.and_then(|i| all.get_mut(i)) {
                Some(a) => {
                    // Whatever else changes, the approval must be valid on the request day.
                    if a.get("expires").and_then(Value::as_str).is_some_and(|x| x < d.as_str()) {
                        a["expires"] = json!(end);
                    }
                    if a.get("approved").and_then(Value::as_str).is_none_or(|x| x > d.as_str()) {
                        a["approved"] = json!(d);
                    }
                    edit(a);
                }
                None => {
                    let mut a = json!({"dataset": dataset, "approved": d, "expires": end, "variables": requested});
                    edit(&mut a);
                    all.push(a);
                }
            }
            json!({"project": {"dacApprovals": all}})
        };
        match key {
            "site.region" => {
                // Where the researcher works is evidence: inside the dataset's region (the
                // site's country or the holder's) the restriction is met.
                let fed = &self.bundle.federation;
                let site = fed.members.get(&e.member).map(|m| m.country.clone());
                let holder =
                    fed.datasets.get(&dataset).and_then(|ds| fed.members.get(&ds.holder)).map(|m| m.country.clone());
                let places: BTreeSet<String> = [site, holder].into_iter().flatten().collect();
                for c in places {
                    out.push((
                        format!("the researcher working from {}", vocab.display(&c)),
                        json!({"researcher": {"location": crate::vocab::local_name(&c)}}),
                    ));
                }
            }
            "project.ethics" => out.push((
                format!("an ethics approval valid on {d}"),
                json!({"project": {"ethics": {"committee": "research ethics committee", "approved": d, "expires": end}}}),
            )),
            "project.dac" => out.push((
                format!("a Data Access Committee approval for `{dataset}` valid on {d}"),
                with_approval(&|a| a["expires"] = json!(end)),
            )),
            "data.minimisation" => {
                let approved: Vec<Value> = approval
                    .and_then(|i| approvals.get(i))
                    .map(|a| list(a, "variables"))
                    .unwrap_or_default();
                let keep: Vec<Value> = requested.iter().filter(|v| approved.contains(v)).cloned().collect();
                let drop: Vec<String> =
                    requested.iter().filter(|v| !approved.contains(v)).filter_map(|v| v.as_str().map(str::to_owned)).collect();
                if !keep.is_empty() {
                    out.push((
                        format!("requesting only the approved variables of `{dataset}` (without {})", drop.join(", ")),
                        self.with_variables(&dataset, keep),
                    ));
                }
                out.push((
                    format!(
                        "a DAC approval for `{dataset}`, valid on {d}, that covers {}",
                        requested.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")
                    ),
                    with_approval(&|a| {
                        let mut vars = list(a, "variables");
                        vars.extend(requested.iter().filter(|v| !vars.contains(v)).cloned().collect::<Vec<_>>());
                        a["variables"] = Value::Array(vars);
                    }),
                ));
            }
            "data.variables" => {
                let held = self.bundle.federation.datasets.get(&dataset).map(|ds| &ds.variables);
                let (keep, drop): (Vec<Value>, Vec<Value>) = requested
                    .iter()
                    .cloned()
                    .partition(|v| v.as_str().is_some_and(|s| held.is_some_and(|h| h.contains(s))));
                if !keep.is_empty() {
                    let names: Vec<&str> = drop.iter().filter_map(Value::as_str).collect();
                    out.push((
                        format!("not requesting {}, which `{dataset}` does not hold,", names.join(", ")),
                        self.with_variables(&dataset, keep),
                    ));
                }
            }
            "data.linkage" => {
                out.push((
                    format!("a DAC approval for `{dataset}`, valid on {d}, that allows linkage"),
                    with_approval(&|a| a["linkage"] = json!(true)),
                ));
                let alone: Vec<Value> = list(r, "datasets")
                    .into_iter()
                    .filter(|x| x.get("id").and_then(Value::as_str) == Some(dataset.as_str()))
                    .collect();
                out.push((format!("analysing `{dataset}` alone, without linking it"), json!({"datasets": alone})));
            }
            "project.period" => {
                let start = project.get("start").and_then(Value::as_str).unwrap_or_default();
                if start > d.as_str() {
                    out.push((format!("a project period that starts by {d}"), json!({"project": {"start": d}})));
                } else {
                    out.push((format!("a project period that runs until {d}"), json!({"project": {"end": d}})));
                }
            }
            "project.duo" if meta.requirement.starts_with("SEM.PRJ") && e.local_rule_of.is_some() => {
                out.push(("a non-commercial project".to_owned(), json!({"project": {"commercial": false}})));
            }
            "output.sdc" => out.push((
                "an output check that passes".to_owned(),
                json!({"output": {"sdc": "pass"}}),
            )),
            "output.checkers" => {
                let mut names = list(r.get("output").unwrap_or(&Value::Null), "checkers");
                for _ in 0..2 {
                    names.push(json!(format!("output checker {}", names.len() + 1)));
                    out.push((
                        format!("sign-off by {} output checker(s)", names.len()),
                        json!({"output": {"checkers": names.clone()}}),
                    ));
                }
            }
            k if k.starts_with("unknown.") => {
                let mut cleaned = r.clone();
                let mut removed = Vec::new();
                drop_undefined_terms(&mut cleaned, vocab, &mut removed);
                if !removed.is_empty() {
                    let mut patch = serde_json::Map::new();
                    if let (Value::Object(new), Value::Object(old)) = (&cleaned, r) {
                        for (k, v) in new {
                            if old.get(k) != Some(v) {
                                patch.insert(k.clone(), v.clone());
                            }
                        }
                    }
                    out.push((format!("removing the undefined term(s) {}", removed.join(", ")), Value::Object(patch)));
                }
            }
            _ => {}
        }
        out
    }

    fn with_variables(&self, dataset: &str, keep: Vec<Value>) -> Value {
        let mut datasets = self.request.get("datasets").and_then(Value::as_array).cloned().unwrap_or_default();
        for x in &mut datasets {
            if x.get("id").and_then(Value::as_str) == Some(dataset) {
                x["variables"] = Value::Array(keep.clone());
            }
        }
        json!({"datasets": datasets})
    }
}

/// The concepts a policy tests membership in, with what it tests (`principal`,
/// `principal.location`, `context.project`, ...).
fn in_targets(bundle: &Bundle, policy: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(json) = policy_of(bundle, policy).and_then(|p| p.to_json().ok()) {
        collect_in(&json, &mut out);
    }
    out
}

fn collect_in(v: &Value, out: &mut Vec<(String, String)>) {
    if let Some(inner) = v.get("in")
        && let (Some(left), Some(id)) =
            (inner.get("left"), inner.pointer("/right/Value/__entity/id").and_then(Value::as_str))
        && let Some(text) = expression_text(left)
    {
        out.push((text, id.to_owned()));
    }
    match v {
        Value::Object(m) => m.values().for_each(|x| collect_in(x, out)),
        Value::Array(a) => a.iter().for_each(|x| collect_in(x, out)),
        _ => {}
    }
}

/// Remove from arrays the strings that name terms no vocabulary defines.
fn drop_undefined_terms(v: &mut Value, vocab: &crate::vocab::Vocabulary, removed: &mut Vec<String>) {
    match v {
        Value::Array(items) => {
            items.retain(|x| {
                let undefined: Vec<&str> = match x {
                    Value::String(s) => vec![s.as_str()],
                    Value::Object(m) => m.values().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                }
                .into_iter()
                .filter(|s| looks_like_term(s) && !vocab.defines(&crate::vocab::expand(s)))
                .collect();
                removed.extend(undefined.iter().map(|s| format!("`{s}`")));
                undefined.is_empty()
            });
            items.iter_mut().for_each(|x| drop_undefined_terms(x, vocab, removed));
        }
        Value::Object(m) => m.values_mut().for_each(|x| drop_undefined_terms(x, vocab, removed)),
        _ => {}
    }
}

/// A CURIE or IRI naming a term (`fs:Foo`, `DUO:0000042`, `https://...`), not a date or a time.
fn looks_like_term(s: &str) -> bool {
    s.split_once(':').is_some_and(|(prefix, rest)| {
        prefix.chars().next().is_some_and(char::is_alphabetic)
            && prefix.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && !rest.is_empty()
            && !rest.contains(char::is_whitespace)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]
    use super::*;
    use crate::embedded;

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
