//! The profile's checks: CheckValue (the bag against its sha-512 manifests) and
//! ValidationCheck (the MUST rules of the Five Safes RO-Crate profile 0.4, one function each,
//! written from the specification text; each note quotes which rule).

use crate::metadata::{CONFORMS_TO, Metadata, node_id};
use crate::note::{Note, Notes, Severity};
use crate::request::PROFILE;
use crate::{Crate, CrateForm};
use oxrdf::NamedOrBlankNodeRef;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The outcome of one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StepResult {
    /// No error found.
    pub passed: bool,
    /// What was found.
    pub notes: Notes,
}

impl StepResult {
    fn from(notes: Notes) -> StepResult {
        StepResult { passed: !notes.iter().any(|n| n.severity == Severity::Error), notes }
    }
}

/// The profile's two checks of a submitted crate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckReport {
    /// CheckValue: the BagIt bag and its sha-512 manifests.
    pub check_value: StepResult,
    /// ValidationCheck: the profile's MUST rules (and its SHOULDs, as warnings).
    pub validation: StepResult,
}

impl CheckReport {
    /// Both steps passed.
    pub fn passed(&self) -> bool {
        self.check_value.passed && self.validation.passed
    }
}

/// Run both checks.
pub fn check(krate: &Crate) -> CheckReport {
    let mut bag = Notes::new();
    krate.files.check_bag(&mut bag);
    let mut v = krate.notes.clone();
    validate(krate, &mut v);
    CheckReport { check_value: StepResult::from(bag), validation: StepResult::from(v) }
}

fn validate(krate: &Crate, notes: &mut Notes) {
    let meta = &krate.metadata;
    if krate.files.form == CrateForm::Metadata {
        notes.push(Note::warning(
            "ro-crate-metadata.json",
            "a bare metadata file: the profile's archive rules (a ZIP of one BagIt bag) cannot be checked",
        ));
    }
    descriptor(meta, notes);
    paths_stay_in_the_crate(&meta.json, notes);
    let root = Metadata::entity("./");
    let root = root.as_ref();
    if !meta.describes(root) {
        notes.push(Note::error("./", "MUST: the root data entity has `@id` \"./\"; the crate does not describe `./`"));
        return;
    }
    if !meta.texts(root, CONFORMS_TO).iter().any(|c| c.trim_end_matches('/') == PROFILE) {
        notes.push(Note::warning("./", format!("SHOULD: the root declares `conformsTo` {PROFILE}")));
    }
    let workflow = meta.refs(root, "mainEntity").into_iter().next();
    match &workflow {
        None => notes.push(Note::error("./", "MUST: the root references the Workflow RO-Crate as `mainEntity`")),
        Some(w) if !meta.is_a(w.as_ref(), "Dataset") => notes.push(Note::error(
            &node_id(w.as_ref()),
            "MUST: the `mainEntity` is a Workflow RO-Crate `Dataset`; this entity is not described as a `Dataset`",
        )),
        Some(_) => {}
    }
    let actions: Vec<_> =
        meta.refs(root, "mentions").into_iter().filter(|m| meta.is_a(m.as_ref(), "CreateAction")).collect();
    if actions.is_empty() {
        let loose = meta.all_of("CreateAction");
        if loose.is_empty() {
            notes.push(Note::error("./", "MUST: the crate includes a CreateAction (the requested run); it has none"));
        } else {
            for a in loose {
                notes.push(Note::error(
                    &node_id(a.as_ref()),
                    "MUST: the CreateAction is referenced from the root's `mentions`; it is not",
                ));
            }
        }
    }
    for action in &actions {
        create_action(meta, action.as_ref(), workflow.as_ref().map(|w| w.as_ref()), notes);
    }
    match meta.refs(root, "sourceOrganization").into_iter().next() {
        None => notes.push(Note::error("./", "MUST: the root names the responsible Project with `sourceOrganization`")),
        Some(p) if !meta.is_a(p.as_ref(), "Project") => {
            notes.push(Note::error(
                &node_id(p.as_ref()),
                "MUST: the responsible project (`sourceOrganization`) is a `Project`; this entity is not",
            ));
        }
        Some(_) => {}
    }
    for a in meta.all_of("AssessAction") {
        assess_action(meta, a.as_ref(), notes);
    }
}

