//! `fivesafes assess`: a TRE's conformance to the blueprint, from its self-description and
//! SATRE self-assessment, as a readable summary, JSON, EARL (Turtle, JSON-LD) or HTML.

use crate::exit::Exit;
use crate::sources::{BundleArgs, ReadError};
use fivesafes_certify::report::Assessment;
use fivesafes_certify::satre::{self, SelfAssessment};
use fivesafes_certify::{Assessor, Conformance, Outcome};
use fivesafes_core::day::Day;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A dimension x Safe grid and every requirement not passed, with what to improve.
    Human,
    /// The assessment as JSON (schemas/assessment.schema.json).
    Json,
    /// W3C EARL in Turtle.
    Earl,
    /// W3C EARL in JSON-LD.
    EarlJsonld,
    /// A self-contained HTML report with a heatmap.
    Html,
}

/// Arguments of `fivesafes assess`.
#[derive(clap::Args)]
pub struct Args {
    /// The TRE's self-description (Turtle, N-Triples, RDF/XML or JSON-LD; docs/certification.md).
    #[arg(required_unless_present = "federation")]
    description: Option<PathBuf>,
    /// The TRE's SATRE self-assessment sheet (CSV: Section, Item, Statement, Guidance,
    /// Importance, Score, Response, Improvements; SATRE v1.x or v2).
    #[arg(long, value_name = "FILE.csv")]
    satre: Option<PathBuf>,
    /// Assess every member of the bundle, from `DIR/<member id>.ttl` (and
    /// `DIR/<member id>.satre.csv` when present), with a summary table.
    #[arg(long, conflicts_with_all = ["description", "satre"])]
    federation: bool,
    /// Where `--federation` finds the members' descriptions; default: the bundle's
    /// `descriptions/`, or the example federation's built into the program.
    #[arg(long, value_name = "DIR")]
    descriptions: Option<PathBuf>,
    /// The day to assess for (YYYY-MM-DD); default: today.
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Write the report to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Also write the assessment's certificate (Turtle, `fs:BlueprintAssessment`) to this file:
    /// put it in the federation bundle, and decisions take the member's Safe Settings from it.
    #[arg(long, value_name = "FILE.ttl", conflicts_with = "federation")]
    certificate: Option<PathBuf>,
    /// With `--federation`: write each member's certificate to `DIR/<member id>.assessment.ttl`.
    #[arg(long, value_name = "DIR", requires = "federation")]
    certificates: Option<PathBuf>,
    #[command(flatten)]
    bundle: BundleArgs,
}

/// The example federation's self-descriptions, built into the program.
const EXAMPLE_DESCRIPTIONS: &[(&str, &str)] = &[
    ("de-hd.ttl", include_str!("../../../examples/federation/descriptions/de-hd.ttl")),
    ("fi-fin.ttl", include_str!("../../../examples/federation/descriptions/fi-fin.ttl")),
    ("nl-odi.ttl", include_str!("../../../examples/federation/descriptions/nl-odi.ttl")),
    ("es-bcn.ttl", include_str!("../../../examples/federation/descriptions/es-bcn.ttl")),
    ("no-osl.ttl", include_str!("../../../examples/federation/descriptions/no-osl.ttl")),
    ("gb-sail.ttl", include_str!("../../../examples/federation/descriptions/gb-sail.ttl")),
    ("ch-zrh.jsonld", include_str!("../../../examples/federation/descriptions/ch-zrh.jsonld")),
];

/// Run `fivesafes assess`.
pub fn run(args: &Args) -> Exit {
    match assess(args) {
        Ok(exit) | Err(exit) => exit,
    }
}

fn day(args: &Args) -> Result<Day, Exit> {
    let text = match &args.date {
        Some(d) => d.clone(),
        None => jiff::Zoned::now().date().to_string(),
    };
    Day::parse(&text).map_err(|e| {
        eprintln!("error: --date `{text}`: {e}");
        Exit::Usage
    })
}

fn assess(args: &Args) -> Result<Exit, Exit> {
    let day = day(args)?;
    let files = args.bundle.files()?;
    let assessor = Assessor::new(&files).map_err(|e| crate::fail(e, Exit::InvalidBundle))?;
    if args.federation {
        return federation(args, &assessor, day);
    }
    let Some(path) = &args.description else { return Err(Exit::Usage) };
    let assessment = one(&assessor, path, args.satre.as_deref(), day)?;
    if let Some(file) = &args.certificate {
        write_certificate(&assessment, file)?;
    }
    let text = match args.format {
        Format::Human => human(&assessment),
        Format::Json => serde_json::to_string_pretty(&assessment).unwrap_or_default() + "\n",
        Format::Earl => earl(&assessment, oxigraph_format(false))?,
        Format::EarlJsonld => earl(&assessment, oxigraph_format(true))?,
        Format::Html => fivesafes_certify::html::report(&assessment),
    };
    emit(args, &text)?;
    Ok(exit_for(assessment.overall))
}

