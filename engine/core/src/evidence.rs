//! From a request to the facts a decision rests on, at the request's day: which evidence is
//! valid, which terms are unknown, how the purpose matches each dataset's data use conditions.
//! Each fact keeps a sentence saying what it rests on, so reasons can cite the evidence.

use crate::bundle::Bundle;
use crate::day::Day;
use crate::duo::{self, DataUse, Match, MatchOptions, MatchResult, PurposeFlags};
use crate::error::RequestError;
use crate::request::{DacApproval, DecisionRequest, RequestedDataset, SdcStatus};
use crate::vocab::{country_iri, expand};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Evidence keys (the `@evidence` annotation of a policy) with sentences saying what was found.
pub type Notes = BTreeMap<String, Vec<String>>;

/// Facts about the researcher and project, shared by every dataset and member.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The request's day.
    pub today: Day,
    /// Concepts the researcher is `in`: valid evidence and their ancestors.
    pub researcher_parents: BTreeSet<String>,
    /// A well-formed ORCID iD.
    pub identity_verified: bool,
    /// Has an affiliation.
    pub affiliated: bool,
    /// The researcher's location (country IRI).
    pub location: String,
    /// The affiliation's country (IRI) and for-profit flag.
    pub affiliation: Option<(String, bool)>,
    /// Concepts the project is `in`: its legal bases and their ancestors.
    pub project_parents: BTreeSet<String>,
    /// Last day of a valid ethics approval (-1: none).
    pub ethics_until: i64,
    /// Project period.
    pub start_day: i64,
    /// Project period.
    pub end_day: i64,
    /// Commercial project (unset counts as not commercial for the Cedar attribute; DUO matching
    /// keeps the difference).
    pub commercial: bool,
    /// Unknown terms, per Safe.
    pub unknown_people: Vec<String>,
    /// Unknown terms in purpose and legal bases.
    pub unknown_projects: Vec<String>,
    /// Unknown output kind.
    pub unknown_outputs: Vec<String>,
    /// The output to export (kind `fs:NoOutput` when the action is not an export).
    pub output: RequestOutput,
    /// More than one dataset is requested.
    pub linkage: bool,
    /// The purpose as DUOS DataUse, or why it could not be built.
    pub purpose: Result<DataUse, String>,
    /// Sentences by evidence key.
    pub notes: Notes,
    /// Per requested dataset.
    pub datasets: BTreeMap<String, DatasetFacts>,
}

/// Facts about one requested dataset.
#[derive(Debug, Clone)]
pub struct DatasetFacts {
    /// Last day of a valid DAC approval (-1: none).
    pub dac_until: i64,
    /// Approved variables.
    pub dac_variables: BTreeSet<String>,
    /// Linkage approved.
    pub dac_linkage: bool,
    /// Variables asked for.
    pub requested_variables: BTreeSet<String>,
    /// DUO matching result.
    pub duo: Match,
    /// The output's disclosure control as the dataset's holder judges it.
    pub output_sdc: SdcStatus,
    /// Whether a check under a risk appetite at least as strict as the holder's stands behind
    /// `output_sdc`.
    pub output_checked: bool,
    /// Sentences by evidence key.
    pub notes: Notes,
}

/// What the request says of its output, the same at every member.
#[derive(Debug, Clone)]
pub struct RequestOutput {
    /// Its kind (IRI).
    pub kind: String,
    /// How many distinct output checkers signed it off.
    pub checkers: i64,
    /// Whether the researcher asks for an exception.
    pub exception: bool,
    /// Whether the request is to export it.
    pub export: bool,
    /// Its disclosure control check, when attached.
    pub check: Option<crate::safe_outputs::CheckEvidence>,
    /// Its disclosure control status as stated.
    pub stated: Option<SdcStatus>,
}

fn day(s: &str, path: &str) -> Result<Day, RequestError> {
    Day::parse(s).map_err(|message| RequestError::Value { path: path.to_owned(), message })
}

/// Validity of a dated piece of evidence on `today`.
fn validity(today: Day, from: Day, until: Option<Day>) -> Result<(), String> {
    if from > today {
        return Err(format!("not valid before {}", from.iso()));
    }
    match until {
        Some(u) if u < today => Err(format!("expired {}", u.iso())),
        _ => Ok(()),
    }
}

