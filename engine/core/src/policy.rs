//! Cedar policies of a bundle: the schema, the baseline blueprint policies and each member's
//! local policies, with the annotations that tie them to the blueprint. Members may only
//! restrict the baseline: a local file holds `forbid` policies only, so it can never turn a deny
//! into an allow (a Cedar forbid always overrides a permit).

use crate::blueprint::{Blueprint, Dimension, Safe};
use crate::error::BundleError;
use crate::scope::Slices;
use cedar_policy::{Effect, Policy, PolicyId, PolicySet, Schema, ValidationMode, Validator};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

/// What a forbid policy does to its Safe when it applies.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The Safe is met.
    Allow,
    /// A human must decide.
    Review,
    /// The Safe is not met.
    Deny,
}

impl Outcome {
    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Review => "review",
            Outcome::Deny => "deny",
        }
    }
}

/// A policy's annotations, read once at load.
#[derive(Debug, Clone)]
pub struct PolicyMeta {
    /// `@id`.
    pub id: String,
    /// The file it came from.
    pub file: String,
    /// 1-based line of its first character in that file.
    pub line: usize,
    /// Permit or forbid.
    pub effect: Effect,
    /// `@safe`.
    pub safe: Safe,
    /// `@requirement`.
    pub requirement: String,
    /// `@dimension`.
    pub dimension: Dimension,
    /// `@outcome` of a forbid (deny or review).
    pub outcome: Outcome,
    /// `@evidence`: which evidence the reason cites.
    pub evidence: Option<String>,
    /// `@message`.
    pub message: String,
    /// `@obligation` of a permit (an IRI).
    pub obligation: Option<String>,
    /// `@member` of a local policy.
    pub member: Option<String>,
}

/// The policies of a bundle, compiled.
#[derive(Debug, Clone)]
pub struct Policies {
    /// The schema.
    pub schema: Schema,
    /// Baseline policies only.
    pub baseline: PolicySet,
    /// Baseline plus the member's local policies, by member id.
    pub per_member: BTreeMap<String, PolicySet>,
    /// The member's local policies alone, by member id: they also apply to the member's data
    /// when it is analysed at another site.
    pub local_only: BTreeMap<String, PolicySet>,
    /// Annotations by policy id.
    pub meta: BTreeMap<String, PolicyMeta>,
    /// The same policies grouped by what their result can vary with, for evaluation.
    pub slices: Slices,
    /// The concepts policies test membership in, if all `in` tests are literal (see
    /// [`crate::scope::in_targets`]): Cedar entities keep only these ancestors.
    pub in_targets: Option<BTreeSet<String>>,
    /// Every policy of the bundle (the baseline and every member's local rules), by `@id`.
    pub all: PolicySet,
    /// Every policy's JSON form (`Policy::to_json`) by id, converted once at load for the
    /// analyses that read a policy's conditions (scope, membership, explanations, validation).
    pub trees: std::collections::HashMap<String, serde_json::Value>,
}

/// A Cedar source file.
pub struct CedarFile<'a> {
    /// The name shown in diagnostics.
    pub name: &'a str,
    /// Its text.
    pub text: &'a str,
}

