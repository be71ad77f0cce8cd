//! The blueprint: the requirements catalogue (EOSC IF dimension x Five Safes), read from RDF.

use crate::error::BundleError;
use crate::rdf::{View, iri, ns, subject};
use oxigraph::model::Graph;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One of the Five Safes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Safe {
    /// Safe People.
    People,
    /// Safe Projects.
    Projects,
    /// Safe Settings.
    Settings,
    /// Safe Data.
    Data,
    /// Safe Outputs.
    Outputs,
}

impl Safe {
    /// All five, in the canonical order.
    pub const ALL: [Safe; 5] = [Safe::People, Safe::Projects, Safe::Settings, Safe::Data, Safe::Outputs];

    /// The lowercase name used in policy annotations and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Safe::People => "people",
            Safe::Projects => "projects",
            Safe::Settings => "settings",
            Safe::Data => "data",
            Safe::Outputs => "outputs",
        }
    }

    /// Parse the lowercase name.
    pub fn from_name(s: &str) -> Option<Safe> {
        Safe::ALL.into_iter().find(|safe| safe.name() == s)
    }

    fn from_iri(s: &str) -> Option<Safe> {
        Safe::ALL.into_iter().find(|safe| {
            let local = crate::vocab::local_name(s);
            local.strip_prefix("Safe").is_some_and(|l| l.eq_ignore_ascii_case(safe.name()))
        })
    }
}

/// A dimension of the EOSC Interoperability Framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    /// Laws, licences, agreements, legal bases.
    Legal,
    /// Processes, roles, committees.
    Organisational,
    /// Interfaces, security controls, protocols.
    Technical,
    /// Shared vocabularies and meanings.
    Semantic,
}

impl Dimension {
    /// All four.
    pub const ALL: [Dimension; 4] =
        [Dimension::Legal, Dimension::Organisational, Dimension::Technical, Dimension::Semantic];

    /// The lowercase name used in policy annotations and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Legal => "legal",
            Dimension::Organisational => "organisational",
            Dimension::Technical => "technical",
            Dimension::Semantic => "semantic",
        }
    }

    /// Parse the lowercase name.
    pub fn from_name(s: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.name() == s)
    }

    fn from_iri(s: &str) -> Option<Dimension> {
        let local = crate::vocab::local_name(s);
        Dimension::ALL.into_iter().find(|d| d.name().eq_ignore_ascii_case(local))
    }
}

/// How binding a requirement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Must be met.
    Mandatory,
    /// Should be met.
    Recommended,
}

/// One requirement of the blueprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Requirement {
    /// Identifier, e.g. `ORG.PEO.1`.
    pub id: String,
    /// Its IRI.
    pub iri: String,
    /// EOSC IF dimension.
    pub dimension: Dimension,
    /// The Safe.
    pub safe: Safe,
    /// Mandatory or recommended.
    pub level: Level,
    /// A short title.
    pub title: String,
    /// The requirement, in words.
    pub statement: String,
    /// SATRE v2 statement indices it realises.
    pub satre: Vec<String>,
    /// GDPR articles it rests on.
    pub gdpr: Vec<String>,
    /// Related vocabulary terms (DPV, DUO, fivesafes).
    pub related: Vec<String>,
    /// Cedar policy ids that decide it at request time.
    pub enforced_by: Vec<String>,
    /// Checked when a TRE is certified.
    pub checked_at_certification: bool,
}

/// The requirements catalogue.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Blueprint {
    /// Its IRI.
    pub iri: String,
    /// Its version.
    pub version: String,
    /// Requirements by id.
    pub requirements: BTreeMap<String, Requirement>,
}

impl Blueprint {
    /// Read every `fs:Requirement` in the graph.
    pub fn from_graph(graph: &Graph) -> Result<Blueprint, BundleError> {
        let view = View { graph };
        let fs = |l: &str| iri(ns::FS, l);
        let mut blueprint = Blueprint::default();
        if let Some(b) = view.instances(&fs("Blueprint")).into_iter().next() {
            blueprint.version = view.literal(subject(&b), &iri(ns::OWL, "versionInfo")).unwrap_or_default();
            blueprint.iri = b.into_string();
        }
        for node in view.instances(&fs("Requirement")) {
            let s = subject(&node);
            let bad = |message: String| BundleError::Model {
                subject: node.as_str().to_owned(),
                message,
                help: Some("see docs/model.md for the shape of a requirement".to_owned()),
            };
            let id = view
                .literal(s, &iri(ns::DCTERMS, "identifier"))
                .ok_or_else(|| bad("requirement has no `dcterms:identifier`".to_owned()))?;
            let dimension = view
                .iri(s, &fs("dimension"))
                .and_then(|d| Dimension::from_iri(&d))
                .ok_or_else(|| bad(format!("requirement `{id}` has no known `fs:dimension`")))?;
            let safe = view
                .iri(s, &fs("safe"))
                .and_then(|d| Safe::from_iri(&d))
                .ok_or_else(|| bad(format!("requirement `{id}` has no known `fs:safe`")))?;
            let level = match view.iri(s, &fs("level")).as_deref().map(crate::vocab::local_name) {
                Some("Mandatory") => Level::Mandatory,
                Some("Recommended") => Level::Recommended,
                _ => return Err(bad(format!("requirement `{id}` has no `fs:level` (Mandatory or Recommended)"))),
            };
            let statement = view
                .literal(s, &fs("statement"))
                .ok_or_else(|| bad(format!("requirement `{id}` has no `fs:statement`")))?;
            let requirement = Requirement {
                iri: node.as_str().to_owned(),
                dimension,
                safe,
                level,
                title: view.literal(s, &iri(ns::RDFS, "label")).unwrap_or_else(|| id.clone()),
                statement,
                satre: view.literals(s, &fs("satreStatement")),
                gdpr: view.literals(s, &fs("gdprArticle")),
                related: view.iris(s, &fs("relatedTerm")),
                enforced_by: view.literals(s, &fs("enforcedBy")),
                checked_at_certification: view
                    .literal(s, &fs("checkedAtCertification"))
                    .is_some_and(|v| v == "true" || v == "1"),
                id: id.clone(),
            };
            if blueprint.requirements.insert(id.clone(), requirement).is_some() {
                return Err(bad(format!("requirement id `{id}` is used twice")));
            }
        }
        Ok(blueprint)
    }

    /// A requirement by id.
    pub fn get(&self, id: &str) -> Option<&Requirement> {
        self.requirements.get(id)
    }
}
