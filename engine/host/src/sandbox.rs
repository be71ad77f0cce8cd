//! The wasmtime host: the engine component instantiated once and called many times, each call
//! with a time budget (wasmtime's epoch interruption) and under a memory cap.
//!
//! The component gets an empty WASI context: no files, no environment, no clock it needs, no
//! network; its standard error goes to a bounded buffer, whose tail is quoted when a call
//! traps. A call that traps (out of time, over the memory cap, a panic in the engine) is
//! answered with a deny that names the trap, the instance is dropped, and the next call runs
//! in a fresh one with the bundle loaded again.

use crate::artifact::{self, Artifact, SignatureStatus};
use crate::error::HostError;
use ed25519_dalek::VerifyingKey;
use fivesafes_core::{BundleRef, Decision};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Host bindings generated from the engine's WIT world.
mod bindings {
    #![allow(missing_docs)]
    wasmtime::component::bindgen!({ world: "gateway", path: "../../wasm/gateway/wit" });
}
use bindings::{Gateway, GatewayPre};

/// Resource limits of one call into the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time one call may take (loading the bundle into a fresh instance is a call
    /// too). Measured in ticks of [`TICK`], so a call may run up to one tick longer.
    pub time: Duration,
    /// Bytes of linear memory the engine may hold.
    pub memory_bytes: usize,
}

impl Default for Limits {
    /// 5 seconds per call (the largest example decision, all seven members, takes under a
    /// millisecond; loading the example bundle about 40 ms) and 1 GiB.
    fn default() -> Self {
        Limits { time: Duration::from_secs(5), memory_bytes: 1 << 30 }
    }
}

/// How often the host's clock advances the engine's epoch: the granularity of
/// [`Limits::time`].
pub const TICK: Duration = Duration::from_millis(5);

/// Advances an engine's epoch every [`TICK`] on a thread of its own, until dropped. Epoch
/// checks cost a compare per function entry and loop header, where fuel metering costs a
/// counter update per block: with fuel a decision took 1.96x native, with epochs 1.69x
/// (BENCHMARKS.md).
struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Ticker {
    fn start(engine: &Engine) -> Result<Ticker, HostError> {
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, engine) = (Arc::clone(&stop), engine.clone());
        let thread = std::thread::Builder::new()
            .name("fivesafes-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::park_timeout(TICK);
                    engine.increment_epoch();
                }
            })
            .map_err(|e| HostError::engine(format!("cannot start the host's clock thread: {e}")))?;
        Ok(Ticker { stop, thread: Some(thread) })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// Ticks of [`TICK`] that cover a duration (none for zero: interrupted at the first check).
fn ticks(time: Duration) -> u64 {
    let tick = TICK.as_nanos().max(1);
    u64::try_from(time.as_nanos().div_ceil(tick)).unwrap_or(u64::MAX)
}

/// How to load an artifact.
#[derive(Debug, Clone, Default)]
pub struct HostOptions {
    /// Public keys whose signature is trusted. When any is given, unsigned artifacts and
    /// artifacts signed by other keys are refused.
    pub trusted_keys: Vec<VerifyingKey>,
    /// Per-call limits.
    pub limits: Limits,
}

/// The configuration of the wasmtime engine the host runs; `engine.cwasm` is only usable when
/// precompiled under the same.
pub fn engine_config() -> Config {
    let mut config = Config::new();
    config.epoch_interruption(true);
    config.wasm_component_model(true);
    // No map from machine code back to wasm offsets: it is only for naming wasm offsets in
    // trap backtraces, which the host does not report (it reports the trap and the engine's
    // stderr), and it is a tenth of the precompiled engine, which every cold load hashes
    // and maps.
    config.generate_address_map(false);
    config
}

/// What `engine.cwasm` is compiled for: runtime and target; an artifact's precompiled engine
/// is used only on a host that says the same.
pub fn precompiled_for() -> String {
    format!("wasmtime 48.0.8 {}-{}", std::env::consts::ARCH, std::env::consts::OS)
}

/// Precompile the engine component for this host (what `fivesafes build` stores as
/// `engine.cwasm`).
pub fn precompile(engine_wasm: &[u8]) -> Result<Vec<u8>, HostError> {
    let engine = Engine::new(&engine_config()).map_err(HostError::engine)?;
    engine.precompile_component(engine_wasm).map_err(HostError::engine)
}

struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

struct Live {
    store: Store<State>,
    gateway: Gateway,
    stderr: MemoryOutputPipe,
}

/// How the engine was obtained when the artifact loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineCode {
    /// Compiled from `engine.wasm` by Cranelift.
    Compiled,
    /// `engine.cwasm`, precompiled and signed by a trusted key.
    Precompiled,
}

/// A loaded artifact, ready to decide.
pub struct Sandbox {
    engine: Engine,
    /// The clock of `engine`'s epochs, shared by the sandboxes that run the same engine.
    ticker: Arc<Ticker>,
    pre: GatewayPre<State>,
    bundle: String,
    reference: BundleRef,
    signature: SignatureStatus,
    code: EngineCode,
    artifact_id: String,
    /// `blake3:` of the running engine component (as in manifests).
    engine_hash: String,
    /// `blake3:` of the precompiled engine, when that is what runs.
    precompiled_hash: Option<String>,
    limits: Limits,
    live: Option<Live>,
}

/// The one field of a decision the host checks before passing the engine's answer on.
#[derive(serde::Deserialize)]
struct Verdict {
    #[allow(dead_code, reason = "read to check the answer names an outcome")]
    decision: fivesafes_core::Outcome,
}

/// Limits on the component's own structure (the engine has one memory and a few tables).
const MAX_MEMORIES: usize = 4;
const MAX_TABLES: usize = 16;
const MAX_INSTANCES: usize = 16;
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

/// Bytes of the engine's standard error kept for error messages.
const STDERR_CAPACITY: usize = 64 * 1024;

impl Sandbox {
    /// Read and verify an artifact, prepare its engine and load its bundle into a first
    /// instance. Refused when the artifact is malformed, altered, or not signed as
    /// `options.trusted_keys` require, or when the engine refuses the bundle.
    pub fn load(bytes: &[u8], options: &HostOptions) -> Result<Sandbox, HostError> {
        let artifact = artifact::read(bytes, &options.trusted_keys)?;
        Sandbox::from_artifact(artifact, options.limits)
    }

    /// Prepare an already read and checked artifact.
    pub fn from_artifact(artifact: Artifact<'_>, limits: Limits) -> Result<Sandbox, HostError> {
        if artifact.engine_reused {
            return Err(HostError::Malformed {
                message: "the artifact was read without its engine; reload it into the sandbox that runs it".into(),
            });
        }
        let engine_hash = artifact
            .part_hash(artifact::ENGINE)
            .ok_or_else(|| HostError::Malformed { message: "the manifest lists no engine".into() })?
            .to_owned();
        let engine = Engine::new(&engine_config()).map_err(HostError::engine)?;
        let ticker = Arc::new(Ticker::start(&engine)?);
        let (component, code) = component(&engine, &artifact)?;
        let precompiled_hash = (code == EngineCode::Precompiled)
            .then(|| artifact.part_hash(artifact::PRECOMPILED).map(str::to_owned))
            .flatten();
        let mut linker: Linker<State> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(HostError::engine)?;
        let pre = linker.instantiate_pre(&component).map_err(HostError::engine)?;
        let pre = GatewayPre::new(pre).map_err(HostError::engine)?;
        let mut sandbox = Sandbox {
            engine,
            ticker,
            pre,
            bundle: artifact.bundle.to_owned(),
            reference: artifact.manifest.bundle,
            signature: artifact.signature,
            code,
            precompiled_hash,
            artifact_id: artifact.id,
            engine_hash,
            limits,
            live: None,
        };
        sandbox.instantiate()?;
        Ok(sandbox)
    }

