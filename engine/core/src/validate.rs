//! Validation of a bundle for policy authors (`fivesafes validate`): everything that makes a
//! bundle refuse to load (RDF and Cedar syntax, the blueprint's structural rules for policies,
//! Cedar strict validation against the schema, members that may only restrict), plus the checks
//! that keep the data consistent with itself: every mandatory requirement is enforced or checked
//! at certification, `fs:enforcedBy` and `@requirement` agree, every IRI used in policies,
//! blueprint and federation is defined by a loaded vocabulary, every local policy file belongs to
//! a member. Each problem is located (file, line, column, the text to underline) and says how to
//! fix it.

use crate::blueprint::{Dimension, Level, Safe};
use crate::bundle::{Bundle, SourceFile, SourceRole};
use crate::decision::BundleRef;
use crate::error::{BundleError, Located};
use cedar_policy::Effect;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The bundle is not valid.
    Error,
    /// Worth fixing; the bundle stays valid.
    Warning,
}

/// One problem found in a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable code (e.g. `fivesafes::validate::undefined_iri`).
    pub code: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The file, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column (in characters), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// Byte offset of the offending text in the file, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
    /// Its length in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<usize>,
}

/// The result of validating a bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidationReport {
    /// No errors (warnings allowed).
    pub valid: bool,
    /// The bundle, when it loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<BundleRef>,
    /// How many errors.
    pub errors: usize,
    /// How many warnings.
    pub warnings: usize,
    /// Every problem, errors first, then by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

/// The JSON Schema of a validation report.
pub fn validation_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(ValidationReport)).unwrap_or_default()
}

/// Validate a bundle's source files.
pub fn validate(files: &[SourceFile]) -> ValidationReport {
    let finder = Finder { files };
    let (bundle, mut diagnostics) = match Bundle::load(files) {
        Ok(bundle) => {
            let found = Checks { bundle: &bundle, finder: &finder }.run();
            (Some(bundle.reference()), found)
        }
        Err(e) => (None, load_errors(&e, &finder)),
    };
    diagnostics.sort_by(|a, b| {
        (a.severity, &a.file, a.line, a.column, &a.message).cmp(&(b.severity, &b.file, b.line, b.column, &b.message))
    });
    diagnostics.dedup();
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    ValidationReport { valid: errors == 0, bundle, errors, warnings: diagnostics.len() - errors, diagnostics }
}

/// What stopped the bundle from loading, each problem located.
fn load_errors(e: &BundleError, finder: &Finder<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    collect_load_errors(e, finder, &mut out);
    out
}

fn collect_load_errors(e: &BundleError, finder: &Finder<'_>, out: &mut Vec<Diagnostic>) {
    match e {
        BundleError::Several { errors } => errors.iter().for_each(|e| collect_load_errors(e, finder, out)),
        // A model error names an RDF subject: point at where the bundle describes it.
        BundleError::Model { subject, .. } => {
            let mut d = from_located(e.located().into_iter().next(), e, finder);
            // Only an IRI names something a file describes (not "bundle").
            if subject.contains(':')
                && let Some(at) = finder.find_term(subject, &[SourceRole::Federation, SourceRole::Blueprint])
            {
                at.apply(&mut d);
            }
            out.push(d);
        }
        _ => out.extend(e.located().into_iter().map(|l| from_located(Some(l), e, finder))),
    }
}

fn from_located(l: Option<Located>, e: &BundleError, finder: &Finder<'_>) -> Diagnostic {
    let code = miette::Diagnostic::code(e).map(|c| c.to_string()).unwrap_or_default();
    let l = l.unwrap_or(Located {
        code: code.clone(),
        file: None,
        line: None,
        column: None,
        message: e.to_string(),
        help: None,
    });
    let mut d = Diagnostic {
        severity: Severity::Error,
        code: l.code,
        message: l.message,
        help: l.help,
        file: l.file,
        line: l.line,
        column: l.column,
        offset: None,
        length: None,
    };
    if let (Some(file), Some(line)) = (&d.file, d.line)
        && let Some(text) = finder.text(file)
    {
        let mut offset = offset_of(text, line, d.column.unwrap_or(1));
        let mut length = token_length(text, offset);
        // A policy's annotation problem is reported at its `@id`; point at the annotation the
        // message names when the policy has it.
        if d.column.is_none()
            && let Some(key) = named_annotation(&d.message)
            && let Some((at, len)) = annotation_at(text, offset, key)
        {
            (offset, length) = (at, len);
        }
        let (line, column) = crate::policy::line_col(text, offset);
        (d.line, d.column, d.offset, d.length) = (Some(line), Some(column), Some(offset), Some(length));
    }
    d
}

