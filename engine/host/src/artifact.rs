//! The gateway artifact: one file a gateway loads, holding the engine and a compiled bundle.
//!
//! It is a tar archive (ustar, entries in a fixed order, every timestamp and owner zero, so the
//! same inputs give the same bytes) of:
//!
//! | entry           | what it is                                                            |
//! |-----------------|-----------------------------------------------------------------------|
//! | `manifest.json` | format, bundle reference, and name, size and BLAKE3 hash of every part |
//! | `manifest.sig`  | optional: ed25519 signature of the exact bytes of `manifest.json`      |
//! | `engine.wasm`   | the engine, a WASI component (`wasm/gateway`, `wit/engine.wit`)        |
//! | `engine.cwasm`  | optional: the engine precompiled for one wasmtime version and target   |
//! | `bundle.json`   | the compiled bundle (`fivesafes_core::CompiledBundle`)                 |
//!
//! Every load checks that the parts are exactly those the manifest lists, with its hashes;
//! the signature binds the manifest and so every part. See `docs/artifact.md`.

use crate::error::HostError;
use crate::keys;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use fivesafes_core::BundleRef;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The format tag of an artifact's manifest.
pub const FORMAT: &str = "fivesafes-artifact/2";
/// The manifest entry.
pub const MANIFEST: &str = "manifest.json";
/// The signature entry.
pub const SIGNATURE: &str = "manifest.sig";
/// The engine component.
pub const ENGINE: &str = "engine.wasm";
/// The engine precompiled by wasmtime.
pub const PRECOMPILED: &str = "engine.cwasm";
/// The compiled bundle.
pub const BUNDLE: &str = "bundle.json";
/// The WIT interface the engine exports.
pub const INTERFACE: &str = "fivesafes:engine/decider@0.1.0";

/// The manifest: what the artifact holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The tool that built it.
    pub created_by: String,
    /// The WIT interface of the engine.
    pub interface: String,
    /// The bundle, as decisions will name it.
    pub bundle: BundleRef,
    /// For `engine.cwasm`: the runtime and target it was compiled for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precompiled_for: Option<String>,
    /// Every part, by name.
    pub parts: Vec<Part>,
}

/// One part of an artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Part {
    /// Its entry name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// `blake3:` and the hex digest of its bytes (BLAKE3, 256 bits). BLAKE3 rather than
    /// SHA-256 because a cold load hashes tens of megabytes of engine: on this machine SHA-256
    /// (with the CPU's SHA extensions) took a third of the load, above the 50 ms target.
    pub blake3: String,
}

/// The signature entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignatureFile {
    /// Always `ed25519`.
    pub algorithm: String,
    /// [`keys::key_id`] of the signing key.
    pub key_id: String,
    /// The signing key's 32 bytes, hex.
    pub public_key: String,
    /// The 64-byte signature of `manifest.json`, hex.
    pub signature: String,
}

/// What the signature check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "status")]
pub enum SignatureStatus {
    /// Signed by a configured trusted key, and the signature holds.
    Verified {
        /// The key.
        key_id: String,
    },
    /// Signed and the signature holds for the key it names, but no trusted keys were
    /// configured, so nothing says that key is trusted.
    SignedUntrusted {
        /// The key.
        key_id: String,
    },
    /// Not signed (accepted only when no trusted keys are configured).
    Unsigned,
}

impl SignatureStatus {
    /// Did a trusted key sign it?
    pub fn is_verified(&self) -> bool {
        matches!(self, SignatureStatus::Verified { .. })
    }
}

impl std::fmt::Display for SignatureStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignatureStatus::Verified { key_id } => write!(f, "signed by trusted key {key_id}, verified"),
            SignatureStatus::SignedUntrusted { key_id } => {
                write!(f, "signed by {key_id}; not checked against trusted keys (none configured)")
            }
            SignatureStatus::Unsigned => write!(f, "unsigned"),
        }
    }
}

/// The inputs of an artifact.
pub struct Contents<'a> {
    /// The engine component.
    pub engine: &'a [u8],
    /// The engine precompiled, and what for.
    pub precompiled: Option<(&'a [u8], String)>,
    /// The compiled bundle (JSON).
    pub bundle: &'a str,
    /// The bundle's reference.
    pub reference: BundleRef,
}

