//! The hash chain: what an entry's hash covers, and sealing a record into the next entry.

use crate::entry::{DecisionRecord, LOG_FORMAT, LogEntry};
use crate::error::AuditError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev` of the first entry of a log: `sha256:` and 64 zeros.
pub const GENESIS: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// The last entry of a chain: its sequence number and hash (sequence 0 and [`GENESIS`] before
/// the first entry). What the next entry links to, and what an auditor records to detect a
/// later truncation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChainHead {
    /// The last entry's sequence number (0: none yet).
    pub sequence: u64,
    /// The last entry's hash ([`GENESIS`]: none yet).
    pub hash: String,
}

impl ChainHead {
    /// The head of an empty log.
    pub fn genesis() -> ChainHead {
        ChainHead { sequence: 0, hash: GENESIS.to_owned() }
    }

    /// The next entry of the chain, for `record`: the next sequence number, `prev` this head's
    /// hash, and its own hash. The head moves to the new entry.
    pub fn seal(&mut self, record: DecisionRecord) -> Result<LogEntry, AuditError> {
        let sequence = self.sequence.checked_add(1).ok_or(AuditError::SequenceOverflow(self.sequence))?;
        let mut entry = LogEntry {
            format: LOG_FORMAT,
            sequence,
            decision_id: record.decision_id,
            time: record.time,
            action: record.action,
            request_hash: record.request_hash,
            bundle: record.bundle,
            outcome: record.outcome,
            members: record.members,
            reasons: record.reasons,
            errors: record.errors,
            prev: self.hash.clone(),
            hash: String::new(),
        };
        entry.hash = entry_hash(&entry)?;
        self.sequence = sequence;
        self.hash.clone_from(&entry.hash);
        Ok(entry)
    }
}

/// The hash an entry should carry (whatever its `hash` field says now).
pub fn entry_hash(entry: &LogEntry) -> Result<String, AuditError> {
    content_hash(serde_json::to_value(entry)?)
}

/// Exactly the bytes an entry's hash is taken over: the RFC 8785 (JCS) canonical JSON of the
/// entry as a JSON object without its `hash` member (keys sorted, no whitespace, strings and
/// numbers in their one canonical spelling).
pub fn hashed_bytes(mut entry: serde_json::Value) -> Result<Vec<u8>, AuditError> {
    if let serde_json::Value::Object(members) = &mut entry {
        members.shift_remove("hash");
    }
    Ok(serde_jcs::to_vec(&entry)?)
}

/// `sha256:` and the hex SHA-256 of [`hashed_bytes`].
pub(crate) fn content_hash(entry: serde_json::Value) -> Result<String, AuditError> {
    Ok(format!("sha256:{}", hex::encode(Sha256::digest(hashed_bytes(entry)?))))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests fail loudly")]

    use super::*;
    use crate::sample::{entries, record};

    #[test]
    fn the_same_record_at_the_same_place_hashes_the_same() {
        let a = entries(3);
        let b = entries(3);
        assert_eq!(a, b);
        assert_eq!(a[0].prev, GENESIS);
        assert_eq!(a[1].prev, a[0].hash);
        assert_eq!(a[2].sequence, 3);
        assert!(a[0].hash.starts_with("sha256:") && a[0].hash.len() == 7 + 64, "{}", a[0].hash);
    }

    #[test]
    fn the_hash_covers_the_canonical_json_without_hash_whatever_the_key_order() {
        let entry = &entries(1)[0];
        let mut value = serde_json::to_value(entry).unwrap();
        assert!(value.is_object());
        let bytes = hashed_bytes(value.clone()).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        // The canonical form, and its hash as Python's hashlib computes it: pinned, so that a
        // change of what is hashed cannot pass unnoticed.
        assert_eq!(
            text,
            r#"{"action":"analyse","bundle":{"blueprintVersion":"0.3","federation":"https://example.org/federation","hash":"sha256:abcd","version":"1.0"},"decisionId":"00000000-0000-0000-0000-000000000001","format":1,"members":[{"member":"tre-a","outcome":"allow","safes":{"data":"allow","outputs":"allow","people":"allow","projects":"allow","settings":"allow"}},{"member":"tre-b","outcome":"deny","safes":{"data":"allow","outputs":"allow","people":"deny","projects":"allow","settings":"allow"}}],"outcome":"deny","prev":"sha256:0000000000000000000000000000000000000000000000000000000000000000","reasons":[{"dataset":"ds-1","member":"tre-b","outcome":"deny","policy":"baseline-accreditation","requirement":"LEG.PEO.1","safe":"people"}],"requestHash":"sha256:0000000000000000000000000000000000000000000000000000000000000001","sequence":1,"time":"2025-01-01T00:00:01Z"}"#
        );
        assert_eq!(entry.hash, "sha256:21989ea2af642596de8dc5114dafb5ec443abd3fd226cb3adcf95d4e4f843f82");
        assert_eq!(format!("sha256:{}", hex::encode(Sha256::digest(&bytes))), entry.hash);
        // Reordering keys and changing `hash` changes nothing hashed.
        let mut pairs: Vec<_> = value.as_object_mut().unwrap().clone().into_iter().collect();
        pairs.reverse();
        let mut reordered: serde_json::Map<String, serde_json::Value> = pairs.into_iter().collect();
        reordered.insert("hash".to_owned(), "anything".into());
        assert_eq!(hashed_bytes(serde_json::Value::Object(reordered)).unwrap(), bytes);
    }

    #[test]
    fn every_field_is_covered() {
        let entry = &entries(1)[0];
        let mut edited = entry.clone();
        edited.reasons[0].policy = "another".to_owned();
        assert_ne!(entry_hash(&edited).unwrap(), entry.hash);
        let mut edited = entry.clone();
        edited.sequence = 2;
        assert_ne!(entry_hash(&edited).unwrap(), entry.hash);
        let mut edited = entry.clone();
        edited.prev = entry.hash.clone();
        assert_ne!(entry_hash(&edited).unwrap(), entry.hash);
    }

    #[test]
    fn a_decision_becomes_its_outcome_matrix_and_reasons() {
        let r = record(1);
        assert_eq!(r.members.len(), 2);
        assert_eq!(r.members[1].safes[&fivesafes_core::Safe::People], fivesafes_core::Outcome::Deny);
        assert_eq!(r.reasons.len(), 1);
        assert_eq!(r.reasons[0].member, "tre-b");
        assert_eq!(r.reasons[0].requirement, "LEG.PEO.1");
        assert_eq!(r.time, "2025-01-01T00:00:01Z");
        assert_eq!(r.decision_id.to_string(), "00000000-0000-0000-0000-000000000001");
    }

    #[test]
    fn the_sequence_cannot_overflow() {
        let mut head = ChainHead { sequence: u64::MAX, hash: GENESIS.to_owned() };
        assert_eq!(head.seal(record(1)), Err(AuditError::SequenceOverflow(u64::MAX)));
    }
}
