//! The SATRE v2.0.1 specification, embedded from `blueprint/satre/specification.yaml` and
//! parsed once.

use super::error::SpecificationError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// The embedded specification's path in the repository, as errors name it.
pub const SPECIFICATION_FILE: &str = "blueprint/satre/specification.yaml";

/// The SATRE version the embedded specification is.
pub const SATRE_VERSION: &str = "2.0.1";

const SPECIFICATION_YAML: &str = include_str!("../../../../blueprint/satre/specification.yaml");

static EMBEDDED: LazyLock<Result<Specification, SpecificationError>> =
    LazyLock::new(|| Specification::from_yaml(SPECIFICATION_FILE, SPECIFICATION_YAML));

static EMPTY: Specification = Specification { statements: Vec::new() };

/// The embedded SATRE v2.0.1 specification, parsed on first use, or the error that parsing
/// it gave (never in a tested build: a unit test parses it).
pub fn try_specification() -> Result<&'static Specification, SpecificationError> {
    EMBEDDED.as_ref().map_err(Clone::clone)
}

/// The embedded SATRE v2.0.1 specification, for lookups. Should it be unreadable (see
/// [`try_specification`]), an empty specification with no statements: every lookup then
/// finds nothing, [`read_sheet`](super::read_sheet) fails with the error and
/// [`score`](super::score) meets nothing, so nothing passes because of it.
pub fn specification() -> &'static Specification {
    EMBEDDED.as_ref().unwrap_or(&EMPTY)
}

/// A SATRE specification: its statements in the order the specification lists them.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Specification {
    /// Every statement.
    pub statements: Vec<Statement>,
}

/// One statement (a "requirement" in the YAML) of the specification.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Statement {
    /// Its index, `x.y.0z` (`requirement_index`), e.g. `1.2.01`.
    pub index: String,
    /// The pillar's name, e.g. `Information Governance`.
    pub pillar: String,
    /// The capability's name, e.g. `Quality Management`.
    pub capability: String,
    /// The capability's index, e.g. `1.2`.
    pub capability_index: String,
    /// What the statement requires.
    pub statement: String,
    /// SATRE's guidance on meeting it.
    pub guidance: String,
    /// How binding it is.
    pub importance: Importance,
}

/// How binding a statement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Importance {
    /// `Mandatory`: every TRE must meet it.
    Mandatory,
    /// `Mandatory*`: mandatory where it applies; a TRE it does not apply to scores it N/A.
    MandatoryWhereApplicable,
    /// `Recommended`.
    Recommended,
    /// `Optional`.
    Optional,
}

impl Importance {
    /// Read SATRE's spelling (`Mandatory`, `Mandatory*`, `Recommended`, `Optional`).
    pub fn parse(text: &str) -> Option<Importance> {
        match text.trim() {
            "Mandatory" => Some(Importance::Mandatory),
            "Mandatory*" => Some(Importance::MandatoryWhereApplicable),
            "Recommended" => Some(Importance::Recommended),
            "Optional" => Some(Importance::Optional),
            _ => None,
        }
    }

    /// SATRE's spelling.
    pub fn as_satre(self) -> &'static str {
        match self {
            Importance::Mandatory => "Mandatory",
            Importance::MandatoryWhereApplicable => "Mandatory*",
            Importance::Recommended => "Recommended",
            Importance::Optional => "Optional",
        }
    }

    /// Whether it decides if its capability is met (`Mandatory` or `Mandatory*`).
    pub fn is_mandatory(self) -> bool {
        matches!(self, Importance::Mandatory | Importance::MandatoryWhereApplicable)
    }
}

/// A pillar of the specification and its capabilities, in the specification's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Pillar<'a> {
    /// The pillar's number, e.g. `1`.
    pub index: &'a str,
    /// Its name.
    pub name: &'a str,
    /// Its capabilities.
    pub capabilities: Vec<Capability<'a>>,
}

