//! JSON-LD for crates: the RO-Crate contexts are bundled (`vocab/jsonld/`), every other remote
//! context is refused, and nothing is fetched.

use oxjsonld::{JsonLdParser, JsonLdRemoteDocument};
use oxrdf::{Graph, NamedOrBlankNode, Term, Triple};

/// The RO-Crate 1.1 context document.
const RO_CRATE_1_1: &str = include_str!("../../../vocab/jsonld/ro-crate-1.1-context.jsonld");
/// The RO-Crate 1.2 context document (also served for the 1.2-DRAFT URL the profile names).
const RO_CRATE_1_2: &str = include_str!("../../../vocab/jsonld/ro-crate-1.2-context.jsonld");

/// The remote contexts a crate may name, and the bundled document each resolves to.
pub const BUNDLED_CONTEXTS: [(&str, &str); 4] = [
    ("https://w3id.org/ro/crate/1.1/context", RO_CRATE_1_1),
    ("https://w3id.org/ro/crate/1.2/context", RO_CRATE_1_2),
    ("https://w3id.org/ro/crate/1.2-DRAFT/context", RO_CRATE_1_2),
    ("https://w3id.org/ro/crate/1.2-RC1/context", RO_CRATE_1_2),
];

/// The base IRI crate-relative `@id`s resolve against while parsing; [`relative`] turns them
/// back into the crate's own spelling.
pub const BASE: &str = "arcp://name,fivesafes-crate/";

/// Resolves a remote context from the bundled ones; any other is refused.
fn load_context(url: &str) -> Result<JsonLdRemoteDocument, String> {
    let wanted = url.trim_end_matches('/');
    // `http:` and `https:` spell the same w3id context.
    let https = wanted.strip_prefix("http://").map(|rest| format!("https://{rest}"));
    let wanted = https.as_deref().unwrap_or(wanted);
    BUNDLED_CONTEXTS
        .iter()
        .find(|(known, _)| *known == wanted)
        .map(|(known, text)| JsonLdRemoteDocument { document: text.as_bytes().to_vec(), document_url: (*known).to_owned() })
        .ok_or_else(|| {
            format!(
                "remote JSON-LD context `{url}` refused: fivesafes never fetches from the network, and bundles only the RO-Crate 1.1 and 1.2 contexts"
            )
        })
}

/// Parse JSON-LD text into an RDF graph (default graph only; named graphs are refused).
/// `schema.org` IRIs are read in their `http:` spelling whichever the crate used.
pub fn parse(text: &str) -> Result<Graph, String> {
    let parser = JsonLdParser::new().with_base_iri(BASE).map_err(|e| e.to_string())?;
    let mut graph = Graph::new();
    for quad in parser.for_slice(text.as_bytes()).with_load_document_callback(|url, _| {
        load_context(url).map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.into() })
    }) {
        let quad = quad.map_err(|e| e.to_string())?;
        if !quad.graph_name.is_default_graph() {
            return Err("the metadata holds a named graph; an RO-Crate describes one default graph".to_owned());
        }
        let subject = match quad.subject {
            NamedOrBlankNode::NamedNode(n) => NamedOrBlankNode::NamedNode(schema_http(n)),
            other => other,
        };
        let object = match quad.object {
            Term::NamedNode(n) => Term::NamedNode(schema_http(n)),
            other => other,
        };
        graph.insert(&Triple::new(subject, schema_http(quad.predicate), object));
    }
    Ok(graph)
}

fn schema_http(node: oxrdf::NamedNode) -> oxrdf::NamedNode {
    match node.as_str().strip_prefix("https://schema.org/") {
        Some(rest) => oxrdf::NamedNode::new_unchecked(format!("http://schema.org/{rest}")),
        None => node,
    }
}

/// An IRI as the crate spells it: crate-relative `@id`s lose the parsing base (`./`, `#x`,
/// `input1.txt`); absolute IRIs stay as they are.
pub fn relative(iri: &str) -> String {
    match iri.strip_prefix(BASE) {
        Some("") => "./".to_owned(),
        Some(rest) => rest.to_owned(),
        None => iri.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_contexts_are_the_ro_crate_ones() -> Result<(), Box<dyn std::error::Error>> {
        for (url, text) in BUNDLED_CONTEXTS {
            let doc: serde_json::Value = serde_json::from_str(text)?;
            let id = doc.get("@id").and_then(|v| v.as_str()).unwrap_or_default();
            let version = if url.contains("1.1") { "1.1" } else { "1.2" };
            assert_eq!(id, format!("https://w3id.org/ro/crate/{version}/context"), "{url}");
            assert!(doc.get("@context").is_some_and(|c| c.get("CreateAction").is_some()), "{url}");
        }
        Ok(())
    }

    #[test]
    fn a_remote_context_that_is_not_bundled_is_refused() {
        let text = r#"{"@context": "https://example.org/evil-context", "@id": "x", "name": "y"}"#;
        let err = parse(text).err().unwrap_or_default();
        assert!(err.contains("https://example.org/evil-context"), "{err}");
        assert!(err.contains("never fetches"), "{err}");
    }

    #[test]
    fn a_crate_reads_with_either_context_and_either_schema_org_spelling() -> Result<(), String> {
        for context in [
            "https://w3id.org/ro/crate/1.1/context",
            "https://w3id.org/ro/crate/1.2-DRAFT/context",
            "http://w3id.org/ro/crate/1.2/context",
        ] {
            let text = format!(
                r##"{{"@context": "{context}", "@graph": [{{"@id": "./", "@type": "Dataset", "mentions": {{"@id": "#q"}}}},
                {{"@id": "#q", "@type": "https://schema.org/CreateAction"}}]}}"##
            );
            let graph = parse(&text)?;
            let q = oxrdf::NamedNodeRef::new_unchecked("arcp://name,fivesafes-crate/#q");
            let create = oxrdf::NamedNodeRef::new_unchecked("http://schema.org/CreateAction");
            assert!(graph.contains(oxrdf::TripleRef::new(q, oxrdf::vocab::rdf::TYPE, create)), "{context}");
            assert_eq!(relative("arcp://name,fivesafes-crate/#q"), "#q");
            assert_eq!(relative("arcp://name,fivesafes-crate/"), "./");
        }
        Ok(())
    }
}
