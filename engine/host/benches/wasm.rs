//! The engine native vs the same engine as a WASI component under the wasmtime host, on the
//! same decisions; and the time to load a bundle. Needs the component
//! (`bash wasm/build.sh gateway`). Run: `cargo bench -p fivesafes-host --bench wasm`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs, reason = "bench")]

use criterion::{Criterion, criterion_group, criterion_main};
use fivesafes_core::{Bundle, DecideOptions, decide_json, embedded};
use fivesafes_host::artifact::{self, Contents};
use fivesafes_host::{HostOptions, Sandbox, keys, sandbox};
use std::hint::black_box;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bench(c: &mut Criterion) {
    let engine = std::fs::read(root().join("target/wasm32-wasip2/gateway/fivesafes_gateway.wasm"))
        .expect("the engine component: bash wasm/build.sh gateway");
    let bundle = Bundle::load(&embedded::default_sources()).unwrap();
    let compiled = bundle.to_compiled_json().unwrap();
    let (private, public) = keys::generate().unwrap();
    let key = keys::read_private(&private).unwrap();
    let precompiled = sandbox::precompile(&engine).unwrap();
    let contents = Contents {
        engine: &engine,
        precompiled: Some((&precompiled, sandbox::precompiled_for())),
        bundle: &compiled,
        reference: bundle.reference(),
    };
    let bytes = artifact::build(&contents, Some(&key)).unwrap();
    let options = HostOptions { trusted_keys: vec![keys::read_public(&public).unwrap()], ..HostOptions::default() };
    let mut host = Sandbox::load(&bytes, &options).unwrap();

    let cases =
        [("example-1", "01-allow-cardio-de.json", false), ("example-7-all-members", "01-allow-cardio-de.json", true)];
    let mut group = c.benchmark_group("decide");
    for (name, file, all_members) in cases {
        let request = std::fs::read_to_string(root().join("examples/requests").join(file)).unwrap();
        let options = DecideOptions { all_members };
        assert_eq!(host.decide(&request, all_members), decide_json(&bundle, &request, options).to_json());
        group.bench_function(format!("{name}/native"), |b| {
            b.iter(|| black_box(decide_json(&bundle, &request, options).to_json()))
        });
        group.bench_function(format!("{name}/wasmtime"), |b| b.iter(|| black_box(host.decide(&request, all_members))));
    }
    group.finish();

    let mut group = c.benchmark_group("load");
    group.sample_size(20);
    group.bench_function("native-from-sources", |b| {
        b.iter(|| black_box(Bundle::load(&embedded::default_sources()).unwrap()))
    });
    group.bench_function("native-from-compiled", |b| {
        b.iter(|| black_box(Bundle::from_compiled_json(&compiled).unwrap()))
    });
    group
        .bench_function("wasmtime-signed-artifact", |b| b.iter(|| black_box(Sandbox::load(&bytes, &options).unwrap())));
    group.bench_function("wasmtime-signed-artifact/read-and-verify", |b| {
        b.iter(|| black_box(artifact::read(&bytes, &options.trusted_keys).unwrap()))
    });
    let read = artifact::read(&bytes, &options.trusted_keys).unwrap();
    group.bench_function("wasmtime-signed-artifact/instantiate-and-load-bundle", |b| {
        b.iter(|| black_box(Sandbox::from_artifact(read.clone(), options.limits).unwrap()))
    });
    // A gateway's bundle update: a new signed artifact with the engine it already runs.
    let mut running = Sandbox::load(&bytes, &options).unwrap();
    group.bench_function("wasmtime-reload-same-engine", |b| b.iter(|| running.reload(&bytes, &options).unwrap()));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