/// The annotation a message names first, as in "`@requirement(\"X\")` is not in the blueprint".
fn named_annotation(message: &str) -> Option<&str> {
    let start = message.find("`@")? + 2;
    let rest = message.get(start..)?;
    let end = rest.find(|c: char| !c.is_alphanumeric())?;
    rest.get(..end)
}

/// Where the first `permit` or `forbid` keyword (followed by `(`) is.
fn effect_at(text: &str) -> Option<usize> {
    ["permit", "forbid"]
        .iter()
        .flat_map(|e| text.match_indices(e).map(|(i, m)| (i, m.len())))
        .filter(|(i, len)| {
            let before = i.checked_sub(1).and_then(|b| text.get(b..*i));
            let after = text.get(i + len..).map(str::trim_start);
            before.is_none_or(|c| c.chars().all(char::is_whitespace)) && after.is_some_and(|a| a.starts_with('('))
        })
        .map(|(i, _)| i)
        .min()
}

/// `@key(...)` in the policy that starts at `from`: its offset and length.
fn annotation_at(text: &str, from: usize, key: &str) -> Option<(usize, usize)> {
    let rest = text.get(from..)?;
    // Only within this policy: annotations come before its effect (`permit (` or `forbid (`,
    // not the words inside an annotation such as `@id("people.permit")`).
    let policy_end = effect_at(rest).unwrap_or(rest.len());
    let i = rest.get(..policy_end)?.find(&format!("@{key}("))?;
    let len = rest.get(i..policy_end)?.find(')').map(|e| e + 1)?;
    Some((from + i, len))
}

/// The checks run on a bundle that loaded.
struct Checks<'b> {
    bundle: &'b Bundle,
    finder: &'b Finder<'b>,
}

