//! The DUOS v4 matcher: a research purpose against a dataset's data use.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{DataUse, DatasetUse, DuoTerm, Permission, compact_term, non_blank, normalise_term};

/// Disease (or any class) subsumption supplied by the caller from a loaded ontology.
pub trait Subsumption {
    /// Whether `child` is `ancestor` or one of its descendants. Reflexive and transitive; both
    /// arguments are full IRIs.
    fn is_a(&self, child: &str, ancestor: &str) -> bool;
}

/// A [`Subsumption`] that knows no hierarchy: every class is a kind of itself only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReflexiveOnly;

impl Subsumption for ReflexiveOnly {
    fn is_a(&self, child: &str, ancestor: &str) -> bool {
        child == ancestor
    }
}

impl<F> Subsumption for F
where
    F: Fn(&str, &str) -> bool,
{
    fn is_a(&self, child: &str, ancestor: &str) -> bool {
        self(child, ancestor)
    }
}

/// The verdict of a match. DENY wins over ABSTAIN, ABSTAIN over APPROVE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum MatchResult {
    /// Every sub-rule approves.
    Approve,
    /// At least one sub-rule denies.
    Deny,
    /// No sub-rule denies but at least one needs a human decision.
    Abstain,
}

impl MatchResult {
    /// How strongly the verdict overrides others.
    const fn weight(self) -> u8 {
        match self {
            Self::Approve => 0,
            Self::Abstain => 1,
            Self::Deny => 2,
        }
    }

    /// The combined verdict of two sub-rules: DENY over ABSTAIN over APPROVE.
    #[must_use]
    pub const fn combine(self, other: Self) -> Self {
        if other.weight() > self.weight() { other } else { self }
    }
}

/// Something the requester must do if access is granted (a DUO modifier that is not a reason
/// to deny).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Obligation {
    /// The full DUO IRI of the modifier.
    pub term: String,
    /// The DUO shorthand, e.g. `PUB`.
    pub code: String,
    /// The DUO label, e.g. `publication required`.
    pub label: String,
    /// A detail such as the moratorium or time-limit date, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Obligation {
    fn new(term: DuoTerm, detail: Option<&str>) -> Self {
        Self {
            term: term.iri(),
            code: term.code().to_owned(),
            label: term.label().to_owned(),
            detail: detail.map(str::to_owned),
        }
    }
}

/// The outcome of [`match_purpose`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Match {
    /// The verdict.
    pub result: MatchResult,
    /// One sentence per sub-rule evaluated, in a fixed order.
    pub rationale: Vec<String>,
    /// Obligations to carry with a permit, in DUO identifier order; empty when denied.
    pub obligations: Vec<Obligation>,
}

/// How literally to follow DUOS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MatchOptions {
    /// Follow DUOS literally: PUB, COL, IRB, MOR, GS and GSO force ABSTAIN (they stay listed as
    /// obligations), the purpose flags `controls` and `population` force ABSTAIN, and an unset
    /// purpose `nonProfitUse` against a not-for-profit dataset abstains instead of approving.
    #[serde(default)]
    pub duos_strict: bool,
    /// The caller checks a GS region itself (the decision engine does, against the site where
    /// the analysis runs and the researcher's location), so a GS that names its region does not
    /// abstain. A GS without a region still does.
    #[serde(skip)]
    #[schemars(skip)]
    pub region_checked_by_caller: bool,
}

/// Matches a research purpose against a dataset's data use (DUOS algorithm version 4).
///
/// Sub-rules, in rationale order: the purpose's primary categories (diseases, HMB, POA, GRU;
/// no category abstains), methods research against NMDS, not-for-profit use, the purpose's
/// sensitive areas and free text, the dataset's restrictions that need a human (other text,
/// GS, GSO, RS, US, PS, IS), then the obligations (PUB, COL, IRB, MOR, TS, RTN) and CC.
pub fn match_purpose(
    purpose: &DataUse,
    dataset: &DatasetUse,
    ontology: &dyn Subsumption,
    options: &MatchOptions,
) -> Match {
    let view = View::new(dataset);
    let mut out = Outcome::default();
    primary_rules(purpose, &view, ontology, &mut out);
    methods_rule(purpose, &view, &mut out);
    non_profit_rule(purpose, &view, options, &mut out);
    purpose_review_rules(purpose, options, &mut out);
    dataset_review_rules(purpose, &view, options, &mut out);
    let obligations = obligation_rules(&view, options, &mut out);
    Match {
        result: out.result,
        rationale: out.rationale,
        obligations: if out.result == MatchResult::Deny { Vec::new() } else { obligations },
    }
}

/// The verdict and rationale so far.
struct Outcome {
    result: MatchResult,
    rationale: Vec<String>,
}

impl Default for Outcome {
    fn default() -> Self {
        Self { result: MatchResult::Approve, rationale: Vec::new() }
    }
}

impl Outcome {
    fn approve(&mut self, sentence: String) {
        self.rationale.push(sentence);
    }

    fn abstain(&mut self, sentence: String) {
        self.result = self.result.combine(MatchResult::Abstain);
        self.rationale.push(sentence);
    }

    fn deny(&mut self, sentence: String) {
        self.result = self.result.combine(MatchResult::Deny);
        self.rationale.push(sentence);
    }
}

/// The dataset with its listed DUO terms resolved.
struct View<'a> {
    d: &'a DatasetUse,
    terms: BTreeSet<DuoTerm>,
}

