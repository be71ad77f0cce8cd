//! Assess a TRE: run every check over its self-description and the federation bundle, weigh the
//! TRE's SATRE scores where statements are mapped to a requirement, and grade the grid.

use crate::check::{Check, compact};
use crate::error::CertifyError;
use crate::evidence::Description;
use crate::report::{
    AssessedSettings, Assessment, Cell, Conformance, Counts, DimensionLevel, Mode, Outcome, Pointer, RequirementResult,
    SatreEvidence, SatreSummary,
};
use crate::satre::{self, Score, SelfAssessment};
use fivesafes_core::day::Day;
use fivesafes_core::rdf::load_into;
use fivesafes_core::{Blueprint, Dimension, Level, Requirement, Safe, SourceFile, SourceRole};
use oxigraph::model::vocab::{rdf, rdfs, xsd};
use oxigraph::model::{Graph, GraphNameRef, Literal, NamedNode, QuadRef, Term, TermRef, Variable};
use oxigraph::sparql::QueryResults;
use oxigraph::store::Store;
use std::collections::BTreeMap;

/// Assesses TREs against a bundle's blueprint. Build it once; assess many.
#[derive(Debug, Clone)]
pub struct Assessor {
    blueprint: Blueprint,
    checks: BTreeMap<String, Check>,
    /// The federation's graph and the vocabularies' class hierarchy, which checks read beside
    /// the description.
    context: Graph,
    members: Vec<(String, String)>,
    validity_days: i64,
}

/// How long an assessment is valid when the blueprint does not say (`fs:assessmentValidityDays`).
pub const DEFAULT_VALIDITY_DAYS: i64 = 365;

const DCTERMS: &str = "http://purl.org/dc/terms/";

impl Assessor {
    /// Read the blueprint, the vocabularies' class hierarchy and the federation from a bundle's
    /// source files, with the baseline's checks.
    pub fn new(files: &[SourceFile]) -> Result<Assessor, CertifyError> {
        Assessor::with_checks(files, Check::embedded()?)
    }

    /// As [`Assessor::new`], with other checks.
    pub fn with_checks(files: &[SourceFile], checks: Vec<Check>) -> Result<Assessor, CertifyError> {
        let mut blueprint_graph = Graph::new();
        let mut context = Graph::new();
        for f in files {
            match f.role {
                SourceRole::Blueprint => load_into(&mut blueprint_graph, &f.name, f.text.as_bytes())?,
                SourceRole::Federation => load_into(&mut context, &f.name, f.text.as_bytes())?,
                SourceRole::Vocabulary => {
                    let mut g = Graph::new();
                    load_into(&mut g, &f.name, f.text.as_bytes())?;
                    for t in g.iter().filter(|t| t.predicate == rdfs::SUB_CLASS_OF) {
                        context.insert(t);
                    }
                }
                _ => {}
            }
        }
        let blueprint = Blueprint::from_graph(&blueprint_graph)?;
        let mut by_id = BTreeMap::new();
        for check in checks {
            match blueprint.get(&check.requirement) {
                Some(r) if r.checked_at_certification => {}
                Some(_) => {
                    return Err(CertifyError::Check {
                        check: check.requirement.clone(),
                        message: "its requirement is not checked at certification (fs:checkedAtCertification)".into(),
                    });
                }
                None => {
                    return Err(CertifyError::Check {
                        check: check.requirement.clone(),
                        message: "no requirement of the blueprint has this id".into(),
                    });
                }
            }
            by_id.insert(check.requirement.clone(), check);
        }
        let members = fivesafes_core::rdf::View { graph: &context }
            .instances(&fivesafes_core::rdf::iri(fivesafes_core::rdf::ns::FS, "MemberTRE"))
            .into_iter()
            .map(|m| {
                let id = context
                    .object_for_subject_predicate(&m, &NamedNode::new_unchecked(format!("{DCTERMS}identifier")))
                    .map(|o| literal_text(o))
                    .unwrap_or_default();
                (id, m.as_str().to_owned())
            })
            .collect();
        let validity_days = blueprint_graph
            .triples_for_predicate(&NamedNode::new_unchecked("https://w3id.org/fivesafes#assessmentValidityDays"))
            .next()
            .and_then(|t| match t.object {
                TermRef::Literal(l) => l.value().parse::<i64>().ok().filter(|d| *d > 0),
                _ => None,
            })
            .unwrap_or(DEFAULT_VALIDITY_DAYS);
        Ok(Assessor { blueprint, checks: by_id, context, members, validity_days })
    }