/// RO-Crate 1.2 (or a later minor version), declared on the metadata descriptor, whose `about`
/// is the root.
fn descriptor(meta: &Metadata, notes: &mut Notes) {
    let d = Metadata::entity("ro-crate-metadata.json");
    let d = d.as_ref();
    if !meta.describes(d) {
        notes.push(Note::error(
            "ro-crate-metadata.json",
            "MUST: the metadata file descriptor `ro-crate-metadata.json` declares the RO-Crate version; it is missing",
        ));
        return;
    }
    let versions = meta.texts(d, CONFORMS_TO);
    let ok = versions.iter().any(|v| {
        v.strip_prefix("https://w3id.org/ro/crate/1.")
            .and_then(|rest| rest.split(['-', '/']).next())
            .and_then(|m| m.parse::<u32>().ok())
            .is_some_and(|minor| minor >= 2)
    });
    if !ok {
        let said = if versions.is_empty() { "none".to_owned() } else { versions.join(", ") };
        notes.push(Note::error("ro-crate-metadata.json", format!("MUST: the metadata conforms to RO-Crate 1.2 or a later minor version, declared with `conformsTo`; it declares {said}")));
    }
    if !meta.texts(d, "about").iter().any(|a| a == "./") {
        notes.push(Note::error("ro-crate-metadata.json", "MUST: the descriptor is `about` the root data entity `./`"));
    }
}

/// The crate references nothing outside the bag's payload (no `../`, no absolute paths).
fn paths_stay_in_the_crate(json: &Value, notes: &mut Notes) {
    let mut ids = Vec::new();
    collect_ids(json, &mut ids);
    for id in ids {
        let scheme = id
            .split_once(':')
            .is_some_and(|(s, _)| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)));
        if scheme {
            if id.starts_with("file:") {
                notes.push(Note::error(&id, "MUST NOT: a `file:` reference points outside the crate"));
            }
            continue;
        }
        if id.starts_with('/') || id.split(['/', '#', '?']).any(|s| s == "..") {
            notes.push(Note::error(
                &id,
                "MUST NOT: the crate references a path outside its root (the bag's payload `data/`)",
            ));
        }
    }
}

fn collect_ids(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(id)) = map.get("@id")
                && !out.contains(id)
            {
                out.push(id.clone());
            }
            map.values().for_each(|v| collect_ids(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_ids(v, out)),
        _ => {}
    }
}

fn create_action(
    meta: &Metadata,
    action: NamedOrBlankNodeRef<'_>,
    workflow: Option<NamedOrBlankNodeRef<'_>>,
    notes: &mut Notes,
) {
    let id = node_id(action);
    let instruments = meta.refs(action, "instrument");
    match workflow {
        Some(w) if !instruments.iter().any(|i| i.as_ref() == w) => notes.push(Note::error(
            &id,
            format!("MUST: the CreateAction references the workflow (`mainEntity` {}) with `instrument`", node_id(w)),
        )),
        None if instruments.is_empty() => {
            notes.push(Note::error(&id, "MUST: the CreateAction references the workflow with `instrument`"))
        }
        _ => {}
    }
    match meta.refs(action, "agent").into_iter().next() {
        None => notes.push(Note::error(&id, "MUST: the requesting person is the CreateAction's `agent`; it has none")),
        Some(agent) => {
            let aid = node_id(agent.as_ref());
            if !meta.describes(agent.as_ref()) {
                notes.push(Note::error(&aid, "the agent is not described in the crate"));
            } else if meta.refs(agent.as_ref(), "affiliation").is_empty() {
                notes.push(Note::warning(&aid, "SHOULD: the agent has an `affiliation`"));
            }
        }
    }
    for input in meta.refs(action, "object") {
        if !meta.describes(input.as_ref()) {
            notes.push(Note::error(
                &node_id(input.as_ref()),
                "MUST: each input has a corresponding data entity; this one is not described",
            ));
        }
    }
    for output in meta.refs(action, "result") {
        if !meta.describes(output.as_ref()) {
            notes.push(Note::error(
                &node_id(output.as_ref()),
                "MUST: each output is described as a data entity (Workflow Run Crate); this one is not",
            ));
        }
    }
}

/// The TRE's own AssessActions (a client's were removed on reading): a `name`, and an agent
/// that, if software, names its TRE with `provider`.
fn assess_action(meta: &Metadata, action: NamedOrBlankNodeRef<'_>, notes: &mut Notes) {
    let id = node_id(action);
    if meta.text(action, "name").is_none() {
        notes.push(Note::error(&id, "MUST: an AssessAction has a human-readable `name`"));
    }
    for agent in meta.refs(action, "agent") {
        if meta.is_a(agent.as_ref(), "SoftwareApplication") && meta.refs(agent.as_ref(), "provider").is_empty() {
            notes.push(Note::error(
                &node_id(agent.as_ref()),
                "MUST: a SoftwareApplication acting for a TRE names the TRE with `provider`",
            ));
        }
    }
}
