//! The Five Safes decision: for every member TRE in scope and every Safe, allow / review / deny
//! with every reason, the obligations of a permit and where the analysis may run.

use crate::blueprint::{Dimension, Safe};
use crate::bundle::{Bundle, types, uid};
use crate::condition::Env;
use crate::error::RequestError;
use crate::evidence::{DatasetFacts, Facts, Notes};
use crate::policy::Outcome;
use crate::request::DecisionRequest;
use crate::scope::{Condition, ContextReads, Scope, Slice};
#[cfg(test)]
use cedar_policy::Authorizer;
use cedar_policy::{Context, Effect, Entities, Entity, EntityUid, PolicySet, Request};
use cedar_policy_core::ast::Value as CedarValue;
use cedar_policy_core::evaluator::Evaluator as CedarEvaluator;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The answer to a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Decision {
    /// The overall outcome.
    pub decision: Outcome,
    /// The action decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The day the request was judged on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
    /// `sha256:` of the request's canonical JSON (absent when the request could not be read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_hash: Option<String>,
    /// The bundle the decision was made under.
    pub bundle: BundleRef,
    /// Whether every member was evaluated as a possible site (`--all-members`).
    pub all_members: bool,
    /// Per member TRE.
    pub members: Vec<MemberDecision>,
    /// Members where the analysis may run (every Safe allows).
    pub runs_at: Vec<String>,
    /// Obligations that come with the permits.
    pub obligations: Vec<Obligation>,
    /// Errors met while deciding; any error makes the decision deny.
    pub errors: Vec<String>,
}

/// Names the bundle a decision was made under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BundleRef {
    /// The federation's IRI.
    pub federation: String,
    /// The federation's version.
    pub version: String,
    /// The blueprint's version.
    pub blueprint_version: String,
    /// Content hash of the bundle.
    pub hash: String,
}

/// Whether a member holds requested data or is considered as a site for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MemberRole {
    /// Holds at least one requested dataset.
    Holder,
    /// Holds none; evaluated as a possible site (`--all-members`).
    Candidate,
}

/// The decision at one member TRE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberDecision {
    /// Member id.
    pub member: String,
    /// Member name.
    pub name: String,
    /// Holder or candidate.
    pub role: MemberRole,
    /// The datasets evaluated at this member.
    pub datasets: Vec<String>,
    /// The worst outcome over the Safes.
    pub outcome: Outcome,
    /// Per Safe.
    pub safes: BTreeMap<Safe, SafeDecision>,
}

/// One Safe at one member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SafeDecision {
    /// Allow, review or deny.
    pub outcome: Outcome,
    /// Every reason for a deny or review (empty on allow).
    pub reasons: Vec<Reason>,
}

/// Why a Safe is not (or not yet) met.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Reason {
    /// Deny or review.
    pub outcome: Outcome,
    /// The blueprint requirement.
    pub requirement: String,
    /// Its dimension.
    pub dimension: Dimension,
    /// Its Safe.
    pub safe: Safe,
    /// The Cedar policy that decided.
    pub policy: String,
    /// The member whose local rule this is (absent for the baseline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_rule_of: Option<String>,
    /// The dataset concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// What is wrong, for the researcher.
    pub message: String,
    /// The evidence found (or missing) that this rests on.
    pub evidence: Vec<String>,
}

/// An obligation carried with a permit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Obligation {
    /// The obligation's term (IRI).
    pub term: String,
    /// Short code (e.g. `PUB`) or the policy that imposes it.
    pub code: String,
    /// What it asks.
    pub label: String,
    /// Detail (e.g. a moratorium date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The datasets it comes from (empty: the whole request).
    pub datasets: Vec<String>,
    /// The members where it applies.
    pub members: Vec<String>,
}

/// How to decide.
#[derive(Debug, Clone, Copy, Default)]
pub struct DecideOptions {
    /// Evaluate every member of the federation as a possible site for all requested datasets.
    pub all_members: bool,
}

/// The JSON Schema of a decision.
pub fn decision_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Decision)).unwrap_or_default()
}

impl Decision {
    /// The decision for a request that could not be read or judged: deny, naming the error.
    pub fn failed(bundle: &Bundle, request_hash: Option<String>, error: String) -> Decision {
        Decision::failed_under(bundle.reference(), request_hash, error)
    }

    /// A failed decision (deny, naming the error) under a bundle known only by its reference:
    /// what a host says when the engine itself could not answer.
    pub fn failed_under(bundle: BundleRef, request_hash: Option<String>, error: String) -> Decision {
        Decision {
            decision: Outcome::Deny,
            action: None,
            day: None,
            request_hash,
            bundle,
            all_members: false,
            members: Vec::new(),
            runs_at: Vec::new(),
            obligations: Vec::new(),
            errors: vec![error],
        }
    }

    /// Canonical JSON (pretty-printed, stable field order).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"decision\":\"deny\",\"errors\":[\"{e}\"]}}"))
    }
}

impl Bundle {
    /// How decisions name this bundle.
    pub fn reference(&self) -> BundleRef {
        BundleRef {
            federation: self.federation.iri.clone(),
            version: self.federation.version.clone(),
            blueprint_version: self.blueprint.version.clone(),
            hash: self.hash.clone(),
        }
    }
}

/// `sha256:` of a request's canonical JSON.
pub fn request_hash(req: &DecisionRequest) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(req.canonical_json().as_bytes())))
}

/// Decide a request given as JSON text. Never fails: an unreadable request is a deny that names
/// the error (and [`decide_json_checked`] tells the caller it was invalid input).
pub fn decide_json(bundle: &Bundle, text: &str, options: DecideOptions) -> Decision {
    match decide_json_checked(bundle, text, options) {
        Ok(d) => d,
        Err(e) => Decision::failed(bundle, None, e.to_string()),
    }
}

/// Decide a request given as JSON text; an invalid request is an error.
pub fn decide_json_checked(bundle: &Bundle, text: &str, options: DecideOptions) -> Result<Decision, RequestError> {
    let req = DecisionRequest::from_json(text)?;
    decide(bundle, &req, options)
}

/// Decide a parsed request.
pub fn decide(bundle: &Bundle, req: &DecisionRequest, options: DecideOptions) -> Result<Decision, RequestError> {
    decide_inner(bundle, req, options, None)
}