    /// The blueprint.
    pub fn blueprint(&self) -> &Blueprint {
        &self.blueprint
    }

    /// The federation's members: (identifier, IRI).
    pub fn members(&self) -> &[(String, String)] {
        &self.members
    }

    /// The requirements checked at certification, in grid order (dimension, Safe, id).
    pub fn requirements(&self) -> Vec<&Requirement> {
        let mut list: Vec<&Requirement> =
            self.blueprint.requirements.values().filter(|r| r.checked_at_certification).collect();
        list.sort_by_key(|r| (r.dimension, r.safe, number(&r.id)));
        list
    }

    /// Assess a TRE on `day` from its self-description and, when given, its SATRE
    /// self-assessment (the same one the description was read with).
    pub fn assess(
        &self,
        description: &Description,
        sheet: Option<&SelfAssessment>,
        day: Day,
    ) -> Result<Assessment, CertifyError> {
        let store = Store::new().map_err(|e| eval("store", e))?;
        let graph = GraphNameRef::DefaultGraph;
        for t in self.context.iter().chain(description.graph.iter()) {
            store.insert(QuadRef::new(t.subject, t.predicate, t.object, graph)).map_err(|e| eval("store", e))?;
        }
        let labels = Labels { store: &store };
        let date = Literal::new_typed_literal(day.iso(), xsd::DATE);
        let mut results = Vec::new();
        for r in self.requirements() {
            let Some(check) = self.checks.get(&r.id) else {
                results.push(result(
                    r,
                    Outcome::Untested,
                    Mode::Automatic,
                    Vec::new(),
                    vec!["the blueprint has no check for this requirement".into()],
                ));
                continue;
            };
            let found = run(check, &store, &description.tre, &date, &labels)?;
            let (mut outcome, problems) = match (found.problems.is_empty(), found.evidence.is_empty()) {
                (false, _) => (Outcome::Failed, found.problems),
                (true, false) => (Outcome::Passed, Vec::new()),
                (true, true) if check.none_inapplicable => (Outcome::Inapplicable, vec![check.missing.clone()]),
                (true, true) => (Outcome::Failed, vec![check.missing.clone()]),
            };
            let explicit_problem = outcome == Outcome::Failed && !found.evidence.is_empty();
            let mut res = result(r, outcome, Mode::Automatic, found.evidence, problems);
            if let Some(sheet) = sheet {
                let mapped = mapped_statements(r, sheet);
                if !mapped.is_empty() {
                    res.mode = Mode::SemiAuto;
                    let verdict = satre_verdict(&mapped);
                    outcome = combine(outcome, explicit_problem, verdict.clone());
                    if outcome == Outcome::CantTell {
                        res.problems.push(match verdict {
                            SatreVerdict::NotMet(s) => format!(
                                "the self-description shows this, but the SATRE self-assessment scores statement {s} below 1"
                            ),
                            _ => "the SATRE self-assessment scores its statements as met, but the self-description shows no evidence".into(),
                        });
                    }
                    res.outcome = outcome;
                    res.satre = mapped.into_iter().map(|(s, _)| s).collect();
                }
            }
            if !matches!(res.outcome, Outcome::Passed | Outcome::Inapplicable) {
                res.improve = improvement(r, &res);
            }
            results.push(res);
        }
        let (cells, dimensions, overall) = grade(&results);
        let name = description
            .graph
            .object_for_subject_predicate(&description.tre, &NamedNode::new_unchecked(format!("{DCTERMS}title")))
            .map(literal_text);
        let settings = settings_of(description);
        let valid_until = validity(description, day, self.validity_days);
        Ok(Assessment {
            tre: description.tre.as_str().to_owned(),
            id: description.id.clone(),
            name,
            assessed_on: day.iso(),
            blueprint: self.blueprint.iri.clone(),
            blueprint_version: self.blueprint.version.clone(),
            description: description.file.clone(),
            evidence_hash: description.hash.clone(),
            overall,
            certified: overall.certifies(),
            valid_until: valid_until.iso(),
            settings,
            dimensions,
            cells,
            results,
            satre: sheet.map(summary),
        })
    }
}