impl Checks<'_> {
    fn run(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        self.blueprint_cells(&mut out);
        self.requirements_enforced(&mut out);
        self.policies_listed(&mut out);
        self.policy_iris(&mut out);
        self.blueprint_iris(&mut out);
        self.datasets(&mut out);
        self.local_files(&mut out);
        self.cedar_warnings(&mut out);
        out
    }

    /// Cedar's validation warnings (a policy that can never apply, confusable or mixed-script
    /// identifiers and strings), located in the policy's file.
    fn cedar_warnings(&self, out: &mut Vec<Diagnostic>) {
        let policies = &self.bundle.policies;
        let result = cedar_policy::Validator::new(policies.schema.clone())
            .validate(&policies.all, cedar_policy::ValidationMode::Strict);
        for w in result.validation_warnings() {
            let id = w.policy_id().to_string();
            let mut d = problem(
                Severity::Warning,
                "cedar_warning",
                format!("policy `{id}`: {w}"),
                &miette::Diagnostic::help(w).map(|h| h.to_string()).unwrap_or_else(|| {
                    "a policy that can never apply enforces nothing: check its scope and conditions".to_owned()
                }),
            );
            if let Some(m) = policies.meta.get(&id)
                && let Some(file) = self.finder.files.iter().find(|f| f.name == m.file)
            {
                let offset = crate::policy::first_label(w).unwrap_or_else(|| offset_of(&file.text, m.line.max(1), 1));
                At { file, offset, length: token_length(&file.text, offset).max(1) }.apply(&mut d);
            }
            out.push(d);
        }
    }

    fn blueprint_cells(&self, out: &mut Vec<Diagnostic>) {
        let reqs = &self.bundle.blueprint.requirements;
        for d in Dimension::ALL {
            for s in Safe::ALL {
                if !reqs.values().any(|r| r.dimension == d && r.safe == s) {
                    let mut diag = problem(
                        Severity::Warning,
                        "blueprint_cell",
                        format!("the blueprint has no requirement for {} x {}", d.name(), s.name()),
                        "every dimension x safe cell of the EOSC Interoperability Framework needs a requirement",
                    );
                    if let Some(at) = self.finder.first_of(SourceRole::Blueprint) {
                        at.apply(&mut diag);
                    }
                    out.push(diag);
                }
            }
        }
    }

    fn requirements_enforced(&self, out: &mut Vec<Diagnostic>) {
        let meta = &self.bundle.policies.meta;
        for r in self.bundle.blueprint.requirements.values() {
            let here = |d: &mut Diagnostic| {
                if let Some(at) = self.finder.find_requirement(&r.id, &r.iri) {
                    at.apply(d);
                }
            };
            if r.level == Level::Mandatory && r.enforced_by.is_empty() && !r.checked_at_certification {
                let mut d = problem(
                    Severity::Error,
                    "unenforced_requirement",
                    format!(
                        "mandatory requirement `{}` is neither enforced by a policy nor checked at certification",
                        r.id
                    ),
                    "add `fs:enforcedBy` with the policy's @id, or `fs:checkedAtCertification true`",
                );
                here(&mut d);
                out.push(d);
            }
            for p in &r.enforced_by {
                let message = match meta.get(p) {
                    None => format!("requirement `{}` is enforced by `{p}`, which is not a policy of the bundle", r.id),
                    Some(m) if m.requirement != r.id => {
                        format!("requirement `{}` is enforced by `{p}`, which cites `{}` instead", r.id, m.requirement)
                    }
                    Some(_) => continue,
                };
                let mut d = problem(
                    Severity::Error,
                    "enforced_by",
                    message,
                    "make `fs:enforcedBy` and the policy's @requirement agree",
                );
                here(&mut d);
                out.push(d);
            }
        }
    }

    fn policies_listed(&self, out: &mut Vec<Diagnostic>) {
        let reqs = &self.bundle.blueprint.requirements;
        for m in self.bundle.policies.meta.values().filter(|m| m.member.is_none() && m.effect == Effect::Forbid) {
            let Some(r) = reqs.get(&m.requirement) else { continue };
            if !r.enforced_by.contains(&m.id) {
                let mut d = problem(
                    Severity::Error,
                    "enforced_by",
                    format!(
                        "policy `{}` enforces `{}`, but the requirement does not list it in `fs:enforcedBy`",
                        m.id, r.id
                    ),
                    "add the policy's @id to the requirement's `fs:enforcedBy`",
                );
                if let Some(at) = self.finder.find_in(&m.file, &format!("@requirement(\"{}\")", m.requirement), m.line)
                {
                    at.apply(&mut d);
                }
                out.push(d);
            }
        }
    }

    /// Every IRI a policy names (as a `Concept` uid or a string) is defined by a vocabulary.
    fn policy_iris(&self, out: &mut Vec<Diagnostic>) {
        let policies = &self.bundle.policies;
        for (id, m) in &policies.meta {
            let Some(json) = policies.trees.get(id) else { continue };
            let mut iris = BTreeSet::new();
            collect_iris(json, &mut iris);
            for iri in iris.into_iter().filter(|i| !self.bundle.vocab.defines(i)) {
                let mut d = problem(
                    Severity::Error,
                    "undefined_iri",
                    format!("policy `{id}` uses `{iri}`, which no loaded vocabulary defines"),
                    "define the term in vocab/ or load its vocabulary with --vocab; check for a typo",
                );
                if let Some(at) = self.finder.find_in(&m.file, &format!("\"{iri}\""), m.line) {
                    at.inside_quotes().apply(&mut d);
                }
                out.push(d);
            }
        }
    }

    /// The DPV and DUO terms the blueprint cites are defined.
    fn blueprint_iris(&self, out: &mut Vec<Diagnostic>) {
        for r in self.bundle.blueprint.requirements.values() {
            for t in r.related.iter().filter(|t| !self.bundle.vocab.defines(t)) {
                let mut d = problem(
                    Severity::Error,
                    "undefined_iri",
                    format!("requirement `{}` cites `{t}`, which no loaded vocabulary defines", r.id),
                    "cite a DPV or DUO term the vocabularies define; check for a typo",
                );
                if let Some(at) = self.finder.find_term(t, &[SourceRole::Blueprint]) {
                    at.apply(&mut d);
                }
                out.push(d);
            }
        }
    }

    /// Datasets whose data use cannot be read or that use undefined terms: requests for them
    /// are denied, which is an authoring mistake.
    fn datasets(&self, out: &mut Vec<Diagnostic>) {
        for ds in self.bundle.federation.datasets.values() {
            let mut problems: Vec<(String, String, Option<&str>)> = ds
                .unknown_terms
                .iter()
                .map(|t| {
                    (
                        format!(
                            "dataset `{}` uses `{t}`, which no loaded vocabulary defines; requests for it are denied",
                            ds.id
                        ),
                        "define the term or load its vocabulary with --vocab; check for a typo".to_owned(),
                        Some(t.as_str()),
                    )
                })
                .collect();
            if let Some(e) = &ds.data_use_error {
                problems.push((
                    format!("dataset `{}`: {e}; requests for it are denied", ds.id),
                    "give exactly one DUO permission and DUO modifiers that apply to it".to_owned(),
                    None,
                ));
            }
            for (message, help, term) in problems {
                let mut d = problem(Severity::Error, "dataset_terms", message, &help);
                let at = term
                    .and_then(|t| self.finder.find_term(t, &[SourceRole::Federation]))
                    .or_else(|| self.finder.find_term(&ds.iri, &[SourceRole::Federation]));
                if let Some(at) = at {
                    at.apply(&mut d);
                }
                out.push(d);
            }
        }
    }

    /// A local policy file no member names never applies.
    fn local_files(&self, out: &mut Vec<Diagnostic>) {
        let used: BTreeSet<&str> = self.bundle.cedar.locals.values().map(|f| f.name.as_str()).collect();
        for f in self.finder.files.iter().filter(|f| f.role == SourceRole::LocalPolicy) {
            if !used.contains(f.name.as_str()) {
                let mut d = problem(
                    Severity::Warning,
                    "unused_local_policy",
                    format!("`{}` is not the local policy file of any member, so its rules never apply", f.name),
                    "name it in the member's `fs:localPolicy`, or remove it",
                );
                d.file = Some(f.name.clone());
                out.push(d);
            }
        }
    }
}

