//! Reading bundle files from disk: the embedded baseline, plus a federation directory or the
//! embedded example federation, plus `--vocab` files.

use crate::exit::Exit;
use fivesafes_core::{Bundle, BundleError, SourceFile, SourceRole, embedded};
use miette::Diagnostic;
use std::path::{Path, PathBuf};

/// Where the bundle comes from: the options shared by the commands that load one.
#[derive(clap::Args)]
pub struct BundleArgs {
    /// A federation bundle directory (federation RDF at the top, `members/*.cedar`, `vocab/`,
    /// visa issuers' key sets in `keys/*.json`);
    /// default: the embedded example federation.
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// Read the baseline (vocab/, blueprint/, policies/) from this checkout of the repository
    /// layout instead of the copy built into the program: for authors editing it.
    #[arg(long, value_name = "DIR")]
    pub baseline: Option<PathBuf>,
    /// An extra vocabulary (Turtle, N-Triples, RDF/XML, JSON-LD); repeatable.
    #[arg(long)]
    pub vocab: Vec<PathBuf>,
}

impl BundleArgs {
    /// The bundle's source files.
    pub fn files(&self) -> Result<Vec<SourceFile>, Exit> {
        collect(self.baseline.as_deref(), self.bundle.as_deref(), &self.vocab)
            .map_err(|e| crate::fail(e, Exit::CannotRead))
    }

    /// The bundle, loaded.
    pub fn load(&self) -> Result<Bundle, Exit> {
        Bundle::load(&self.files()?).map_err(|e: BundleError| crate::fail(e, Exit::InvalidBundle))
    }
}

/// A file could not be read.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("cannot read `{path}`: {message}")]
#[diagnostic(code(fivesafes::io))]
pub struct ReadError {
    path: String,
    message: String,
}

impl ReadError {
    /// A file could not be read (or written): which, and why.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> ReadError {
        ReadError { path: path.into(), message: message.into() }
    }
}

/// Read a file to a string, or say which and why.
pub fn read(path: &Path) -> Result<String, ReadError> {
    std::fs::read_to_string(path).map_err(|e| ReadError { path: path.display().to_string(), message: e.to_string() })
}

fn rdf_file(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(),
        Some("ttl" | "nt" | "rdf" | "owl" | "jsonld" | "xml")
    )
}

fn sorted_files(dir: &Path) -> Result<Vec<PathBuf>, ReadError> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ReadError { path: dir.display().to_string(), message: e.to_string() })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    Ok(out)
}

/// Load the bundle: baseline + (DIR or the example federation) + extra vocabularies.
pub fn load_bundle(dir: Option<&Path>, vocab: &[PathBuf]) -> Result<Bundle, Exit> {
    let files = collect(None, dir, vocab).map_err(|e| crate::fail(e, Exit::CannotRead))?;
    Bundle::load(&files).map_err(|e: BundleError| crate::fail(e, Exit::InvalidBundle))
}

/// The files of a layout, read from under `root` (names stay relative, as when embedded).
fn read_layout(root: &Path, layout: Vec<(SourceRole, &'static str)>) -> Result<Vec<SourceFile>, ReadError> {
    layout.into_iter().map(|(role, name)| Ok(SourceFile::new(role, name, read(&root.join(name))?))).collect()
}

/// The source files of the bundle: the baseline (embedded, or read from a checkout of the
/// repository layout at `baseline`) + (DIR or the example federation) + extra vocabularies.
pub fn collect(baseline: Option<&Path>, dir: Option<&Path>, vocab: &[PathBuf]) -> Result<Vec<SourceFile>, ReadError> {
    let mut files = match baseline {
        Some(root) => read_layout(root, embedded::baseline_layout())?,
        None => embedded::baseline(),
    };
    match dir {
        None => match baseline {
            Some(root) => files.extend(read_layout(root, embedded::example_federation_layout())?),
            None => files.extend(embedded::example_federation()),
        },
        Some(dir) => {
            for p in sorted_files(dir)?.into_iter().filter(|p| rdf_file(p)) {
                files.push(SourceFile::new(SourceRole::Federation, p.display().to_string(), read(&p)?));
            }
            let vocab_dir = dir.join("vocab");
            if vocab_dir.is_dir() {
                for p in sorted_files(&vocab_dir)?.into_iter().filter(|p| rdf_file(p)) {
                    files.push(SourceFile::new(SourceRole::Vocabulary, p.display().to_string(), read(&p)?));
                }
            }
            let keys = dir.join("keys");
            if keys.is_dir() {
                for p in sorted_files(&keys)?.into_iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
                    files.push(SourceFile::new(SourceRole::Keys, p.display().to_string(), read(&p)?));
                }
            }
            let members = dir.join("members");
            if members.is_dir() {
                for p in sorted_files(&members)?.into_iter().filter(|p| p.extension().is_some_and(|e| e == "cedar")) {
                    files.push(SourceFile::new(SourceRole::LocalPolicy, p.display().to_string(), read(&p)?));
                }
            }
        }
    }
    for p in vocab {
        files.push(SourceFile::new(SourceRole::Vocabulary, p.display().to_string(), read(p)?));
    }
    Ok(files)
}
