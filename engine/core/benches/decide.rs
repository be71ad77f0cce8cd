//! Per-member decision latency: the engine on the example federation (one member) and on
//! generated federations of 30 and 1,000 members, against a bare Cedar `is_authorized` over the
//! same policies, entities and requests. Run: `cargo bench -p fivesafes-core --bench decide`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    reason = "bench"
)]

use cedar_policy::{Authorizer, Entities, Entity};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fivesafes_core::decision::cedar_calls;
use fivesafes_core::{Bundle, DecideOptions, DecisionRequest, SourceFile, SourceRole, decide, embedded};
use std::fmt::Write;

/// The allocator the `fivesafes` binary (CLI and service) runs with, for the engine and bare Cedar alike.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A federation of `n` members in EU countries, each holding one GRU dataset, each with one local rule.
fn generated(n: usize) -> Vec<SourceFile> {
    let countries = ["DE", "FR", "NL", "FI", "ES", "IT", "SE", "PL"];
    let mut ttl = String::from(
        "@prefix fs: <https://w3id.org/fivesafes#> .\n@prefix fsj: <https://w3id.org/fivesafes/jurisdiction#> .\n\
         @prefix dpv: <https://w3id.org/dpv#> .\n@prefix obo: <http://purl.obolibrary.org/obo/> .\n\
         @prefix dcterms: <http://purl.org/dc/terms/> .\n@prefix owl: <http://www.w3.org/2002/07/owl#> .\n\
         @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n@prefix ex: <https://example.org/gen/> .\n\
         ex:fed a fs:Federation ; dcterms:title \"generated\" ; owl:versionInfo \"bench\" .\n",
    );
    let mut files = embedded::baseline();
    for i in 0..n {
        let c = countries[i % countries.len()];
        let _ = writeln!(
            ttl,
            "ex:fed fs:hasMember ex:m{i} .\nex:m{i} a fs:MemberTRE ; dcterms:identifier \"m{i}\" ; fs:country fsj:{c} ; \
             fs:securityTier 3 ; fs:hasControl fs:NoInternetEgress, fs:NoCopyPaste, dpv:MultiFactorAuthentication, \
             dpv:ActivityMonitoring, fs:ManagedDevice ; fs:certifiedUntil \"2030-01-01\"^^xsd:date ; fs:localPolicy \"m{i}.cedar\" .\n\
             ex:d{i} a fs:Dataset ; dcterms:identifier \"d{i}\" ; fs:heldBy ex:m{i} ; fs:dataUsePermission obo:DUO_0000042 ; \
             fs:dataUseModifier obo:DUO_0000019 ; fs:securityTier 2 ; fs:deidentification fs:Pseudonymised ; \
             fs:specialCategory true ; fs:variable \"age_band\", \"sex\", \"bmi\" ."
        );
        files.push(SourceFile::new(
            SourceRole::LocalPolicy,
            format!("members/m{i}.cedar"),
            format!(
                "@id(\"m{i}.researcher-in-eu\") @safe(\"people\") @requirement(\"LEG.PEO.2\") @dimension(\"legal\") \
                 @outcome(\"deny\") @evidence(\"researcher.location\") @member(\"m{i}\") @message(\"researcher outside the EU\")\n\
                 forbid (principal, action, resource) unless {{ principal.location in Concept::\"https://w3id.org/fivesafes/jurisdiction#EU\" }};\n"
            ),
        ));
    }
    files.push(SourceFile::new(SourceRole::Federation, "federation.ttl", ttl));
    files
}