impl<'a> View<'a> {
    fn new(d: &'a DatasetUse) -> Self {
        let terms = d.terms.iter().filter_map(|t| DuoTerm::resolve(t).ok().flatten()).collect();
        Self { d, terms }
    }

    fn has(&self, term: DuoTerm) -> bool {
        self.terms.contains(&term)
    }

    /// A modifier applies when its DUOS field, its extra flag or its term says so.
    fn applies(&self, field: Option<bool>, flag: bool, term: DuoTerm) -> bool {
        field == Some(true) || flag || self.has(term)
    }

    /// `Some(detail)` when the modifier applies, the detail being its non-blank value if any.
    fn valued(&self, value: Option<&'a str>, term: DuoTerm) -> Option<Option<&'a str>> {
        match non_blank(value) {
            Some(v) => Some(Some(v)),
            None if self.has(term) => Some(None),
            None => None,
        }
    }

    /// The not-for-profit terms that apply (`NPU` when only the DUOS field says so).
    fn non_profit_codes(&self) -> Vec<&'static str> {
        let codes: Vec<&'static str> = [DuoTerm::Npuncu, DuoTerm::Npu, DuoTerm::Ncu]
            .into_iter()
            .filter(|t| self.has(*t))
            .map(DuoTerm::code)
            .collect();
        if codes.is_empty() && self.d.data_use.non_profit_use == Some(true) { vec![DuoTerm::Npu.code()] } else { codes }
    }
}

/// "`A`, `B`" from display strings.
fn quoted<I, S>(items: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    items.into_iter().map(|s| format!("`{}`", s.as_ref())).collect::<Vec<_>>().join(", ")
}

/// Normalised, sorted disease IRIs and the raw inputs that are not valid terms.
fn split_diseases(raw: &[String]) -> (BTreeSet<String>, Vec<String>) {
    let mut valid = BTreeSet::new();
    let mut invalid = Vec::new();
    for disease in raw {
        match normalise_term(disease) {
            Ok(iri) => {
                valid.insert(iri);
            }
            Err(_) => invalid.push(disease.trim().to_owned()),
        }
    }
    (valid, invalid)
}

fn primary_rules(p: &DataUse, v: &View<'_>, ontology: &dyn Subsumption, out: &mut Outcome) {
    if p.is_empty_purpose() {
        out.abstain(
            "purpose names no primary research category (`GRU`, `HMB`, `DS` or `POA`), so DUOS \
             renders no decision"
                .to_owned(),
        );
        return;
    }
    if !p.disease_restrictions.is_empty() {
        disease_rule(p, v, ontology, out);
    }
    if p.hmb_research == Some(true) {
        hmb_rule(v, out);
    }
    if p.population_origins_ancestry == Some(true) {
        poa_rule(v, out);
    }
    if p.general_use == Some(true) {
        gru_rule(v, out);
    }
}

fn disease_rule(p: &DataUse, v: &View<'_>, ontology: &dyn Subsumption, out: &mut Outcome) {
    let (purpose_diseases, invalid) = split_diseases(&p.disease_restrictions);
    let shown = purpose_diseases.iter().map(|d| compact_term(d)).chain(invalid.iter().cloned());
    let permission = v.d.permission;
    match permission {
        Permission::Nres | Permission::Gru | Permission::Hmb => out.approve(format!(
            "dataset permission `{}` admits disease-specific research on {}",
            permission.code(),
            quoted(shown)
        )),
        Permission::Poa => out.deny(format!(
            "dataset permission `POA` admits only population origins or ancestry research, not \
             disease-specific research on {}",
            quoted(shown)
        )),
        Permission::Ds => ds_rule(&purpose_diseases, &invalid, v, ontology, out),
    }
}

/// Every purpose disease must be a kind of some dataset disease.
fn ds_rule(
    purpose_diseases: &BTreeSet<String>,
    invalid: &[String],
    v: &View<'_>,
    ontology: &dyn Subsumption,
    out: &mut Outcome,
) {
    let (dataset_diseases, dataset_invalid) = split_diseases(&v.d.data_use.disease_restrictions);
    for bad in &dataset_invalid {
        out.approve(format!("dataset disease `{bad}` is not a valid term and is ignored"));
    }
    for bad in invalid {
        out.deny(format!("purpose disease `{bad}` is not a valid disease term"));
    }
    if dataset_diseases.is_empty() {
        out.deny(format!(
            "dataset permission `DS` lists no valid disease, so it admits no disease-specific \
             research on {}",
            quoted(purpose_diseases.iter().map(|d| compact_term(d)))
        ));
        return;
    }
    for purpose_disease in purpose_diseases {
        let covering = dataset_diseases.iter().find(|d| *d == purpose_disease || ontology.is_a(purpose_disease, d));
        match covering {
            Some(d) if d == purpose_disease => out.approve(format!(
                "purpose disease `{}` is dataset disease `{}`",
                compact_term(purpose_disease),
                compact_term(d)
            )),
            Some(d) => out.approve(format!(
                "purpose disease `{}` is a kind of dataset disease `{}`",
                compact_term(purpose_disease),
                compact_term(d)
            )),
            None => out.deny(format!(
                "purpose disease `{}` is not a kind of any dataset disease ({})",
                compact_term(purpose_disease),
                quoted(dataset_diseases.iter().map(|d| compact_term(d)))
            )),
        }
    }
}

