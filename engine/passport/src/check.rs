//! What each member TRE makes of a passport at a time (`fivesafes passport check`).

use crate::trust::accept;
use crate::visa::{Instant, Passport, Visa, VisaNote, verify};
use fivesafes_core::federation::Federation;
use serde::Serialize;
use std::collections::BTreeMap;

/// A passport checked against the bundle at a time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PassportCheck {
    /// How many visas the passport holds.
    pub visas: usize,
    /// The visas that verified and are valid at the time.
    pub verified: Vec<Visa>,
    /// Why the others were not.
    pub notes: Vec<VisaNote>,
    /// Per member: the visas it accepts and why it ignores the others.
    pub members: BTreeMap<String, MemberCheck>,
}

/// What one member accepts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberCheck {
    /// The positions of the visas it accepts.
    pub accepted: Vec<usize>,
    /// Why it ignores the other verified visas.
    pub notes: Vec<VisaNote>,
}

/// Check `passport` at `now`, at every member or only at `member`.
pub fn check(passport: &Passport, federation: &Federation, now: Instant, member: Option<&str>) -> PassportCheck {
    let (verified, notes) = verify(passport, federation, now);
    let members = federation
        .members
        .values()
        .filter(|m| member.is_none_or(|only| only == m.id))
        .map(|m| {
            let a = accept(&verified, m, federation);
            (m.id.clone(), MemberCheck { accepted: a.visas.iter().map(|v| v.index).collect(), notes: a.notes })
        })
        .collect();
    PassportCheck { visas: passport.visas.len(), verified, notes, members }
}
