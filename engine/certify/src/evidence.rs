//! The evidence graph: a TRE's self-description (and its SATRE scores, when given), read as RDF,
//! put in canonical form (W3C RDF Dataset Canonicalization, RDFC-1.0) and hashed, so a report
//! names exactly what was assessed. Blank nodes take their canonical labels (`_:c14n0`, ...), so
//! evidence pointers are the same from run to run and point into the canonical graph.

use crate::error::CertifyError;
use crate::satre::{Score, SelfAssessment};
use fivesafes_core::rdf::{load_into, ns};
use oxigraph::model::{
    BlankNode, Graph, Literal, NamedNode, NamedOrBlankNode, NamedOrBlankNodeRef, TermRef, Triple, TripleRef,
    vocab::{rdf, xsd},
};
use oxrdf::dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
use oxrdf::{Dataset, GraphNameRef};
use sha2::{Digest, Sha256};

/// A TRE's self-description, ready to be assessed.
#[derive(Debug, Clone)]
pub struct Description {
    /// The file it was read from (as given; diagnostics name it).
    pub file: String,
    /// The described TRE.
    pub tre: NamedNode,
    /// Its short identifier (`dcterms:identifier`), when it states one.
    pub id: Option<String>,
    /// The evidence graph with canonical blank node labels.
    pub graph: Graph,
    /// The evidence graph in canonical N-Quads (RDFC-1.0).
    pub canonical: String,
    /// `sha256:` and the hex SHA-256 of [`Description::canonical`].
    pub hash: String,
}

fn fs(local: &str) -> NamedNode {
    fivesafes_core::rdf::iri(ns::FS, local)
}

/// Read a self-description (Turtle, N-Triples, RDF/XML or JSON-LD, by the file's extension) and,
/// when given, the SATRE self-assessment that goes with it.
pub fn read_description(file: &str, bytes: &[u8], satre: Option<&SelfAssessment>) -> Result<Description, CertifyError> {
    let mut graph = Graph::new();
    load_into(&mut graph, file, bytes)?;
    let bad = |message: String| CertifyError::Description { file: file.to_owned(), message };
    let class = fs("MemberTRE");
    let mut tres: Vec<NamedOrBlankNode> =
        graph.subjects_for_predicate_object(rdf::TYPE, &class).map(|s| s.into_owned()).collect();
    tres.sort_by_key(|s| s.to_string());
    tres.dedup();
    let tre = match tres.as_slice() {
        [NamedOrBlankNode::NamedNode(n)] => n.clone(),
        [NamedOrBlankNode::BlankNode(_)] => {
            return Err(bad("describes its TRE as a blank node; give it the IRI the federation bundle uses".into()));
        }
        [] => return Err(bad("describes no TRE (no subject is typed fs:MemberTRE)".into())),
        many => {
            let names: Vec<String> = many.iter().map(|n| format!("`{n}`")).collect();
            return Err(bad(format!("describes {} TREs ({}); assess one at a time", many.len(), names.join(", "))));
        }
    };
    if let Some(sheet) = satre {
        add_satre(&mut graph, tre.as_ref().into(), sheet);
    }
    let id = graph
        .object_for_subject_predicate(&tre, &NamedNode::new_unchecked("http://purl.org/dc/terms/identifier"))
        .and_then(|o| match o {
            TermRef::Literal(l) => Some(l.value().to_owned()),
            _ => None,
        });
    crate::poisoning::check(&graph).map_err(|message| CertifyError::Canonical { file: file.to_owned(), message })?;
    let dataset = canonical_dataset(&graph);
    let canonical = nquads(&dataset);
    let mut relabelled = Graph::new();
    for quad in dataset.iter() {
        relabelled.insert(TripleRef::from(quad));
    }
    let hash = format!("sha256:{}", hex::encode(Sha256::digest(canonical.as_bytes())));
    Ok(Description { file: file.to_owned(), tre, id, graph: relabelled, canonical, hash })
}