/// What a decision evaluated: every policy that Cedar evaluated, and whether it held. Counted
/// from the Cedar calls themselves, so coverage built on it is exact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    /// Policies that held at least once (a permit that permitted, a forbid that fired).
    pub held: BTreeSet<String>,
    /// Policies that were evaluated at least once and did not hold.
    pub not_held: BTreeSet<String>,
    /// Policies whose evaluation failed at least once.
    pub errored: BTreeSet<String>,
}

impl Trace {
    /// Fold another trace into this one.
    pub fn merge(&mut self, other: &Trace) {
        self.held.extend(other.held.iter().cloned());
        self.not_held.extend(other.not_held.iter().cloned());
        self.errored.extend(other.errored.iter().cloned());
    }

    fn record(&mut self, set: &PolicySet, fired: &Fired, action: &EntityUid) {
        let errored: BTreeSet<&str> = fired.errors.iter().map(|(id, _)| id.as_str()).collect();
        for p in set.policies() {
            let id = p.id().to_string();
            if fired.ids.contains(&id) {
                self.held.insert(id);
            } else if errored.contains(id.as_str()) {
                self.errored.insert(id);
            } else if applies_to_action(p, action) {
                self.not_held.insert(id);
            }
        }
    }
}

/// Whether a policy's action scope admits the action: a policy for another action was not
/// exercised by a request, even though Cedar looked at it. (Action groups are not followed:
/// the bundle's schema has none.)
pub(crate) fn applies_to_action(p: &cedar_policy::Policy, action: &EntityUid) -> bool {
    match p.action_constraint() {
        cedar_policy::ActionConstraint::Any => true,
        cedar_policy::ActionConstraint::Eq(a) => &a == action,
        cedar_policy::ActionConstraint::In(list) => list.contains(action),
    }
}

/// Decide a parsed request and say which policies were evaluated and which held (for
/// coverage). The decision is the one [`decide`] gives.
pub fn decide_traced(
    bundle: &Bundle,
    req: &DecisionRequest,
    options: DecideOptions,
) -> Result<(Decision, Trace), RequestError> {
    let mut trace = Trace::default();
    let decision = decide_inner(bundle, req, options, Some(&mut trace))?;
    Ok((decision, trace))
}

fn decide_inner(
    bundle: &Bundle,
    req: &DecisionRequest,
    options: DecideOptions,
    trace: Option<&mut Trace>,
) -> Result<Decision, RequestError> {
    let facts = Facts::establish(bundle, req)?;
    let hash = request_hash(req);
    let mut evaluator = match Evaluator::new(bundle, req, &facts, options) {
        Ok(e) => e,
        Err(message) => return Ok(Decision::failed(bundle, Some(hash), message)),
    };
    evaluator.trace = trace;
    let mut members = Vec::new();
    let mut errors = Vec::new();
    for (member, role, datasets) in evaluator.sites() {
        let mut safes: BTreeMap<Safe, SafeDecision> =
            Safe::ALL.into_iter().map(|s| (s, SafeDecision { outcome: Outcome::Allow, reasons: Vec::new() })).collect();
        for dataset in &datasets {
            evaluator.evaluate(member, dataset, &mut safes, &mut errors);
        }
        let outcome = safes.values().map(|s| s.outcome).max().unwrap_or(Outcome::Deny);
        let name = bundle.federation.members.get(member).map(|m| m.name.clone()).unwrap_or_default();
        members.push(MemberDecision { member: member.to_owned(), name, role, datasets, outcome, safes });
    }
    let (decision, runs_at) = overall(&members, &errors, options.all_members);
    let obligations = obligations(bundle, &facts, &members);
    Ok(Decision {
        decision,
        action: Some(req.action.name().to_owned()),
        day: Some(facts.today.iso()),
        request_hash: Some(hash),
        bundle: bundle.reference(),
        all_members: options.all_members,
        members,
        runs_at,
        obligations,
        errors,
    })
}

/// The overall outcome and the members where the analysis may run, from the members'
/// decisions: any error denies; with `all_members` one member that allows is enough, otherwise
/// the worst member outcome decides.
pub fn overall(members: &[MemberDecision], errors: &[String], all_members: bool) -> (Outcome, Vec<String>) {
    let runs_at: Vec<String> =
        members.iter().filter(|m| m.outcome == Outcome::Allow).map(|m| m.member.clone()).collect();
    let decision = if !errors.is_empty() || members.is_empty() {
        Outcome::Deny
    } else if all_members {
        if !runs_at.is_empty() {
            Outcome::Allow
        } else if members.iter().any(|m| m.outcome == Outcome::Review) {
            Outcome::Review
        } else {
            Outcome::Deny
        }
    } else {
        members.iter().map(|m| m.outcome).max().unwrap_or(Outcome::Deny)
    };
    (decision, runs_at)
}

/// The Cedar calls a decision makes, for measuring the engine against a bare Cedar call:
/// the entities of the request and, per (site, dataset), the Cedar request and policy set.
#[doc(hidden)]
pub type CedarCalls<'b> = (Entities, Vec<(Request, &'b cedar_policy::PolicySet)>);

/// See [`CedarCalls`].
#[doc(hidden)]
pub fn cedar_calls<'b>(
    bundle: &'b Bundle,
    req: &DecisionRequest,
    options: DecideOptions,
) -> Result<CedarCalls<'b>, String> {
    let facts = Facts::establish(bundle, req).map_err(|e| e.to_string())?;
    let evaluator = Evaluator::new(bundle, req, &facts, options)?;
    let mut calls = Vec::new();
    for (site, _, datasets) in evaluator.sites() {
        for d in datasets {
            let df = facts.datasets.get(&d).ok_or("dataset facts missing")?;
            let ctx = evaluator.context(site, &d, df, &ContextReads::Whole)?;
            let r = Request::new(
                evaluator.principal.clone(),
                evaluator.action.clone(),
                uid(types::DATASET, &d)?,
                ctx,
                None,
            )
            .map_err(|e| e.to_string())?;
            calls.push((r, bundle.policies.for_member(site)));
        }
    }
    Ok((evaluator.entities, calls))
}

