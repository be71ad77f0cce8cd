//! A guard against dataset poisoning (RDFC-1.0, section 4.2 "Dataset Poisoning"): a graph
//! whose blank nodes only their positions tell apart makes canonicalisation try every
//! permutation of them, which takes exponential time. A self-description is evidence a TRE
//! submits, so the guard runs before every canonicalisation and refuses such a graph with a
//! message, rather than letting an assessment (or the service answering it) run for ever.
//!
//! The estimate follows the algorithm's structure. A blank node needs the N-degree hash only
//! when its first-degree signature (the triples it occurs in, itself and other blank nodes
//! written as placeholders) is shared with another blank node. For such a node, its related
//! blank nodes that are themselves ambiguous, grouped by position, predicate and signature,
//! are what the algorithm permutes: a group of `g` costs `g!` orders. The recursion follows
//! links between ambiguous blank nodes, so the estimate for a connected group of them is its
//! size times the sum of those factorials over its nodes; the guard refuses when that exceeds
//! [`WORK_LIMIT`]. It is an estimate, calibrated against oxigraph's RDFC-1.0 on the shapes
//! that poison it (release build, this project's 2-core machine): a clique of 6 blank nodes
//! (8,640) canonicalises in about 30 ms and is accepted; a clique of 7 (70,560, 0.3 s), of 8
//! (645,120, 3.7 s) and a complete bipartite graph of 5 + 5 (12,000, 0.3 s; 6 + 6 took 17 s)
//! are refused. Real descriptions (trees of distinct or repeated measures) stay in the single
//! or low double digits.

use oxigraph::model::{BlankNodeRef, Graph, NamedNodeRef, NamedOrBlankNodeRef, TermRef, TripleRef};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The most orderings canonicalisation may have to try for one connected group of ambiguous
/// blank nodes.
pub const WORK_LIMIT: f64 = 10_000.0;

/// Where a related blank node stands in a triple with the node being hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Position {
    Subject,
    Object,
}

fn blank(term: TermRef<'_>) -> Option<BlankNodeRef<'_>> {
    match term {
        TermRef::BlankNode(b) => Some(b),
        _ => None,
    }
}

fn subject_blank(s: NamedOrBlankNodeRef<'_>) -> Option<BlankNodeRef<'_>> {
    match s {
        NamedOrBlankNodeRef::BlankNode(b) => Some(b),
        _ => None,
    }
}

/// A term as it enters a first-degree signature: `_:a` for the node itself, `_:z` for other
/// blank nodes, anything else as written.
fn placeholder(term: TermRef<'_>, node: BlankNodeRef<'_>) -> String {
    match blank(term) {
        Some(b) if b == node => "_:a".to_owned(),
        Some(_) => "_:z".to_owned(),
        None => term.to_string(),
    }
}

/// Refuse a graph whose canonicalisation would take more than [`WORK_LIMIT`] orderings for a
/// connected group of ambiguous blank nodes; the message says how many blank nodes and where.
pub fn check(graph: &Graph) -> Result<(), String> {
    match hardest(graph) {
        Some(Hardest { orderings, nodes, example }) if orderings > WORK_LIMIT => Err(format!(
            "{nodes} blank nodes (among them the one written `_:{example}`) can be told apart only by \
             their positions: putting them in canonical order would take more than the \
             {WORK_LIMIT:.0} orderings allowed (RDFC-1.0, dataset poisoning); give them IRIs or \
             properties that distinguish them"
        )),
        _ => Ok(()),
    }
}

/// The connected group of ambiguous blank nodes with the most orderings to try.
#[derive(Debug, PartialEq)]
struct Hardest {
    /// The estimated orderings.
    orderings: f64,
    /// How many blank nodes the group has.
    nodes: usize,
    /// One of them: the least label (as written in the input, or the parser's own for `[ ]`).
    example: String,
}

fn hardest(graph: &Graph) -> Option<Hardest> {
    // The triples each blank node occurs in.
    let mut mentions: HashMap<BlankNodeRef<'_>, Vec<TripleRef<'_>>> = HashMap::new();
    for t in graph.iter() {
        let s = subject_blank(t.subject);
        let o = blank(t.object);
        if let Some(s) = s {
            mentions.entry(s).or_default().push(t);
        }
        if let Some(o) = o.filter(|o| Some(*o) != s) {
            mentions.entry(o).or_default().push(t);
        }
    }
    // First-degree signatures, and which of them are shared.
    let signature: HashMap<BlankNodeRef<'_>, String> = mentions
        .iter()
        .map(|(node, triples)| {
            let mut lines: Vec<String> = triples
                .iter()
                .map(|t| {
                    format!("{} {} {}", placeholder(t.subject.into(), *node), t.predicate, placeholder(t.object, *node))
                })
                .collect();
            lines.sort_unstable();
            (*node, lines.join("\n"))
        })
        .collect();
    let mut holders: HashMap<&str, usize> = HashMap::new();
    for s in signature.values() {
        *holders.entry(s.as_str()).or_default() += 1;
    }
    let ambiguous = |b: &BlankNodeRef<'_>| signature.get(b).is_some_and(|s| holders.get(s.as_str()).copied() > Some(1));
    // For each ambiguous node, the orderings of its ambiguous related nodes, and its links.
    let mut work: HashMap<BlankNodeRef<'_>, f64> = HashMap::new();
    let mut links: Vec<(BlankNodeRef<'_>, BlankNodeRef<'_>)> = Vec::new();
    for (node, triples) in mentions.iter().filter(|(n, _)| ambiguous(n)) {
        let mut groups: HashMap<(Position, NamedNodeRef<'_>, &str), HashSet<BlankNodeRef<'_>>> = HashMap::new();
        for t in triples {
            let related = [(Position::Subject, subject_blank(t.subject)), (Position::Object, blank(t.object))];
            for (position, other) in related {
                let Some(other) = other.filter(|o| o != node && ambiguous(o)) else { continue };
                let sig = signature.get(&other).map(String::as_str).unwrap_or_default();
                groups.entry((position, t.predicate, sig)).or_default().insert(other);
                links.push((*node, other));
            }
        }
        let orderings: f64 = groups.values().map(|g| factorial(g.len())).sum();
        work.insert(*node, orderings);
    }
    // Connected groups of ambiguous nodes (union-find), and the work of each.
    let mut parent: HashMap<BlankNodeRef<'_>, BlankNodeRef<'_>> = work.keys().map(|k| (*k, *k)).collect();
    fn root<'a>(parent: &mut HashMap<BlankNodeRef<'a>, BlankNodeRef<'a>>, mut x: BlankNodeRef<'a>) -> BlankNodeRef<'a> {
        while let Some(p) = parent.get(&x).copied().filter(|p| *p != x) {
            let grand = parent.get(&p).copied().unwrap_or(p);
            parent.insert(x, grand);
            x = p;
        }
        x
    }
    for (a, b) in links {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent.insert(ra, rb);
        }
    }
    let mut per_group: BTreeMap<String, (f64, usize, String)> = BTreeMap::new();
    let nodes: Vec<BlankNodeRef<'_>> = work.keys().copied().collect();
    for node in nodes {
        let r = root(&mut parent, node);
        let entry = per_group.entry(r.as_str().to_owned()).or_insert_with(|| (0.0, 0, node.as_str().to_owned()));
        entry.0 += work.get(&node).copied().unwrap_or(0.0);
        entry.1 += 1;
        if node.as_str() < entry.2.as_str() {
            entry.2 = node.as_str().to_owned();
        }
    }
    per_group
        .into_values()
        .map(|(orderings, nodes, example)| Hardest { orderings: orderings * nodes as f64, nodes, example })
        .max_by(|a, b| a.orderings.total_cmp(&b.orderings))
}

