//! The assessment as W3C EARL 1.0 (Evaluation and Report Language), in Turtle or JSON-LD.
//!
//! One `earl:Assertion` per requirement: `earl:assertedBy` the fivesafes assessor,
//! `earl:subject` the TRE, `earl:test` the requirement's IRI, `earl:mode`, and an
//! `earl:result` (`earl:TestResult`) with `earl:outcome`, `dcterms:date`, `earl:info` (problems,
//! evidence and mapped SATRE scores in words) and `earl:pointer` for every evidence node that is
//! an IRI. The TRE carries `fs:evidenceGraphHash`, the RDFC-1.0 hash of what was assessed, and
//! the level reached overall (`fs:conformance`). Blank nodes have stable labels, so the same
//! assessment is written byte for byte the same.

use crate::report::{Assessment, Mode};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{BlankNode, Graph, Literal, NamedNode, NamedOrBlankNode, Term, Triple};

const EARL: &str = "http://www.w3.org/ns/earl#";
const DCTERMS: &str = "http://purl.org/dc/terms/";
const FS: &str = "https://w3id.org/fivesafes#";
const DOAP: &str = "http://usefulinc.com/ns/doap#";
/// The IRI of the assessor (the software that asserts the results).
pub const ASSESSOR: &str = "https://w3id.org/fivesafes/certify#assessor";

fn n(ns: &str, local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ns}{local}"))
}

/// The assessment as an RDF graph in EARL.
pub fn graph(a: &Assessment) -> Graph {
    let mut g = Graph::new();
    let mut add = |s: NamedOrBlankNode, p: NamedNode, o: Term| {
        g.insert(&Triple::new(s, p, o));
    };
    let assessor = NamedOrBlankNode::from(NamedNode::new_unchecked(ASSESSOR));
    add(assessor.clone(), rdf::TYPE.into(), n(EARL, "Software").into());
    add(assessor.clone(), n(DOAP, "name"), Literal::new_simple_literal("fivesafes assess").into());
    add(assessor.clone(), n(DOAP, "release"), Literal::new_simple_literal(env!("CARGO_PKG_VERSION")).into());
    let tre = NamedOrBlankNode::from(NamedNode::new_unchecked(&a.tre));
    add(tre.clone(), rdf::TYPE.into(), n(EARL, "TestSubject").into());
    if let Some(name) = &a.name {
        add(tre.clone(), n(DCTERMS, "title"), Literal::new_simple_literal(name).into());
    }
    add(tre.clone(), n(FS, "evidenceGraphHash"), Literal::new_simple_literal(&a.evidence_hash).into());
    add(tre.clone(), n(FS, "conformance"), n(FS, a.overall.term()).into());
    let date: Term = Literal::new_typed_literal(&a.assessed_on, xsd::DATE).into();
    for (i, r) in a.results.iter().enumerate() {
        let assertion = NamedOrBlankNode::from(BlankNode::new_unchecked(format!("assertion{i}")));
        let result = NamedOrBlankNode::from(BlankNode::new_unchecked(format!("result{i}")));
        add(assertion.clone(), rdf::TYPE.into(), n(EARL, "Assertion").into());
        add(assertion.clone(), n(EARL, "assertedBy"), assessor.clone().into());
        add(assertion.clone(), n(EARL, "subject"), tre.clone().into());
        add(assertion.clone(), n(EARL, "test"), NamedNode::new_unchecked(&r.iri).into());
        let mode = match r.mode {
            Mode::Automatic => "automatic",
            Mode::SemiAuto => "semiAuto",
        };
        add(assertion.clone(), n(EARL, "mode"), n(EARL, mode).into());
        add(assertion, n(EARL, "result"), result.clone().into());
        add(result.clone(), rdf::TYPE.into(), n(EARL, "TestResult").into());
        add(result.clone(), n(EARL, "outcome"), n(EARL, r.outcome.earl()).into());
        add(result.clone(), n(DCTERMS, "date"), date.clone());
        let mut info: Vec<String> = r.problems.clone();
        for e in &r.evidence {
            info.push(format!("evidence: {} [{}]", e.label, e.node));
            if !e.node.starts_with("_:") && e.node.contains(':') && !e.node.contains(' ') {
                add(result.clone(), n(EARL, "pointer"), NamedNode::new_unchecked(&e.node).into());
            }
        }
        for s in &r.satre {
            info.push(format!("SATRE {} scored {}", s.statement, s.score));
        }
        if !r.improve.is_empty() {
            info.push(r.improve.clone());
        }
        if !info.is_empty() {
            add(result, n(EARL, "info"), Literal::new_simple_literal(info.join("\n")).into());
        }
    }
    g
}

/// An RDF syntax for EARL reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EarlFormat {
    /// Turtle.
    Turtle,
    /// JSON-LD.
    JsonLd,
}

/// The EARL graph of one assessment in Turtle or JSON-LD.
pub fn write(a: &Assessment, format: EarlFormat) -> Result<String, String> {
    serialize(&graph(a), format)
}

/// The EARL graphs of several assessments (a federation) in one document.
pub fn write_many(all: &[Assessment], format: EarlFormat) -> Result<String, String> {
    let mut g = Graph::new();
    for (i, a) in all.iter().enumerate() {
        for t in graph(a).iter() {
            // Blank node labels are per assessment; keep them apart.
            let relabel = |b: &BlankNode| BlankNode::new_unchecked(format!("m{i}{}", b.as_str()));
            let subject: NamedOrBlankNode = match t.subject {
                oxigraph::model::NamedOrBlankNodeRef::BlankNode(b) => relabel(&b.into_owned()).into(),
                other => other.into_owned(),
            };
            let object: Term = match t.object {
                oxigraph::model::TermRef::BlankNode(b) => relabel(&b.into_owned()).into(),
                other => other.into_owned(),
            };
            g.insert(&Triple::new(subject, t.predicate.into_owned(), object));
        }
    }
    serialize(&g, format)
}

fn serialize(g: &Graph, format: EarlFormat) -> Result<String, String> {
    let format = match format {
        EarlFormat::Turtle => RdfFormat::Turtle,
        EarlFormat::JsonLd => RdfFormat::JsonLd { profile: oxigraph::io::JsonLdProfileSet::empty() },
    };
    let mut triples: Vec<_> = g.iter().collect();
    triples.sort_by_key(|t| (t.subject.to_string(), t.predicate.to_string(), t.object.to_string()));
    let mut serializer = RdfSerializer::from_format(format);
    for (prefix, iri) in [("earl", EARL), ("dcterms", DCTERMS), ("fs", FS), ("doap", DOAP)] {
        serializer = serializer.with_prefix(prefix, iri).map_err(|e| e.to_string())?;
    }
    let mut writer = serializer.for_writer(Vec::new());
    for t in triples {
        writer.serialize_triple(t).map_err(|e| e.to_string())?;
    }
    let bytes = writer.finish().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}
