//! GA4GH Passports on the command line: `decide REQUEST --passport FILE` and `passport check`.

use crate::decide::Format;
use crate::exit::Exit;
use crate::sources::BundleArgs;
use fivesafes_core::request::DecisionRequest;
use fivesafes_core::{Bundle, DecideOptions, Decision, RequestError};
use fivesafes_passport::{Passport, VisaNote, check, request_instant};
use std::cell::RefCell;
use std::path::{Path, PathBuf};

/// Read and parse the passport of `--passport`, if given.
pub fn read_optional(path: Option<&Path>) -> Result<Option<Passport>, Exit> {
    path.map(read).transpose()
}

/// Read and parse a passport file (`-` is standard input).
pub fn read(path: &Path) -> Result<Passport, Exit> {
    let text = crate::decide::read_request(path)?;
    Passport::parse(&text).map_err(|e| {
        eprintln!("error: passport `{}`: {e}", path.display());
        Exit::InvalidInput
    })
}

fn print_notes(notes: &[VisaNote]) {
    for n in notes {
        match &n.member {
            Some(m) => eprintln!("note: passport, at {m}: {}", n.message),
            None => eprintln!("note: passport: {}", n.message),
        }
    }
}

/// Decides a request with the passport's evidence when there is one (for crates), keeping the
/// notes to print.
pub struct Decider<'a> {
    bundle: &'a Bundle,
    passport: Option<&'a Passport>,
    options: DecideOptions,
    notes: RefCell<Vec<VisaNote>>,
}

impl<'a> Decider<'a> {
    /// A decider for `bundle`, with or without a passport.
    pub fn new(bundle: &'a Bundle, passport: Option<&'a Passport>, options: DecideOptions) -> Decider<'a> {
        Decider { bundle, passport, options, notes: RefCell::new(Vec::new()) }
    }

    /// Decide `req`.
    pub fn decide(&self, req: &DecisionRequest) -> Result<Decision, RequestError> {
        match self.passport {
            None => fivesafes_core::decide(self.bundle, req, self.options),
            Some(p) => fivesafes_passport::decide(self.bundle, req, p, self.options).map(|d| {
                self.notes.borrow_mut().extend(d.notes);
                d.decision
            }),
        }
    }

    /// Print the passport's notes to stderr.
    pub fn print_notes(&self) {
        print_notes(&self.notes.borrow());
    }
}

/// `fivesafes decide REQUEST.json --passport FILE`.
pub fn decide(bundle: &Bundle, text: &str, passport: &Passport, options: DecideOptions, format: Format) -> Exit {
    let decided =
        DecisionRequest::from_json(text).and_then(|req| fivesafes_passport::decide(bundle, &req, passport, options));
    match decided {
        Ok(result) => {
            print_notes(&result.notes);
            crate::decide::print(&result.decision, format);
            crate::decide::exit_of(&result.decision)
        }
        Err(e) => {
            if format == Format::Json {
                crate::outln!("{}", Decision::failed(bundle, None, e.to_string()).to_json());
            }
            crate::fail(e, Exit::InvalidInput)
        }
    }
}

/// `fivesafes passport ...`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Verify a passport's visas against the bundle's issuers and keys at a time, and say which
    /// visas each member accepts and why it ignores the others. Exit 0 when every visa
    /// verified, 1 when any did not, 3 for a passport that cannot be read.
    Check(CheckArgs),
}

/// Arguments of `fivesafes passport check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// The passport: `{"ga4gh_passport_v1": [...]}`, a JSON list of visas, or one visa per line.
    passport: PathBuf,
    /// The time to judge expiry at: `YYYY-MM-DD` (valid through that whole day) or RFC 3339.
    #[arg(long)]
    time: String,
    /// Only this member.
    #[arg(long)]
    member: Option<String>,
    #[command(flatten)]
    bundle: BundleArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// Run a passport command.
pub fn run(command: &Command) -> Exit {
    match command {
        Command::Check(args) => run_check(args),
    }
}

fn run_check(args: &CheckArgs) -> Exit {
    let now = match request_instant(&args.time) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: --time: {e}");
            return Exit::Usage;
        }
    };
    let passport = match read(&args.passport) {
        Ok(p) => p,
        Err(exit) => return exit,
    };
    let bundle = match args.bundle.load() {
        Ok(b) => b,
        Err(exit) => return exit,
    };
    let federation = &bundle.federation;
    if let Some(m) = &args.member
        && !federation.members.contains_key(m)
    {
        eprintln!("error: --member `{m}` is not a member of the federation");
        return Exit::Usage;
    }
    let report = check(&passport, federation, now, args.member.as_deref());
    match args.format {
        Format::Json => crate::outln!("{}", serde_json::to_string_pretty(&report).unwrap_or_default()),
        Format::Human => {
            crate::outln!("{} of {} visas verified and valid at {}", report.verified.len(), report.visas, args.time);
            for v in &report.verified {
                crate::outln!("  {} (sub `{}`, by {})", v.describe(), v.subject, v.by.as_deref().unwrap_or("unknown"));
            }
            for n in &report.notes {
                crate::outln!("  not used: {}", n.message);
            }
            for (id, m) in &report.members {
                let accepted: Vec<String> = m.accepted.iter().map(|i| format!("#{i}")).collect();
                crate::outln!(
                    "{id}: accepts {}",
                    if accepted.is_empty() { "none".to_owned() } else { accepted.join(", ") }
                );
                for n in &m.notes {
                    crate::outln!("  {}", n.message);
                }
            }
        }
    }
    if report.notes.is_empty() { Exit::Allow } else { Exit::Failed }
}
