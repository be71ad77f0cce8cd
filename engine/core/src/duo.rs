//! GA4GH Data Use Ontology (DUO) matching with the semantics of the Broad Institute's DUOS
//! matcher, algorithm version 4.
//!
//! A dataset carries one data use permission (NRES, GRU, HMB, DS with diseases, POA) and any
//! number of modifiers ([`dataset_from_terms`], or [`dataset_from_data_use`] from a DUOS
//! `DataUse` JSON). A research purpose is a DUOS [`DataUse`] naming a primary category plus
//! flags ([`purpose_from_terms`]). [`match_purpose`] evaluates every sub-rule and answers
//! APPROVE, DENY or ABSTAIN (a human must decide), with one rationale sentence per sub-rule and
//! the obligations (PUB, COL, MOR, TS, RTN) that travel with a permit.
//!
//! Disease hierarchies are never hard-coded: the caller supplies a [`Subsumption`] backed by a
//! loaded ontology (MONDO, DOID).

mod matcher;
mod terms;

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use matcher::{Match, MatchOptions, MatchResult, Obligation, ReflexiveOnly, Subsumption, match_purpose};
pub use terms::{DuoTerm, Permission};

/// The OBO PURL namespace of DUO, MONDO, DOID and the other OBO ontologies.
pub const OBO: &str = "http://purl.obolibrary.org/obo/";

/// The same namespace over https, accepted on input and rewritten to [`OBO`].
const OBO_HTTPS: &str = "https://purl.obolibrary.org/obo/";

/// The `gender` value a purpose gets from [`SensitiveFlag::Gender`] when no gender is named.
const GENDER_UNSPECIFIED: &str = "unspecified";

/// What can go wrong while reading DUO terms or a DUOS data use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DuoError {
    /// The term is empty or only whitespace.
    #[error("empty term")]
    EmptyTerm,
    /// The term is neither an http(s) IRI, a CURIE `PREFIX:ID` nor an OBO local name `PREFIX_ID`.
    #[error("malformed term `{0}`")]
    MalformedTerm(String),
    /// No data use permission was given for a dataset.
    #[error("no data use permission given")]
    NoPermission,
    /// A dataset was given two different data use permissions.
    #[error("two data use permissions given: `{first}` and `{second}`")]
    TwoPermissions {
        /// The first permission (DUO shorthand).
        first: String,
        /// The second permission (DUO shorthand).
        second: String,
    },
    /// Disease-specific use (DS) without any disease.
    #[error("disease-specific use `DS` needs at least one disease")]
    DiseasesMissing,
    /// The permission is not a known DUO data use permission.
    #[error("`{0}` is not a known DUO data use permission")]
    NotAPermission(String),
    /// The modifier is not a known DUO data use modifier.
    #[error("`{0}` is not a known DUO data use modifier")]
    NotAModifier(String),
    /// The purpose category is not GRU, HMB, DS or POA.
    #[error("`{0}` is not a research purpose category (expected `GRU`, `HMB`, `DS` or `POA`)")]
    NotAPurposeCategory(String),
    /// Diseases were given for a purpose whose category is not DS.
    #[error("diseases given for purpose category `{0}`; only `DS` takes diseases")]
    DiseasesWithoutDs(String),
}

/// Normalise a DUO/OBO term to its full IRI.
///
/// Accepts full IRIs, CURIEs (`DUO:0000042`, `MONDO:0008903`, `obo:DUO_0000042`) and OBO local
/// names (`DUO_0000042`); the prefixes `duo`, `mondo` and `doid` are upper-cased. Fixes the
/// 8-digit DUO identifiers that `duo.owl` uses for NPOA (`DUO_00000044` -> `DUO_0000044`).
/// OBO IRIs over https are rewritten to [`OBO`]; other http(s) IRIs pass through unchanged
/// (surrounding whitespace trimmed).
///
/// # Errors
/// [`DuoError::EmptyTerm`] on empty input, [`DuoError::MalformedTerm`] on anything else that
/// is not an http(s) IRI, a CURIE or an OBO local name.
pub fn normalise_term(s: &str) -> Result<String, DuoError> {
    let term = s.trim();
    if term.is_empty() {
        return Err(DuoError::EmptyTerm);
    }
    let malformed = || DuoError::MalformedTerm(term.to_owned());
    if term.chars().any(char::is_whitespace) {
        return Err(malformed());
    }
    if let Some(local) = term.strip_prefix(OBO).or_else(|| term.strip_prefix(OBO_HTTPS)) {
        return obo_local(local).ok_or_else(malformed);
    }
    if let Some(rest) = term.strip_prefix("http://").or_else(|| term.strip_prefix("https://")) {
        return if rest.is_empty() || rest.starts_with('/') { Err(malformed()) } else { Ok(term.to_owned()) };
    }
    let local = match term.split_once(':') {
        Some((prefix, local)) if prefix.eq_ignore_ascii_case("obo") => obo_local(local),
        Some((prefix, id)) => obo_iri(prefix, id),
        None => obo_local(term),
    };
    local.ok_or_else(malformed)
}

