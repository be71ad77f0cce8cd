//! A bundle: the baseline (vocabularies, blueprint, schema, baseline policies) plus a federation
//! (members, datasets, local policies, extra vocabularies), compiled once at load into what a
//! decision needs: Cedar policy sets per member and Cedar entities with closed hierarchies.

use crate::blueprint::Blueprint;
use crate::error::BundleError;
use crate::federation::{Dataset, Federation, MemberTre};
use crate::policy::{CedarFile, Policies};
use crate::vocab::Vocabulary;
use cedar_policy::{Entity, EntityId, EntityTypeName, EntityUid, RestrictedExpression};
use oxigraph::model::Graph;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;
use std::sync::LazyLock;

/// What a source file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceRole {
    /// RDF vocabulary (ontology, DUO, DPV, diseases, jurisdictions, user `--vocab`).
    Vocabulary,
    /// RDF requirements catalogue.
    Blueprint,
    /// The Cedar schema.
    Schema,
    /// A baseline Cedar policy file.
    BaselinePolicy,
    /// RDF describing the federation, its members and datasets.
    Federation,
    /// A member's local Cedar policies.
    LocalPolicy,
    /// A JSON Web Key Set (RFC 7517) of a passport visa issuer the federation names
    /// (`fs:jwksFile`): the keys its visas are verified against. Never fetched.
    Keys,
}

impl SourceRole {
    fn tag(self) -> &'static str {
        match self {
            SourceRole::Vocabulary => "vocabulary",
            SourceRole::Blueprint => "blueprint",
            SourceRole::Schema => "schema",
            SourceRole::BaselinePolicy => "baseline-policy",
            SourceRole::Federation => "federation",
            SourceRole::LocalPolicy => "local-policy",
            SourceRole::Keys => "keys",
        }
    }
}

/// One input file of a bundle (in JSON: `{"role": "local-policy", "name": ..., "text": ...}`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceFile {
    /// Its role.
    pub role: SourceRole,
    /// Its name, shown in diagnostics (a path).
    pub name: String,
    /// Its content.
    pub text: String,
}

impl SourceFile {
    /// A source file.
    pub fn new(role: SourceRole, name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        SourceFile { role, name: name.into(), text: text.into() }
    }

    fn basename(&self) -> &str {
        self.name.rsplit(['/', '\\']).next().unwrap_or(&self.name)
    }
}

/// A compiled bundle.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The vocabularies.
    pub vocab: Vocabulary,
    /// The requirements catalogue.
    pub blueprint: Blueprint,
    /// Members and datasets.
    pub federation: Federation,
    /// Cedar policies.
    pub policies: Policies,
    /// `sha256:` over every source file (role, file name and content), in a fixed order.
    pub hash: String,
    /// Things worth knowing that do not stop the bundle from loading.
    pub warnings: Vec<String>,
    pub(crate) entities: StaticEntities,
    /// The Cedar sources, kept so that the bundle can be written out compiled.
    pub(crate) cedar: CedarSources,
}

/// A named text (a Cedar file).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct NamedText {
    /// The name shown in diagnostics (a path).
    pub name: String,
    /// The text.
    pub text: String,
}

impl NamedText {
    fn of(f: &SourceFile) -> NamedText {
        NamedText { name: f.name.clone(), text: f.text.clone() }
    }
}

fn file(f: &NamedText) -> CedarFile<'_> {
    CedarFile { name: &f.name, text: &f.text }
}

/// The Cedar files of a bundle.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CedarSources {
    /// The schema.
    pub schema: NamedText,
    /// The baseline policy files.
    pub baseline: Vec<NamedText>,
    /// Each member's local policy file, by member id.
    pub locals: BTreeMap<String, NamedText>,
}

/// Cedar entities compiled at load.
#[derive(Debug, Clone, Default)]
pub(crate) struct StaticEntities {
    pub concepts: HashMap<String, Entity>,
    pub members: HashMap<String, Entity>,
    pub datasets: HashMap<String, Entity>,
}

/// Cedar entity type names used by the engine.
pub(crate) mod types {
    pub const CONCEPT: &str = "Concept";
    pub const MEMBER: &str = "Member";
    pub const DATASET: &str = "Dataset";
    pub const RESEARCHER: &str = "Researcher";
    pub const PROJECT: &str = "Project";
    pub const ORGANISATION: &str = "Organisation";
    pub const ACTION: &str = "Action";
}

