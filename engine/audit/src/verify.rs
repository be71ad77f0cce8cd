//! Verifying a log: every line an entry, every hash right, every `prev` linked to the entry
//! before, sequence numbers consecutive, across rotated files in order. The first bad entry is
//! named by file, line and sequence, with what is wrong with it.

use crate::chain::{ChainHead, GENESIS, content_hash};
use crate::entry::{LOG_FORMAT, LogEntry};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where the verified chain must start.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ChainStart {
    /// At the first entry of the log: sequence 1, `prev` [`GENESIS`].
    #[default]
    Genesis,
    /// After an entry known from elsewhere (an earlier verification, a retained head): the
    /// first entry's `prev` must be this hash; its sequence number is taken as it is.
    After(String),
}

/// Where an entry is: the file as it was named, and the line (from 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LinePlace {
    /// The file.
    pub file: String,
    /// The line, from 1.
    pub line: u64,
}

impl std::fmt::Display for LinePlace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} line {}", self.file, self.line)
    }
}

/// What is wrong with an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum Fault {
    /// The line is not JSON, or not a log entry.
    Malformed {
        /// Why.
        message: String,
    },
    /// The line has no newline: a write that did not finish (the appender removes it when it
    /// opens the log again).
    Truncated,
    /// The entry's content does not match its hash: it was edited.
    Edited {
        /// The hash the entry carries.
        recorded: String,
        /// The hash of its content.
        computed: String,
    },
    /// Sequence numbers skip and the skipped entries are nowhere after: they were deleted
    /// (or earlier rotated files were not given).
    Missing {
        /// The sequence number due here.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// Sequence numbers skip and the skipped entry comes later: entries were reordered.
    Reordered {
        /// The sequence number due here.
        expected: u64,
        /// The one found.
        found: u64,
        /// Where the entry due here is.
        expected_at: LinePlace,
    },
    /// A sequence number goes back or repeats: an entry was duplicated or moved back.
    Repeated {
        /// The sequence number due here.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// The entry's `prev` is not the hash of the entry before it: the entry before was edited
    /// and re-hashed, or this one was put in from another chain.
    BrokenLink {
        /// The hash of the entry before ([`GENESIS`] or the anchor for the first).
        expected: String,
        /// The entry's `prev`.
        found: String,
    },
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Malformed { message } => write!(f, "malformed: {message}"),
            Fault::Truncated => write!(f, "truncated: the line has no newline (a write that did not finish)"),
            Fault::Edited { recorded, computed } => {
                write!(f, "edited: the entry's content hashes to `{computed}`, not to its recorded hash `{recorded}`")
            }
            Fault::Missing { expected, found } if found.saturating_sub(*expected) == 1 => {
                write!(f, "missing: entry {expected} is not in the log (deleted); entry {found} comes next")
            }
            Fault::Missing { expected, found } => write!(
                f,
                "missing: entries {expected} to {} are not in the log (deleted); entry {found} comes next",
                found.saturating_sub(1)
            ),
            Fault::Reordered { expected, found, expected_at } => {
                write!(f, "reordered: entry {found} comes before entry {expected}, which is at {expected_at}")
            }
            Fault::Repeated { expected, found } => {
                write!(f, "repeated: entry {found} comes again where entry {expected} is due (duplicated or moved)")
            }
            Fault::BrokenLink { expected, found } => write!(
                f,
                "broken link: `prev` is `{found}`, not `{expected}`, the hash of the entry before (that one was \
                 edited and re-hashed, or this one comes from another chain)"
            ),
        }
    }
}

/// The first bad entry of a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BadEntry {
    /// Where it is.
    pub at: LinePlace,
    /// Its sequence number, when the line says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
    /// What is wrong.
    pub fault: Fault,
    /// The same, in words.
    pub message: String,
}

impl std::fmt::Display for BadEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.sequence {
            Some(s) => write!(f, "{} (sequence {s}): {}", self.at, self.message),
            None => write!(f, "{}: {}", self.at, self.message),
        }
    }
}

