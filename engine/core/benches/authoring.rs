//! The policy authors' loop (issue 4): validating the whole example bundle and running its test
//! suites, beside Cedar's own strict validation of the same policies against the same schema.
//! Run: `cargo bench -p fivesafes-core --bench authoring`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    reason = "bench"
)]

use cedar_policy::{PolicySet, Schema, ValidationMode, Validator};
use criterion::{Criterion, criterion_group, criterion_main};
use fivesafes_core::decision::Trace;
use fivesafes_core::{Bundle, embedded, suite, validate};
use std::path::Path;

/// The example federation's YAML suites (`tests/suites`), as (name, text).
fn suites() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/suites");
    let mut out = Vec::new();
    for dir in [root.clone(), root.join("members")] {
        let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for p in files.into_iter().filter(|p| p.extension().is_some_and(|e| e == "yaml")) {
            out.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap()));
        }
    }
    out
}

fn authoring(c: &mut Criterion) {
    let sources = embedded::default_sources();
    let suites = suites();
    let mut g = c.benchmark_group("authoring");
    g.bench_function("fivesafes validate (example bundle, from source files)", |b| {
        b.iter(|| {
            let report = validate(&sources);
            assert!(report.valid);
        })
    });
    g.bench_function("fivesafes test (load + every YAML suite)", |b| {
        b.iter(|| {
            let bundle = Bundle::load(&sources).unwrap();
            let mut trace = Trace::default();
            for (name, text) in &suites {
                let result = suite::run(&bundle, name, text, &mut trace).unwrap();
                assert!(result.cases.iter().all(|c| c.passed), "{name}");
            }
        })
    });
    // The peer: Cedar's strict validation (what `cedar validate` does) of the same policies.
    let cedar = Bundle::load(&sources).unwrap().compiled().cedar;
    let schema_text = &cedar.schema.text;
    let policy_text: String =
        cedar.baseline.iter().chain(cedar.locals.values()).map(|f| f.text.as_str()).collect::<Vec<_>>().join("\n");
    g.bench_function("cedar: parse schema and policies, strict validation", |b| {
        b.iter(|| {
            let (schema, _) = Schema::from_cedarschema_str(schema_text).unwrap();
            let set: PolicySet = policy_text.parse().unwrap();
            let result = Validator::new(schema).validate(&set, ValidationMode::Strict);
            assert!(result.validation_passed());
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = authoring
}
criterion_main!(benches);
