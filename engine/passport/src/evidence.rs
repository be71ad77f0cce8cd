//! Accepted visas as evidence in a decision request.
//!
//! - `ControlledAccessGrants` (by `dac` or `system`) for a dataset of the federation (its IRI or
//!   identifier as the value): a Data Access Committee approval of the whole dataset, from the
//!   day asserted to the last day of the visa, by the visa's source, without linkage.
//! - `AffiliationAndRole` `role@scope`: the researcher's affiliation, with the organisation of
//!   the bundle whose `fs:affiliationScope` is the scope. It replaces a declared affiliation.
//! - `ResearcherStatus` and `AcceptedTermsAndPolicies` (with `by`), both with the registered
//!   access value: an accreditation `fs:RegisteredAccessResearcher`, valid until the earlier
//!   visa expires.

use crate::visa::{Visa, VisaNote};
use fivesafes_core::federation::Federation;
use fivesafes_core::request::{Accreditation, Affiliation, DacApproval, DecisionRequest};

/// The registered access model of GA4GH (Dyke et al., 2018), the value of its visas.
pub const REGISTERED_ACCESS: &str = "https://doi.org/10.1038/s41431-018-0219-y";
/// The accreditation scheme registered access stands for.
pub const REGISTERED_ACCESS_SCHEME: &str = "https://w3id.org/fivesafes#RegisteredAccessResearcher";

/// The standard visa types the engine reads.
const STANDARD: [&str; 5] = [
    "AffiliationAndRole",
    "AcceptedTermsAndPolicies",
    "ResearcherStatus",
    "ControlledAccessGrants",
    "LinkedIdentities",
];

/// The request with the evidence of `visas` (accepted at `member`) added, and notes on visas
/// that stand for nothing the decision uses.
pub fn apply(
    req: &DecisionRequest,
    visas: &[Visa],
    federation: &Federation,
    member: &str,
) -> (DecisionRequest, Vec<VisaNote>) {
    let mut out = req.clone();
    let mut notes = Vec::new();
    let mut note = |v: &Visa, message: String| {
        notes.push(VisaNote {
            visa: v.index,
            member: Some(member.to_owned()),
            safe: v.safe().to_owned(),
            message: format!("{} {message}", v.describe()),
        });
    };
    let mut affiliation_set = false;
    for v in visas {
        match v.kind.as_str() {
            "ControlledAccessGrants" => {
                if !matches!(v.by.as_deref(), Some("dac" | "system")) {
                    let by = v.by.as_deref().unwrap_or("unknown (no `by`)");
                    note(
                        v,
                        format!(
                            "is asserted by `{by}`; a Data Access Committee approval needs `dac` or `system`; ignored"
                        ),
                    );
                    continue;
                }
                let Some(ds) = federation.datasets.values().find(|d| d.iri == v.value || d.id == v.value) else {
                    note(v, "grants access to something that is not a dataset of the federation; ignored".to_owned());
                    continue;
                };
                if !out.datasets.iter().any(|r| r.id == ds.id) {
                    continue;
                }
                out.project.dac_approvals.push(DacApproval {
                    dataset: ds.id.clone(),
                    committee: Some(v.source.clone()),
                    reference: Some(v.jti.clone().unwrap_or_else(|| format!("visa #{} from {}", v.index, v.issuer))),
                    approved: v.asserted_day().iso(),
                    expires: Some(v.last_day().iso()),
                    variables: ds.variables.iter().cloned().collect(),
                    linkage: false,
                });
            }
            "AffiliationAndRole" => {
                let Some((role, scope)) = v.value.split_once('@') else {
                    note(v, "has no `@` between role and organisation; ignored".to_owned());
                    continue;
                };
                if !valid_role(role) {
                    note(
                        v,
                        format!(
                            "has the role `{role}`, which is neither an eduPerson affiliation nor a `namespace.role`; ignored"
                        ),
                    );
                    continue;
                }
                if affiliation_set {
                    continue;
                }
                let Some(org) = federation.organisations.values().find(|o| o.scopes.iter().any(|s| s == scope)) else {
                    note(
                        v,
                        format!(
                            "names the organisation `{scope}`, which the federation bundle does not describe (fs:affiliationScope); it cannot stand for an affiliation"
                        ),
                    );
                    continue;
                };
                out.researcher.affiliation = Some(Affiliation {
                    id: Some(org.iri.clone()),
                    name: org.name.clone(),
                    country: org.country.clone(),
                    for_profit: org.for_profit,
                });
                affiliation_set = true;
            }
            "ResearcherStatus" | "AcceptedTermsAndPolicies" if v.value != REGISTERED_ACCESS => {
                note(v, "has a value the engine maps to no federation term; ignored".to_owned());
            }
            "ResearcherStatus" | "AcceptedTermsAndPolicies" | "LinkedIdentities" => {}
            other if !STANDARD.contains(&other) => {
                note(
                    v,
                    "is of a custom visa type the engine does not read; ignored, as the specification requires"
                        .to_owned(),
                );
            }
            _ => {}
        }
    }
    // Registered access: both visas, with the same value; AcceptedTermsAndPolicies must say by whom.
    let status =
        visas.iter().filter(|v| v.kind == "ResearcherStatus" && v.value == REGISTERED_ACCESS).min_by_key(|v| v.index);
    let terms = visas
        .iter()
        .filter(|v| v.kind == "AcceptedTermsAndPolicies" && v.value == REGISTERED_ACCESS)
        .min_by_key(|v| v.index);
    match (status, terms) {
        (Some(s), Some(t)) if t.by.is_some() => {
            out.researcher.accreditations.push(Accreditation {
                scheme: REGISTERED_ACCESS_SCHEME.to_owned(),
                identifier: Some(format!("GA4GH registered access (visas #{} and #{})", s.index, t.index)),
                issued: s.asserted_day().max(t.asserted_day()).iso(),
                expires: Some(s.last_day().min(t.last_day()).iso()),
            });
        }
        (Some(_), Some(t)) => note(
            t,
            "has no `by`, which AcceptedTermsAndPolicies requires; registered access is not established".to_owned(),
        ),
        (Some(s), None) => note(
            s,
            "is not matched by an AcceptedTermsAndPolicies visa for registered access; both are needed".to_owned(),
        ),
        (None, Some(t)) => {
            note(t, "is not matched by a ResearcherStatus visa for registered access; both are needed".to_owned())
        }
        (None, None) => {}
    }
    (out, notes)
}

/// eduPerson scoped affiliation values, or a custom `namespace.role` of a-z, 0-9, `-`, `_`
/// starting with a letter.
fn valid_role(role: &str) -> bool {
    const EDU_PERSON: [&str; 8] =
        ["faculty", "student", "staff", "alum", "member", "affiliate", "employee", "library-walk-in"];
    if EDU_PERSON.contains(&role) {
        return true;
    }
    let part = |p: &str| {
        p.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    };
    matches!(role.split_once('.'), Some((ns, r)) if part(ns) && part(r))
}