/// Is this a well-formed ORCID iD URL with a correct ISO 7064 11,2 check digit?
pub fn orcid_is_valid(id: &str) -> bool {
    let Some(digits) = id.strip_prefix("https://orcid.org/") else { return false };
    let chars: Vec<char> = digits.chars().filter(|c| *c != '-').collect();
    let shape_ok = digits.len() == 19
        && digits
            .chars()
            .enumerate()
            .all(|(i, c)| if i % 5 == 4 { c == '-' } else { c.is_ascii_digit() || (i == 18 && c == 'X') });
    if !shape_ok || chars.len() != 16 {
        return false;
    }
    let mut total: u32 = 0;
    for c in chars.iter().take(15) {
        total = (total + c.to_digit(10).unwrap_or(0)) * 2;
    }
    let check = (12 - total % 11) % 11;
    let expected = if check == 10 { 'X' } else { char::from_digit(check, 10).unwrap_or('?') };
    chars.last() == Some(&expected)
}

impl Facts {
    /// Establish the facts of a request under a bundle.
    pub fn establish(bundle: &Bundle, req: &DecisionRequest) -> Result<Facts, RequestError> {
        let vocab = &bundle.vocab;
        let today = day(&req.time, "/time")?;
        let mut notes = Notes::new();
        let mut note = |key: &str, text: String| notes.entry(key.to_owned()).or_default().push(text);
        let with_ancestors = |set: &mut BTreeSet<String>, iri: &str| {
            set.insert(iri.to_owned());
            set.extend(vocab.ancestors(iri).map(str::to_owned));
        };

        // Safe People.
        let r = &req.researcher;
        let identity_verified = orcid_is_valid(&r.id);
        note(
            "researcher.identity",
            if identity_verified {
                format!("ORCID iD `{}`", r.id)
            } else {
                format!(
                    "`{}` is not an ORCID iD with a valid check digit (https://orcid.org/XXXX-XXXX-XXXX-XXXX)",
                    r.id
                )
            },
        );
        let mut researcher_parents = BTreeSet::new();
        let mut unknown_people = Vec::new();
        let mut evidence = Vec::new();
        // (list, what, term, the field that starts it, its day, expiry) of every credential.
        let credentials = r
            .accreditations
            .iter()
            .map(|a| ("accreditations", "accreditation", &a.scheme, "issued", &a.issued, &a.expires))
            .enumerate()
            .chain(
                r.training
                    .iter()
                    .map(|t| ("training", "training", &t.course, "completed", &t.completed, &t.expires))
                    .enumerate(),
            )
            .chain(
                r.agreements
                    .iter()
                    .map(|a| ("agreements", "agreement", &a.agreement, "signed", &a.signed, &a.expires))
                    .enumerate(),
            );
        for (i, (list, what, term, from_field, from, expires)) in credentials {
            let path = format!("/researcher/{list}/{i}");
            let until = expires.as_deref().map(|e| day(e, &format!("{path}/expires"))).transpose()?;
            let from = day(from, &format!("{path}/{from_field}"))?;
            evidence.push((format!("researcher.{list}"), what, expand(term), from, until));
        }
        for (key, what, term, from, until) in evidence {
            let key = key.as_str();
            let name = vocab.display(&term);
            if !vocab.defines(&term) {
                unknown_people.push(term.clone());
                note("unknown.people", format!("{what} `{term}` is not defined by any loaded vocabulary"));
                note(key, format!("{what} `{term}` is not a known term"));
                continue;
            }
            match validity(today, from, until) {
                Ok(()) => {
                    with_ancestors(&mut researcher_parents, &term);
                    let till = until.map(|u| format!(", valid until {}", u.iso())).unwrap_or_default();
                    note(key, format!("{what} {name}{till}"));
                }
                Err(why) => note(key, format!("{what} {name} {why} (request day {})", today.iso())),
            }
        }
        for key in ["researcher.accreditations", "researcher.training", "researcher.agreements"] {
            if !notes.contains_key(key) {
                notes.insert(key.to_owned(), vec!["none given".to_owned()]);
            }
        }
        let location = country_iri(&r.location);
        if !vocab.defines(&location) {
            unknown_people.push(location.clone());
            notes
                .entry("unknown.people".to_owned())
                .or_default()
                .push(format!("country `{}` is not a known country code", r.location));
        }
        notes
            .entry("researcher.location".to_owned())
            .or_default()
            .push(format!("researcher located in {}", vocab.display(&location)));
        let affiliation = r.affiliation.as_ref().map(|a| (country_iri(&a.country), a.for_profit.unwrap_or(false)));
        notes.entry("researcher.affiliation".to_owned()).or_default().push(match &r.affiliation {
            Some(a) => format!("affiliated with {}", a.name),
            None => "no affiliation given".to_owned(),
        });

        // Safe Projects.
        let p = &req.project;
        let mut project_parents = BTreeSet::new();
        let mut unknown_projects = Vec::new();
        let mut bases = Vec::new();
        for basis in &p.legal_basis {
            let iri = expand(basis);
            if vocab.defines(&iri) {
                with_ancestors(&mut project_parents, &iri);
                bases.push(vocab.display(&iri));
            } else {
                unknown_projects.push(iri.clone());
                notes
                    .entry("unknown.projects".to_owned())
                    .or_default()
                    .push(format!("legal basis `{iri}` is not a known term"));
            }
        }
        notes.entry("project.legalBasis".to_owned()).or_default().push(if bases.is_empty() {
            "no legal basis given".to_owned()
        } else {
            format!("legal bases: {}", bases.join(", "))
        });
        let ethics_until = match &p.ethics {
            None => {
                notes.entry("project.ethics".to_owned()).or_default().push("no ethics approval given".to_owned());
                -1
            }
            Some(e) => {
                let from = day(&e.approved, "/project/ethics/approved")?;
                let until = e.expires.as_deref().map(|x| day(x, "/project/ethics/expires")).transpose()?;
                let text = format!("ethics approval by {}", e.committee);
                match validity(today, from, until) {
                    Ok(()) => {
                        notes.entry("project.ethics".to_owned()).or_default().push(text);
                        until.map(Day::number).unwrap_or(i64::MAX)
                    }
                    Err(why) => {
                        notes.entry("project.ethics".to_owned()).or_default().push(format!("{text} {why}"));
                        -1
                    }
                }
            }
        };
        let start = day(&p.start, "/project/start")?;
        let end = day(&p.end, "/project/end")?;
        notes.entry("project.period".to_owned()).or_default().push(format!(
            "project runs {} to {}; request day {}",
            start.iso(),
            end.iso(),
            today.iso()
        ));
        notes.entry("project.identifier".to_owned()).or_default().push(format!("project `{}`", p.id));
        let purpose = purpose_data_use(req, &mut unknown_projects, vocab);
        if let Err(e) = &purpose {
            notes.entry("unknown.projects".to_owned()).or_default().push(e.clone());
        }

        // Safe Outputs.
        let mut unknown_outputs = Vec::new();
        let output = match &req.output {
            Some(o) => {
                let kind = expand(&o.kind);
                if !vocab.defines(&kind) {
                    unknown_outputs.push(kind.clone());
                    notes
                        .entry("unknown.outputs".to_owned())
                        .or_default()
                        .push(format!("output kind `{kind}` is not a known term"));
                }
                notes
                    .entry("output.kind".to_owned())
                    .or_default()
                    .push(format!("output kind {}", vocab.display(&kind)));
                let check = o
                    .check
                    .as_ref()
                    .map(|v| {
                        crate::safe_outputs::CheckEvidence::read(v)
                            .map_err(|message| RequestError::Value { path: "/output/check".to_owned(), message })
                    })
                    .transpose()?;
                match (&check, o.sdc) {
                    (None, None) => {
                        return Err(RequestError::Value {
                            path: "/output".to_owned(),
                            message: "an output needs its disclosure control: `check` (fivesafes outputs check --format json) or `sdc`".to_owned(),
                        });
                    }
                    (Some(check), Some(sdc)) if sdc != SdcStatus::from(check.status) => {
                        return Err(RequestError::Value {
                            path: "/output/sdc".to_owned(),
                            message: format!(
                                "says `{}`, but the attached check says `{}`",
                                sdc.name(),
                                SdcStatus::from(check.status).name()
                            ),
                        });
                    }
                    _ => {}
                }
                let exception = match o.exception.as_deref().map(str::trim) {
                    Some("") => {
                        return Err(RequestError::Value {
                            path: "/output/exception".to_owned(),
                            message: "an exception needs the researcher's justification".to_owned(),
                        });
                    }
                    Some(text) => {
                        notes
                            .entry("output.sdc".to_owned())
                            .or_default()
                            .push(format!("the researcher asks for an exception: \"{text}\""));
                        true
                    }
                    None => false,
                };
                notes.entry("output.checkers".to_owned()).or_default().push(if o.checkers.is_empty() {
                    "no output checker signed off".to_owned()
                } else {
                    format!("signed off by {}", o.checkers.join(", "))
                });
                let checkers = i64::try_from(o.checkers.iter().collect::<BTreeSet<_>>().len()).unwrap_or(i64::MAX);
                RequestOutput {
                    kind,
                    checkers,
                    exception,
                    export: req.action == crate::request::RequestAction::Export,
                    check,
                    stated: o.sdc,
                }
            }
            None if req.action == crate::request::RequestAction::Export => {
                return Err(RequestError::Value {
                    path: "/output".to_owned(),
                    message: "an export request needs an `output`".to_owned(),
                });
            }
            None => RequestOutput {
                kind: format!("{}NoOutput", crate::rdf::ns::FS),
                checkers: 0,
                exception: false,
                export: false,
                check: None,
                stated: None,
            },
        };

        // Per dataset.
        let mut datasets = BTreeMap::new();
        let mut approvals: HashMap<&str, Vec<(usize, &DacApproval)>> = HashMap::new();
        for (i, a) in req.project.dac_approvals.iter().enumerate() {
            approvals.entry(a.dataset.as_str()).or_default().push((i, a));
        }
        for (i, d) in req.datasets.iter().enumerate() {
            let Some(ds) = bundle.federation.datasets.get(&d.id) else {
                return Err(RequestError::UnknownDataset { path: format!("/datasets/{i}/id"), dataset: d.id.clone() });
            };
            if datasets.contains_key(&d.id) {
                return Err(RequestError::Value {
                    path: format!("/datasets/{i}/id"),
                    message: format!("dataset `{}` is requested twice", d.id),
                });
            }
            let approvals = approvals.get(d.id.as_str()).map(Vec::as_slice).unwrap_or_default();
            let mut facts = dataset_facts(bundle, req, d, ds, approvals, &purpose, today)?;
            judge_output(bundle, &output, ds, &mut facts);
            datasets.insert(d.id.clone(), facts);
        }
        Ok(Facts {
            today,
            researcher_parents,
            identity_verified,
            affiliated: r.affiliation.is_some(),
            location,
            affiliation,
            project_parents,
            ethics_until,
            start_day: start.number(),
            end_day: end.number(),
            commercial: p.commercial.unwrap_or(false),
            unknown_people,
            unknown_projects,
            unknown_outputs,
            output,
            linkage: req.datasets.len() > 1,
            purpose,
            notes,
            datasets,
        })
    }
}