impl Policies {
    /// Load and check the schema, the baseline and the members' local files
    /// (`locals`: member id -> file).
    pub fn load(
        schema: &CedarFile<'_>,
        baseline: &[CedarFile<'_>],
        locals: &BTreeMap<String, CedarFile<'_>>,
        blueprint: &Blueprint,
    ) -> Result<Policies, BundleError> {
        let (schema_value, _warnings) = Schema::from_cedarschema_str(schema.text).map_err(|e| {
            BundleError::CedarSyntax { file: schema.name.to_owned(), message: diagnostic_text(schema.text, &e) }
        })?;
        let mut meta = BTreeMap::new();
        let mut base = PolicySet::new();
        // Every file is read and every policy checked before giving up, so that an author sees
        // all the problems at once.
        let mut problems: Vec<BundleError> = Vec::new();
        let mut trees = HashMap::new();
        for file in baseline {
            for (policy, m, tree) in parse_file(file, None, blueprint, &mut problems) {
                trees.insert(m.id.clone(), tree);
                if let Err(e) = add(&mut base, &mut meta, policy, m, file.name) {
                    problems.push(e);
                }
            }
        }
        for safe in Safe::ALL {
            if problems.is_empty() && !meta.values().any(|m: &PolicyMeta| m.safe == safe && m.effect == Effect::Permit)
            {
                problems.push(BundleError::Policy {
                    file: "policies/".to_owned(),
                    policy: format!("{}.permit", safe.name()),
                    message: format!("the baseline has no permit for Safe {}", safe.name()),
                    help: Some("every Safe needs one baseline permit".to_owned()),
                });
            }
        }
        let mut per_member = BTreeMap::new();
        let mut local_only = BTreeMap::new();
        let mut all = base.clone();
        for (member, file) in locals {
            let mut set = base.clone();
            let mut own = PolicySet::new();
            for (policy, m, tree) in parse_file(file, Some(member), blueprint, &mut problems) {
                trees.insert(m.id.clone(), tree);
                let added = all
                    .add(policy.clone())
                    .map_err(|e| cedar_set_error(file.name, &e))
                    .and_then(|()| own.add(policy.clone()).map_err(|e| cedar_set_error(file.name, &e)))
                    .and_then(|()| add(&mut set, &mut meta, policy, m, file.name));
                if let Err(e) = added {
                    problems.push(e);
                }
            }
            per_member.insert(member.clone(), set);
            local_only.insert(member.clone(), own);
        }
        let sources: BTreeMap<&str, &str> = baseline.iter().chain(locals.values()).map(|f| (f.name, f.text)).collect();
        if let Err(e) = validate(&schema_value, &all, &meta, &sources) {
            problems.push(e);
        }
        if let Some(e) = BundleError::from_several(problems) {
            return Err(e);
        }
        let slices = Slices::new(&base, &local_only, &trees)?;
        let in_targets = crate::scope::in_targets(trees.values());
        Ok(Policies {
            schema: schema_value,
            baseline: base,
            per_member,
            local_only,
            meta,
            slices,
            in_targets,
            all,
            trees,
        })
    }

    /// Whether an entity's ancestor must be kept: some policy may test membership in it.
    pub fn tests_membership_in(&self, concept: &str) -> bool {
        self.in_targets.as_ref().is_none_or(|t| t.contains(concept))
    }

    /// The policy set that decides at a member (baseline alone for an unknown member).
    pub fn for_member(&self, member: &str) -> &PolicySet {
        self.per_member.get(member).unwrap_or(&self.baseline)
    }
}

fn add(
    set: &mut PolicySet,
    meta: &mut BTreeMap<String, PolicyMeta>,
    policy: Policy,
    m: PolicyMeta,
    file: &str,
) -> Result<(), BundleError> {
    if meta.get(&m.id).is_some_and(|old: &PolicyMeta| old.file != m.file || old.line != m.line) {
        return Err(BundleError::Policy {
            file: file.to_owned(),
            policy: m.id.clone(),
            message: "this `@id` is used by another policy too".to_owned(),
            help: Some("policy ids must be unique across the bundle".to_owned()),
        });
    }
    set.add(policy).map_err(|e| cedar_set_error(file, &e))?;
    meta.insert(m.id.clone(), m);
    Ok(())
}

/// The file's policies that pass the blueprint's structural rules, each with its syntax tree
/// (Cedar's JSON form, as `Policy::to_json` gives it); the others' problems go to `problems`.
fn parse_file(
    file: &CedarFile<'_>,
    member: Option<&String>,
    blueprint: &Blueprint,
    problems: &mut Vec<BundleError>,
) -> Vec<(Policy, PolicyMeta, Value)> {
    let set = match PolicySet::from_str(file.text) {
        Ok(set) => set,
        Err(e) => {
            problems
                .push(BundleError::CedarSyntax { file: file.name.to_owned(), message: diagnostic_text(file.text, &e) });
            return Vec::new();
        }
    };
    if set.templates().next().is_some() {
        problems.push(BundleError::CedarSyntax {
            file: file.name.to_owned(),
            message: "templates are not supported in a bundle".to_owned(),
        });
        return Vec::new();
    }
    // The syntax trees come from one more parse of the whole file: `Policy::to_json` parses
    // each policy's text again, one run of Cedar's lexer per policy, which was a fifth of
    // loading a bundle.
    let mut trees = match cedar_policy_core::parser::parse_policyset_to_ests_and_pset(file.text) {
        Ok((trees, _)) => trees,
        Err(e) => {
            problems.push(BundleError::CedarSyntax { file: file.name.to_owned(), message: e.to_string() });
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for policy in set.policies() {
        let tree = trees
            .remove(&cedar_policy_core::ast::PolicyID::from_string(AsRef::<str>::as_ref(policy.id())))
            .ok_or_else(|| "Cedar's two parses of the file disagree".to_owned())
            .and_then(|tree| serde_json::to_value(tree).map_err(|e| e.to_string()))
            .map_err(|message| BundleError::Policy {
                file: file.name.to_owned(),
                policy: annotation(policy, "id").unwrap_or("(no @id)").to_owned(),
                message: format!("could not read the policy's syntax tree: {message}"),
                help: None,
            });
        match tree.and_then(|tree| check_policy(file, member, blueprint, policy).map(|(p, m)| (p, m, tree))) {
            Ok(checked) => out.push(checked),
            Err(e) => problems.push(e),
        }
    }
    out
}

/// A policy's annotation. Cedar's `Policy::annotation` parses the key as an identifier on
/// every call, a run of its whole lexer, which made annotation lookups a seventh of loading a
/// bundle; comparing the keys of `annotations()` gives the same answer.
pub(crate) fn annotation<'p>(policy: &'p Policy, key: &str) -> Option<&'p str> {
    policy.annotations().find(|(k, _)| *k == key).map(|(_, v)| v)
}

/// A policy's annotations checked against the blueprint's structural rules.
fn check_policy(
    file: &CedarFile<'_>,
    member: Option<&String>,
    blueprint: &Blueprint,
    policy: &Policy,
) -> Result<(Policy, PolicyMeta), BundleError> {
    {
        let line = annotation(policy, "id")
            .and_then(|id| file.text.find(&format!("@id(\"{id}\")")))
            .map(|offset| line_col(file.text, offset).0)
            .unwrap_or(0);
        let at = |message: String, help: &str| BundleError::Policy {
            file: format!("{}:{line}", file.name),
            policy: annotation(policy, "id").unwrap_or("(no @id)").to_owned(),
            message,
            help: Some(help.to_owned()),
        };
        let annotation = |key: &str| annotation(policy, key).map(str::to_owned);
        let id = annotation("id").ok_or_else(|| at("the policy has no `@id`".to_owned(), "add @id(\"safe.name\")"))?;
        let safe = annotation("safe").and_then(|s| Safe::from_name(&s)).ok_or_else(|| {
            at(
                "`@safe` is missing or not one of people, projects, settings, data, outputs".to_owned(),
                "add @safe(\"people\")",
            )
        })?;
        let requirement = annotation("requirement").ok_or_else(|| {
            at("the policy cites no blueprint requirement".to_owned(), "add @requirement(\"ORG.PEO.1\")")
        })?;
        let req = blueprint.get(&requirement).ok_or_else(|| {
            at(
                format!("`@requirement(\"{requirement}\")` is not in the blueprint"),
                "cite a requirement from blueprint/requirements.ttl",
            )
        })?;
        let dimension = annotation("dimension").and_then(|s| Dimension::from_name(&s)).ok_or_else(|| {
            at(
                "`@dimension` is missing or not one of legal, organisational, technical, semantic".to_owned(),
                "add @dimension(\"legal\")",
            )
        })?;
        if req.dimension != dimension || req.safe != safe {
            return Err(at(
                format!(
                    "the policy says {}/{} but requirement `{requirement}` is {}/{}",
                    dimension.name(),
                    safe.name(),
                    req.dimension.name(),
                    req.safe.name()
                ),
                "make @dimension and @safe agree with the requirement",
            ));
        }
        let outcome = match (policy.effect(), annotation("outcome").as_deref()) {
            (Effect::Permit, None) => Outcome::Allow,
            (Effect::Forbid, Some("deny")) => Outcome::Deny,
            (Effect::Forbid, Some("review")) => Outcome::Review,
            (Effect::Permit, Some(_)) => return Err(at("a permit takes no `@outcome`".to_owned(), "remove @outcome")),
            (Effect::Forbid, _) => {
                return Err(at(
                    "a forbid needs `@outcome(\"deny\")` or `@outcome(\"review\")`".to_owned(),
                    "add @outcome(\"deny\")",
                ));
            }
        };
        if let Some(member) = member {
            if policy.effect() == Effect::Permit {
                return Err(at(
                    format!("member `{member}` may only restrict the baseline, and this policy is a permit"),
                    "write the local rule as a forbid",
                ));
            }
            if !id.starts_with(&format!("{member}.")) || annotation("member").as_deref() != Some(member.as_str()) {
                return Err(at(
                    format!(
                        "a local policy of `{member}` needs an `@id` starting with `{member}.` and `@member(\"{member}\")`"
                    ),
                    "prefix the id with the member id",
                ));
            }
        } else if annotation("member").is_some() {
            return Err(at("a baseline policy has a `@member`".to_owned(), "move it to the member's local file"));
        }
        let message = annotation("message")
            .ok_or_else(|| at("the policy has no `@message`".to_owned(), "add @message(\"...\")"))?;
        let m = PolicyMeta {
            id: id.clone(),
            file: file.name.to_owned(),
            line,
            effect: policy.effect(),
            safe,
            requirement,
            dimension,
            outcome,
            evidence: annotation("evidence"),
            message,
            obligation: annotation("obligation"),
            member: member.cloned(),
        };
        Ok((policy.new_id(PolicyId::new(&id)), m))
    }
}

fn validate(
    schema: &Schema,
    set: &PolicySet,
    meta: &BTreeMap<String, PolicyMeta>,
    sources: &BTreeMap<&str, &str>,
) -> Result<(), BundleError> {
    let result = Validator::new(schema.clone()).validate(set, ValidationMode::Strict);
    if result.validation_passed() {
        return Ok(());
    }
    let lines: Vec<String> = result
        .validation_errors()
        .map(|e| {
            let id = e.policy_id().to_string();
            let file = meta.get(&id).map(|m| m.file.as_str()).unwrap_or("?");
            let text = sources.get(file).copied().unwrap_or_default();
            let (line, col) = first_label(e).map(|o| line_col(text, o)).unwrap_or((0, 0));
            let help = miette::Diagnostic::help(e).map(|h| h.to_string()).unwrap_or_else(|| {
                "use only the entity types, attributes and actions that policies/schema.cedarschema declares".to_owned()
            });
            format!("{file}:{line}:{col}: {e} (help: {help})")
        })
        .collect();
    Err(BundleError::Validation { message: lines.join("\n") })
}

pub(crate) fn first_label(e: &dyn miette::Diagnostic) -> Option<usize> {
    e.labels()?.next().map(|l| l.offset())
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
}

/// A Cedar diagnostic as one line with `line:column` positions.
pub fn diagnostic_text(text: &str, e: &dyn miette::Diagnostic) -> String {
    let mut msg = e.to_string();
    if let Some((line, col)) = first_label(e).map(|o| line_col(text, o)) {
        msg = format!("line {line}, column {col}: {msg}");
    }
    if let Some(help) = e.help() {
        msg = format!("{msg} (help: {help})");
    }
    msg
}

pub(crate) fn cedar_set_error(file: &str, e: &cedar_policy::PolicySetError) -> BundleError {
    BundleError::CedarSyntax { file: file.to_owned(), message: e.to_string() }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]
    use crate::{Bundle, embedded};

    /// The syntax trees read from one parse of each file are what Cedar gives for each policy
    /// on its own, for every policy of the example bundle (the scope analysis rests on them).
    #[test]
    fn syntax_trees_are_those_of_each_policy() {
        let bundle = Bundle::load(&embedded::default_sources()).expect("the example bundle loads");
        let policies = &bundle.policies;
        let mut n = 0;
        for policy in policies.all.policies() {
            let id = policy.id().to_string();
            let tree = policies.trees.get(&id).unwrap_or_else(|| panic!("no tree for `{id}`"));
            assert_eq!(tree, &policy.to_json().expect("Cedar's JSON form"), "policy `{id}`");
            n += 1;
        }
        assert_eq!(n, policies.trees.len());
        assert!(n > 40, "only {n} policies");
    }
}