/// The Cedar inputs of a request's evaluation, for looking inside a policy's conditions
/// (`explain`): the entities, and the Cedar request of any (site, dataset) with the whole
/// context.
pub(crate) fn with_cedar_inputs<R>(
    bundle: &Bundle,
    req: &DecisionRequest,
    options: DecideOptions,
    f: impl FnOnce(&dyn Fn(&str, &str) -> Result<Request, String>, &Entities) -> R,
) -> Result<R, String> {
    let facts = Facts::establish(bundle, req).map_err(|e| e.to_string())?;
    let evaluator = Evaluator::new(bundle, req, &facts, options)?;
    let request = |site: &str, dataset: &str| -> Result<Request, String> {
        let df = facts.datasets.get(dataset).ok_or_else(|| format!("dataset `{dataset}` was not requested"))?;
        let ctx = evaluator.context(site, dataset, df, &ContextReads::Whole)?;
        Request::new(evaluator.principal.clone(), evaluator.action.clone(), uid(types::DATASET, dataset)?, ctx, None)
            .map_err(|e| e.to_string())
    };
    Ok(f(&request, &evaluator.entities))
}

/// Everything that is the same for every Cedar call of one request.
struct Evaluator<'a, 't> {
    bundle: &'a Bundle,
    facts: &'a Facts,
    options: DecideOptions,
    entities: Entities,
    principal: EntityUid,
    action: EntityUid,
    project: EntityUid,
    /// `principal` and `action` as Cedar values, for compiled conditions.
    principal_value: CedarValue,
    action_value: CedarValue,
    /// What the request slice gave; it is the same at every site and for every dataset.
    request_memo: Option<Fired>,
    /// What the dataset slice gave, per dataset; it is the same at every site.
    dataset_memo: HashMap<String, Fired>,
    /// Where to record what was evaluated, when asked.
    trace: Option<&'t mut Trace>,
}

/// The policies that held and the policies that could not be evaluated, from Cedar calls.
#[derive(Debug, Clone, Default)]
struct Fired {
    ids: BTreeSet<String>,
    errors: Vec<(String, String)>,
}

impl Fired {
    /// Evaluate a slice's policies for one request: those whose condition holds, and those
    /// whose evaluation failed (as Cedar's authorizer reports them; `slices_fire_what_whole_sets_fire`
    /// compares the two).
    fn eval(&mut self, judge: &Judge<'_>, conditions: &[Condition]) {
        for c in conditions {
            match judge.holds(c) {
                Ok(true) => {
                    self.ids.insert(c.id.clone());
                }
                Ok(false) => {}
                Err(e) => self.errors.push((c.id.clone(), e)),
            }
        }
    }

    /// Evaluate a set of only permits or only forbids with Cedar's authorizer: its reasons are
    /// then exactly the policies that held.
    #[cfg(test)]
    fn run(&mut self, authorizer: &Authorizer, request: &Request, set: &PolicySet, entities: &Entities) {
        if set.is_empty() {
            return;
        }
        let response = authorizer.is_authorized(request, set, entities);
        self.ids.extend(response.diagnostics().reason().map(|p| p.to_string()));
        self.errors.extend(response.diagnostics().errors().map(|e| match e {
            cedar_policy::AuthorizationError::PolicyEvaluationError(p) => {
                (p.policy_id().to_string(), p.inner().to_string())
            }
        }));
    }

    fn extend(&mut self, other: &Fired) {
        self.ids.extend(other.ids.iter().cloned());
        self.errors.extend(other.errors.iter().cloned());
    }
}

impl<'a, 't> Evaluator<'a, 't> {
    fn new(
        bundle: &'a Bundle,
        req: &'a DecisionRequest,
        facts: &'a Facts,
        options: DecideOptions,
    ) -> Result<Self, String> {
        let principal = uid(types::RESEARCHER, &req.researcher.id)?;
        let project = uid(types::PROJECT, &req.project.id)?;
        let action = uid(types::ACTION, req.action.name())?;
        let entities = closed_entities(request_entity_list(bundle, req, facts, &principal, &project, options)?)?;
        Ok(Evaluator {
            bundle,
            facts,
            options,
            entities,
            principal_value: uid_value(&principal),
            action_value: uid_value(&action),
            principal,
            action,
            project,
            request_memo: None,
            dataset_memo: HashMap::new(),
            trace: None,
        })
    }

    /// (member, role, datasets) to evaluate, in member id order.
    fn sites(&self) -> Vec<(&'a str, MemberRole, Vec<String>)> {
        let requested: Vec<&String> = self.facts.datasets.keys().collect();
        let fed = &self.bundle.federation;
        let mut held: HashMap<&str, Vec<String>> = HashMap::new();
        for d in &requested {
            if let Some(ds) = fed.datasets.get(d.as_str()) {
                held.entry(ds.holder.as_str()).or_default().push((*d).clone());
            }
        }
        let held_by = |m: &str| -> Vec<String> { held.get(m).cloned().unwrap_or_default() };
        fed.members
            .keys()
            .filter_map(|m| {
                let held = held_by(m);
                let role = if held.is_empty() { MemberRole::Candidate } else { MemberRole::Holder };
                match (self.options.all_members, role) {
                    (true, _) => Some((m.as_str(), role, requested.iter().map(|d| (*d).clone()).collect())),
                    (false, MemberRole::Holder) => Some((m.as_str(), role, held)),
                    (false, MemberRole::Candidate) => None,
                }
            })
            .collect()
    }

    fn context(&self, site: &str, dataset: &str, df: &DatasetFacts, reads: &ContextReads) -> Result<Context, String> {
        to_context(&self.context_value(site, dataset, df, reads)?)
    }