fn oxigraph_format(jsonld: bool) -> fivesafes_certify::EarlFormat {
    if jsonld { fivesafes_certify::EarlFormat::JsonLd } else { fivesafes_certify::EarlFormat::Turtle }
}

fn earl(a: &Assessment, format: fivesafes_certify::EarlFormat) -> Result<String, Exit> {
    fivesafes_certify::write_earl(a, format).map_err(|e| {
        eprintln!("error: cannot write EARL: {e}");
        Exit::InvalidInput
    })
}

fn emit(args: &Args, text: &str) -> Result<(), Exit> {
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| crate::fail(ReadError::new(path.display().to_string(), e.to_string()), Exit::CannotRead)),
        None => {
            crate::out!("{text}");
            Ok(())
        }
    }
}

fn write_certificate(a: &Assessment, file: &Path) -> Result<(), Exit> {
    let text = fivesafes_certify::certificate::turtle(a).map_err(|e| {
        eprintln!("error: cannot write the certificate: {e}");
        Exit::InvalidInput
    })?;
    std::fs::write(file, text)
        .map_err(|e| crate::fail(ReadError::new(file.display().to_string(), e.to_string()), Exit::CannotRead))
}

fn read_sheet(path: &Path) -> Result<SelfAssessment, Exit> {
    let bytes = std::fs::read(path)
        .map_err(|e| crate::fail(ReadError::new(path.display().to_string(), e.to_string()), Exit::CannotRead))?;
    satre::read_sheet(&path.display().to_string(), &bytes).map_err(|e| crate::fail(e, Exit::InvalidInput))
}

fn one(assessor: &Assessor, path: &Path, satre: Option<&Path>, day: Day) -> Result<Assessment, Exit> {
    let bytes = std::fs::read(path)
        .map_err(|e| crate::fail(ReadError::new(path.display().to_string(), e.to_string()), Exit::CannotRead))?;
    let sheet = satre.map(read_sheet).transpose()?;
    described(assessor, &path.display().to_string(), &bytes, sheet.as_ref(), day)
}

fn described(
    assessor: &Assessor,
    name: &str,
    bytes: &[u8],
    sheet: Option<&SelfAssessment>,
    day: Day,
) -> Result<Assessment, Exit> {
    let description =
        fivesafes_certify::read_description(name, bytes, sheet).map_err(|e| crate::fail(e, Exit::InvalidInput))?;
    assessor.assess(&description, sheet, day).map_err(|e| crate::fail(e, Exit::InvalidInput))
}

fn exit_for(level: Conformance) -> Exit {
    match level {
        Conformance::Full | Conformance::Baseline => Exit::Allow,
        Conformance::NotMet => Exit::Deny,
        Conformance::Undetermined => Exit::Review,
    }
}

