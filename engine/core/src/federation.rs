//! The federation bundle: member TREs and the datasets they hold, read from RDF.

use crate::day::Day;
use crate::duo::{self, DatasetUse};
use crate::error::BundleError;
use crate::rdf::{View, iri, ns, subject};
use crate::vocab::Vocabulary;
use oxigraph::model::{Graph, NamedOrBlankNodeRef};
use std::collections::{BTreeMap, BTreeSet};

/// A member TRE.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MemberTre {
    /// Short identifier (`dcterms:identifier`).
    pub id: String,
    /// IRI.
    pub iri: String,
    /// Name.
    pub name: String,
    /// Country (an `fsj:` IRI).
    pub country: String,
    /// Security tier, 0-4.
    pub tier: i64,
    /// Controls (IRIs).
    pub controls: Vec<String>,
    /// Last day its information security certification is valid.
    pub certified_until: Option<Day>,
    /// File name of its local policies.
    pub local_policy: Option<String>,
    /// Which passport visa issuers it trusts, for which visa types (`fs:trustsVisas`).
    #[serde(default)]
    pub visa_trust: Vec<VisaTrust>,
    /// Its latest assessment against the blueprint, when the bundle records one; its tier,
    /// controls and certification then come from its assessments (`certification`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<crate::certification::BlueprintAssessment>,
    /// Its risk appetite for statistical disclosure control (`fs:riskAppetite`): the
    /// federation's, restricted by its own keys.
    #[serde(default)]
    pub risk_appetite: fivesafes_outputs::RiskAppetite,
    /// Whether every output needs an output checker's sign-off, even one automated disclosure
    /// control passes (`fs:outputSignOff`).
    #[serde(default)]
    pub output_sign_off: bool,
}

/// A member's trust in a passport visa issuer for some visa types.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisaTrust {
    /// The issuer's IRI in the bundle (an `fs:VisaIssuer`).
    pub issuer: String,
    /// The visa types accepted from it (`type` claim values, e.g. `ControlledAccessGrants`).
    pub visa_types: Vec<String>,
    /// The visa sources (`source` claim values) accepted from it; empty: any source.
    #[serde(default)]
    pub sources: Vec<String>,
}

/// An issuer of GA4GH Passport visas the federation knows, with its keys.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisaIssuer {
    /// IRI in the bundle.
    pub iri: String,
    /// Name.
    pub name: String,
    /// The `iss` claim its visas carry (compared as a full, case-sensitive string).
    pub issuer: String,
    /// The file of its JSON Web Key Set in the bundle's `keys/` (`fs:jwksFile`).
    pub jwks_file: String,
    /// That key set's JSON text.
    #[serde(default)]
    pub jwks: String,
}

/// An organisation researchers are affiliated with, as passports name it: the scope of an
/// eduPerson scoped affiliation (`faculty@uni.example` has scope `uni.example`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organisation {
    /// IRI (a ROR identifier, or one of the bundle).
    pub iri: String,
    /// Name.
    pub name: String,
    /// Country (ISO 3166-1 alpha-2).
    pub country: String,
    /// Whether it is for profit (unset: not declared).
    #[serde(default)]
    pub for_profit: Option<bool>,
    /// Affiliation scopes (`fs:affiliationScope`, a DNS domain).
    pub scopes: Vec<String>,
}

/// A dataset held by a member.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Dataset {
    /// Short identifier (`dcterms:identifier`).
    pub id: String,
    /// IRI.
    pub iri: String,
    /// Title.
    pub title: String,
    /// The holder's member id.
    pub holder: String,
    /// Security tier, 0-4.
    pub tier: i64,
    /// De-identification level (IRI).
    pub deidentification: String,
    /// Holds special category data (GDPR Art 9).
    pub special_category: bool,
    /// Ethics approval required (DUO IRB or `fs:requiresEthicsApproval`).
    pub requires_ethics: bool,
    /// Variables.
    pub variables: BTreeSet<String>,
    /// DUO permission, modifiers and diseases (IRIs).
    pub duo_terms: Vec<String>,
    /// The data use conditions, ready for matching; `None` when they could not be read.
    pub data_use: Option<DatasetUse>,
    /// Why the data use conditions could not be read, if so.
    pub data_use_error: Option<String>,
    /// Terms this dataset uses that no loaded vocabulary defines.
    pub unknown_terms: Vec<String>,
    /// DUO TS: use allowed until.
    pub time_limit: Option<String>,
}