/// What verifying a log found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Verification {
    /// Whether the whole chain verifies.
    pub verified: bool,
    /// The files read, in order.
    pub files: Vec<String>,
    /// The entries that verified (before the first bad one).
    pub entries: u64,
    /// The last entry that verified: record it elsewhere to detect a later truncation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<ChainHead>,
    /// The first bad entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bad_entry: Option<BadEntry>,
}

/// The JSON Schema of a verification (`fivesafes audit verify --format json`).
pub fn verification_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Verification)).unwrap_or_default()
}

/// Reads an entry from a line (without its newline) and checks it on its own: JSON, a log
/// entry of a known format, its hash matching its content.
pub fn check_entry(line: &[u8]) -> Result<LogEntry, Fault> {
    let malformed = |message: String| Fault::Malformed { message };
    if line.iter().all(u8::is_ascii_whitespace) {
        return Err(malformed("an empty line".to_owned()));
    }
    let value: serde_json::Value = serde_json::from_slice(line).map_err(|e| malformed(format!("not JSON ({e})")))?;
    let entry = LogEntry::deserialize(&value).map_err(|e| malformed(format!("not a decision log entry ({e})")))?;
    if entry.format != LOG_FORMAT {
        return Err(malformed(format!("log format `{}`, this verifier reads format `{LOG_FORMAT}`", entry.format)));
    }
    let computed = content_hash(value).map_err(|e| malformed(e.to_string()))?;
    if computed != entry.hash {
        return Err(Fault::Edited { recorded: entry.hash, computed });
    }
    Ok(entry)
}

/// Verifies a log line by line, file by file, in order; stops judging at the first bad entry.
///
/// Feed it with [`ChainVerifier::file`] for each file and [`ChainVerifier::line`] for each of
/// its lines, then [`ChainVerifier::finish`]. After a gap in the sequence numbers it goes on
/// reading sequence numbers only, to tell a deletion from a reordering; [`ChainVerifier::settled`]
/// says when more lines can no longer change the answer.
#[derive(Debug, Clone, Default)]
pub struct ChainVerifier {
    start: ChainStart,
    files: Vec<String>,
    line: u64,
    entries: u64,
    head: Option<ChainHead>,
    bad: Option<BadEntry>,
    /// After a gap: the sequence number looked for further on.
    looking_for: Option<u64>,
}

/// Just the sequence number of a line, for looking ahead after a gap.
#[derive(Deserialize)]
struct SequenceOnly {
    sequence: u64,
}

impl ChainVerifier {
    /// A verifier for a chain that starts as `start` says.
    pub fn new(start: ChainStart) -> ChainVerifier {
        ChainVerifier { start, ..ChainVerifier::default() }
    }

    /// The next file begins.
    pub fn file(&mut self, name: &str) {
        self.files.push(name.to_owned());
        self.line = 0;
    }

    /// Whether further lines can no longer change the answer.
    pub fn settled(&self) -> bool {
        self.bad.is_some() && self.looking_for.is_none()
    }

    fn place(&self) -> LinePlace {
        LinePlace { file: self.files.last().cloned().unwrap_or_default(), line: self.line }
    }

