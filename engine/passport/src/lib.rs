//! GA4GH Passports as evidence for a Five Safes decision.
//!
//! A passport (`{"ga4gh_passport_v1": [visa, ...]}`, a list of visas or a single visa) is read in
//! four steps, as a Passport Clearinghouse reads it (GA4GH Passport v1):
//!
//! 1. [`verify`]: each visa's signature is checked against the key set the bundle holds for its
//!    issuer (a `jku` header is never fetched); visas that are expired, not yet valid, malformed
//!    or signed with an algorithm GA4GH AAI does not allow are ignored, each with a note.
//! 2. [`accept`]: at each member TRE, only visas from issuers the member trusts for their visa
//!    type (and source) count; visas of different identities count together only when trusted
//!    `LinkedIdentities` visas link them; `conditions` are evaluated over the accepted visas.
//! 3. [`apply`]: the accepted visas become evidence in the decision request:
//!    `ControlledAccessGrants` a Data Access Committee approval of the dataset it names,
//!    `AffiliationAndRole` the researcher's affiliation (an organisation of the bundle, found by
//!    its affiliation scope), `ResearcherStatus` with `AcceptedTermsAndPolicies` for registered
//!    access an accreditation `fs:RegisteredAccessResearcher`.
//! 4. [`decide`]: since trust is each member's own, members whose accepted visas differ are
//!    decided on their own evidence, and the matrix is put back together; notes about ignored
//!    visas join the reasons of the Safe they would have served.
//!
//! The crate does no I/O: the caller reads the passport and the bundle.

mod check;
mod conditions;
mod decide;
mod evidence;
mod jws;
mod pattern;
mod trust;
mod visa;

pub use check::{MemberCheck, PassportCheck, check};
pub use conditions::{ConditionError, conditions_met};
pub use decide::{PassportDecision, decide, request_hash};
pub use evidence::apply;
pub use pattern::pattern_matches;
pub use trust::{Accepted, accept};
pub use visa::{Instant, Passport, PassportError, Visa, VisaNote, request_instant, verify};