    /// The context as a Cedar record value.
    fn context_value(
        &self,
        site: &str,
        dataset: &str,
        df: &DatasetFacts,
        reads: &ContextReads,
    ) -> Result<CedarValue, String> {
        // Built as Cedar values: restricted expressions would only be evaluated into the same
        // values on every call.
        use cedar_policy_core::ast::{EntityUID, Value};
        let f = self.facts;
        let strings =
            |items: &mut dyn Iterator<Item = &String>| Value::set(items.map(|s| Value::from(s.as_str())), None);
        let entity = |id: &EntityUid| Value::from(AsRef::<EntityUID>::as_ref(id).clone());
        let record = |pairs: Vec<(&str, Value)>| Value::record(pairs, None);
        let mut pairs: Vec<(&str, Value)> = Vec::new();
        // Only the fields the policies about to run read (see `scope`): the rest cannot change
        // their result, and building them is most of a call's cost.
        let mut put = |name: &'static str, build: &dyn Fn() -> Result<Value, String>| -> Result<(), String> {
            if reads.includes(name) {
                pairs.push((name, build()?));
            }
            Ok(())
        };
        put("project", &|| Ok(entity(&self.project)))?;
        put("site", &|| Ok(entity(&uid(types::MEMBER, site)?)))?;
        put("today", &|| Ok(Value::from(f.today.number())))?;
        put("dac", &|| {
            Ok(record(vec![
                ("until", Value::from(df.dac_until)),
                ("variables", strings(&mut df.dac_variables.iter())),
                ("linkage", Value::from(df.dac_linkage)),
            ]))
        })?;
        put("requestedVariables", &|| Ok(strings(&mut df.requested_variables.iter())))?;
        put("linkage", &|| Ok(Value::from(f.linkage)))?;
        put("duo", &|| Ok(Value::from(duo_name(df).to_owned())))?;
        put("unknownTerms", &|| {
            let ds_unknown = self.bundle.federation.datasets.get(dataset).map(|d| &d.unknown_terms);
            Ok(record(vec![
                ("people", strings(&mut f.unknown_people.iter())),
                ("projects", strings(&mut f.unknown_projects.iter().chain(ds_unknown.into_iter().flatten()))),
                ("outputs", strings(&mut f.unknown_outputs.iter())),
            ]))
        })?;
        put("region", &|| {
            let region = self.region_of(dataset);
            let within = |concept: &str| region.is_some_and(|r| self.bundle.vocab.is_a(concept, r));
            let site_country = self.bundle.federation.members.get(site).map(|m| m.country.as_str()).unwrap_or("");
            Ok(record(vec![
                ("restricted", Value::from(region.is_some())),
                ("siteWithin", Value::from(within(site_country))),
                ("researcherWithin", Value::from(within(&f.location))),
            ]))
        })?;
        put("output", &|| {
            Ok(record(vec![
                ("kind", entity(&uid(types::CONCEPT, &f.output.kind)?)),
                ("sdc", Value::from(df.output_sdc.name().to_owned())),
                ("checked", Value::from(df.output_checked)),
                ("exception", Value::from(f.output.exception)),
                ("checkers", Value::from(f.output.checkers)),
            ]))
        })?;
        Ok(Value::record(pairs, None))
    }

    /// Evaluate one dataset at one site and fold the result into the Safes.
    fn evaluate(
        &mut self,
        site: &str,
        dataset: &str,
        safes: &mut BTreeMap<Safe, SafeDecision>,
        errors: &mut Vec<String>,
    ) {
        let Some(df) = self.facts.datasets.get(dataset) else { return };
        let deny_all = |safes: &mut BTreeMap<Safe, SafeDecision>, errors: &mut Vec<String>, message: String| {
            errors.push(message.clone());
            for s in safes.values_mut() {
                s.outcome = Outcome::Deny;
            }
        };
        let (fired, mut errored) = match self.fire(site, dataset, df) {
            Ok(Fired { ids, errors }) => (ids, errors),
            Err(e) => {
                return deny_all(
                    safes,
                    errors,
                    format!("could not build the Cedar request for `{dataset}` at `{site}`: {e}"),
                );
            }
        };
        errored.sort();
        let meta = &self.bundle.policies.meta;
        let mut permitted: HashSet<Safe> = HashSet::new();
        for id in &fired {
            let Some(m) = meta.get(id) else { continue };
            match m.effect {
                Effect::Permit => {
                    permitted.insert(m.safe);
                }
                Effect::Forbid => {
                    let reason = self.reason(m, site, dataset, df, m.outcome, None);
                    push(safes, m.safe, reason);
                }
            }
        }
        for (id, error) in errored {
            // Fail closed: a policy that could not be evaluated denies its Safe.
            let Some(m) = meta.get(&id) else {
                deny_all(safes, errors, format!("policy `{id}` failed: {error}"));
                continue;
            };
            errors.push(format!("policy `{id}` failed on `{dataset}` at `{site}`: {error}"));
            let reason = self.reason(m, site, dataset, df, Outcome::Deny, Some(error));
            push(safes, m.safe, reason);
        }
        for safe in Safe::ALL {
            if !permitted.contains(&safe) {
                let s = safes.entry(safe).or_insert(SafeDecision { outcome: Outcome::Deny, reasons: Vec::new() });
                s.outcome = Outcome::Deny;
                if s.reasons.is_empty() {
                    errors.push(format!("no policy permits Safe {} for `{dataset}` at `{site}`", safe.name()));
                }
            }
        }
    }

    /// The policies that hold for one dataset at one site. What can only vary by request or by
    /// dataset is evaluated once and remembered (see [`crate::scope`]); the holder's own rules
    /// run too when the site is not the holder (members only restrict; their rules follow their
    /// data). One context and one Cedar request serve every call made here.
    fn fire(&mut self, site: &str, dataset: &str, df: &DatasetFacts) -> Result<Fired, String> {
        let slices = &self.bundle.policies.slices;
        let forbids_of = slices.of(site);
        let new_request = self.request_memo.is_none();
        let new_dataset = new_request || !self.dataset_memo.contains_key(dataset);
        let forbids = match (new_request, new_dataset) {
            (true, _) => &forbids_of.from_request,
            (false, true) => &forbids_of.from_dataset,
            (false, false) => &forbids_of.site,
        };
        let permits: Vec<(Scope, &Slice)> =
            [(Scope::Request, new_request), (Scope::Dataset, new_dataset), (Scope::Site, true)]
                .into_iter()
                .filter(|(_, needed)| *needed)
                .filter_map(|(scope, _)| slices.permits.get(&scope).map(|p| (scope, p)))
                .collect();
        let holder = self.bundle.federation.datasets.get(dataset).map(|d| d.holder.as_str());
        let local = holder.filter(|h| *h != site).and_then(|h| slices.local.get(h));
        let mut reads = forbids.reads.clone();
        permits.iter().for_each(|(_, p)| reads.merge(&p.reads));
        local.iter().for_each(|l| reads.merge(&l.reads));
        let context = self.context_value(site, dataset, df, &reads.context)?;
        let resource = uid(types::DATASET, dataset)?;
        let resource_value = uid_value(&resource);

        // One judge for every slice of this call: Cedar's authorizer would build an evaluator
        // per policy set, and wrap every result in a response. (Built field by field, as
        // `self.trace` is borrowed mutably beside it.)
        let evaluator = Judge {
            env: Env {
                principal: &self.principal_value,
                action: &self.action_value,
                resource: &resource_value,
                context: &context,
                entities: self.entities.as_ref(),
            },
            principal: &self.principal,
            action: &self.action,
            resource: &resource,
            cedar: std::cell::OnceCell::new(),
        };
        let mut parts: BTreeMap<Scope, Fired> = BTreeMap::new();
        for (scope, p) in permits {
            run(&mut self.trace, &self.action, parts.entry(scope).or_default(), &evaluator, p);
        }
        let mut found = Fired::default();
        run(&mut self.trace, &self.action, &mut found, &evaluator, forbids);
        // Local rules are absent from `scope_of`: they belong to this site alone.
        let scope_of = |id: &str| slices.scope_of.get(id).copied().unwrap_or(Scope::Site);
        for id in found.ids {
            parts.entry(scope_of(&id)).or_default().ids.insert(id);
        }
        for (id, error) in found.errors {
            parts.entry(scope_of(&id)).or_default().errors.push((id, error));
        }
        let mut here = parts.remove(&Scope::Site).unwrap_or_default();
        if let Some(l) = local {
            run(&mut self.trace, &self.action, &mut here, &evaluator, l);
        }
        if new_request {
            self.request_memo = Some(parts.remove(&Scope::Request).unwrap_or_default());
        }
        if new_dataset {
            self.dataset_memo.insert(dataset.to_owned(), parts.remove(&Scope::Dataset).unwrap_or_default());
        }
        here.extend(self.request_memo.as_ref().ok_or("request policies not evaluated")?);
        here.extend(self.dataset_memo.get(dataset).ok_or("dataset policies not evaluated")?);
        Ok(here)
    }

    fn reason(
        &self,
        m: &crate::policy::PolicyMeta,
        site: &str,
        dataset: &str,
        df: &DatasetFacts,
        outcome: Outcome,
        error: Option<String>,
    ) -> Reason {
        let mut evidence = Vec::new();
        if let Some(key) = &m.evidence {
            evidence.extend(lookup(&self.facts.notes, key));
            evidence.extend(lookup(&df.notes, key));
            evidence.extend(self.site_evidence(key, site, dataset));
        }
        if let Some(e) = error {
            evidence.push(format!("evaluation error: {e}"));
        }
        Reason {
            outcome,
            requirement: m.requirement.clone(),
            dimension: m.dimension,
            safe: m.safe,
            policy: m.id.clone(),
            local_rule_of: m.member.clone(),
            dataset: Some(dataset.to_owned()),
            message: m.message.clone(),
            evidence,
        }
    }

    /// The region a dataset is restricted to (DUO GS), when the vocabularies define it.
    fn region_of(&self, dataset: &str) -> Option<&'a str> {
        let d = self.bundle.federation.datasets.get(dataset)?;
        d.data_use.as_ref()?.data_use.geographical_restrictions.as_deref()
    }

    fn site_evidence(&self, key: &str, site: &str, dataset: &str) -> Vec<String> {
        let fed = &self.bundle.federation;
        let vocab = &self.bundle.vocab;
        let (Some(m), Some(d)) = (fed.members.get(site), fed.datasets.get(dataset)) else { return Vec::new() };
        match key {
            "site.tier" => vec![format!("site `{site}` is tier {}; dataset `{dataset}` is tier {}", m.tier, d.tier)],
            "site.controls" => {
                let controls: Vec<String> = m.controls.iter().map(|c| vocab.display(c)).collect();
                vec![format!(
                    "site `{site}` declares controls: {}",
                    if controls.is_empty() { "none".to_owned() } else { controls.join(", ") }
                )]
            }
            "site.certification" => vec![match (&m.assessment, m.certified_until) {
                (Some(a), _) if !a.certified => format!(
                    "site `{site}` failed its latest assessment against the blueprint, made for {} (level {}), which withdraws its certification; request day {}",
                    a.assessed_on.iso(),
                    a.conformance,
                    self.facts.today.iso()
                ),
                (Some(a), _) => format!(
                    "site `{site}` certified against the blueprint for {} (level {}), valid until {}; request day {}",
                    a.assessed_on.iso(),
                    a.conformance,
                    a.valid_until.iso(),
                    self.facts.today.iso()
                ),
                (None, Some(u)) => format!(
                    "site `{site}` certification valid until {}; request day {}",
                    u.iso(),
                    self.facts.today.iso()
                ),
                (None, None) => format!("site `{site}` declares no certification"),
            }],
            "site.region" => {
                let region = self.region_of(dataset).map(|r| vocab.display(r)).unwrap_or_default();
                vec![format!(
                    "dataset `{dataset}` may be used only in {region}; site `{site}` is in {}; the researcher is located in {}",
                    vocab.display(&m.country),
                    vocab.display(&self.facts.location)
                )]
            }
            "site.transfer" => {
                let holder_country = fed.members.get(&d.holder).map(|h| vocab.display(&h.country)).unwrap_or_default();
                vec![format!(
                    "dataset `{dataset}` is held in {holder_country}; site `{site}` is in {}",
                    vocab.display(&m.country)
                )]
            }
            _ => Vec::new(),
        }
    }
}

