//! # fivesafes-host
//!
//! What a gateway written in Rust embeds to run fivesafes in a sandbox: the engine as a
//! WebAssembly component (`wasm/gateway`, WIT world `fivesafes:engine/gateway`) under
//! wasmtime, fed a compiled bundle, both shipped in one signed artifact.
//!
//! - [`artifact`]: the artifact format (a tar of a manifest, its ed25519 signature and the
//!   parts the manifest hashes), written by `fivesafes build` and checked on every load.
//! - [`keys`]: ed25519 keys in PEM (PKCS#8 private, SPKI public), as `openssl genpkey
//!   -algorithm ed25519` writes them.
//! - [`sandbox`]: the host: verify, instantiate once, decide many times, with a time budget (epoch interruption)
//!   and a memory cap per call; an engine that runs out ends the call as a deny that names
//!   why, and the host instantiates afresh for the next call.
//!
//! ```no_run
//! use fivesafes_host::{HostOptions, Sandbox, keys};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let artifact = std::fs::read("federation.fsb")?;
//! let trusted = vec![keys::read_public(&std::fs::read_to_string("release.pub.pem")?)?];
//! let mut host = Sandbox::load(&artifact, &HostOptions { trusted_keys: trusted, ..HostOptions::default() })?;
//! let decision = host.decide(r#"{"...": "a request"}"#, false); // JSON text; deny on any error
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod artifact;
pub mod error;
pub mod keys;
pub mod sandbox;

pub use artifact::{Artifact, Manifest, SignatureStatus};
pub use error::HostError;
pub use sandbox::{EngineCode, HostOptions, Limits, Sandbox};