/// A read and checked artifact. Only [`read`] and [`read_with`] make one, so holding an
/// `Artifact` means its checks passed: its fields are not writable from outside this crate
/// (the sandbox trusts `signature` when it decides whether precompiled code may run).
/// It borrows its parts from the bytes it was read from: a cold load copies none of the
/// engine's tens of megabytes.
#[derive(Debug, Clone)]
pub struct Artifact<'a> {
    pub(crate) manifest: Manifest,
    pub(crate) signature: SignatureStatus,
    pub(crate) engine: &'a [u8],
    pub(crate) precompiled: Option<&'a [u8]>,
    pub(crate) bundle: &'a str,
    pub(crate) id: String,
    pub(crate) engine_reused: bool,
}

impl<'a> Artifact<'a> {
    /// Its manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// What the signature check found.
    pub fn signature(&self) -> &SignatureStatus {
        &self.signature
    }

    /// The artifact's identity: `sha256:` of its manifest, which binds every part by hash.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The compiled bundle (JSON).
    pub fn bundle(&self) -> &'a str {
        self.bundle
    }

    /// Whether the engine parts were left unread because the reader already runs that engine
    /// (see [`read_with`]).
    pub fn engine_reused(&self) -> bool {
        self.engine_reused
    }

    /// `blake3:` of a part, as the manifest records it.
    pub fn part_hash(&self, name: &str) -> Option<&str> {
        self.manifest.parts.iter().find(|p| p.name == name).map(|p| p.blake3.as_str())
    }
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A part's hash as manifests write it.
fn part_digest(bytes: &[u8]) -> String {
    format!("blake3:{}", blake3::hash(bytes).to_hex())
}

fn malformed(message: impl Into<String>) -> HostError {
    HostError::Malformed { message: message.into() }
}

/// Build an artifact, signed when a key is given. Deterministic: same inputs, same bytes.
pub fn build(contents: &Contents<'_>, key: Option<&SigningKey>) -> Result<Vec<u8>, HostError> {
    let mut parts: Vec<(&str, &[u8])> = vec![(BUNDLE, contents.bundle.as_bytes()), (ENGINE, contents.engine)];
    if let Some((bytes, _)) = &contents.precompiled {
        parts.push((PRECOMPILED, bytes));
    }
    parts.sort_by_key(|(name, _)| *name);
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        created_by: format!("fivesafes {}", env!("CARGO_PKG_VERSION")),
        interface: INTERFACE.to_owned(),
        bundle: contents.reference.clone(),
        precompiled_for: contents.precompiled.as_ref().map(|(_, what)| what.clone()),
        parts: parts
            .iter()
            .map(|(name, bytes)| Part {
                name: (*name).to_owned(),
                size: bytes.len() as u64,
                blake3: part_digest(bytes),
            })
            .collect(),
    };
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| malformed(e.to_string()))?;
    let signature = key
        .map(|key| {
            let file = SignatureFile {
                algorithm: "ed25519".to_owned(),
                key_id: keys::key_id(&key.verifying_key()),
                public_key: hex::encode(key.verifying_key().as_bytes()),
                signature: hex::encode(key.sign(&manifest_bytes).to_bytes()),
            };
            serde_json::to_vec_pretty(&file).map_err(|e| malformed(e.to_string()))
        })
        .transpose()?;
    let mut tar = tar::Builder::new(Vec::new());
    let mut entries: Vec<(&str, &[u8])> = vec![(MANIFEST, &manifest_bytes)];
    if let Some(sig) = &signature {
        entries.push((SIGNATURE, sig));
    }
    entries.extend(parts);
    for (name, bytes) in entries {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, name, bytes).map_err(|e| malformed(format!("writing `{name}`: {e}")))?;
    }
    tar.into_inner().map_err(|e| malformed(e.to_string()))
}

/// Read an artifact and check it: the parts are exactly those the manifest lists, with its
/// sizes and hashes, and the signature is accepted under `trusted` (see [`check_signature`]).
pub fn read<'a>(bytes: &'a [u8], trusted: &[VerifyingKey]) -> Result<Artifact<'a>, HostError> {
    read_with(bytes, trusted, None)
}

