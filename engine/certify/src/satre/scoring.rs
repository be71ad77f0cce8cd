//! SATRE's own scoring of a self-assessment: statements, capabilities, pillars, the TRE.
//!
//! A statement scores 0 (not met), 1 (sufficient), 2 (satisfied) or N/A. A capability is met
//! when every one of its mandatory statements scores 1 or more; a pillar when all its
//! capabilities are; the TRE when all pillars are. Where SATRE leaves a case open, this module
//! decides so that certification never passes silently:
//!
//! - a `Mandatory*` (mandatory where applicable) statement scored N/A is left out: it does not
//!   apply to this TRE;
//! - a plain `Mandatory` statement scored N/A is **not met** (listed in `unmet`, with a note):
//!   SATRE lets only `Mandatory*` statements not apply. So a TRE outside any federation that
//!   scores pillar 5 (Federation) N/A does not meet SATRE v2.0.1 as a whole; each of its other
//!   pillars and capabilities is still judged on its own;
//! - a mandatory statement the sheet leaves out or leaves blank is **not scored** (listed in
//!   `unscored`), and its capability is not met;
//! - `Recommended` and `Optional` statements never decide whether a capability is met; their
//!   scores count in `statementsScored` and `meanScore` only;
//! - a capability without mandatory statements is met (SATRE asks nothing of it).

use super::cell::Score;
use super::sheet::SelfAssessment;
use super::specification::{Capability, Importance, SATRE_VERSION, Specification, try_specification};
use schemars::JsonSchema;
use serde::Serialize;

/// A self-assessment scored by SATRE's rules.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SatreScore {
    /// Whether the TRE meets SATRE: every pillar is met.
    pub met: bool,
    /// The pillars, in the specification's order.
    pub pillars: Vec<PillarScore>,
    /// What scoring noted (mandatory statements scored N/A, statements SATRE does not have).
    pub notes: Vec<String>,
}

/// A pillar's score.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PillarScore {
    /// The pillar's number (`1`).
    pub index: String,
    /// Its name.
    pub name: String,
    /// Whether every capability is met.
    pub met: bool,
    /// Its capabilities, in the specification's order.
    pub capabilities: Vec<CapabilityScore>,
}

/// A capability's score.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityScore {
    /// The capability's index (`1.2`).
    pub index: String,
    /// Its name.
    pub name: String,
    /// Whether every mandatory statement scores 1 or more (`unmet` and `unscored` are empty).
    pub met: bool,
    /// Mandatory statements that are not met: scored below 1, or plain `Mandatory` scored N/A.
    pub unmet: Vec<String>,
    /// Mandatory statements without a score: blank, or not in the sheet.
    pub unscored: Vec<String>,
    /// How many of its statements (of any importance) have a numeric score.
    pub statements_scored: usize,
    /// The mean of those scores; none when there are none.
    pub mean_score: Option<f64>,
}

/// Score a self-assessment by SATRE's rules (see the module's documentation for the cases
/// SATRE leaves open). Never fails: should the embedded specification be unreadable, the TRE
/// is not met and the note says why.
pub fn score(assessment: &SelfAssessment) -> SatreScore {
    match try_specification() {
        Ok(spec) => score_with(spec, assessment),
        Err(e) => SatreScore { met: false, pillars: Vec::new(), notes: vec![format!("nothing was scored: {e}")] },
    }
}

/// [`score`] against a given specification.
pub(crate) fn score_with(spec: &Specification, assessment: &SelfAssessment) -> SatreScore {
    let mut notes = Vec::new();
    for index in assessment.statements.keys() {
        if spec.statement(index).is_none() {
            notes.push(format!("`{index}` is not a SATRE v{SATRE_VERSION} statement: not scored"));
        }
    }
    let pillars: Vec<PillarScore> = spec
        .pillars()
        .into_iter()
        .map(|pillar| {
            let capabilities: Vec<CapabilityScore> =
                pillar.capabilities.iter().map(|c| score_capability(c, assessment, &mut notes)).collect();
            PillarScore {
                index: pillar.index.to_owned(),
                name: pillar.name.to_owned(),
                met: capabilities.iter().all(|c| c.met),
                capabilities,
            }
        })
        .collect();
    SatreScore { met: !pillars.is_empty() && pillars.iter().all(|p| p.met), pillars, notes }
}

