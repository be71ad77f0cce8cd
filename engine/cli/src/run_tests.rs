//! `fivesafes test`: run YAML test suites (and Cedar `run-tests` JSON files) against a bundle,
//! with human, JSON and JUnit XML output and exact coverage.

use crate::exit::Exit;
use crate::{render, sources};
use cedar_policy::{PolicySet, Schema};
use fivesafes_core::coverage::Coverage;
use fivesafes_core::suite::{Report, SuiteError, SuiteResult};
use fivesafes_core::{Bundle, Trace, cedar_tests, suite};
use std::path::{Path, PathBuf};

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A line per case; a failing case shows what was expected, what came and the matrix.
    Human,
    /// Every result as JSON.
    Json,
}

/// Arguments of `fivesafes test`.
#[derive(clap::Args)]
pub struct Args {
    /// Suite files or directories (searched recursively): `.yaml`/`.yml` are fivesafes suites,
    /// `.json` are Cedar `run-tests` files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    bundle: sources::BundleArgs,
    /// Cedar policies for the Cedar `run-tests` files (as `cedar run-tests --policies`);
    /// default: every policy of the bundle. A policy's `@id` annotation names it.
    #[arg(long, value_name = "FILE")]
    policies: Option<PathBuf>,
    /// A Cedar schema for the Cedar `run-tests` files (as `cedar run-tests --schema`); with
    /// `--policies`, the policies are validated against it first.
    #[arg(long, value_name = "FILE", requires = "policies")]
    schema: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Also write the results as JUnit XML to this file.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Report coverage: per policy, requirement and member, counted from evaluation.
    #[arg(long)]
    coverage: bool,
    /// Fail (exit 1) when the share of policies that fired, or of requirements exercised both
    /// satisfied and violated, is below PERCENT. Implies --coverage.
    #[arg(long, value_name = "PERCENT")]
    threshold: Option<f64>,
}

/// Run the command. Exit 0 when every case passed (and coverage meets `--threshold`); 1 when a
/// case failed or coverage is below it; 3 a suite file is malformed; 4 the bundle is invalid;
/// 5 a file could not be read or written.
pub fn run(args: &Args) -> Exit {
    // `Err` is a problem that stops the run before any verdict.
    run_inner(args).unwrap_or_else(|stop| stop)
}

fn run_inner(args: &Args) -> Result<Exit, Exit> {
    let own = match &args.policies {
        Some(p) => Some(read_cedar(p, args.schema.as_deref())?),
        None => None,
    };
    let suite_files = discover(&args.paths)?;
    // The bundle is loaded only when a suite runs against it: Cedar test files run against
    // `--policies` need none.
    let needs_bundle = suite_files.iter().any(|p| !is_cedar(p) || own.is_none());
    let bundle = if needs_bundle { Some(args.bundle.load()?) } else { None };
    let mut trace = Trace::default();
    let mut own_trace = Trace::default();
    let mut suites = Vec::new();
    // Whether any case ran against the bundle (coverage of the bundle means nothing otherwise).
    let mut bundle_ran = false;
    for path in &suite_files {
        let name = path.display().to_string();
        let text = sources::read(path).map_err(|e| crate::fail(e, Exit::CannotRead))?;
        let result = if is_cedar(path) {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let load = move |file: &str| entities_file(&dir, file);
            match &own {
                Some((set, schema)) => cedar_tests::run(&name, &text, set, schema.as_ref(), &load, &mut own_trace),
                None => {
                    let bundle = loaded(bundle.as_ref())?;
                    bundle_ran = true;
                    let all = &bundle.policies.all;
                    cedar_tests::run(&name, &text, all, Some(&bundle.policies.schema), &load, &mut trace)
                }
            }
        } else {
            bundle_ran = true;
            suite::run(loaded(bundle.as_ref())?, &name, &text, &mut trace)
        };
        suites.push(result.map_err(|e: SuiteError| crate::fail(e, Exit::InvalidInput))?);
    }
    if suites.iter().all(|s| s.cases.is_empty()) {
        eprintln!(
            "error: no test cases found in {}",
            args.paths.iter().map(|p| format!("`{}`", p.display())).collect::<Vec<_>>().join(", ")
        );
        return Ok(Exit::Failed);
    }
    let with_coverage = args.coverage || args.threshold.is_some();
    let coverage = bundle.as_ref().filter(|_| with_coverage && bundle_ran).map(|b| Coverage::of_bundle(b, &trace));
    let policies_coverage =
        own.as_ref().filter(|_| with_coverage).map(|(set, _)| Coverage::of_policy_set(set, &own_trace));
    let report = Report::new(suites, coverage, policies_coverage, args.threshold);
    if let Some(path) = &args.junit {
        let xml = junit(&report.suites).map_err(|e| {
            eprintln!("error: cannot write JUnit XML: {e}");
            Exit::CannotRead
        })?;
        std::fs::write(path, xml).map_err(|e| {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            Exit::CannotRead
        })?;
    }
    match args.format {
        Format::Json => crate::outln!("{}", serde_json::to_string_pretty(&report).unwrap_or_default()),
        Format::Human => print_human(&report),
    }
    Ok(if report.succeeded() { Exit::Allow } else { Exit::Failed })
}

