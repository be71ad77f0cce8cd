//! `fivesafes`: Five Safes decisions for federated Trusted Research Environments.
#![deny(missing_docs)]

/// Write to stdout, ignoring a closed pipe (`fivesafes ... | head` must not panic).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Write a line to stdout, ignoring a closed pipe.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod assess;
mod audit;
mod blueprint;
mod build;
mod crates;
mod decide;
mod duo_match;
mod exit;
mod explain;
mod outputs;
mod passports;
mod render;
mod run_tests;
mod schema;
mod serve;
mod sources;
mod validate;
mod wasm;

use clap::{Parser, Subcommand};

/// mimalloc rather than the system's allocator: under load the decision service spent about a
/// quarter of its time in glibc's malloc and free (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use exit::Exit;

/// Five Safes decisions for federated Trusted Research Environments.
///
/// Exit codes: 0 allow (or APPROVE, valid, all tests passed, a decision log verified); 1 a test
/// failed, coverage is below the threshold, or a decision log does not verify; 10 deny (or
/// DENY); 11 review (or ABSTAIN); 2 bad usage; 3 invalid request or input (including a malformed
/// test suite); 4 invalid bundle or artifact (malformed, altered, untrusted); 5 a file could not
/// be read or written.
#[derive(Parser)]
#[command(name = "fivesafes", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decide a request: for every member TRE in scope, for every Safe, allow / review / deny.
    Decide(decide::Args),
    /// Five Safes RO-Crates: check a submitted crate, or assess it and write the result back.
    Crate {
        #[command(subcommand)]
        command: crates::Command,
    },
    /// GA4GH Passports: verify a passport's visas and see what each member accepts.
    Passport {
        #[command(subcommand)]
        command: passports::Command,
    },
    /// Safe Outputs: check an output built from microdata for disclosure risk (ACRO's rules).
    Outputs {
        #[command(subcommand)]
        command: outputs::Command,
    },
    /// Explain every deny and review: the condition that decided it and what would flip it.
    Explain(explain::Args),
    /// DUO matching of a research purpose against a dataset's data use conditions (DUOS v4).
    Duo {
        #[command(subcommand)]
        command: duo_match::Command,
    },
    /// Certification: a TRE's conformance to the blueprint, from its self-description and SATRE
    /// self-assessment (EARL, HTML, JSON); exit 0 certified, 10 a mandatory requirement failed,
    /// 11 undetermined.
    Assess(assess::Args),
    /// The blueprint's traceability: every requirement, its sources and what realises it.
    Blueprint {
        #[command(subcommand)]
        command: blueprint::Command,
    },
    /// Check a bundle: syntax, Cedar strict validation, blueprint and vocabulary consistency.
    Validate(validate::Args),
    /// Run test suites (YAML; Cedar `run-tests` JSON) against a bundle, with coverage.
    Test(run_tests::Args),
    /// Print a published JSON Schema (request or decision).
    Schema(schema::Args),
    /// Build a gateway artifact: the engine component plus the compiled bundle, signed.
    Build(build::Args),
    /// Check a gateway artifact as a host would and say what it holds.
    Inspect(build::InspectArgs),
    /// Make an ed25519 key pair for signing artifacts.
    Keygen(build::KeygenArgs),
    /// The gateway decision service over HTTP (decide, check for nginx auth_request and Envoy
    /// ext_authz, explain, DUO match, assess, metrics), logging every decision (docs/serve.md).
    Serve(Box<serve::Args>),
    /// The decision log: verify its hash chain across rotated files.
    Audit {
        #[command(subcommand)]
        command: audit::Command,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let exit = match cli.command {
        Command::Decide(args) => decide::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Outputs { command } => outputs::run(&command),
        Command::Crate { command } => crates::run(&command),
        Command::Passport { command } => passports::run(&command),
        Command::Duo { command } => duo_match::run(&command),
        Command::Assess(args) => assess::run(&args),
        Command::Blueprint { command } => blueprint::run(&command),
        Command::Validate(args) => validate::run(&args),
        Command::Test(args) => run_tests::run(&args),
        Command::Schema(args) => schema::run(&args),
        Command::Build(args) => build::run(&args),
        Command::Inspect(args) => build::inspect(&args),
        Command::Keygen(args) => build::keygen(&args),
        Command::Audit { command } => audit::run(&command),
        Command::Serve(args) => serve::run(&args),
    };
    exit.code()
}

/// Print an error as a miette diagnostic on stderr and return its exit code.
pub fn fail(error: impl miette::Diagnostic + Send + Sync + 'static, exit: Exit) -> Exit {
    eprintln!("{:?}", miette::Report::new(error));
    exit
}