/// The federation described by a bundle.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Federation {
    /// IRI.
    pub iri: String,
    /// Title.
    pub title: String,
    /// Version (`owl:versionInfo`).
    pub version: String,
    /// Members by id.
    pub members: BTreeMap<String, MemberTre>,
    /// Datasets by id.
    pub datasets: BTreeMap<String, Dataset>,
    /// Passport visa issuers by IRI.
    #[serde(default)]
    pub visa_issuers: BTreeMap<String, VisaIssuer>,
    /// Organisations by IRI.
    #[serde(default)]
    pub organisations: BTreeMap<String, Organisation>,
    /// The baseline risk appetite for statistical disclosure control (`fs:riskAppetite` of the
    /// federation; ACRO 1.0's defaults where it gives no key). Members may only restrict it.
    #[serde(default)]
    pub risk_appetite: fivesafes_outputs::RiskAppetite,
}

impl Federation {
    /// Read the federation, its members and datasets from the graph.
    pub fn from_graph(graph: &Graph, vocab: &Vocabulary) -> Result<Federation, BundleError> {
        let view = View { graph };
        let fs = |l: &str| iri(ns::FS, l);
        let dct = |l: &str| iri(ns::DCTERMS, l);
        let feds = view.instances(&fs("Federation"));
        let fed = match feds.as_slice() {
            [one] => one,
            [] => {
                return Err(model(
                    "bundle",
                    "no `fs:Federation` is described",
                    "describe the federation in federation.ttl",
                ));
            }
            _ => {
                return Err(model(
                    "bundle",
                    "more than one `fs:Federation` is described",
                    "keep one federation per bundle",
                ));
            }
        };
        let fs_subject = subject(fed);
        let risk_appetite = crate::safe_outputs::read_risk_appetite(
            &view,
            fs_subject,
            fed.as_str(),
            &fivesafes_outputs::RiskAppetite::default(),
            None,
        )?;
        let mut out = Federation {
            risk_appetite,
            iri: fed.as_str().to_owned(),
            title: view.literal(fs_subject, &dct("title")).unwrap_or_default(),
            version: view.literal(fs_subject, &iri(ns::OWL, "versionInfo")).unwrap_or_default(),
            ..Federation::default()
        };
        // Every member and dataset is read before giving up, so that all problems show at once.
        let mut problems = Vec::new();
        let mut by_iri = BTreeMap::new();
        let assessments = crate::certification::read_all(&view)?;
        for m in view.iris(fs_subject, &fs("hasMember")) {
            match read_member(&view, &m, vocab, &assessments, &out.risk_appetite) {
                Ok(member) => {
                    by_iri.insert(m.clone(), member.id.clone());
                    let id = member.id.clone();
                    if out.members.insert(id.clone(), member).is_some() {
                        problems.push(model(
                            &m,
                            &format!("member id `{id}` is used twice"),
                            "member ids must be unique",
                        ));
                    }
                }
                Err(e) => problems.push(e),
            }
        }
        for i in view.instances(&fs("VisaIssuer")) {
            match read_visa_issuer(&view, &i) {
                Ok(issuer) => {
                    out.visa_issuers.insert(issuer.iri.clone(), issuer);
                }
                Err(e) => problems.push(e),
            }
        }
        for o in view.instances(&fs("Organisation")) {
            match read_organisation(&view, &o) {
                Ok(Some(org)) => {
                    out.organisations.insert(org.iri.clone(), org);
                }
                Ok(None) => {}
                Err(e) => problems.push(e),
            }
        }
        for m in out.members.values() {
            for t in &m.visa_trust {
                if !out.visa_issuers.contains_key(&t.issuer) {
                    problems.push(model(
                        &m.iri,
                        &format!("trusts visas from `{}`, which is not described as an `fs:VisaIssuer`", t.issuer),
                        "describe the issuer with `fs:issuer` and `fs:jwksFile`",
                    ));
                }
            }
        }
        for d in view.instances(&fs("Dataset")) {
            match read_dataset(&view, &d, &by_iri, vocab) {
                Ok(ds) => {
                    let id = ds.id.clone();
                    if out.datasets.insert(id.clone(), ds).is_some() {
                        problems.push(model(
                            d.as_str(),
                            &format!("dataset id `{id}` is used twice"),
                            "dataset ids must be unique",
                        ));
                    }
                }
                Err(e) => problems.push(e),
            }
        }
        if let Some(e) = BundleError::from_several(problems) {
            return Err(e);
        }
        Ok(out)
    }
}

