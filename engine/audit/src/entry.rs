//! A decision log entry: which decision, when, for which request, under which bundle, the
//! outcome matrix (member x Safe) with every reason, and the entry's place in the hash chain.

use crate::error::AuditError;
use fivesafes_core::decision::{BundleRef, Decision};
use fivesafes_core::{Outcome, Safe};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of the log format an entry is written in (its `format` field).
pub const LOG_FORMAT: u32 = 1;

/// A decision's id: a UUID the caller mints when it decides (version 7, time-ordered, from
/// [`DecisionId::mint`] with the `files` feature), returned to the client with the decision
/// and recorded in the log. The core never mints one: it reads no clock and no randomness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct DecisionId(pub uuid::Uuid);

impl DecisionId {
    /// A new UUID version 7 (milliseconds since the Unix epoch, then random bits).
    #[cfg(feature = "files")]
    pub fn mint() -> DecisionId {
        DecisionId(uuid::Uuid::now_v7())
    }

    /// Read a decision id (a UUID in any of its usual spellings).
    pub fn parse(text: &str) -> Result<DecisionId, AuditError> {
        uuid::Uuid::parse_str(text).map(DecisionId).map_err(|_| AuditError::DecisionId(text.to_owned()))
    }
}

impl std::fmt::Display for DecisionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.hyphenated())
    }
}

/// The bundle a decision was made under, as the log records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoggedBundle {
    /// The federation's IRI.
    pub federation: String,
    /// The federation's version.
    pub version: String,
    /// The blueprint's version.
    pub blueprint_version: String,
    /// The bundle's content hash (`sha256:...`).
    pub hash: String,
}

impl From<&BundleRef> for LoggedBundle {
    fn from(b: &BundleRef) -> Self {
        LoggedBundle {
            federation: b.federation.clone(),
            version: b.version.clone(),
            blueprint_version: b.blueprint_version.clone(),
            hash: b.hash.clone(),
        }
    }
}

/// One row of the outcome matrix: a member TRE's outcome for each Safe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberOutcomes {
    /// Member id.
    pub member: String,
    /// The worst outcome over the Safes.
    pub outcome: Outcome,
    /// Per Safe.
    pub safes: BTreeMap<Safe, Outcome>,
}

/// Why a Safe was not (or not yet) met at a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoggedReason {
    /// The member TRE.
    pub member: String,
    /// The Safe.
    pub safe: Safe,
    /// Deny or review.
    pub outcome: Outcome,
    /// The blueprint requirement.
    pub requirement: String,
    /// The Cedar policy that decided.
    pub policy: String,
    /// The dataset concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
}

/// What the log records of a decision, before it takes its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRecord {
    /// The decision's id.
    pub decision_id: DecisionId,
    /// When it was decided (RFC 3339, UTC), as the caller's clock said.
    pub time: String,
    /// The action decided.
    pub action: Option<String>,
    /// `sha256:` of the request's canonical JSON (absent when the request could not be read).
    pub request_hash: Option<String>,
    /// The bundle it was made under.
    pub bundle: LoggedBundle,
    /// The overall outcome.
    pub outcome: Outcome,
    /// The outcome matrix.
    pub members: Vec<MemberOutcomes>,
    /// Every reason for a deny or review.
    pub reasons: Vec<LoggedReason>,
    /// Errors met while deciding (any error makes the decision deny).
    pub errors: Vec<String>,
}

impl DecisionRecord {
    /// The record of `decision`, with the id and time the caller gave it.
    pub fn new(decision: &Decision, decision_id: DecisionId, time: jiff::Timestamp) -> DecisionRecord {
        let members = decision
            .members
            .iter()
            .map(|m| MemberOutcomes {
                member: m.member.clone(),
                outcome: m.outcome,
                safes: m.safes.iter().map(|(safe, d)| (*safe, d.outcome)).collect(),
            })
            .collect();
        let reasons = decision
            .members
            .iter()
            .flat_map(|m| {
                m.safes.iter().flat_map(move |(safe, d)| {
                    d.reasons.iter().map(move |r| LoggedReason {
                        member: m.member.clone(),
                        safe: *safe,
                        outcome: r.outcome,
                        requirement: r.requirement.clone(),
                        policy: r.policy.clone(),
                        dataset: r.dataset.clone(),
                    })
                })
            })
            .collect();
        DecisionRecord {
            decision_id,
            time: time.to_string(),
            action: decision.action.clone(),
            request_hash: decision.request_hash.clone(),
            bundle: LoggedBundle::from(&decision.bundle),
            outcome: decision.decision,
            members,
            reasons,
            errors: decision.errors.clone(),
        }
    }
}

/// One line of the decision log.
///
/// `hash` is `sha256:` and the hex SHA-256 of the RFC 8785 (JCS) canonical JSON of the entry
/// without its `hash` member; `prev` is the `hash` of the entry before it ([`crate::GENESIS`]
/// for the first entry of a log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogEntry {
    /// The log format ([`LOG_FORMAT`]).
    pub format: u32,
    /// The entry's number: 1 for the first entry of a log, then one more for each.
    pub sequence: u64,
    /// The decision's id.
    pub decision_id: DecisionId,
    /// When it was decided (RFC 3339, UTC), as the deciding host's clock said.
    pub time: String,
    /// The action decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// `sha256:` of the request's canonical JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_hash: Option<String>,
    /// The bundle it was made under.
    pub bundle: LoggedBundle,
    /// The overall outcome.
    pub outcome: Outcome,
    /// The outcome matrix: per member TRE, per Safe.
    pub members: Vec<MemberOutcomes>,
    /// Every reason for a deny or review.
    pub reasons: Vec<LoggedReason>,
    /// Errors met while deciding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// The hash of the entry before (`sha256:` and 64 zeros for the first).
    pub prev: String,
    /// This entry's hash.
    pub hash: String,
}

impl LogEntry {
    /// The entry as one line of the log: compact JSON and a newline.
    pub fn to_line(&self) -> Result<String, AuditError> {
        let mut line = serde_json::to_string(self)?;
        line.push('\n');
        Ok(line)
    }
}

/// The JSON Schema of a log entry.
pub fn log_entry_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(LogEntry)).unwrap_or_default()
}
