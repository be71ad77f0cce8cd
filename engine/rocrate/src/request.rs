//! From a Five Safes RO-Crate to a decision request: who asks (the `CreateAction`'s agent),
//! for which project (the root's `sourceOrganization`), to run what (`mainEntity`), on which
//! datasets (the action's `object` inputs the bundle knows). `docs/ro-crate.md` has the whole
//! mapping. What the decision needs and the crate lacks is a note naming the crate entity.

use crate::metadata::{Metadata, node_id};
use crate::note::{Note, Notes};
use fivesafes_core::rdf::ns;
use fivesafes_core::vocab::expand;
use fivesafes_core::{Bundle, DecisionRequest, Safe};
use oxrdf::{NamedOrBlankNode, NamedOrBlankNodeRef, Term};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The profile this reader implements.
pub const PROFILE: &str = "https://w3id.org/5s-crate/0.4";

/// How to read a crate into a request.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The day the request is judged on (`YYYY-MM-DD`); a crate carries no request time.
    pub time: String,
    /// The member TRE reading the crate: picks the project's TRE-local identifier (a
    /// `PropertyValue` whose `name` is this member id).
    pub member: Option<String>,
}

/// What the crate says, by entity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CrateSummary {
    /// The requested run (`CreateAction`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_action: Option<String>,
    /// The requesting agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The responsible project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The workflow (`mainEntity`, or the action's `instrument`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// Every input (`object` of the action) and the federation dataset it stands for, if any.
    pub inputs: Vec<CrateInput>,
    /// Client-submitted AssessActions that were removed.
    pub removed_assessments: Vec<String>,
}

/// One input of the requested run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CrateInput {
    /// The input entity.
    pub entity: String,
    /// The federation dataset it names (absent: an ordinary input such as a file or parameter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
}

/// Evidence the decision looks for and the crate does not give: shown with the reasons of
/// that Safe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Gap {
    /// The Safe whose evidence this is.
    pub safe: Safe,
    /// The crate entity that lacks it.
    pub entity: String,
    /// What is missing.
    pub message: String,
}

/// A crate read as a request.
#[derive(Debug, Clone)]
pub struct CrateRequest {
    /// The request (absent when the crate lacks something the request cannot do without;
    /// the error notes say what).
    pub request: Option<DecisionRequest>,
    /// The entities read.
    pub summary: CrateSummary,
    /// Evidence looked for and not found.
    pub gaps: Vec<Gap>,
}

/// Read a crate's metadata as a request under `bundle`.
pub fn to_request(meta: &Metadata, bundle: &Bundle, options: &ReadOptions, notes: &mut Notes) -> CrateRequest {
    let mut m = Mapper { meta, bundle, notes, gaps: Vec::new(), fatal: false };
    let mut summary = CrateSummary { removed_assessments: meta.removed_assessments.clone(), ..CrateSummary::default() };
    let request = m.request(options, &mut summary);
    let request = match (request, m.fatal) {
        (Some(value), false) => match DecisionRequest::from_value(value) {
            Ok(r) => Some(r),
            Err(e) => {
                m.notes.push(Note::error("./", format!("the request read from the crate is not valid: {e}")));
                None
            }
        },
        _ => None,
    };
    CrateRequest { request, summary, gaps: m.gaps }
}

struct Mapper<'a> {
    meta: &'a Metadata,
    bundle: &'a Bundle,
    notes: &'a mut Notes,
    gaps: Vec<Gap>,
    fatal: bool,
}

