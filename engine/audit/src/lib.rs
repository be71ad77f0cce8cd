//! The fivesafes decision log: every decision appended as one JSON line that carries the hash
//! of the line before it, so that an edit, a deletion or a reordering is detectable, and
//! `fivesafes audit verify` names the first bad entry. The format, the hash, durability,
//! rotation and recovery are documented in `docs/audit.md`.
//!
//! The core is pure (no I/O, no clock, no randomness; it builds for `wasm32-unknown-unknown`):
//!
//! 1. [`entry`]: [`DecisionRecord::new`] takes a [`fivesafes_core::Decision`] with the id and
//!    time the caller gives; [`LogEntry`] is a line of the log.
//! 2. [`chain`]: [`ChainHead::seal`] makes a record the next entry of the chain; an entry's
//!    hash is SHA-256 over the RFC 8785 canonical JSON of the entry without `hash`
//!    ([`hashed_bytes`]).
//! 3. [`verify`]: [`ChainVerifier`] reads lines, file after file, and names the first bad
//!    entry.
//!
//! With the `files` feature (on by default), [`files`] keeps the log on disk: a thread-safe
//! appender with strict or group-commit durability, rotation by size, recovery of a torn last
//! line on open, and reading rotated files for verification.
#![deny(missing_docs)]

pub mod chain;
pub mod entry;
pub mod error;
#[cfg(feature = "files")]
pub mod files;
#[cfg(test)]
mod sample;
pub mod verify;

pub use chain::{ChainHead, GENESIS, entry_hash, hashed_bytes};
pub use entry::{
    DecisionId, DecisionRecord, LOG_FORMAT, LogEntry, LoggedBundle, LoggedReason, MemberOutcomes, log_entry_schema,
};
pub use error::AuditError;
pub use verify::{
    BadEntry, ChainStart, ChainVerifier, Fault, LinePlace, Verification, check_entry, verification_schema, verify_log,
};
