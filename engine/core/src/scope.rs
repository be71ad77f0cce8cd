//! What a policy's result can vary with inside one request. A decision makes one Cedar
//! evaluation per (site, dataset); most policies read only the researcher and the project, some
//! read the dataset, few read the site. Knowing which, found from each policy's syntax tree when
//! the bundle loads, lets the engine evaluate a policy once per request, once per dataset or once
//! per (site, dataset) and reach exactly the answer evaluating everything every time would.

use crate::error::BundleError;
use crate::policy::cedar_set_error;
use cedar_policy::{Effect, Policy, PolicySet};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The smallest unit of a request a policy's result is the same across.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Reads only the researcher, the project, the action and the day.
    Request,
    /// Also reads the dataset (`resource`) or context fields that differ per dataset.
    Dataset,
    /// Also reads the site where the analysis would run, or the context as a whole.
    Site,
}

/// The scope of each field of the decision context. This table and the context the engine
/// builds (`decision.rs`) must agree; a field missing here counts as [`Scope::Site`], the
/// safe default, and a test checks every schema field is listed.
pub(crate) const CONTEXT_FIELDS: &[(&str, Scope)] = &[
    ("project", Scope::Request),
    ("today", Scope::Request),
    ("linkage", Scope::Request),
    ("dac", Scope::Dataset),
    // Safe Outputs is judged under the risk appetite of the dataset's holder.
    ("output", Scope::Dataset),
    ("requestedVariables", Scope::Dataset),
    ("duo", Scope::Dataset),
    // `unknownTerms.projects` includes the dataset's own unknown terms.
    ("unknownTerms", Scope::Dataset),
    ("site", Scope::Site),
    ("region", Scope::Site),
];

fn context_field(attr: &str) -> Scope {
    CONTEXT_FIELDS.iter().find(|(name, _)| *name == attr).map(|(_, s)| *s).unwrap_or(Scope::Site)
}

/// Which fields of the decision context a set of policies reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextReads {
    /// These fields only: a context without the others gives the same result.
    Fields(BTreeSet<String>),
    /// The context as a whole (or in a way not understood).
    Whole,
}

impl Default for ContextReads {
    fn default() -> Self {
        ContextReads::Fields(BTreeSet::new())
    }
}

impl ContextReads {
    /// Whether a field must be in the context.
    pub fn includes(&self, field: &str) -> bool {
        match self {
            ContextReads::Fields(f) => f.contains(field),
            ContextReads::Whole => true,
        }
    }
}

/// What a policy (or a set of policies) reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reads {
    /// The smallest unit of a request its result is the same across.
    pub scope: Scope,
    /// The context fields it reads.
    pub context: ContextReads,
}

impl Default for Reads {
    fn default() -> Self {
        Reads { scope: Scope::Request, context: ContextReads::default() }
    }
}

impl Reads {
    /// What two policies read together.
    pub fn merge(&mut self, other: &Reads) {
        self.scope = self.scope.max(other.scope);
        match (&mut self.context, &other.context) {
            (ContextReads::Fields(mine), ContextReads::Fields(theirs)) => mine.extend(theirs.iter().cloned()),
            (mine, _) => *mine = ContextReads::Whole,
        }
    }

    fn unknown(&mut self) {
        self.scope = Scope::Site;
        self.context = ContextReads::Whole;
    }

    fn field(&mut self, attr: &str) {
        self.scope = self.scope.max(context_field(attr));
        if let ContextReads::Fields(f) = &mut self.context {
            f.insert(attr.to_owned());
        }
    }
}

/// What a policy given as Cedar's JSON form (`Policy::to_json`) reads. Anything not understood
/// counts as reading the whole context at [`Scope::Site`], so an unexpected shape costs speed,
/// never correctness.
pub fn of_policy_json(policy: &Value) -> Reads {
    let mut reads = Reads::default();
    match policy.get("resource").and_then(|r| r.get("op")).and_then(Value::as_str) {
        Some("All") => {}
        _ => reads.scope = Scope::Dataset,
    }
    match policy.get("conditions") {
        Some(Value::Array(conditions)) => {
            for c in conditions {
                match c.get("body") {
                    Some(body) => walk(body, &mut reads),
                    None => reads.unknown(),
                }
            }
        }
        None => {}
        Some(_) => reads.unknown(),
    }
    reads
}