/// A capability of the specification and its statements.
#[derive(Debug, Clone, PartialEq)]
pub struct Capability<'a> {
    /// Its index, e.g. `1.2`.
    pub index: &'a str,
    /// Its name.
    pub name: &'a str,
    /// Its statements.
    pub statements: Vec<&'a Statement>,
}

impl Specification {
    /// Parse a specification in SATRE's YAML shape (`specification: [{pillar, capability,
    /// capability_index, requirement_index, statement, guidance, importance}]`), checking that
    /// every index is `x.y.0z` within its capability, unique, and every importance known.
    /// `file` names the text in errors.
    pub fn from_yaml(file: &str, text: &str) -> Result<Specification, SpecificationError> {
        let raw: RawSpecification = serde_yaml_ng::from_str(text).map_err(|e| SpecificationError::Yaml {
            file: file.to_owned(),
            line: e.location().map_or(0, |l| u64::try_from(l.line()).unwrap_or(u64::MAX)),
            message: e.to_string(),
        })?;
        let mut statements: Vec<Statement> = Vec::with_capacity(raw.specification.len());
        for r in raw.specification {
            let invalid = |message: String| SpecificationError::Statement {
                file: file.to_owned(),
                index: r.requirement_index.clone(),
                message,
            };
            let importance = Importance::parse(&r.importance)
                .ok_or_else(|| invalid(format!("unknown importance `{}`", r.importance)))?;
            if !is_v2_index(&r.requirement_index) {
                return Err(invalid("the index is not `x.y.0z`".to_owned()));
            }
            if r.requirement_index.rsplit_once('.').map(|(cap, _)| cap) != Some(r.capability_index.as_str()) {
                return Err(invalid(format!("the index is not in capability `{}`", r.capability_index)));
            }
            if statements.iter().any(|s| s.index == r.requirement_index) {
                return Err(invalid("the index appears twice".to_owned()));
            }
            statements.push(Statement {
                index: r.requirement_index,
                pillar: r.pillar,
                capability: r.capability,
                capability_index: r.capability_index,
                statement: r.statement,
                guidance: r.guidance,
                importance,
            });
        }
        Ok(Specification { statements })
    }

    /// The statement with this v2 index (`1.2.01`).
    pub fn statement(&self, index: &str) -> Option<&Statement> {
        self.statements.iter().find(|s| s.index == index)
    }

    /// The pillars, their capabilities and statements, in the specification's order.
    pub fn pillars(&self) -> Vec<Pillar<'_>> {
        let mut pillars: Vec<Pillar<'_>> = Vec::new();
        for s in &self.statements {
            let pillar_index = s.capability_index.split('.').next().unwrap_or_default();
            let pillar = match pillars.iter().position(|p| p.index == pillar_index && p.name == s.pillar) {
                Some(i) => pillars.get_mut(i),
                None => {
                    pillars.push(Pillar { index: pillar_index, name: &s.pillar, capabilities: Vec::new() });
                    pillars.last_mut()
                }
            };
            let Some(pillar) = pillar else { continue };
            let capability = match pillar.capabilities.iter().position(|c| c.index == s.capability_index) {
                Some(i) => pillar.capabilities.get_mut(i),
                None => {
                    pillar.capabilities.push(Capability {
                        index: &s.capability_index,
                        name: &s.capability,
                        statements: Vec::new(),
                    });
                    pillar.capabilities.last_mut()
                }
            };
            if let Some(capability) = capability {
                capability.statements.push(s);
            }
        }
        pillars
    }
}

/// Whether `text` is a v2 index: `x.y.zz`, three numbers, the last of two digits, none zero.
pub(crate) fn is_v2_index(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    let numbers = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.bytes().any(|b| b != b'0');
    matches!(parts.as_slice(), [x, y, z] if numbers(x) && numbers(y) && numbers(z) && z.len() == 2)
}

/// The YAML as the SATRE project writes it.
#[derive(Deserialize)]
struct RawSpecification {
    specification: Vec<RawStatement>,
}

