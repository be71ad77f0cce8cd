//! Remedies: changes of evidence that flip a deny or review, each checked by deciding the
//! changed request again; for a property of the site, the other members where the policy holds
//! no more.

use super::{Explained, Remedy, expression_text};
use crate::bundle::Bundle;
use crate::day::Day;
use crate::decision::{DecideOptions, Decision, decide};
use crate::policy::Outcome;
use crate::request::DecisionRequest;
use crate::suite::merge_patch;
use serde_json::{Value, json};
use std::cell::OnceCell;
use std::collections::BTreeSet;

/// Finds and checks changes of evidence.
pub(super) struct Remedies<'a> {
    pub(super) bundle: &'a Bundle,
    pub(super) request: &'a Value,
    pub(super) day: Day,
    pub(super) options: DecideOptions,
    pub(super) req: &'a DecisionRequest,
    /// The request decided for every member, made when a site's property first needs it.
    pub(super) everywhere: OnceCell<Option<Decision>>,
}

/// A candidate change: in words, and as a merge patch.
type Candidate = (String, Value);

/// At most this many remedies per deny or review.
const MAX_REMEDIES: usize = 3;

impl Remedies<'_> {
    /// Checked changes of evidence that flip a deny or review, smallest first.
    pub(super) fn find(&self, e: &Explained) -> Vec<Remedy> {
        let Some(meta) = self.bundle.policies.meta.get(&e.policy) else { return Vec::new() };
        let key = meta.evidence.as_deref().unwrap_or_default();
        let mut out = Vec::new();
        for (change, patch) in self.candidates(e, key) {
            if out.len() >= MAX_REMEDIES {
                break;
            }
            if let Some(then) = self.flips(e, &patch) {
                out.push(Remedy { change: format!("{change} satisfies {}", e.requirement), patch: Some(patch), then });
            }
        }
        if key.starts_with("site.") || key == "data.deidentification" {
            out.extend(self.other_members(e));
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
    fn other_members(&self, e: &Explained) -> Option<Remedy> {
        let all = self
            .everywhere
            .get_or_init(|| decide(self.bundle, self.req, DecideOptions { all_members: true }).ok())
            .as_ref()?;
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

    fn candidates(&self, e: &Explained, key: &str) -> Vec<Candidate> {
        let d = self.day.iso();
        let year = self.day.plus(365).iso();
        let r = self.request;
        let researcher = r.get("researcher").cloned().unwrap_or(Value::Null);
        let project = r.get("project").cloned().unwrap_or(Value::Null);
        let list = |v: &Value, k: &str| v.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
        let vocab = &self.bundle.vocab;
        let dataset = e.dataset.clone().unwrap_or_default();
        let mut out: Vec<Candidate> = Vec::new();
        let concepts = membership_tests(self.bundle, &e.policy);
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
                    let places = self.places(&e.member, &dataset);
                    out.extend(
                        places.iter().filter(|c| vocab.is_a(c, concept) || *c == concept).map(|c| self.working_from(c)),
                    );
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
                        set(a, "expires", json!(end));
                    }
                    if a.get("approved").and_then(Value::as_str).is_none_or(|x| x > d.as_str()) {
                        set(a, "approved", json!(d));
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
            // Where the researcher works is evidence: inside the dataset's region (the site's
            // country or the holder's) the restriction is met.
            "site.region" => out.extend(self.places(&e.member, &dataset).iter().map(|c| self.working_from(c))),
            "project.ethics" => out.push((
                format!("an ethics approval valid on {d}"),
                json!({"project": {"ethics": {"committee": "research ethics committee", "approved": d, "expires": end}}}),
            )),
            "project.dac" => out.push((
                format!("a Data Access Committee approval for `{dataset}` valid on {d}"),
                with_approval(&|a| set(a, "expires", json!(end))),
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
                        set(a, "variables", Value::Array(vars));
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
                    with_approval(&|a| set(a, "linkage", json!(true))),
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
            // A rule on commercial use (a member's own) is decided by the project's commercial flag.
            "project.duo" if e.deciding.iter().any(|d| d.expression == "context.project.commercial") => {
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

    /// The countries of the site and of the dataset's holder (IRIs).
    fn places(&self, site: &str, dataset: &str) -> BTreeSet<String> {
        let fed = &self.bundle.federation;
        let holder = fed.datasets.get(dataset).and_then(|ds| fed.members.get(&ds.holder));
        [fed.members.get(site), holder].into_iter().flatten().map(|m| m.country.clone()).collect()
    }

    /// The researcher located in a country (an IRI), as a candidate change.
    fn working_from(&self, country: &str) -> Candidate {
        (
            format!("the researcher working from {}", self.bundle.vocab.display(country)),
            json!({"researcher": {"location": crate::vocab::local_name(country)}}),
        )
    }

    fn with_variables(&self, dataset: &str, keep: Vec<Value>) -> Value {
        let mut datasets = self.request.get("datasets").and_then(Value::as_array).cloned().unwrap_or_default();
        for x in &mut datasets {
            if x.get("id").and_then(Value::as_str) == Some(dataset) {
                set(x, "variables", Value::Array(keep.clone()));
            }
        }
        json!({"datasets": datasets})
    }
}

/// Set a field of a JSON object (the request's parts are objects: the schema checked them);
/// anything else is left as it is rather than panic.
fn set(target: &mut Value, key: &str, value: Value) {
    if let Some(map) = target.as_object_mut() {
        map.insert(key.to_owned(), value);
    }
}

/// The concepts a policy tests membership in, with what it tests (`principal`,
/// `principal.location`, `context.project`, ...).
fn membership_tests(bundle: &Bundle, policy: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(json) = bundle.policies.trees.get(policy) {
        collect_in(json, &mut out);
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