fn purpose_data_use(
    req: &DecisionRequest,
    unknown: &mut Vec<String>,
    vocab: &crate::vocab::Vocabulary,
) -> Result<DataUse, String> {
    let purpose = &req.project.purpose;
    let mut check = |term: &str| {
        let iri = expand(term);
        if !vocab.defines(&iri) {
            unknown.push(iri.clone());
        }
        iri
    };
    if let Some(duos) = &purpose.duos {
        let mut d = duos.clone();
        d.disease_restrictions = d.disease_restrictions.iter().map(|t| check(t)).collect();
        return Ok(d);
    }
    let Some(category) = &purpose.category else {
        return Err("the purpose gives neither a DUO `category` nor a DUOS `duos` object".to_owned());
    };
    let category = check(category);
    let diseases: Vec<String> = purpose.diseases.iter().map(|t| check(t)).collect();
    let for_profit = match (req.project.commercial, req.researcher.affiliation.as_ref().and_then(|a| a.for_profit)) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), _) => Some(false),
        (None, _) => None,
    };
    let flags = PurposeFlags {
        methods_research: purpose.methods_research,
        for_profit,
        genetic_studies: purpose.genetic_studies,
        sensitive: purpose.sensitive.clone(),
    };
    duo::purpose_from_terms(&category, &diseases, &flags).map_err(|e| format!("the purpose cannot be read as DUO: {e}"))
}

