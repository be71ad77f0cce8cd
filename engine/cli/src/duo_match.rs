//! `fivesafes duo match`: DUOS-compatible matching of a purpose against a dataset.

use crate::exit::Exit;
use fivesafes_core::duo::{MatchOptions, MatchResult};
use std::path::PathBuf;

/// DUO subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Match a research purpose against a dataset's data use conditions.
    Match(Args),
}

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Result and rationale as text.
    Human,
    /// `{"result": "APPROVE|DENY|ABSTAIN", "rationale": [...], "obligations": [...]}`.
    Json,
}

/// Arguments of `fivesafes duo match`.
#[derive(clap::Args)]
pub struct Args {
    /// The purpose: `{"category": "DUO:0000007", "diseases": [...]}` or a DUOS DataUse object.
    #[arg(long)]
    purpose: PathBuf,
    /// The dataset: `{"permission": "DUO:0000042", "modifiers": [...]}` or a DUOS DataUse object.
    #[arg(long)]
    dataset: PathBuf,
    /// An extra vocabulary (e.g. a disease ontology); repeatable.
    #[arg(long)]
    vocab: Vec<PathBuf>,
    /// Follow DUOS literally: PUB, COL, IRB, MOR, GS and GSO abstain instead of being obligations.
    #[arg(long)]
    duos_strict: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// Run the command.
pub fn run(command: &Command) -> Exit {
    let Command::Match(args) = command;
    let bundle = match crate::sources::load_bundle(None, &args.vocab) {
        Ok(b) => b,
        Err(exit) => return exit,
    };
    let (purpose, dataset) = match (crate::sources::read(&args.purpose), crate::sources::read(&args.dataset)) {
        (Ok(p), Ok(d)) => (p, d),
        (Err(e), _) | (_, Err(e)) => return crate::fail(e, Exit::CannotRead),
    };
    let options = MatchOptions { duos_strict: args.duos_strict, ..MatchOptions::default() };
    let result = match fivesafes_core::matching::match_json(&purpose, &dataset, &bundle.vocab, &options) {
        Ok(r) => r,
        Err(e) => return crate::fail(e, Exit::InvalidInput),
    };
    match args.format {
        Format::Json => crate::outln!("{}", serde_json::to_string_pretty(&result).unwrap_or_default()),
        Format::Human => {
            let name = serde_json::to_value(result.result)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            crate::outln!("{name}");
            for r in &result.rationale {
                crate::outln!("  - {r}");
            }
            for o in &result.obligations {
                crate::outln!(
                    "  obligation {} ({}){}",
                    o.code,
                    o.label,
                    o.detail.as_ref().map(|d| format!(": {d}")).unwrap_or_default()
                );
            }
        }
    }
    match result.result {
        MatchResult::Approve => Exit::Allow,
        MatchResult::Deny => Exit::Deny,
        MatchResult::Abstain => Exit::Review,
    }
}