fn hmb_rule(v: &View<'_>, out: &mut Outcome) {
    let permission = v.d.permission;
    match permission {
        Permission::Nres | Permission::Gru | Permission::Hmb => out.approve(format!(
            "purpose `HMB` (health, medical or biomedical research) fits dataset permission `{}`",
            permission.code()
        )),
        Permission::Ds => out.deny(
            "purpose `HMB` (health, medical or biomedical research) is broader than dataset \
             permission `DS`, which is limited to specific diseases"
                .to_owned(),
        ),
        Permission::Poa => out.deny(
            "purpose `HMB` (health, medical or biomedical research) does not fit dataset \
             permission `POA`, which is limited to population origins or ancestry research"
                .to_owned(),
        ),
    }
}

fn poa_rule(v: &View<'_>, out: &mut Outcome) {
    let permission = v.d.permission;
    match permission {
        Permission::Nres | Permission::Gru | Permission::Poa => out.approve(format!(
            "purpose `POA` (population origins or ancestry research) fits dataset permission `{}`",
            permission.code()
        )),
        Permission::Hmb => out.deny(
            "purpose `POA` (population origins or ancestry research) does not fit dataset \
             permission `HMB`, which excludes population origins or ancestry research"
                .to_owned(),
        ),
        Permission::Ds => out.deny(
            "purpose `POA` (population origins or ancestry research) does not fit dataset \
             permission `DS`, which is limited to specific diseases"
                .to_owned(),
        ),
    }
    if v.applies(None, v.d.no_population_ancestry, DuoTerm::Npoa) {
        out.deny("dataset prohibits population origins or ancestry research (`NPOA`)".to_owned());
    }
}

fn gru_rule(v: &View<'_>, out: &mut Outcome) {
    let permission = v.d.permission;
    match permission {
        Permission::Nres | Permission::Gru => {
            out.approve(format!("purpose `GRU` (general research use) fits dataset permission `{}`", permission.code()))
        }
        Permission::Hmb | Permission::Ds | Permission::Poa => out.deny(format!(
            "purpose `GRU` (general research use) is broader than dataset permission `{}`",
            permission.code()
        )),
    }
}

fn methods_rule(p: &DataUse, v: &View<'_>, out: &mut Outcome) {
    if p.methods_research != Some(true) {
        return;
    }
    if v.applies(v.d.data_use.methods_research, false, DuoTerm::Nmds) {
        out.deny("purpose is methods research but the dataset prohibits methods development (`NMDS`)".to_owned());
    } else {
        out.approve("purpose is methods research and the dataset does not prohibit it (no `NMDS`)".to_owned());
    }
}

fn non_profit_rule(p: &DataUse, v: &View<'_>, options: &MatchOptions, out: &mut Outcome) {
    let codes = v.non_profit_codes();
    if codes.is_empty() {
        if p.non_profit_use == Some(false) {
            out.approve("purpose declares for-profit use and the dataset has no not-for-profit restriction".to_owned());
        }
        return;
    }
    let codes = quoted(codes);
    match p.non_profit_use {
        Some(false) => out.deny(format!(
            "purpose declares for-profit use but the dataset is limited to not-for-profit use \
             ({codes})"
        )),
        Some(true) => out.approve(format!("purpose declares not-for-profit use, as the dataset requires ({codes})")),
        None if options.duos_strict => out.abstain(format!(
            "purpose does not state whether use is for profit and the dataset is limited to \
             not-for-profit use ({codes}); a human must check"
        )),
        None => out.approve(format!(
            "purpose does not state whether use is for profit; an unset value is not a \
             for-profit declaration, so the not-for-profit restriction ({codes}) does not deny"
        )),
    }
}

/// The purpose's sensitive areas and free text, which DUOS leaves to a human.
fn purpose_review_rules(p: &DataUse, options: &MatchOptions, out: &mut Outcome) {
    if let Some(gender) = non_blank(p.gender.as_deref()) {
        out.abstain(format!("purpose is limited to one gender (`{gender}`); DUOS leaves this to a human"));
    }
    let flags = [
        (p.pediatric, "purpose is limited to a pediatric population"),
        (p.illegal_behavior, "purpose studies illegal behaviour"),
        (p.sexual_diseases, "purpose studies sexual preferences or sexually transmitted diseases"),
        (p.stigmatize_diseases, "purpose studies stigmatising illnesses"),
        (p.vulnerable_populations, "purpose targets a vulnerable population"),
        (p.psychological_traits, "purpose studies psychological traits, intelligence or attention"),
        (
            p.not_health,
            "purpose correlates ethnicity, race or gender with genotypic or phenotypic variables \
             beyond health research",
        ),
    ];
    for (value, what) in flags {
        if value == Some(true) {
            out.abstain(format!("{what}; DUOS leaves this to a human"));
        }
    }
    let texts = [
        (p.other.as_deref(), "purpose states other conditions"),
        (p.secondary_other.as_deref(), "purpose states further conditions"),
    ];
    for (text, what) in texts {
        if let Some(text) = non_blank(text) {
            out.abstain(format!("{what} (`{text}`) that a human must read"));
        }
    }
    let duos_only = [
        (p.controls, "purpose adds controls for a comparison group"),
        (p.population, "purpose studies variation in the general population"),
    ];
    for (value, what) in duos_only {
        if value == Some(true) {
            if options.duos_strict {
                out.abstain(format!("{what}; DUOS leaves this to a human"));
            } else {
                out.approve(format!("{what}, which no DUO term restricts"));
            }
        }
    }
}