/// `PREFIX_ID` to a full OBO IRI, or `None` when malformed.
fn obo_local(local: &str) -> Option<String> {
    let (prefix, id) = local.split_once('_')?;
    obo_iri(prefix, id)
}

/// A validated OBO prefix and identifier to a full IRI.
fn obo_iri(prefix: &str, id: &str) -> Option<String> {
    let mut prefix_chars = prefix.chars();
    let starts_with_letter = prefix_chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !starts_with_letter || !prefix_chars.all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let prefix = if ["duo", "mondo", "doid"].iter().any(|p| p.eq_ignore_ascii_case(prefix)) {
        prefix.to_ascii_uppercase()
    } else {
        prefix.to_owned()
    };
    // DUO identifiers have seven digits; duo.owl declares NPOA as `DUO_00000044`.
    let id = match id.strip_prefix('0') {
        Some(short) if prefix == "DUO" && id.len() == 8 && id.chars().all(|c| c.is_ascii_digit()) => short,
        _ => id,
    };
    Some(format!("{OBO}{prefix}_{id}"))
}

/// The compact display form of a term: OBO IRIs become CURIEs (`MONDO:0008903`); anything
/// else is returned as given.
pub fn compact_term(iri: &str) -> String {
    match iri.strip_prefix(OBO).and_then(|l| l.split_once('_')) {
        Some((prefix, id)) => format!("{prefix}:{id}"),
        None => iri.to_owned(),
    }
}

/// `Some(trimmed)` when the text is present and not blank.
fn non_blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|s| !s.is_empty())
}

/// A DUOS `DataUse` (schema version 4): either the research purpose of a request or the
/// consented use of a dataset. Field names and meanings follow `data-use-v4.json`; every field
/// is optional and an unset value is not `false`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DataUse {
    /// General research use (GRU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub general_use: Option<bool>,
    /// Disease terms (IRIs or CURIEs): the purpose's disease focus, or the dataset's DS diseases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disease_restrictions: Vec<String>,
    /// Health, medical or biomedical research (HMB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmb_research: Option<bool>,
    /// Population origins or ancestry research (POA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population_origins_ancestry: Option<bool>,
    /// Purpose: methods development or validation. Dataset: methods research prohibited (NMDS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub methods_research: Option<bool>,
    /// Purpose: `true` not-for-profit, `false` for-profit or commercial. Dataset: NPU/NCU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_profit_use: Option<bool>,
    /// Other conditions in free text (always needs a human).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
    /// Further conditions in free text (always needs a human).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary_other: Option<String>,
    /// Dataset: ethics approval required (IRB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethics_approval_required: Option<bool>,
    /// Dataset: collaboration with the primary study investigators required (COL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collaborator_required: Option<bool>,
    /// Dataset: the region use is restricted to (GS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geographical_restrictions: Option<String>,
    /// Purpose: the research is genetic studies. Dataset: genetic studies only (GSO).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genetic_studies_only: Option<bool>,
    /// Dataset: publication of results required (PUB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publication_results: Option<bool>,
    /// Dataset: no publication before this date (MOR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publication_moratorium: Option<String>,
    /// Purpose: increases controls for a comparison group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controls: Option<bool>,
    /// Purpose: limited to one gender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// Purpose: limited to a pediatric population (under 18).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pediatric: Option<bool>,
    /// Purpose: studies variation in the general population.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<bool>,
    /// Purpose: studies illegal behaviour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub illegal_behavior: Option<bool>,
    /// Purpose: studies sexual preferences or sexually transmitted diseases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sexual_diseases: Option<bool>,
    /// Purpose: studies stigmatising illnesses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stigmatize_diseases: Option<bool>,
    /// Purpose: targets a vulnerable population.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerable_populations: Option<bool>,
    /// Purpose: studies psychological traits, intelligence or attention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psychological_traits: Option<bool>,
    /// Purpose: correlates ethnicity, race or gender with genotypes or phenotypes beyond health.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_health: Option<bool>,
}