/// An entity uid of a type the schema declares.
pub(crate) fn uid(type_name: &str, id: &str) -> Result<EntityUid, String> {
    // Parsed once: a decision makes thousands of uids and parsing the type name dominated.
    static PARSED: LazyLock<Vec<(&'static str, EntityTypeName)>> = LazyLock::new(|| {
        use types::*;
        [CONCEPT, MEMBER, DATASET, RESEARCHER, PROJECT, ORGANISATION, ACTION]
            .into_iter()
            .filter_map(|n| EntityTypeName::from_str(n).ok().map(|t| (n, t)))
            .collect()
    });
    let t = match PARSED.iter().find(|(n, _)| *n == type_name) {
        Some((_, t)) => t.clone(),
        None => EntityTypeName::from_str(type_name).map_err(|e| e.to_string())?,
    };
    Ok(EntityUid::from_type_name_and_id(t, EntityId::new(id)))
}

/// The source file of a role that the federation names by its file name (a local policy, a
/// key set), wherever in the bundle it lies.
fn named<'f>(files: &'f [SourceFile], role: SourceRole, file: &str) -> Option<&'f SourceFile> {
    files.iter().find(|f| f.role == role && f.basename() == file)
}

impl Bundle {
    /// Load and compile a bundle from its source files.
    pub fn load(files: &[SourceFile]) -> Result<Bundle, BundleError> {
        let mut graph = Graph::new();
        let mut vocab_graph = Graph::new();
        // Every RDF file is read before giving up, so that all syntax errors show at once.
        let mut problems = Vec::new();
        for f in files {
            match f.role {
                SourceRole::Vocabulary | SourceRole::Blueprint | SourceRole::Federation => {
                    if let Err(e) = crate::rdf::load_into(&mut graph, &f.name, f.text.as_bytes()) {
                        problems.push(e);
                        continue;
                    }
                    if f.role == SourceRole::Vocabulary {
                        crate::rdf::load_into(&mut vocab_graph, &f.name, f.text.as_bytes())?;
                    }
                }
                _ => {}
            }
        }
        if let Some(e) = BundleError::from_several(problems) {
            return Err(e);
        }
        let vocab = Vocabulary::compile(&vocab_graph);
        let blueprint = Blueprint::from_graph(&graph)?;
        if blueprint.requirements.is_empty() {
            return Err(BundleError::Model {
                subject: "bundle".to_owned(),
                message: "the bundle holds no blueprint requirements".to_owned(),
                help: Some("include blueprint/requirements.ttl".to_owned()),
            });
        }
        let mut federation = Federation::from_graph(&graph, &vocab)?;
        let mut missing = Vec::new();
        for issuer in federation.visa_issuers.values_mut() {
            match named(files, SourceRole::Keys, &issuer.jwks_file) {
                Some(keys) => issuer.jwks = keys.text.clone(),
                None => missing.push(BundleError::MissingFile {
                    file: format!("keys/{} (keys of visa issuer `{}`)", issuer.jwks_file, issuer.issuer),
                }),
            }
        }
        let schema = files
            .iter()
            .find(|f| f.role == SourceRole::Schema)
            .ok_or_else(|| BundleError::MissingFile { file: "policies/schema.cedarschema".to_owned() })?;
        let baseline: Vec<NamedText> =
            files.iter().filter(|f| f.role == SourceRole::BaselinePolicy).map(NamedText::of).collect();
        let mut locals = BTreeMap::new();
        for m in federation.members.values() {
            let Some(file) = &m.local_policy else { continue };
            match named(files, SourceRole::LocalPolicy, file) {
                Some(source) => {
                    locals.insert(m.id.clone(), NamedText::of(source));
                }
                None => missing
                    .push(BundleError::MissingFile { file: format!("members/{file} (local policy of `{}`)", m.id) }),
            }
        }
        if let Some(e) = BundleError::from_several(missing) {
            return Err(e);
        }
        let cedar = CedarSources { schema: NamedText::of(schema), baseline, locals };
        Bundle::assemble(vocab, blueprint, federation, cedar, hash(files))
    }

