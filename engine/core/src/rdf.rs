//! Reading RDF (Turtle, N-Triples, RDF/XML, JSON-LD) into one in-memory graph, with oxigraph's
//! parsers. Nothing is fetched: a JSON-LD document that needs a remote context is refused.

use crate::error::BundleError;
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{Graph, NamedNode, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, TermRef, TripleRef};

/// Well-known namespaces.
pub mod ns {
    /// The project's ontology.
    pub const FS: &str = "https://w3id.org/fivesafes#";
    /// Jurisdictions and countries.
    pub const FSJ: &str = "https://w3id.org/fivesafes/jurisdiction#";
    /// RDF.
    pub const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
    /// RDFS.
    pub const RDFS: &str = "http://www.w3.org/2000/01/rdf-schema#";
    /// OWL.
    pub const OWL: &str = "http://www.w3.org/2002/07/owl#";
    /// SKOS.
    pub const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
    /// Dublin Core terms.
    pub const DCTERMS: &str = "http://purl.org/dc/terms/";
    /// schema.org.
    pub const SCHEMA: &str = "https://schema.org/";
    /// W3C DPV.
    pub const DPV: &str = "https://w3id.org/dpv#";
}

/// The RDF format of a file, from its extension.
pub fn format_for(file: &str) -> Result<RdfFormat, BundleError> {
    let ext = file.rsplit('.').next().unwrap_or_default().to_ascii_lowercase();
    let format = match ext.as_str() {
        "owl" => Some(RdfFormat::RdfXml),
        "json" => RdfFormat::from_extension("jsonld"),
        other => RdfFormat::from_extension(other),
    };
    format.ok_or_else(|| BundleError::UnknownRdfFormat { file: file.to_owned() })
}

/// Parse one RDF document into `graph` (named graphs are merged into the default graph).
pub fn load_into(graph: &mut Graph, file: &str, content: &[u8]) -> Result<(), BundleError> {
    let format = format_for(file)?;
    let base = format!("file:///{}", file.trim_start_matches('/'));
    let parser = RdfParser::from_format(format).with_base_iri(base).map_err(|e| BundleError::Model {
        subject: file.to_owned(),
        message: format!("bad base IRI: {e}"),
        help: None,
    })?;
    for quad in parser.for_slice(content) {
        let quad = quad.map_err(|e| syntax_error(file, format, &e))?;
        graph.insert(TripleRef::new(quad.subject.as_ref(), quad.predicate.as_ref(), quad.object.as_ref()));
    }
    Ok(())
}

fn syntax_error(file: &str, format: RdfFormat, e: &oxigraph::io::RdfSyntaxError) -> BundleError {
    let message = e.to_string();
    if format.name() == "JSON-LD" && message.contains("context") && message.contains("http") {
        return BundleError::RemoteContext { file: file.to_owned() };
    }
    let position = e
        .location()
        .map(|r| format!("{file}:{}:{}", r.start.line + 1, r.start.column + 1))
        .unwrap_or_else(|| file.to_owned());
    BundleError::RdfSyntax { file: file.to_owned(), format: format.name().to_owned(), message, position }
}

/// A named node from a namespace and local name.
pub fn iri(namespace: &str, local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{namespace}{local}"))
}

/// Read access to a graph with the few shapes the loaders need.
pub struct View<'a> {
    /// The graph.
    pub graph: &'a Graph,
}

impl<'a> View<'a> {
    /// IRIs that are objects of `subject predicate ?o`, sorted.
    pub fn iris(&self, subject: NamedOrBlankNodeRef<'_>, predicate: &NamedNode) -> Vec<String> {
        let mut out: Vec<String> = self
            .graph
            .objects_for_subject_predicate(subject, predicate)
            .filter_map(|o| match o {
                TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
                _ => None,
            })
            .collect();
        out.sort();
        out
    }

    /// Resources (IRIs and blank nodes) that are objects of `subject predicate ?o`, IRIs first
    /// and sorted.
    pub fn nodes(&self, subject: NamedOrBlankNodeRef<'_>, predicate: &NamedNode) -> Vec<NamedOrBlankNode> {
        let mut out: Vec<NamedOrBlankNode> = self
            .graph
            .objects_for_subject_predicate(subject, predicate)
            .filter_map(|o| match o {
                TermRef::NamedNode(n) => Some(NamedOrBlankNode::NamedNode(n.into_owned())),
                TermRef::BlankNode(b) => Some(NamedOrBlankNode::BlankNode(b.into_owned())),
                _ => None,
            })
            .collect();
        out.sort_by_key(|n| (matches!(n, NamedOrBlankNode::BlankNode(_)), n.to_string()));
        out
    }

    /// Literal values of `subject predicate ?o`, sorted.
    pub fn literals(&self, subject: NamedOrBlankNodeRef<'_>, predicate: &NamedNode) -> Vec<String> {
        let mut out: Vec<String> = self
            .graph
            .objects_for_subject_predicate(subject, predicate)
            .filter_map(|o| match o {
                TermRef::Literal(l) => Some(l.value().to_owned()),
                _ => None,
            })
            .collect();
        out.sort();
        out
    }

    /// The first literal (in sorted order) of `subject predicate ?o`.
    pub fn literal(&self, subject: NamedOrBlankNodeRef<'_>, predicate: &NamedNode) -> Option<String> {
        self.literals(subject, predicate).into_iter().next()
    }

    /// The first IRI (in sorted order) of `subject predicate ?o`.
    pub fn iri(&self, subject: NamedOrBlankNodeRef<'_>, predicate: &NamedNode) -> Option<String> {
        self.iris(subject, predicate).into_iter().next()
    }

    /// Subjects (IRIs) typed with `class`, sorted.
    pub fn instances(&self, class: &NamedNode) -> Vec<NamedNode> {
        let rdf_type = iri(ns::RDF, "type");
        let mut out: Vec<NamedNode> = self
            .graph
            .subjects_for_predicate_object(&rdf_type, class)
            .filter_map(|s| match s {
                NamedOrBlankNodeRef::NamedNode(n) => Some(n.into_owned()),
                NamedOrBlankNodeRef::BlankNode(_) => None,
            })
            .collect();
        out.sort();
        out
    }
}

/// A subject reference for a named node.
pub fn subject(node: &NamedNode) -> NamedOrBlankNodeRef<'_> {
    NamedOrBlankNodeRef::NamedNode(NamedNodeRef::from(node))
}
