//! The appender: seals each decision into the chain and writes it to `decisions.log`, with
//! the durability asked for, rotating by size. Thread-safe: entries are sealed and written
//! under one lock, in sequence order; syncs happen outside it, one sync covering every entry
//! written before it began (group commit), so concurrent strict appenders share syncs.

use super::recovery::{Tail, recover};
use super::{ACTIVE_FILE, LogError, rotation_numbers, sync_dir};
use crate::chain::ChainHead;
use crate::entry::DecisionRecord;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// When an appended entry is on stable storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// [`DecisionLog::append`] returns only once the entry is written and synced (fdatasync):
    /// nothing acknowledged is lost, whatever crashes. Concurrent appends share a sync.
    Strict,
    /// [`DecisionLog::append`] returns once the entry is written to the operating system; a
    /// background thread syncs when the oldest unsynced entry is `interval` old, or when
    /// `max_entries` are unsynced (an append waits while that many are). A crash of the
    /// process loses nothing appended; a crash of the machine loses at most the entries
    /// appended since the last sync (at most `max_entries`, about `interval`'s worth).
    Group {
        /// The longest an entry waits for its sync.
        interval: Duration,
        /// The most entries left unsynced.
        max_entries: u64,
    },
}

/// Where and how to keep a decision log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// The log's directory (created if missing).
    pub dir: PathBuf,
    /// When an entry is durable.
    pub durability: Durability,
    /// `decisions.log` is rotated before an entry would take it past this many bytes (an entry
    /// larger than this has a file to itself).
    pub max_file_bytes: u64,
}

impl LogConfig {
    /// Strict durability, rotation at 64 MiB.
    pub fn new(dir: impl Into<PathBuf>) -> LogConfig {
        LogConfig { dir: dir.into(), durability: Durability::Strict, max_file_bytes: 64 * 1024 * 1024 }
    }
}

/// What an append says of its entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The entry's sequence number.
    pub sequence: u64,
    /// The entry's hash.
    pub hash: String,
    /// Whether it was synced before the append returned (always so in strict mode).
    pub durable: bool,
}

/// What opening the log found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// The last entry, which the next one links to.
    pub head: ChainHead,
    /// A torn last line that was cut off: the file and how many bytes.
    pub torn: Option<(PathBuf, u64)>,
}

/// A decision log open for appending. Share it between threads (`&DecisionLog` or an `Arc`).
#[derive(Debug)]
pub struct DecisionLog {
    shared: Arc<Shared>,
    flusher: Option<JoinHandle<()>>,
    recovered: Recovered,
}

#[derive(Debug)]
struct Shared {
    config: LogConfig,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug)]
struct State {
    head: ChainHead,
    file: Arc<File>,
    size: u64,
    next_rotation: u64,
    /// The last sequence number written to the operating system.
    written: u64,
    /// The last sequence number synced.
    durable: u64,
    /// Since when entries have waited for a sync.
    unsynced_since: Option<Instant>,
    syncing: bool,
    failure: Option<String>,
    closing: bool,
}

type Guard<'a> = MutexGuard<'a, State>;

impl DecisionLog {
    /// Opens (or creates) the log in `config.dir` and recovers it: a torn last line is cut off,
    /// the last complete entry is checked (a bad one is refused: nothing is appended after
    /// it), and the chain continues from it.
    pub fn open(config: LogConfig) -> Result<DecisionLog, LogError> {
        let dir = config.dir.clone();
        std::fs::create_dir_all(&dir).map_err(|e| LogError::io("create", &dir, &e))?;
        let rotated = rotation_numbers(&dir, ACTIVE_FILE)?;
        let active = dir.join(ACTIVE_FILE);
        let mut torn = None;
        let mut head = None;
        if active.is_file() {
            let tail = recover(&active)?;
            note_torn(&mut torn, &active, &tail);
            head = tail.head;
        }
        if head.is_none()
            && let Some(last) = rotated.last()
        {
            let path = dir.join(format!("{ACTIVE_FILE}.{last}"));
            let tail = recover(&path)?;
            note_torn(&mut torn, &path, &tail);
            head = tail.head;
        }
        let head = head.unwrap_or_else(ChainHead::genesis);
        let existed = active.is_file();
        let file = open_active(&active)?;
        if !existed {
            sync_dir(&dir)?;
        }
        let size = file.metadata().map_err(|e| LogError::io("read", &active, &e))?.len();
        let state = State {
            head: head.clone(),
            file: Arc::new(file),
            size,
            next_rotation: rotated.last().map_or(1, |n| n.saturating_add(1)),
            written: head.sequence,
            durable: head.sequence,
            unsynced_since: None,
            syncing: false,
            failure: None,
            closing: false,
        };
        let shared = Arc::new(Shared { config, state: Mutex::new(state), changed: Condvar::new() });
        let flusher = match shared.config.durability {
            Durability::Strict => None,
            Durability::Group { interval, max_entries } => {
                let shared = Arc::clone(&shared);
                Some(std::thread::spawn(move || flush_in_groups(&shared, interval, max_entries)))
            }
        };
        Ok(DecisionLog { shared, flusher, recovered: Recovered { head, torn } })
    }