fn read_member(
    view: &View<'_>,
    m: &str,
    vocab: &Vocabulary,
    assessments: &[(String, crate::certification::BlueprintAssessment)],
    baseline: &fivesafes_outputs::RiskAppetite,
) -> Result<MemberTre, BundleError> {
    let fs = |l: &str| iri(ns::FS, l);
    let dct = |l: &str| iri(ns::DCTERMS, l);
    let node = iri("", m);
    let s = subject(&node);
    let id = view
        .literal(s, &dct("identifier"))
        .ok_or_else(|| model(m, "member has no `dcterms:identifier`", "give every member a short id"))?;
    let tier = tier(view, s, m)?;
    let country = view
        .iri(s, &fs("country"))
        .ok_or_else(|| model(m, "member has no `fs:country`", "name its country, e.g. `fsj:DE`"))?;
    let certified_until = match view.literal(s, &fs("certifiedUntil")) {
        Some(d) => Some(Day::parse(&d).map_err(|e| model(m, &e, "use an xsd:date"))?),
        None => None,
    };
    let mut controls = view.iris(s, &fs("hasControl"));
    let (mut tier, mut certified_until) = (tier, certified_until);
    let settings = crate::certification::settings(assessments, m);
    if let Some(assessed) = &settings {
        tier = assessed.tier.unwrap_or(tier);
        controls = assessed.controls.clone();
        certified_until = Some(assessed.certified_until);
    }
    let mut undefined: Vec<String> =
        controls.iter().cloned().chain([country.clone()]).filter(|t| !vocab.defines(t)).collect();
    if let Some(first) = undefined.pop() {
        return Err(model(
            m,
            &format!("uses `{first}`, which no loaded vocabulary defines"),
            "load the vocabulary that defines it with --vocab",
        ));
    }
    Ok(MemberTre {
        name: schema_name(view, s).or_else(|| view.literal(s, &dct("title"))).unwrap_or_else(|| id.clone()),
        iri: m.to_owned(),
        country,
        tier,
        controls,
        certified_until,
        local_policy: view.literal(s, &fs("localPolicy")),
        visa_trust: read_visa_trust(view, s, m)?,
        assessment: settings.map(|s| s.latest),
        risk_appetite: crate::safe_outputs::read_risk_appetite(view, s, m, baseline, Some("the federation"))?,
        output_sign_off: match view.literal(s, &fs("outputSignOff")).as_deref().map(str::trim) {
            None | Some("false" | "0") => false,
            Some("true" | "1") => true,
            Some(other) => {
                return Err(model(m, &format!("`fs:outputSignOff` is `{other}`, not a boolean"), "give true or false"));
            }
        },
        id,
    })
}

fn read_visa_trust(view: &View<'_>, s: NamedOrBlankNodeRef<'_>, m: &str) -> Result<Vec<VisaTrust>, BundleError> {
    let fs = |l: &str| iri(ns::FS, l);
    let mut out = Vec::new();
    for node in view.nodes(s, &fs("trustsVisas")) {
        let t = node.as_ref();
        let issuer = view.iri(t, &fs("visaIssuer")).ok_or_else(|| {
            model(m, "an `fs:trustsVisas` entry names no `fs:visaIssuer`", "name the `fs:VisaIssuer` trusted")
        })?;
        let visa_types = view.literals(t, &fs("visaType"));
        if visa_types.is_empty() {
            return Err(model(
                m,
                &format!("trusts `{issuer}` for no visa type"),
                "list the visa types accepted with `fs:visaType`, e.g. \"ControlledAccessGrants\"",
            ));
        }
        out.push(VisaTrust { issuer, visa_types, sources: view.literals(t, &fs("visaSource")) });
    }
    out.sort();
    Ok(out)
}

fn read_visa_issuer(view: &View<'_>, node: &oxigraph::model::NamedNode) -> Result<VisaIssuer, BundleError> {
    let fs = |l: &str| iri(ns::FS, l);
    let name = node.as_str();
    let s = subject(node);
    let issuer = view
        .literal(s, &fs("issuer"))
        .ok_or_else(|| model(name, "visa issuer has no `fs:issuer`", "give the `iss` its visas carry"))?;
    let jwks_file = view.literal(s, &fs("jwksFile")).ok_or_else(|| {
        model(name, "visa issuer has no `fs:jwksFile`", "name its JSON Web Key Set file in the bundle's keys/")
    })?;
    Ok(VisaIssuer {
        iri: name.to_owned(),
        name: schema_name(view, s).unwrap_or_else(|| issuer.clone()),
        issuer,
        jwks_file,
        jwks: String::new(),
    })
}

/// An organisation with an affiliation scope; organisations without one are not for passports.
fn read_organisation(view: &View<'_>, node: &oxigraph::model::NamedNode) -> Result<Option<Organisation>, BundleError> {
    let fs = |l: &str| iri(ns::FS, l);
    let name = node.as_str();
    let s = subject(node);
    let scopes = view.literals(s, &fs("affiliationScope"));
    if scopes.is_empty() {
        return Ok(None);
    }
    let country = view
        .iri(s, &fs("country"))
        .and_then(|c| c.strip_prefix(ns::FSJ).map(str::to_owned))
        .ok_or_else(|| model(name, "organisation has no `fs:country`", "name its country, e.g. `fsj:DE`"))?;
    let for_profit = view.literal(s, &fs("forProfit")).map(|v| v == "true" || v == "1");
    Ok(Some(Organisation {
        iri: name.to_owned(),
        name: schema_name(view, s).unwrap_or_else(|| name.to_owned()),
        country,
        for_profit,
        scopes,
    }))
}