fn problem(severity: Severity, code: &str, message: String, help: &str) -> Diagnostic {
    Diagnostic {
        severity,
        code: format!("fivesafes::validate::{code}"),
        message,
        help: Some(help.to_owned()),
        file: None,
        line: None,
        column: None,
        offset: None,
        length: None,
    }
}

/// IRIs in a policy's JSON form: `Concept` entity ids and strings that look like IRIs, in its
/// scope and conditions (annotations are text for people, not terms).
fn collect_iris(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(map) if map.contains_key("effect") => {
            map.iter().filter(|(k, _)| k.as_str() != "annotations").for_each(|(_, x)| collect_iris(x, out));
        }
        serde_json::Value::Object(map) => {
            if let (Some(serde_json::Value::String(t)), Some(serde_json::Value::String(id))) =
                (map.get("type"), map.get("id"))
                && t == crate::bundle::types::CONCEPT
            {
                out.insert(id.clone());
            }
            map.values().for_each(|x| collect_iris(x, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|x| collect_iris(x, out)),
        serde_json::Value::String(s) if s.contains("://") && !s.contains(char::is_whitespace) => {
            out.insert(s.clone());
        }
        _ => {}
    }
}

/// Finds text in the bundle's files, to point a diagnostic at it.
struct Finder<'f> {
    files: &'f [SourceFile],
}

/// A place in a file.
#[derive(Debug, Clone)]
struct At<'f> {
    file: &'f SourceFile,
    offset: usize,
    length: usize,
}

impl At<'_> {
    fn apply(&self, d: &mut Diagnostic) {
        let (line, column) = crate::policy::line_col(&self.file.text, self.offset);
        d.file = Some(self.file.name.clone());
        d.line = Some(line);
        d.column = Some(column);
        d.offset = Some(self.offset);
        d.length = Some(self.length);
    }

    fn inside_quotes(mut self) -> Self {
        self.offset += 1;
        self.length = self.length.saturating_sub(2);
        self
    }
}

