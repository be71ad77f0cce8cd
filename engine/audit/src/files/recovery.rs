//! Recovery on open: find the last complete entry of a file, check it, and cut off a torn last
//! line (bytes after the last newline, left by a write that did not finish).

use super::LogError;
use crate::chain::ChainHead;
use crate::verify::{LinePlace, check_entry};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// What recovering one file found.
pub(crate) struct Tail {
    /// Its last complete entry (none: the file holds no complete line).
    pub head: Option<ChainHead>,
    /// How many bytes of a torn last line were cut off.
    pub torn_bytes: u64,
}

/// How much of a file's end is read first; doubled until it holds the last complete line.
const FIRST_READ: u64 = 64 * 1024;

/// Recovers `path`: cuts off a torn last line (synced before returning) and checks the last
/// complete entry on its own (its hash); a bad one is refused, and nothing is cut.
pub(crate) fn recover(path: &Path) -> Result<Tail, LogError> {
    let mut file =
        std::fs::OpenOptions::new().read(true).write(true).open(path).map_err(|e| LogError::io("open", path, &e))?;
    let len = file.metadata().map_err(|e| LogError::io("read", path, &e))?.len();
    let mut span = FIRST_READ;
    loop {
        let start = len.saturating_sub(span);
        let mut buf = Vec::new();
        file.seek(SeekFrom::Start(start)).map_err(|e| LogError::io("read", path, &e))?;
        (&mut file)
            .take(len.saturating_sub(start))
            .read_to_end(&mut buf)
            .map_err(|e| LogError::io("read", path, &e))?;
        let Some(last_newline) = buf.iter().rposition(|b| *b == b'\n') else {
            if start > 0 {
                span = span.saturating_mul(2);
                continue;
            }
            // No complete line at all: the whole file is a torn line (or empty).
            cut(&file, path, 0, len)?;
            return Ok(Tail { head: None, torn_bytes: len });
        };
        let before = buf.get(..last_newline).unwrap_or_default();
        let line_start = match before.iter().rposition(|b| *b == b'\n') {
            Some(i) => i.saturating_add(1),
            None if start == 0 => 0,
            None => {
                span = span.saturating_mul(2);
                continue;
            }
        };
        let line = before.get(line_start..).unwrap_or_default();
        let entry = check_entry(line).map_err(|fault| {
            let lines_before = bytecount(&mut file, start.saturating_add(line_start as u64));
            LogError::CorruptTail {
                place: LinePlace { file: path.display().to_string(), line: lines_before.saturating_add(1) },
                fault,
            }
        })?;
        let good_len = start.saturating_add(last_newline as u64).saturating_add(1);
        let torn_bytes = len.saturating_sub(good_len);
        cut(&file, path, good_len, torn_bytes)?;
        return Ok(Tail { head: Some(ChainHead { sequence: entry.sequence, hash: entry.hash }), torn_bytes });
    }
}

/// Cuts the file to `good_len` bytes when `torn_bytes` follow them, and syncs it.
fn cut(file: &std::fs::File, path: &Path, good_len: u64, torn_bytes: u64) -> Result<(), LogError> {
    if torn_bytes > 0 {
        file.set_len(good_len).map_err(|e| LogError::io("truncate", path, &e))?;
        file.sync_all().map_err(|e| LogError::io("sync", path, &e))?;
    }
    Ok(())
}

/// The number of newlines in the first `upto` bytes of the file (for naming a line; 0 when it
/// cannot be read).
fn bytecount(file: &mut std::fs::File, upto: u64) -> u64 {
    let mut buf = Vec::new();
    if file.seek(SeekFrom::Start(0)).is_err() || file.take(upto).read_to_end(&mut buf).is_err() {
        return 0;
    }
    buf.iter().filter(|b| **b == b'\n').count() as u64
}