/// The dataset's restrictions that a human must check against the request.
fn dataset_review_rules(p: &DataUse, v: &View<'_>, options: &MatchOptions, out: &mut Outcome) {
    let d = &v.d.data_use;
    let texts = [
        (d.other.as_deref(), "dataset states other conditions"),
        (d.secondary_other.as_deref(), "dataset states further conditions"),
    ];
    for (text, what) in texts {
        if let Some(text) = non_blank(text) {
            out.abstain(format!("{what} (`{text}`) that a human must read"));
        }
    }
    match v.valued(d.geographical_restrictions.as_deref(), DuoTerm::Gs) {
        Some(Some(region)) if options.region_checked_by_caller => out.approve(format!(
            "dataset use is restricted to the region `{region}` (`GS`); the decision checks where \
             the data will be used against it"
        )),
        Some(Some(region)) => out.abstain(format!(
            "dataset use is restricted to the region `{region}` (`GS`); a human must check where \
             the data will be used"
        )),
        Some(None) => out.abstain(
            "dataset use is geographically restricted (`GS`); a human must check where the data \
             will be used"
                .to_owned(),
        ),
        None => {}
    }
    if v.applies(d.genetic_studies_only, false, DuoTerm::Gso) {
        if options.duos_strict {
            out.abstain("dataset is limited to genetic studies (`GSO`); DUOS leaves this to a human".to_owned());
        } else if p.genetic_studies_only == Some(true) {
            out.approve("purpose declares genetic studies, as the dataset requires (`GSO`)".to_owned());
        } else {
            out.abstain(
                "dataset is limited to genetic studies (`GSO`) and the purpose does not declare \
                 genetic studies; a human must check"
                    .to_owned(),
            );
        }
    }
    let specific = [
        (v.d.research_specific, DuoTerm::Rs, "dataset use is limited to a certain research type"),
        (v.d.user_specific, DuoTerm::Us, "dataset use is limited to approved users"),
        (v.d.project_specific, DuoTerm::Ps, "dataset use is limited to an approved project"),
        (v.d.institution_specific, DuoTerm::Is, "dataset use is limited to an approved institution"),
    ];
    for (flag, term, what) in specific {
        if v.applies(None, flag, term) {
            out.abstain(format!("{what} (`{}`); a human must check", term.code()));
        }
    }
}

