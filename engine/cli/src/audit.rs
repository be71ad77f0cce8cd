//! `fivesafes audit verify`: check a decision log's hash chain across its rotated files and name
//! the first bad entry (the library: `fivesafes-audit`).

use crate::exit::Exit;
use fivesafes_audit::files::{files_to_verify, verify_files};
use fivesafes_audit::{ChainStart, Verification};
use std::path::PathBuf;

/// `fivesafes audit ...`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Verify a decision log: every line an entry whose hash matches its content, every `prev`
    /// the hash of the entry before, sequence numbers consecutive from the first entry, across
    /// rotated files in order. Exit 0 the chain verifies, 1 it does not (the first bad entry is
    /// named: file, line, sequence and what is wrong), 5 a file cannot be read.
    Verify(Args),
}

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One line: verified with the count and the last entry, or the first bad entry.
    Human,
    /// The verification as JSON: `verified`, `files`, `entries`, `head`, `badEntry`.
    Json,
}

/// Arguments of `fivesafes audit verify`.
#[derive(clap::Args)]
pub struct Args {
    /// The log: its directory, or its first file (`decisions.log.1`; the files after it are
    /// found beside it: `decisions.log.2`, ..., then `decisions.log`); or several files, taken
    /// in the order given.
    #[arg(required = true, value_name = "LOG")]
    log: Vec<PathBuf>,
    /// The hash of the entry before the first one given (when earlier files were archived or
    /// removed); without it the log must begin with entry 1 linked to the genesis hash.
    #[arg(long, value_name = "SHA256")]
    after: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Run `fivesafes audit ...`.
pub fn run(command: &Command) -> Exit {
    let Command::Verify(args) = command;
    let files = match files_to_verify(&args.log) {
        Ok(files) => files,
        Err(e) => return crate::fail(e, Exit::CannotRead),
    };
    let start = args.after.clone().map_or(ChainStart::Genesis, ChainStart::After);
    let verification = match verify_files(&files, start) {
        Ok(v) => v,
        Err(e) => return crate::fail(e, Exit::CannotRead),
    };
    match args.format {
        Format::Json => crate::outln!("{}", serde_json::to_string_pretty(&verification).unwrap_or_default()),
        Format::Human => crate::outln!("{}", human(&verification)),
    }
    if verification.verified { Exit::Allow } else { Exit::Failed }
}

fn human(v: &Verification) -> String {
    let files = match v.files.len() {
        1 => "1 file".to_owned(),
        n => format!("{n} files"),
    };
    match (&v.bad_entry, &v.head) {
        (Some(bad), _) => format!("broken: {bad}\n{} entries verified before it", v.entries),
        (None, Some(head)) => {
            format!("verified: {} entries in {files}; last entry {} `{}`", v.entries, head.sequence, head.hash)
        }
        (None, None) => format!("verified: no entries in {files}"),
    }
}
