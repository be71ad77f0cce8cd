//! The certification checks of the blueprint (`blueprint/checks/<requirement>.rq`): one SPARQL
//! `SELECT ?evidence ?problem` query per requirement checked at certification.
//!
//! A check runs over the TRE's self-description together with the federation bundle (its
//! members and datasets) and the vocabularies' class hierarchy, with `?tre` bound to the
//! described TRE and `?assessmentDate` to the day of the assessment. Each solution is either
//! evidence (`?evidence` bound, `?problem` unbound) or a problem (`?problem`, a sentence, with the
//! `?evidence` it is about). Any problem fails the requirement; evidence without problems passes
//! it; no solution at all fails it with the message of the `#@missing` line, or, with
//! `#@none inapplicable`, makes it inapplicable (the TRE has nothing the requirement is about).

use crate::error::CertifyError;
use oxigraph::sparql::{PreparedSparqlQuery, QueryResults, SparqlEvaluator};
use oxigraph::store::Store;

/// One check.
#[derive(Clone)]
pub struct Check {
    /// The requirement it checks.
    pub requirement: String,
    /// What it looks for, from the comment lines at its top.
    pub summary: String,
    /// The sentence reported when the query finds nothing.
    pub missing: String,
    /// Whether finding nothing makes the requirement inapplicable rather than failed.
    pub none_inapplicable: bool,
    /// The SPARQL text, as written.
    pub text: String,
    pub(crate) query: PreparedSparqlQuery,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check").field("requirement", &self.requirement).field("missing", &self.missing).finish()
    }
}

macro_rules! checks {
    ($($id:literal),* $(,)?) => {
        &[$(($id, include_str!(concat!("../../../blueprint/checks/", $id, ".rq")))),*]
    };
}

/// The baseline blueprint's checks, embedded at build time: (requirement, SPARQL text).
pub const EMBEDDED: &[(&str, &str)] = checks!(
    "LEG.PEO.3",
    "LEG.PRJ.3",
    "LEG.SET.2",
    "LEG.SET.3",
    "LEG.DAT.2",
    "LEG.OUT.2",
    "ORG.PEO.4",
    "ORG.PRJ.4",
    "ORG.SET.2",
    "ORG.SET.3",
    "ORG.DAT.2",
    "ORG.OUT.3",
    "TEC.PEO.2",
    "TEC.PEO.3",
    "TEC.PRJ.2",
    "TEC.SET.4",
    "TEC.SET.5",
    "TEC.DAT.3",
    "TEC.DAT.4",
    "TEC.OUT.3",
    "SEM.PEO.2",
    "SEM.PRJ.4",
    "SEM.SET.1",
    "SEM.SET.2",
    "SEM.DAT.2",
    "SEM.DAT.3",
    "SEM.OUT.2",
);

/// The prefixes every check may use without declaring them.
pub const PREFIXES: &[(&str, &str)] = &[
    ("fs", "https://w3id.org/fivesafes#"),
    ("fsj", "https://w3id.org/fivesafes/jurisdiction#"),
    ("dpv", "https://w3id.org/dpv#"),
    ("dcterms", "http://purl.org/dc/terms/"),
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("obo", "http://purl.obolibrary.org/obo/"),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
];

/// Write an IRI (bare or in angle brackets) with [`PREFIXES`] and then `extra`; unchanged when
/// no prefix fits.
pub(crate) fn compact(term: &str, extra: &[(&str, &str)]) -> String {
    let iri = term.trim_matches(['<', '>']);
    for (prefix, ns) in PREFIXES.iter().chain(extra) {
        if let Some(local) = iri.strip_prefix(ns) {
            return format!("{prefix}:{local}");
        }
    }
    iri.to_owned()
}

/// A SPARQL evaluator that knows [`PREFIXES`].
pub(crate) fn evaluator() -> SparqlEvaluator {
    let mut evaluator = SparqlEvaluator::new();
    for (prefix, iri) in PREFIXES {
        // The prefixes are constants; a failure here would be a bad IRI in this file.
        if let Ok(e) = evaluator.clone().with_prefix(*prefix, *iri) {
            evaluator = e;
        }
    }
    evaluator
}

/// The variables bound before a check runs. Oxigraph substitutes only projected variables, so
/// they are added to the projection of the check's `SELECT` (after `DISTINCT` or `REDUCED`).
pub const BOUND: &str = "?tre ?assessmentDate";