fn walk(e: &Value, reads: &mut Reads) {
    match e {
        Value::Object(map) => {
            if let Some(var) = map.get("Var") {
                match var.as_str() {
                    Some("principal" | "action") => {}
                    Some("resource") => reads.scope = reads.scope.max(Scope::Dataset),
                    _ => reads.unknown(),
                }
                return;
            }
            for op in [".", "has"] {
                if let Some(access) = map.get(op)
                    && access.get("left").and_then(|l| l.get("Var")).and_then(Value::as_str) == Some("context")
                {
                    match access.get("attr").and_then(Value::as_str) {
                        Some(attr) => reads.field(attr),
                        None => reads.unknown(),
                    }
                    return;
                }
            }
            map.values().for_each(|v| walk(v, reads));
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, reads)),
        _ => {}
    }
}

/// Policies of one kind, with what they read together: the context built to evaluate them
/// holds only those fields.
#[derive(Debug, Clone, Default)]
pub struct Slice {
    /// The policies.
    pub set: PolicySet,
    /// What they read.
    pub reads: Reads,
    /// Each policy's condition (its scope and body as one Cedar expression), built once here
    /// rather than by Cedar on every evaluation.
    pub conditions: Vec<Condition>,
}

/// A policy of a [`Slice`], ready to evaluate.
#[derive(Debug, Clone)]
pub struct Condition {
    /// The policy's id.
    pub id: String,
    /// Its scope and conditions as one expression (`cedar_policy_core`'s `Policy::condition`).
    pub expr: cedar_policy_core::ast::Expr,
    /// Its slots' values (none for a static policy).
    pub env: cedar_policy_core::ast::SlotEnv,
    /// The condition compiled, when it is written in the part of Cedar that
    /// [`crate::condition`] compiles and has no slots.
    pub program: Option<crate::condition::Program>,
}

impl Condition {
    fn of(policy: &Policy) -> Condition {
        let ast: &cedar_policy_core::ast::Policy = policy.as_ref();
        let expr = ast.condition();
        let program = if ast.env().is_empty() { crate::condition::Program::compile(&expr) } else { None };
        Condition { id: policy.id().to_string(), expr, env: ast.env().clone(), program }
    }
}

impl Slice {
    fn add(&mut self, policy: &Policy, reads: &Reads, file: &str) -> Result<(), BundleError> {
        self.reads.merge(reads);
        self.set.add(policy.clone()).map_err(|e| cedar_set_error(file, &e))?;
        self.conditions.push(Condition::of(policy));
        Ok(())
    }

    fn union(&self, other: &Slice, file: &str) -> Result<Slice, BundleError> {
        let mut out = self.clone();
        out.reads.merge(&other.reads);
        for p in other.set.policies() {
            out.set.add(p.clone()).map_err(|e| cedar_set_error(file, &e))?;
            out.conditions.push(Condition::of(p));
        }
        Ok(out)
    }
}

/// The forbids to evaluate at a (site, dataset) of one member, by what is already known: the
/// first evaluation of a request runs every forbid, the first at a new dataset those that read
/// the dataset or the site, any other only those that read the site. Each set includes the
/// member's own local rules, which are never shared between sites.
#[derive(Debug, Clone, Default)]
pub struct MemberSlices {
    /// Forbids of every scope.
    pub from_request: Slice,
    /// Forbids that read the dataset or the site.
    pub from_dataset: Slice,
    /// Forbids that read the site.
    pub site: Slice,
}

/// The bundle's policies grouped by [`Scope`]. A forbid's result is shared across the unit its
/// scope names (the request, a dataset), so it is evaluated once per unit; a test checks this
/// fires exactly what evaluating a member's whole set for every (site, dataset) fires. Permits
/// are kept apart from forbids: they are the baseline's alone and the same at every member,
/// while a member's forbids include its local rules.
#[derive(Debug, Clone, Default)]
pub struct Slices {
    /// Baseline permits by scope.
    pub permits: BTreeMap<Scope, Slice>,
    /// Per member, the forbids to evaluate.
    pub members: BTreeMap<String, MemberSlices>,
    /// The forbids for a member the bundle does not know (baseline only).
    pub baseline: MemberSlices,
    /// Per member: its local rules alone, which follow its data to other sites.
    pub local: BTreeMap<String, Slice>,
    /// Each baseline forbid's scope (local rules are absent: they are per site).
    pub scope_of: HashMap<String, Scope>,
}