    /// The next line of the current file, without its newline; `terminated` says whether the
    /// newline was there.
    pub fn line(&mut self, line: &[u8], terminated: bool) {
        self.line = self.line.saturating_add(1);
        if let Some(wanted) = self.looking_for {
            if serde_json::from_slice::<SequenceOnly>(line).is_ok_and(|s| s.sequence == wanted) {
                self.looking_for = None;
                let expected_at = self.place();
                if let Some(bad) = &mut self.bad
                    && let Fault::Missing { expected, found } = bad.fault
                {
                    bad.fault = Fault::Reordered { expected, found, expected_at };
                    bad.message = bad.fault.to_string();
                }
            }
            return;
        }
        if self.bad.is_some() {
            return;
        }
        if !terminated {
            let sequence = serde_json::from_slice::<SequenceOnly>(line).ok().map(|s| s.sequence);
            return self.fail(sequence, Fault::Truncated);
        }
        let entry = match check_entry(line) {
            Ok(entry) => entry,
            Err(fault) => {
                let sequence = serde_json::from_slice::<SequenceOnly>(line).ok().map(|s| s.sequence);
                return self.fail(sequence, fault);
            }
        };
        let (expected_sequence, expected_prev) = match (&self.head, &self.start) {
            (Some(head), _) => (head.sequence.checked_add(1), head.hash.as_str()),
            (None, ChainStart::Genesis) => (Some(1), GENESIS),
            (None, ChainStart::After(hash)) => (Some(entry.sequence), hash.as_str()),
        };
        let Some(expected) = expected_sequence else {
            return self.fail(Some(entry.sequence), Fault::Repeated { expected: u64::MAX, found: entry.sequence });
        };
        if entry.sequence > expected {
            self.looking_for = Some(expected);
            return self.fail(Some(entry.sequence), Fault::Missing { expected, found: entry.sequence });
        }
        if entry.sequence < expected {
            return self.fail(Some(entry.sequence), Fault::Repeated { expected, found: entry.sequence });
        }
        if entry.prev != expected_prev {
            let fault = Fault::BrokenLink { expected: expected_prev.to_owned(), found: entry.prev };
            return self.fail(Some(entry.sequence), fault);
        }
        self.entries = self.entries.saturating_add(1);
        self.head = Some(ChainHead { sequence: entry.sequence, hash: entry.hash });
    }

    fn fail(&mut self, sequence: Option<u64>, fault: Fault) {
        let message = fault.to_string();
        self.bad = Some(BadEntry { at: self.place(), sequence, fault, message });
    }

    /// What was found.
    pub fn finish(self) -> Verification {
        Verification {
            verified: self.bad.is_none(),
            files: self.files,
            entries: self.entries,
            head: self.head,
            bad_entry: self.bad,
        }
    }
}