    /// When an appended entry is durable.
    pub fn durability(&self) -> Durability {
        self.shared.config.durability
    }

    /// What opening the log found.
    pub fn recovered(&self) -> &Recovered {
        &self.recovered
    }

    /// The last entry appended.
    pub fn head(&self) -> Result<ChainHead, LogError> {
        Ok(self.shared.lock()?.head.clone())
    }

    /// Seals `record` as the next entry and writes it; returns when it is as durable as the
    /// log's [`Durability`] says. After a failed write or sync every append fails (the entry
    /// was not acknowledged) until the log is opened again.
    pub fn append(&self, record: DecisionRecord) -> Result<Receipt, LogError> {
        let shared = &*self.shared;
        let mut st = shared.lock()?;
        if let Durability::Group { max_entries, .. } = shared.config.durability {
            while st.written.saturating_sub(st.durable) >= max_entries.max(1) {
                st.usable()?;
                shared.changed.notify_all();
                st = shared.wait(st)?;
            }
        }
        st.usable()?;
        let mut head = st.head.clone();
        let entry = head.seal(record)?;
        let line = entry.to_line()?;
        let len = line.len() as u64;
        if st.size > 0 && st.size.saturating_add(len) > shared.config.max_file_bytes {
            shared.rotate(&mut st)?;
        }
        if let Err(e) = (&*st.file).write_all(line.as_bytes()) {
            let error = LogError::io("write", &shared.active(), &e);
            st.failure = Some(error.to_string());
            shared.changed.notify_all();
            return Err(error);
        }
        st.size = st.size.saturating_add(len);
        st.head = head;
        st.written = entry.sequence;
        if st.unsynced_since.is_none() {
            st.unsynced_since = Some(Instant::now());
            shared.changed.notify_all();
        }
        let durable = match shared.config.durability {
            Durability::Strict => {
                drop(shared.wait_durable(st, entry.sequence)?);
                true
            }
            Durability::Group { .. } => false,
        };
        Ok(Receipt { sequence: entry.sequence, hash: entry.hash, durable })
    }

    /// Syncs every entry written so far; returns when they are durable.
    pub fn flush(&self) -> Result<(), LogError> {
        let st = self.shared.lock()?;
        let written = st.written;
        self.shared.wait_durable(st, written).map(|_| ())
    }

    /// Syncs what is left and stops the background thread. Dropping the log does the same,
    /// without saying whether the last sync failed.
    pub fn close(mut self) -> Result<(), LogError> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> Result<(), LogError> {
        let flushed = self.flush();
        if let Ok(mut st) = self.shared.lock() {
            st.closing = true;
        }
        self.shared.changed.notify_all();
        if let Some(flusher) = self.flusher.take() {
            flusher.join().map_err(|_| LogError::Poisoned)?;
        }
        flushed
    }
}

impl Drop for DecisionLog {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}

fn note_torn(torn: &mut Option<(PathBuf, u64)>, path: &Path, tail: &Tail) {
    if tail.torn_bytes > 0 {
        *torn = Some((path.to_path_buf(), tail.torn_bytes));
    }
}

fn open_active(path: &Path) -> Result<File, LogError> {
    OpenOptions::new().create(true).append(true).open(path).map_err(|e| LogError::io("open", path, &e))
}

impl State {
    /// Whether entries may be appended.
    fn usable(&self) -> Result<(), LogError> {
        match (&self.failure, self.closing) {
            (Some(failure), _) => Err(LogError::Stopped(failure.clone())),
            (None, true) => Err(LogError::Closed),
            (None, false) => Ok(()),
        }
    }
}