fn score_capability(
    capability: &Capability<'_>,
    assessment: &SelfAssessment,
    notes: &mut Vec<String>,
) -> CapabilityScore {
    let mut unmet = Vec::new();
    let mut unscored = Vec::new();
    let mut values = Vec::new();
    for statement in &capability.statements {
        let score = assessment.statement_score(&statement.index).map(|s| s.score);
        if let Some(value) = score.and_then(|s| s.value()) {
            values.push(value);
        }
        if !statement.importance.is_mandatory() {
            continue;
        }
        match score {
            Some(Score::Value(v)) if v >= 1.0 => {}
            Some(Score::Value(_)) => unmet.push(statement.index.clone()),
            Some(Score::NotApplicable) if statement.importance == Importance::MandatoryWhereApplicable => {}
            Some(Score::NotApplicable) => {
                notes.push(format!(
                    "`{}` is Mandatory but scored N/A: only Mandatory* statements may not apply, so it is not met",
                    statement.index
                ));
                unmet.push(statement.index.clone());
            }
            Some(Score::NotScored) | None => unscored.push(statement.index.clone()),
        }
    }
    let statements_scored = values.len();
    let mean_score = (statements_scored > 0).then(|| values.iter().sum::<f64>() / statements_scored as f64);
    CapabilityScore {
        index: capability.index.to_owned(),
        name: capability.name.to_owned(),
        met: unmet.is_empty() && unscored.is_empty(),
        unmet,
        unscored,
        statements_scored,
        mean_score,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]
    use super::*;
    use crate::satre::sheet::{SatreVersion, ScoredStatement};
    use std::collections::BTreeMap;

    /// Two pillars: 1.1 (one Mandatory, one Mandatory*, one Recommended), 1.2 (Optional only),
    /// 2.1 (one Mandatory).
    fn spec() -> Specification {
        let statement = |index: &str, capability: &str, pillar: &str, importance: &str| {
            format!(
                "  - pillar: {pillar}\n    capability: {capability}\n    capability_index: \"{}\"\n    \
                 requirement_index: {index}\n    statement: S\n    importance: \"{importance}\"\n",
                &index[..3]
            )
        };
        let yaml = [
            "specification:\n".to_owned(),
            statement("1.1.01", "A", "One", "Mandatory"),
            statement("1.1.02", "A", "One", "Mandatory*"),
            statement("1.1.03", "A", "One", "Recommended"),
            statement("1.2.01", "B", "One", "Optional"),
            statement("2.1.01", "C", "Two", "Mandatory"),
        ]
        .concat();
        Specification::from_yaml("test.yaml", &yaml).unwrap()
    }

    fn assessment(scores: &[(&str, Score)]) -> SelfAssessment {
        let statements: BTreeMap<String, ScoredStatement> = scores
            .iter()
            .enumerate()
            .map(|(i, (index, score))| {
                let s = ScoredStatement {
                    index: (*index).to_owned(),
                    sheet_index: (*index).to_owned(),
                    line: i as u64 + 2,
                    score: *score,
                    response: String::new(),
                    improvements: String::new(),
                };
                ((*index).to_owned(), s)
            })
            .collect();
        SelfAssessment { name: "t".into(), version: SatreVersion::V2, statements, notes: Vec::new() }
    }

    fn capability<'a>(score: &'a SatreScore, index: &str) -> &'a CapabilityScore {
        score.pillars.iter().flat_map(|p| &p.capabilities).find(|c| c.index == index).unwrap()
    }

    #[test]
    fn all_mandatory_at_least_one_is_met() {
        let a = assessment(&[
            ("1.1.01", Score::Value(1.0)),
            ("1.1.02", Score::Value(2.0)),
            ("1.1.03", Score::Value(0.0)),
            ("2.1.01", Score::Value(1.5)),
        ]);
        let s = score_with(&spec(), &a);
        assert!(s.met);
        assert!(s.notes.is_empty());
        let a1 = capability(&s, "1.1");
        assert_eq!((a1.statements_scored, a1.mean_score), (3, Some(1.0)));
        let b = capability(&s, "1.2");
        assert!(b.met, "no mandatory statements: met");
        assert_eq!((b.statements_scored, b.mean_score), (0, None));
        assert_eq!(
            s.pillars.iter().map(|p| (p.index.as_str(), p.name.as_str())).collect::<Vec<_>>(),
            [("1", "One"), ("2", "Two")]
        );
    }

    #[test]
    fn below_one_is_unmet_and_blank_or_missing_is_unscored() {
        let a = assessment(&[("1.1.01", Score::Value(0.5)), ("1.1.02", Score::NotScored)]);
        let s = score_with(&spec(), &a);
        assert!(!s.met);
        let a1 = capability(&s, "1.1");
        assert!(!a1.met);
        assert_eq!(a1.unmet, ["1.1.01"]);
        assert_eq!(a1.unscored, ["1.1.02"]);
        let c = capability(&s, "2.1");
        assert_eq!((c.met, c.unscored.as_slice()), (false, ["2.1.01".to_owned()].as_slice()));
        assert_eq!(s.pillars.iter().map(|p| p.met).collect::<Vec<_>>(), [false, false]);
    }

    #[test]
    fn not_applicable_is_left_out_only_where_mandatory_star() {
        let a = assessment(&[
            ("1.1.01", Score::NotApplicable),
            ("1.1.02", Score::NotApplicable),
            ("2.1.01", Score::Value(2.0)),
        ]);
        let s = score_with(&spec(), &a);
        let a1 = capability(&s, "1.1");
        assert_eq!((a1.met, a1.unmet.as_slice(), a1.unscored.len()), (false, ["1.1.01".to_owned()].as_slice(), 0));
        assert_eq!(a1.statements_scored, 0);
        assert_eq!(
            s.notes,
            ["`1.1.01` is Mandatory but scored N/A: only Mandatory* statements may not apply, so it is not met"]
        );
        let fine = assessment(&[
            ("1.1.01", Score::Value(1.0)),
            ("1.1.02", Score::NotApplicable),
            ("2.1.01", Score::Value(1.0)),
        ]);
        assert!(score_with(&spec(), &fine).met);
    }

    #[test]
    fn statements_not_in_the_specification_are_noted() {
        let a = assessment(&[("1.1.01", Score::Value(1.0)), ("9.9.09", Score::Value(2.0))]);
        let s = score_with(&spec(), &a);
        assert_eq!(s.notes.first().unwrap(), "`9.9.09` is not a SATRE v2.0.1 statement: not scored");
    }

    #[test]
    fn an_empty_specification_meets_nothing() {
        let s = score_with(&Specification { statements: Vec::new() }, &assessment(&[]));
        assert!(!s.met);
    }
}