fn read_dataset(
    view: &View<'_>,
    node: &oxigraph::model::NamedNode,
    members: &BTreeMap<String, String>,
    vocab: &Vocabulary,
) -> Result<Dataset, BundleError> {
    let fs = |l: &str| iri(ns::FS, l);
    let dct = |l: &str| iri(ns::DCTERMS, l);
    let name = node.as_str();
    let s = subject(node);
    let id = view
        .literal(s, &dct("identifier"))
        .ok_or_else(|| model(name, "dataset has no `dcterms:identifier`", "give every dataset a short id"))?;
    let holder_iri = view
        .iri(s, &fs("heldBy"))
        .ok_or_else(|| model(name, "dataset has no `fs:heldBy`", "name the member TRE that holds it"))?;
    let holder = members.get(&holder_iri).cloned().ok_or_else(|| {
        model(
            name,
            &format!("dataset is held by `{holder_iri}`, which is not a member of the federation"),
            "add the member to the federation's `fs:hasMember`",
        )
    })?;
    let permissions = view.iris(s, &fs("dataUsePermission"));
    let modifiers = view.iris(s, &fs("dataUseModifier"));
    let diseases = view.iris(s, &fs("disease"));
    let deidentification = view.iri(s, &fs("deidentification")).ok_or_else(|| {
        model(
            name,
            "dataset has no `fs:deidentification`",
            "say whether it is fs:Identifiable, fs:Pseudonymised or fs:Anonymised",
        )
    })?;
    let duo_terms: Vec<String> = permissions.iter().chain(&modifiers).chain(&diseases).cloned().collect();
    let unknown_terms: Vec<String> =
        duo_terms.iter().chain([&deidentification]).filter(|t| !vocab.defines(t)).cloned().collect();
    let (data_use, data_use_error) = match permissions.as_slice() {
        [permission] => match duo::dataset_from_terms(permission, &modifiers, &diseases) {
            Ok(mut u) => {
                // The dates of DUO MOR and TS live beside the terms in the bundle.
                u.data_use.publication_moratorium = view.literal(s, &fs("moratoriumUntil"));
                // A GS region the vocabularies define can be checked by the decision; any
                // other stays for a human (the matcher abstains on a GS without a region).
                u.data_use.geographical_restrictions =
                    view.iri(s, &fs("geographicRestriction")).filter(|r| vocab.defines(r));
                if let Some(until) = view.literal(s, &fs("timeLimit")) {
                    u.time_limit = true;
                    u.time_limit_until = Some(until);
                }
                (Some(u), None)
            }
            Err(e) => (None, Some(e.to_string())),
        },
        [] => (None, Some("the dataset has no DUO data use permission".to_owned())),
        _ => (None, Some("the dataset has more than one DUO data use permission".to_owned())),
    };
    let irb = format!("{}DUO_0000021", duo::OBO);
    let flag = |p: &str| view.literal(s, &fs(p)).is_some_and(|v| v == "true" || v == "1");
    Ok(Dataset {
        title: view.literal(s, &dct("title")).unwrap_or_else(|| id.clone()),
        iri: name.to_owned(),
        holder,
        tier: tier(view, s, name)?,
        special_category: flag("specialCategory"),
        requires_ethics: flag("requiresEthicsApproval") || modifiers.contains(&irb),
        variables: view.literals(s, &fs("variable")).into_iter().collect(),
        deidentification,
        duo_terms,
        data_use,
        data_use_error,
        unknown_terms,
        time_limit: view.literal(s, &fs("timeLimit")),
        id,
    })
}

fn tier(view: &View<'_>, s: oxigraph::model::NamedOrBlankNodeRef<'_>, name: &str) -> Result<i64, BundleError> {
    let raw = view
        .literal(s, &iri(ns::FS, "securityTier"))
        .ok_or_else(|| model(name, "has no `fs:securityTier`", "give a tier from 0 to 4"))?;
    match raw.parse::<i64>() {
        Ok(t) if (0..=4).contains(&t) => Ok(t),
        _ => Err(model(name, &format!("security tier `{raw}` is not 0-4"), "give a tier from 0 to 4")),
    }
}

/// `schema:name`, under either schema.org namespace.
fn schema_name(view: &View<'_>, s: NamedOrBlankNodeRef<'_>) -> Option<String> {
    view.literal(s, &iri(ns::SCHEMA, "name")).or_else(|| view.literal(s, &iri("http://schema.org/", "name")))
}

fn model(subject: &str, message: &str, help: &str) -> BundleError {
    BundleError::Model { subject: subject.to_owned(), message: message.to_owned(), help: Some(help.to_owned()) }
}
