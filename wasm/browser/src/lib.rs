//! The fivesafes engine for browsers and Node, through wasm-bindgen. Every value crossing the
//! boundary is JSON text in the project's published formats, so a page gets exactly the bytes
//! the native engine writes (`schemas/decision.schema.json`; TypeScript types in
//! `pkg/types/`).
//!
//! ```js
//! import init, { Engine } from "./pkg/fivesafes_wasm.js";
//! await init();
//! const engine = Engine.embedded();            // baseline + example federation
//! const decision = JSON.parse(engine.decide(requestText, false));
//! ```

#[cfg(feature = "certify")]
use fivesafes_certify::{Assessor, EarlFormat};
use fivesafes_core::duo::MatchOptions;
use fivesafes_core::{
    Bundle, BundleError, DecideOptions, DecisionRequest, NamedText, SourceFile, decide_json, embedded,
};
#[cfg(feature = "certify")]
use std::cell::OnceCell;
use wasm_bindgen::prelude::*;

/// A loaded bundle, ready to decide.
#[wasm_bindgen]
pub struct Engine {
    bundle: Bundle,
    /// The bundle's source files, when it was loaded from them: certification reads the
    /// blueprint, the federation and the vocabularies' class hierarchy as RDF.
    #[cfg(feature = "certify")]
    sources: Option<Vec<SourceFile>>,
    /// Built from `sources` by the first assessment, then kept.
    #[cfg(feature = "certify")]
    assessor: OnceCell<Assessor>,
}

impl Engine {
    #[cfg(feature = "certify")]
    fn new(bundle: Bundle, sources: Option<Vec<SourceFile>>) -> Engine {
        Engine { bundle, sources, assessor: OnceCell::new() }
    }

    #[cfg(not(feature = "certify"))]
    fn new(bundle: Bundle, _sources: Option<Vec<SourceFile>>) -> Engine {
        Engine { bundle }
    }

    #[cfg(feature = "certify")]
    fn assessor(&self) -> Result<&Assessor, JsError> {
        if let Some(a) = self.assessor.get() {
            return Ok(a);
        }
        let Some(sources) = &self.sources else {
            return Err(JsError::new(
                "assessments need the bundle's source files: load it with Engine.embedded() or Engine.fromSources(), not from a compiled bundle",
            ));
        };
        let built = Assessor::new(sources).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(self.assessor.get_or_init(|| built))
    }
}

fn bundle_error(e: &BundleError) -> JsError {
    // The message carries the located diagnostics as JSON after the summary line, so a page
    // can show them inline; `validate` gives them without an exception.
    JsError::new(&format!("{e}\n{}", serde_json::to_string(&e.located()).unwrap_or_default()))
}