/// Verifies a log held in memory: each file's name and bytes, oldest first.
pub fn verify_log<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>, start: ChainStart) -> Verification {
    let mut verifier = ChainVerifier::new(start);
    for (name, bytes) in files {
        verifier.file(name);
        let mut rest = bytes;
        while !rest.is_empty() && !verifier.settled() {
            match rest.iter().position(|b| *b == b'\n') {
                Some(end) => {
                    let (line, after) = rest.split_at(end);
                    verifier.line(line, true);
                    rest = after.get(1..).unwrap_or_default();
                }
                None => {
                    verifier.line(rest, false);
                    rest = &[];
                }
            }
        }
    }
    verifier.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, reason = "tests fail loudly")]

    use super::*;
    use crate::chain::entry_hash;
    use crate::sample::{entries, lines};

    fn one_file(lines: &[String]) -> Verification {
        let text = lines.concat();
        verify_log([("decisions.log", text.as_bytes())], ChainStart::Genesis)
    }

    fn bad(v: &Verification) -> &BadEntry {
        assert!(!v.verified, "{v:?}");
        v.bad_entry.as_ref().unwrap()
    }

    #[test]
    fn an_untouched_log_verifies() {
        let v = one_file(&lines(&entries(5)));
        assert!(v.verified, "{v:?}");
        assert_eq!(v.entries, 5);
        assert_eq!(v.head.unwrap().sequence, 5);
        let v = verify_log([("decisions.log", &b""[..])], ChainStart::Genesis);
        assert!(v.verified && v.entries == 0 && v.head.is_none(), "{v:?}");
    }

    #[test]
    fn an_edited_field_is_named() {
        let mut lines = lines(&entries(5));
        lines[2] = lines[2].replace("\"outcome\":\"deny\"", "\"outcome\":\"allow\"");
        let v = one_file(&lines);
        let b = bad(&v);
        assert_eq!((b.at.line, b.sequence), (3, Some(3)));
        assert!(matches!(b.fault, Fault::Edited { .. }), "{b}");
        assert_eq!(v.entries, 2);
    }

    #[test]
    fn an_edited_and_rehashed_entry_breaks_the_next_link() {
        let mut list = entries(5);
        list[2].time = "2030-01-01T00:00:00Z".to_owned();
        list[2].hash = entry_hash(&list[2]).unwrap();
        let v = one_file(&lines(&list));
        let b = bad(&v);
        assert_eq!((b.at.line, b.sequence), (4, Some(4)));
        assert!(matches!(&b.fault, Fault::BrokenLink { found, .. } if *found == entries(5)[2].hash), "{b}");
    }

    #[test]
    fn a_deleted_line_is_missing() {
        let mut lines = lines(&entries(5));
        lines.remove(1);
        let b = bad(&one_file(&lines)).clone();
        assert_eq!(b.fault, Fault::Missing { expected: 2, found: 3 });
        assert_eq!((b.at.line, b.sequence), (2, Some(3)));
        assert_eq!(b.message, "missing: entry 2 is not in the log (deleted); entry 3 comes next");
    }

    #[test]
    fn a_deleted_first_line_is_missing() {
        let lines = lines(&entries(3));
        let b = bad(&one_file(&lines[1..])).clone();
        assert_eq!(b.fault, Fault::Missing { expected: 1, found: 2 });
        assert_eq!(b.at.line, 1);
    }

    #[test]
    fn swapped_lines_are_reordered() {
        let mut lines = lines(&entries(5));
        lines.swap(1, 3);
        let b = bad(&one_file(&lines)).clone();
        let place = LinePlace { file: "decisions.log".to_owned(), line: 4 };
        assert_eq!(b.fault, Fault::Reordered { expected: 2, found: 4, expected_at: place });
        assert_eq!(b.at.line, 2);
        assert!(b.to_string().contains("entry 4 comes before entry 2, which is at decisions.log line 4"), "{b}");
    }

    #[test]
    fn a_duplicated_line_is_repeated() {
        let mut lines = lines(&entries(3));
        let copy = lines[1].clone();
        lines.insert(2, copy);
        let b = bad(&one_file(&lines)).clone();
        assert_eq!(b.fault, Fault::Repeated { expected: 3, found: 2 });
        assert_eq!(b.at.line, 3);
    }

    #[test]
    fn a_torn_last_line_is_truncated() {
        let mut lines = lines(&entries(3));
        let last = lines[2].clone();
        lines[2] = last[..last.len() / 2].to_owned();
        let b = bad(&one_file(&lines)).clone();
        assert_eq!(b.fault, Fault::Truncated);
        assert_eq!(b.at.line, 3);
        // Only the newline missing: still a write that did not finish.
        let mut lines = crate::sample::lines(&entries(3));
        lines[2] = last.trim_end().to_owned();
        let b = bad(&one_file(&lines)).clone();
        assert_eq!((b.fault, b.sequence), (Fault::Truncated, Some(3)));
    }

    #[test]
    fn appended_garbage_is_malformed() {
        let mut lines = lines(&entries(3));
        lines.push("garbage\n".to_owned());
        let b = bad(&one_file(&lines)).clone();
        assert!(matches!(&b.fault, Fault::Malformed { message } if message.starts_with("not JSON")), "{b}");
        assert_eq!((b.at.line, b.sequence), (4, None));
        let mut lines = crate::sample::lines(&entries(3));
        lines.push("{\"sequence\": 4}\n".to_owned());
        let b = bad(&one_file(&lines)).clone();
        assert!(matches!(&b.fault, Fault::Malformed { message } if message.contains("not a decision log entry")));
        assert_eq!(b.sequence, Some(4));
        let mut lines = crate::sample::lines(&entries(3));
        lines.insert(1, "\n".to_owned());
        assert_eq!(bad(&one_file(&lines)).fault, Fault::Malformed { message: "an empty line".to_owned() });
    }

    #[test]
    fn an_unknown_field_or_format_is_malformed() {
        let mut lines = lines(&entries(2));
        lines[1] = lines[1].replacen('{', "{\"extra\":1,", 1);
        assert!(matches!(bad(&one_file(&lines)).fault, Fault::Malformed { .. }));
        let mut lines = crate::sample::lines(&entries(2));
        lines[0] = lines[0].replacen("\"format\":1", "\"format\":2", 1);
        let b = bad(&one_file(&lines)).clone();
        assert!(matches!(&b.fault, Fault::Malformed { message } if message.contains("format `2`")), "{b}");
    }

    #[test]
    fn the_chain_spans_files_and_a_break_between_them_is_named() {
        let lines = lines(&entries(6));
        let (a, b, c) = (lines[..2].concat(), lines[2..4].concat(), lines[4..].concat());
        let files =
            [("decisions.log.1", a.as_bytes()), ("decisions.log.2", b.as_bytes()), ("decisions.log", c.as_bytes())];
        let v = verify_log(files, ChainStart::Genesis);
        assert!(v.verified && v.entries == 6, "{v:?}");
        assert_eq!(v.files, ["decisions.log.1", "decisions.log.2", "decisions.log"]);
        // The middle file left out.
        let v = verify_log([files[0], files[2]], ChainStart::Genesis);
        let b = bad(&v);
        assert_eq!((b.at.file.as_str(), b.at.line), ("decisions.log", 1));
        assert_eq!(b.fault, Fault::Missing { expected: 3, found: 5 });
        // Files in the wrong order: entry 3 is found later, in the next file.
        let v = verify_log([files[0], files[2], files[1]], ChainStart::Genesis);
        let b = bad(&v);
        let place = LinePlace { file: "decisions.log.2".to_owned(), line: 1 };
        assert_eq!(b.fault, Fault::Reordered { expected: 3, found: 5, expected_at: place });
    }

    #[test]
    fn a_later_file_verifies_after_its_anchor() {
        let list = entries(4);
        let text = lines(&list)[2..].concat();
        let v = verify_log([("decisions.log", text.as_bytes())], ChainStart::After(list[1].hash.clone()));
        assert!(v.verified && v.entries == 2, "{v:?}");
        let v = verify_log([("decisions.log", text.as_bytes())], ChainStart::After(list[0].hash.clone()));
        assert!(matches!(bad(&v).fault, Fault::BrokenLink { .. }));
        // Without the anchor, the missing start is named.
        let v = verify_log([("decisions.log", text.as_bytes())], ChainStart::Genesis);
        assert_eq!(bad(&v).fault, Fault::Missing { expected: 1, found: 3 });
    }

    #[test]
    fn another_chains_first_entry_breaks_the_link() {
        let mut list = entries(2);
        list[0].prev = format!("sha256:{}", "1".repeat(64));
        list[0].hash = entry_hash(&list[0]).unwrap();
        let v = one_file(&lines(&list));
        assert_eq!(bad(&v).at.line, 1);
        assert!(matches!(&bad(&v).fault, Fault::BrokenLink { expected, .. } if expected == GENESIS));
    }

    #[test]
    fn strings_with_escapes_and_non_ascii_verify() {
        let mut head = crate::chain::ChainHead::genesis();
        let mut record = crate::sample::record(1);
        record.errors = vec!["tab\there, quote \" and \\, control \u{1}, é, 😀, \u{2028}".to_owned()];
        let entry = head.seal(record).unwrap();
        let v = one_file(&lines(&[entry]));
        assert!(v.verified, "{v:?}");
    }

    #[test]
    fn the_report_is_json_with_the_bad_entry() {
        let mut lines = lines(&entries(3));
        lines.remove(1);
        let v = one_file(&lines);
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["verified"], false);
        assert_eq!(json["badEntry"]["at"]["line"], 2);
        assert_eq!(json["badEntry"]["fault"]["kind"], "missing");
        assert_eq!(json["badEntry"]["fault"]["expected"], 2);
        let back: Verification = serde_json::from_value(json).unwrap();
        assert_eq!(back, v);
    }
}