fn factorial(n: usize) -> f64 {
    (2..=n).map(|k| k as f64).product()
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use fivesafes_core::rdf::load_into;

    fn graph(turtle: &str) -> Graph {
        let mut g = Graph::new();
        if let Err(e) = load_into(&mut g, "t.ttl", turtle.as_bytes()) {
            panic!("{e}");
        }
        g
    }

    /// `n` blank nodes, each linked to every other by the same predicate.
    fn clique(n: usize) -> String {
        let mut ttl = String::from("@prefix ex: <https://example.org/> .\n");
        for i in 0..n {
            ttl.push_str(&format!("<https://example.org/tre> ex:has _:n{i} .\n"));
            for j in (0..n).filter(|j| *j != i) {
                ttl.push_str(&format!("_:n{i} ex:knows _:n{j} .\n"));
            }
        }
        ttl
    }

    fn orderings(turtle: &str) -> f64 {
        hardest(&graph(turtle)).map_or(0.0, |h| h.orderings)
    }

    #[test]
    fn a_clique_of_seven_blank_nodes_is_refused() {
        // Each node permutes its six indistinguishable neighbours, once as subjects and once as
        // objects: 7 nodes x 7 x 2 x 6!.
        assert_eq!(orderings(&clique(7)), 70_560.0);
        let Err(message) = check(&graph(&clique(7))) else { panic!("a 7-clique was accepted") };
        assert!(message.starts_with("7 blank nodes"), "{message}");
        assert!(message.contains("dataset poisoning"), "{message}");
    }

    #[test]
    fn a_clique_of_six_passes_and_is_canonicalised() -> Result<(), String> {
        assert_eq!(orderings(&clique(6)), 8_640.0);
        let nquads = crate::canonical_nquads(&graph(&clique(6)))?;
        assert!(nquads.contains("_:c14n5 "), "{nquads}");
        Ok(())
    }

    #[test]
    fn a_complete_bipartite_graph_of_five_and_five_is_refused() {
        let mut ttl = String::from("@prefix ex: <https://example.org/> .\n");
        for i in 0..5 {
            for j in 0..5 {
                ttl.push_str(&format!("_:a{i} ex:k _:b{j} .\n"));
            }
        }
        assert_eq!(orderings(&ttl), 12_000.0);
        assert!(check(&graph(&ttl)).is_err());
    }

    #[test]
    fn repeated_shapes_are_cheap() {
        // Thirty identical measures, each with two identical parts: every blank node is
        // ambiguous, but each measure orders only its own two parts.
        let mut ttl = String::from("@prefix ex: <https://example.org/> .\n");
        for _ in 0..30 {
            ttl.push_str("<https://example.org/tre> ex:measure [ a ex:M ; ex:part [ a ex:P ], [ a ex:P ] ] .\n");
        }
        // Per measure: 3 nodes x (2! for the measure's parts + 1 for each part's measure).
        assert_eq!(orderings(&ttl), 12.0);
        // Two parents of four identical children, in separate groups: 5 x (4! + 4 x 1).
        let ttl = "@prefix ex: <https://example.org/> .
            <https://example.org/tre> ex:m [ ex:c [ a ex:P ], [ a ex:P ], [ a ex:P ], [ a ex:P ] ] .
            <https://example.org/tre> ex:m [ ex:c [ a ex:P ], [ a ex:P ], [ a ex:P ], [ a ex:P ] ] .";
        assert_eq!(orderings(ttl), 140.0);
        // Distinct blank nodes need no ordering at all.
        let ttl = "@prefix ex: <https://example.org/> .
            <https://example.org/tre> ex:m [ a ex:A ], [ a ex:B ] .";
        assert_eq!(hardest(&graph(ttl)), None);
    }
}