/// Evaluate a slice into `into`, recording what was evaluated in the trace when there is one.
fn run(trace: &mut Option<&mut Trace>, action: &EntityUid, into: &mut Fired, evaluator: &Judge<'_>, slice: &Slice) {
    match trace.as_deref_mut() {
        Some(trace) => {
            let mut fired = Fired::default();
            fired.eval(evaluator, &slice.conditions);
            trace.record(&slice.set, &fired, action);
            into.extend(&fired);
        }
        None => into.eval(evaluator, &slice.conditions),
    }
}

fn lookup(notes: &Notes, key: &str) -> Vec<String> {
    notes.get(key).cloned().unwrap_or_default()
}

fn push(safes: &mut BTreeMap<Safe, SafeDecision>, safe: Safe, reason: Reason) {
    let s = safes.entry(safe).or_insert(SafeDecision { outcome: Outcome::Allow, reasons: Vec::new() });
    s.outcome = s.outcome.max(reason.outcome);
    if !s.reasons.contains(&reason) {
        s.reasons.push(reason);
    }
}

fn duo_name(df: &DatasetFacts) -> &'static str {
    match df.duo.result {
        crate::duo::MatchResult::Approve => "APPROVE",
        crate::duo::MatchResult::Deny => "DENY",
        crate::duo::MatchResult::Abstain => "ABSTAIN",
    }
}

