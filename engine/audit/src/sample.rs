//! Decisions and logs for the tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

use crate::chain::ChainHead;
use crate::entry::{DecisionId, DecisionRecord, LogEntry};
use fivesafes_core::decision::{BundleRef, Decision, MemberDecision, MemberRole, Reason, SafeDecision};
use fivesafes_core::{Dimension, Outcome, Safe};

/// A decision at two members: allow at one, deny on Safe People at the other.
pub fn decision(n: u64) -> Decision {
    let safes = |deny: bool| {
        Safe::ALL
            .into_iter()
            .map(|safe| {
                let reasons = if deny && safe == Safe::People {
                    vec![Reason {
                        outcome: Outcome::Deny,
                        requirement: "LEG.PEO.1".to_owned(),
                        dimension: Dimension::Legal,
                        safe,
                        policy: "baseline-accreditation".to_owned(),
                        local_rule_of: None,
                        dataset: Some("ds-1".to_owned()),
                        message: "the researcher is not accredited".to_owned(),
                        evidence: vec![],
                    }]
                } else {
                    vec![]
                };
                let outcome = if reasons.is_empty() { Outcome::Allow } else { Outcome::Deny };
                (safe, SafeDecision { outcome, reasons })
            })
            .collect()
    };
    let member = |id: &str, deny: bool| MemberDecision {
        member: id.to_owned(),
        name: id.to_uppercase(),
        role: MemberRole::Holder,
        datasets: vec!["ds-1".to_owned()],
        outcome: if deny { Outcome::Deny } else { Outcome::Allow },
        safes: safes(deny),
    };
    Decision {
        decision: Outcome::Deny,
        action: Some("analyse".to_owned()),
        day: Some("2025-01-01".to_owned()),
        request_hash: Some(format!("sha256:{n:064x}")),
        bundle: BundleRef {
            federation: "https://example.org/federation".to_owned(),
            version: "1.0".to_owned(),
            blueprint_version: "0.3".to_owned(),
            hash: "sha256:abcd".to_owned(),
        },
        all_members: false,
        members: vec![member("tre-a", false), member("tre-b", true)],
        runs_at: vec![],
        obligations: vec![],
        errors: vec![],
    }
}

/// The record of decision `n`, with a fixed id and time.
pub fn record(n: u64) -> DecisionRecord {
    let id = DecisionId(uuid::Uuid::from_u128(u128::from(n)));
    let time: jiff::Timestamp = format!("2025-01-01T00:00:{:02}Z", n % 60).parse().unwrap();
    DecisionRecord::new(&decision(n), id, time)
}

/// `count` entries of a chain from the genesis.
pub fn entries(count: u64) -> Vec<LogEntry> {
    let mut head = ChainHead::genesis();
    (1..=count).map(|n| head.seal(record(n)).unwrap()).collect()
}

/// The lines of `entries`, each with its newline.
pub fn lines(entries: &[LogEntry]) -> Vec<String> {
    entries.iter().map(|e| e.to_line().unwrap()).collect()
}