/// [`read`], for a host that already runs the engine whose `engine.wasm` has the hash
/// `running_engine`: when the manifest names that same engine, the engine parts are neither
/// hashed nor kept (the host never uses these bytes: it runs the engine it verified before),
/// and [`Artifact::engine_reused`] says so. Every other check is made as in [`read`].
pub fn read_with<'a>(
    bytes: &'a [u8],
    trusted: &[VerifyingKey],
    running_engine: Option<&str>,
) -> Result<Artifact<'a>, HostError> {
    let mut entries = entries(bytes)?;
    let manifest_bytes = entries.remove(MANIFEST).ok_or_else(|| malformed(format!("no `{MANIFEST}`")))?;
    let manifest: Manifest = serde_json::from_slice(manifest_bytes)
        .map_err(|e| malformed(format!("`{MANIFEST}` line {}, column {}: {e}", e.line(), e.column())))?;
    if manifest.format != FORMAT {
        return Err(malformed(format!("format `{}` is not `{FORMAT}`", manifest.format)));
    }
    if manifest.interface != INTERFACE {
        return Err(malformed(format!("the engine exports `{}`, this host calls `{INTERFACE}`", manifest.interface)));
    }
    check_parts(&manifest)?;
    let signature_file = entries.remove(SIGNATURE);
    let signature = check_signature(manifest_bytes, signature_file, trusted)?;
    let engine_reused = running_engine.is_some_and(|running| {
        manifest.parts.iter().any(|p| p.name == ENGINE && p.blake3 == running) && entries.contains_key(ENGINE)
    });
    let mut to_hash: Vec<(&Part, &[u8])> = Vec::new();
    for part in &manifest.parts {
        let data = *entries
            .get(part.name.as_str())
            .ok_or_else(|| HostError::Tampered { message: format!("part `{}` is missing", part.name) })?;
        if engine_reused && (part.name == ENGINE || part.name == PRECOMPILED) {
            continue;
        }
        if data.len() as u64 != part.size {
            return Err(mismatch(&part.name));
        }
        to_hash.push((part, data));
    }
    if let Some(extra) = entries.keys().find(|name| !manifest.parts.iter().any(|p| p.name == **name)) {
        return Err(HostError::Tampered { message: format!("part `{extra}` is not in the manifest") });
    }
    if let Some(bad) = first_mismatch(&to_hash) {
        return Err(mismatch(bad));
    }
    let mut engine: &[u8] = entries.remove(ENGINE).ok_or_else(|| malformed(format!("no `{ENGINE}`")))?;
    let mut precompiled = entries.remove(PRECOMPILED);
    if engine_reused {
        engine = &[];
        precompiled = None;
    }
    let bundle = entries.remove(BUNDLE).ok_or_else(|| malformed(format!("no `{BUNDLE}`")))?;
    let bundle = std::str::from_utf8(bundle).map_err(|_| malformed(format!("`{BUNDLE}` is not UTF-8")))?;
    Ok(Artifact { signature, engine, precompiled, bundle, id: sha256(manifest_bytes), engine_reused, manifest })
}

/// The archive's entries, by name, as slices of `bytes` (nothing is copied; entry data is
/// skipped by seeking, not read). Only regular files with the five known names, each once.
fn entries(bytes: &[u8]) -> Result<BTreeMap<&'static str, &[u8]>, HostError> {
    let mut entries: BTreeMap<&'static str, &[u8]> = BTreeMap::new();
    let mut archive = tar::Archive::new(std::io::Cursor::new(bytes));
    let not_tar = |e: std::io::Error| malformed(format!("not a tar archive: {e}"));
    for entry in archive.entries_with_seek().map_err(not_tar)? {
        let entry = entry.map_err(not_tar)?;
        let name = entry.path().map_err(|e| malformed(e.to_string()))?.to_string_lossy().into_owned();
        if entry.header().entry_type() != tar::EntryType::Regular {
            return Err(malformed(format!("entry `{name}` is not a regular file")));
        }
        let Some(known) = [MANIFEST, SIGNATURE, ENGINE, PRECOMPILED, BUNDLE].into_iter().find(|k| *k == name) else {
            return Err(malformed(format!("unexpected entry `{name}`")));
        };
        let data = usize::try_from(entry.raw_file_position())
            .ok()
            .zip(usize::try_from(entry.size()).ok())
            .and_then(|(start, len)| bytes.get(start..start.checked_add(len)?))
            .ok_or_else(|| malformed(format!("entry `{name}` runs past the end of the archive")))?;
        if entries.insert(known, data).is_some() {
            return Err(malformed(format!("entry `{name}` appears twice")));
        }
    }
    Ok(entries)
}

/// The name of the first part (in manifest order) whose bytes do not have the manifest's
/// hash, if any. Each part is hashed on a thread of its own: most of a cold load is hashing
/// the precompiled engine, and the component can be hashed beside it.
fn first_mismatch<'p>(parts: &[(&'p Part, &[u8])]) -> Option<&'p str> {
    let held: Vec<bool> = std::thread::scope(|scope| {
        let hashing: Vec<_> =
            parts.iter().map(|(part, data)| scope.spawn(move || part_digest(data) == part.blake3)).collect();
        // A panic while hashing is not a match.
        hashing.into_iter().map(|h| h.join().unwrap_or(false)).collect()
    });
    parts.iter().zip(held).find(|(_, ok)| !ok).map(|((part, _), _)| part.name.as_str())
}