/// The SATRE scores as RDF, so the evidence graph's hash covers them:
/// `<tre> fs:satreSelfAssessment [ fs:satreVersion "2.0.1"; fs:scoredStatement [ fs:satreIndex
/// "1.2.01"; fs:satreScore 1.5 (or "N/A"); fs:satreResponse "..." ], ... ]`.
fn add_satre(graph: &mut Graph, tre: NamedOrBlankNodeRef<'_>, sheet: &SelfAssessment) {
    let assessment = BlankNode::default();
    graph.insert(TripleRef::new(tre, &fs("satreSelfAssessment"), &assessment));
    let version = Literal::new_simple_literal(sheet.version.number());
    graph.insert(TripleRef::new(&assessment, &fs("satreVersion"), &version));
    for s in sheet.statements.values() {
        let node = BlankNode::default();
        graph.insert(TripleRef::new(&assessment, &fs("scoredStatement"), &node));
        graph.insert(Triple::new(node.clone(), fs("satreIndex"), Literal::new_simple_literal(&s.index)).as_ref());
        let score = match s.score {
            Score::Value(v) => Some(Literal::new_typed_literal(format!("{v}"), xsd::DECIMAL)),
            Score::NotApplicable => Some(Literal::new_simple_literal("N/A")),
            Score::NotScored => None,
        };
        if let Some(score) = score {
            graph.insert(Triple::new(node.clone(), fs("satreScore"), score).as_ref());
        }
        if !s.response.trim().is_empty() {
            graph.insert(
                Triple::new(node.clone(), fs("satreResponse"), Literal::new_simple_literal(s.response.trim())).as_ref(),
            );
        }
    }
}

/// The graph with canonical blank node labels (RDFC-1.0 with SHA-256), as a dataset.
fn canonical_dataset(graph: &Graph) -> Dataset {
    let mut dataset = Dataset::new();
    for t in graph.iter() {
        dataset.insert(t.in_graph(GraphNameRef::DefaultGraph));
    }
    dataset.canonicalize(CanonicalizationAlgorithm::Rdfc10 { hash_algorithm: CanonicalizationHashAlgorithm::Sha256 });
    dataset
}

/// A dataset's quads in canonical N-Quads form, sorted in code point order.
fn nquads(dataset: &Dataset) -> String {
    let mut lines: Vec<String> = dataset.iter().map(|q| format!("{q} .\n")).collect();
    lines.sort_unstable();
    lines.concat()
}

/// The canonical N-Quads of a graph (RDFC-1.0 with SHA-256), or why the graph is refused
/// (dataset poisoning, [`crate::poisoning`]).
pub fn canonical_nquads(graph: &Graph) -> Result<String, String> {
    crate::poisoning::check(graph)?;
    Ok(nquads(&canonical_dataset(graph)))
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    const A: &str = r#"@prefix fs: <https://w3id.org/fivesafes#> .
<https://example.org/tre> a fs:MemberTRE ; fs:hasMeasure [ a fs:ProjectRegister ], [ a fs:PublicationTermsCheck ] ."#;
    const B: &str = r#"@prefix fs: <https://w3id.org/fivesafes#> .
<https://example.org/tre> fs:hasMeasure [ a fs:PublicationTermsCheck ] .
<https://example.org/tre> fs:hasMeasure _:x . _:x a fs:ProjectRegister .
<https://example.org/tre> a fs:MemberTRE ."#;

    #[test]
    fn the_same_graph_written_differently_has_one_hash() -> Result<(), CertifyError> {
        let a = read_description("a.ttl", A.as_bytes(), None)?;
        let b = read_description("b.ttl", B.as_bytes(), None)?;
        assert_eq!(a.hash, b.hash);
        assert_eq!(a.canonical, b.canonical);
        assert!(a.canonical.contains("_:c14n0"), "{}", a.canonical);
        Ok(())
    }

    #[test]
    fn a_changed_graph_has_another_hash() -> Result<(), CertifyError> {
        let a = read_description("a.ttl", A.as_bytes(), None)?;
        let c = read_description("c.ttl", A.replace("ProjectRegister", "DisclosureControlRecord").as_bytes(), None)?;
        assert_ne!(a.hash, c.hash);
        Ok(())
    }

    #[test]
    fn a_poisoned_description_is_refused_before_canonicalisation() {
        let mut ttl = String::from("@prefix fs: <https://w3id.org/fivesafes#> . <https://e.org/t> a fs:MemberTRE .\n");
        for i in 0..8 {
            ttl.push_str(&format!("<https://e.org/t> fs:hasMeasure _:n{i} .\n"));
            for j in (0..8).filter(|j| *j != i) {
                ttl.push_str(&format!("_:n{i} fs:relatedTo _:n{j} .\n"));
            }
        }
        let e = read_description("poison.ttl", ttl.as_bytes(), None);
        let Err(CertifyError::Canonical { file, message }) = e else { panic!("{e:?}") };
        assert_eq!(file, "poison.ttl");
        assert!(message.starts_with("8 blank nodes"), "{message}");
    }

    #[test]
    fn a_description_of_two_tres_is_refused() {
        let two = "@prefix fs: <https://w3id.org/fivesafes#> . <https://e.org/a> a fs:MemberTRE . <https://e.org/b> a fs:MemberTRE .";
        let e = read_description("two.ttl", two.as_bytes(), None);
        let Err(CertifyError::Description { message, .. }) = e else { panic!("{e:?}") };
        assert!(message.contains("2 TREs"), "{message}");
    }
}