fn dataset_facts(
    bundle: &Bundle,
    req: &DecisionRequest,
    wanted: &RequestedDataset,
    ds: &crate::federation::Dataset,
    approvals: &[(usize, &DacApproval)],
    purpose: &Result<DataUse, String>,
    today: Day,
) -> Result<DatasetFacts, RequestError> {
    let mut notes = Notes::new();
    let mut note = |key: &str, text: String| notes.entry(key.to_owned()).or_default().push(text);
    let requested_variables: BTreeSet<String> = wanted.variables.iter().cloned().collect();
    let mut dac_until = -1;
    let mut dac_variables = BTreeSet::new();
    let mut dac_linkage = false;
    if approvals.is_empty() {
        note("project.dac", format!("no Data Access Committee approval names dataset `{}`", ds.id));
    }
    for &(i, a) in approvals {
        let path = format!("/project/dacApprovals/{i}");
        let from = day(&a.approved, &format!("{path}/approved"))?;
        let until = a.expires.as_deref().map(|e| day(e, &format!("{path}/expires"))).transpose()?;
        let who = a.committee.clone().unwrap_or_else(|| "the Data Access Committee".to_owned());
        match validity(today, from, until) {
            Ok(()) => {
                let u = until.map(Day::number).unwrap_or(i64::MAX);
                if u > dac_until {
                    dac_until = u;
                    dac_variables = a.variables.iter().cloned().collect();
                    dac_linkage = a.linkage;
                }
                let till = until.map(|x| format!(" until {}", x.iso())).unwrap_or_default();
                note("project.dac", format!("approval by {who} for `{}` valid{till}", ds.id));
            }
            Err(why) => {
                note("project.dac", format!("approval by {who} for `{}` {why} (request day {})", ds.id, today.iso()))
            }
        }
    }
    let not_approved: Vec<&String> = requested_variables.difference(&dac_variables).collect();
    if !not_approved.is_empty() {
        note("data.minimisation", format!("variables not approved: {}", join(&not_approved)));
    }
    let undefined: Vec<&String> = requested_variables.difference(&ds.variables).collect();
    if !undefined.is_empty() {
        note("data.variables", format!("dataset `{}` has no variables {}", ds.id, join(&undefined)));
    }
    note("data.deidentification", format!("dataset `{}` is {}", ds.id, bundle.vocab.display(&ds.deidentification)));
    note(
        "data.linkage",
        format!(
            "{} datasets requested; linkage approved for `{}`: {}",
            req.datasets.len(),
            ds.id,
            if dac_linkage { "yes" } else { "no" }
        ),
    );
    for t in &ds.unknown_terms {
        note("unknown.projects", format!("dataset `{}` uses `{t}`, which no loaded vocabulary defines", ds.id));
    }
    let duo = match (purpose, &ds.data_use) {
        (Ok(p), Some(d)) => duo::match_purpose(
            p,
            d,
            &bundle.vocab,
            &MatchOptions { region_checked_by_caller: true, ..MatchOptions::default() },
        ),
        (Err(e), _) => Match { result: MatchResult::Deny, rationale: vec![e.clone()], obligations: Vec::new() },
        (_, None) => Match {
            result: MatchResult::Deny,
            rationale: vec![format!(
                "dataset `{}` has no usable data use conditions: {}",
                ds.id,
                ds.data_use_error.clone().unwrap_or_default()
            )],
            obligations: Vec::new(),
        },
    };
    let mut duo = duo;
    // DUO TS: use is allowed only until the dataset's time limit.
    if let Some(until) = ds.time_limit.as_deref() {
        let limit = day(until, "/datasets")?;
        if today > limit {
            duo.result = MatchResult::Deny;
            duo.obligations.clear();
            duo.rationale.push(format!("dataset `{}` may be used only until {} (DUO `TS`)", ds.id, limit.iso()));
        }
    }
    for line in &duo.rationale {
        note("project.duo", line.clone());
    }
    Ok(DatasetFacts {
        dac_until,
        dac_variables,
        dac_linkage,
        requested_variables,
        duo,
        output_sdc: SdcStatus::Unchecked,
        output_checked: false,
        notes,
    })
}

