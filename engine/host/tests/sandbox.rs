//! The wasmtime host over the real engine component: decisions identical to the native
//! engine's, limits that end a call as a deny while the host lives on, and artifacts refused
//! when they are not what they claim. Needs the component: `bash wasm/build.sh gateway`
//! (the README's test command builds it first).

use fivesafes_core::{Bundle, DecideOptions, decide_json, embedded};
use fivesafes_host::artifact::{self, Contents};
use fivesafes_host::sandbox::{self, EngineCode};
use fivesafes_host::{HostError, HostOptions, Limits, Sandbox, keys};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Fixture {
    bundle: Bundle,
    engine: Vec<u8>,
    precompiled: Vec<u8>,
    private: String,
    public: String,
}

/// The native bundle, the engine component, and the component precompiled (once per run).
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let path = root().join("target/wasm32-wasip2/gateway/fivesafes_gateway.wasm");
        let engine = std::fs::read(&path).unwrap_or_else(|e| {
            // A missing component is a failure, never a skip.
            #[allow(clippy::panic)]
            {
                panic!("{}: {e}; build it with `bash wasm/build.sh gateway`", path.display())
            }
        });
        #[allow(clippy::expect_used)]
        let bundle = Bundle::load(&embedded::default_sources()).expect("the embedded bundle loads");
        #[allow(clippy::expect_used)]
        let precompiled = sandbox::precompile(&engine).expect("the component precompiles");
        #[allow(clippy::expect_used)]
        let (private, public) = keys::generate().expect("a key pair");
        Fixture { bundle, engine, precompiled, private, public }
    })
}

fn artifact_bytes(signed: bool, precompiled: bool) -> Result<Vec<u8>> {
    let f = fixture();
    let key = if signed { Some(keys::read_private(&f.private)?) } else { None };
    let compiled = f.bundle.to_compiled_json()?;
    let contents = Contents {
        engine: &f.engine,
        precompiled: precompiled.then(|| (f.precompiled.as_slice(), sandbox::precompiled_for())),
        bundle: &compiled,
        reference: f.bundle.reference(),
    };
    Ok(artifact::build(&contents, key.as_ref())?)
}

fn trusted() -> Result<HostOptions> {
    Ok(HostOptions { trusted_keys: vec![keys::read_public(&fixture().public)?], ..HostOptions::default() })
}

fn requests() -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root().join("examples/requests"))? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.ends_with(".json") && !name.ends_with(".expect.json") {
            out.push((name, std::fs::read_to_string(&path)?));
        }
    }
    out.sort();
    Ok(out)
}

#[test]
fn every_example_decides_byte_for_byte_as_natively() -> Result<()> {
    let mut host = Sandbox::load(&artifact_bytes(true, true)?, &trusted()?)?;
    assert_eq!(host.code(), EngineCode::Precompiled);
    assert!(host.signature().is_verified());
    let cases = requests()?;
    assert!(cases.len() >= 25, "the example corpus is there");
    for (name, request) in &cases {
        for all_members in [false, true] {
            let native = decide_json(&fixture().bundle, request, DecideOptions { all_members }).to_json();
            assert_eq!(host.decide(request, all_members), native, "{name}, all members: {all_members}");
        }
    }
    Ok(())
}

#[test]
fn an_unsigned_artifact_is_compiled_not_precompiled() -> Result<()> {
    // Precompiled code runs natively, so it is used only when a trusted key signed it.
    let mut host = Sandbox::load(&artifact_bytes(false, true)?, &HostOptions::default())?;
    assert_eq!(host.code(), EngineCode::Compiled);
    let (name, request) = requests()?.into_iter().next().ok_or("no requests")?;
    let native = decide_json(&fixture().bundle, &request, DecideOptions::default()).to_json();
    assert_eq!(host.decide(&request, false), native, "{name}");
    Ok(())
}

#[test]
fn running_out_of_time_is_a_deny_and_the_host_lives_on() -> Result<()> {
    let mut host = Sandbox::load(&artifact_bytes(true, true)?, &trusted()?)?;
    let (_, request) = requests()?.into_iter().next().ok_or("no requests")?;
    let normal = host.limits();
    let native = decide_json(&fixture().bundle, &request, DecideOptions { all_members: true }).to_json();
    assert_eq!(host.decide(&request, true), native);
    // No time at all: the call is interrupted at its first check (a fresh instance cannot
    // even load the bundle; either way the call ends as a deny).
    host.set_limits(Limits { time: Duration::ZERO, ..normal });
    let starved = host.decide(&request, true);
    assert!(starved.contains("\"decision\": \"deny\""), "{starved}");
    assert!(starved.contains("ran out of time"), "{starved}");
    host.set_limits(normal);
    assert_eq!(host.decide(&request, true), native, "the next call decides normally");
    Ok(())
}