/// PUB, COL, IRB, MOR, TS, RTN and CC: obligations or notes, abstentions under `duos_strict`.
fn obligation_rules(v: &View<'_>, options: &MatchOptions, out: &mut Outcome) -> Vec<Obligation> {
    let d = &v.d.data_use;
    let mut obligations = Vec::new();
    let mut carry = |out: &mut Outcome, term: DuoTerm, what: String, detail: Option<&str>| {
        if options.duos_strict && term != DuoTerm::Ts && term != DuoTerm::Rtn {
            out.abstain(format!("{what} (`{}`); DUOS leaves this to a human", term.code()));
        } else {
            out.approve(format!("{what} (`{}`), carried as an obligation", term.code()));
        }
        obligations.push(Obligation::new(term, detail));
    };
    if v.applies(d.publication_results, false, DuoTerm::Pub) {
        carry(out, DuoTerm::Pub, "dataset requires publication of results".to_owned(), None);
    }
    if v.applies(d.collaborator_required, false, DuoTerm::Col) {
        carry(
            out,
            DuoTerm::Col,
            "dataset requires collaboration with the primary study investigators".to_owned(),
            None,
        );
    }
    if v.applies(d.ethics_approval_required, false, DuoTerm::Irb) {
        if options.duos_strict {
            out.abstain("dataset requires ethics approval (`IRB`); DUOS leaves this to a human".to_owned());
        } else {
            out.approve(
                "dataset requires ethics approval (`IRB`), which is checked outside the DUO \
                 matcher"
                    .to_owned(),
            );
        }
    }
    match v.valued(d.publication_moratorium.as_deref(), DuoTerm::Mor) {
        Some(Some(date)) => {
            carry(out, DuoTerm::Mor, format!("dataset forbids publication before `{date}`"), Some(date))
        }
        Some(None) => carry(out, DuoTerm::Mor, "dataset has a publication moratorium".to_owned(), None),
        None => {}
    }
    let until = non_blank(v.d.time_limit_until.as_deref());
    if until.is_some() || v.applies(None, v.d.time_limit, DuoTerm::Ts) {
        let what = match until {
            Some(date) => format!("dataset use is time limited until `{date}`"),
            None => "dataset use is time limited".to_owned(),
        };
        carry(out, DuoTerm::Ts, what, until);
    }
    if v.applies(None, v.d.return_to_database, DuoTerm::Rtn) {
        carry(out, DuoTerm::Rtn, "dataset requires derived data to be returned to the resource".to_owned(), None);
    }
    if v.applies(None, v.d.clinical_care, DuoTerm::Cc) {
        out.approve("dataset also allows clinical care use (`CC`), which does not restrict research".to_owned());
    }
    obligations
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::{DuoError, PurposeFlags, SensitiveFlag, dataset_from_terms, purpose_from_terms};
    use super::*;

    const CANCER: &str = "http://purl.obolibrary.org/obo/MONDO_0004992";
    const LUNG_CANCER: &str = "http://purl.obolibrary.org/obo/MONDO_0008903";
    const DIABETES: &str = "http://purl.obolibrary.org/obo/MONDO_0005015";
    const T2D: &str = "http://purl.obolibrary.org/obo/MONDO_0005148";

    /// A hand-written child -> parent map; `is_a` walks up it.
    struct TestOntology(BTreeMap<&'static str, &'static str>);

    impl TestOntology {
        fn new() -> Self {
            Self(BTreeMap::from([(LUNG_CANCER, CANCER), (T2D, DIABETES)]))
        }
    }

    impl Subsumption for TestOntology {
        fn is_a(&self, child: &str, ancestor: &str) -> bool {
            let mut current = Some(child);
            while let Some(c) = current {
                if c == ancestor {
                    return true;
                }
                current = self.0.get(c).copied();
            }
            false
        }
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    fn flags() -> PurposeFlags {
        PurposeFlags::default()
    }

    fn ds(diseases: &[&str]) -> Result<DatasetUse, DuoError> {
        dataset_from_terms("DS", &[], &s(diseases))
    }

    fn plain(permission: &str) -> Result<DatasetUse, DuoError> {
        dataset_from_terms(permission, &[], &[])
    }

    fn run(purpose: &DataUse, dataset: &DatasetUse) -> Match {
        match_purpose(purpose, dataset, &TestOntology::new(), &MatchOptions::default())
    }

    fn strict(purpose: &DataUse, dataset: &DatasetUse) -> Match {
        let options = MatchOptions { duos_strict: true, ..MatchOptions::default() };
        match_purpose(purpose, dataset, &TestOntology::new(), &options)
    }

    fn mentions(m: &Match, needle: &str) -> bool {
        m.rationale.iter().any(|r| r.contains(needle))
    }

    #[test]
    fn disease_purpose_is_approved_on_gru_nres_and_hmb() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("DS", &s(&["MONDO:0008903"]), &flags())?;
        for permission in ["GRU", "NRES", "HMB"] {
            let m = run(&purpose, &plain(permission)?);
            assert_eq!(m.result, MatchResult::Approve, "{permission}");
            assert_eq!(
                m.rationale,
                [format!(
                    "dataset permission `{permission}` admits disease-specific research on \
                     `MONDO:0008903`"
                )]
            );
        }
        Ok(())
    }

    #[test]
    fn disease_purpose_is_denied_on_poa() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("DS", &s(&["MONDO:0008903"]), &flags())?;
        assert_eq!(run(&purpose, &plain("POA")?).result, MatchResult::Deny);
        Ok(())
    }

    #[test]
    fn narrower_purpose_disease_fits_broader_dataset_disease() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("DS", &s(&["MONDO:0008903"]), &flags())?;
        let m = run(&purpose, &ds(&["MONDO:0004992"])?);
        assert_eq!(m.result, MatchResult::Approve);
        assert_eq!(m.rationale, ["purpose disease `MONDO:0008903` is a kind of dataset disease `MONDO:0004992`"]);
        Ok(())
    }

    #[test]
    fn broader_purpose_disease_does_not_fit_narrower_dataset() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("DS", &s(&["MONDO:0004992"]), &flags())?;
        let m = run(&purpose, &ds(&["MONDO:0008903"])?);
        assert_eq!(m.result, MatchResult::Deny);
        assert_eq!(
            m.rationale,
            ["purpose disease `MONDO:0004992` is not a kind of any dataset disease \
              (`MONDO:0008903`)"]
        );
        Ok(())
    }

    #[test]
    fn same_disease_matches_even_without_hierarchy() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("DS", &s(&["MONDO_0005148"]), &flags())?;
        let dataset = ds(&["http://purl.obolibrary.org/obo/MONDO_0005148"])?;
        let m = match_purpose(&purpose, &dataset, &ReflexiveOnly, &MatchOptions::default());
        assert_eq!(m.result, MatchResult::Approve);
        // A closure is a Subsumption too, and the matcher does not need it for identity.
        let never = |_: &str, _: &str| false;
        let m = match_purpose(&purpose, &dataset, &never, &MatchOptions::default());
        assert_eq!(m.result, MatchResult::Approve);
        assert!(mentions(&m, "is dataset disease `MONDO:0005148`"));
        Ok(())
    }

    #[test]
    fn multi_disease_purpose_with_one_uncovered_disease_is_denied() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("DS", &s(&["MONDO:0008903", "MONDO:0005148"]), &flags())?;
        let m = run(&purpose, &ds(&["MONDO:0004992"])?);
        assert_eq!(m.result, MatchResult::Deny);
        assert!(mentions(&m, "purpose disease `MONDO:0005148` is not a kind of any dataset disease"));
        assert!(mentions(&m, "`MONDO:0008903` is a kind of dataset disease"));
        // Covering both with two dataset diseases approves.
        let both = run(&purpose, &ds(&["MONDO:0004992", "MONDO:0005015"])?);
        assert_eq!(both.result, MatchResult::Approve);
        Ok(())
    }

    #[test]
    fn invalid_purpose_disease_is_denied() -> Result<(), DuoError> {
        let purpose = DataUse { disease_restrictions: s(&["lung cancer"]), ..DataUse::default() };
        let m = run(&purpose, &ds(&["MONDO:0004992"])?);
        assert_eq!(m.result, MatchResult::Deny);
        assert!(mentions(&m, "`lung cancer` is not a valid disease term"));
        Ok(())
    }

    #[test]
    fn hmb_purpose_fits_gru_nres_hmb_only() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("HMB", &[], &flags())?;
        for permission in ["GRU", "NRES", "HMB"] {
            assert_eq!(run(&purpose, &plain(permission)?).result, MatchResult::Approve);
        }
        assert_eq!(run(&purpose, &plain("POA")?).result, MatchResult::Deny);
        assert_eq!(run(&purpose, &ds(&["MONDO:0004992"])?).result, MatchResult::Deny);
        Ok(())
    }

    #[test]
    fn poa_purpose_fits_gru_nres_poa_only() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("POA", &[], &flags())?;
        for permission in ["GRU", "NRES", "POA"] {
            assert_eq!(run(&purpose, &plain(permission)?).result, MatchResult::Approve);
        }
        assert_eq!(run(&purpose, &plain("HMB")?).result, MatchResult::Deny);
        assert_eq!(run(&purpose, &ds(&["MONDO:0004992"])?).result, MatchResult::Deny);
        Ok(())
    }

    #[test]
    fn npoa_denies_poa_purpose() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("POA", &[], &flags())?;
        let dataset = dataset_from_terms("GRU", &s(&["http://purl.obolibrary.org/obo/DUO_00000044"]), &[])?;
        let m = run(&purpose, &dataset);
        assert_eq!(m.result, MatchResult::Deny);
        assert!(mentions(&m, "(`NPOA`)"));
        // NPOA does not concern other purposes.
        let hmb = purpose_from_terms("HMB", &[], &flags())?;
        assert_eq!(run(&hmb, &dataset).result, MatchResult::Approve);
        Ok(())
    }

    #[test]
    fn general_purpose_fits_only_gru_and_nres() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("GRU", &[], &flags())?;
        assert_eq!(run(&purpose, &plain("GRU")?).result, MatchResult::Approve);
        assert_eq!(run(&purpose, &plain("NRES")?).result, MatchResult::Approve);
        for dataset in [plain("HMB")?, plain("POA")?, ds(&["MONDO:0004992"])?] {
            let m = run(&purpose, &dataset);
            assert_eq!(m.result, MatchResult::Deny);
            assert!(mentions(&m, "is broader than dataset permission"));
        }
        Ok(())
    }

    #[test]
    fn empty_purpose_abstains() -> Result<(), DuoError> {
        let purpose = DataUse { methods_research: Some(true), ..DataUse::default() };
        let m = run(&purpose, &plain("GRU")?);
        assert_eq!(m.result, MatchResult::Abstain);
        assert!(mentions(&m, "names no primary research category"));
        Ok(())
    }

    #[test]
    fn methods_research_is_denied_only_on_nmds() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("HMB", &[], &PurposeFlags { methods_research: true, ..flags() })?;
        let nmds = dataset_from_terms("HMB", &s(&["DUO:0000015"]), &[])?;
        let m = run(&purpose, &nmds);
        assert_eq!(m.result, MatchResult::Deny);
        assert!(mentions(&m, "(`NMDS`)"));
        assert_eq!(run(&purpose, &plain("HMB")?).result, MatchResult::Approve);
        // A purpose that is not methods research is not affected by NMDS.
        let hmb = purpose_from_terms("HMB", &[], &flags())?;
        assert_eq!(run(&hmb, &nmds).result, MatchResult::Approve);
        Ok(())
    }

    #[test]
    fn for_profit_purpose_is_denied_on_npu_ncu_npuncu() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("GRU", &[], &PurposeFlags { for_profit: Some(true), ..flags() })?;
        for modifier in ["NPU", "NCU", "NPUNCU"] {
            let dataset = dataset_from_terms("GRU", &s(&[modifier]), &[])?;
            let m = run(&purpose, &dataset);
            assert_eq!(m.result, MatchResult::Deny, "{modifier}");
            assert!(mentions(&m, &format!("(`{modifier}`)")));
        }
        assert_eq!(run(&purpose, &plain("GRU")?).result, MatchResult::Approve);
        Ok(())
    }

    #[test]
    fn not_for_profit_purpose_is_approved_on_npu() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("GRU", &[], &PurposeFlags { for_profit: Some(false), ..flags() })?;
        let dataset = dataset_from_terms("GRU", &s(&["NPU"]), &[])?;
        assert_eq!(run(&purpose, &dataset).result, MatchResult::Approve);
        Ok(())
    }

    #[test]
    fn unset_non_profit_is_not_false() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("GRU", &[], &flags())?;
        assert_eq!(purpose.non_profit_use, None);
        let dataset = dataset_from_terms("GRU", &s(&["NPU"]), &[])?;
        let m = run(&purpose, &dataset);
        assert_eq!(m.result, MatchResult::Approve);
        assert!(mentions(&m, "an unset value is not a for-profit declaration"));
        assert_eq!(strict(&purpose, &dataset).result, MatchResult::Abstain);
        Ok(())
    }

    #[test]
    fn each_sensitive_flag_abstains() -> Result<(), DuoError> {
        let all = [
            SensitiveFlag::Pediatric,
            SensitiveFlag::VulnerablePopulations,
            SensitiveFlag::StigmatizeDiseases,
            SensitiveFlag::IllegalBehavior,
            SensitiveFlag::SexualDiseases,
            SensitiveFlag::PsychologicalTraits,
            SensitiveFlag::NotHealth,
            SensitiveFlag::Gender,
        ];
        for flag in all {
            let purpose = purpose_from_terms("GRU", &[], &PurposeFlags { sensitive: vec![flag], ..flags() })?;
            let m = run(&purpose, &plain("GRU")?);
            assert_eq!(m.result, MatchResult::Abstain, "{flag:?}");
            assert_eq!(m.rationale.len(), 2, "{flag:?}");
        }
        Ok(())
    }

    #[test]
    fn free_text_abstains_unless_blank() -> Result<(), DuoError> {
        let mut purpose = purpose_from_terms("GRU", &[], &flags())?;
        purpose.other = Some("  ".into());
        assert_eq!(run(&purpose, &plain("GRU")?).result, MatchResult::Approve);
        purpose.secondary_other = Some("only in winter".into());
        let m = run(&purpose, &plain("GRU")?);
        assert_eq!(m.result, MatchResult::Abstain);
        assert!(mentions(&m, "`only in winter`"));

        let purpose = purpose_from_terms("GRU", &[], &flags())?;
        let mut dataset = plain("GRU")?;
        dataset.data_use.other = Some("no linkage".into());
        let m = run(&purpose, &dataset);
        assert_eq!(m.result, MatchResult::Abstain);
        assert!(mentions(&m, "dataset states other conditions (`no linkage`)"));
        Ok(())
    }

    #[test]
    fn geographical_restriction_abstains() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("GRU", &[], &flags())?;
        let mut dataset = dataset_from_terms("GRU", &s(&["GS"]), &[])?;
        let m = run(&purpose, &dataset);
        assert_eq!(m.result, MatchResult::Abstain);
        assert!(mentions(&m, "geographically restricted (`GS`)"));
        dataset.data_use.geographical_restrictions = Some("EU".into());
        assert!(mentions(&run(&purpose, &dataset), "region `EU`"));
        assert_eq!(run(&purpose, &dataset).result, MatchResult::Abstain);
        // The decision engine checks the region itself: then a named region does not abstain,
        // and a GS without a region still does.
        let checked = MatchOptions { region_checked_by_caller: true, ..MatchOptions::default() };
        let m = match_purpose(&purpose, &dataset, &TestOntology::new(), &checked);
        assert_eq!(m.result, MatchResult::Approve);
        assert!(mentions(&m, "checks where the data will be used"));
        dataset.data_use.geographical_restrictions = None;
        assert_eq!(match_purpose(&purpose, &dataset, &TestOntology::new(), &checked).result, MatchResult::Abstain);
        Ok(())
    }

    #[test]
    fn genetic_studies_only_needs_a_genetic_purpose() -> Result<(), DuoError> {
        let dataset = dataset_from_terms("GRU", &s(&["GSO"]), &[])?;
        let other = purpose_from_terms("GRU", &[], &flags())?;
        assert_eq!(run(&other, &dataset).result, MatchResult::Abstain);
        let genetic = purpose_from_terms("GRU", &[], &PurposeFlags { genetic_studies: true, ..flags() })?;
        assert_eq!(run(&genetic, &dataset).result, MatchResult::Approve);
        assert_eq!(strict(&genetic, &dataset).result, MatchResult::Abstain);
        Ok(())
    }

    #[test]
    fn user_project_institution_and_research_specific_abstain() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("GRU", &[], &flags())?;
        for modifier in ["US", "PS", "IS", "RS"] {
            let m = run(&purpose, &dataset_from_terms("GRU", &s(&[modifier]), &[])?);
            assert_eq!(m.result, MatchResult::Abstain, "{modifier}");
            assert!(mentions(&m, &format!("(`{modifier}`); a human must check")));
        }
        Ok(())
    }

    #[test]
    fn obligations_are_carried_not_denied() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("GRU", &[], &flags())?;
        let mut dataset = dataset_from_terms("GRU", &s(&["RTN", "TS", "MOR", "COL", "PUB", "IRB", "CC"]), &[])?;
        dataset.data_use.publication_moratorium = Some("2027-06-30".into());
        dataset.time_limit_until = Some("2028-01-01".into());
        let m = run(&purpose, &dataset);
        assert_eq!(m.result, MatchResult::Approve);
        let codes: Vec<&str> = m.obligations.iter().map(|o| o.code.as_str()).collect();
        assert_eq!(codes, ["PUB", "COL", "MOR", "TS", "RTN"]);
        let mor = m.obligations.iter().find(|o| o.code == "MOR");
        assert_eq!(mor.and_then(|o| o.detail.as_deref()), Some("2027-06-30"));
        assert_eq!(mor.map(|o| o.term.as_str()), Some("http://purl.obolibrary.org/obo/DUO_0000024"));
        assert!(mentions(&m, "which is checked outside the DUO matcher"));
        assert!(mentions(&m, "(`CC`)"));
        Ok(())
    }

    #[test]
    fn moratorium_term_without_date_has_no_detail() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("GRU", &[], &flags())?;
        let dataset = dataset_from_terms("GRU", &s(&["DUO:0000024"]), &[])?;
        let m = run(&purpose, &dataset);
        assert_eq!(m.result, MatchResult::Approve);
        assert_eq!(
            m.obligations,
            [Obligation {
                term: "http://purl.obolibrary.org/obo/DUO_0000024".into(),
                code: "MOR".into(),
                label: "publication moratorium".into(),
                detail: None,
            }]
        );
        Ok(())
    }

    #[test]
    fn duos_strict_abstains_on_pub_col_irb_mor() -> Result<(), DuoError> {
        let purpose = purpose_from_terms("GRU", &[], &flags())?;
        for modifier in ["PUB", "COL", "IRB", "MOR"] {
            let dataset = dataset_from_terms("GRU", &s(&[modifier]), &[])?;
            assert_eq!(run(&purpose, &dataset).result, MatchResult::Approve);
            let m = strict(&purpose, &dataset);
            assert_eq!(m.result, MatchResult::Abstain, "{modifier}");
            assert!(mentions(&m, "DUOS leaves this to a human"));
        }
        // PUB stays an obligation under strict matching; TS and RTN do not abstain.
        let dataset = dataset_from_terms("GRU", &s(&["PUB", "TS", "RTN"]), &[])?;
        let m = strict(&purpose, &dataset);
        assert_eq!(m.result, MatchResult::Abstain);
        assert_eq!(m.obligations.len(), 3);
        let plain_ts = strict(&purpose, &dataset_from_terms("GRU", &s(&["TS", "RTN"]), &[])?);
        assert_eq!(plain_ts.result, MatchResult::Approve);
        Ok(())
    }

    #[test]
    fn duos_strict_abstains_on_controls_and_population() -> Result<(), DuoError> {
        let mut purpose = purpose_from_terms("GRU", &[], &flags())?;
        purpose.controls = Some(true);
        assert_eq!(run(&purpose, &plain("GRU")?).result, MatchResult::Approve);
        assert_eq!(strict(&purpose, &plain("GRU")?).result, MatchResult::Abstain);
        Ok(())
    }

    #[test]
    fn deny_beats_abstain_and_drops_obligations() -> Result<(), DuoError> {
        let purpose =
            purpose_from_terms("HMB", &[], &PurposeFlags { sensitive: vec![SensitiveFlag::Pediatric], ..flags() })?;
        let dataset = dataset_from_terms("DS", &s(&["PUB", "GS"]), &s(&["MONDO:0004992"]))?;
        let m = run(&purpose, &dataset);
        assert_eq!(m.result, MatchResult::Deny);
        assert!(mentions(&m, "pediatric"));
        assert!(m.obligations.is_empty());
        assert_eq!(MatchResult::Abstain.combine(MatchResult::Approve), MatchResult::Abstain);
        assert_eq!(MatchResult::Abstain.combine(MatchResult::Deny), MatchResult::Deny);
        Ok(())
    }

    #[test]
    fn all_purpose_categories_must_approve() -> Result<(), DuoError> {
        // A disease purpose that also claims POA: the disease fits, POA does not.
        let mut purpose = purpose_from_terms("DS", &s(&["MONDO:0008903"]), &flags())?;
        purpose.population_origins_ancestry = Some(true);
        let m = run(&purpose, &plain("HMB")?);
        assert_eq!(m.result, MatchResult::Deny);
        assert_eq!(m.rationale.len(), 2);
        Ok(())
    }

    #[test]
    fn rationale_order_is_deterministic() -> Result<(), DuoError> {
        let purpose = purpose_from_terms(
            "DS",
            &s(&["MONDO:0005148", "MONDO:0008903"]),
            &PurposeFlags {
                methods_research: true,
                for_profit: Some(false),
                genetic_studies: false,
                sensitive: vec![SensitiveFlag::NotHealth, SensitiveFlag::Pediatric],
            },
        )?;
        let dataset =
            dataset_from_terms("DS", &s(&["RTN", "PUB", "NPU", "GSO"]), &s(&["MONDO:0005015", "MONDO:0004992"]))?;
        let first = run(&purpose, &dataset);
        assert_eq!(first, run(&purpose, &dataset));
        assert_eq!(first.result, MatchResult::Abstain);
        assert_eq!(
            first.rationale,
            [
                "purpose disease `MONDO:0005148` is a kind of dataset disease `MONDO:0005015`",
                "purpose disease `MONDO:0008903` is a kind of dataset disease `MONDO:0004992`",
                "purpose is methods research and the dataset does not prohibit it (no `NMDS`)",
                "purpose declares not-for-profit use, as the dataset requires (`NPU`)",
                "purpose is limited to a pediatric population; DUOS leaves this to a human",
                "purpose correlates ethnicity, race or gender with genotypic or phenotypic \
                 variables beyond health research; DUOS leaves this to a human",
                "dataset is limited to genetic studies (`GSO`) and the purpose does not declare \
                 genetic studies; a human must check",
                "dataset requires publication of results (`PUB`), carried as an obligation",
                "dataset requires derived data to be returned to the resource (`RTN`), carried \
                 as an obligation",
            ]
        );
        Ok(())
    }

    #[test]
    fn match_serialises_to_the_json_contract() -> Result<(), Box<dyn std::error::Error>> {
        let purpose = purpose_from_terms("GRU", &[], &flags())?;
        let dataset = dataset_from_terms("GRU", &s(&["PUB"]), &[])?;
        let m = run(&purpose, &dataset);
        let json = serde_json::to_value(&m)?;
        assert_eq!(json.get("result"), Some(&serde_json::json!("APPROVE")));
        assert_eq!(json.pointer("/obligations/0/code"), Some(&serde_json::json!("PUB")));
        let back: Match = serde_json::from_value(json)?;
        assert_eq!(back, m);
        let d: DatasetUse = serde_json::from_value(serde_json::to_value(&dataset)?)?;
        assert_eq!(d, dataset);
        assert_eq!(serde_json::to_string(&MatchResult::Abstain)?, r#""ABSTAIN""#);
        Ok(())
    }
}