    /// Load another artifact in place of this one, atomically: on any failure this sandbox is
    /// unchanged and keeps deciding with the bundle it had. When the new artifact carries the
    /// engine this sandbox already runs (the usual case: a new bundle, the same engine), the
    /// engine is not read, hashed or compiled again; only the manifest, its signature and the
    /// bundle are checked, and the bundle is loaded into a fresh instance.
    pub fn reload(&mut self, bytes: &[u8], options: &HostOptions) -> Result<(), HostError> {
        let artifact = artifact::read_with(bytes, &options.trusted_keys, Some(&self.engine_hash))?;
        // Precompiled code keeps running only for an artifact that a trusted key signed and
        // that carries the very same precompiled engine; otherwise load it afresh.
        let code_still_trusted = match &self.precompiled_hash {
            None => true,
            Some(running) => {
                artifact.signature.is_verified() && artifact.part_hash(artifact::PRECOMPILED) == Some(running.as_str())
            }
        };
        if !artifact.engine_reused || !code_still_trusted {
            let artifact =
                if artifact.engine_reused { artifact::read(bytes, &options.trusted_keys)? } else { artifact };
            *self = Sandbox::from_artifact(artifact, options.limits)?;
            return Ok(());
        }
        let mut next = Sandbox {
            engine: self.engine.clone(),
            ticker: Arc::clone(&self.ticker),
            pre: self.pre.clone(),
            bundle: artifact.bundle.to_owned(),
            reference: artifact.manifest.bundle,
            signature: artifact.signature,
            code: self.code,
            artifact_id: artifact.id,
            engine_hash: self.engine_hash.clone(),
            precompiled_hash: self.precompiled_hash.clone(),
            limits: options.limits,
            live: None,
        };
        next.instantiate()?;
        *self = next;
        Ok(())
    }

    /// Another sandbox running the same engine and bundle, with an instance of its own: for a
    /// host that decides on several threads at once (each thread a sandbox). The artifact is
    /// not read, verified or compiled again; only a fresh instance is made and the bundle
    /// loaded into it.
    pub fn fork(&self) -> Result<Sandbox, HostError> {
        let mut twin = Sandbox {
            engine: self.engine.clone(),
            ticker: Arc::clone(&self.ticker),
            pre: self.pre.clone(),
            bundle: self.bundle.clone(),
            reference: self.reference.clone(),
            signature: self.signature.clone(),
            code: self.code,
            artifact_id: self.artifact_id.clone(),
            engine_hash: self.engine_hash.clone(),
            precompiled_hash: self.precompiled_hash.clone(),
            limits: self.limits,
            live: None,
        };
        twin.instantiate()?;
        Ok(twin)
    }

    /// The compiled bundle this sandbox loads (JSON, checked against the artifact's manifest
    /// when the artifact was read).
    pub fn compiled_bundle(&self) -> &str {
        &self.bundle
    }

    fn instantiate(&mut self) -> Result<&mut Live, HostError> {
        let live = match self.live.take() {
            Some(live) => live,
            None => {
                let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
                let wasi = WasiCtx::builder().stderr(stderr.clone()).build();
                // The cap holds for the whole component: few memories, tables and instances
                // (the engine needs one memory), each memory under the cap.
                let limits = StoreLimitsBuilder::new()
                    .memory_size(self.limits.memory_bytes)
                    .memories(MAX_MEMORIES)
                    .tables(MAX_TABLES)
                    .instances(MAX_INSTANCES)
                    .table_elements(MAX_TABLE_ELEMENTS)
                    .trap_on_grow_failure(true)
                    .build();
                let mut store = Store::new(&self.engine, State { wasi, table: ResourceTable::new(), limits });
                store.limiter(|s| &mut s.limits);
                store.set_epoch_deadline(ticks(self.limits.time));
                let gateway =
                    self.pre.instantiate(&mut store).map_err(|trap| HostError::engine(trapped(&trap, &stderr)))?;
                let loaded = gateway
                    .fivesafes_engine_decider()
                    .call_load(&mut store, &self.bundle)
                    .map_err(|trap| HostError::engine(trapped(&trap, &stderr)))?;
                let loaded = loaded.map_err(|message| HostError::Bundle { message })?;
                // The bundle must be the one the manifest names (and the signature covers).
                let named: Option<BundleRef> = serde_json::from_str(&loaded).ok();
                if named.as_ref() != Some(&self.reference) {
                    return Err(HostError::Tampered {
                        message: format!("the manifest names bundle {:?}, the engine loaded {loaded}", self.reference),
                    });
                }
                Live { store, gateway, stderr }
            }
        };
        Ok(self.live.insert(live))
    }

    /// Run one call with a fresh time budget; a trap drops the instance and becomes the error
    /// message.
    fn call<R>(&mut self, f: impl FnOnce(&Gateway, &mut Store<State>) -> wasmtime::Result<R>) -> Result<R, String> {
        let deadline = ticks(self.limits.time);
        let live = self.instantiate().map_err(|e| e.to_string())?;
        live.store.set_epoch_deadline(deadline);
        match f(&live.gateway, &mut live.store) {
            Ok(r) => Ok(r),
            Err(trap) => {
                let message = trapped(&trap, &live.stderr);
                self.live = None;
                Err(format!("the engine stopped: {message}"))
            }
        }
    }

