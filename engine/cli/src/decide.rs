//! `fivesafes decide`: decide a request against the embedded default or a bundle.

use crate::exit::Exit;
use crate::render;
use fivesafes_core::{DecideOptions, Decision, Outcome, decide_json_checked};
use std::path::PathBuf;

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A members x safes matrix with reasons.
    Human,
    /// The decision as JSON (schemas/decision.schema.json).
    Json,
}

/// Which engine decides.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The engine compiled into this program.
    Native,
    /// The engine component of a gateway artifact, run under wasmtime (`--artifact`).
    Wasm,
}

/// Arguments of `fivesafes decide`.
#[derive(clap::Args)]
pub struct Args {
    /// The request (JSON, schemas/request.schema.json; `-` reads standard input), or a Five
    /// Safes RO-Crate: a BagIt ZIP archive, a crate or bag directory, or a bare
    /// ro-crate-metadata.json (see docs/ro-crate.md).
    request: PathBuf,
    #[command(flatten)]
    read: crate::crates::ReadArgs,
    /// A federation bundle directory (federation RDF at the top, `members/*.cedar`, `vocab/`);
    /// default: the embedded example federation.
    #[arg(long)]
    bundle: Option<PathBuf>,
    /// An extra vocabulary (Turtle, N-Triples, RDF/XML, JSON-LD); repeatable.
    #[arg(long)]
    vocab: Vec<PathBuf>,
    /// Which engine decides: native, or the WebAssembly engine of `--artifact` under wasmtime.
    #[arg(long, value_enum, default_value = "native")]
    engine: Engine,
    /// A gateway artifact (`fivesafes build`), for `--engine wasm`.
    #[arg(long, conflicts_with_all = ["bundle", "vocab"])]
    artifact: Option<PathBuf>,
    /// A trusted public key (SPKI PEM); repeatable. With any, the artifact must be signed by
    /// one of them.
    #[arg(long, requires = "artifact")]
    trust: Vec<PathBuf>,
    /// Evaluate every member as a possible site ("where could this run?").
    #[arg(long)]
    all_members: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// Run the command.
pub fn run(args: &Args) -> Exit {
    if args.read.passport.is_some() && args.engine == Engine::Wasm {
        eprintln!("error: passports are verified by the native engine; `--engine wasm` takes no `--passport`");
        return Exit::Usage;
    }
    if args.request.as_os_str() != "-" && crate::crates::is_crate(&args.request) {
        if args.engine == Engine::Wasm {
            eprintln!("error: a crate is read by the native engine; `--engine wasm` takes a JSON request");
            return Exit::Usage;
        }
        let bundle =
            crate::sources::BundleArgs { bundle: args.bundle.clone(), baseline: None, vocab: args.vocab.clone() };
        let options = DecideOptions { all_members: args.all_members };
        return crate::crates::decide(&args.request, &args.read, &bundle, options, args.format);
    }
    let text = match read_request(&args.request) {
        Ok(t) => t,
        Err(exit) => return exit,
    };
    match (args.engine, &args.artifact) {
        (Engine::Wasm, Some(artifact)) => {
            return crate::wasm::decide(artifact, &args.trust, &text, args.all_members, args.format);
        }
        (Engine::Wasm, None) => {
            eprintln!("error: `--engine wasm` needs `--artifact FILE` (made by `fivesafes build`)");
            return Exit::Usage;
        }
        (Engine::Native, Some(_)) => {
            eprintln!("error: `--artifact` is run by `--engine wasm`");
            return Exit::Usage;
        }
        (Engine::Native, None) => {}
    }
    let bundle = match crate::sources::load_bundle(args.bundle.as_deref(), &args.vocab) {
        Ok(b) => b,
        Err(exit) => return exit,
    };
    let options = DecideOptions { all_members: args.all_members };
    if let Some(path) = &args.read.passport {
        return match crate::passports::read(path) {
            Ok(passport) => crate::passports::decide(&bundle, &text, &passport, options, args.format),
            Err(exit) => exit,
        };
    }
    match decide_json_checked(&bundle, &text, options) {
        Ok(decision) => {
            print(&decision, args.format);
            exit_of(&decision)
        }
        Err(e) => {
            if args.format == Format::Json {
                crate::outln!("{}", Decision::failed(&bundle, None, e.to_string()).to_json());
            }
            crate::fail(e, Exit::InvalidInput)
        }
    }
}

/// Read the request file, or standard input for `-`.
pub fn read_request(path: &std::path::Path) -> Result<String, Exit> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        return match std::io::Read::read_to_string(&mut std::io::stdin(), &mut s) {
            Ok(_) => Ok(s),
            Err(e) => {
                eprintln!("error: cannot read standard input: {e}");
                Err(Exit::CannotRead)
            }
        };
    }
    crate::sources::read(path).map_err(|e| crate::fail(e, Exit::CannotRead))
}

/// Print a decision in the chosen format.
pub fn print(decision: &Decision, format: Format) {
    match format {
        Format::Json => crate::outln!("{}", decision.to_json()),
        Format::Human => crate::out!("{}", render::decision(decision)),
    }
}

/// The exit code of a decision.
pub fn exit_of(decision: &Decision) -> Exit {
    match decision.decision {
        Outcome::Allow => Exit::Allow,
        Outcome::Review => Exit::Review,
        Outcome::Deny => Exit::Deny,
    }
}
