//! A member's certification against the blueprint, as the bundle records it: the assessments
//! `fivesafes assess --certificate` writes (`fs:BlueprintAssessment`), dropped beside the
//! federation's RDF. When a member has one, its Safe Settings at request time come from them:
//! the tier and controls of its latest passing assessment, and a certification valid until the
//! latest assessment's `fs:validUntil` if that assessment certified the member, or ended the day
//! before it was made if it did not (a failed assessment withdraws the certification).

use crate::day::Day;
use crate::error::BundleError;
use crate::rdf::{View, iri, ns, subject};

/// One assessment of a member against the blueprint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlueprintAssessment {
    /// Its IRI.
    pub iri: String,
    /// The day it was made for.
    pub assessed_on: Day,
    /// The last day it is valid.
    pub valid_until: Day,
    /// Whether it certified the member (every mandatory requirement met).
    pub certified: bool,
    /// The level reached (`full`, `baseline`, `undetermined`, `not met`).
    pub conformance: String,
    /// The hash of the evidence graph it assessed.
    pub evidence_hash: String,
    /// The tier it found.
    pub tier: Option<i64>,
    /// The controls it found (IRIs).
    pub controls: Vec<String>,
}

/// What a member's assessments say about its Safe Settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// The latest assessment.
    pub latest: BlueprintAssessment,
    /// The tier and controls to use: from the latest passing assessment, else the latest.
    pub tier: Option<i64>,
    pub controls: Vec<String>,
    /// The last day the member is certified.
    pub certified_until: Day,
}

fn model(subject: &str, message: &str, help: &str) -> BundleError {
    BundleError::Model { subject: subject.to_owned(), message: message.to_owned(), help: Some(help.to_owned()) }
}

fn day(view: &View<'_>, s: oxigraph::model::NamedOrBlankNodeRef<'_>, p: &str, name: &str) -> Result<Day, BundleError> {
    let raw = view.literal(s, &iri(ns::FS, p)).ok_or_else(|| {
        model(name, &format!("blueprint assessment has no `fs:{p}`"), "write it with fivesafes assess --certificate")
    })?;
    Day::parse(&raw).map_err(|e| model(name, &e, "use an xsd:date"))
}

/// Every assessment in the graph, by the IRI of the member assessed.
pub(crate) fn read_all(view: &View<'_>) -> Result<Vec<(String, BlueprintAssessment)>, BundleError> {
    let fs = |l: &str| iri(ns::FS, l);
    let mut out = Vec::new();
    for node in view.instances(&fs("BlueprintAssessment")) {
        let name = node.as_str();
        let s = subject(&node);
        let member = view
            .iri(s, &fs("assessedTre"))
            .ok_or_else(|| model(name, "blueprint assessment names no `fs:assessedTre`", "name the member assessed"))?;
        let certified = match view.literal(s, &fs("certified")).as_deref() {
            Some("true") => true,
            Some("false") => false,
            _ => {
                return Err(model(
                    name,
                    "blueprint assessment has no boolean `fs:certified`",
                    "write it with fivesafes assess --certificate",
                ));
            }
        };
        let tier =
            match view.literal(s, &fs("securityTier")) {
                Some(t) => Some(t.parse::<i64>().ok().filter(|t| (0..=4).contains(t)).ok_or_else(|| {
                    model(name, &format!("security tier `{t}` is not 0-4"), "give a tier from 0 to 4")
                })?),
                None => None,
            };
        let conformance = view
            .iri(s, &fs("conformance"))
            .and_then(|c| c.rsplit_once("#Conformance").map(|(_, l)| l.to_owned()))
            .map(|l| if l == "NotMet" { "not met".to_owned() } else { l.to_ascii_lowercase() })
            .unwrap_or_default();
        out.push((
            member,
            BlueprintAssessment {
                iri: name.to_owned(),
                assessed_on: day(view, s, "assessedOn", name)?,
                valid_until: day(view, s, "validUntil", name)?,
                certified,
                conformance,
                evidence_hash: view.literal(s, &fs("evidenceGraphHash")).unwrap_or_default(),
                tier,
                controls: view.iris(s, &fs("hasControl")),
            },
        ));
    }
    Ok(out)
}

/// The Safe Settings a member's assessments give, if it has any.
pub(crate) fn settings(all: &[(String, BlueprintAssessment)], member: &str) -> Option<Settings> {
    let mine: Vec<&BlueprintAssessment> = all.iter().filter(|(m, _)| m == member).map(|(_, a)| a).collect();
    let key = |a: &BlueprintAssessment| (a.assessed_on, a.iri.clone());
    let latest = (*mine.iter().max_by_key(|a| key(a))?).clone();
    let passing = mine.iter().filter(|a| a.certified).max_by_key(|a| key(a)).copied().unwrap_or(&latest);
    let certified_until = if latest.certified { latest.valid_until } else { latest.assessed_on.plus(-1) };
    Some(Settings { tier: passing.tier, controls: passing.controls.clone(), certified_until, latest })
}
