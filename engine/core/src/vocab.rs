//! The federation's vocabularies compiled once: which terms are defined, their labels, and
//! their class hierarchies (as ancestor sets), so that a decision never parses RDF.

use crate::duo::Subsumption;
use crate::rdf::{iri, ns};
use oxigraph::model::{Graph, NamedOrBlankNodeRef, TermRef};
use std::collections::{BTreeMap, BTreeSet};

/// Meta classes that are not parents of a concept (typing a term with them says only that it is
/// a class, a property or a concept).
const META: &[&str] = &[
    "http://www.w3.org/2002/07/owl#Class",
    "http://www.w3.org/2002/07/owl#NamedIndividual",
    "http://www.w3.org/2002/07/owl#Ontology",
    "http://www.w3.org/2002/07/owl#ObjectProperty",
    "http://www.w3.org/2002/07/owl#DatatypeProperty",
    "http://www.w3.org/2002/07/owl#AnnotationProperty",
    "http://www.w3.org/2002/07/owl#Restriction",
    "http://www.w3.org/2002/07/owl#Thing",
    "http://www.w3.org/2000/01/rdf-schema#Class",
    "http://www.w3.org/2000/01/rdf-schema#Resource",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property",
    "http://www.w3.org/2004/02/skos/core#Concept",
    "http://www.w3.org/2004/02/skos/core#ConceptScheme",
];

/// The compiled vocabularies.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Vocabulary {
    /// Defined term -> its direct parents.
    parents: BTreeMap<String, BTreeSet<String>>,
    /// Defined term -> all its ancestors (transitive, not reflexive).
    ancestors: BTreeMap<String, BTreeSet<String>>,
    /// Term -> label.
    labels: BTreeMap<String, String>,
    /// Term -> short notation (skos:notation / oboInOwl:id / DUO shorthand).
    notations: BTreeMap<String, String>,
}

impl Vocabulary {
    /// Compile the vocabulary from a graph.
    pub fn compile(graph: &Graph) -> Self {
        let rdf_type = iri(ns::RDF, "type").into_string();
        let defining = [
            rdf_type.clone(),
            format!("{}label", ns::RDFS),
            format!("{}subClassOf", ns::RDFS),
            format!("{}prefLabel", ns::SKOS),
            format!("{}broader", ns::SKOS),
        ];
        let parent_predicates = [
            format!("{}subClassOf", ns::RDFS),
            format!("{}broader", ns::SKOS),
            format!("{}withinJurisdiction", ns::FS),
            rdf_type.clone(),
        ];
        let label_predicates = [format!("{}prefLabel", ns::SKOS), format!("{}label", ns::RDFS)];
        let notation_predicates =
            [format!("{}notation", ns::SKOS), "http://www.geneontology.org/formats/oboInOwl#id".to_owned()];
        let mut vocab = Vocabulary::default();
        for t in graph.iter() {
            let NamedOrBlankNodeRef::NamedNode(s) = t.subject else { continue };
            let s = s.as_str();
            let p = t.predicate.as_str();
            if defining.iter().any(|d| d == p) {
                vocab.parents.entry(s.to_owned()).or_default();
            }
            if parent_predicates.iter().any(|d| d == p)
                && let TermRef::NamedNode(o) = t.object
                && !META.contains(&o.as_str())
                && o.as_str() != s
            {
                vocab.parents.entry(s.to_owned()).or_default().insert(o.as_str().to_owned());
            }
            if let TermRef::Literal(l) = t.object {
                // skos:prefLabel wins over rdfs:label; English or untagged labels only.
                let english = l.language().is_none_or(|lang| lang.starts_with("en"));
                if english {
                    if let Some(rank) = label_predicates.iter().position(|d| d == p) {
                        let entry = vocab.labels.entry(s.to_owned());
                        match (rank, entry) {
                            (0, e) => {
                                e.insert_entry(l.value().to_owned());
                            }
                            (_, std::collections::btree_map::Entry::Vacant(v)) => {
                                v.insert(l.value().to_owned());
                            }
                            _ => {}
                        }
                    }
                    if notation_predicates.iter().any(|d| d == p) {
                        vocab.notations.entry(s.to_owned()).or_insert_with(|| l.value().to_owned());
                    }
                }
            }
        }
        vocab.ancestors = closure(&vocab.parents);
        vocab
    }

    /// Is the term defined by some loaded vocabulary?
    pub fn defines(&self, term: &str) -> bool {
        self.parents.contains_key(term)
    }

    /// All defined terms.
    pub fn terms(&self) -> impl Iterator<Item = &str> {
        self.parents.keys().map(String::as_str)
    }

    /// Direct parents of a term (empty when undefined).
    pub fn parents(&self, term: &str) -> impl Iterator<Item = &str> {
        self.parents.get(term).into_iter().flatten().map(String::as_str)
    }

