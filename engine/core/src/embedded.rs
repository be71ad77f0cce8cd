//! The baseline (vocabularies, blueprint, schema and policies) and the example federation,
//! embedded at build time so the engine works with no files at all.

use crate::bundle::{SourceFile, SourceRole};

macro_rules! source {
    ($role:expr, $path:literal) => {
        ($role, $path, include_str!(concat!("../../../", $path)))
    };
}

const BASELINE: &[(SourceRole, &str, &str)] = &[
    source!(SourceRole::Vocabulary, "vocab/fivesafes.ttl"),
    source!(SourceRole::Vocabulary, "vocab/jurisdictions.ttl"),
    source!(SourceRole::Vocabulary, "vocab/dpv.ttl"),
    source!(SourceRole::Vocabulary, "vocab/duo.owl"),
    source!(SourceRole::Blueprint, "blueprint/requirements.ttl"),
    source!(SourceRole::Schema, "policies/schema.cedarschema"),
    source!(SourceRole::BaselinePolicy, "policies/people.cedar"),
    source!(SourceRole::BaselinePolicy, "policies/projects.cedar"),
    source!(SourceRole::BaselinePolicy, "policies/settings.cedar"),
    source!(SourceRole::BaselinePolicy, "policies/data.cedar"),
    source!(SourceRole::BaselinePolicy, "policies/outputs.cedar"),
];

const EXAMPLE_FEDERATION: &[(SourceRole, &str, &str)] = &[
    source!(SourceRole::Vocabulary, "vocab/diseases.ttl"),
    source!(SourceRole::Federation, "examples/federation/federation.ttl"),
    source!(SourceRole::LocalPolicy, "policies/members/de-hd.cedar"),
    source!(SourceRole::LocalPolicy, "policies/members/fi-fin.cedar"),
    source!(SourceRole::LocalPolicy, "policies/members/nl-odi.cedar"),
    source!(SourceRole::LocalPolicy, "policies/members/es-bcn.cedar"),
    source!(SourceRole::LocalPolicy, "policies/members/no-osl.cedar"),
    source!(SourceRole::LocalPolicy, "policies/members/gb-sail.cedar"),
    source!(SourceRole::LocalPolicy, "policies/members/ch-zrh.cedar"),
    source!(SourceRole::Keys, "examples/federation/keys/federation-aai.jwks.json"),
    source!(SourceRole::Keys, "examples/federation/keys/kaleva-permits.jwks.json"),
];

fn files(list: &[(SourceRole, &str, &str)]) -> Vec<SourceFile> {
    list.iter().map(|(role, name, text)| SourceFile::new(*role, *name, *text)).collect()
}

/// The baseline every bundle builds on: vocabularies, blueprint, Cedar schema and policies.
pub fn baseline() -> Vec<SourceFile> {
    files(BASELINE)
}

/// The example federation (members, datasets, local policies, a disease vocabulary excerpt).
pub fn example_federation() -> Vec<SourceFile> {
    files(EXAMPLE_FEDERATION)
}

/// Where the baseline's files live in the repository layout (role and relative path): tools that
/// read an edited baseline from disk read these.
pub fn baseline_layout() -> Vec<(SourceRole, &'static str)> {
    BASELINE.iter().map(|(role, name, _)| (*role, *name)).collect()
}

/// Where the example federation's files live in the repository layout.
pub fn example_federation_layout() -> Vec<(SourceRole, &'static str)> {
    EXAMPLE_FEDERATION.iter().map(|(role, name, _)| (*role, *name)).collect()
}

/// The embedded default: baseline plus example federation.
pub fn default_sources() -> Vec<SourceFile> {
    let mut all = baseline();
    all.extend(example_federation());
    all
}