impl<'f> Finder<'f> {
    fn text(&self, name: &str) -> Option<&'f str> {
        self.files.iter().find(|f| f.name == name).map(|f| f.text.as_str())
    }

    fn first_of(&self, role: SourceRole) -> Option<At<'f>> {
        self.files.iter().find(|f| f.role == role).map(|file| At { file, offset: 0, length: 0 })
    }

    /// The first occurrence of `needle` in files of these roles.
    fn find(&self, needle: &str, roles: &[SourceRole]) -> Option<At<'f>> {
        if needle.is_empty() {
            return None;
        }
        self.files.iter().filter(|f| roles.contains(&f.role)).find_map(|file| {
            let offset = file.text.find(needle)?;
            let length = token_length(&file.text, offset).max(needle.len());
            Some(At { file, offset, length: length.min(needle.len().max(1)) })
        })
    }

    /// Where an RDF term is written: as a full IRI, else as a prefixed name.
    fn find_term(&self, iri: &str, roles: &[SourceRole]) -> Option<At<'f>> {
        let local = crate::vocab::local_name(iri);
        self.find(iri, roles).or_else(|| {
            if local.is_empty() {
                return None;
            }
            let prefixed = format!(":{local}");
            self.files.iter().filter(|f| roles.contains(&f.role)).find_map(|file| {
                // A prefixed name ends at a space, `;`, `,` or `.` followed by a space.
                let mut from = 0;
                while let Some(i) = file.text.get(from..)?.find(&prefixed) {
                    let start = from + i + 1;
                    let end = start + local.len();
                    let next = file.text.get(end..).and_then(|r| r.chars().next());
                    if next.is_none_or(|c| c.is_whitespace() || matches!(c, ';' | ',' | '.')) {
                        return Some(At { file, offset: start, length: local.len() });
                    }
                    from = end;
                }
                None
            })
        })
    }

    /// The first occurrence of `needle` in a named file at or after a line.
    fn find_in(&self, name: &str, needle: &str, from_line: usize) -> Option<At<'f>> {
        let file = self.files.iter().find(|f| f.name == name)?;
        let start = offset_of(&file.text, from_line.max(1), 1);
        let offset = file.text.get(start..)?.find(needle).map(|o| o + start).or_else(|| file.text.find(needle))?;
        Some(At { file, offset, length: needle.len() })
    }

    /// Where the blueprint describes a requirement: its identifier literal, else its IRI.
    fn find_requirement(&self, id: &str, iri: &str) -> Option<At<'f>> {
        self.find(&format!("\"{id}\""), &[SourceRole::Blueprint])
            .map(At::inside_quotes)
            .or_else(|| self.find_term(iri, &[SourceRole::Blueprint]))
    }
}

/// The byte offset of a 1-based line and (character) column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let within: usize = l.chars().take(column.saturating_sub(1)).map(char::len_utf8).sum();
            return offset + within;
        }
        offset += l.len();
    }
    text.len()
}

