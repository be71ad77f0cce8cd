//! A compiled bundle: what a bundle becomes once its RDF has been read (vocabulary hierarchies
//! closed, blueprint and federation extracted), written as one JSON document. Loading it parses
//! no RDF: only the Cedar files are parsed and validated again, so a gateway or a browser gets
//! exactly the engine's checks with none of the vocabulary work.

use crate::blueprint::Blueprint;
use crate::bundle::{Bundle, CedarSources};
use crate::error::BundleError;
use crate::federation::Federation;
use crate::vocab::Vocabulary;
use serde::{Deserialize, Serialize};

/// The format tag of a compiled bundle; a loader refuses any other.
pub const FORMAT: &str = "fivesafes-compiled-bundle/1";

/// A bundle with its RDF already compiled.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompiledBundle {
    /// Always [`FORMAT`].
    pub format: String,
    /// The version of the engine that compiled it.
    pub compiled_by: String,
    /// The hash of the source files (the same as the source bundle's, so decisions made from
    /// the compiled bundle name the same bundle).
    pub hash: String,
    /// Vocabularies: defined terms, parents, ancestors (closed), labels, notations.
    pub vocabulary: Vocabulary,
    /// The requirements catalogue.
    pub blueprint: Blueprint,
    /// Members and datasets.
    pub federation: Federation,
    /// The Cedar schema and policy files.
    pub cedar: CedarSources,
}

impl Bundle {
    /// The bundle in compiled form.
    pub fn compiled(&self) -> CompiledBundle {
        CompiledBundle {
            format: FORMAT.to_owned(),
            compiled_by: format!("fivesafes {}", env!("CARGO_PKG_VERSION")),
            hash: self.hash.clone(),
            vocabulary: self.vocab.clone(),
            blueprint: self.blueprint.clone(),
            federation: self.federation.clone(),
            cedar: self.cedar.clone(),
        }
    }

    /// The compiled bundle as JSON (deterministic: same bundle, same bytes).
    pub fn to_compiled_json(&self) -> Result<String, BundleError> {
        // Every map in the compiled form is ordered, so the text is stable.
        serde_json::to_string(&self.compiled()).map_err(|e| BundleError::Compiled {
            message: format!("cannot be written: {e}"),
            line: 0,
            column: 0,
        })
    }

    /// Load a compiled bundle. No RDF is parsed; the Cedar files are parsed and validated as
    /// when the bundle was first loaded.
    pub fn from_compiled(compiled: CompiledBundle) -> Result<Bundle, BundleError> {
        if compiled.format != FORMAT {
            return Err(BundleError::Compiled {
                message: format!("format `{}` is not `{FORMAT}`", compiled.format),
                line: 0,
                column: 0,
            });
        }
        Bundle::assemble(compiled.vocabulary, compiled.blueprint, compiled.federation, compiled.cedar, compiled.hash)
    }

    /// Load a compiled bundle from its JSON text.
    pub fn from_compiled_json(text: &str) -> Result<Bundle, BundleError> {
        let compiled: CompiledBundle = serde_json::from_str(text).map_err(|e| BundleError::Compiled {
            message: e.to_string(),
            line: e.line(),
            column: e.column(),
        })?;
        Bundle::from_compiled(compiled)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Bundle, DecideOptions, decide_json, embedded};

    #[test]
    fn a_compiled_bundle_decides_as_its_sources_do() -> Result<(), Box<dyn std::error::Error>> {
        let native = Bundle::load(&embedded::default_sources())?;
        let json = native.to_compiled_json()?;
        let compiled = Bundle::from_compiled_json(&json)?;
        assert_eq!(compiled.to_compiled_json()?, json, "compiling is stable");
        assert_eq!(compiled.hash, native.hash);
        let request = include_str!("../../../examples/requests/01-allow-cardio-de.json");
        for all_members in [false, true] {
            let options = DecideOptions { all_members };
            assert_eq!(
                decide_json(&compiled, request, options).to_json(),
                decide_json(&native, request, options).to_json()
            );
        }
        Ok(())
    }

    #[test]
    fn a_compiled_bundle_of_another_format_is_refused() -> Result<(), Box<dyn std::error::Error>> {
        let native = Bundle::load(&embedded::default_sources())?;
        let json = native.to_compiled_json()?.replacen(super::FORMAT, "fivesafes-compiled-bundle/0", 1);
        let err = Bundle::from_compiled_json(&json).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("fivesafes-compiled-bundle/0"), "{err}");
        let err = Bundle::from_compiled_json("{\"format\": 1").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("line 1"), "{err}");
        Ok(())
    }
}