impl Slices {
    /// Group a baseline and the members' local rules (forbids only).
    /// `trees` holds every policy's JSON form (see [`trees`]).
    pub fn new(
        base: &PolicySet,
        local_only: &BTreeMap<String, PolicySet>,
        trees: &HashMap<String, Value>,
    ) -> Result<Slices, BundleError> {
        let mut slices = Slices::default();
        let mut forbids: BTreeMap<Scope, Slice> = BTreeMap::new();
        for policy in base.policies() {
            let reads = reads_of(policy, trees)?;
            let by_scope = if policy.effect() == Effect::Permit { &mut slices.permits } else { &mut forbids };
            by_scope.entry(reads.scope).or_default().add(policy, &reads, "policies/")?;
            if policy.effect() == Effect::Forbid {
                slices.scope_of.insert(policy.id().to_string(), reads.scope);
            }
        }
        let part = |s: Scope| forbids.get(&s).cloned().unwrap_or_default();
        let site = part(Scope::Site);
        let from_dataset = part(Scope::Dataset).union(&site, "policies/")?;
        let from_request = part(Scope::Request).union(&from_dataset, "policies/")?;
        slices.baseline = MemberSlices { from_request, from_dataset, site };
        for (member, own) in local_only {
            let mut local = Slice::default();
            for policy in own.policies() {
                local.add(policy, &reads_of(policy, trees)?, member)?;
            }
            let b = &slices.baseline;
            let m = MemberSlices {
                from_request: b.from_request.union(&local, member)?,
                from_dataset: b.from_dataset.union(&local, member)?,
                site: b.site.union(&local, member)?,
            };
            slices.members.insert(member.clone(), m);
            slices.local.insert(member.clone(), local);
        }
        Ok(slices)
    }

    /// The forbids of a member (the baseline's for a member the bundle does not know).
    pub fn of(&self, member: &str) -> &MemberSlices {
        self.members.get(member).unwrap_or(&self.baseline)
    }
}

fn reads_of(policy: &Policy, trees: &HashMap<String, Value>) -> Result<Reads, BundleError> {
    trees.get(&policy.id().to_string()).map(of_policy_json).ok_or_else(|| BundleError::Policy {
        file: "policies/".to_owned(),
        policy: policy.id().to_string(),
        message: "the policy's syntax tree is missing".to_owned(),
        help: None,
    })
}

/// The concepts the policies test membership in (`x in Concept::"..."`), when every `in` of
/// every policy has literal entities on its right. An entity's ancestors matter to Cedar only
/// through `in`, so ancestors outside this set can be left out of the entities of a request
/// without changing any result, and Cedar's per-request hierarchy work shrinks with them.
/// `None` when some `in` has a computed right side: then every ancestor must stay.
pub fn in_targets<'a>(trees: impl IntoIterator<Item = &'a Value>) -> Option<BTreeSet<String>> {
    let mut targets = BTreeSet::new();
    for json in trees {
        if !literal_ins(json, &mut targets) {
            return None;
        }
    }
    Some(targets)
}

/// Collect every `Concept` literal; false if an `in` has a right side that is not literal.
fn literal_ins(v: &Value, targets: &mut BTreeSet<String>) -> bool {
    match v {
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("Concept")
                && let Some(id) = map.get("id").and_then(Value::as_str)
            {
                targets.insert(id.to_owned());
            }
            if let Some(inside) = map.get("in").and_then(|i| i.get("right"))
                && !is_literal(inside)
            {
                return false;
            }
            map.values().all(|x| literal_ins(x, targets))
        }
        Value::Array(items) => items.iter().all(|x| literal_ins(x, targets)),
        _ => true,
    }
}

