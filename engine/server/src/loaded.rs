//! The bundle the service decides with: loaded from source files (the native engine), or from
//! a gateway artifact (the WebAssembly engine under wasmtime, a pool of sandboxes), and what
//! the service says of it (`GET /v1/bundle`).

use fivesafes_certify::Assessor;
use fivesafes_core::{Bundle, SourceFile};
use fivesafes_host::{EngineCode, HostOptions, Sandbox, SignatureStatus};
use schemars::JsonSchema;
use serde::Serialize;
use std::sync::{Arc, Mutex};

/// Why a bundle could not be loaded: the service keeps the one it has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
#[diagnostic(code(fivesafes::serve::load))]
pub struct LoadError {
    message: String,
}

impl LoadError {
    /// A load failed for this reason.
    pub fn new(message: impl Into<String>) -> LoadError {
        LoadError { message: message.into() }
    }
}

/// Which engine makes the decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// The engine compiled into the service.
    Native,
    /// The engine component of a gateway artifact, sandboxed under wasmtime.
    Wasm,
}

/// The bundle the service decides with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BundleIdentity {
    /// The federation's IRI.
    pub federation: String,
    /// The federation's version.
    pub version: String,
    /// The blueprint's version.
    pub blueprint_version: String,
    /// The bundle's content hash (`sha256:...`), as decisions and the decision log name it.
    pub hash: String,
    /// Which engine decides.
    pub engine: EngineKind,
    /// Where it was loaded from: a bundle directory, an artifact file, or `embedded`.
    pub source: String,
    /// The gateway artifact, when the service runs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<ArtifactIdentity>,
    /// When it was loaded (RFC 3339, UTC).
    pub loaded_at: String,
    /// 1 for the bundle the service started with, one more for each successful reload.
    pub generation: u64,
}

/// A gateway artifact, as loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactIdentity {
    /// `sha256:` of the artifact's manifest.
    pub id: String,
    /// What the signature check found.
    pub signature: Signature,
    /// How the engine's code was obtained: `precompiled` (signed machine code) or `compiled`.
    pub engine_code: String,
    /// Sandboxes deciding in parallel.
    pub instances: usize,
}

/// What the signature check of an artifact found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Signature {
    /// `verified` (a trusted key signed it), `signedUntrusted` (signed, but no trusted keys
    /// were configured) or `unsigned`.
    pub status: String,
    /// The signing key's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

impl From<&SignatureStatus> for Signature {
    fn from(s: &SignatureStatus) -> Signature {
        match s {
            SignatureStatus::Verified { key_id } => {
                Signature { status: "verified".into(), key_id: Some(key_id.clone()) }
            }
            SignatureStatus::SignedUntrusted { key_id } => {
                Signature { status: "signedUntrusted".into(), key_id: Some(key_id.clone()) }
            }
            SignatureStatus::Unsigned => Signature { status: "unsigned".into(), key_id: None },
        }
    }
}

/// A bundle, loaded and ready to decide.
pub struct Loaded {
    /// The bundle, natively: it reads RO-Crates, explains and matches DUO terms; with the
    /// native engine it decides too. From an artifact it is the artifact's compiled bundle,
    /// checked against the signed manifest.
    pub bundle: Bundle,
    /// Assesses TREs against the blueprint (needs the bundle's source files: native only).
    pub assessor: Option<Assessor>,
    /// The sandboxes that decide, when the service runs an artifact.
    pub pool: Option<SandboxPool>,
    /// What `GET /v1/bundle` says.
    pub identity: BundleIdentity,
    /// Decisions already made under this bundle (set by the service; none when off).
    pub cache: Option<crate::cache::DecisionCache>,
}

impl Loaded {
    /// Load a bundle from its source files, for the native engine.
    pub fn native(files: &[SourceFile], source: impl Into<String>) -> Result<Loaded, LoadError> {
        let bundle = Bundle::load(files).map_err(|e| LoadError::new(format!("invalid bundle: {}", render(&e))))?;
        let assessor = Assessor::new(files)
            .map_err(|e| LoadError::new(format!("the blueprint's certification checks: {}", render(&e))))?;
        let identity = identity(&bundle, EngineKind::Native, source.into(), None);
        Ok(Loaded { bundle, assessor: Some(assessor), pool: None, identity, cache: None })
    }

