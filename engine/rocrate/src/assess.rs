//! Writing the TRE's review back: a new crate with the profile's AssessActions (CheckValue,
//! ValidationCheck, and the fivesafes decision as a SignOff), mentioned from the root, the
//! full decision as a payload file, and the bag's manifests redone. The original is untouched:
//! this works on a copy of its files.

use crate::bag::CrateForm;
use crate::profile::{CheckReport, StepResult, check};
use crate::{Crate, CrateDecision, CrateError, CrateFiles, ReadOptions};
use fivesafes_core::policy::Outcome;
use fivesafes_core::{Bundle, DecideOptions};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The Safe Haven Provenance terms the profile uses for review steps.
const SHP: &str = "https://w3id.org/shp#";
/// The sha-512 algorithm, as the profile names it.
const SHA512: &str = "https://www.iana.org/assignments/named-information#sha-512";
/// The payload file that holds the full decision.
pub const DECISION_FILE: &str = "fivesafes-decision.json";

/// How to assess.
#[derive(Debug, Clone)]
pub struct AssessOptions {
    /// How to read the crate as a request (day, reading member).
    pub read: ReadOptions,
    /// Decision options.
    pub decide: DecideOptions,
    /// When the assessment ends (RFC 3339 date-time, with zone); the caller's clock.
    pub end_time: String,
}

/// The assessed crate, and what went into it.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// The new crate's files.
    pub files: CrateFiles,
    /// The checks of the submitted crate.
    pub check: CheckReport,
    /// The decision.
    pub decision: CrateDecision,
}

/// Assess a crate: check it, decide it, and write a new crate with the results.
pub fn assess(bundle: &Bundle, krate: &Crate, options: &AssessOptions) -> Result<Assessment, CrateError> {
    assess_with(bundle, krate, options, &|req| fivesafes_core::decide(bundle, req, options.decide))
}

