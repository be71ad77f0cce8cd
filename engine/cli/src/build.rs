//! `fivesafes build`: compile a bundle and package it with the engine component as a gateway
//! artifact, optionally signed; and `fivesafes keygen`, which makes a signing key pair.

use crate::exit::Exit;
use fivesafes_host::artifact::{self, Contents};
use fivesafes_host::{keys, sandbox};
use std::path::{Path, PathBuf};

/// Where `bash wasm/build.sh` leaves the engine component.
pub const DEFAULT_ENGINE: &str = "target/wasm32-wasip2/gateway/fivesafes_gateway.wasm";

/// Arguments of `fivesafes build`.
#[derive(clap::Args)]
pub struct Args {
    /// A federation bundle directory; default: the embedded example federation.
    #[arg(long)]
    bundle: Option<PathBuf>,
    /// An extra vocabulary (Turtle, N-Triples, RDF/XML, JSON-LD); repeatable.
    #[arg(long)]
    vocab: Vec<PathBuf>,
    /// The artifact to write.
    #[arg(long)]
    out: PathBuf,
    /// The engine component (built by `bash wasm/build.sh`).
    #[arg(long, env = "FIVESAFES_ENGINE_WASM", default_value = DEFAULT_ENGINE)]
    engine: PathBuf,
    /// Sign the manifest with this ed25519 private key (PKCS#8 PEM, see `fivesafes keygen`).
    #[arg(long)]
    sign: Option<PathBuf>,
    /// Do not include the engine precompiled for this host (`engine.cwasm`); hosts then
    /// compile the component when they load it.
    #[arg(long)]
    no_precompile: bool,
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, Exit> {
    std::fs::read(path).map_err(|e| {
        eprintln!("error: cannot read `{}`: {e}", path.display());
        Exit::CannotRead
    })
}

/// Run `fivesafes build`.
pub fn run(args: &Args) -> Exit {
    let bundle = match crate::sources::load_bundle(args.bundle.as_deref(), &args.vocab) {
        Ok(b) => b,
        Err(exit) => return exit,
    };
    let engine = match read_bytes(&args.engine) {
        Ok(e) => e,
        Err(exit) => {
            if args.engine.as_os_str() == DEFAULT_ENGINE {
                eprintln!("help: build the engine component first: `bash wasm/build.sh gateway`");
            }
            return exit;
        }
    };
    let key = match &args.sign {
        None => None,
        Some(path) => match crate::sources::read(path) {
            Ok(pem) => match keys::read_private(&pem) {
                Ok(k) => Some(k),
                Err(e) => return crate::fail(e, Exit::InvalidInput),
            },
            Err(e) => return crate::fail(e, Exit::CannotRead),
        },
    };
    let precompiled = if args.no_precompile {
        None
    } else {
        match sandbox::precompile(&engine) {
            Ok(code) => Some(code),
            Err(e) => return crate::fail(e, Exit::InvalidInput),
        }
    };
    let compiled = match bundle.to_compiled_json() {
        Ok(c) => c,
        Err(e) => return crate::fail(e, Exit::InvalidBundle),
    };
    let contents = Contents {
        engine: &engine,
        precompiled: precompiled.as_deref().map(|c| (c, sandbox::precompiled_for())),
        bundle: &compiled,
        reference: bundle.reference(),
    };
    let bytes = match artifact::build(&contents, key.as_ref()) {
        Ok(b) => b,
        Err(e) => return crate::fail(e, Exit::InvalidInput),
    };
    if let Err(e) = std::fs::write(&args.out, &bytes) {
        eprintln!("error: cannot write `{}`: {e}", args.out.display());
        return Exit::CannotRead;
    }
    crate::outln!("wrote {} ({} bytes)", args.out.display(), bytes.len());
    crate::outln!("  bundle    {} {} ({})", bundle.federation.iri, bundle.federation.version, bundle.hash);
    crate::outln!(
        "  engine    {} bytes{}",
        engine.len(),
        if precompiled.is_some() { ", precompiled for this host" } else { "" }
    );
    match &key {
        Some(k) => crate::outln!("  signed by {}", keys::key_id(&k.verifying_key())),
        None => crate::outln!("  unsigned (hosts with trusted keys will refuse it; sign with --sign KEY)"),
    }
    Exit::Allow
}

/// Arguments of `fivesafes inspect`.
#[derive(clap::Args)]
pub struct InspectArgs {
    /// The artifact.
    artifact: PathBuf,
    /// A trusted public key (SPKI PEM); repeatable. With any, the artifact must be signed by
    /// one of them.
    #[arg(long)]
    trust: Vec<PathBuf>,
}

/// Run `fivesafes inspect`: check an artifact as a host would (every part against the
/// manifest, the signature against the trusted keys) and say what it holds.
pub fn inspect(args: &InspectArgs) -> Exit {
    let mut trusted = Vec::new();
    for path in &args.trust {
        match crate::sources::read(path) {
            Ok(pem) => match keys::read_public(&pem) {
                Ok(k) => trusted.push(k),
                Err(e) => return crate::fail(e, Exit::InvalidInput),
            },
            Err(e) => return crate::fail(e, Exit::CannotRead),
        }
    }
    let bytes = match read_bytes(&args.artifact) {
        Ok(b) => b,
        Err(exit) => return exit,
    };
    let artifact = match artifact::read(&bytes, &trusted) {
        Ok(a) => a,
        Err(e) => return crate::fail(e, Exit::InvalidBundle),
    };
    let m = artifact.manifest();
    crate::outln!("{}: {} ({})", args.artifact.display(), m.format, m.created_by);
    crate::outln!("  id         {}", artifact.id());
    crate::outln!(
        "  bundle     {} {} (blueprint {})",
        m.bundle.federation,
        m.bundle.version,
        m.bundle.blueprint_version
    );
    crate::outln!("  hash       {}", m.bundle.hash);
    crate::outln!("  interface  {}", m.interface);
    if let Some(p) = &m.precompiled_for {
        crate::outln!("  precompiled for {p}");
    }
    for part in &m.parts {
        crate::outln!("  part       {:<14} {:>10} bytes  {}", part.name, part.size, part.blake3);
    }
    crate::outln!("  signature  {}", artifact.signature());
    crate::outln!("every part matches the manifest");
    Exit::Allow
}

/// Arguments of `fivesafes keygen`.
#[derive(clap::Args)]
pub struct KeygenArgs {
    /// Write the private key to PREFIX.pem and the public key to PREFIX.pub.pem.
    #[arg(long)]
    out: PathBuf,
}

/// Run `fivesafes keygen`.
pub fn keygen(args: &KeygenArgs) -> Exit {
    let (private, public) = match keys::generate() {
        Ok(pair) => pair,
        Err(e) => return crate::fail(e, Exit::InvalidInput),
    };
    // Appended, not `with_extension`: a prefix such as `team.v1` keeps its dot.
    let private_path = PathBuf::from(format!("{}.pem", args.out.display()));
    let public_path = PathBuf::from(format!("{}.pub.pem", args.out.display()));
    for path in [&private_path, &public_path] {
        if path.exists() {
            eprintln!("error: `{}` exists; keygen never overwrites a key", path.display());
            return Exit::InvalidInput;
        }
    }
    let written = write_new(&private_path, &private, 0o600).and_then(|()| write_new(&public_path, &public, 0o644));
    if let Err(e) = written {
        eprintln!("error: cannot write the keys: {e}");
        return Exit::CannotRead;
    }
    match keys::read_public(&public) {
        Ok(k) => crate::outln!("{} ({})", public_path.display(), keys::key_id(&k)),
        Err(e) => return crate::fail(e, Exit::InvalidInput),
    }
    crate::outln!("{} (private: keep it secret)", private_path.display());
    Exit::Allow
}

/// Write a new file (never over an existing one) with the given Unix mode.
fn write_new(path: &Path, pem: &str, mode: u32) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    options.open(path)?.write_all(pem.as_bytes())
}