impl DataUse {
    /// Whether the data use names no primary research category: none of GRU, HMB, POA is
    /// `true` and no disease is listed. DUOS renders no decision for such a purpose.
    pub fn is_empty_purpose(&self) -> bool {
        self.general_use != Some(true)
            && self.hmb_research != Some(true)
            && self.population_origins_ancestry != Some(true)
            && self.disease_restrictions.is_empty()
    }
}

/// A dataset's data use: its primary permission, the DUOS [`DataUse`] view of it, what DUOS
/// has no field for (RS, TS, US, PS, IS, RTN, CC, NPOA) and the original DUO terms.
///
/// `permission` is authoritative for the primary category; DS diseases are read from
/// `data_use.disease_restrictions`. A modifier applies when its `DataUse` field or flag says so
/// or when its term is listed in `terms` (a term may arrive without its value, e.g. MOR without
/// a date: set `data_use.publication_moratorium` or `time_limit_until` to add the detail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DatasetUse {
    /// The primary data use permission.
    pub permission: Permission,
    /// The DUOS consent-side view (diseases, NPU, NMDS, GSO, PUB, COL, IRB, GS, MOR, other).
    pub data_use: DataUse,
    /// RS: use limited to studies of a certain research type.
    #[serde(default, skip_serializing_if = "is_false")]
    pub research_specific: bool,
    /// TS: use is time limited.
    #[serde(default, skip_serializing_if = "is_false")]
    pub time_limit: bool,
    /// TS: the date until which use is approved, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit_until: Option<String>,
    /// US: use limited to approved users.
    #[serde(default, skip_serializing_if = "is_false")]
    pub user_specific: bool,
    /// PS: use limited to an approved project.
    #[serde(default, skip_serializing_if = "is_false")]
    pub project_specific: bool,
    /// IS: use limited to an approved institution.
    #[serde(default, skip_serializing_if = "is_false")]
    pub institution_specific: bool,
    /// RTN: derived or enriched data must be returned to the resource.
    #[serde(default, skip_serializing_if = "is_false")]
    pub return_to_database: bool,
    /// CC: clinical care use is also allowed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub clinical_care: bool,
    /// NPOA: population origins or ancestry research is prohibited.
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_population_ancestry: bool,
    /// The DUO terms as full IRIs: the permission first, then the modifiers in [`DuoTerm`] order.
    #[serde(default)]
    pub terms: Vec<String>,
}

/// serde helper: skip `false` flags.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_false(value: &bool) -> bool {
    !*value
}

impl DatasetUse {
    /// A dataset with this permission and nothing else (DS diseases, if any, are set on
    /// `data_use` by the caller).
    fn new(permission: Permission) -> Self {
        let mut data_use = DataUse::default();
        match permission {
            Permission::Nres | Permission::Gru => data_use.general_use = Some(true),
            Permission::Hmb => data_use.hmb_research = Some(true),
            Permission::Ds => {}
            Permission::Poa => data_use.population_origins_ancestry = Some(true),
        }
        Self {
            permission,
            data_use,
            research_specific: false,
            time_limit: false,
            time_limit_until: None,
            user_specific: false,
            project_specific: false,
            institution_specific: false,
            return_to_database: false,
            clinical_care: false,
            no_population_ancestry: false,
            terms: Vec::new(),
        }
    }