impl Shared {
    fn lock(&self) -> Result<Guard<'_>, LogError> {
        self.state.lock().map_err(|_| LogError::Poisoned)
    }

    fn wait<'a>(&self, st: Guard<'a>) -> Result<Guard<'a>, LogError> {
        self.changed.wait(st).map_err(|_| LogError::Poisoned)
    }

    fn active(&self) -> PathBuf {
        self.config.dir.join(ACTIVE_FILE)
    }

    /// Waits until `sequence` is synced, syncing itself when no other thread is.
    fn wait_durable<'a>(&'a self, mut st: Guard<'a>, sequence: u64) -> Result<Guard<'a>, LogError> {
        loop {
            if st.durable >= sequence {
                return Ok(st);
            }
            if let Some(failure) = &st.failure {
                return Err(LogError::Stopped(failure.clone()));
            }
            st = if st.syncing { self.wait(st)? } else { self.sync(st)? };
        }
    }

    /// Syncs everything written so far, outside the lock; entries written meanwhile wait for
    /// the next sync. A failed sync stops the log.
    fn sync<'a>(&'a self, mut st: Guard<'a>) -> Result<Guard<'a>, LogError> {
        st.syncing = true;
        let target = st.written;
        let file = Arc::clone(&st.file);
        drop(st);
        let synced = file.sync_data();
        let mut st = self.lock()?;
        st.syncing = false;
        match synced {
            Ok(()) => {
                st.durable = st.durable.max(target);
                st.unsynced_since = (st.written > st.durable).then(Instant::now);
            }
            Err(e) => st.failure = Some(LogError::io("sync", &self.active(), &e).to_string()),
        }
        self.changed.notify_all();
        Ok(st)
    }

    /// Syncs and closes `decisions.log` as `decisions.log.N` and begins a new one.
    fn rotate(&self, st: &mut State) -> Result<(), LogError> {
        let result = self.try_rotate(st);
        if let Err(e) = &result {
            st.failure = Some(e.to_string());
            self.changed.notify_all();
        }
        result
    }

    fn try_rotate(&self, st: &mut State) -> Result<(), LogError> {
        let dir = &self.config.dir;
        let active = self.active();
        st.file.sync_data().map_err(|e| LogError::io("sync", &active, &e))?;
        st.durable = st.written;
        st.unsynced_since = None;
        let closed = dir.join(format!("{ACTIVE_FILE}.{}", st.next_rotation));
        if closed.exists() {
            return Err(LogError::Io {
                action: "rotate to",
                path: closed.display().to_string(),
                message: "the file already exists".to_owned(),
            });
        }
        std::fs::rename(&active, &closed).map_err(|e| LogError::io("rotate", &active, &e))?;
        let file = open_active(&active)?;
        sync_dir(dir)?;
        st.file = Arc::new(file);
        st.size = 0;
        st.next_rotation = st.next_rotation.saturating_add(1);
        self.changed.notify_all();
        Ok(())
    }
}