fn is_literal(e: &Value) -> bool {
    match e {
        Value::Object(map) if map.len() == 1 => match (map.get("Value"), map.get("Set")) {
            (Some(_), _) => true,
            (_, Some(Value::Array(items))) => items.iter().all(is_literal),
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, reason = "tests")]
    use super::*;
    use cedar_policy::Policy;
    use std::str::FromStr;

    fn scope(text: &str) -> Scope {
        let p = Policy::from_str(text).expect("policy parses");
        of_policy_json(&p.to_json().expect("json")).scope
    }

    fn fields(text: &str) -> ContextReads {
        let p = Policy::from_str(text).expect("policy parses");
        of_policy_json(&p.to_json().expect("json")).context
    }

    #[test]
    fn in_targets_are_the_literal_concepts() {
        let ps = |texts: &[&str]| -> Vec<Value> {
            texts.iter().map(|t| Policy::from_str(t).unwrap().to_json().unwrap()).collect()
        };
        let set = ps(&[
            "forbid(principal, action, resource) unless { principal in Concept::\"A\" };",
            "forbid(principal, action, resource) unless { principal.location in [Concept::\"B\", Concept::\"C\"] };",
            "forbid(principal, action, resource) when { context.site.controls.contains(Concept::\"D\") };",
        ]);
        let want: BTreeSet<String> = ["A", "B", "C", "D"].iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(in_targets(&set), Some(want));
        let computed =
            ps(&["forbid(principal, action, resource) when { principal.location in resource.holder.country };"]);
        assert_eq!(in_targets(&computed), None);
    }

    #[test]
    fn context_fields_read_are_collected() {
        let set = |names: &[&str]| ContextReads::Fields(names.iter().map(|s| (*s).to_owned()).collect());
        assert_eq!(fields("permit(principal, action, resource);"), set(&[]));
        assert_eq!(
            fields("forbid(principal, action, resource) when { context.site.certifiedUntil < context.today };"),
            set(&["site", "today"])
        );
        assert_eq!(
            fields("forbid(principal, action, resource) when { context has dac && resource.tier > 1 };"),
            set(&["dac"])
        );
        assert_eq!(fields("forbid(principal, action, resource) when { context == {} };"), ContextReads::Whole);
        let mut both = of_policy_json(
            &Policy::from_str("forbid(principal, action, resource) when { context.duo == \"DENY\" };")
                .unwrap()
                .to_json()
                .unwrap(),
        );
        both.merge(&of_policy_json(
            &Policy::from_str("forbid(principal, action, resource) when { context.site.tier < 2 };")
                .unwrap()
                .to_json()
                .unwrap(),
        ));
        assert_eq!(both.scope, Scope::Site);
        assert_eq!(both.context, set(&["duo", "site"]));
    }

    #[test]
    fn principal_and_request_fields_are_request_scoped() {
        assert_eq!(scope("permit(principal, action, resource);"), Scope::Request);
        assert_eq!(scope("forbid(principal, action, resource) unless { principal.identityVerified };"), Scope::Request);
        assert_eq!(
            scope("forbid(principal, action == Action::\"export\", resource) when { context.today > 3 };"),
            Scope::Request
        );
        assert_eq!(
            scope("forbid(principal, action, resource) when { context.project.commercial && context has linkage };"),
            Scope::Request
        );
    }

    #[test]
    fn dataset_reads_are_dataset_scoped() {
        assert_eq!(scope("forbid(principal, action, resource) when { resource.tier >= 3 };"), Scope::Dataset);
        assert_eq!(
            scope("forbid(principal, action, resource) when { context.dac.until < context.today };"),
            Scope::Dataset
        );
        assert_eq!(scope("forbid(principal, action, resource == Dataset::\"d\");"), Scope::Dataset);
        assert_eq!(
            scope("forbid(principal, action, resource) unless { context.unknownTerms.people.isEmpty() };"),
            Scope::Dataset
        );
    }

    #[test]
    fn site_and_unknown_reads_are_site_scoped() {
        assert_eq!(scope("forbid(principal, action, resource) when { context.site.tier < 3 };"), Scope::Site);
        assert_eq!(scope("forbid(principal, action, resource) when { context.newField == 1 };"), Scope::Site);
        assert_eq!(scope("forbid(principal, action, resource) when { context == {} };"), Scope::Site);
        assert_eq!(
            scope("forbid(principal, action, resource) when { resource.tier > 1 && context.site.tier < 3 };"),
            Scope::Site
        );
    }
}