    /// Records a modifier in the DUOS field or extra flag that carries it.
    fn apply_modifier(&mut self, term: DuoTerm) {
        let d = &mut self.data_use;
        match term {
            DuoTerm::Npuncu | DuoTerm::Npu | DuoTerm::Ncu => d.non_profit_use = Some(true),
            DuoTerm::Nmds => d.methods_research = Some(true),
            DuoTerm::Gso => d.genetic_studies_only = Some(true),
            DuoTerm::Pub => d.publication_results = Some(true),
            DuoTerm::Col => d.collaborator_required = Some(true),
            DuoTerm::Irb => d.ethics_approval_required = Some(true),
            // GS and MOR carry a region and a date DUO terms do not hold: the term records them.
            DuoTerm::Gs | DuoTerm::Mor => {}
            DuoTerm::Rs => self.research_specific = true,
            DuoTerm::Ts => self.time_limit = true,
            DuoTerm::Us => self.user_specific = true,
            DuoTerm::Ps => self.project_specific = true,
            DuoTerm::Is => self.institution_specific = true,
            DuoTerm::Rtn => self.return_to_database = true,
            DuoTerm::Cc => self.clinical_care = true,
            DuoTerm::Npoa => self.no_population_ancestry = true,
            DuoTerm::Nres | DuoTerm::Gru | DuoTerm::Hmb | DuoTerm::Ds | DuoTerm::Poa => {}
        }
    }

    /// Sets `terms` from the permission and these modifiers.
    fn set_terms(&mut self, modifiers: &BTreeSet<DuoTerm>) {
        self.terms =
            std::iter::once(self.permission.term()).chain(modifiers.iter().copied()).map(DuoTerm::iri).collect();
    }
}

/// Normalises disease terms into a sorted, duplicate-free list.
fn normalise_diseases(diseases: &[String]) -> Result<Vec<String>, DuoError> {
    let set = diseases.iter().map(|d| normalise_term(d)).collect::<Result<BTreeSet<_>, _>>()?;
    Ok(set.into_iter().collect())
}

/// Dataset side from DUO terms: one permission (shorthand, CURIE or IRI of NRES, GRU, HMB, DS,
/// POA), any modifiers, and the disease IRIs or CURIEs of a DS permission.
///
/// Diseases only restrict use under DS; for any other permission they are descriptive and
/// ignored. Repeating the permission among the modifiers is harmless.
///
/// # Errors
/// No permission ([`DuoError::NoPermission`]), two different permissions
/// ([`DuoError::TwoPermissions`]), DS without diseases ([`DuoError::DiseasesMissing`]), a term
/// that is not a known DUO permission ([`DuoError::NotAPermission`]) or modifier
/// ([`DuoError::NotAModifier`]), named in the error, and malformed terms.
pub fn dataset_from_terms(permission: &str, modifiers: &[String], diseases: &[String]) -> Result<DatasetUse, DuoError> {
    if permission.trim().is_empty() {
        return Err(DuoError::NoPermission);
    }
    let not_a_permission = || DuoError::NotAPermission(permission.trim().to_owned());
    let permission = DuoTerm::resolve(permission)?.and_then(Permission::from_term).ok_or_else(not_a_permission)?;

    let mut dataset = DatasetUse::new(permission);
    let mut found = BTreeSet::new();
    for modifier in modifiers {
        let term = DuoTerm::resolve(modifier)?.ok_or_else(|| DuoError::NotAModifier(modifier.trim().to_owned()))?;
        match Permission::from_term(term) {
            Some(other) if other == permission => {}
            Some(other) => {
                return Err(DuoError::TwoPermissions {
                    first: permission.code().to_owned(),
                    second: other.code().to_owned(),
                });
            }
            None => {
                dataset.apply_modifier(term);
                found.insert(term);
            }
        }
    }
    if permission == Permission::Ds {
        dataset.data_use.disease_restrictions = normalise_diseases(diseases)?;
        if dataset.data_use.disease_restrictions.is_empty() {
            return Err(DuoError::DiseasesMissing);
        }
    }
    dataset.set_terms(&found);
    Ok(dataset)
}

