//! The RO-Crate metadata file: read as JSON (for locations and for writing back), made safe
//! (client-submitted `AssessAction`s removed, `"type"` read as `"@type"`), then parsed as JSON-LD
//! into RDF, which is what the rest of the crate reads.

use crate::note::{Note, Notes};
use crate::{CrateError, jsonld};
use oxrdf::vocab::rdf;
use oxrdf::{Graph, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, Term, TermRef};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// The schema.org namespace as RO-Crate's context maps it.
pub const SCHEMA: &str = "http://schema.org/";

/// `conformsTo`, which the RO-Crate contexts map to Dublin Core terms.
pub const CONFORMS_TO: &str = "http://purl.org/dc/terms/conformsTo";

/// A crate's metadata: the JSON as it will be written back, and its RDF graph.
#[derive(Debug, Clone)]
pub struct Metadata {
    /// The metadata document after the safety changes (what `crate assess` writes upon).
    pub json: Value,
    /// Its RDF graph.
    pub graph: Graph,
    /// The `@id`s of client-submitted `AssessAction`s that were removed.
    pub removed_assessments: Vec<String>,
}

impl Metadata {
    /// Read `ro-crate-metadata.json` text. `file` names it in messages.
    pub fn read(text: &str, file: &str, notes: &mut Notes) -> Result<Metadata, CrateError> {
        let mut json: Value = serde_json::from_str(text).map_err(|e| CrateError::Json {
            file: file.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let Some(doc) = json.as_object_mut() else {
            return Err(CrateError::NotACrate {
                file: file.to_owned(),
                message: "the document is not a JSON object".to_owned(),
            });
        };
        if !doc.contains_key("@context") {
            return Err(CrateError::NotACrate { file: file.to_owned(), message: "it has no `@context`".to_owned() });
        }
        let Some(Value::Array(nodes)) = doc.get_mut("@graph") else {
            return Err(CrateError::NotACrate {
                file: file.to_owned(),
                message: "it has no `@graph` array (RO-Crate metadata is flattened JSON-LD)".to_owned(),
            });
        };
        for (i, node) in nodes.iter_mut().enumerate() {
            type_as_at_type(node, i, notes);
        }
        let removed = remove_assess_actions(nodes, notes);
        strip_references(&mut json, &removed);
        // The streaming JSON-LD parser needs the context before the graph.
        let json = context_first(json);
        let text = serde_json::to_string(&json)
            .map_err(|e| CrateError::NotACrate { file: file.to_owned(), message: e.to_string() })?;
        let mut graph =
            jsonld::parse(&text).map_err(|message| CrateError::JsonLd { file: file.to_owned(), message })?;
        let mut removed: Vec<String> = removed.into_iter().collect();
        // An AssessAction typed in a way the JSON pass did not recognise is still removed.
        let assess = NamedNodeRef::new_unchecked("http://schema.org/AssessAction");
        let late: Vec<NamedOrBlankNode> =
            graph.subjects_for_predicate_object(rdf::TYPE, assess).map(NamedOrBlankNodeRef::into_owned).collect();
        for subject in late {
            let id = node_id(subject.as_ref());
            notes.push(Note::warning(
                &id,
                "a client-submitted AssessAction was removed: only the TRE's own assessments count (Five Safes RO-Crate 0.4, Security considerations)",
            ));
            remove_subject(&mut graph, subject.as_ref());
            removed.push(id);
        }
        Ok(Metadata { json, graph, removed_assessments: removed })
    }

    /// The entity a crate-relative or absolute `@id` names.
    pub fn entity(id: &str) -> NamedOrBlankNode {
        if let Some(blank) = id.strip_prefix("_:") {
            return NamedOrBlankNode::BlankNode(oxrdf::BlankNode::new_unchecked(blank));
        }
        let iri = if id.contains("://") || id.starts_with("urn:") || id.starts_with("mailto:") {
            id.to_owned()
        } else if id == "./" {
            jsonld::BASE.to_owned()
        } else {
            format!("{}{id}", jsonld::BASE)
        };
        NamedOrBlankNode::NamedNode(oxrdf::NamedNode::new_unchecked(iri))
    }

    /// The objects of `subject`'s property `name`: a schema.org name, or a full IRI.
    pub fn objects(&self, subject: NamedOrBlankNodeRef<'_>, name: &str) -> Vec<Term> {
        let p = if name.contains("://") { name.to_owned() } else { format!("{SCHEMA}{name}") };
        self.graph
            .objects_for_subject_predicate(subject, NamedNodeRef::new_unchecked(&p))
            .map(TermRef::into_owned)
            .collect()
    }

    /// The entities `subject`'s property `name` refers to.
    pub fn refs(&self, subject: NamedOrBlankNodeRef<'_>, name: &str) -> Vec<NamedOrBlankNode> {
        self.objects(subject, name)
            .into_iter()
            .filter_map(|t| match t {
                Term::NamedNode(n) => Some(NamedOrBlankNode::NamedNode(n)),
                Term::BlankNode(b) => Some(NamedOrBlankNode::BlankNode(b)),
                Term::Literal(_) => None,
                #[allow(unreachable_patterns)]
                _ => None,
            })
            .collect()
    }

    /// The text values of `subject`'s property `name` (literals, or IRIs as written).
    pub fn texts(&self, subject: NamedOrBlankNodeRef<'_>, name: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .objects(subject, name)
            .into_iter()
            .filter_map(|t| match t {
                Term::Literal(l) => Some(l.value().to_owned()),
                Term::NamedNode(n) => Some(jsonld::relative(n.as_str())),
                _ => None,
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The first text value of a property (values are sorted, so this is deterministic).
    pub fn text(&self, subject: NamedOrBlankNodeRef<'_>, name: &str) -> Option<String> {
        self.texts(subject, name).into_iter().next()
    }

    /// Whether `subject` has the schema.org (or other, by full IRI) type `ty`.
    pub fn is_a(&self, subject: NamedOrBlankNodeRef<'_>, ty: &str) -> bool {
        let iri = if ty.contains("://") { ty.to_owned() } else { format!("{SCHEMA}{ty}") };
        self.graph.contains(oxrdf::TripleRef::new(subject, rdf::TYPE, NamedNodeRef::new_unchecked(&iri)))
    }

    /// Every entity of a type.
    pub fn all_of(&self, ty: &str) -> Vec<NamedOrBlankNode> {
        let iri = format!("{SCHEMA}{ty}");
        let mut out: Vec<NamedOrBlankNode> = self
            .graph
            .subjects_for_predicate_object(rdf::TYPE, NamedNodeRef::new_unchecked(&iri))
            .map(NamedOrBlankNodeRef::into_owned)
            .collect();
        out.sort_by_key(|n| n.to_string());
        out
    }

    /// Whether the graph says anything about the entity.
    pub fn describes(&self, subject: NamedOrBlankNodeRef<'_>) -> bool {
        self.graph.triples_for_subject(subject).next().is_some()
    }
}

/// How the crate spells an entity's `@id`.
pub fn node_id(node: NamedOrBlankNodeRef<'_>) -> String {
    match node {
        NamedOrBlankNodeRef::NamedNode(n) => jsonld::relative(n.as_str()),
        NamedOrBlankNodeRef::BlankNode(b) => format!("_:{}", b.as_str()),
    }
}

fn remove_subject(graph: &mut Graph, subject: NamedOrBlankNodeRef<'_>) {
    let triples: Vec<oxrdf::Triple> = graph.triples_for_subject(subject).map(|t| t.into_owned()).collect();
    for t in &triples {
        graph.remove(t);
    }
    let as_object: Term = subject.into_owned().into();
    let pointing: Vec<oxrdf::Triple> =
        graph.iter().filter(|t| t.object == as_object.as_ref()).map(|t| t.into_owned()).collect();
    for t in &pointing {
        graph.remove(t);
    }
}

fn type_as_at_type(node: &mut Value, index: usize, notes: &mut Notes) {
    let Some(obj) = node.as_object_mut() else { return };
    let id = obj.get("@id").and_then(Value::as_str).map_or_else(|| format!("@graph[{index}]"), str::to_owned);
    if let Some(ty) = obj.get("type").cloned() {
        if obj.contains_key("@type") {
            notes.push(Note::warning(
                &id,
                "has both `type` and `@type`; `type` is not a JSON-LD keyword and was ignored",
            ));
        } else {
            obj.remove("type");
            obj.insert("@type".to_owned(), ty);
            notes.push(Note::warning(
                &id,
                "writes `type` where JSON-LD expects `@type`; read as `@type` (a JSON-LD processor would drop it)",
            ));
        }
    }
}

/// The JSON-level names of schema.org's AssessAction.
fn is_assess_type(ty: &str) -> bool {
    matches!(
        ty,
        "AssessAction" | "schema:AssessAction" | "http://schema.org/AssessAction" | "https://schema.org/AssessAction"
    )
}

fn types_of(node: &Value) -> Vec<&str> {
    match node.get("@type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn remove_assess_actions(nodes: &mut Vec<Value>, notes: &mut Notes) -> BTreeSet<String> {
    let mut removed = BTreeSet::new();
    nodes.retain(|node| {
        if !types_of(node).into_iter().any(is_assess_type) {
            return true;
        }
        let id = node.get("@id").and_then(Value::as_str).unwrap_or("(an AssessAction without @id)").to_owned();
        notes.push(Note::warning(
            &id,
            "a client-submitted AssessAction was removed: only the TRE's own assessments count (Five Safes RO-Crate 0.4, Security considerations)",
        ));
        removed.insert(id);
        false
    });
    removed
}

/// Remove every `{"@id": X}` reference to a removed entity (from `mentions` and elsewhere).
fn strip_references(value: &mut Value, removed: &BTreeSet<String>) {
    if removed.is_empty() {
        return;
    }
    match value {
        Value::Array(items) => {
            items.retain(|v| !is_ref_to(v, removed));
            for v in items {
                strip_references(v, removed);
            }
        }
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                if map.get(&k).is_some_and(|v| is_ref_to(v, removed)) {
                    map.remove(&k);
                } else if let Some(v) = map.get_mut(&k) {
                    strip_references(v, removed);
                }
            }
        }
        _ => {}
    }
}

fn is_ref_to(v: &Value, removed: &BTreeSet<String>) -> bool {
    v.as_object()
        .is_some_and(|o| o.len() == 1 && o.get("@id").and_then(Value::as_str).is_some_and(|id| removed.contains(id)))
}

fn context_first(json: Value) -> Value {
    let Value::Object(mut map) = json else { return json };
    let mut out = Map::new();
    if let Some(ctx) = map.remove("@context") {
        out.insert("@context".to_owned(), ctx);
    }
    out.extend(map);
    Value::Object(out)
}