fn mismatch(name: &str) -> HostError {
    HostError::Tampered { message: format!("part `{name}` does not match the hash in the manifest") }
}

/// The manifest lists exactly the bundle and the engine, plus the precompiled engine exactly
/// when it says what that was compiled for; no name twice.
fn check_parts(manifest: &Manifest) -> Result<(), HostError> {
    let mut names: Vec<&str> = manifest.parts.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    let expected: &[&str] =
        if manifest.precompiled_for.is_some() { &[BUNDLE, PRECOMPILED, ENGINE] } else { &[BUNDLE, ENGINE] };
    if names != expected {
        return Err(malformed(format!("the manifest lists the parts {names:?}; expected {expected:?}")));
    }
    Ok(())
}

/// The signature rules:
/// - with trusted keys configured, the artifact must be signed by one of them and the
///   signature must hold ([`SignatureStatus::Verified`]); anything else is refused;
/// - with none configured, an unsigned artifact is accepted ([`SignatureStatus::Unsigned`]),
///   and a signed one is accepted only if its signature holds for the key it names
///   ([`SignatureStatus::SignedUntrusted`]): a signature that does not hold means tampering.
pub fn check_signature(
    manifest: &[u8],
    signature: Option<&[u8]>,
    trusted: &[VerifyingKey],
) -> Result<SignatureStatus, HostError> {
    let Some(signature) = signature else {
        if trusted.is_empty() {
            return Ok(SignatureStatus::Unsigned);
        }
        return Err(HostError::Signature {
            message: "the artifact is not signed, and trusted keys are configured".to_owned(),
            help: Some("sign it: `fivesafes build --sign KEY`".to_owned()),
        });
    };
    let bad = |message: String| HostError::Signature { message, help: None };
    let file: SignatureFile = serde_json::from_slice(signature).map_err(|e| bad(format!("`{SIGNATURE}`: {e}")))?;
    if file.algorithm != "ed25519" {
        return Err(bad(format!("algorithm `{}` is not ed25519", file.algorithm)));
    }
    let key_bytes: [u8; 32] = hex::decode(&file.public_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| bad("the public key is not 32 bytes of hex".to_owned()))?;
    let key = VerifyingKey::from_bytes(&key_bytes).map_err(|e| bad(format!("the public key: {e}")))?;
    let sig_bytes: [u8; 64] = hex::decode(&file.signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| bad("the signature is not 64 bytes of hex".to_owned()))?;
    let key_id = keys::key_id(&key);
    if !trusted.is_empty() && !trusted.contains(&key) {
        return Err(HostError::Signature {
            message: format!("signed by {key_id}, which is not a trusted key"),
            help: Some("add the publisher's public key to the trusted keys, or obtain an artifact they signed".into()),
        });
    }
    key.verify_strict(manifest, &Signature::from_bytes(&sig_bytes))
        .map_err(|_| bad(format!("the signature by {key_id} does not hold for this manifest: it was altered")))?;
    Ok(if trusted.is_empty() {
        SignatureStatus::SignedUntrusted { key_id }
    } else {
        SignatureStatus::Verified { key_id }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> BundleRef {
        BundleRef {
            federation: "https://example.org/fed".to_owned(),
            version: "1".to_owned(),
            blueprint_version: "1".to_owned(),
            hash: "sha256:00".to_owned(),
        }
    }

    fn sample(key: Option<&SigningKey>) -> Result<Vec<u8>, HostError> {
        let contents =
            Contents { engine: b"\0asm engine", precompiled: None, bundle: "{\"format\":1}", reference: reference() };
        build(&contents, key)
    }

    fn key() -> Result<(SigningKey, VerifyingKey), HostError> {
        let (private, public) = keys::generate()?;
        Ok((keys::read_private(&private)?, keys::read_public(&public)?))
    }

    /// Replace the first occurrence of `from` by `to` (same length), as an attacker would.
    fn patch(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        if let Some(at) = out.windows(from.len()).position(|w| w == from) {
            out.splice(at..at + from.len(), to.iter().copied());
        }
        out
    }

    #[test]
    fn building_is_deterministic_and_reads_back() -> Result<(), HostError> {
        let (signing, verifying) = key()?;
        let a = sample(Some(&signing))?;
        assert_eq!(a, sample(Some(&signing))?);
        let artifact = read(&a, &[verifying])?;
        assert!(artifact.signature.is_verified());
        assert_eq!(artifact.engine, b"\0asm engine");
        assert_eq!(artifact.bundle, "{\"format\":1}");
        assert_eq!(artifact.manifest.bundle, reference());
        Ok(())
    }

    #[test]
    fn unsigned_artifacts_are_refused_when_keys_are_configured() -> Result<(), HostError> {
        let (_, verifying) = key()?;
        let unsigned = sample(None)?;
        assert_eq!(read(&unsigned, &[])?.signature, SignatureStatus::Unsigned);
        assert!(matches!(read(&unsigned, &[verifying]), Err(HostError::Signature { .. })));
        Ok(())
    }

    #[test]
    fn a_key_that_is_not_trusted_is_refused() -> Result<(), HostError> {
        let (signing, _) = key()?;
        let (_, other) = key()?;
        let signed = sample(Some(&signing))?;
        assert!(matches!(read(&signed, &[other]), Err(HostError::Signature { .. })));
        Ok(())
    }

    /// An artifact whose manifest lists `parts`, signed, holding `files`.
    fn crafted(parts: Vec<Part>, files: &[(&str, &[u8])], key: &SigningKey) -> Result<Vec<u8>, HostError> {
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            created_by: "test".to_owned(),
            interface: INTERFACE.to_owned(),
            bundle: reference(),
            precompiled_for: None,
            parts,
        };
        let bytes = serde_json::to_vec(&manifest).map_err(|e| malformed(e.to_string()))?;
        let sig = SignatureFile {
            algorithm: "ed25519".to_owned(),
            key_id: keys::key_id(&key.verifying_key()),
            public_key: hex::encode(key.verifying_key().as_bytes()),
            signature: hex::encode(key.sign(&bytes).to_bytes()),
        };
        let sig = serde_json::to_vec(&sig).map_err(|e| malformed(e.to_string()))?;
        let mut tar = tar::Builder::new(Vec::new());
        let mut all: Vec<(&str, &[u8])> = vec![(MANIFEST, &bytes), (SIGNATURE, &sig)];
        all.extend_from_slice(files);
        for (name, data) in all {
            let mut header = tar::Header::new_ustar();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            tar.append_data(&mut header, name, data).map_err(|e| malformed(e.to_string()))?;
        }
        tar.into_inner().map_err(|e| malformed(e.to_string()))
    }

    #[test]
    fn a_manifest_must_list_exactly_the_parts() -> Result<(), HostError> {
        let (signing, verifying) = key()?;
        let part = |name: &str, data: &[u8]| Part {
            name: name.to_owned(),
            size: data.len() as u64,
            blake3: part_digest(data),
        };
        let (engine, bundle) = (b"\0asm engine".as_slice(), b"{}".as_slice());
        let good =
            crafted(vec![part(BUNDLE, bundle), part(ENGINE, engine)], &[(BUNDLE, bundle), (ENGINE, engine)], &signing)?;
        assert!(read(&good, &[verifying])?.signature.is_verified());
        // The engine listed twice, once with another hash: refused, whatever the reader runs.
        let twice = crafted(
            vec![part(BUNDLE, bundle), part(ENGINE, engine), part(ENGINE, b"other")],
            &[(BUNDLE, bundle), (ENGINE, engine)],
            &signing,
        )?;
        assert!(matches!(read(&twice, &[verifying]), Err(HostError::Malformed { .. })));
        let running = part_digest(b"other");
        assert!(matches!(read_with(&twice, &[verifying], Some(&running)), Err(HostError::Malformed { .. })));
        // No engine listed.
        let none = crafted(vec![part(BUNDLE, bundle)], &[(BUNDLE, bundle)], &signing)?;
        assert!(matches!(read(&none, &[verifying]), Err(HostError::Malformed { .. })));
        Ok(())
    }

    #[test]
    fn tampering_with_a_part_or_the_manifest_is_detected() -> Result<(), HostError> {
        let (signing, verifying) = key()?;
        let signed = sample(Some(&signing))?;
        // A part changed, manifest untouched: the hash differs.
        let part = patch(&signed, b"\0asm engine", b"\0asm EVIL!!");
        assert!(matches!(read(&part, &[]), Err(HostError::Tampered { .. })));
        // The manifest changed: its signature no longer holds, with or without trusted keys.
        let manifest = patch(&signed, b"https://example.org/fed", b"https://example.org/FED");
        assert!(matches!(read(&manifest, &[verifying]), Err(HostError::Signature { .. })));
        assert!(matches!(read(&manifest, &[]), Err(HostError::Signature { .. })));
        // Not a tar archive at all.
        assert!(matches!(read(b"hello", &[]), Err(HostError::Malformed { .. })));
        Ok(())
    }
}