/// An entity of the request, made directly from Cedar values: the attributes are values
/// already, and `ancestors` is closed (see [`closed_entities`]).
fn entity(
    id: &EntityUid,
    attrs: Vec<(&str, CedarValue)>,
    ancestors: impl IntoIterator<Item = EntityUid>,
) -> cedar_policy_core::ast::Entity {
    cedar_policy_core::ast::Entity::new_with_attr_partial_value(
        core_uid(id).clone(),
        attrs.into_iter().map(|(name, v)| (name.into(), cedar_policy_core::ast::PartialValue::Value(v))),
        HashSet::new(),
        ancestors.into_iter().map(|a| core_uid(&a).clone()).collect(),
        [],
    )
}

fn core_uid(id: &EntityUid) -> &cedar_policy_core::ast::EntityUID {
    id.as_ref()
}

/// An entity reference as a Cedar value.
fn uid_value(id: &EntityUid) -> CedarValue {
    CedarValue::from(core_uid(id).clone())
}

/// A bundle entity as Cedar's own.
fn core_entity(e: &Entity) -> cedar_policy_core::ast::Entity {
    AsRef::<cedar_policy_core::ast::Entity>::as_ref(e).clone()
}

fn request_entity_list(
    bundle: &Bundle,
    req: &DecisionRequest,
    facts: &Facts,
    principal: &EntityUid,
    project: &EntityUid,
    options: DecideOptions,
) -> Result<Vec<cedar_policy_core::ast::Entity>, String> {
    let st = &bundle.entities;
    // Only ancestors some policy tests membership in (see `scope::in_targets`).
    let concept_uids = |set: &BTreeSet<String>| -> Result<Vec<EntityUid>, String> {
        set.iter().filter(|c| bundle.policies.tests_membership_in(c)).map(|c| uid(types::CONCEPT, c)).collect()
    };
    let concept = |iri: &str| -> Result<CedarValue, String> { Ok(uid_value(&uid(types::CONCEPT, iri)?)) };
    let mut list = Vec::new();
    let mut concepts: BTreeSet<String> = BTreeSet::new();
    let mut researcher_parents = concept_uids(&facts.researcher_parents)?;
    if let (Some(a), Some((country, for_profit))) = (&req.researcher.affiliation, &facts.affiliation) {
        let org = uid(types::ORGANISATION, a.id.as_deref().unwrap_or(&a.name))?;
        let attrs = vec![("country", concept(country)?), ("forProfit", CedarValue::from(*for_profit))];
        list.push(entity(&org, attrs, []));
        researcher_parents.push(org);
        concepts.insert(country.clone());
    }
    let attrs = vec![
        ("location", concept(&facts.location)?),
        ("identityVerified", CedarValue::from(facts.identity_verified)),
        ("affiliated", CedarValue::from(facts.affiliated)),
    ];
    list.push(entity(principal, attrs, researcher_parents));
    concepts.insert(facts.location.clone());
    let attrs = vec![
        ("identifier", CedarValue::from(req.project.id.trim().to_owned())),
        ("commercial", CedarValue::from(facts.commercial)),
        ("ethicsUntil", CedarValue::from(facts.ethics_until)),
        ("startDay", CedarValue::from(facts.start_day)),
        ("endDay", CedarValue::from(facts.end_day)),
    ];
    list.push(entity(project, attrs, concept_uids(&facts.project_parents)?));
    concepts.insert(facts.output.kind.clone());
    let fed = &bundle.federation;
    let mut members: BTreeSet<&str> = BTreeSet::new();
    for d in facts.datasets.keys() {
        if let (Some(e), Some(ds)) = (st.datasets.get(d), fed.datasets.get(d)) {
            list.push(core_entity(e));
            members.insert(&ds.holder);
            concepts.insert(ds.deidentification.clone());
        }
    }
    if options.all_members {
        members.extend(fed.members.keys().map(String::as_str));
    }
    for m in members {
        if let (Some(e), Some(member)) = (st.members.get(m), fed.members.get(m)) {
            list.push(core_entity(e));
            concepts.insert(member.country.clone());
        }
    }
    list.extend(concepts.iter().filter_map(|c| st.concepts.get(c).map(core_entity)));
    Ok(list)
}

/// The request's entities, whose ancestor sets are already transitively closed: a concept's
/// parents are all its ancestors in the vocabularies (`Vocabulary::ancestors`, then the same
/// filter for every concept), the researcher's and project's are closed sets of concepts plus
/// an organisation that has no parents, a dataset's is its holder and a member has none. So
/// Cedar's transitive closure (most of the cost of building the entities) is not computed
/// again; `entities_are_closed` checks this against Cedar's own closure for every example.
fn closed_entities(list: Vec<cedar_policy_core::ast::Entity>) -> Result<Entities, String> {
    cedar_policy_core::entities::Entities::from_entities(
        list,
        None::<&cedar_policy_core::entities::NoEntitiesSchema>,
        cedar_policy_core::entities::TCComputation::AssumeAlreadyComputed,
        cedar_policy_core::extensions::Extensions::all_available(),
    )
    .map(Entities::from)
    .map_err(|e| e.to_string())
}

/// A record value as a Cedar context.
fn to_context(record: &CedarValue) -> Result<Context, String> {
    match &record.value {
        cedar_policy_core::ast::ValueKind::Record(fields) => {
            Ok(Context::from(cedar_policy_core::ast::Context::Value(fields.clone())))
        }
        _ => Err("the context is not a record".to_owned()),
    }
}

/// Judges the conditions of one (site, dataset): with the compiled program where a policy has
/// one, and with Cedar's evaluator, built on first need, for the rest and wherever a program
/// defers to Cedar (see [`crate::condition`]).
struct Judge<'e> {
    env: Env<'e>,
    principal: &'e EntityUid,
    action: &'e EntityUid,
    resource: &'e EntityUid,
    cedar: std::cell::OnceCell<Result<CedarEvaluator<'e>, String>>,
}

impl<'e> Judge<'e> {
    fn cedar(&self) -> Result<&CedarEvaluator<'e>, String> {
        self.cedar
            .get_or_init(|| {
                let context = to_context(self.env.context)?;
                let request =
                    Request::new(self.principal.clone(), self.action.clone(), self.resource.clone(), context, None)
                        .map_err(|e| format!("could not build the Cedar request: {e}"))?;
                let extensions = cedar_policy_core::extensions::Extensions::all_available();
                Ok(CedarEvaluator::new(request.as_ref().clone(), self.env.entities, extensions))
            })
            .as_ref()
            .map_err(String::clone)
    }

    /// Whether a policy's condition holds, or why it could not be evaluated.
    fn holds(&self, c: &Condition) -> Result<bool, String> {
        if let Some(program) = &c.program
            && let Ok(held) = program.holds(&self.env)
        {
            return Ok(held);
        }
        use cedar_policy_core::ast::{Literal, ValueKind};
        let v = self.cedar()?.interpret(&c.expr, &c.env).map_err(|e| e.to_string())?;
        match v.value_kind() {
            ValueKind::Lit(Literal::Bool(held)) => Ok(*held),
            // A condition is a conjunction, so this cannot happen; if it did, the policy could
            // not be judged, and its Safe is denied.
            _ => Err(format!("the condition is not a boolean: {v}")),
        }
    }
}

