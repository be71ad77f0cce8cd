//! Coverage of a bundle by test cases, counted from evaluation (a [`Trace`] of the Cedar calls
//! the cases made), never from text: per policy, whether any case made it hold (fire) and
//! whether any evaluated it without it holding; per requirement enforced at request time,
//! whether it was exercised both satisfied and violated; per member, which local rules fired.

use crate::bundle::Bundle;
use crate::decision::Trace;
use cedar_policy::{Effect, PolicySet};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Coverage of one policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyCoverage {
    /// The policy id.
    pub id: String,
    /// `permit` or `forbid`.
    pub effect: String,
    /// Its file and line, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The member whose local rule it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// Some case made it hold (a permit permitted, a forbid fired).
    pub held: bool,
    /// Some case evaluated it and it did not hold.
    pub not_held: bool,
    /// Some case's evaluation of it failed.
    pub errored: bool,
}

/// Coverage of one blueprint requirement enforced at request time by forbids (a Safe's permit
/// has no conditions: it holds whenever evaluated, so it says nothing about a requirement).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequirementCoverage {
    /// The requirement id.
    pub id: String,
    /// The policies that decide it (baseline and local).
    pub policies: Vec<String>,
    /// Some case met it: one of its forbids was evaluated for an action it governs and did not
    /// fire.
    pub satisfied: bool,
    /// Some case violated it: one of its forbids fired.
    pub violated: bool,
}

/// Which local rules of a member fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberCoverage {
    /// Member id.
    pub member: String,
    /// Its local rules that fired.
    pub hit: Vec<String>,
    /// Its local rules no case made fire.
    pub missed: Vec<String>,
}

/// Coverage of a bundle (or a policy set) by a run of test cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Coverage {
    /// Per policy.
    pub policies: Vec<PolicyCoverage>,
    /// Per requirement enforced at request time (empty for a bare policy set).
    pub requirements: Vec<RequirementCoverage>,
    /// Per member with local rules (empty for a bare policy set).
    pub members: Vec<MemberCoverage>,
    /// Percentage of policies that held in some case.
    pub policy_percent: f64,
    /// Percentage of requirements exercised both satisfied and violated (100 when none).
    pub requirement_percent: f64,
}

impl Coverage {
    /// Coverage of a bundle's policies and requirements.
    pub fn of_bundle(bundle: &Bundle, trace: &Trace) -> Coverage {
        let meta = &bundle.policies.meta;
        let policies: Vec<PolicyCoverage> = meta
            .values()
            .map(|m| PolicyCoverage {
                id: m.id.clone(),
                effect: effect_name(m.effect).to_owned(),
                at: Some(format!("{}:{}", m.file, m.line)),
                member: m.member.clone(),
                held: trace.held.contains(&m.id),
                not_held: trace.not_held.contains(&m.id),
                errored: trace.errored.contains(&m.id),
            })
            .collect();
        let mut requirements = Vec::new();
        for r in bundle.blueprint.requirements.values() {
            let deciding: Vec<&crate::policy::PolicyMeta> =
                meta.values().filter(|m| m.requirement == r.id && m.effect == Effect::Forbid).collect();
            if deciding.is_empty() {
                continue;
            }
            let (mut satisfied, mut violated) = (false, false);
            for m in &deciding {
                violated |= trace.held.contains(&m.id);
                satisfied |= trace.not_held.contains(&m.id);
            }
            requirements.push(RequirementCoverage {
                id: r.id.clone(),
                policies: deciding.iter().map(|m| m.id.clone()).collect(),
                satisfied,
                violated,
            });
        }
        let members = bundle
            .policies
            .local_only
            .iter()
            .map(|(member, set)| {
                let (hit, missed): (Vec<String>, Vec<String>) =
                    set.policies().map(|p| p.id().to_string()).partition(|id| trace.held.contains(id));
                MemberCoverage { member: member.clone(), hit, missed }
            })
            .collect();
        Coverage::finish(policies, requirements, members)
    }

    /// Coverage of a bare Cedar policy set (no blueprint).
    pub fn of_policy_set(set: &PolicySet, trace: &Trace) -> Coverage {
        let policies = set
            .policies()
            .map(|p| {
                let id = p.id().to_string();
                PolicyCoverage {
                    effect: effect_name(p.effect()).to_owned(),
                    at: None,
                    member: None,
                    held: trace.held.contains(&id),
                    not_held: trace.not_held.contains(&id),
                    errored: trace.errored.contains(&id),
                    id,
                }
            })
            .collect();
        Coverage::finish(policies, Vec::new(), Vec::new())
    }

    fn finish(
        mut policies: Vec<PolicyCoverage>,
        requirements: Vec<RequirementCoverage>,
        members: Vec<MemberCoverage>,
    ) -> Coverage {
        policies.sort_by(|a, b| a.id.cmp(&b.id));
        let policy_percent = percent(policies.iter().filter(|p| p.held).count(), policies.len());
        let requirement_percent =
            percent(requirements.iter().filter(|r| r.satisfied && r.violated).count(), requirements.len());
        Coverage { policies, requirements, members, policy_percent, requirement_percent }
    }

    /// Whether both percentages reach a threshold.
    pub fn meets(&self, threshold: f64) -> bool {
        self.policy_percent >= threshold && self.requirement_percent >= threshold
    }
}

fn effect_name(e: Effect) -> &'static str {
    match e {
        Effect::Permit => "permit",
        Effect::Forbid => "forbid",
    }
}

/// `part / whole` in percent, rounded down to one decimal (100 for an empty whole), so that a
/// threshold is never met by rounding up.
fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        return 100.0;
    }
    #[expect(clippy::cast_precision_loss, reason = "counts of policies are far below 2^52")]
    let p = (part * 1000 / whole) as f64 / 10.0;
    p
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]
    use super::*;
    use crate::{DecideOptions, DecisionRequest, decide_traced, embedded};

    #[test]
    fn percent_rounds_down() {
        assert_eq!(percent(2, 3), 66.6);
        assert_eq!(percent(0, 0), 100.0);
        assert_eq!(percent(3, 3), 100.0);
    }

    #[test]
    fn coverage_counts_what_a_decision_evaluated() {
        let bundle = Bundle::load(&embedded::default_sources()).unwrap();
        let text = include_str!("../../../examples/requests/02-deny-nl-ethics-always.json");
        let req = DecisionRequest::from_json(text).unwrap();
        let (_, trace) = decide_traced(&bundle, &req, DecideOptions::default()).unwrap();
        let c = Coverage::of_bundle(&bundle, &trace);
        let p = |id: &str| c.policies.iter().find(|p| p.id == id).unwrap().clone();
        assert!(p("nl-odi.ethics-always").held);
        assert!(p("people.permit").held);
        assert!(p("people.identity").not_held && !p("people.identity").held);
        // Local rules of members not involved were never evaluated.
        let de = p("de-hd.researcher-in-eu");
        assert!(!de.held && !de.not_held, "{de:?}");
        let r = |id: &str| c.requirements.iter().find(|r| r.id == id).unwrap().clone();
        assert!(r("ORG.PRJ.2").violated);
        assert!(r("TEC.PEO.1").satisfied && !r("TEC.PEO.1").violated);
        let nl = c.members.iter().find(|m| m.member == "nl-odi").unwrap();
        assert_eq!(nl.hit, vec!["nl-odi.ethics-always".to_owned()]);
        assert!(c.policy_percent > 0.0 && c.policy_percent < 100.0);
    }
}