const FS: &str = "https://w3id.org/fivesafes#";

/// The tier and controls the description itself states (not the bundle's).
fn settings_of(d: &Description) -> AssessedSettings {
    let tre = &d.tre;
    let tier = d
        .graph
        .object_for_subject_predicate(tre, &NamedNode::new_unchecked(format!("{FS}securityTier")))
        .and_then(|o| literal_text(o).parse::<i64>().ok());
    let mut controls: Vec<String> = d
        .graph
        .objects_for_subject_predicate(tre, &NamedNode::new_unchecked(format!("{FS}hasControl")))
        .filter_map(|o| match o {
            TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
            _ => None,
        })
        .collect();
    controls.sort();
    controls.dedup();
    AssessedSettings { tier, controls }
}

/// The last day an assessment made on `day` is valid: `days` later (the day itself counted), and
/// no later than the last certificate valid on `day`, when the description lists certificates.
fn validity(d: &Description, day: Day, days: i64) -> Day {
    let mut until = day.plus(days - 1);
    let date = |node: oxigraph::model::NamedOrBlankNodeRef<'_>, p: &str| {
        d.graph
            .object_for_subject_predicate(node, &NamedNode::new_unchecked(format!("{FS}{p}")))
            .and_then(|o| Day::parse(&literal_text(o)).ok())
    };
    let certificates: Vec<_> = d
        .graph
        .objects_for_subject_predicate(&d.tre, &NamedNode::new_unchecked(format!("{FS}hasCertification")))
        .filter_map(|o| match o {
            TermRef::NamedNode(n) => Some(oxigraph::model::NamedOrBlankNode::from(n.into_owned())),
            TermRef::BlankNode(b) => Some(b.into_owned().into()),
            _ => None,
        })
        .collect();
    if certificates.is_empty() {
        return until;
    }
    let last_valid = certificates
        .iter()
        .filter(|c| date(c.as_ref(), "validFrom").is_none_or(|f| f <= day))
        .filter_map(|c| date(c.as_ref(), "validUntil"))
        .filter(|u| *u >= day)
        .max();
    until = match last_valid {
        Some(u) => until.min(u),
        // No certificate is valid on the assessment day: the assessment is valid for none.
        None => day.plus(-1),
    };
    until
}

fn number(id: &str) -> (String, u32) {
    let (head, tail) = id.rsplit_once('.').unwrap_or((id, "0"));
    (head.to_owned(), tail.parse().unwrap_or(0))
}

fn eval(check: &str, e: impl std::fmt::Display) -> CertifyError {
    CertifyError::Evaluation { check: check.to_owned(), message: e.to_string() }
}

fn literal_text(t: TermRef<'_>) -> String {
    match t {
        TermRef::Literal(l) => l.value().to_owned(),
        other => other.to_string(),
    }
}

fn result(
    r: &Requirement,
    outcome: Outcome,
    mode: Mode,
    evidence: Vec<Pointer>,
    problems: Vec<String>,
) -> RequirementResult {
    RequirementResult {
        requirement: r.id.clone(),
        iri: r.iri.clone(),
        title: r.title.clone(),
        dimension: r.dimension,
        safe: r.safe,
        level: r.level,
        outcome,
        mode,
        evidence,
        problems,
        satre: Vec::new(),
        improve: String::new(),
    }
}

#[derive(Default)]
struct Found {
    evidence: Vec<Pointer>,
    problems: Vec<String>,
}

fn run(
    check: &Check,
    store: &Store,
    tre: &NamedNode,
    date: &Literal,
    labels: &Labels<'_>,
) -> Result<Found, CertifyError> {
    let fail = |e: &dyn std::fmt::Display| eval(&check.requirement, e);
    let var = |name: &str| Variable::new(name).map_err(|e| fail(&e));
    let query = check
        .query
        .clone()
        .substitute_variable(var("tre")?, tre.clone())
        .substitute_variable(var("assessmentDate")?, date.clone());
    let QueryResults::Solutions(solutions) = query.on_store(store).execute().map_err(|e| fail(&e))? else {
        return Err(fail(&"a check is a SELECT query"));
    };
    let mut found = Found::default();
    for solution in solutions {
        let solution = solution.map_err(|e| fail(&e))?;
        let evidence = solution.get("evidence").map(|t| labels.pointer(t));
        match solution.get("problem") {
            Some(p) => found.problems.push(literal_text(p.as_ref())),
            None => found.evidence.extend(evidence),
        }
    }
    found.evidence.sort();
    found.evidence.dedup();
    found.problems.sort();
    found.problems.dedup();
    Ok(found)
}

