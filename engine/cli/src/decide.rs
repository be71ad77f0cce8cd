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

/// Arguments of `fivesafes decide`.
#[derive(clap::Args)]
pub struct Args {
    /// The request (JSON, schemas/request.schema.json); `-` reads standard input.
    request: PathBuf,
    /// A federation bundle directory (federation RDF at the top, `members/*.cedar`, `vocab/`);
    /// default: the embedded example federation.
    #[arg(long)]
    bundle: Option<PathBuf>,
    /// An extra vocabulary (Turtle, N-Triples, RDF/XML, JSON-LD); repeatable.
    #[arg(long)]
    vocab: Vec<PathBuf>,
    /// Evaluate every member as a possible site ("where could this run?").
    #[arg(long)]
    all_members: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// Run the command.
pub fn run(args: &Args) -> Exit {
    let bundle = match crate::sources::load_bundle(args.bundle.as_deref(), &args.vocab) {
        Ok(b) => b,
        Err(exit) => return exit,
    };
    let text = if args.request.as_os_str() == "-" {
        let mut s = String::new();
        match std::io::Read::read_to_string(&mut std::io::stdin(), &mut s) {
            Ok(_) => s,
            Err(e) => {
                eprintln!("error: cannot read standard input: {e}");
                return Exit::CannotRead;
            }
        }
    } else {
        match crate::sources::read(&args.request) {
            Ok(s) => s,
            Err(e) => return crate::fail(e, Exit::CannotRead),
        }
    };
    let options = DecideOptions { all_members: args.all_members };
    match decide_json_checked(&bundle, &text, options) {
        Ok(decision) => {
            match args.format {
                Format::Json => crate::outln!("{}", decision.to_json()),
                Format::Human => crate::out!("{}", render::decision(&decision)),
            }
            match decision.decision {
                Outcome::Allow => Exit::Allow,
                Outcome::Review => Exit::Review,
                Outcome::Deny => Exit::Deny,
            }
        }
        Err(e) => {
            if args.format == Format::Json {
                crate::outln!("{}", Decision::failed(&bundle, None, e.to_string()).to_json());
            }
            crate::fail(e, Exit::InvalidInput)
        }
    }
}