    /// All ancestors of a term (not including itself).
    pub fn ancestors(&self, term: &str) -> impl Iterator<Item = &str> {
        self.ancestors.get(term).into_iter().flatten().map(String::as_str)
    }

    /// Is `term` the same as, or a descendant of, `ancestor`?
    pub fn is_a(&self, term: &str, ancestor: &str) -> bool {
        term == ancestor || self.ancestors.get(term).is_some_and(|a| a.contains(ancestor))
    }

    /// The label of a term, if any.
    pub fn label(&self, term: &str) -> Option<&str> {
        self.labels.get(term).map(String::as_str)
    }

    /// A short human name: `label (NOTATION)`, or the IRI's local part.
    pub fn display(&self, term: &str) -> String {
        let short = self.notations.get(term).cloned().unwrap_or_else(|| local_name(term).to_owned());
        match self.label(term) {
            Some(label) if label != short => format!("{label} ({short})"),
            _ => short,
        }
    }
}

impl Subsumption for Vocabulary {
    fn is_a(&self, child: &str, ancestor: &str) -> bool {
        Vocabulary::is_a(self, child, ancestor)
    }
}

/// The part of an IRI after the last `#` or `/`.
pub fn local_name(iri: &str) -> &str {
    iri.rsplit(['#', '/']).next().unwrap_or(iri)
}

fn closure(parents: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for term in parents.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = parents.get(term).into_iter().flatten().map(String::as_str).collect();
        while let Some(next) = stack.pop() {
            if next == term || !seen.insert(next.to_owned()) {
                continue;
            }
            stack.extend(parents.get(next).into_iter().flatten().map(String::as_str));
        }
        out.insert(term.clone(), seen);
    }
    out
}

/// CURIE prefixes a request may use for terms of the bundled vocabularies.
pub const PREFIXES: &[(&str, &str)] = &[
    ("fs", "https://w3id.org/fivesafes#"),
    ("fsj", "https://w3id.org/fivesafes/jurisdiction#"),
    ("dpv", "https://w3id.org/dpv#"),
    ("eu-gdpr", "https://w3id.org/dpv/legal/eu/gdpr#"),
    ("obo", "http://purl.obolibrary.org/obo/"),
];

/// Expand a term as written in a request to a full IRI: full IRIs pass through; CURIEs with a
/// prefix of [`PREFIXES`] expand; OBO CURIEs (`DUO:0000042`, `MONDO:0008903`) become OBO IRIs.
/// Anything else is returned unchanged, and will be reported as an unknown term.
pub fn expand(term: &str) -> String {
    let term = term.trim();
    if term.starts_with("http://") || term.starts_with("https://") {
        return crate::duo::normalise_term(term).unwrap_or_else(|_| term.to_owned());
    }
    if let Some((prefix, local)) = term.split_once(':')
        && let Some((_, ns)) = PREFIXES.iter().find(|(p, _)| *p == prefix)
    {
        return format!("{ns}{local}");
    }
    crate::duo::normalise_term(term).unwrap_or_else(|_| term.to_owned())
}

/// The IRI of a country given by its ISO 3166-1 alpha-2 code.
pub fn country_iri(code: &str) -> String {
    format!("{}{code}", crate::rdf::ns::FSJ)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdf::load_into;

    fn vocab(ttl: &str) -> Vocabulary {
        let mut g = Graph::new();
        load_into(&mut g, "t.ttl", ttl.as_bytes()).unwrap_or_else(|e| unreachable!("{e}"));
        Vocabulary::compile(&g)
    }

    #[test]
    fn subclass_chains_are_transitive_and_meta_classes_are_not_parents() {
        let v = vocab(
            r#"@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
               @prefix owl: <http://www.w3.org/2002/07/owl#> .
               <urn:a> a owl:Class ; rdfs:subClassOf <urn:b> .
               <urn:b> a owl:Class ; rdfs:subClassOf <urn:c> ; rdfs:label "B"@en .
               <urn:c> a owl:Class ."#,
        );
        assert!(v.is_a("urn:a", "urn:c"));
        assert!(v.is_a("urn:a", "urn:a"));
        assert!(!v.is_a("urn:c", "urn:a"));
        assert!(!v.is_a("urn:a", "http://www.w3.org/2002/07/owl#Class"));
        assert_eq!(v.label("urn:b"), Some("B"));
        assert!(v.defines("urn:c"));
        assert!(!v.defines("urn:d"));
    }

    #[test]
    fn cycles_terminate() {
        let v = vocab(
            r#"@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
               <urn:a> rdfs:subClassOf <urn:b> . <urn:b> rdfs:subClassOf <urn:a> ."#,
        );
        assert!(v.is_a("urn:a", "urn:b"));
        assert!(v.is_a("urn:b", "urn:a"));
    }
}