fn obligations(bundle: &Bundle, facts: &Facts, members: &[MemberDecision]) -> Vec<Obligation> {
    type Places = (BTreeSet<String>, BTreeSet<String>);
    let mut out: BTreeMap<(String, Option<String>), (Obligation, Places)> = BTreeMap::new();
    let new = |term: &str, code: &str, label: &str, detail: Option<String>| Obligation {
        term: term.to_owned(),
        code: code.to_owned(),
        label: label.to_owned(),
        detail,
        datasets: Vec::new(),
        members: Vec::new(),
    };
    let permits: Vec<(&String, &crate::policy::PolicyMeta)> = bundle
        .policies
        .meta
        .values()
        .filter(|p| p.effect == Effect::Permit)
        .filter_map(|p| p.obligation.as_ref().map(|t| (t, p)))
        .collect();
    for m in members.iter().filter(|m| m.outcome != Outcome::Deny) {
        for d in &m.datasets {
            let Some(df) = facts.datasets.get(d) else { continue };
            for o in &df.duo.obligations {
                let (_, (datasets, members)) = out
                    .entry((o.term.clone(), o.detail.clone()))
                    .or_insert_with(|| (new(&o.term, &o.code, &o.label, o.detail.clone()), Places::default()));
                datasets.insert(d.clone());
                members.insert(m.member.clone());
            }
        }
        for (term, meta) in &permits {
            let (_, (_, members)) = out
                .entry(((*term).clone(), None))
                .or_insert_with(|| (new(term, &meta.id, &meta.message, None), Places::default()));
            members.insert(m.member.clone());
        }
        // An export the holder of a dataset releases only with an output checker's sign-off,
        // when no checker has signed it off yet.
        if facts.output.export && facts.output.checkers < 1 {
            let fed = &bundle.federation;
            for d in &m.datasets {
                let Some(holder) = fed.datasets.get(d).and_then(|ds| fed.members.get(&ds.holder)) else { continue };
                if !holder.output_sign_off {
                    continue;
                }
                let term = format!("{}OutputCheckerSignOff", crate::rdf::ns::FS);
                let detail = format!("by an output checker of `{}`", holder.id);
                let label = bundle.vocab.label(&term).unwrap_or("Output checker sign-off").to_owned();
                let (_, (datasets, members)) = out
                    .entry((term.clone(), Some(detail.clone())))
                    .or_insert_with(|| (new(&term, "SIGN-OFF", &label, Some(detail)), Places::default()));
                datasets.insert(d.clone());
                members.insert(m.member.clone());
            }
        }
    }
    out.into_values()
        .map(|(mut o, (datasets, members))| {
            o.datasets = datasets.into_iter().collect();
            o.members = members.into_iter().collect();
            o
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]
    use super::*;
    use crate::embedded;

    fn corpus() -> Vec<(String, DecisionRequest)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/requests");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).expect("corpus dir") {
            let path = entry.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".expect.json") || !name.ends_with(".json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read");
            if let Ok(req) = DecisionRequest::from_json(&text) {
                out.push((name, req));
            }
        }
        assert!(out.len() >= 25, "the corpus is there");
        out
    }

    /// The corpus, and each request again asking for every dataset of the federation, so that
    /// datasets differing in tier, conditions and approvals meet in one request.
    fn corpus_and_every_dataset(bundle: &Bundle) -> Vec<(String, DecisionRequest)> {
        let mut cases = corpus();
        for (name, req) in cases.clone() {
            let mut all = req.clone();
            all.datasets = bundle
                .federation
                .datasets
                .values()
                .map(|d| crate::request::RequestedDataset {
                    id: d.id.clone(),
                    variables: d.variables.iter().take(2).cloned().collect(),
                })
                .collect();
            cases.push((format!("{name} (every dataset)"), all));
        }
        cases
    }

    /// Every policy of the embedded bundle is compiled, and for every corpus request (and the
    /// same asking for every dataset), at every site and dataset, with the whole context, each
    /// compiled condition gives what Cedar's evaluator gives: the same boolean where Cedar
    /// evaluates it, and a deferral to Cedar exactly where Cedar reports an error.
    #[test]
    fn compiled_conditions_agree_with_cedar() {
        use crate::condition::AskCedar;
        use cedar_policy_core::ast::{Literal, ValueKind};
        let bundle = Bundle::load(&embedded::default_sources()).expect("bundle");
        let options = DecideOptions { all_members: true };
        let slices = &bundle.policies.slices;
        let mut by_id: BTreeMap<&str, &Condition> = BTreeMap::new();
        for m in bundle.federation.members.keys() {
            let of = slices.of(m);
            for slice in [&of.from_request, &of.from_dataset, &of.site] {
                by_id.extend(slice.conditions.iter().map(|c| (c.id.as_str(), c)));
            }
        }
        for slice in slices.permits.values().chain(slices.local.values()) {
            by_id.extend(slice.conditions.iter().map(|c| (c.id.as_str(), c)));
        }
        assert_eq!(by_id.len(), bundle.policies.meta.len(), "every policy is in a slice");
        let conditions: Vec<&Condition> = by_id.into_values().collect();
        let uncompiled: Vec<&str> = conditions.iter().filter(|c| c.program.is_none()).map(|c| c.id.as_str()).collect();
        assert!(uncompiled.is_empty(), "not compiled: {uncompiled:?}");
        let cases = corpus_and_every_dataset(&bundle);
        let (mut agreed, mut deferred) = (0, 0);
        for (name, req) in cases {
            let Ok(facts) = Facts::establish(&bundle, &req) else { continue };
            let evaluator = Evaluator::new(&bundle, &req, &facts, options).expect("evaluator");
            for (site, _, datasets) in evaluator.sites() {
                for d in &datasets {
                    let df = facts.datasets.get(d).expect("facts");
                    let context = evaluator.context_value(site, d, df, &ContextReads::Whole).expect("context");
                    let resource = uid(types::DATASET, d).expect("uid");
                    let resource_value = uid_value(&resource);
                    let judge = Judge {
                        env: Env {
                            principal: &evaluator.principal_value,
                            action: &evaluator.action_value,
                            resource: &resource_value,
                            context: &context,
                            entities: evaluator.entities.as_ref(),
                        },
                        principal: &evaluator.principal,
                        action: &evaluator.action,
                        resource: &resource,
                        cedar: std::cell::OnceCell::new(),
                    };
                    let cedar = judge.cedar().expect("Cedar evaluator");
                    for c in &conditions {
                        let program = c.program.as_ref().expect("compiled");
                        let fast = program.holds(&judge.env);
                        let slow = cedar.interpret(&c.expr, &c.env).map(|v| match v.value_kind() {
                            ValueKind::Lit(Literal::Bool(b)) => *b,
                            _ => panic!("{name}: `{}` is not boolean", c.id),
                        });
                        match (fast, slow) {
                            (Ok(a), Ok(b)) => {
                                assert_eq!(a, b, "{name}: `{}` at {site} on {d}", c.id);
                                agreed += 1;
                            }
                            (Err(AskCedar), Err(_)) => deferred += 1,
                            (fast, slow) => panic!("{name}: `{}` at {site} on {d}: {fast:?} vs {slow:?}", c.id),
                        }
                    }
                }
            }
        }
        assert!(agreed > 10_000, "{agreed} evaluations compared");
        // Where Cedar reports an error the decision reports Cedar's own (see `condition`'s tests).
        eprintln!("{agreed} agreed, {deferred} deferred to Cedar");
    }

    /// Sliced evaluation (request slice once, dataset slice once per dataset) fires exactly the
    /// policies that evaluating the member's whole set for every (site, dataset) fires.
    #[test]
    fn slices_fire_what_whole_sets_fire() {
        let bundle = Bundle::load(&embedded::default_sources()).expect("bundle");
        let options = DecideOptions { all_members: true };
        let mut compared = 0;
        let authorizer = Authorizer::new();
        let cases = corpus_and_every_dataset(&bundle);
        for (name, req) in cases {
            let Ok(facts) = Facts::establish(&bundle, &req) else { continue };
            let mut evaluator = Evaluator::new(&bundle, &req, &facts, options).expect("evaluator");
            for (site, _, datasets) in evaluator.sites() {
                for d in &datasets {
                    let df = facts.datasets.get(d).expect("facts");
                    let ctx = evaluator.context(site, d, df, &ContextReads::Whole).expect("context");
                    let request = Request::new(
                        evaluator.principal.clone(),
                        evaluator.action.clone(),
                        uid(types::DATASET, d).expect("uid"),
                        ctx,
                        None,
                    )
                    .expect("request");
                    let mut whole = Fired::default();
                    let set = bundle.policies.for_member(site);
                    let permits =
                        PolicySet::from_policies(set.policies().filter(|p| p.effect() == Effect::Permit).cloned())
                            .expect("permits");
                    let forbids =
                        PolicySet::from_policies(set.policies().filter(|p| p.effect() == Effect::Forbid).cloned())
                            .expect("forbids");
                    whole.run(&authorizer, &request, &permits, &evaluator.entities);
                    whole.run(&authorizer, &request, &forbids, &evaluator.entities);
                    let holder = &bundle.federation.datasets.get(d).expect("dataset").holder;
                    if holder != site
                        && let Some(local) = bundle.policies.local_only.get(holder)
                    {
                        whole.run(&authorizer, &request, local, &evaluator.entities);
                    }
                    let mut sliced = evaluator.fire(site, d, df).expect("fires");
                    whole.errors.sort();
                    sliced.errors.sort();
                    assert_eq!(whole.ids, sliced.ids, "{name}: {d} at {site}");
                    assert_eq!(whole.errors, sliced.errors, "{name}: {d} at {site}");
                    compared += 1;
                }
            }
        }
        assert!(compared > 100, "compared {compared} (site, dataset) pairs");
    }

    /// The request's entities are built without Cedar's transitive closure: every ancestor
    /// set is already closed, so each entity has exactly the ancestors Cedar would compute.
    #[test]
    fn entities_are_closed() {
        let bundle = Bundle::load(&embedded::default_sources()).expect("bundle");
        let mut checked = 0;
        for (name, req) in corpus() {
            let Ok(facts) = Facts::establish(&bundle, &req) else { continue };
            for all_members in [false, true] {
                let options = DecideOptions { all_members };
                let principal = uid(types::RESEARCHER, &req.researcher.id).expect("uid");
                let project = uid(types::PROJECT, &req.project.id).expect("uid");
                let list = request_entity_list(&bundle, &req, &facts, &principal, &project, options).expect("list");
                let computed =
                    Entities::from_entities(list.iter().cloned().map(Entity::from), None).expect("Cedar's closure");
                let closed = closed_entities(list).expect("closed");
                assert_eq!(computed.iter().count(), closed.iter().count(), "{name}");
                for e in computed.iter() {
                    let ancestors = |of: &Entities| -> BTreeSet<String> {
                        of.ancestors(&e.uid()).expect("entity").map(ToString::to_string).collect()
                    };
                    assert_eq!(ancestors(&computed), ancestors(&closed), "{name}: {}", e.uid());
                    checked += 1;
                }
            }
        }
        assert!(checked > 200, "checked {checked} entities");
    }

    /// Every field of the decision context has a scope in `scope::CONTEXT_FIELDS`.
    #[test]
    fn every_context_field_has_a_scope() {
        let text = include_str!("../../../policies/schema.cedarschema");
        let (fragment, _) = cedar_policy::SchemaFragment::from_cedarschema_str(text).expect("schema parses");
        let json = fragment.to_json_value().expect("schema as JSON");
        let attributes = json
            .pointer("//commonTypes/DecisionContext/attributes")
            .and_then(serde_json::Value::as_object)
            .expect("DecisionContext in the schema");
        let fields: Vec<&String> = attributes.keys().collect();
        assert!(fields.len() >= 5, "parsed {fields:?}");
        for f in &fields {
            assert!(
                crate::scope::CONTEXT_FIELDS.iter().any(|(name, _)| name == f),
                "context field `{f}` has no scope in scope::CONTEXT_FIELDS"
            );
        }
    }
}
