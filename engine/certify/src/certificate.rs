//! The certificate: an assessment's outcome as RDF a federation bundle carries
//! (`fs:BlueprintAssessment`), from which decisions take a member's Safe Settings
//! (`fivesafes_core::certification`): the tier and controls assessed, the day assessed, the last
//! day valid, whether it certified the member, the level and the evidence graph's hash.

use crate::report::Assessment;
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{Literal, NamedNode, Triple};

const FS: &str = "https://w3id.org/fivesafes#";

fn fs(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{FS}{local}"))
}

/// The IRI of an assessment's certificate: from its evidence hash and day, so the same
/// assessment always has the same name and another assessment another.
pub fn iri(a: &Assessment) -> String {
    let hash = a.evidence_hash.trim_start_matches("sha256:");
    format!("urn:fivesafes:assessment:{}:{}", a.assessed_on, hash)
}

/// The certificate of an assessment, in Turtle.
pub fn turtle(a: &Assessment) -> Result<String, String> {
    let s = NamedNode::new(iri(a)).map_err(|e| e.to_string())?;
    let tre = NamedNode::new(&a.tre).map_err(|e| e.to_string())?;
    let date = |d: &str| Literal::new_typed_literal(d, xsd::DATE);
    let mut triples = vec![
        Triple::new(s.clone(), rdf::TYPE, fs("BlueprintAssessment")),
        Triple::new(s.clone(), fs("assessedTre"), tre),
        Triple::new(s.clone(), fs("assessedOn"), date(&a.assessed_on)),
        Triple::new(s.clone(), fs("validUntil"), date(&a.valid_until)),
        Triple::new(s.clone(), fs("certified"), Literal::from(a.certified)),
        Triple::new(s.clone(), fs("conformance"), fs(a.overall.term())),
        Triple::new(s.clone(), fs("evidenceGraphHash"), Literal::new_simple_literal(&a.evidence_hash)),
        Triple::new(s.clone(), fs("blueprintVersion"), Literal::new_simple_literal(&a.blueprint_version)),
    ];
    if let Some(tier) = a.settings.tier {
        triples.push(Triple::new(s.clone(), fs("securityTier"), Literal::from(tier)));
    }
    for c in &a.settings.controls {
        triples.push(Triple::new(s.clone(), fs("hasControl"), NamedNode::new(c).map_err(|e| e.to_string())?));
    }
    let mut serializer = RdfSerializer::from_format(RdfFormat::Turtle);
    for (prefix, ns) in [("fs", FS), ("xsd", "http://www.w3.org/2001/XMLSchema#"), ("dpv", "https://w3id.org/dpv#")] {
        serializer = serializer.with_prefix(prefix, ns).map_err(|e| e.to_string())?;
    }
    let mut writer = serializer.for_writer(Vec::new());
    for t in &triples {
        writer.serialize_triple(t).map_err(|e| e.to_string())?;
    }
    let body = String::from_utf8(writer.finish().map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    Ok(format!(
        "# A blueprint assessment of <{}>, written by fivesafes assess --certificate.\n# Put it beside the federation's RDF in the bundle: decisions then take this member's Safe\n# Settings from its assessments (docs/certification.md).\n{body}",
        a.tre
    ))
}