    /// Decide a request (JSON text). Always a decision, as JSON text: a request the engine
    /// cannot read, or a call that runs out of time or memory, is a deny naming the error.
    pub fn decide(&mut self, request: &str, all_members: bool) -> String {
        let answer = self.try_decide(request, all_members).and_then(|json| {
            // Never pass on what is not a decision: an answer that is not JSON with an outcome
            // is a deny too. (A scan, not a full parse: it costs a few microseconds.)
            match serde_json::from_str::<Verdict>(&json) {
                Ok(_) => Ok(json),
                Err(e) => Err(format!("the engine's answer is not a decision: {e}")),
            }
        });
        answer.unwrap_or_else(|message| Decision::failed_under(self.reference.clone(), None, message).to_json())
    }

    /// Decide a request: the engine's decision (JSON text), or why the engine stopped
    /// (time, memory, a trap) — which a caller must treat as a deny.
    pub fn try_decide(&mut self, request: &str, all_members: bool) -> Result<String, String> {
        self.call(|g, s| g.fivesafes_engine_decider().call_decide(s, request, all_members))
    }

    /// DUO matching with the bundle's vocabularies: the match result as JSON, or the error.
    pub fn duo_match(&mut self, purpose: &str, dataset: &str, duos_strict: bool) -> Result<String, String> {
        self.call(|g, s| g.fivesafes_engine_decider().call_duo_match(s, purpose, dataset, duos_strict))?
    }

    /// Change the per-call limits. The current instance is dropped: the next call runs in a
    /// fresh one created under the new limits (the bundle is loaded again within them).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
        self.live = None;
    }

    /// The per-call limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The bundle, as decisions name it.
    pub fn reference(&self) -> &BundleRef {
        &self.reference
    }

    /// What the signature check found.
    pub fn signature(&self) -> &SignatureStatus {
        &self.signature
    }

    /// How the engine's code was obtained.
    pub fn code(&self) -> EngineCode {
        self.code
    }

    /// The loaded artifact's identity: `sha256:` of its manifest.
    pub fn artifact_id(&self) -> &str {
        &self.artifact_id
    }
}

/// The engine's code: the precompiled part when it is for this host and a trusted key signed
/// it (loading precompiled code runs it natively, so it must be trusted); otherwise compiled
/// from the component, which the sandbox makes safe whoever wrote it.
fn component(engine: &Engine, artifact: &Artifact<'_>) -> Result<(Component, EngineCode), HostError> {
    if let Some(precompiled) = &artifact.precompiled
        && artifact.signature.is_verified()
        && artifact.manifest.precompiled_for.as_deref() == Some(precompiled_for().as_str())
    {
        // SAFETY: wasmtime requires that deserialized bytes come from `precompile_component`
        // of a compatible engine. They do: the manifest records the runtime and target, its
        // hash covers these bytes, and a trusted key signed the manifest. wasmtime also checks
        // the version and configuration recorded in the bytes and refuses a mismatch.
        #[allow(unsafe_code)]
        let loaded = unsafe { Component::deserialize(engine, precompiled) };
        if let Ok(component) = loaded {
            return Ok((component, EngineCode::Precompiled));
        }
    }
    let component = Component::new(engine, artifact.engine).map_err(HostError::engine)?;
    Ok((component, EngineCode::Compiled))
}

fn trapped(trap: &wasmtime::Error, stderr: &MemoryOutputPipe) -> String {
    let mut message = match trap.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::Interrupt) => "it ran out of time (the per-call limit)".to_owned(),
        Some(wasmtime::Trap::UnreachableCodeReached) => "it aborted (a panic or an allocation failure)".to_owned(),
        _ => format!("{trap:#}"),
    };
    if format!("{trap:#}").contains("forcing trap when growing memory") {
        message = "it reached the memory cap (the per-call limit)".to_owned();
    }
    let err = String::from_utf8_lossy(&stderr.contents()).trim().to_owned();
    if !err.is_empty() {
        let tail: String = err.chars().rev().take(500).collect::<Vec<_>>().into_iter().rev().collect();
        message.push_str(&format!("; engine said: {tail}"));
    }
    message
}