#[derive(Deserialize)]
struct RawStatement {
    pillar: String,
    capability: String,
    capability_index: String,
    requirement_index: String,
    statement: String,
    #[serde(default)]
    guidance: String,
    importance: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]
    use super::*;
    use std::collections::BTreeSet;

    fn spec() -> &'static Specification {
        try_specification().unwrap()
    }

    #[test]
    fn embedded_specification_has_185_statements_5_pillars_35_capabilities() {
        let spec = spec();
        assert_eq!(spec.statements.len(), 185);
        let pillars = spec.pillars();
        let names: Vec<&str> = pillars.iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "Information Governance",
                "Computing Technology and Information Security",
                "Data Management",
                "Supporting Capabilities",
                "Federation"
            ]
        );
        let indices: Vec<&str> = pillars.iter().map(|p| p.index).collect();
        assert_eq!(indices, ["1", "2", "3", "4", "5"]);
        let capabilities: usize = pillars.iter().map(|p| p.capabilities.len()).sum();
        assert_eq!(capabilities, 35);
        let distinct: BTreeSet<&str> = spec.statements.iter().map(|s| s.capability_index.as_str()).collect();
        assert_eq!(distinct.len(), 35);
        let per_pillar: Vec<usize> = pillars.iter().map(|p| p.capabilities.len()).collect();
        assert_eq!(per_pillar, [7, 9, 4, 8, 7]);
        let statements: usize = pillars.iter().flat_map(|p| &p.capabilities).map(|c| c.statements.len()).sum();
        assert_eq!(statements, 185);
    }

    #[test]
    fn the_lookup_specification_is_the_embedded_one() {
        assert_eq!(specification(), spec());
    }

    #[test]
    fn importance_counts_match_the_specification() {
        let count = |i: Importance| spec().statements.iter().filter(|s| s.importance == i).count();
        assert_eq!(count(Importance::Mandatory), 89);
        assert_eq!(count(Importance::MandatoryWhereApplicable), 6);
        assert_eq!(count(Importance::Recommended), 67);
        assert_eq!(count(Importance::Optional), 23);
    }

    #[test]
    fn unquoted_indices_are_read_as_text() {
        let s = spec().statement("1.2.01").unwrap();
        assert_eq!(s.capability, "Quality Management");
        assert_eq!(s.capability_index, "1.2");
        assert_eq!(s.importance, Importance::Mandatory);
        assert_eq!(spec().statement("1.2.08").unwrap().importance, Importance::MandatoryWhereApplicable);
        assert_eq!(spec().statement("3.1.20").unwrap().capability, "Data Lifecycle Management");
        assert!(spec().statement("1.2.1").is_none());
    }

    #[test]
    fn v2_index_shape() {
        assert!(is_v2_index("1.2.01"));
        assert!(is_v2_index("3.1.20"));
        assert!(!is_v2_index("1.2.1"));
        assert!(!is_v2_index("1.2.00"));
        assert!(!is_v2_index("1.2.01.3"));
        assert!(!is_v2_index("1.x.01"));
    }

    #[test]
    fn malformed_specifications_are_errors() {
        let bad = "specification:\n  - pillar: P\n    capability: C\n    capability_index: \"1.1\"\n    \
                   requirement_index: 1.1.01\n    statement: S\n    importance: Essential\n";
        let err = Specification::from_yaml("spec.yaml", bad).unwrap_err();
        assert_eq!(err.to_string(), "spec.yaml: statement `1.1.01`: unknown importance `Essential`");
        let err = Specification::from_yaml("spec.yaml", "specification: 3\n").unwrap_err();
        assert!(err.to_string().starts_with("spec.yaml line 1: not a SATRE specification"), "{err}");
        let wrong_capability = bad.replace("Essential", "Optional").replace("1.1.01", "1.2.01");
        let err = Specification::from_yaml("spec.yaml", &wrong_capability).unwrap_err();
        assert_eq!(err.to_string(), "spec.yaml: statement `1.2.01`: the index is not in capability `1.1`");
    }
}
