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

use fivesafes_core::duo::MatchOptions;
use fivesafes_core::{
    Bundle, BundleError, DecideOptions, DecisionRequest, NamedText, SourceFile, decide_json, embedded,
};
use wasm_bindgen::prelude::*;

/// A loaded bundle, ready to decide.
#[wasm_bindgen]
pub struct Engine {
    bundle: Bundle,
}

fn bundle_error(e: &BundleError) -> JsError {
    // The message carries the located diagnostics as JSON after the summary line, so a page
    // can show them inline; `validate` gives them without an exception.
    JsError::new(&format!("{e}\n{}", serde_json::to_string(&e.located()).unwrap_or_default()))
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
        Bundle::load(&embedded::default_sources()).map(|bundle| Engine { bundle }).map_err(|e| bundle_error(&e))
    }

    /// A bundle from its source files: a JSON array of `{"role", "name", "text"}` (roles:
    /// vocabulary, blueprint, schema, baseline-policy, federation, local-policy, keys).
    #[wasm_bindgen(js_name = fromSources)]
    pub fn from_sources(sources: &str) -> Result<Engine, JsError> {
        let files = parse_sources(sources)?;
        Bundle::load(&files).map(|bundle| Engine { bundle }).map_err(|e| bundle_error(&e))
    }

    /// A compiled bundle (JSON, as in a gateway artifact's `bundle.json`): no RDF is parsed.
    #[wasm_bindgen(js_name = fromCompiled)]
    pub fn from_compiled(compiled: &str) -> Result<Engine, JsError> {
        Bundle::from_compiled_json(compiled).map(|bundle| Engine { bundle }).map_err(|e| bundle_error(&e))
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
        let files: Vec<NamedText> = serde_json::from_str(files).map_err(|e| {
            JsError::new(&format!(
                "the test files are not a JSON array of {{name, text}}: {e} (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        let report = fivesafes_core::suite::run_files(&self.bundle, &files, coverage, threshold)
            .map_err(|e| JsError::new(&e.to_string()))?;
        serde_json::to_string_pretty(&report).map_err(|e| JsError::new(&e.to_string()))
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

/// The engine's version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