/// Turns the DUOS `DataUse` of a dataset (consent side) into a [`DatasetUse`].
///
/// Exactly one of `generalUse`, `hmbResearch`, `diseaseRestrictions` and
/// `populationOriginsAncestry` must be set (GRU, HMB, DS, POA); diseases are normalised. The
/// DUO terms are recorded from the fields: `nonProfitUse` NPU, `methodsResearch` NMDS,
/// `geneticStudiesOnly` GSO, `publicationResults` PUB, `collaboratorRequired` COL,
/// `ethicsApprovalRequired` IRB, a non-blank `geographicalRestrictions` GS and a non-blank
/// `publicationMoratorium` MOR.
///
/// # Errors
/// [`DuoError::NoPermission`] or [`DuoError::TwoPermissions`] unless exactly one primary
/// permission is set; [`DuoError::MalformedTerm`] for a malformed disease.
pub fn dataset_from_data_use(d: DataUse) -> Result<DatasetUse, DuoError> {
    let mut primaries = Vec::new();
    if d.general_use == Some(true) {
        primaries.push(Permission::Gru);
    }
    if d.hmb_research == Some(true) {
        primaries.push(Permission::Hmb);
    }
    if !d.disease_restrictions.is_empty() {
        primaries.push(Permission::Ds);
    }
    if d.population_origins_ancestry == Some(true) {
        primaries.push(Permission::Poa);
    }
    let permission = match primaries.as_slice() {
        [] => return Err(DuoError::NoPermission),
        [only] => *only,
        [first, second, ..] => {
            return Err(DuoError::TwoPermissions { first: first.code().to_owned(), second: second.code().to_owned() });
        }
    };
    let diseases = normalise_diseases(&d.disease_restrictions)?;

    let mut found = BTreeSet::new();
    let flagged = [
        (d.non_profit_use, DuoTerm::Npu),
        (d.methods_research, DuoTerm::Nmds),
        (d.genetic_studies_only, DuoTerm::Gso),
        (d.publication_results, DuoTerm::Pub),
        (d.collaborator_required, DuoTerm::Col),
        (d.ethics_approval_required, DuoTerm::Irb),
    ];
    for (value, term) in flagged {
        if value == Some(true) {
            found.insert(term);
        }
    }
    if non_blank(d.geographical_restrictions.as_deref()).is_some() {
        found.insert(DuoTerm::Gs);
    }
    if non_blank(d.publication_moratorium.as_deref()).is_some() {
        found.insert(DuoTerm::Mor);
    }

    let mut dataset = DatasetUse::new(permission);
    dataset.data_use = DataUse { disease_restrictions: diseases, ..d };
    dataset.set_terms(&found);
    Ok(dataset)
}

/// A sensitive research area a purpose declares; each makes DUOS abstain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum SensitiveFlag {
    /// Limited to a pediatric population (under 18).
    Pediatric,
    /// Targets a vulnerable population (children, prisoners, pregnant women, ...).
    VulnerablePopulations,
    /// Studies stigmatising illnesses.
    StigmatizeDiseases,
    /// Studies illegal behaviour.
    IllegalBehavior,
    /// Studies sexual preferences or sexually transmitted diseases.
    SexualDiseases,
    /// Studies psychological traits, intelligence or attention.
    PsychologicalTraits,
    /// Correlates ethnicity, race or gender with genotypes or phenotypes beyond health research.
    NotHealth,
    /// Limited to one gender (the purpose's `gender` becomes `unspecified`).
    Gender,
}

/// The flags of a research purpose beside its primary category.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PurposeFlags {
    /// The purpose develops or validates methods (software, algorithms).
    #[serde(default)]
    pub methods_research: bool,
    /// `Some(true)` for-profit or commercial use, `Some(false)` not-for-profit, `None` unstated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_profit: Option<bool>,
    /// The purpose is genetic studies (satisfies a GSO dataset).
    #[serde(default)]
    pub genetic_studies: bool,
    /// Sensitive research areas the purpose declares.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive: Vec<SensitiveFlag>,
}