/// Files given as a JSON array of `{"name", "text"}`; `what` names them in the error.
fn named_texts(files: &str, what: &str) -> Result<Vec<NamedText>, JsError> {
    serde_json::from_str(files).map_err(|e| {
        JsError::new(&format!(
            "{what} are not a JSON array of {{name, text}}: {e} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

fn parse_sources(sources: &str) -> Result<Vec<SourceFile>, JsError> {
    serde_json::from_str(sources).map_err(|e| {
        JsError::new(&format!(
            "the sources are not a JSON array of {{role, name, text}}: {e} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

#[wasm_bindgen]
impl Engine {
    /// The embedded default: the baseline blueprint and the example federation.
    pub fn embedded() -> Result<Engine, JsError> {
        let sources = embedded::default_sources();
        Bundle::load(&sources).map(|bundle| Engine::new(bundle, Some(sources))).map_err(|e| bundle_error(&e))
    }

    /// A bundle from its source files: a JSON array of `{"role", "name", "text"}` (roles:
    /// vocabulary, blueprint, schema, baseline-policy, federation, local-policy, keys).
    #[wasm_bindgen(js_name = fromSources)]
    pub fn from_sources(sources: &str) -> Result<Engine, JsError> {
        let files = parse_sources(sources)?;
        Bundle::load(&files).map(|bundle| Engine::new(bundle, Some(files))).map_err(|e| bundle_error(&e))
    }

    /// A compiled bundle (JSON, as in a gateway artifact's `bundle.json`): no RDF is parsed.
    #[wasm_bindgen(js_name = fromCompiled)]
    pub fn from_compiled(compiled: &str) -> Result<Engine, JsError> {
        Bundle::from_compiled_json(compiled).map(|bundle| Engine::new(bundle, None)).map_err(|e| bundle_error(&e))
    }

    /// Decide a request (JSON text). Always a decision (JSON text, byte for byte what the
    /// native engine writes); a request that cannot be read or judged is a deny naming why.
    pub fn decide(&self, request: &str, all_members: bool) -> String {
        decide_json(&self.bundle, request, DecideOptions { all_members }).to_json()
    }

    /// DUO matching (DUOS semantics) with this bundle's vocabularies: the result as JSON
    /// (`{"result", "rationale", "obligations"}`); bad input throws, naming the JSON path.
    #[wasm_bindgen(js_name = duoMatch)]
    pub fn duo_match(&self, purpose: &str, dataset: &str, duos_strict: bool) -> Result<String, JsError> {
        let options = MatchOptions { duos_strict, ..MatchOptions::default() };
        let result = fivesafes_core::matching::match_json(purpose, dataset, &self.bundle.vocab, &options)
            .map_err(|e| JsError::new(&e.to_string()))?;
        serde_json::to_string_pretty(&result).map_err(|e| JsError::new(&e.to_string()))
    }

    /// How decisions name this bundle (JSON: federation, version, blueprintVersion, hash).
    pub fn reference(&self) -> String {
        serde_json::to_string(&self.bundle.reference()).unwrap_or_default()
    }

    /// Things worth knowing that did not stop the bundle from loading (JSON array of text).
    pub fn warnings(&self) -> String {
        serde_json::to_string(&self.bundle.warnings).unwrap_or_default()
    }

    /// The members and datasets (JSON: `{"members": [{id, name, country, tier}], "datasets":
    /// [{id, title, holder}]}`), for request builders.
    pub fn federation(&self) -> String {
        let fed = &self.bundle.federation;
        let members: Vec<serde_json::Value> = fed
            .members
            .values()
            .map(|m| serde_json::json!({"id": m.id, "name": m.name, "country": m.country, "tier": m.tier}))
            .collect();
        let datasets: Vec<serde_json::Value> = fed
            .datasets
            .values()
            .map(|d| serde_json::json!({"id": d.id, "title": d.title, "holder": d.holder}))
            .collect();
        serde_json::json!({"members": members, "datasets": datasets}).to_string()
    }

    /// Explain a request's decision (JSON, `schemas/explanation.schema.json`, what `fivesafes
    /// explain --format json` writes): every deny and review down to the condition that decided
    /// it and the changes of evidence that flip it. An invalid request throws, naming why.
    pub fn explain(&self, request: &str, all_members: bool) -> Result<String, JsError> {
        let req = DecisionRequest::from_json(request).map_err(|e| JsError::new(&e.to_string()))?;
        let x =
            fivesafes_core::explain(&self.bundle, &req, DecideOptions { all_members }).map_err(|e| JsError::new(&e))?;
        serde_json::to_string_pretty(&x).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Run test files against this bundle: what `fivesafes test --format json` writes (JSON:
    /// `{passed, failed, suites, coverage?, threshold?, coverageMet}`). `files` is a JSON array of
    /// `{"name", "text"}`: YAML suites (`docs/testing.md`), Cedar `run-tests` files (`.json`)
    /// run against the bundle's policies, and the entities files those name (by `name`).
    /// Coverage is measured with `coverage` or a `threshold` (percent). A file that cannot be
    /// read as a suite throws, naming the file and line.
    pub fn test(&self, files: &str, coverage: bool, threshold: Option<f64>) -> Result<String, JsError> {
        let files = named_texts(files, "the test files")?;
        let report = fivesafes_core::suite::run_files(&self.bundle, &files, coverage, threshold)
            .map_err(|e| JsError::new(&e.to_string()))?;
        serde_json::to_string_pretty(&report).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Assess a TRE against the bundle's blueprint, as `fivesafes assess` does (in the
    /// `wasm/pkg-certify` package, built with the `certify` feature). `files` is a JSON
    /// array of `{"name", "text"}`: the TRE's self-description (its extension gives the syntax:
    /// `.ttl`, `.nt`, `.rdf`, `.jsonld`) and, optionally, its SATRE self-assessment sheet (a
    /// `.csv`); `date` is the day to assess for (`YYYY-MM-DD`; the engine never reads the
    /// clock); `format` is `json` (`schemas/assessment.schema.json`), `earl` (EARL in Turtle),
    /// `earl-jsonld` or `html` (a self-contained report). The result is byte for byte what the
    /// CLI writes. Input that cannot be read throws, naming the file and line. Needs a bundle
    /// loaded from its sources (`embedded` or `fromSources`).
    #[cfg(feature = "certify")]
    pub fn assess(&self, files: &str, date: &str, format: &str) -> Result<String, JsError> {
        let error = |e: &dyn std::fmt::Display| JsError::new(&e.to_string());
        enum Report {
            Json,
            Earl(EarlFormat),
            Html,
        }
        let report = match format {
            "json" => Report::Json,
            "earl" => Report::Earl(EarlFormat::Turtle),
            "earl-jsonld" => Report::Earl(EarlFormat::JsonLd),
            "html" => Report::Html,
            other => return Err(JsError::new(&format!("format `{other}`: expected json, earl, earl-jsonld or html"))),
        };
        let files = named_texts(files, "the assessment's files")?;
        let (sheets, descriptions): (Vec<&NamedText>, Vec<&NamedText>) =
            files.iter().partition(|f| f.name.to_ascii_lowercase().ends_with(".csv"));
        let (description, sheet) = match (descriptions.as_slice(), sheets.as_slice()) {
            ([d], [] | [_]) => (*d, sheets.first().copied()),
            ([], _) => return Err(JsError::new("no self-description among the files (a .ttl, .nt, .rdf or .jsonld)")),
            (_, [] | [_]) => {
                let names: Vec<&str> = descriptions.iter().map(|d| d.name.as_str()).collect();
                return Err(JsError::new(&format!(
                    "more than one self-description ({}); assess one at a time",
                    names.join(", ")
                )));
            }
            _ => return Err(JsError::new("more than one SATRE sheet (.csv); give one per description")),
        };
        let day = fivesafes_core::day::Day::parse(date).map_err(|e| JsError::new(&format!("date `{date}`: {e}")))?;
        let assessor = self.assessor()?;
        let sheet = sheet
            .map(|f| fivesafes_certify::satre::read_sheet(&f.name, f.text.as_bytes()))
            .transpose()
            .map_err(|e| error(&e))?;
        let described =
            fivesafes_certify::read_description(&description.name, description.text.as_bytes(), sheet.as_ref())
                .map_err(|e| error(&e))?;
        let assessment = assessor.assess(&described, sheet.as_ref(), day).map_err(|e| error(&e))?;
        match report {
            Report::Json => serde_json::to_string_pretty(&assessment).map(|t| t + "\n").map_err(|e| error(&e)),
            Report::Earl(syntax) => fivesafes_certify::write_earl(&assessment, syntax).map_err(|e| error(&e)),
            Report::Html => Ok(fivesafes_certify::html::report(&assessment)),
        }
    }

    /// The bundle compiled (JSON), for loading later with `fromCompiled`.
    pub fn compiled(&self) -> Result<String, JsError> {
        self.bundle.to_compiled_json().map_err(|e| bundle_error(&e))
    }
}

/// The embedded default's source files (JSON array of `{"role", "name", "text"}`): what the
/// playground starts from and edits.
#[wasm_bindgen(js_name = embeddedSources)]
pub fn embedded_sources() -> String {
    serde_json::to_string(&embedded::default_sources()).unwrap_or_default()
}

/// Check source files without keeping the bundle: JSON `{"valid": bool, "diagnostics":
/// [{code, file, line, column, message, help}], "warnings": [...]}`. Never throws.
pub fn validate_sources(sources: &str) -> String {
    let result = match serde_json::from_str::<Vec<SourceFile>>(sources) {
        Err(e) => serde_json::json!({"valid": false, "diagnostics": [{
            "code": "fivesafes::sources", "file": null, "line": e.line(), "column": e.column(),
            "message": format!("the sources are not a JSON array of {{role, name, text}}: {e}"), "help": null
        }], "warnings": []}),
        Ok(files) => match Bundle::load(&files) {
            Ok(bundle) => serde_json::json!({"valid": true, "diagnostics": [], "warnings": bundle.warnings}),
            Err(e) => serde_json::json!({"valid": false, "diagnostics": e.located(), "warnings": []}),
        },
    };
    result.to_string()
}

/// Validate source files as `fivesafes validate --format json` does (every problem, located,
/// with consistency checks; `schemas/validation.schema.json`). Never throws.
#[wasm_bindgen(js_name = validateReport)]
pub fn validate_report(sources: &str) -> String {
    let report = match serde_json::from_str::<Vec<SourceFile>>(sources) {
        Ok(files) => serde_json::to_value(fivesafes_core::validate(&files)).unwrap_or_default(),
        Err(e) => serde_json::json!({"valid": false, "errors": 1, "warnings": 0, "diagnostics": [{
            "severity": "error", "code": "fivesafes::sources", "line": e.line(), "column": e.column(),
            "message": format!("the sources are not a JSON array of {{role, name, text}}: {e}")
        }]}),
    };
    serde_json::to_string_pretty(&report).unwrap_or_default()
}

/// [`validate_sources`] for JavaScript.
#[wasm_bindgen]
pub fn validate(sources: &str) -> String {
    validate_sources(sources)
}

/// The clock of the SPARQL engine certification runs its checks with (oxsdatatypes'
/// `custom-now`): JavaScript's `Date.now()`, in whole seconds since the Unix epoch.
#[cfg(all(feature = "certify", target_arch = "wasm32", target_os = "unknown"))]
#[unsafe(no_mangle)]
fn custom_ox_now() -> oxsdatatypes::Duration {
    let seconds = (js_sys::Date::now() / 1000.0) as i64;
    oxsdatatypes::DayTimeDuration::new(seconds).into()
}

/// The engine's version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
