//! Deciding with a passport: each member judged on the visas it accepts.

use crate::evidence::apply;
use crate::trust::accept;
use crate::visa::{Passport, Visa, VisaNote, request_instant, verify};
use fivesafes_core::decision::{MemberDecision, Obligation};
use fivesafes_core::request::DecisionRequest;
use fivesafes_core::{Bundle, DecideOptions, Decision, Outcome, RequestError};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// A decision made with a passport, with what became of each visa.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassportDecision {
    /// The decision; its request hash covers the passport too.
    pub decision: Decision,
    /// The visas that verified and were valid at the request time.
    pub verified: Vec<Visa>,
    /// Every visa not used, at every member or at one, and why.
    pub notes: Vec<VisaNote>,
}

/// `sha256:` over the request's canonical JSON and the passport's visas.
pub fn request_hash(req: &DecisionRequest, passport: &Passport) -> String {
    let mut h = Sha256::new();
    h.update(req.canonical_json().as_bytes());
    for v in &passport.visas {
        h.update(b"\n");
        h.update(v.trim().as_bytes());
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

/// Decide `req` with the evidence of `passport`. Members whose accepted visas give the same
/// evidence are decided together; the members' decisions, obligations and the overall outcome
/// are then put together as one decision.
pub fn decide(
    bundle: &Bundle,
    req: &DecisionRequest,
    passport: &Passport,
    options: DecideOptions,
) -> Result<PassportDecision, RequestError> {
    let now = match request_instant(&req.time) {
        Ok(t) => t,
        Err(message) => return Err(RequestError::Value { path: "/time".to_owned(), message }),
    };
    let federation = &bundle.federation;
    let (verified, mut notes) = verify(passport, federation, now);
    let mut groups: Vec<(DecisionRequest, BTreeSet<String>)> = Vec::new();
    for member in federation.members.values() {
        let accepted = accept(&verified, member, federation);
        let (evidenced, more) = apply(req, &accepted.visas, federation, &member.id);
        notes.extend(accepted.notes);
        notes.extend(more);
        match groups.iter_mut().find(|(r, _)| *r == evidenced) {
            Some((_, members)) => {
                members.insert(member.id.clone());
            }
            None => groups.push((evidenced, BTreeSet::from([member.id.clone()]))),
        }
    }
    if groups.is_empty() {
        groups.push((req.clone(), BTreeSet::new()));
    }
    let mut decided = Vec::with_capacity(groups.len());
    for (r, members) in &groups {
        decided.push((fivesafes_core::decide(bundle, r, options)?, members));
    }
    let Some((first, _)) = decided.first() else {
        return Err(RequestError::Value { path: "/".to_owned(), message: "no decision was made".to_owned() });
    };
    let mut members: Vec<MemberDecision> = Vec::new();
    for m in &first.members {
        let own = decided.iter().find(|(_, g)| g.contains(&m.member)).map_or(first, |(d, _)| d);
        let mut md = own.members.iter().find(|x| x.member == m.member).cloned().unwrap_or_else(|| m.clone());
        add_notes(&mut md, &notes);
        members.push(md);
    }
    let mut errors: Vec<String> = Vec::new();
    for (d, _) in &decided {
        for e in &d.errors {
            if !errors.contains(e) {
                errors.push(e.clone());
            }
        }
    }
    let obligations = merge_obligations(&decided);
    let (outcome, runs_at) = fivesafes_core::overall(&members, &errors, options.all_members);
    let decision = Decision {
        decision: outcome,
        action: first.action.clone(),
        day: first.day.clone(),
        request_hash: Some(request_hash(req, passport)),
        bundle: first.bundle.clone(),
        all_members: options.all_members,
        members,
        runs_at,
        obligations,
        errors,
    };
    // Notes about members outside the decision's scope would only be noise.
    notes.retain(|n| n.member.as_ref().is_none_or(|m| decision.members.iter().any(|md| md.member == *m)));
    notes.sort();
    notes.dedup();
    Ok(PassportDecision { decision, verified, notes })
}

/// Notes join, as evidence, the reasons of the Safe the visa would have served at the member.
fn add_notes(md: &mut MemberDecision, notes: &[VisaNote]) {
    for (safe, sd) in md.safes.iter_mut() {
        if sd.outcome == Outcome::Allow {
            continue;
        }
        let name = safe.name();
        let relevant: Vec<String> = notes
            .iter()
            .filter(|n| n.safe == name && n.member.as_ref().is_none_or(|m| *m == md.member))
            .map(|n| format!("passport: {}", n.message))
            .collect();
        for reason in &mut sd.reasons {
            for n in &relevant {
                if !reason.evidence.contains(n) {
                    reason.evidence.push(n.clone());
                }
            }
        }
    }
}

/// Each group's obligations at its own members, merged where they are the same obligation.
fn merge_obligations(decided: &[(Decision, &BTreeSet<String>)]) -> Vec<Obligation> {
    let mut out: Vec<Obligation> = Vec::new();
    for (d, group) in decided {
        for o in &d.obligations {
            let at: Vec<String> = o.members.iter().filter(|m| group.contains(*m)).cloned().collect();
            if at.is_empty() {
                continue;
            }
            let same = |x: &Obligation| {
                x.term == o.term
                    && x.code == o.code
                    && x.label == o.label
                    && x.detail == o.detail
                    && x.datasets == o.datasets
            };
            match out.iter_mut().find(|x| same(x)) {
                Some(x) => {
                    let mut all: BTreeSet<String> = x.members.iter().cloned().collect();
                    all.extend(at);
                    x.members = all.into_iter().collect();
                }
                None => out.push(Obligation { members: at, ..o.clone() }),
            }
        }
    }
    out
}