/// [`assess`], with the crate's request decided by `decider` (see [`crate::decide_with`]).
pub fn assess_with(
    bundle: &Bundle,
    krate: &Crate,
    options: &AssessOptions,
    decider: &crate::Decider<'_>,
) -> Result<Assessment, CrateError> {
    let report = check(krate);
    let decision = crate::decide_with(bundle, krate, &options.read, decider);
    let mut json = krate.metadata.json.clone();
    let seed = {
        let mut h = Sha256::new();
        h.update(krate.files.metadata_text()?.as_bytes());
        h.update(options.end_time.as_bytes());
        hex::encode(h.finalize())
    };
    let tag = seed.get(..12).unwrap_or(&seed).to_owned();
    let site = options.read.member.as_ref().and_then(|m| bundle.federation.members.get(m));
    let tre = site.map_or_else(|| bundle.federation.iri.clone(), |m| m.iri.clone());
    let tre_name = site.map_or_else(|| bundle.federation.title.clone(), |m| m.name.clone());
    let agent = format!("#fivesafes-{tag}");
    let mut added = vec![
        json!({"@id": agent, "@type": "SoftwareApplication", "name": format!("fivesafes {}", env!("CARGO_PKG_VERSION")),
               "version": env!("CARGO_PKG_VERSION"), "provider": {"@id": tre}}),
        json!({"@id": tre, "@type": "Organization", "name": tre_name}),
        json!({"@id": SHA512, "@type": "DefinedTerm", "name": "sha-512 algorithm"}),
        json!({"@id": crate::request::PROFILE, "@type": "Profile", "name": "Five Safes RO-Crate profile"}),
    ];
    let mut mentions = Vec::new();
    let bagged = krate.files.form == CrateForm::Bag;
    let steps: [(&str, &str, &StepResult, &str, String); 2] = [
        ("check", "CheckValue", &report.check_value, SHA512, "BagIt checksum of Crate".to_owned()),
        (
            "validate",
            "ValidationCheck",
            &report.validation,
            crate::request::PROFILE,
            "Validation against Five Safes RO-Crate profile".to_owned(),
        ),
    ];
    for (slug, kind, step, instrument, title) in steps {
        let id = format!("#{slug}-{tag}");
        let verdict = if step.passed { "OK" } else { "failed" };
        let problems: Vec<String> = step
            .notes
            .iter()
            .filter(|n| n.severity >= crate::Severity::Warning)
            .map(|n| format!("{} {}: {}", n.severity.name(), n.entity, n.message))
            .collect();
        let mut action = json!({
            "@id": id, "@type": "AssessAction", "additionalType": {"@id": format!("{SHP}{kind}")},
            "name": format!("{title}: {verdict}"), "endTime": options.end_time, "object": {"@id": "./"},
            "instrument": {"@id": instrument}, "agent": {"@id": agent},
            "actionStatus": status(step.passed),
        });
        if !problems.is_empty()
            && let Some(obj) = action.as_object_mut()
        {
            obj.insert("description".to_owned(), json!(problems.join("\n")));
        }
        mentions.push(json!({"@id": id}));
        added.push(action);
    }
    // The sign-off: the decision, against the blueprint and the bundle.
    let d = &decision.decision;
    let signoff = format!("#signoff-{tag}");
    let blueprint = &bundle.blueprint;
    added.push(json!({"@id": blueprint.iri, "@type": "CreativeWork", "name": "Federation blueprint", "version": blueprint.version}));
    added.push(json!({"@id": d.bundle.federation, "@type": "CreativeWork", "name": format!("{} (bundle)", bundle.federation.title),
                      "version": d.bundle.version, "identifier": d.bundle.hash}));
    added.push(json!({"@id": DECISION_FILE, "@type": "File", "name": "fivesafes decision", "encodingFormat": "application/json",
                      "description": "The full decision: per member TRE and per Safe, the outcome and every reason"}));
    let mut results = vec![json!({"@id": DECISION_FILE})];
    for member in &d.members {
        for (safe, sd) in &member.safes {
            let id = format!("#signoff-{tag}-{}-{}", member.member, safe.name());
            let reasons: Vec<String> =
                sd.reasons.iter().map(|r| format!("{} ({}): {}", r.requirement, r.policy, r.message)).collect();
            let mut entity = json!({"@id": id, "@type": "PropertyValue", "name": format!("{} at {}", safe.name(), member.member),
                                    "propertyID": safe.name(), "value": sd.outcome.name()});
            if !reasons.is_empty()
                && let Some(obj) = entity.as_object_mut()
            {
                obj.insert("description".to_owned(), json!(reasons.join("\n")));
            }
            results.push(json!({"@id": id}));
            added.push(entity);
        }
    }
    let mut objects = vec![json!({"@id": "./"})];
    objects.extend(decision.summary.workflow.iter().map(|w| json!({"@id": w})));
    objects.extend(decision.summary.project.iter().map(|p| json!({"@id": p})));
    let errors = if d.errors.is_empty() { String::new() } else { format!(" ({})", d.errors.join("; ")) };
    added.push(json!({
        "@id": signoff, "@type": "AssessAction", "additionalType": {"@id": format!("{SHP}SignOff")},
        "name": format!("Sign-off of execution against the federation blueprint: {}{errors}", d.decision.name()),
        "endTime": options.end_time, "object": objects,
        "instrument": [{"@id": blueprint.iri}, {"@id": d.bundle.federation}],
        "agent": {"@id": agent}, "result": results,
        "actionStatus": match d.decision { Outcome::Allow => status(true), Outcome::Deny => status(false),
                                           Outcome::Review => "http://schema.org/PotentialActionStatus".to_owned() },
    }));
    mentions.push(json!({"@id": signoff}));
    if bagged {
        let id = format!("#bagit-{tag}");
        added.push(json!({"@id": id, "@type": "UpdateAction", "additionalType": {"@id": format!("{SHP}GenerateCheckValue")},
                          "name": "BagIt manifests of Crate updated", "startTime": options.end_time, "object": {"@id": "./"},
                          "instrument": {"@id": SHA512}, "agent": {"@id": agent}, "actionStatus": status(true)}));
        mentions.push(json!({"@id": id}));
    }
    splice(&mut json, added, mentions);
    let text = serde_json::to_string_pretty(&json)
        .map_err(|e| CrateError::NotACrate { file: "metadata".to_owned(), message: e.to_string() })?;
    let mut files = krate.files.clone();
    let meta_path = files.metadata_path();
    let decision_path = meta_path.replace(crate::bag::METADATA, DECISION_FILE);
    files.files.insert(meta_path, format!("{text}\n").into_bytes());
    files.files.insert(decision_path, format!("{}\n", decision.decision.to_json()).into_bytes());
    if bagged {
        files.rewrite_manifests();
    }
    Ok(Assessment { files, check: report, decision })
}

fn status(ok: bool) -> String {
    if ok { "http://schema.org/CompletedActionStatus" } else { "http://schema.org/FailedActionStatus" }.to_owned()
}

/// Add the entities to `@graph`, and the actions to the root's `mentions` and `hasPart` the
/// decision file (replacing entities with the same `@id`).
fn splice(json: &mut Value, added: Vec<Value>, mentions: Vec<Value>) {
    let Some(graph) = json.get_mut("@graph").and_then(Value::as_array_mut) else { return };
    let ids: Vec<Value> = added.iter().filter_map(|a| a.get("@id").cloned()).collect();
    graph.retain(|n| n.get("@id").is_none_or(|id| !ids.contains(id)));
    graph.extend(added);
    for node in graph.iter_mut() {
        if node.get("@id").and_then(Value::as_str) != Some("./") {
            continue;
        }
        let Some(root) = node.as_object_mut() else { continue };
        for (key, extra) in [("mentions", mentions.clone()), ("hasPart", vec![json!({"@id": DECISION_FILE})])] {
            let mut list = match root.remove(key) {
                Some(Value::Array(a)) => a,
                Some(one) => vec![one],
                None => Vec::new(),
            };
            for e in extra {
                if !list.contains(&e) {
                    list.push(e);
                }
            }
            root.insert(key.to_owned(), Value::Array(list));
        }
    }
}
