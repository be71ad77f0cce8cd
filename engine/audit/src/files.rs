//! The decision log on disk.
//!
//! A log is a directory. The entries being appended go to `decisions.log`; when it would grow
//! past the size limit, it is renamed `decisions.log.N`, N one more than the highest number
//! already there (1 for the first), and a new `decisions.log` is begun whose first entry links
//! to the last entry of the one renamed. So the log, oldest first, is `decisions.log.1`,
//! `decisions.log.2`, ..., then `decisions.log`; a closed file is never renamed again.

mod appender;
mod recovery;

pub use appender::{DecisionLog, Durability, LogConfig, Receipt, Recovered};

use crate::verify::{ChainStart, ChainVerifier, Verification};
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// The file entries are appended to, in the log's directory.
pub const ACTIVE_FILE: &str = "decisions.log";

/// What went wrong with a log on disk.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LogError {
    /// A file or directory could not be read, written, synced or renamed.
    #[error("cannot {action} `{path}`: {message}")]
    #[diagnostic(code(fivesafes::audit::io))]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: String,
        /// The system's words.
        message: String,
    },
    /// The last complete entry of the log does not verify on its own; the chain is not
    /// continued over it.
    #[error("the decision log's last entry does not verify, at {place}: {fault}")]
    #[diagnostic(
        code(fivesafes::audit::corrupt_tail),
        help("run `fivesafes audit verify` on the log's directory to find the first bad entry; nothing was appended")
    )]
    CorruptTail {
        /// Where it is.
        place: crate::verify::LinePlace,
        /// What is wrong.
        fault: crate::verify::Fault,
    },
    /// An earlier write or sync failed: the log appends nothing more until it is opened again
    /// (which recovers the tail).
    #[error("the decision log stopped after a failure: {0}")]
    #[diagnostic(code(fivesafes::audit::stopped), help("open the log again: it recovers the last complete entry"))]
    Stopped(String),
    /// The log was closed.
    #[error("the decision log is closed")]
    #[diagnostic(code(fivesafes::audit::closed))]
    Closed,
    /// A thread panicked while holding the log.
    #[error("a thread panicked while writing the decision log")]
    #[diagnostic(code(fivesafes::audit::poisoned))]
    Poisoned,
    /// An entry could not be made.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Entry(#[from] crate::error::AuditError),
}

impl LogError {
    pub(crate) fn io(action: &'static str, path: &Path, e: &std::io::Error) -> LogError {
        LogError::Io { action, path: path.display().to_string(), message: e.to_string() }
    }
}

/// The number of a rotated file's name (`decisions.log.7` -> 7), if it is one of `base`'s.
fn rotation_number(name: &str, base: &str) -> Option<u64> {
    let digits = name.strip_prefix(base)?.strip_prefix('.')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The numbers of `base`'s rotated files in `dir`, ascending.
pub(crate) fn rotation_numbers(dir: &Path, base: &str) -> Result<Vec<u64>, LogError> {
    let listing = std::fs::read_dir(dir).map_err(|e| LogError::io("list", dir, &e))?;
    let mut numbers = Vec::new();
    for item in listing {
        let item = item.map_err(|e| LogError::io("list", dir, &e))?;
        if let Some(n) = item.file_name().to_str().and_then(|name| rotation_number(name, base)) {
            numbers.push(n);
        }
    }
    numbers.sort_unstable();
    Ok(numbers)
}

/// The files of a log, oldest first. A directory: its `decisions.log.N` in ascending N, then
/// `decisions.log`. A file `NAME.N`: the files `NAME.M` with M >= N beside it, ascending, then
/// `NAME` (verifying from a later file needs [`ChainStart::After`]). A file `NAME`: every
/// `NAME.N` beside it, then itself.
pub fn log_files(path: &Path) -> Result<Vec<PathBuf>, LogError> {
    let meta = std::fs::metadata(path).map_err(|e| LogError::io("read", path, &e))?;
    let (dir, base, from) = if meta.is_dir() {
        (path.to_path_buf(), ACTIVE_FILE.to_owned(), 0)
    } else {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        match name.rsplit_once('.').and_then(|(base, _)| rotation_number(&name, base).map(|n| (base.to_owned(), n))) {
            Some((base, n)) => (dir, base, n),
            None => (dir, name, 0),
        }
    };
    let mut files: Vec<PathBuf> = rotation_numbers(&dir, &base)?
        .into_iter()
        .filter(|n| *n >= from)
        .map(|n| dir.join(format!("{base}.{n}")))
        .collect();
    let active = dir.join(&base);
    if active.is_file() {
        files.push(active);
    }
    Ok(files)
}

/// The files to verify for the paths given: one path is a log ([`log_files`]); several are
/// taken as they are, in the order given.
pub fn files_to_verify(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LogError> {
    match paths {
        [one] => log_files(one),
        _ => Ok(paths.to_vec()),
    }
}

/// Verifies the log in `files`, oldest first, reading each a line at a time.
pub fn verify_files(files: &[PathBuf], start: ChainStart) -> Result<Verification, LogError> {
    let mut verifier = ChainVerifier::new(start);
    let mut line = Vec::new();
    for path in files {
        let file = std::fs::File::open(path).map_err(|e| LogError::io("read", path, &e))?;
        let mut reader = std::io::BufReader::new(file);
        verifier.file(&path.display().to_string());
        while !verifier.settled() {
            line.clear();
            let read = reader.read_until(b'\n', &mut line).map_err(|e| LogError::io("read", path, &e))?;
            if read == 0 {
                break;
            }
            let terminated = line.last() == Some(&b'\n');
            if terminated {
                line.pop();
            }
            verifier.line(&line, terminated);
        }
    }
    Ok(verifier.finish())
}

/// Syncs a directory, so that a file created or renamed in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), LogError> {
    #[cfg(unix)]
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| LogError::io("sync", dir, &e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