/// The bundle, which is loaded whenever a suite needs it.
fn loaded(bundle: Option<&Bundle>) -> Result<&Bundle, Exit> {
    bundle.ok_or_else(|| {
        eprintln!("error: internal: a suite needs the bundle, which was not loaded");
        Exit::InvalidBundle
    })
}

fn is_cedar(path: &Path) -> bool {
    suite::is_json_name(&path.to_string_lossy())
}

fn is_suite(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json"))
}

/// Whether a JSON file found in a directory holds Cedar test cases (an array of objects with a
/// `request`), rather than, say, the entities file a test names.
fn cedar_tests_file(path: &Path) -> bool {
    // A file that cannot be read is run, so that its problem is reported.
    std::fs::read_to_string(path).map_or(true, |text| cedar_tests::holds_cases(&text))
}

/// The suite files named, directories searched recursively in name order. A JSON file found in
/// a directory is a Cedar test file only when it holds test cases (entities files are skipped).
fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Exit> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            eprintln!("error: `{}` is neither a file nor a directory", p.display());
            return Err(Exit::CannotRead);
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Exit> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            eprintln!("error: cannot read `{}`: {e}", dir.display());
            Exit::CannotRead
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if is_suite(&p) && (!is_cedar(&p) || cedar_tests_file(&p)) {
            out.push(p);
        }
    }
    Ok(())
}

/// An entities file named by a Cedar test, read from beside the test file (never outside it).
fn entities_file(dir: &Path, name: &str) -> Result<String, String> {
    let path = dir.join(name);
    let (canon, base) = (path.canonicalize(), dir.canonicalize());
    match (canon, base) {
        (Ok(c), Ok(b)) if c.starts_with(&b) => std::fs::read_to_string(&c).map_err(|e| format!("`{name}`: {e}")),
        (Ok(_), Ok(_)) => Err(format!("entities file `{name}` is outside the test file's directory")),
        (Err(e), _) | (_, Err(e)) => Err(format!("entities file `{name}`: {e}")),
    }
}

/// A Cedar policy file and an optional schema (JSON when its name ends in `.json`), read.
fn read_cedar(path: &Path, schema: Option<&Path>) -> Result<(PolicySet, Option<Schema>), Exit> {
    let invalid = |message: String| {
        eprintln!("error: {message}");
        Exit::InvalidInput
    };
    let read = |p: &Path| sources::read(p).map_err(|e| crate::fail(e, Exit::CannotRead));
    let name = path.display().to_string();
    let set = cedar_tests::policies_from_text(&name, &read(path)?).map_err(invalid)?;
    let schema = match schema {
        None => None,
        Some(s) => {
            let json = s.extension().is_some_and(|e| e == "json");
            Some(cedar_tests::schema_for(&s.display().to_string(), &read(s)?, json, &set).map_err(invalid)?)
        }
    };
    Ok((set, schema))
}