    /// Load a gateway artifact (read, verified against `options.trusted_keys`), with
    /// `instances` sandboxes deciding in parallel.
    pub fn artifact(
        bytes: &[u8],
        options: &HostOptions,
        instances: usize,
        source: impl Into<String>,
    ) -> Result<Loaded, LoadError> {
        let first = Sandbox::load(bytes, options).map_err(|e| LoadError::new(render(&e)))?;
        let bundle = Bundle::from_compiled_json(first.compiled_bundle())
            .map_err(|e| LoadError::new(format!("the artifact's bundle: {}", render(&e))))?;
        let artifact = ArtifactIdentity {
            id: first.artifact_id().to_owned(),
            signature: Signature::from(first.signature()),
            engine_code: match first.code() {
                EngineCode::Precompiled => "precompiled".into(),
                EngineCode::Compiled => "compiled".into(),
            },
            instances: instances.max(1),
        };
        let mut sandboxes = Vec::with_capacity(instances.max(1));
        for _ in 1..instances.max(1) {
            sandboxes.push(first.fork().map_err(|e| LoadError::new(render(&e)))?);
        }
        sandboxes.push(first);
        let identity = identity(&bundle, EngineKind::Wasm, source.into(), Some(artifact));
        Ok(Loaded { bundle, assessor: None, pool: Some(SandboxPool::new(sandboxes)), identity, cache: None })
    }
}

fn identity(bundle: &Bundle, engine: EngineKind, source: String, artifact: Option<ArtifactIdentity>) -> BundleIdentity {
    let r = bundle.reference();
    BundleIdentity {
        federation: r.federation,
        version: r.version,
        blueprint_version: r.blueprint_version,
        hash: r.hash,
        engine,
        source,
        artifact,
        loaded_at: jiff::Timestamp::now().to_string(),
        generation: 1,
    }
}

/// A diagnostic in one line: its message and the messages of its causes.
fn render(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Sandboxes of one artifact, each deciding on one thread at a time.
pub struct SandboxPool {
    idle: Mutex<Vec<Sandbox>>,
    permits: tokio::sync::Semaphore,
}

impl SandboxPool {
    fn new(sandboxes: Vec<Sandbox>) -> SandboxPool {
        let permits = tokio::sync::Semaphore::new(sandboxes.len());
        SandboxPool { idle: Mutex::new(sandboxes), permits }
    }

    /// Run `work` on a sandbox of `loaded`'s pool, on a blocking thread, waiting for one to be
    /// free. `Err` when the pool is gone (a sandbox thread panicked: the sandbox is dropped).
    pub async fn run<R: Send + 'static>(
        loaded: &Arc<Loaded>,
        work: impl FnOnce(&mut Sandbox) -> R + Send + 'static,
    ) -> Result<R, String> {
        let pool = loaded.pool.as_ref().ok_or("this service runs no artifact")?;
        let permit = pool.permits.acquire().await.map_err(|e| e.to_string())?;
        let sandbox = pool.idle.lock().map_err(|_| "the sandbox pool is poisoned".to_owned())?.pop();
        let Some(mut sandbox) = sandbox else {
            return Err("no sandbox is free (the pool lost one)".into());
        };
        match tokio::task::spawn_blocking(move || {
            let r = work(&mut sandbox);
            (sandbox, r)
        })
        .await
        {
            Ok((sandbox, r)) => {
                if let Ok(mut idle) = pool.idle.lock() {
                    idle.push(sandbox);
                }
                drop(permit);
                Ok(r)
            }
            Err(e) => {
                // The sandbox went down with its thread: one permit fewer, for good.
                permit.forget();
                Err(format!("the engine's thread failed: {e}"))
            }
        }
    }
}