#[test]
fn a_call_that_never_ends_is_interrupted() -> Result<()> {
    // A request whose decision would take far longer than the limit: the all-members decision
    // of a request listing every dataset, with a limit of one tick.
    let mut host = Sandbox::load(&artifact_bytes(true, true)?, &trusted()?)?;
    let (_, request) = requests()?.into_iter().next().ok_or("no requests")?;
    let started = std::time::Instant::now();
    host.set_limits(Limits { time: fivesafes_host::sandbox::TICK, ..host.limits() });
    let mut denied = 0;
    for _ in 0..3 {
        let answer = host.decide(&request, true);
        if answer.contains("ran out of time") {
            denied += 1;
        }
    }
    assert!(denied > 0, "a one-tick limit interrupts loading a bundle (it takes tens of ms)");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "interrupted promptly");
    Ok(())
}

#[test]
fn a_request_over_the_memory_cap_is_a_deny_and_the_host_lives_on() -> Result<()> {
    let mut host = Sandbox::load(&artifact_bytes(true, true)?, &trusted()?)?;
    host.set_limits(Limits { memory_bytes: 256 << 20, ..Limits::default() });
    let (_, request) = requests()?.into_iter().next().ok_or("no requests")?;
    let native = decide_json(&fixture().bundle, &request, DecideOptions::default()).to_json();
    assert_eq!(host.decide(&request, false), native, "a normal request fits");
    let huge = format!("{}{}", " ".repeat(300 << 20), request);
    let answer = host.decide(&huge, false);
    assert!(answer.contains("\"decision\": \"deny\""), "{answer}");
    assert!(answer.contains("the engine stopped"), "{answer}");
    assert_eq!(host.decide(&request, false), native, "the next call decides normally");
    Ok(())
}

#[test]
fn altered_or_untrusted_artifacts_are_refused() -> Result<()> {
    let signed = artifact_bytes(true, false)?;
    // Flip one byte inside the compiled bundle: the manifest's hash no longer matches.
    let at = signed.windows(17).position(|w| w == b"fivesafes-compile").ok_or("bundle text")?;
    let mut altered = signed.clone();
    if let Some(b) = altered.get_mut(at) {
        *b = b'F';
    }
    assert!(matches!(Sandbox::load(&altered, &trusted()?), Err(HostError::Tampered { .. })));
    // Unsigned, while keys are configured.
    assert!(matches!(Sandbox::load(&artifact_bytes(false, false)?, &trusted()?), Err(HostError::Signature { .. })));
    // Signed by a key that is not trusted.
    let (_, other) = keys::generate()?;
    let options = HostOptions { trusted_keys: vec![keys::read_public(&other)?], ..HostOptions::default() };
    assert!(matches!(Sandbox::load(&signed, &options), Err(HostError::Signature { .. })));
    Ok(())
}

#[test]
fn reloading_swaps_bundles_atomically_and_reuses_the_engine() -> Result<()> {
    let signed = artifact_bytes(true, true)?;
    let mut host = Sandbox::load(&signed, &trusted()?)?;
    let (_, request) = requests()?.into_iter().next().ok_or("no requests")?;
    let native = decide_json(&fixture().bundle, &request, DecideOptions::default()).to_json();
    let id = host.artifact_id().to_owned();
    // The same engine: reloaded without reading it again, deciding as before.
    host.reload(&signed, &trusted()?)?;
    assert_eq!(host.artifact_id(), id);
    assert_eq!(host.decide(&request, false), native);
    // A bundle part altered: refused, and the loaded bundle keeps deciding.
    let at = signed.windows(8).position(|w| w == b"permit (").ok_or("policy text")?;
    let mut altered = signed.clone();
    if let Some(b) = altered.get_mut(at) {
        *b = b'P';
    }
    assert!(matches!(host.reload(&altered, &trusted()?), Err(HostError::Tampered { .. })));
    // Unsigned while keys are configured: refused too.
    assert!(matches!(host.reload(&artifact_bytes(false, true)?, &trusted()?), Err(HostError::Signature { .. })));
    assert_eq!(host.decide(&request, false), native, "the old bundle still decides");
    // Precompiled code keeps running only under a trusted signature: an unsigned artifact with
    // the same engine, accepted by a host without keys, is loaded afresh and compiled.
    assert_eq!(host.code(), EngineCode::Precompiled);
    host.reload(&artifact_bytes(false, true)?, &HostOptions::default())?;
    assert_eq!(host.code(), EngineCode::Compiled);
    assert_eq!(host.decide(&request, false), native);
    Ok(())
}
