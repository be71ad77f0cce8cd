//! The Five Safes decision: for every member TRE in scope and every Safe, allow / review / deny
//! with every reason, the obligations of a permit and where the analysis may run.

use crate::blueprint::{Dimension, Safe};
use crate::bundle::{Bundle, types, uid};
use crate::error::RequestError;
use crate::evidence::{DatasetFacts, Facts, Notes};
use crate::policy::Outcome;
use crate::request::DecisionRequest;
use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Effect, Entities, Entity, EntityUid, Request, RestrictedExpression,
};
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
        Decision {
            decision: Outcome::Deny,
            action: None,
            day: None,
            request_hash,
            bundle: bundle_ref(bundle),
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

fn bundle_ref(bundle: &Bundle) -> BundleRef {
    BundleRef {
        federation: bundle.federation.iri.clone(),
        version: bundle.federation.version.clone(),
        blueprint_version: bundle.blueprint.version.clone(),
        hash: bundle.hash.clone(),
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
    let facts = Facts::establish(bundle, req)?;
    let hash = request_hash(req);
    let evaluator = match Evaluator::new(bundle, req, &facts, options) {
        Ok(e) => e,
        Err(message) => return Ok(Decision::failed(bundle, Some(hash), message)),
    };
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
    let runs_at: Vec<String> =
        members.iter().filter(|m| m.outcome == Outcome::Allow).map(|m| m.member.clone()).collect();
    let decision = if !errors.is_empty() || members.is_empty() {
        Outcome::Deny
    } else if options.all_members {
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
    let obligations = obligations(bundle, &facts, &members);
    Ok(Decision {
        decision,
        action: Some(req.action.name().to_owned()),
        day: Some(facts.today.iso()),
        request_hash: Some(hash),
        bundle: bundle_ref(bundle),
        all_members: options.all_members,
        members,
        runs_at,
        obligations,
        errors,
    })
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
            let ctx = evaluator.context(site, &d, df)?;
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

/// Everything that is the same for every Cedar call of one request.
struct Evaluator<'a> {
    bundle: &'a Bundle,
    facts: &'a Facts,
    options: DecideOptions,
    entities: Entities,
    principal: EntityUid,
    action: EntityUid,
    project: EntityUid,
    authorizer: Authorizer,
}

impl<'a> Evaluator<'a> {
    fn new(
        bundle: &'a Bundle,
        req: &'a DecisionRequest,
        facts: &'a Facts,
        options: DecideOptions,
    ) -> Result<Self, String> {
        let principal = uid(types::RESEARCHER, &req.researcher.id)?;
        let project = uid(types::PROJECT, &req.project.id)?;
        let action = uid(types::ACTION, req.action.name())?;
        let entities = request_entities(bundle, req, facts, &principal, &project, options)?;
        Ok(Evaluator { bundle, facts, options, entities, principal, action, project, authorizer: Authorizer::new() })
    }

    /// (member, role, datasets) to evaluate, in member id order.
    fn sites(&self) -> Vec<(&'a str, MemberRole, Vec<String>)> {
        let requested: Vec<&String> = self.facts.datasets.keys().collect();
        let fed = &self.bundle.federation;
        let held_by = |m: &str| -> Vec<String> {
            requested
                .iter()
                .filter(|d| fed.datasets.get(d.as_str()).is_some_and(|ds| ds.holder == m))
                .map(|d| (*d).clone())
                .collect()
        };
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

    fn context(&self, site: &str, dataset: &str, df: &DatasetFacts) -> Result<Context, String> {
        let f = self.facts;
        let strings = |items: &mut dyn Iterator<Item = &String>| {
            RestrictedExpression::new_set(
                items.map(|s| RestrictedExpression::new_string(s.clone())).collect::<Vec<_>>(),
            )
        };
        let ds_unknown =
            self.bundle.federation.datasets.get(dataset).map(|d| d.unknown_terms.clone()).unwrap_or_default();
        let record = |pairs: Vec<(&str, RestrictedExpression)>| {
            RestrictedExpression::new_record(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)))
                .map_err(|e| e.to_string())
        };
        let (kind, sdc, checkers) = &f.output;
        let pairs = vec![
            ("project".to_owned(), RestrictedExpression::new_entity_uid(self.project.clone())),
            ("site".to_owned(), RestrictedExpression::new_entity_uid(uid(types::MEMBER, site)?)),
            ("today".to_owned(), RestrictedExpression::new_long(f.today.number())),
            (
                "dac".to_owned(),
                record(vec![
                    ("until", RestrictedExpression::new_long(df.dac_until)),
                    ("variables", strings(&mut df.dac_variables.iter())),
                    ("linkage", RestrictedExpression::new_bool(df.dac_linkage)),
                ])?,
            ),
            ("requestedVariables".to_owned(), strings(&mut df.requested_variables.iter())),
            ("linkage".to_owned(), RestrictedExpression::new_bool(f.linkage)),
            ("duo".to_owned(), RestrictedExpression::new_string(duo_name(df).to_owned())),
            (
                "unknownTerms".to_owned(),
                record(vec![
                    ("people", strings(&mut f.unknown_people.iter())),
                    ("projects", strings(&mut f.unknown_projects.iter().chain(ds_unknown.iter()))),
                    ("outputs", strings(&mut f.unknown_outputs.iter())),
                ])?,
            ),
            (
                "output".to_owned(),
                record(vec![
                    ("kind", RestrictedExpression::new_entity_uid(uid(types::CONCEPT, kind)?)),
                    ("sdc", RestrictedExpression::new_string(sdc.name().to_owned())),
                    ("checkers", RestrictedExpression::new_long(*checkers)),
                ])?,
            ),
        ];
        Context::from_pairs(pairs).map_err(|e| e.to_string())
    }

    /// Evaluate one dataset at one site and fold the result into the Safes.
    fn evaluate(&self, site: &str, dataset: &str, safes: &mut BTreeMap<Safe, SafeDecision>, errors: &mut Vec<String>) {
        let Some(df) = self.facts.datasets.get(dataset) else { return };
        let deny_all = |safes: &mut BTreeMap<Safe, SafeDecision>, errors: &mut Vec<String>, message: String| {
            errors.push(message.clone());
            for s in safes.values_mut() {
                s.outcome = Outcome::Deny;
            }
        };
        let request = match self.context(site, dataset, df).and_then(|ctx| {
            let resource = uid(types::DATASET, dataset)?;
            Request::new(self.principal.clone(), self.action.clone(), resource, ctx, None).map_err(|e| e.to_string())
        }) {
            Ok(r) => r,
            Err(e) => {
                return deny_all(
                    safes,
                    errors,
                    format!("could not build the Cedar request for `{dataset}` at `{site}`: {e}"),
                );
            }
        };
        let policies = self.bundle.policies.for_member(site);
        let response = self.authorizer.is_authorized(&request, policies, &self.entities);
        let mut fired: BTreeSet<String> = response.diagnostics().reason().map(|p| p.to_string()).collect();
        let errored: Vec<(String, String)> = response
            .diagnostics()
            .errors()
            .map(|e| match e {
                cedar_policy::AuthorizationError::PolicyEvaluationError(p) => {
                    (p.policy_id().to_string(), p.inner().to_string())
                }
            })
            .collect();
        if response.decision() == CedarDecision::Deny {
            // Which permits hold is not in a deny's reasons; ask the permits alone.
            let permits = self.authorizer.is_authorized(&request, &self.bundle.policies.permits, &self.entities);
            fired.extend(permits.diagnostics().reason().map(|p| p.to_string()));
        }
        // The holder's own rules follow its data to any other site (members only restrict).
        let holder = self.bundle.federation.datasets.get(dataset).map(|d| d.holder.as_str());
        let mut errored = errored;
        if let Some(local) = holder.filter(|h| *h != site).and_then(|h| self.bundle.policies.local_only.get(h)) {
            let extra = self.authorizer.is_authorized(&request, local, &self.entities);
            fired.extend(extra.diagnostics().reason().map(|p| p.to_string()));
            errored.extend(extra.diagnostics().errors().map(|e| match e {
                cedar_policy::AuthorizationError::PolicyEvaluationError(p) => {
                    (p.policy_id().to_string(), p.inner().to_string())
                }
            }));
        }
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
            "site.certification" => vec![match m.certified_until {
                Some(u) => format!(
                    "site `{site}` certification valid until {}; request day {}",
                    u.iso(),
                    self.facts.today.iso()
                ),
                None => format!("site `{site}` declares no certification"),
            }],
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

fn request_entities(
    bundle: &Bundle,
    req: &DecisionRequest,
    facts: &Facts,
    principal: &EntityUid,
    project: &EntityUid,
    options: DecideOptions,
) -> Result<Entities, String> {
    let st = &bundle.entities;
    let concept_uids = |set: &BTreeSet<String>| -> Result<HashSet<EntityUid>, String> {
        set.iter().map(|c| uid(types::CONCEPT, c)).collect()
    };
    let mut list: Vec<Entity> = Vec::new();
    let mut concepts: BTreeSet<String> = BTreeSet::new();
    let mut researcher_parents = concept_uids(&facts.researcher_parents)?;
    if let (Some(a), Some((country, for_profit))) = (&req.researcher.affiliation, &facts.affiliation) {
        let org = uid(types::ORGANISATION, a.id.as_deref().unwrap_or(&a.name))?;
        let attrs = HashMap::from([
            ("country".to_owned(), RestrictedExpression::new_entity_uid(uid(types::CONCEPT, country)?)),
            ("forProfit".to_owned(), RestrictedExpression::new_bool(*for_profit)),
        ]);
        list.push(Entity::new(org.clone(), attrs, HashSet::new()).map_err(|e| e.to_string())?);
        researcher_parents.insert(org);
        concepts.insert(country.clone());
    }
    let attrs = HashMap::from([
        ("location".to_owned(), RestrictedExpression::new_entity_uid(uid(types::CONCEPT, &facts.location)?)),
        ("identityVerified".to_owned(), RestrictedExpression::new_bool(facts.identity_verified)),
        ("affiliated".to_owned(), RestrictedExpression::new_bool(facts.affiliated)),
    ]);
    list.push(Entity::new(principal.clone(), attrs, researcher_parents).map_err(|e| e.to_string())?);
    concepts.insert(facts.location.clone());
    let attrs = HashMap::from([
        ("identifier".to_owned(), RestrictedExpression::new_string(req.project.id.trim().to_owned())),
        ("commercial".to_owned(), RestrictedExpression::new_bool(facts.commercial)),
        ("ethicsUntil".to_owned(), RestrictedExpression::new_long(facts.ethics_until)),
        ("startDay".to_owned(), RestrictedExpression::new_long(facts.start_day)),
        ("endDay".to_owned(), RestrictedExpression::new_long(facts.end_day)),
    ]);
    list.push(Entity::new(project.clone(), attrs, concept_uids(&facts.project_parents)?).map_err(|e| e.to_string())?);
    concepts.insert(facts.output.0.clone());
    let fed = &bundle.federation;
    let mut members: BTreeSet<&str> = BTreeSet::new();
    for d in facts.datasets.keys() {
        if let (Some(e), Some(ds)) = (st.datasets.get(d), fed.datasets.get(d)) {
            list.push(e.clone());
            members.insert(&ds.holder);
            concepts.insert(ds.deidentification.clone());
        }
    }
    if options.all_members {
        members.extend(fed.members.keys().map(String::as_str));
    }
    for m in members {
        if let (Some(e), Some(member)) = (st.members.get(m), fed.members.get(m)) {
            list.push(e.clone());
            concepts.insert(member.country.clone());
        }
    }
    list.extend(concepts.iter().filter_map(|c| st.concepts.get(c).cloned()));
    Entities::from_entities(list, None).map_err(|e| e.to_string())
}

fn obligations(bundle: &Bundle, facts: &Facts, members: &[MemberDecision]) -> Vec<Obligation> {
    let mut out: BTreeMap<(String, Option<String>), Obligation> = BTreeMap::new();
    for m in members.iter().filter(|m| m.outcome != Outcome::Deny) {
        for d in &m.datasets {
            let Some(df) = facts.datasets.get(d) else { continue };
            for o in &df.duo.obligations {
                let entry = out.entry((o.term.clone(), o.detail.clone())).or_insert_with(|| Obligation {
                    term: o.term.clone(),
                    code: o.code.clone(),
                    label: o.label.clone(),
                    detail: o.detail.clone(),
                    datasets: Vec::new(),
                    members: Vec::new(),
                });
                add_unique(&mut entry.datasets, d);
                add_unique(&mut entry.members, &m.member);
            }
        }
        for meta in bundle.policies.meta.values().filter(|p| p.effect == Effect::Permit) {
            let Some(term) = &meta.obligation else { continue };
            let entry = out.entry((term.clone(), None)).or_insert_with(|| Obligation {
                term: term.clone(),
                code: meta.id.clone(),
                label: meta.message.clone(),
                detail: None,
                datasets: Vec::new(),
                members: Vec::new(),
            });
            add_unique(&mut entry.members, &m.member);
        }
    }
    out.into_values().collect()
}

fn add_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_owned());
        list.sort();
    }
}