/// The length of the token starting at `offset`: a quoted string, a name, or one character.
fn token_length(text: &str, offset: usize) -> usize {
    let Some(rest) = text.get(offset..) else { return 0 };
    let mut chars = rest.chars();
    match chars.next() {
        None => 0,
        Some('"') => rest.get(1..).and_then(|r| r.find('"')).map(|e| e + 2).unwrap_or(1),
        Some(c) if c.is_alphanumeric() || c == '_' || c == '@' => rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '-' | '@')))
            .map(|(i, _)| i)
            .unwrap_or(rest.len()),
        Some(c) => c.len_utf8(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]
    use super::*;
    use crate::embedded;

    fn with(name_end: &str, edit: impl Fn(&str) -> String) -> ValidationReport {
        let mut files = embedded::default_sources();
        for f in files.iter_mut().filter(|f| f.name.ends_with(name_end)) {
            f.text = edit(&f.text);
        }
        validate(&files)
    }

    fn codes(r: &ValidationReport) -> Vec<&str> {
        r.diagnostics.iter().map(|d| d.code.as_str()).collect()
    }

    #[test]
    fn the_embedded_bundle_is_valid() {
        let r = validate(&embedded::default_sources());
        assert!(r.valid, "{:#?}", r.diagnostics);
        assert_eq!(r.errors, 0);
    }

    #[test]
    fn every_syntax_error_of_every_file_is_reported() {
        let mut files = embedded::default_sources();
        for f in files.iter_mut().filter(|f| f.name.ends_with("people.cedar") || f.name.ends_with("nl-odi.cedar")) {
            f.text.push_str("\npermit (principal,");
        }
        let r = validate(&files);
        assert!(!r.valid);
        let files: BTreeSet<_> = r.diagnostics.iter().filter_map(|d| d.file.as_deref()).collect();
        assert!(files.contains("policies/people.cedar") && files.contains("policies/members/nl-odi.cedar"), "{r:#?}");
    }

    #[test]
    fn an_undefined_iri_in_a_policy_is_underlined() {
        let r = with("people.cedar", |t| {
            t.replace("fivesafes#FederationUserAgreement", "fivesafes#FederationUserAgrement")
        });
        let d = r.diagnostics.iter().find(|d| d.code.ends_with("undefined_iri")).unwrap_or_else(|| panic!("{r:#?}"));
        assert_eq!(d.file.as_deref(), Some("policies/people.cedar"));
        let text = embedded::default_sources()
            .into_iter()
            .find(|f| f.name == "policies/people.cedar")
            .map(|f| f.text.replace("UserAgreement", "UserAgrement"))
            .unwrap_or_default();
        let (o, l) = (d.offset.unwrap_or_default(), d.length.unwrap_or_default());
        assert_eq!(text.get(o..o + l), Some("https://w3id.org/fivesafes#FederationUserAgrement"));
    }

    #[test]
    fn several_annotation_problems_are_all_reported_with_positions() {
        let r = with("projects.cedar", |t| {
            t.replacen("@dimension(\"", "@dimension(\"x", 1).replacen("@message(", "@note(", 2)
        });
        let policy: Vec<&Diagnostic> = r.diagnostics.iter().filter(|d| d.code.ends_with("bundle::policy")).collect();
        assert!(policy.len() >= 2, "{r:#?}");
        assert!(policy.iter().all(|d| d.line.is_some() && d.offset.is_some()), "{policy:#?}");
    }

    #[test]
    fn a_policy_that_can_never_apply_is_a_warning() {
        let r = with("members/no-osl.cedar", |t| {
            format!(
                "{t}\n@id(\"no-osl.never\")\n@safe(\"people\")\n@requirement(\"LEG.PEO.2\")\n@dimension(\"legal\")\n@outcome(\"deny\")\n@message(\"never\")\n@member(\"no-osl\")\nforbid (principal, action, resource)\nwhen {{ context.linkage && false }};\n"
            )
        });
        let d = r.diagnostics.iter().find(|d| d.code.ends_with("cedar_warning")).unwrap_or_else(|| panic!("{r:#?}"));
        assert!(r.valid, "a warning leaves the bundle valid");
        assert_eq!(d.file.as_deref(), Some("policies/members/no-osl.cedar"));
        assert!(d.message.contains("no-osl.never"), "{d:?}");
    }

    #[test]
    fn an_annotation_with_a_url_is_not_a_term() {
        let r = with("people.cedar", |t| {
            t.replacen("@id(\"people.identity\")", "@see(\"https://example.org/guide\")\n@id(\"people.identity\")", 1)
        });
        assert!(r.valid, "{r:#?}");
    }

    #[test]
    fn a_bad_annotation_of_a_permit_is_underlined() {
        let r = with("people.cedar", |t| t.replacen("@requirement(\"ORG.PEO.1\")", "@requirement(\"ORG.PEO.77\")", 1));
        let d = r.diagnostics.first().unwrap();
        let text = embedded::default_sources()
            .into_iter()
            .find(|f| f.name == "policies/people.cedar")
            .map(|f| f.text.replacen("@requirement(\"ORG.PEO.1\")", "@requirement(\"ORG.PEO.77\")", 1))
            .unwrap();
        let (o, l) = (d.offset.unwrap(), d.length.unwrap());
        assert_eq!(text.get(o..o + l), Some("@requirement(\"ORG.PEO.77\")"), "{d:?}");
    }

    #[test]
    fn two_broken_rdf_files_are_both_reported() {
        let mut files = embedded::default_sources();
        for f in files.iter_mut().filter(|f| f.name.ends_with("diseases.ttl") || f.name.ends_with("federation.ttl")) {
            f.text.push_str("\n<a> <b> .\n");
        }
        let r = validate(&files);
        let bad: BTreeSet<_> = r.diagnostics.iter().filter_map(|d| d.file.as_deref()).collect();
        assert!(bad.len() >= 2, "{r:#?}");
    }

    #[test]
    fn an_unenforced_mandatory_requirement_is_an_error() {
        let r = with("requirements.ttl", |t| {
            t.replace("fs:checkedAtCertification true", "fs:checkedAtCertification false")
        });
        assert!(codes(&r).contains(&"fivesafes::validate::unenforced_requirement"), "{r:#?}");
        assert!(!r.valid);
    }

    #[test]
    fn a_dataset_with_an_unknown_term_is_an_error_located_in_the_federation() {
        let r = with("federation.ttl", |t| {
            t.replacen("fs:dataUsePermission obo:DUO_0000007", "fs:dataUsePermission obo:DUO_0009999", 1)
        });
        let d = r.diagnostics.iter().find(|d| d.code.ends_with("dataset_terms")).unwrap_or_else(|| panic!("{r:#?}"));
        assert!(d.file.as_deref().is_some_and(|f| f.ends_with("federation.ttl")) && d.line.is_some(), "{d:#?}");
    }
}