fn request(datasets: &[String]) -> DecisionRequest {
    let approvals: Vec<String> = datasets
        .iter()
        .map(|d| format!(r#"{{"dataset": "{d}", "approved": "2026-01-01", "expires": "2027-12-31", "variables": ["age_band", "sex", "bmi"], "linkage": true}}"#))
        .collect();
    let wanted: Vec<String> =
        datasets.iter().map(|d| format!(r#"{{"id": "{d}", "variables": ["age_band", "sex"]}}"#)).collect();
    let text = format!(
        r#"{{"time": "2026-11-22", "action": "analyse",
        "researcher": {{"id": "https://orcid.org/0000-0002-1825-0097", "affiliation": {{"name": "U", "country": "DE"}}, "location": "DE",
          "accreditations": [{{"scheme": "fs:FederationAccreditedResearcher", "issued": "2025-01-01", "expires": "2028-01-01"}}],
          "training": [{{"course": "fs:FederationDataProtectionCourse", "completed": "2026-01-01", "expires": "2027-01-01"}}],
          "agreements": [{{"agreement": "fs:FederationUserAgreement", "signed": "2026-01-01"}}]}},
        "project": {{"id": "P-1", "purpose": {{"category": "DUO:0000006"}}, "commercial": false,
          "legalBasis": ["eu-gdpr:A6-1-e", "eu-gdpr:A9-2-j"], "dacApprovals": [{}], "start": "2026-01-01", "end": "2027-12-31"}},
        "datasets": [{}]}}"#,
        approvals.join(","),
        wanted.join(",")
    );
    DecisionRequest::from_json(&text).expect("bench request")
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("per_member_decision");
    let example = Bundle::load(&embedded::default_sources()).expect("embedded bundle");
    let example_req = DecisionRequest::from_json(include_str!("../../../examples/requests/01-allow-cardio-de.json"))
        .expect("example");
    let holders = DecideOptions { all_members: false };
    let everywhere = DecideOptions { all_members: true };
    let mut cases: Vec<(String, Bundle, DecisionRequest, DecideOptions)> = vec![
        ("example-1".to_owned(), example.clone(), example_req.clone(), holders),
        ("example-7-all-members".to_owned(), example, example_req, everywhere),
    ];
    for n in [30usize, 1000] {
        let bundle = Bundle::load(&generated(n)).expect("generated bundle");
        let ids: Vec<String> = (0..n).map(|i| format!("d{i}")).collect();
        cases.push((format!("generated-{n}"), bundle.clone(), request(&ids), holders));
        // "Where could this run?": one dataset, every member a candidate site.
        cases.push((format!("generated-{n}-all-members"), bundle, request(&ids[..1]), everywhere));
    }
    for (name, bundle, req, options) in &cases {
        let options = *options;
        let (entities, calls) = cedar_calls(bundle, req, options).expect("cedar calls");
        let members = calls.len() as u64;
        let d = decide(bundle, req, options).expect("decides");
        assert!(d.errors.is_empty(), "{name}: {:?}", d.errors);
        assert_eq!(d.decision.name(), "allow", "{name}: the bench request must be allowed");
        group.throughput(Throughput::Elements(members));
        group.bench_with_input(BenchmarkId::new("fivesafes", name), &(), |b, ()| {
            b.iter(|| decide(bundle, req, options).expect("decides"))
        });
        let authorizer = Authorizer::new();
        group.bench_with_input(BenchmarkId::new("bare-cedar", name), &(), |b, ()| {
            b.iter(|| {
                for (r, set) in &calls {
                    std::hint::black_box(authorizer.is_authorized(r, set, &entities));
                }
            })
        });
        // The same, building the request's entities first, as a gateway calling Cedar directly
        // must for every request (the engine does this inside `decide`).
        let list: Vec<Entity> = entities.iter().cloned().collect();
        group.bench_with_input(BenchmarkId::new("bare-cedar-with-entities", name), &(), |b, ()| {
            b.iter(|| {
                let entities = Entities::from_entities(list.clone(), None).expect("entities");
                for (r, set) in &calls {
                    std::hint::black_box(authorizer.is_authorized(r, set, &entities));
                }
            })
        });
    }
    group.finish();
}

/// What the decision service and the browser run per request: the request's JSON text read and
/// checked against its schema, decided, and the decision written as JSON.
fn json(c: &mut Criterion) {
    let bundle = Bundle::load(&fivesafes_core::embedded::default_sources()).unwrap();
    let mut group = c.benchmark_group("json_in_json_out");
    for (name, file, all_members) in [
        ("example-1", "01-allow-cardio-de.json", false),
        ("example-7-all-members", "01-allow-cardio-de.json", true),
        ("example-2-deny", "02-deny-nl-ethics-always.json", false),
    ] {
        let path = format!("{}/../../examples/requests/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).unwrap();
        let options = fivesafes_core::DecideOptions { all_members };
        group.bench_function(name, |b| b.iter(|| fivesafes_core::decide_json(&bundle, &text, options).to_json()));
    }
    group.finish();
}

criterion_group!(benches, bench, json);
criterion_main!(benches);
