//! Deciding through the WebAssembly engine of a gateway artifact, under the wasmtime host.

use crate::decide::{Format, exit_of, print};
use crate::exit::Exit;
use fivesafes_core::Decision;
use fivesafes_host::{HostError, HostOptions, Sandbox, keys};
use std::path::{Path, PathBuf};

/// Load an artifact with the trusted keys given.
pub fn load(artifact: &Path, trust: &[PathBuf]) -> Result<Sandbox, Exit> {
    let mut trusted_keys = Vec::new();
    for path in trust {
        let pem = crate::sources::read(path).map_err(|e| crate::fail(e, Exit::CannotRead))?;
        trusted_keys.push(keys::read_public(&pem).map_err(|e| crate::fail(e, Exit::InvalidInput))?);
    }
    let bytes = std::fs::read(artifact).map_err(|e| {
        eprintln!("error: cannot read `{}`: {e}", artifact.display());
        Exit::CannotRead
    })?;
    Sandbox::load(&bytes, &HostOptions { trusted_keys, ..HostOptions::default() }).map_err(|e: HostError| {
        let e = miette::Report::new(e).wrap_err(format!("cannot load `{}`", artifact.display()));
        eprintln!("{e:?}");
        Exit::InvalidBundle
    })
}

/// `fivesafes decide --engine wasm --artifact FILE`.
pub fn decide(artifact: &Path, trust: &[PathBuf], request: &str, all_members: bool, format: Format) -> Exit {
    let mut sandbox = match load(artifact, trust) {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    if !sandbox.signature().is_verified() {
        eprintln!(
            "warning: `{}` is {}; pass --trust KEY to require a trusted signature",
            artifact.display(),
            sandbox.signature()
        );
    }
    let json = match sandbox.try_decide(request, all_members) {
        Ok(json) => json,
        Err(stopped) => {
            // Fail closed: the engine could not answer, so the answer is deny, naming why.
            let decision = Decision::failed_under(sandbox.reference().clone(), None, stopped.clone());
            print(&decision, format);
            eprintln!("error: {stopped}");
            return Exit::Deny;
        }
    };
    let decision: Decision = match serde_json::from_str(&json) {
        Ok(d) => d,
        Err(e) => {
            // Never an allow: an answer the host cannot read is reported and denied.
            eprintln!("error: the engine's answer is not a decision: {e}");
            return Exit::Deny;
        }
    };
    // The engine names no request hash exactly when it could not read the request: invalid
    // input, as with the native engine (JSON still gets the deny decision).
    if decision.request_hash.is_none() {
        if format == Format::Json {
            crate::outln!("{}", json);
        }
        for e in &decision.errors {
            eprintln!("error: {e}");
        }
        return Exit::InvalidInput;
    }
    // JSON is passed through byte for byte: it is the engine's own output.
    match format {
        Format::Json => crate::outln!("{}", json),
        Format::Human => print(&decision, format),
    }
    exit_of(&decision)
}