fn print_human(report: &Report) {
    for s in &report.suites {
        crate::outln!("suite {} ({}, {})", s.name, s.file, s.format);
        for c in &s.cases {
            if c.passed {
                crate::outln!("  ok    {}", c.name);
                continue;
            }
            let at = c.line.map(|l| format!(" (line {l})")).unwrap_or_default();
            crate::outln!("  FAIL  {}{at}", c.name);
            for f in &c.failures {
                crate::outln!("        {f}");
            }
            if let Some(d) = &c.actual {
                crate::outln!("        the decision was:");
                for line in render::decision(d).lines() {
                    crate::outln!("          {line}");
                }
            }
        }
    }
    crate::outln!("results: {} passed, {} failed", report.passed, report.failed);
    for (label, c) in [("bundle", &report.coverage), ("--policies", &report.policies_coverage)] {
        if let Some(c) = c {
            print_coverage(label, c);
        }
    }
    if let Some(t) = report.threshold {
        let verdict = if report.coverage_met { "met" } else { "NOT met" };
        crate::outln!("coverage threshold {t}%: {verdict}");
    }
}

fn print_coverage(label: &str, c: &Coverage) {
    let held = c.policies.iter().filter(|p| p.held).count();
    crate::outln!("coverage ({label}): policies fired {held}/{} ({}%)", c.policies.len(), c.policy_percent);
    let never: Vec<&str> = c.policies.iter().filter(|p| !p.held).map(|p| p.id.as_str()).collect();
    if !never.is_empty() {
        crate::outln!("  never fired: {}", never.join(", "));
    }
    if !c.requirements.is_empty() {
        let both = c.requirements.iter().filter(|r| r.satisfied && r.violated).count();
        crate::outln!(
            "  requirements exercised satisfied and violated: {both}/{} ({}%)",
            c.requirements.len(),
            c.requirement_percent
        );
        for r in c.requirements.iter().filter(|r| !(r.satisfied && r.violated)) {
            let missing = match (r.satisfied, r.violated) {
                (false, false) => "never evaluated",
                (true, false) => "never violated",
                _ => "never satisfied",
            };
            crate::outln!("    {}: {missing} ({})", r.id, r.policies.join(", "));
        }
    }
    for m in &c.members {
        let total = m.hit.len() + m.missed.len();
        let missed =
            if m.missed.is_empty() { String::new() } else { format!("; never fired: {}", m.missed.join(", ")) };
        crate::outln!("  member {}: local rules fired {}/{total}{missed}", m.member, m.hit.len());
    }
}

/// JUnit XML: a test suite per file, a test case per case, failures with their lines.
fn junit(suites: &[SuiteResult]) -> Result<String, quick_junit::SerializeError> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("fivesafes");
    for s in suites {
        let mut suite = TestSuite::new(s.name.clone());
        for c in &s.cases {
            let status = if c.passed {
                TestCaseStatus::success()
            } else {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                st.set_message(c.failures.first().cloned().unwrap_or_default());
                let mut body = c.failures.join("\n");
                if let Some(d) = &c.actual {
                    body.push_str("\n\nthe decision was:\n");
                    body.push_str(&render::decision(d));
                }
                st.set_description(body);
                st
            };
            let mut case = TestCase::new(c.name.clone(), status);
            case.set_classname(s.file.clone());
            case.extra.insert("file".into(), s.file.clone().into());
            if let Some(line) = c.line {
                case.extra.insert("line".into(), line.to_string().into());
            }
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report.to_string()
}