/// Readable labels for evidence nodes: a title, else the node's types and document.
struct Labels<'a> {
    store: &'a Store,
}

impl Labels<'_> {
    fn pointer(&self, term: &Term) -> Pointer {
        let node = match term {
            Term::Literal(l) => return Pointer { node: l.value().to_owned(), label: l.value().to_owned() },
            Term::NamedNode(n) => n.to_string(),
            Term::BlankNode(b) => b.to_string(),
            #[allow(unreachable_patterns)]
            other => other.to_string(),
        };
        let subject = match term {
            Term::NamedNode(n) => oxigraph::model::NamedOrBlankNodeRef::from(n.as_ref()),
            Term::BlankNode(b) => b.as_ref().into(),
            _ => return Pointer { label: node.clone(), node },
        };
        let value = |p: &str| {
            self.store
                .quads_for_pattern(Some(subject), Some(NamedNode::new_unchecked(p).as_ref()), None, None)
                .flatten()
                .map(|q| literal_text(q.object.as_ref()))
                .next()
        };
        let title = value(&format!("{DCTERMS}title")).or_else(|| value(rdfs::LABEL.as_str()));
        let types: Vec<String> = self
            .store
            .quads_for_pattern(Some(subject), Some(rdf::TYPE), None, None)
            .flatten()
            .map(|q| compact(&q.object.to_string(), &[]))
            .collect();
        let document = value("https://w3id.org/fivesafes#documentedAt");
        let mut label = match (title, types.is_empty()) {
            (Some(t), _) => t,
            (None, false) => types.join(", "),
            (None, true) => compact(&node, &[]),
        };
        if let Some(d) = document {
            label.push_str(&format!(" ({d})"));
        }
        Pointer { node: if node.starts_with('<') { node.trim_matches(['<', '>']).to_owned() } else { node }, label }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum SatreVerdict {
    /// Every mapped statement scored scores at least 1 (or N/A), at least one with a number.
    Met,
    /// A mapped statement scores below 1.
    NotMet(String),
    /// Every mapped statement the sheet has is N/A.
    NotApplicable,
    /// The sheet scores none of the mapped statements.
    NotScored,
}

/// The SATRE statements mapped to a requirement, as the sheet scores them.
fn mapped_statements(r: &Requirement, sheet: &SelfAssessment) -> Vec<(SatreEvidence, Score)> {
    r.satre
        .iter()
        .map(|index| {
            let scored = sheet.statement_score(index);
            let score = scored.map_or(Score::NotScored, |s| s.score);
            let evidence = SatreEvidence {
                statement: index.clone(),
                score: match score {
                    Score::Value(v) => format!("{v}"),
                    Score::NotApplicable => "N/A".into(),
                    Score::NotScored => "not scored".into(),
                },
                line: scored.map(|s| s.line),
                response: scored.map(|s| s.response.clone()).unwrap_or_default(),
                improvements: scored.map(|s| s.improvements.clone()).unwrap_or_default(),
            };
            (evidence, score)
        })
        .collect()
}

fn satre_verdict(mapped: &[(SatreEvidence, Score)]) -> SatreVerdict {
    let mut numbers = 0;
    let mut na = 0;
    for (s, score) in mapped {
        match score {
            Score::Value(v) if *v < 1.0 => return SatreVerdict::NotMet(s.statement.clone()),
            Score::Value(_) => numbers += 1,
            Score::NotApplicable => na += 1,
            Score::NotScored => {}
        }
    }
    match (numbers, na) {
        (0, 0) => SatreVerdict::NotScored,
        (0, _) => SatreVerdict::NotApplicable,
        _ => SatreVerdict::Met,
    }
}

/// The machine check's outcome weighed with the TRE's own SATRE scores. A problem the check
/// found in the description stands; evidence contradicted by a score below 1, or a score of
/// met with no evidence in the description, is a contradiction a certifier must look at.
fn combine(machine: Outcome, explicit_problem: bool, satre: SatreVerdict) -> Outcome {
    match (machine, satre) {
        (Outcome::Failed, _) if explicit_problem => Outcome::Failed,
        (Outcome::Passed, SatreVerdict::NotMet(_)) => Outcome::CantTell,
        (Outcome::Failed, SatreVerdict::Met) => Outcome::CantTell,
        (Outcome::Inapplicable, SatreVerdict::NotMet(_)) => Outcome::CantTell,
        (other, _) => other,
    }
}

fn improvement(r: &Requirement, res: &RequirementResult) -> String {
    let mut out = format!("To meet {}: {}", r.id, r.statement);
    let noted: Vec<&str> = res.satre.iter().map(|s| s.improvements.trim()).filter(|s| !s.is_empty()).collect();
    if !noted.is_empty() {
        out.push_str(&format!(" The TRE's own improvement notes: {}", noted.join(" / ")));
    }
    out
}

fn grade(results: &[RequirementResult]) -> (Vec<Cell>, Vec<DimensionLevel>, Conformance) {
    let mut cells = Vec::new();
    for dimension in Dimension::ALL {
        for safe in Safe::ALL {
            let mut counts = Counts::default();
            let mut level = Conformance::Full;
            for r in results.iter().filter(|r| r.dimension == dimension && r.safe == safe) {
                counts.add(r.outcome);
                let this = match (r.level, r.outcome) {
                    (_, Outcome::Passed | Outcome::Inapplicable) => Conformance::Full,
                    (Level::Mandatory, Outcome::Failed) => Conformance::NotMet,
                    (Level::Mandatory, _) => Conformance::Undetermined,
                    (Level::Recommended, _) => Conformance::Baseline,
                };
                level = level.min(this);
            }
            cells.push(Cell { dimension, safe, level, counts });
        }
    }
    let dimensions: Vec<DimensionLevel> = Dimension::ALL
        .into_iter()
        .map(|d| DimensionLevel {
            dimension: d,
            level: cells.iter().filter(|c| c.dimension == d).map(|c| c.level).min().unwrap_or(Conformance::Full),
        })
        .collect();
    let overall = cells.iter().map(|c| c.level).min().unwrap_or(Conformance::Full);
    (cells, dimensions, overall)
}

fn summary(sheet: &SelfAssessment) -> SatreSummary {
    let score = satre::score(sheet);
    let unmet_pillars = score.pillars.iter().filter(|p| !p.met).map(|p| p.name.clone()).collect();
    let unmet_capabilities = score
        .pillars
        .iter()
        .flat_map(|p| p.capabilities.iter())
        .filter(|c| !c.met)
        .map(|c| format!("{} {}", c.index, c.name))
        .collect();
    let mut notes = sheet.notes.clone();
    notes.extend(score.notes.iter().cloned());
    SatreSummary {
        version: sheet.version.number().to_owned(),
        met: score.met,
        unmet_pillars,
        unmet_capabilities,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_requirement_checked_at_certification_has_a_check() -> Result<(), CertifyError> {
        let a = Assessor::new(&fivesafes_core::embedded::default_sources())?;
        let missing: Vec<&str> =
            a.requirements().iter().filter(|r| !a.checks.contains_key(&r.id)).map(|r| r.id.as_str()).collect();
        assert!(missing.is_empty(), "no check for {missing:?}");
        Ok(())
    }

    #[test]
    fn levels_grade_from_the_worst_outcome() {
        assert!(Conformance::NotMet < Conformance::Undetermined);
        assert!(Conformance::Baseline.certifies());
        assert!(!Conformance::Undetermined.certifies());
        assert_eq!(combine(Outcome::Passed, false, SatreVerdict::NotMet("1.1.01".into())), Outcome::CantTell);
        assert_eq!(combine(Outcome::Failed, true, SatreVerdict::Met), Outcome::Failed);
        assert_eq!(combine(Outcome::Failed, false, SatreVerdict::Met), Outcome::CantTell);
        assert_eq!(combine(Outcome::Passed, false, SatreVerdict::NotScored), Outcome::Passed);
    }
}