impl Mapper<'_> {
    fn missing(&mut self, entity: &str, message: impl Into<String>) {
        self.notes.push(Note::error(entity, message));
        self.fatal = true;
    }

    fn gap(&mut self, safe: Safe, entity: &str, message: impl Into<String>) {
        let message = message.into();
        self.notes.push(Note::warning(entity, message.clone()));
        self.gaps.push(Gap { safe, entity: entity.to_owned(), message });
    }

    fn request(&mut self, options: &ReadOptions, summary: &mut CrateSummary) -> Option<Value> {
        let root = Metadata::entity("./");
        if !self.meta.describes(root.as_ref()) {
            self.missing("./", "the crate has no root data entity `./`");
            return None;
        }
        let action = self.create_action(root.as_ref())?;
        let action_id = node_id(action.as_ref());
        summary.create_action = Some(action_id.clone());
        summary.workflow = self
            .meta
            .refs(root.as_ref(), "mainEntity")
            .first()
            .or(self.meta.refs(action.as_ref(), "instrument").first())
            .map(|w| node_id(w.as_ref()));
        let researcher = self.researcher(action.as_ref(), &action_id, summary);
        let project = self.project(root.as_ref(), options, summary);
        let datasets = self.datasets(action.as_ref(), &action_id, summary);
        let (Some(researcher), Some(project)) = (researcher, project) else { return None };
        let id = self.meta.text(action.as_ref(), "identifier").unwrap_or(action_id);
        Some(json!({
            "id": id,
            "time": options.time,
            "action": "analyse",
            "researcher": researcher,
            "project": project,
            "datasets": datasets,
        }))
    }

    fn create_action(&mut self, root: NamedOrBlankNodeRef<'_>) -> Option<NamedOrBlankNode> {
        let mentioned: Vec<NamedOrBlankNode> = self
            .meta
            .refs(root, "mentions")
            .into_iter()
            .filter(|m| self.meta.is_a(m.as_ref(), "CreateAction"))
            .collect();
        match mentioned.as_slice() {
            [one] => Some(one.clone()),
            [] => {
                let all = self.meta.all_of("CreateAction");
                if let [one] = all.as_slice() {
                    self.notes.push(Note::warning(
                        &node_id(one.as_ref()),
                        "the CreateAction is not referenced from the root's `mentions` (the profile requires it); read anyway",
                    ));
                    Some(one.clone())
                } else {
                    self.missing("./", "the root names no requested run: no CreateAction in `mentions`");
                    None
                }
            }
            many => {
                let ids: Vec<String> = many.iter().map(|m| node_id(m.as_ref())).collect();
                self.missing(
                    "./",
                    format!("the root mentions {} CreateActions ({}); a request is one run", ids.len(), ids.join(", ")),
                );
                None
            }
        }
    }

    fn researcher(
        &mut self,
        action: NamedOrBlankNodeRef<'_>,
        action_id: &str,
        summary: &mut CrateSummary,
    ) -> Option<Value> {
        let agents = self.meta.refs(action, "agent");
        let Some(agent) = agents.first() else {
            self.missing(action_id, "the CreateAction has no `agent`: the requesting person is unknown");
            return None;
        };
        let agent = agent.as_ref();
        let id = node_id(agent);
        summary.agent = Some(id.clone());
        if !self.meta.is_a(agent, "Person") {
            self.notes.push(Note::warning(&id, "the agent is not typed `Person`"));
        }
        let mut out = Map::new();
        out.insert("id".to_owned(), json!(id));
        if let Some(name) = self.meta.text(agent, "name") {
            out.insert("name".to_owned(), json!(name));
        }
        match self.meta.refs(agent, "affiliation").first() {
            Some(org) => {
                if let Some(a) = self.affiliation(org.as_ref()) {
                    out.insert("affiliation".to_owned(), a);
                }
            }
            None => self.gap(Safe::People, &id, "the agent has no `affiliation`"),
        }
        let location = self.meta.refs(agent, "workLocation").first().and_then(|place| self.country(place.as_ref()));
        match location {
            Some(code) => {
                out.insert("location".to_owned(), json!(code));
            }
            None => {
                self.missing(&id, "the agent has no `workLocation` with an `addressCountry` (ISO 3166-1 alpha-2): where the researcher works from is unknown");
            }
        }
        let (mut accreditations, mut training, mut agreements) = (Vec::new(), Vec::new(), Vec::new());
        for credential in self.meta.refs(agent, "hasCredential") {
            let cid = node_id(credential.as_ref());
            let Some(category) =
                self.meta.refs(credential.as_ref(), "credentialCategory").first().map(|c| node_id(c.as_ref()))
            else {
                self.notes.push(Note::warning(&cid, "a credential without a `credentialCategory` term was ignored"));
                continue;
            };
            let term = expand(&category);
            let vocab = &self.bundle.vocab;
            let from = self.date(credential.as_ref(), &["validFrom", "dateCreated"]);
            let expires = self.date(credential.as_ref(), &["expires", "validUntil"]);
            let Some(from) = from else {
                self.notes.push(Note::warning(&cid, "a credential without `validFrom` was ignored"));
                continue;
            };
            let mut entry = Map::new();
            if let Some(e) = expires {
                entry.insert("expires".to_owned(), json!(e));
            }
            if vocab.is_a(&term, &format!("{}Training", ns::FS)) {
                entry.insert("course".to_owned(), json!(category));
                entry.insert("completed".to_owned(), json!(from));
                training.push(Value::Object(entry));
            } else if vocab.is_a(&term, &format!("{}Agreement", ns::FS)) {
                entry.insert("agreement".to_owned(), json!(category));
                entry.insert("signed".to_owned(), json!(from));
                agreements.push(Value::Object(entry));
            } else {
                // Accreditations, and terms no vocabulary defines (so that the evidence-terms rule
                // reports them instead of their vanishing).
                if !vocab.is_a(&term, &format!("{}Accreditation", ns::FS)) {
                    self.notes.push(Note::warning(&cid, format!("credential category `{category}` is not an accreditation, training or agreement any loaded vocabulary defines; read as an accreditation")));
                }
                entry.insert("scheme".to_owned(), json!(category));
                entry.insert("issued".to_owned(), json!(from));
                if let Some(identifier) = self.meta.text(credential.as_ref(), "identifier") {
                    entry.insert("identifier".to_owned(), json!(identifier));
                }
                accreditations.push(Value::Object(entry));
            }
        }
        if accreditations.is_empty() && training.is_empty() && agreements.is_empty() {
            self.gap(Safe::People, &id, "the agent has no `hasCredential` (accreditation, training or agreement)");
        }
        out.insert("accreditations".to_owned(), Value::Array(accreditations));
        out.insert("training".to_owned(), Value::Array(training));
        out.insert("agreements".to_owned(), Value::Array(agreements));
        Some(Value::Object(out))
    }

    fn affiliation(&mut self, org: NamedOrBlankNodeRef<'_>) -> Option<Value> {
        let id = node_id(org);
        let name = self.meta.text(org, "name");
        let country = self.country(org).or_else(|| {
            let places = self.meta.refs(org, "location");
            places.first().and_then(|p| self.country(p.as_ref()))
        });
        match (name, country) {
            (Some(name), Some(country)) => Some(json!({ "id": id, "name": name, "country": country })),
            (name, country) => {
                let mut lacks = Vec::new();
                if name.is_none() {
                    lacks.push("`name`");
                }
                if country.is_none() {
                    lacks.push("an `address` with `addressCountry`");
                }
                self.gap(
                    Safe::People,
                    &id,
                    format!("the agent's affiliation has no {}; affiliation not used", lacks.join(" and ")),
                );
                None
            }
        }
    }

    /// An ISO 3166-1 alpha-2 code from `addressCountry` (text, or a Country entity with an
    /// `identifier`), on the entity or on its `address`.
    fn country(&self, entity: NamedOrBlankNodeRef<'_>) -> Option<String> {
        let mut holders = vec![entity.into_owned()];
        holders.extend(self.meta.refs(entity, "address"));
        for holder in holders {
            for value in self.meta.objects(holder.as_ref(), "addressCountry") {
                let code = match value {
                    Term::Literal(l) => Some(l.value().to_owned()),
                    Term::NamedNode(n) => self
                        .meta
                        .text(NamedOrBlankNodeRef::NamedNode(n.as_ref()), "identifier")
                        .or_else(|| n.as_str().strip_prefix(ns::FSJ).map(str::to_owned)),
                    Term::BlankNode(b) => self.meta.text(NamedOrBlankNodeRef::BlankNode(b.as_ref()), "identifier"),
                    #[allow(unreachable_patterns)]
                    _ => None,
                };
                if let Some(code) = code.filter(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_uppercase())) {
                    return Some(code);
                }
            }
        }
        None
    }

    /// The first of `properties` that holds a date (`YYYY-MM-DD`, or the date of a date-time).
    fn date(&self, entity: NamedOrBlankNodeRef<'_>, properties: &[&str]) -> Option<String> {
        properties.iter().find_map(|p| {
            self.meta.text(entity, p).and_then(|v| {
                let day = v.get(..10)?;
                fivesafes_core::day::Day::parse(day).ok().map(|_| day.to_owned())
            })
        })
    }

    fn project(
        &mut self,
        root: NamedOrBlankNodeRef<'_>,
        options: &ReadOptions,
        summary: &mut CrateSummary,
    ) -> Option<Value> {
        let Some(project) = self.meta.refs(root, "sourceOrganization").into_iter().next() else {
            self.missing("./", "the root has no `sourceOrganization`: the responsible Project is unknown");
            return None;
        };
        let p = project.as_ref();
        let id = node_id(p);
        summary.project = Some(id.clone());
        if !self.meta.is_a(p, "Project") {
            self.notes.push(Note::warning(&id, "the responsible project is not typed `Project`"));
        }
        let mut out = Map::new();
        out.insert("id".to_owned(), json!(self.project_id(p, &id, options)));
        if let Some(name) = self.meta.text(p, "name") {
            out.insert("title".to_owned(), json!(name));
        }
        let (purpose, legal_basis) = self.purpose(p, &id);
        out.insert("purpose".to_owned(), purpose);
        out.insert("legalBasis".to_owned(), json!(legal_basis));
        for (key, props, what) in [
            ("start", ["foundingDate", "startDate"], "a start (`foundingDate` or `startDate`)"),
            ("end", ["dissolutionDate", "endDate"], "an end (`dissolutionDate` or `endDate`)"),
        ] {
            match self.date(p, &props) {
                Some(day) => {
                    out.insert(key.to_owned(), json!(day));
                }
                None => self.missing(&id, format!("the project has no {what}: the approval period cannot be checked")),
            }
        }
        self.approvals(p, &id, &mut out);
        Some(Value::Object(out))
    }

    /// Ethics and DAC approvals: the project's `hasCredential` entries whose
    /// `credentialCategory` is an ethics or DAC approval term, with `recognizedBy` (the
    /// committee), `identifier`, `validFrom`, `expires`; a DAC approval is `about` the dataset
    /// and lists the approved `variableMeasured`.
    fn approvals(&mut self, p: NamedOrBlankNodeRef<'_>, id: &str, out: &mut Map<String, Value>) {
        let (mut ethics, mut dac) = (None, Vec::new());
        for credential in self.meta.refs(p, "hasCredential") {
            let c = credential.as_ref();
            let cid = node_id(c);
            let Some(category) = self.meta.refs(c, "credentialCategory").first().map(|t| expand(&node_id(t.as_ref())))
            else {
                self.notes
                    .push(Note::warning(&cid, "a project credential without a `credentialCategory` term was ignored"));
                continue;
            };
            let Some(approved) = self.date(c, &["validFrom", "dateCreated"]) else {
                self.notes.push(Note::warning(&cid, "an approval without `validFrom` was ignored"));
                continue;
            };
            let committee = self.meta.refs(c, "recognizedBy").first().and_then(|o| self.meta.text(o.as_ref(), "name"));
            let mut entry = Map::new();
            entry.insert("approved".to_owned(), json!(approved));
            if let Some(e) = self.date(c, &["expires", "validUntil"]) {
                entry.insert("expires".to_owned(), json!(e));
            }
            if let Some(r) = self.meta.text(c, "identifier") {
                entry.insert("reference".to_owned(), json!(r));
            }
            let vocab = &self.bundle.vocab;
            if vocab.is_a(&category, &format!("{}EthicsApproval", ns::FS)) {
                entry.insert(
                    "committee".to_owned(),
                    json!(committee.unwrap_or_else(|| "(not named in the crate)".to_owned())),
                );
                ethics = Some(Value::Object(entry));
            } else if vocab.is_a(&category, &format!("{}DACApproval", ns::FS)) {
                let about: Vec<String> = self.meta.texts(c, "about");
                let dataset =
                    self.bundle.federation.datasets.values().find(|d| about.iter().any(|a| *a == d.iri || *a == d.id));
                let Some(dataset) = dataset else {
                    self.notes.push(Note::warning(
                        &cid,
                        "a DAC approval that is `about` no dataset of the federation was ignored",
                    ));
                    continue;
                };
                entry.insert("dataset".to_owned(), json!(dataset.id));
                if let Some(name) = committee {
                    entry.insert("committee".to_owned(), json!(name));
                }
                entry.insert("variables".to_owned(), json!(self.meta.texts(c, "variableMeasured")));
                dac.push(Value::Object(entry));
            } else {
                self.notes.push(Note::warning(
                    &cid,
                    format!(
                        "project credential category `{category}` is neither an ethics nor a DAC approval; ignored"
                    ),
                ));
            }
        }
        if ethics.is_none() {
            self.gap(
                Safe::Projects,
                id,
                "the project has no ethics approval (`hasCredential` with an fs:EthicsApproval category)",
            );
        }
        if dac.is_empty() {
            self.gap(
                Safe::Projects,
                id,
                "the project has no data access committee approval (`hasCredential` with an fs:DACApproval category)",
            );
        }
        if let Some(e) = ethics {
            out.insert("ethics".to_owned(), e);
        }
        out.insert("dacApprovals".to_owned(), Value::Array(dac));
    }

    /// The project's identifier at the reading member: a `PropertyValue` named after the member,
    /// else a plain `identifier`, else the entity's `@id`.
    fn project_id(&mut self, p: NamedOrBlankNodeRef<'_>, id: &str, options: &ReadOptions) -> String {
        let mut plain = None;
        for value in self.meta.objects(p, "identifier") {
            match value {
                Term::Literal(l) => plain = plain.or(Some(l.value().to_owned())),
                Term::NamedNode(_) | Term::BlankNode(_) => {
                    let node = match value {
                        Term::NamedNode(n) => NamedOrBlankNode::NamedNode(n),
                        Term::BlankNode(b) => NamedOrBlankNode::BlankNode(b),
                        _ => continue,
                    };
                    let name =
                        self.meta.text(node.as_ref(), "name").or_else(|| self.meta.text(node.as_ref(), "propertyID"));
                    let local = self.meta.text(node.as_ref(), "value");
                    if let (Some(name), Some(local), Some(member)) = (name, local, &options.member)
                        && &name == member
                    {
                        return local;
                    }
                }
                #[allow(unreachable_patterns)]
                _ => {}
            }
        }
        if let Some(member) = &options.member {
            self.notes.push(Note::info(
                id,
                format!("the project has no identifier named `{member}`; its `@id` stands for it"),
            ));
        }
        plain.unwrap_or_else(|| id.to_owned())
    }

    /// The project's purpose from the terms it is `about` (or its `keywords` as term IRIs):
    /// a DUO term is the purpose category, DPV legal bases are the legal basis, the others
    /// are diseases (an undefined term stays, so that the purpose-terms rule reports it).
    fn purpose(&mut self, p: NamedOrBlankNodeRef<'_>, id: &str) -> (Value, Vec<String>) {
        let vocab = &self.bundle.vocab;
        let mut category: Option<String> = None;
        let (mut diseases, mut legal) = (Vec::new(), Vec::new());
        let mut terms = self.meta.texts(p, "about");
        terms.extend(self.meta.texts(p, "keywords").into_iter().filter(|k| k.contains("://") || k.contains(':')));
        for term in terms {
            let iri = expand(&term);
            if vocab.is_a(&iri, &format!("{}LegalBasis", ns::DPV)) {
                legal.push(term);
            } else if iri.starts_with("http://purl.obolibrary.org/obo/DUO_") && category.is_none() {
                category = Some(term);
            } else {
                if !vocab.defines(&iri) {
                    self.notes.push(Note::warning(
                        id,
                        format!("the project is about `{term}`, which no loaded vocabulary defines"),
                    ));
                }
                diseases.push(term);
            }
        }
        if category.is_none() {
            self.gap(Safe::Projects, id, "the project is `about` no DUO research purpose term");
        }
        if legal.is_empty() {
            self.gap(Safe::Projects, id, "the project is `about` no DPV legal basis");
        }
        let mut purpose = Map::new();
        if let Some(c) = category {
            purpose.insert("category".to_owned(), json!(c));
        }
        purpose.insert("diseases".to_owned(), json!(diseases));
        (Value::Object(purpose), legal)
    }

    fn datasets(&mut self, action: NamedOrBlankNodeRef<'_>, action_id: &str, summary: &mut CrateSummary) -> Vec<Value> {
        let mut out = Vec::new();
        for input in self.meta.refs(action, "object") {
            let iid = node_id(input.as_ref());
            let mut keys = vec![iid.clone()];
            if let NamedOrBlankNode::NamedNode(n) = &input {
                keys.push(n.as_str().to_owned());
            }
            keys.extend(self.meta.texts(input.as_ref(), "identifier"));
            keys.extend(self.meta.texts(input.as_ref(), "sameAs"));
            let found = self
                .bundle
                .federation
                .datasets
                .values()
                .find(|d| keys.iter().any(|k| *k == d.iri || *k == d.id))
                .map(|d| d.id.clone());
            match &found {
                Some(dataset) => {
                    let variables = self.meta.texts(input.as_ref(), "variableMeasured");
                    out.push(json!({ "id": dataset, "variables": variables }));
                }
                None => self
                    .notes
                    .push(Note::info(&iid, "an input that is not a dataset of the federation (a file or parameter)")),
            }
            summary.inputs.push(CrateInput { entity: iid, dataset: found });
        }
        if out.is_empty() {
            self.missing(
                action_id,
                "the CreateAction's `object` names no dataset of the federation (by `@id`, `identifier` or `sameAs`)",
            );
        }
        out
    }
}