/// Safe Outputs is decided at the member that holds the data, under its risk appetite.
fn judge_output(bundle: &Bundle, output: &RequestOutput, ds: &crate::federation::Dataset, facts: &mut DatasetFacts) {
    if output.check.is_none() && output.stated.is_none() {
        return; // no output: unchecked
    }
    let mut note = |text: String| facts.notes.entry("output.sdc".to_owned()).or_default().push(text);
    match bundle.federation.members.get(&ds.holder) {
        Some(holder) => {
            let judged = crate::safe_outputs::judge(output.check.as_ref(), output.stated, holder);
            for line in judged.notes {
                note(line);
            }
            facts.output_sdc = judged.sdc;
            facts.output_checked = judged.checked;
        }
        None => note(format!("dataset `{}` names no member of the federation as its holder", ds.id)),
    }
}

fn join(items: &[&String]) -> String {
    items.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orcid_check_digit() {
        assert!(orcid_is_valid("https://orcid.org/0000-0002-1825-0097"));
        assert!(orcid_is_valid("https://orcid.org/0000-0001-5109-3700"));
        assert!(orcid_is_valid("https://orcid.org/0000-0002-1694-233X"));
        assert!(!orcid_is_valid("https://orcid.org/0000-0002-1825-0098"));
        assert!(!orcid_is_valid("0000-0002-1825-0097"));
        assert!(!orcid_is_valid("https://orcid.org/0000-0002-1825-009"));
    }
}
