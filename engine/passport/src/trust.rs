//! What a member TRE accepts of the verified visas: its trust in issuers for visa types and
//! sources, identities linked by trusted `LinkedIdentities` visas, and `conditions`.

use crate::conditions::conditions_met;
use crate::visa::{Visa, VisaNote};
use fivesafes_core::federation::{Federation, MemberTre};
use percent_encoding::percent_decode_str;
use std::collections::BTreeMap;

/// The visas a member accepts, and why it ignored the others.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    /// Accepted visas, in passport order.
    pub visas: Vec<Visa>,
    /// Why the others were not accepted at this member.
    pub notes: Vec<VisaNote>,
}

/// The visas `member` accepts from the verified `visas`.
pub fn accept(visas: &[Visa], member: &MemberTre, federation: &Federation) -> Accepted {
    let mut notes = Vec::new();
    let mut note = |v: &Visa, message: String| {
        notes.push(VisaNote {
            visa: v.index,
            member: Some(member.id.clone()),
            safe: v.safe().to_owned(),
            message: format!("{} {message}", v.describe()),
        });
    };
    // 1. Trust: the member's own policy names issuers, visa types and (optionally) sources.
    let mut trusted: Vec<&Visa> = Vec::new();
    for v in visas {
        let by_issuer: Vec<_> = member.visa_trust.iter().filter(|t| t.issuer == v.issuer_iri).collect();
        let issuer_name = federation.visa_issuers.get(&v.issuer_iri).map_or(v.issuer.as_str(), |i| i.name.as_str());
        if by_issuer.is_empty() {
            note(v, format!("is not accepted at {}: it does not trust {issuer_name}; ignored there", member.id));
        } else if !by_issuer.iter().any(|t| t.visa_types.contains(&v.kind)) {
            note(
                v,
                format!(
                    "is not accepted at {}: it does not trust {issuer_name} for {} visas; ignored there",
                    member.id, v.kind
                ),
            );
        } else if !by_issuer
            .iter()
            .any(|t| t.visa_types.contains(&v.kind) && (t.sources.is_empty() || t.sources.contains(&v.source)))
        {
            note(
                v,
                format!(
                    "is not accepted at {}: it does not accept the source `{}`; ignored there",
                    member.id, v.source
                ),
            );
        } else {
            trusted.push(v);
        }
    }
    // 2. Identities: visas of different {sub, iss} count together only when linked.
    let mut links = Links::default();
    for v in &trusted {
        links.add(&identity(v));
    }
    for v in trusted.iter().filter(|v| v.kind == "LinkedIdentities") {
        if v.conditions.is_some() {
            note(v, "has conditions; a link between identities is taken only unconditionally; ignored".to_owned());
            continue;
        }
        match linked(&v.value) {
            Ok(others) => {
                for other in others {
                    links.union(&identity(v), &other);
                }
            }
            Err(e) => note(v, format!("{e}; ignored")),
        }
    }
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for v in trusted.iter().filter(|v| v.kind != "LinkedIdentities") {
        let root = links.root(&identity(v));
        let entry = counts.entry(root).or_insert((0, usize::MAX - v.index));
        entry.0 += 1;
    }
    let main = counts.iter().max_by_key(|(_, c)| **c).map(|(root, _)| root.clone());
    let mut same: Vec<&Visa> = Vec::new();
    for v in trusted {
        let root = links.root(&identity(v));
        if main.as_ref().is_none_or(|m| *m == root) {
            same.push(v);
        } else {
            note(
                v,
                format!(
                    "belongs to `{}` at {}, which no accepted LinkedIdentities visa links to the researcher's other visas; ignored",
                    v.subject, v.issuer
                ),
            );
        }
    }
    // 3. Conditions, evaluated over the other accepted visas.
    let candidates: Vec<&Visa> = same.iter().copied().filter(|v| v.conditions.is_none()).collect();
    let mut accepted = Vec::new();
    for v in same {
        match &v.conditions {
            None => accepted.push(v.clone()),
            Some(c) => match conditions_met(c, &candidates) {
                Ok(true) => accepted.push(v.clone()),
                Ok(false) => note(v, "has conditions that no other accepted visa meets; ignored".to_owned()),
                Err(e) => note(v, format!("has conditions that cannot be evaluated ({e}); rejected")),
            },
        }
    }
    Accepted { visas: accepted, notes }
}

fn identity(v: &Visa) -> String {
    format!("{}\u{0}{}", v.subject, v.issuer)
}

/// The identities a LinkedIdentities value lists: `<uri-encoded sub>,<uri-encoded iss>` entries
/// joined by `;`.
fn linked(value: &str) -> Result<Vec<String>, String> {
    value
        .split(';')
        .map(|entry| {
            let (sub, iss) =
                entry.split_once(',').ok_or_else(|| format!("lists `{entry}`, which is not `<sub>,<iss>`"))?;
            let decode = |s: &str| {
                percent_decode_str(s)
                    .decode_utf8()
                    .map(|c| c.into_owned())
                    .map_err(|_| format!("lists `{entry}`, which is not UTF-8 once decoded"))
            };
            Ok(format!("{}\u{0}{}", decode(sub)?, decode(iss)?))
        })
        .collect()
}

/// Union-find over identities.
#[derive(Default)]
struct Links {
    parent: BTreeMap<String, String>,
}

impl Links {
    fn add(&mut self, id: &str) {
        self.parent.entry(id.to_owned()).or_insert_with(|| id.to_owned());
    }

    fn root(&self, id: &str) -> String {
        let mut at = id.to_owned();
        while let Some(p) = self.parent.get(&at) {
            if *p == at {
                break;
            }
            at = p.clone();
        }
        at
    }

    fn union(&mut self, a: &str, b: &str) {
        self.add(a);
        self.add(b);
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            // The smaller root wins, so the result does not depend on the order of links.
            let (keep, join) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent.insert(join, keep);
        }
    }
}
