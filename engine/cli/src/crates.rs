//! Five Safes RO-Crates on disk: `fivesafes decide CRATE`, `fivesafes crate check` and
//! `fivesafes crate assess`. This module reads and writes files; the crate logic is in
//! `fivesafes-rocrate`.

use crate::exit::Exit;
use crate::sources::BundleArgs;
use fivesafes_core::DecideOptions;
use fivesafes_rocrate::{AssessOptions, Crate, CrateFiles, Note, ReadOptions, Severity, ZipLimits};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `fivesafes crate ...`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// The profile's checks of a submitted crate: CheckValue (BagIt, sha-512) and
    /// ValidationCheck (the profile's MUST rules). Exit 0 when both pass, 1 when not.
    Check(CheckArgs),
    /// Check and decide a crate, and write a new crate with the TRE's AssessActions added and
    /// the bag's manifests redone (the original is not modified). Exits with the decision's code.
    Assess(AssessArgs),
}

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Readable.
    Human,
    /// JSON.
    Json,
}

/// Arguments of `fivesafes crate check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// The crate: a BagIt ZIP archive, a crate or bag directory, or a bare ro-crate-metadata.json.
    krate: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// How a crate is read as a request (shared by `decide` and `crate assess`).
#[derive(clap::Args, Clone)]
pub struct ReadArgs {
    /// The member TRE reading the crate: picks the project's TRE-local identifier.
    #[arg(long)]
    pub member: Option<String>,
    /// The day the request is judged on (YYYY-MM-DD); default: today (UTC).
    #[arg(long)]
    pub time: Option<String>,
    /// A GA4GH Passport whose visas are evidence too: `{"ga4gh_passport_v1": [...]}`, a JSON
    /// list of visas or one visa per line (see docs/passports.md). Native engine only.
    #[arg(long)]
    pub passport: Option<PathBuf>,
}

/// Arguments of `fivesafes crate assess`.
#[derive(clap::Args)]
pub struct AssessArgs {
    /// The crate: a BagIt ZIP archive, a crate or bag directory, or a bare ro-crate-metadata.json.
    krate: PathBuf,
    /// Where to write the new crate: a `.zip` path for a ZIP archive, otherwise a new directory.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    read: ReadArgs,
    #[command(flatten)]
    bundle: BundleArgs,
    /// Evaluate every member as a possible site.
    #[arg(long)]
    all_members: bool,
}

/// Run `fivesafes crate ...`.
pub fn run(command: &Command) -> Exit {
    match command {
        Command::Check(args) => check(args),
        Command::Assess(args) => assess(args),
    }
}

/// Whether a path holds a crate rather than a request: a directory, a ZIP archive, or JSON
/// whose top level has `@graph`.
pub fn is_crate(path: &Path) -> bool {
    if path.is_dir() {
        return true;
    }
    let Ok(bytes) = std::fs::read(path) else { return false };
    bytes.starts_with(b"PK\x03\x04")
        || serde_json::from_slice::<serde_json::Value>(&bytes).is_ok_and(|v| v.get("@graph").is_some())
}

/// Open a crate from disk.
pub fn open(path: &Path) -> Result<Crate, Exit> {
    let files = if path.is_dir() {
        let mut files = BTreeMap::new();
        read_dir(path, "", &mut files)?;
        CrateFiles::from_directory(files)
    } else {
        let bytes = std::fs::read(path).map_err(|e| cannot_read(path, &e))?;
        if bytes.starts_with(b"PK\x03\x04") {
            CrateFiles::from_zip(&bytes, ZipLimits::default()).map_err(|e| crate::fail(e, Exit::InvalidInput))?
        } else {
            CrateFiles::metadata_only(&String::from_utf8_lossy(&bytes))
        }
    };
    Crate::open(files).map_err(|e| crate::fail(e, Exit::InvalidInput))
}

fn cannot_read(path: &Path, e: &std::io::Error) -> Exit {
    eprintln!("error: cannot read `{}`: {e}", path.display());
    Exit::CannotRead
}

/// Every regular file under `dir`; symbolic links are refused (a crate may not escape itself).
fn read_dir(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) -> Result<(), Exit> {
    let entries = std::fs::read_dir(dir).map_err(|e| cannot_read(dir, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| cannot_read(dir, &e))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| cannot_read(&path, &e))?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if kind.is_symlink() {
            eprintln!("error: `{}` is a symbolic link; a crate may not hold links", path.display());
            return Err(Exit::InvalidInput);
        } else if kind.is_dir() {
            read_dir(&path, &format!("{name}/"), out)?;
        } else {
            out.insert(name, std::fs::read(&path).map_err(|e| cannot_read(&path, &e))?);
        }
    }
    Ok(())
}