fn federation(args: &Args, assessor: &Assessor, day: Day) -> Result<Exit, Exit> {
    let dir = args.descriptions.clone().or_else(|| args.bundle.bundle.as_ref().map(|b| b.join("descriptions")));
    let members = assessor.members().to_vec();
    let progress = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(members.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let mut assessments = Vec::new();
    let mut missing = Vec::new();
    for (id, _) in &members {
        if let Some(bar) = &progress {
            bar.set_message(id.clone());
        }
        match &dir {
            Some(dir) => {
                let ttl = dir.join(format!("{id}.ttl"));
                let jsonld = dir.join(format!("{id}.jsonld"));
                let path = if ttl.is_file() {
                    Some(ttl)
                } else if jsonld.is_file() {
                    Some(jsonld)
                } else {
                    None
                };
                match path {
                    Some(p) => {
                        let sheet = dir.join(format!("{id}.satre.csv"));
                        let sheet = sheet.is_file().then_some(sheet);
                        assessments.push(one(assessor, &p, sheet.as_deref(), day)?);
                    }
                    None => missing.push(id.clone()),
                }
            }
            None => match EXAMPLE_DESCRIPTIONS.iter().find(|(file, _)| file.split('.').next() == Some(id.as_str())) {
                Some((file, text)) => {
                    let name = format!("examples/federation/descriptions/{file}");
                    assessments.push(described(assessor, &name, text.as_bytes(), None, day)?);
                }
                None => missing.push(id.clone()),
            },
        }
        if let Some(bar) = &progress {
            bar.inc(1);
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if let Some(dir) = &args.certificates {
        std::fs::create_dir_all(dir)
            .map_err(|e| crate::fail(ReadError::new(dir.display().to_string(), e.to_string()), Exit::CannotRead))?;
        for a in &assessments {
            let id = a.id.clone().unwrap_or_else(|| a.tre.rsplit(['/', '#']).next().unwrap_or("member").to_owned());
            write_certificate(a, &dir.join(format!("{id}.assessment.ttl")))?;
        }
    }
    let text = match args.format {
        Format::Human => table(&assessments, &missing),
        Format::Json => {
            let value = serde_json::json!({ "assessments": assessments, "missing": missing });
            serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
        }
        Format::Earl | Format::EarlJsonld => {
            let format = oxigraph_format(args.format == Format::EarlJsonld);
            fivesafes_certify::write_earl_many(&assessments, format).map_err(|e| {
                eprintln!("error: cannot write EARL: {e}");
                Exit::InvalidInput
            })?
        }
        Format::Html => fivesafes_certify::html::federation(&assessments, &missing),
    };
    emit(args, &text)?;
    let worst = assessments.iter().map(|a| a.overall).min().unwrap_or(Conformance::Full);
    Ok(if missing.is_empty() { exit_for(worst) } else { exit_for(worst.min(Conformance::Undetermined)) })
}

/// The grid and every requirement not passed.
fn human(a: &Assessment) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let name = a.name.clone().unwrap_or_else(|| a.tre.clone());
    let _ = writeln!(s, "{name} <{}>", a.tre);
    let _ = writeln!(s, "assessed on {} against {} {}", a.assessed_on, a.blueprint, a.blueprint_version);
    let _ = writeln!(s, "evidence graph {} ({})", a.evidence_hash, a.description);
    let _ = writeln!(
        s,
        "overall: {}{}\n",
        a.overall.name(),
        if a.certified { " (certified: every mandatory requirement met)" } else { " (not certified)" }
    );
    let _ = write!(s, "{:<16}", "");
    for safe in fivesafes_core::Safe::ALL {
        let _ = write!(s, "{:<14}", safe.name());
    }
    let _ = writeln!(s);
    for d in &a.dimensions {
        let _ = write!(s, "{:<16}", format!("{} ", d.dimension.name()));
        for c in a.cells.iter().filter(|c| c.dimension == d.dimension) {
            let _ = write!(s, "{:<14}", c.level.name());
        }
        let _ = writeln!(s, "-> {}", d.level.name());
    }
    let _ = writeln!(s);
    for r in &a.results {
        let mark = match r.outcome {
            Outcome::Passed => "ok  ",
            Outcome::Inapplicable => "n/a ",
            Outcome::Failed => "FAIL",
            Outcome::CantTell => "????",
            Outcome::Untested => "----",
        };
        let _ = writeln!(s, "{mark} {:<10} {} ({:?})", r.requirement, r.title, r.level);
        if matches!(r.outcome, Outcome::Passed | Outcome::Inapplicable) {
            continue;
        }
        for p in &r.problems {
            let _ = writeln!(s, "       - {p}");
        }
        for sc in &r.satre {
            let _ = writeln!(s, "       - SATRE {} scored {}", sc.statement, sc.score);
        }
        if !r.improve.is_empty() {
            let _ = writeln!(s, "       > {}", r.improve);
        }
    }
    if let Some(sat) = &a.satre {
        let _ = writeln!(s, "\nSATRE v{} self-assessment: {}", sat.version, if sat.met { "met" } else { "not met" });
        for c in &sat.unmet_capabilities {
            let _ = writeln!(s, "  capability not met: {c}");
        }
        for n in &sat.notes {
            let _ = writeln!(s, "  note: {n}");
        }
    }
    s
}

fn table(assessments: &[Assessment], missing: &[String]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<10} {:<14} {:>6} {:>6} {:>9} {:>5}  certified",
        "member", "overall", "passed", "failed", "cantTell", "n/a"
    );
    for a in assessments {
        let count = |o: Outcome| a.results.iter().filter(|r| r.outcome == o).count();
        let _ = writeln!(
            s,
            "{:<10} {:<14} {:>6} {:>6} {:>9} {:>5}  {}",
            a.id.clone().unwrap_or_else(|| a.tre.clone()),
            a.overall.name(),
            count(Outcome::Passed),
            count(Outcome::Failed),
            count(Outcome::CantTell),
            count(Outcome::Inapplicable),
            if a.certified { "yes" } else { "no" }
        );
    }
    for m in missing {
        let _ = writeln!(s, "{m:<10} no self-description");
    }
    s
}