fn with_bound_variables(text: &str) -> String {
    let body_start =
        text.lines().take_while(|l| l.starts_with('#')).map(|l| l.len() + 1).sum::<usize>().min(text.len());
    let (head, body) = text.split_at(body_start);
    let upper = body.to_ascii_uppercase();
    let Some(at) = upper.find("SELECT") else { return text.to_owned() };
    let mut insert = at + "SELECT".len();
    let rest = upper.get(insert..).unwrap_or_default();
    let trimmed = rest.trim_start();
    for modifier in ["DISTINCT", "REDUCED"] {
        if trimmed.starts_with(modifier) {
            insert += rest.len() - trimmed.len() + modifier.len();
        }
    }
    let (before, after) = body.split_at(insert);
    format!("{head}{before} {BOUND}{after}")
}

impl Check {
    /// Read a check from its SPARQL text.
    pub fn parse(requirement: &str, text: &str) -> Result<Check, CertifyError> {
        let bad = |message: String| CertifyError::Check { check: requirement.to_owned(), message };
        let mut summary = Vec::new();
        let mut missing = None;
        let mut none_inapplicable = false;
        for line in text.lines().take_while(|l| l.starts_with('#')) {
            if let Some(m) = line.strip_prefix("#@missing ") {
                missing = Some(m.trim().to_owned());
            } else if let Some(n) = line.strip_prefix("#@none ") {
                match n.trim() {
                    "inapplicable" => none_inapplicable = true,
                    "failed" => none_inapplicable = false,
                    other => return Err(bad(format!("`#@none {other}`: expected `inapplicable` or `failed`"))),
                }
            } else if let Some(other) = line.strip_prefix("#@") {
                return Err(bad(format!("unknown directive `#@{other}`")));
            } else {
                summary.push(line.trim_start_matches('#').trim());
            }
        }
        let missing =
            missing.ok_or_else(|| bad("no `#@missing` line says what is reported when nothing is found".into()))?;
        let query = evaluator().parse_query(&with_bound_variables(text)).map_err(|e| bad(e.to_string()))?;
        // Run it once on an empty store to learn its form and the variables it selects.
        let empty = Store::new().map_err(|e| bad(e.to_string()))?;
        let vars: Vec<String> = match query.clone().on_store(&empty).execute() {
            Ok(QueryResults::Solutions(s)) => s.variables().iter().map(|v| v.as_str().to_owned()).collect(),
            Ok(_) => return Err(bad("a check is a SELECT query".into())),
            Err(e) => return Err(bad(e.to_string())),
        };
        if !vars.iter().any(|v| v == "evidence") {
            return Err(bad("the query does not select `?evidence`".into()));
        }
        if let Some(other) =
            vars.iter().find(|v| !matches!(v.as_str(), "evidence" | "problem" | "tre" | "assessmentDate"))
        {
            return Err(bad(format!("the query selects `?{other}`; a check selects only `?evidence` and `?problem`")));
        }
        Ok(Check {
            requirement: requirement.to_owned(),
            summary: summary.join(" "),
            missing,
            none_inapplicable,
            text: text.to_owned(),
            query,
        })
    }

    /// The baseline's checks.
    pub fn embedded() -> Result<Vec<Check>, CertifyError> {
        EMBEDDED.iter().map(|(id, text)| Check::parse(id, text)).collect()
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_check_parses() -> Result<(), CertifyError> {
        let checks = Check::embedded()?;
        assert_eq!(checks.len(), EMBEDDED.len());
        Ok(())
    }

    #[test]
    fn the_bound_variables_join_the_projection() {
        assert_eq!(
            with_bound_variables("# x\nSELECT ?evidence WHERE {}"),
            "# x\nSELECT ?tre ?assessmentDate ?evidence WHERE {}"
        );
        assert_eq!(
            with_bound_variables("select distinct ?evidence WHERE {}"),
            "select distinct ?tre ?assessmentDate ?evidence WHERE {}"
        );
    }

    #[test]
    fn a_check_without_a_missing_line_is_refused() {
        let e = Check::parse("X.Y.1", "SELECT ?evidence WHERE { ?tre fs:hasControl ?evidence }");
        assert!(matches!(e, Err(CertifyError::Check { .. })), "{e:?}");
    }

    #[test]
    fn a_check_selecting_other_variables_is_refused() {
        let e = Check::parse(
            "X.Y.1",
            "#@missing nothing\nSELECT ?evidence ?x WHERE { ?tre fs:hasControl ?evidence . ?evidence a ?x }",
        );
        let Err(CertifyError::Check { message, .. }) = e else { panic!("{e:?}") };
        assert!(message.contains("`?x`"), "{message}");
    }
}