/// The read options, with today's date (UTC) when no `--time` is given.
pub fn read_options(args: &ReadArgs) -> ReadOptions {
    let time = args
        .time
        .clone()
        .unwrap_or_else(|| jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().to_string());
    ReadOptions { time, member: args.member.clone() }
}

/// Print notes on standard error.
pub fn print_notes(notes: &[Note]) {
    for n in notes {
        eprintln!("{}: crate entity `{}`: {}", n.severity.name(), n.entity, n.message);
    }
}

/// `fivesafes decide CRATE`.
pub fn decide(
    path: &Path,
    read: &ReadArgs,
    bundle: &BundleArgs,
    options: DecideOptions,
    format: crate::decide::Format,
) -> Exit {
    let krate = match open(path) {
        Ok(k) => k,
        Err(exit) => return exit,
    };
    let bundle = match bundle.load() {
        Ok(b) => b,
        Err(exit) => return exit,
    };
    let passport = match crate::passports::read_optional(read.passport.as_deref()) {
        Ok(p) => p,
        Err(exit) => return exit,
    };
    let decider = crate::passports::Decider::new(&bundle, passport.as_ref(), options);
    let result = fivesafes_rocrate::decide_with(&bundle, &krate, &read_options(read), &|r| decider.decide(r));
    print_notes(&result.notes);
    decider.print_notes();
    crate::decide::print(&result.decision, format);
    crate::decide::exit_of(&result.decision)
}

fn check(args: &CheckArgs) -> Exit {
    let krate = match open(&args.krate) {
        Ok(k) => k,
        Err(exit) => return exit,
    };
    let report = fivesafes_rocrate::check(&krate);
    match args.format {
        Format::Json => crate::outln!("{}", serde_json::to_string_pretty(&report).unwrap_or_default()),
        Format::Human => {
            for (title, step) in [
                ("CheckValue (BagIt, sha-512)", &report.check_value),
                ("ValidationCheck (Five Safes RO-Crate 0.4)", &report.validation),
            ] {
                crate::outln!("{title}: {}", if step.passed { "passed" } else { "FAILED" });
                for n in step.notes.iter().filter(|n| n.severity >= Severity::Warning) {
                    crate::outln!("  {} `{}`: {}", n.severity.name(), n.entity, n.message);
                }
            }
        }
    }
    if report.passed() { Exit::Allow } else { Exit::Failed }
}

fn assess(args: &AssessArgs) -> Exit {
    if args.out.exists() {
        eprintln!("error: `{}` exists; crate assess writes a new crate and never overwrites", args.out.display());
        return Exit::Usage;
    }
    let krate = match open(&args.krate) {
        Ok(k) => k,
        Err(exit) => return exit,
    };
    let bundle = match args.bundle.load() {
        Ok(b) => b,
        Err(exit) => return exit,
    };
    let end_time = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let options = AssessOptions {
        read: read_options(&args.read),
        decide: DecideOptions { all_members: args.all_members },
        end_time,
    };
    let passport = match crate::passports::read_optional(args.read.passport.as_deref()) {
        Ok(p) => p,
        Err(exit) => return exit,
    };
    let decider = crate::passports::Decider::new(&bundle, passport.as_ref(), options.decide);
    let assessment = match fivesafes_rocrate::assess_with(&bundle, &krate, &options, &|r| decider.decide(r)) {
        Ok(a) => a,
        Err(e) => return crate::fail(e, Exit::InvalidInput),
    };
    print_notes(&assessment.decision.notes);
    decider.print_notes();
    let written = if args.out.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
        assessment
            .files
            .to_zip()
            .map_err(|e| crate::fail(e, Exit::InvalidInput))
            .and_then(|bytes| write(&args.out, &bytes))
    } else {
        write_dir(&args.out, &assessment.files.files)
    };
    if let Err(exit) = written {
        return exit;
    }
    crate::outln!(
        "wrote {}: CheckValue {}, ValidationCheck {}, SignOff {}",
        args.out.display(),
        if assessment.check.check_value.passed { "passed" } else { "failed" },
        if assessment.check.validation.passed { "passed" } else { "failed" },
        assessment.decision.decision.decision.name()
    );
    crate::decide::exit_of(&assessment.decision.decision)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Exit> {
    std::fs::write(path, bytes).map_err(|e| {
        eprintln!("error: cannot write `{}`: {e}", path.display());
        Exit::CannotRead
    })
}

fn write_dir(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> Result<(), Exit> {
    for (name, bytes) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                eprintln!("error: cannot create `{}`: {e}", parent.display());
                Exit::CannotRead
            })?;
        }
        write(&path, bytes)?;
    }
    Ok(())
}