/// Purpose side from DUO terms: a primary category (shorthand, CURIE or IRI of GRU, HMB, DS or
/// POA), the diseases of a DS purpose, and flags.
///
/// # Errors
/// [`DuoError::NotAPurposeCategory`] for any other category, [`DuoError::DiseasesMissing`] for
/// DS without diseases, [`DuoError::DiseasesWithoutDs`] for diseases with another category,
/// and malformed terms.
pub fn purpose_from_terms(category: &str, diseases: &[String], flags: &PurposeFlags) -> Result<DataUse, DuoError> {
    let not_a_category = || DuoError::NotAPurposeCategory(category.trim().to_owned());
    let term = DuoTerm::resolve(category)?.ok_or_else(not_a_category)?;
    let mut purpose = DataUse::default();
    match term {
        DuoTerm::Gru => purpose.general_use = Some(true),
        DuoTerm::Hmb => purpose.hmb_research = Some(true),
        DuoTerm::Poa => purpose.population_origins_ancestry = Some(true),
        DuoTerm::Ds => {
            purpose.disease_restrictions = normalise_diseases(diseases)?;
            if purpose.disease_restrictions.is_empty() {
                return Err(DuoError::DiseasesMissing);
            }
        }
        _ => return Err(not_a_category()),
    }
    if term != DuoTerm::Ds && !diseases.is_empty() {
        return Err(DuoError::DiseasesWithoutDs(term.code().to_owned()));
    }
    if flags.methods_research {
        purpose.methods_research = Some(true);
    }
    purpose.non_profit_use = flags.for_profit.map(|for_profit| !for_profit);
    if flags.genetic_studies {
        purpose.genetic_studies_only = Some(true);
    }
    for flag in &flags.sensitive {
        match flag {
            SensitiveFlag::Pediatric => purpose.pediatric = Some(true),
            SensitiveFlag::VulnerablePopulations => purpose.vulnerable_populations = Some(true),
            SensitiveFlag::StigmatizeDiseases => purpose.stigmatize_diseases = Some(true),
            SensitiveFlag::IllegalBehavior => purpose.illegal_behavior = Some(true),
            SensitiveFlag::SexualDiseases => purpose.sexual_diseases = Some(true),
            SensitiveFlag::PsychologicalTraits => purpose.psychological_traits = Some(true),
            SensitiveFlag::NotHealth => purpose.not_health = Some(true),
            SensitiveFlag::Gender => purpose.gender = Some(GENDER_UNSPECIFIED.to_owned()),
        }
    }
    Ok(purpose)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn normalise_accepts_curie_local_name_and_iri() -> Result<(), DuoError> {
        let gru = "http://purl.obolibrary.org/obo/DUO_0000042";
        assert_eq!(normalise_term("DUO:0000042")?, gru);
        assert_eq!(normalise_term("DUO_0000042")?, gru);
        assert_eq!(normalise_term(" duo:0000042 ")?, gru);
        assert_eq!(normalise_term("obo:DUO_0000042")?, gru);
        assert_eq!(normalise_term(gru)?, gru);
        assert_eq!(normalise_term("https://purl.obolibrary.org/obo/DUO_0000042")?, gru);
        assert_eq!(normalise_term("MONDO:0008903")?, "http://purl.obolibrary.org/obo/MONDO_0008903");
        Ok(())
    }

    #[test]
    fn normalise_fixes_eight_digit_npoa() -> Result<(), DuoError> {
        let npoa = "http://purl.obolibrary.org/obo/DUO_0000044";
        assert_eq!(normalise_term("http://purl.obolibrary.org/obo/DUO_00000044")?, npoa);
        assert_eq!(normalise_term("DUO:00000044")?, npoa);
        // Only DUO identifiers are shortened.
        assert_eq!(normalise_term("MONDO:00000044")?, "http://purl.obolibrary.org/obo/MONDO_00000044");
        Ok(())
    }

    #[test]
    fn normalise_passes_other_iris_through() -> Result<(), DuoError> {
        let iri = "https://w3id.org/fivesafes#Something";
        assert_eq!(normalise_term(iri)?, iri);
        assert_eq!(normalise_term("http://example.org/x")?, "http://example.org/x");
        Ok(())
    }

    #[test]
    fn normalise_rejects_empty_and_malformed() {
        assert_eq!(normalise_term("  "), Err(DuoError::EmptyTerm));
        for bad in [
            "DUO:",
            ":0000042",
            "DUO",
            "DUO 0000042",
            "1DUO:0000042",
            "http://",
            "http://purl.obolibrary.org/obo/",
            "urn:x:y",
        ] {
            assert_eq!(normalise_term(bad), Err(DuoError::MalformedTerm(bad.to_owned())), "{bad}");
        }
        assert_eq!(DuoError::MalformedTerm("x y".into()).to_string(), "malformed term `x y`");
    }

    #[test]
    fn compact_term_gives_curies() {
        assert_eq!(compact_term("http://purl.obolibrary.org/obo/MONDO_0008903"), "MONDO:0008903");
        assert_eq!(compact_term("https://x.org/a_b"), "https://x.org/a_b");
    }

    #[test]
    fn dataset_from_terms_builds_ds_with_sorted_terms() -> Result<(), DuoError> {
        let d = dataset_from_terms(
            "DUO:0000007",
            &s(&["PUB", "http://purl.obolibrary.org/obo/DUO_00000044", "DUO_0000045", "PUB"]),
            &s(&["MONDO:0008903", "http://purl.obolibrary.org/obo/MONDO_0004992"]),
        )?;
        assert_eq!(d.permission, Permission::Ds);
        assert_eq!(
            d.data_use.disease_restrictions,
            s(&["http://purl.obolibrary.org/obo/MONDO_0004992", "http://purl.obolibrary.org/obo/MONDO_0008903"])
        );
        assert_eq!(d.data_use.publication_results, Some(true));
        assert_eq!(d.data_use.non_profit_use, Some(true));
        assert!(d.no_population_ancestry);
        assert_eq!(d.terms, [DuoTerm::Ds, DuoTerm::Pub, DuoTerm::Npoa, DuoTerm::Npu].map(DuoTerm::iri).to_vec());
        Ok(())
    }

    #[test]
    fn dataset_from_terms_ignores_diseases_outside_ds() -> Result<(), DuoError> {
        let d = dataset_from_terms("GRU", &[], &s(&["MONDO:0004992"]))?;
        assert_eq!(d.permission, Permission::Gru);
        assert_eq!(d.data_use.general_use, Some(true));
        assert!(d.data_use.disease_restrictions.is_empty());
        let nres = dataset_from_terms("DUO:0000004", &s(&["GRU"]), &[]);
        assert!(matches!(nres, Err(DuoError::TwoPermissions { .. })));
        Ok(())
    }

    #[test]
    fn dataset_from_terms_errors() {
        assert_eq!(dataset_from_terms(" ", &[], &[]), Err(DuoError::NoPermission));
        assert_eq!(
            dataset_from_terms("GRU", &s(&["DUO:0000006"]), &[]),
            Err(DuoError::TwoPermissions { first: "GRU".into(), second: "HMB".into() })
        );
        assert_eq!(dataset_from_terms("DS", &[], &[]), Err(DuoError::DiseasesMissing));
        assert_eq!(
            dataset_from_terms("GRU", &s(&["DUO:0000099"]), &[]),
            Err(DuoError::NotAModifier("DUO:0000099".into()))
        );
        assert_eq!(
            dataset_from_terms("MONDO:0004992", &[], &[]),
            Err(DuoError::NotAPermission("MONDO:0004992".into()))
        );
        assert_eq!(dataset_from_terms("PUB", &[], &[]), Err(DuoError::NotAPermission("PUB".into())));
        assert_eq!(
            DuoError::NotAModifier("DUO:0000099".into()).to_string(),
            "`DUO:0000099` is not a known DUO data use modifier"
        );
    }

    #[test]
    fn dataset_from_data_use_records_terms() -> Result<(), DuoError> {
        let d = dataset_from_data_use(DataUse {
            hmb_research: Some(true),
            non_profit_use: Some(true),
            publication_results: Some(true),
            collaborator_required: Some(true),
            ethics_approval_required: Some(true),
            publication_moratorium: Some("2027-01-01".into()),
            geographical_restrictions: Some(" ".into()),
            ..DataUse::default()
        })?;
        assert_eq!(d.permission, Permission::Hmb);
        assert_eq!(
            d.terms,
            [DuoTerm::Hmb, DuoTerm::Pub, DuoTerm::Col, DuoTerm::Irb, DuoTerm::Mor, DuoTerm::Npu]
                .map(DuoTerm::iri)
                .to_vec()
        );
        let ds = dataset_from_data_use(DataUse { disease_restrictions: s(&["MONDO:0005015"]), ..DataUse::default() })?;
        assert_eq!(ds.permission, Permission::Ds);
        assert_eq!(ds.data_use.disease_restrictions, s(&["http://purl.obolibrary.org/obo/MONDO_0005015"]));
        Ok(())
    }

    #[test]
    fn dataset_from_data_use_needs_exactly_one_primary() {
        assert_eq!(dataset_from_data_use(DataUse::default()), Err(DuoError::NoPermission));
        let two = DataUse { general_use: Some(true), population_origins_ancestry: Some(true), ..DataUse::default() };
        assert_eq!(
            dataset_from_data_use(two),
            Err(DuoError::TwoPermissions { first: "GRU".into(), second: "POA".into() })
        );
        let gru_false = DataUse { general_use: Some(false), ..DataUse::default() };
        assert_eq!(dataset_from_data_use(gru_false), Err(DuoError::NoPermission));
    }

    #[test]
    fn purpose_from_terms_maps_category_and_flags() -> Result<(), DuoError> {
        let flags = PurposeFlags {
            methods_research: true,
            for_profit: Some(true),
            genetic_studies: true,
            sensitive: vec![SensitiveFlag::Pediatric, SensitiveFlag::Gender],
        };
        let p = purpose_from_terms("DUO:0000007", &s(&["MONDO:0008903"]), &flags)?;
        assert_eq!(p.disease_restrictions, s(&["http://purl.obolibrary.org/obo/MONDO_0008903"]));
        assert_eq!(p.methods_research, Some(true));
        assert_eq!(p.non_profit_use, Some(false));
        assert_eq!(p.genetic_studies_only, Some(true));
        assert_eq!(p.pediatric, Some(true));
        assert_eq!(p.gender.as_deref(), Some("unspecified"));
        let hmb = purpose_from_terms("HMB", &[], &PurposeFlags::default())?;
        assert_eq!(hmb.hmb_research, Some(true));
        assert_eq!(hmb.non_profit_use, None);
        assert!(!hmb.is_empty_purpose());
        assert!(DataUse::default().is_empty_purpose());
        Ok(())
    }

    #[test]
    fn purpose_from_terms_errors() {
        let f = PurposeFlags::default();
        assert_eq!(purpose_from_terms("NRES", &[], &f), Err(DuoError::NotAPurposeCategory("NRES".into())));
        assert_eq!(purpose_from_terms("DS", &[], &f), Err(DuoError::DiseasesMissing));
        assert_eq!(
            purpose_from_terms("GRU", &s(&["MONDO:0004992"]), &f),
            Err(DuoError::DiseasesWithoutDs("GRU".into()))
        );
        assert_eq!(purpose_from_terms("", &[], &f), Err(DuoError::EmptyTerm));
    }

    #[test]
    fn data_use_json_uses_duos_names() -> Result<(), serde_json::Error> {
        let json = r#"{"diseaseRestrictions":["MONDO:0008903"],"nonProfitUse":false,
            "publicationMoratorium":"2027-01-01","notHealth":true}"#;
        let d: DataUse = serde_json::from_str(json)?;
        assert_eq!(d.non_profit_use, Some(false));
        assert_eq!(d.not_health, Some(true));
        assert_eq!(
            serde_json::to_string(&DataUse { general_use: Some(true), ..DataUse::default() })?,
            r#"{"generalUse":true}"#
        );
        assert!(serde_json::from_str::<DataUse>(r#"{"generalUse":true,"bogus":1}"#).is_err());
        Ok(())
    }

    #[test]
    fn json_schemas_use_contract_names() -> Result<(), serde_json::Error> {
        let schema = serde_json::to_value(schemars::schema_for!(DatasetUse))?;
        assert!(schema.pointer("/properties/permission").is_some());
        assert!(schema.pointer("/properties/dataUse").is_some());
        assert_eq!(schema.get("additionalProperties"), Some(&serde_json::json!(false)));
        let schema = serde_json::to_value(schemars::schema_for!(Match))?;
        assert!(schema.pointer("/properties/obligations").is_some());
        Ok(())
    }
}
