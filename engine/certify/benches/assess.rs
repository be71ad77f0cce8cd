//! Certification speed (issue 6): assessing one TRE against the whole blueprint (reading its
//! self-description, canonicalising and hashing the evidence graph, running the 27 checks,
//! grading) and the whole example federation, plus building the assessor from the bundle.
//! Run: `cargo bench -p fivesafes-certify --bench assess`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    reason = "bench"
)]

use criterion::{Criterion, criterion_group, criterion_main};
use fivesafes_certify::satre::read_sheet;
use fivesafes_certify::{Assessor, read_description};
use fivesafes_core::day::Day;
use std::path::Path;

fn descriptions() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/federation/descriptions");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "ttl" || e == "jsonld"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect()
}

fn assess(c: &mut Criterion) {
    let sources = fivesafes_core::embedded::default_sources();
    let assessor = Assessor::new(&sources).unwrap();
    let day = Day::parse("2026-11-22").unwrap();
    let all = descriptions();
    let (name, de_hd) = all.iter().find(|(n, _)| n.ends_with("de-hd.ttl")).unwrap().clone();
    let sheet_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/certification/satre/v2-complete.csv");
    let sheet_bytes = std::fs::read(&sheet_path).unwrap();
    let mut g = c.benchmark_group("certification");
    g.bench_function("assess one TRE (de-hd, 27 checks)", |b| {
        b.iter(|| {
            let d = read_description(&name, &de_hd, None).unwrap();
            let a = assessor.assess(&d, None, day).unwrap();
            assert!(a.certified);
        })
    });
    g.bench_function("assess one TRE with a complete SATRE v2 sheet (185 statements)", |b| {
        b.iter(|| {
            let sheet = read_sheet("v2-complete.csv", &sheet_bytes).unwrap();
            let d = read_description(&name, &de_hd, Some(&sheet)).unwrap();
            assessor.assess(&d, Some(&sheet), day).unwrap()
        })
    });
    g.bench_function("assess the example federation (7 members)", |b| {
        b.iter(|| {
            for (n, bytes) in &all {
                let d = read_description(n, bytes, None).unwrap();
                assessor.assess(&d, None, day).unwrap();
            }
        })
    });
    g.bench_function("build the assessor from the bundle (once per run)", |b| {
        b.iter(|| Assessor::new(&sources).unwrap())
    });
    g.finish();
}

criterion_group!(benches, assess);
criterion_main!(benches);