/// Group commit's background thread: syncs when the oldest unsynced entry is `interval` old or
/// `max_entries` wait, and once more when the log closes.
fn flush_in_groups(shared: &Shared, interval: Duration, max_entries: u64) {
    let Ok(mut st) = shared.lock() else { return };
    loop {
        if st.failure.is_some() {
            return;
        }
        let pending = st.written.saturating_sub(st.durable);
        if pending == 0 || st.syncing {
            if st.closing {
                return;
            }
            st = match shared.wait(st) {
                Ok(st) => st,
                Err(_) => return,
            };
            continue;
        }
        let due = st.unsynced_since.map_or_else(Instant::now, |since| since.checked_add(interval).unwrap_or(since));
        let now = Instant::now();
        let next = if st.closing || pending >= max_entries || now >= due {
            shared.sync(st)
        } else {
            shared
                .changed
                .wait_timeout(st, due.saturating_duration_since(now))
                .map(|(st, _)| st)
                .map_err(|_| LogError::Poisoned)
        };
        st = match next {
            Ok(st) => st,
            Err(_) => return,
        };
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        reason = "tests fail loudly"
    )]

    use super::*;
    use crate::files::{log_files, verify_files};
    use crate::sample::record;
    use crate::verify::{ChainStart, Fault, Verification};

    fn verify(dir: &Path) -> Verification {
        verify_files(&log_files(dir).unwrap(), ChainStart::Genesis).unwrap()
    }

    fn names(dir: &Path) -> Vec<String> {
        log_files(dir).unwrap().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect()
    }

    fn append(log: &DecisionLog, range: std::ops::RangeInclusive<u64>) -> Vec<Receipt> {
        range.map(|n| log.append(record(n)).unwrap()).collect()
    }

    fn group() -> Durability {
        Durability::Group { interval: Duration::from_millis(5), max_entries: 8 }
    }

    #[test]
    fn the_chain_goes_on_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let log = DecisionLog::open(LogConfig::new(dir.path())).unwrap();
        assert_eq!(log.recovered().head, ChainHead::genesis());
        let receipts = append(&log, 1..=3);
        assert!(receipts.iter().all(|r| r.durable));
        assert_eq!(receipts.iter().map(|r| r.sequence).collect::<Vec<_>>(), [1, 2, 3]);
        log.close().unwrap();
        let log = DecisionLog::open(LogConfig::new(dir.path())).unwrap();
        assert_eq!(log.recovered().head, ChainHead { sequence: 3, hash: receipts[2].hash.clone() });
        assert_eq!(log.recovered().torn, None);
        append(&log, 4..=5);
        drop(log);
        let v = verify(dir.path());
        assert!(v.verified && v.entries == 5, "{v:?}");
    }

    #[test]
    fn a_torn_last_line_is_cut_off_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let log = DecisionLog::open(LogConfig::new(dir.path())).unwrap();
        let receipts = append(&log, 1..=3);
        log.close().unwrap();
        let active = dir.path().join(ACTIVE_FILE);
        let whole = std::fs::read(&active).unwrap();
        // A write of entry 4 that stopped halfway.
        let next = {
            let mut head = ChainHead { sequence: 3, hash: receipts[2].hash.clone() };
            head.seal(record(4)).unwrap().to_line().unwrap()
        };
        let torn = &next.as_bytes()[..next.len() / 2];
        std::fs::write(&active, [whole.as_slice(), torn].concat()).unwrap();
        assert_eq!(verify(dir.path()).bad_entry.unwrap().fault, Fault::Truncated);
        let log = DecisionLog::open(LogConfig::new(dir.path())).unwrap();
        assert_eq!(log.recovered().torn, Some((active.clone(), torn.len() as u64)));
        assert_eq!(log.recovered().head.sequence, 3);
        assert_eq!(std::fs::read(&active).unwrap(), whole);
        assert_eq!(log.append(record(4)).unwrap().sequence, 4);
        drop(log);
        assert!(verify(dir.path()).verified);
    }

    #[test]
    fn an_entry_without_its_newline_is_cut_off_too() {
        let dir = tempfile::tempdir().unwrap();
        let log = DecisionLog::open(LogConfig::new(dir.path())).unwrap();
        append(&log, 1..=2);
        drop(log);
        let active = dir.path().join(ACTIVE_FILE);
        let mut bytes = std::fs::read(&active).unwrap();
        bytes.pop();
        std::fs::write(&active, &bytes).unwrap();
        let log = DecisionLog::open(LogConfig::new(dir.path())).unwrap();
        assert_eq!(log.recovered().head.sequence, 1);
        append(&log, 2..=3);
        drop(log);
        let v = verify(dir.path());
        assert!(v.verified && v.entries == 3, "{v:?}");
    }

    #[test]
    fn a_file_of_only_a_torn_line_is_emptied() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(ACTIVE_FILE), b"{\"format\":1,\"seq").unwrap();
        let log = DecisionLog::open(LogConfig::new(dir.path())).unwrap();
        assert_eq!(log.recovered().head, ChainHead::genesis());
        assert_eq!(log.append(record(1)).unwrap().sequence, 1);
        drop(log);
        assert!(verify(dir.path()).verified);
    }

    #[test]
    fn an_edited_last_entry_is_refused_and_nothing_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let log = DecisionLog::open(LogConfig::new(dir.path())).unwrap();
        append(&log, 1..=3);
        drop(log);
        let active = dir.path().join(ACTIVE_FILE);
        let text = std::fs::read_to_string(&active).unwrap();
        let edited = text.replace("2025-01-01T00:00:03Z", "2025-01-01T00:00:09Z");
        std::fs::write(&active, &edited).unwrap();
        let error = DecisionLog::open(LogConfig::new(dir.path())).unwrap_err();
        let LogError::CorruptTail { place, fault } = error else { panic!("{error:?}") };
        assert_eq!(place.line, 3);
        assert!(matches!(fault, Fault::Edited { .. }));
        assert_eq!(std::fs::read_to_string(&active).unwrap(), edited);
    }

    #[test]
    fn rotation_by_size_keeps_one_chain_across_files() {
        let dir = tempfile::tempdir().unwrap();
        let line = crate::sample::entries(1)[0].to_line().unwrap().len() as u64;
        let config = LogConfig { max_file_bytes: line * 2 + line / 2, ..LogConfig::new(dir.path()) };
        let log = DecisionLog::open(config.clone()).unwrap();
        append(&log, 1..=5);
        drop(log);
        assert_eq!(names(dir.path()), ["decisions.log.1", "decisions.log.2", "decisions.log"]);
        let count = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap().lines().count();
        assert_eq!((count("decisions.log.1"), count("decisions.log.2"), count("decisions.log")), (2, 2, 1));
        let v = verify(dir.path());
        assert!(v.verified && v.entries == 5, "{v:?}");
        // Numbering goes on after reopening.
        let log = DecisionLog::open(config.clone()).unwrap();
        append(&log, 6..=7);
        drop(log);
        assert_eq!(names(dir.path()), ["decisions.log.1", "decisions.log.2", "decisions.log.3", "decisions.log"]);
        assert!(verify(dir.path()).verified);
        // From a later file on: its entries need the anchor.
        let later = log_files(&dir.path().join("decisions.log.2")).unwrap();
        assert_eq!(later.len(), 3);
        let v = verify_files(&later, ChainStart::Genesis).unwrap();
        assert_eq!(v.bad_entry.unwrap().fault, Fault::Missing { expected: 1, found: 3 });
    }

    #[test]
    fn a_crash_between_renaming_and_creating_is_recovered() {
        let dir = tempfile::tempdir().unwrap();
        let log = DecisionLog::open(LogConfig::new(dir.path())).unwrap();
        append(&log, 1..=2);
        drop(log);
        std::fs::rename(dir.path().join(ACTIVE_FILE), dir.path().join("decisions.log.1")).unwrap();
        let log = DecisionLog::open(LogConfig::new(dir.path())).unwrap();
        assert_eq!(log.recovered().head.sequence, 2);
        append(&log, 3..=3);
        drop(log);
        assert_eq!(names(dir.path()), ["decisions.log.1", "decisions.log"]);
        assert!(verify(dir.path()).verified);
    }

    #[test]
    fn strict_appends_from_many_threads_are_each_durable_and_one_chain() {
        let dir = tempfile::tempdir().unwrap();
        let log = DecisionLog::open(LogConfig::new(dir.path())).unwrap();
        let receipts: Vec<Receipt> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..4u64)
                .map(|t| {
                    let log = &log;
                    s.spawn(move || append(log, t * 25 + 1..=t * 25 + 25))
                })
                .collect();
            workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
        });
        assert!(receipts.iter().all(|r| r.durable));
        let mut sequences: Vec<u64> = receipts.iter().map(|r| r.sequence).collect();
        sequences.sort_unstable();
        assert_eq!(sequences, (1..=100).collect::<Vec<_>>());
        drop(log);
        let v = verify(dir.path());
        assert!(v.verified && v.entries == 100, "{v:?}");
    }

    #[test]
    fn group_commit_acknowledges_before_the_sync_and_flushes_on_close() {
        let dir = tempfile::tempdir().unwrap();
        let config = LogConfig { durability: group(), ..LogConfig::new(dir.path()) };
        let log = DecisionLog::open(config.clone()).unwrap();
        let receipts: Vec<Receipt> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..4u64)
                .map(|t| {
                    let log = &log;
                    s.spawn(move || append(log, t * 50 + 1..=t * 50 + 50))
                })
                .collect();
            workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
        });
        assert!(receipts.iter().all(|r| !r.durable));
        log.flush().unwrap();
        assert_eq!(log.head().unwrap().sequence, 200);
        log.close().unwrap();
        let v = verify(dir.path());
        assert!(v.verified && v.entries == 200, "{v:?}");
        // Appends after reopening go on in group mode with rotation.
        let config = LogConfig { max_file_bytes: 4096, ..config };
        let log = DecisionLog::open(config).unwrap();
        append(&log, 201..=230);
        drop(log);
        assert!(names(dir.path()).len() > 2);
        let v = verify(dir.path());
        assert!(v.verified && v.entries == 230, "{v:?}");
    }

    #[test]
    fn a_closed_log_appends_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let config = LogConfig { durability: group(), ..LogConfig::new(dir.path()) };
        let mut log = DecisionLog::open(config).unwrap();
        append(&log, 1..=1);
        log.shut_down().unwrap();
        assert!(matches!(log.append(record(2)), Err(LogError::Closed)));
    }

    #[test]
    fn the_first_file_or_the_directory_names_the_whole_log() {
        let dir = tempfile::tempdir().unwrap();
        for name in
            ["decisions.log", "decisions.log.10", "decisions.log.2", "decisions.log.1", "decisions.log.x", "other"]
        {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        let all = ["decisions.log.1", "decisions.log.2", "decisions.log.10", "decisions.log"];
        assert_eq!(names(dir.path()), all);
        let named = |name: &str| -> Vec<String> {
            log_files(&dir.path().join(name))
                .unwrap()
                .iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(named("decisions.log.1"), all);
        assert_eq!(named("decisions.log"), all);
        assert_eq!(named("decisions.log.2"), all[1..]);
    }
}
