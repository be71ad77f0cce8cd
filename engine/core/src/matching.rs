//! The JSON contract of `duo match`: a purpose and a dataset's data use conditions, each in DUO
//! terms or in DUOS's DataUse JSON, matched with the bundle's ontologies.

use crate::duo::{self, DataUse, Match, MatchOptions, MatchResult, PurposeFlags, SensitiveFlag};
use crate::error::RequestError;
use crate::vocab::{Vocabulary, expand};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A research purpose in DUO terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PurposeTerms {
    /// The primary category: GRU, HMB, DS or POA (IRI or CURIE).
    pub category: String,
    /// Diseases (IRIs or CURIEs).
    #[serde(default)]
    pub diseases: Vec<String>,
    /// Methods development.
    #[serde(default)]
    pub methods_research: bool,
    /// A genetic study.
    #[serde(default)]
    pub genetic_studies: bool,
    /// Sensitive research areas.
    #[serde(default)]
    pub sensitive: Vec<SensitiveFlag>,
    /// For-profit use (unset: not declared, which is not `false`).
    #[serde(default)]
    pub for_profit: Option<bool>,
}

/// A dataset's data use conditions in DUO terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DatasetTerms {
    /// The data use permission (IRI or CURIE).
    pub permission: String,
    /// Modifiers.
    #[serde(default)]
    pub modifiers: Vec<String>,
    /// Diseases (for DS).
    #[serde(default)]
    pub diseases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PurposeInput {
    Terms(PurposeTerms),
    Duos(DataUse),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum DatasetInput {
    Terms(DatasetTerms),
    Duos(DataUse),
}

fn parse<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, RequestError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| RequestError::Json {
        message: format!("{what}: {e}"),
        line: e.line(),
        column: e.column(),
    })?;
    serde_json::from_value(value).map_err(|_| RequestError::Value {
        path: "/".to_owned(),
        message: format!("the {what} is neither DUO terms nor a DUOS DataUse object"),
    })
}

/// Match a purpose against a dataset, both as JSON text. Unknown terms are reasons in the
/// rationale (and deny), never a crash.
pub fn match_json(
    purpose: &str,
    dataset: &str,
    vocab: &Vocabulary,
    options: &MatchOptions,
) -> Result<Match, RequestError> {
    let mut unknown = Vec::new();
    let mut check = |t: &str| {
        let iri = expand(t);
        if !vocab.defines(&iri) {
            unknown.push(iri.clone());
        }
        iri
    };
    let purpose: Result<DataUse, String> = match parse::<PurposeInput>(purpose, "purpose")? {
        PurposeInput::Terms(p) => {
            let category = check(&p.category);
            let diseases: Vec<String> = p.diseases.iter().map(|d| check(d)).collect();
            let flags = PurposeFlags {
                methods_research: p.methods_research,
                for_profit: p.for_profit,
                genetic_studies: p.genetic_studies,
                sensitive: p.sensitive,
            };
            duo::purpose_from_terms(&category, &diseases, &flags).map_err(|e| e.to_string())
        }
        PurposeInput::Duos(mut d) => {
            d.disease_restrictions = d.disease_restrictions.iter().map(|t| check(t)).collect();
            Ok(d)
        }
    };
    let dataset = match parse::<DatasetInput>(dataset, "dataset")? {
        DatasetInput::Terms(d) => {
            let permission = check(&d.permission);
            let modifiers: Vec<String> = d.modifiers.iter().map(|m| check(m)).collect();
            let diseases: Vec<String> = d.diseases.iter().map(|m| check(m)).collect();
            duo::dataset_from_terms(&permission, &modifiers, &diseases).map_err(|e| e.to_string())
        }
        DatasetInput::Duos(mut d) => {
            d.disease_restrictions = d.disease_restrictions.iter().map(|t| check(t)).collect();
            duo::dataset_from_data_use(d).map_err(|e| e.to_string())
        }
    };
    let mut result = match (purpose, dataset) {
        (Ok(p), Ok(d)) => duo::match_purpose(&p, &d, vocab, options),
        (Err(e), _) => deny(format!("the purpose cannot be read as DUO: {e}")),
        (_, Err(e)) => deny(format!("the dataset's conditions cannot be read as DUO: {e}")),
    };
    if !unknown.is_empty() {
        unknown.sort();
        unknown.dedup();
        for u in &unknown {
            result.rationale.insert(0, format!("`{u}` is not defined by any loaded vocabulary"));
        }
        result.result = MatchResult::Deny;
        result.obligations.clear();
    }
    Ok(result)
}

fn deny(message: String) -> Match {
    Match { result: MatchResult::Deny, rationale: vec![message], obligations: Vec::new() }
}