    /// Compile the policies and entities of already-read parts. Used by [`Bundle::load`] and
    /// when a compiled bundle loads (no RDF is parsed then).
    pub(crate) fn assemble(
        vocab: Vocabulary,
        blueprint: Blueprint,
        federation: Federation,
        cedar: CedarSources,
        hash: String,
    ) -> Result<Bundle, BundleError> {
        let baseline: Vec<CedarFile<'_>> = cedar.baseline.iter().map(file).collect();
        let locals: BTreeMap<String, CedarFile<'_>> = cedar.locals.iter().map(|(m, f)| (m.clone(), file(f))).collect();
        let policies = Policies::load(&file(&cedar.schema), &baseline, &locals, &blueprint)?;
        let mut warnings = Vec::new();
        for d in federation.datasets.values() {
            if let Some(e) = &d.data_use_error {
                warnings.push(format!("dataset `{}`: {e}; requests for it are denied", d.id));
            }
            for t in &d.unknown_terms {
                warnings.push(format!(
                    "dataset `{}` uses `{t}`, which no loaded vocabulary defines; requests for it are denied",
                    d.id
                ));
            }
        }
        let entities = compile_entities(&vocab, &federation, &policies).map_err(|message| BundleError::Model {
            subject: "bundle".to_owned(),
            message: format!("could not build Cedar entities: {message}"),
            help: None,
        })?;
        Ok(Bundle { hash, vocab, blueprint, federation, policies, warnings, entities, cedar })
    }

    /// The bundle's name for decisions: the federation IRI.
    pub fn id(&self) -> &str {
        &self.federation.iri
    }
}

fn hash(files: &[SourceFile]) -> String {
    let mut entries: Vec<(&str, &str, &str)> =
        files.iter().map(|f| (f.role.tag(), f.basename(), f.text.as_str())).collect();
    entries.sort();
    let mut h = Sha256::new();
    for (role, name, text) in entries {
        h.update(role.as_bytes());
        h.update([0]);
        h.update(name.as_bytes());
        h.update([0]);
        // As u64: the hash must not depend on the pointer width (wasm32 is 32-bit).
        h.update((text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

fn concept_ref(iri: &str) -> Result<RestrictedExpression, String> {
    Ok(RestrictedExpression::new_entity_uid(uid(types::CONCEPT, iri)?))
}

fn compile_entities(vocab: &Vocabulary, fed: &Federation, policies: &Policies) -> Result<StaticEntities, String> {
    let mut out = StaticEntities::default();
    for term in vocab.terms() {
        let parents: HashSet<EntityUid> = vocab
            .ancestors(term)
            .filter(|a| policies.tests_membership_in(a))
            .map(|a| uid(types::CONCEPT, a))
            .collect::<Result<_, _>>()?;
        out.concepts.insert(term.to_owned(), Entity::new_no_attrs(uid(types::CONCEPT, term)?, parents));
    }
    for m in fed.members.values() {
        out.members.insert(m.id.clone(), member_entity(m)?);
    }
    for d in fed.datasets.values() {
        out.datasets.insert(d.id.clone(), dataset_entity(d)?);
    }
    Ok(out)
}

fn member_entity(m: &MemberTre) -> Result<Entity, String> {
    let controls = m.controls.iter().map(|c| concept_ref(c)).collect::<Result<Vec<_>, _>>()?;
    let attrs = HashMap::from([
        ("country".to_owned(), concept_ref(&m.country)?),
        ("tier".to_owned(), RestrictedExpression::new_long(m.tier)),
        ("controls".to_owned(), RestrictedExpression::new_set(controls)),
        (
            "certifiedUntil".to_owned(),
            RestrictedExpression::new_long(m.certified_until.map(|d| d.number()).unwrap_or(-1)),
        ),
    ]);
    Entity::new(uid(types::MEMBER, &m.id)?, attrs, HashSet::new()).map_err(|e| e.to_string())
}

fn dataset_entity(d: &Dataset) -> Result<Entity, String> {
    let holder = uid(types::MEMBER, &d.holder)?;
    let attrs = HashMap::from([
        ("holder".to_owned(), RestrictedExpression::new_entity_uid(holder.clone())),
        ("tier".to_owned(), RestrictedExpression::new_long(d.tier)),
        ("deidentification".to_owned(), concept_ref(&d.deidentification)?),
        ("specialCategory".to_owned(), RestrictedExpression::new_bool(d.special_category)),
        ("requiresEthics".to_owned(), RestrictedExpression::new_bool(d.requires_ethics)),
        (
            "variables".to_owned(),
            RestrictedExpression::new_set(d.variables.iter().map(|v| RestrictedExpression::new_string(v.clone()))),
        ),
    ]);
    Entity::new(uid(types::DATASET, &d.id)?, attrs, HashSet::from([holder])).map_err(|e| e.to_string())
}
