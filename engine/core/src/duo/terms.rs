//! The DUO permissions and modifiers the matcher understands (IDs from `duo.csv`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{DuoError, OBO, normalise_term};

/// A DUO data use permission or modifier known to the matcher.
///
/// Ordered permissions first (broadest to narrowest), then modifiers by DUO identifier; this
/// order fixes the order of [`DatasetUse::terms`](super::DatasetUse::terms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum DuoTerm {
    /// `DUO:0000004` no restriction (permission).
    Nres,
    /// `DUO:0000042` general research use (permission).
    Gru,
    /// `DUO:0000006` health or medical or biomedical research (permission).
    Hmb,
    /// `DUO:0000007` disease specific research (permission, with disease terms).
    Ds,
    /// `DUO:0000011` population origins or ancestry research only (permission).
    Poa,
    /// `DUO:0000012` research specific restrictions.
    Rs,
    /// `DUO:0000015` no general methods research.
    Nmds,
    /// `DUO:0000016` genetic studies only.
    Gso,
    /// `DUO:0000018` not for profit, non commercial use only.
    Npuncu,
    /// `DUO:0000019` publication required.
    Pub,
    /// `DUO:0000020` collaboration required.
    Col,
    /// `DUO:0000021` ethics approval required.
    Irb,
    /// `DUO:0000022` geographical restriction.
    Gs,
    /// `DUO:0000024` publication moratorium.
    Mor,
    /// `DUO:0000025` time limit on use.
    Ts,
    /// `DUO:0000026` user specific restriction.
    Us,
    /// `DUO:0000027` project specific restriction.
    Ps,
    /// `DUO:0000028` institution specific restriction.
    Is,
    /// `DUO:0000029` return to database or resource.
    Rtn,
    /// `DUO:0000043` clinical care use.
    Cc,
    /// `DUO:0000044` population origins or ancestry research prohibited.
    Npoa,
    /// `DUO:0000045` not for profit organisation use only.
    Npu,
    /// `DUO:0000046` non-commercial use only.
    Ncu,
}

impl DuoTerm {
    /// Every known term, in [`Ord`] order.
    pub const ALL: [DuoTerm; 23] = [
        Self::Nres,
        Self::Gru,
        Self::Hmb,
        Self::Ds,
        Self::Poa,
        Self::Rs,
        Self::Nmds,
        Self::Gso,
        Self::Npuncu,
        Self::Pub,
        Self::Col,
        Self::Irb,
        Self::Gs,
        Self::Mor,
        Self::Ts,
        Self::Us,
        Self::Ps,
        Self::Is,
        Self::Rtn,
        Self::Cc,
        Self::Npoa,
        Self::Npu,
        Self::Ncu,
    ];

    /// The seven-digit DUO identifier, e.g. `0000042` for GRU.
    pub const fn id(self) -> &'static str {
        match self {
            Self::Nres => "0000004",
            Self::Gru => "0000042",
            Self::Hmb => "0000006",
            Self::Ds => "0000007",
            Self::Poa => "0000011",
            Self::Rs => "0000012",
            Self::Nmds => "0000015",
            Self::Gso => "0000016",
            Self::Npuncu => "0000018",
            Self::Pub => "0000019",
            Self::Col => "0000020",
            Self::Irb => "0000021",
            Self::Gs => "0000022",
            Self::Mor => "0000024",
            Self::Ts => "0000025",
            Self::Us => "0000026",
            Self::Ps => "0000027",
            Self::Is => "0000028",
            Self::Rtn => "0000029",
            Self::Cc => "0000043",
            Self::Npoa => "0000044",
            Self::Npu => "0000045",
            Self::Ncu => "0000046",
        }
    }

    /// The DUO shorthand, e.g. `GRU`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Nres => "NRES",
            Self::Gru => "GRU",
            Self::Hmb => "HMB",
            Self::Ds => "DS",
            Self::Poa => "POA",
            Self::Rs => "RS",
            Self::Nmds => "NMDS",
            Self::Gso => "GSO",
            Self::Npuncu => "NPUNCU",
            Self::Pub => "PUB",
            Self::Col => "COL",
            Self::Irb => "IRB",
            Self::Gs => "GS",
            Self::Mor => "MOR",
            Self::Ts => "TS",
            Self::Us => "US",
            Self::Ps => "PS",
            Self::Is => "IS",
            Self::Rtn => "RTN",
            Self::Cc => "CC",
            Self::Npoa => "NPOA",
            Self::Npu => "NPU",
            Self::Ncu => "NCU",
        }
    }

    /// The DUO label (`rdfs:label`).
    pub const fn label(self) -> &'static str {
        match self {
            Self::Nres => "no restriction",
            Self::Gru => "general research use",
            Self::Hmb => "health or medical or biomedical research",
            Self::Ds => "disease specific research",
            Self::Poa => "population origins or ancestry research only",
            Self::Rs => "research specific restrictions",
            Self::Nmds => "no general methods research",
            Self::Gso => "genetic studies only",
            Self::Npuncu => "not for profit, non commercial use only",
            Self::Pub => "publication required",
            Self::Col => "collaboration required",
            Self::Irb => "ethics approval required",
            Self::Gs => "geographical restriction",
            Self::Mor => "publication moratorium",
            Self::Ts => "time limit on use",
            Self::Us => "user specific restriction",
            Self::Ps => "project specific restriction",
            Self::Is => "institution specific restriction",
            Self::Rtn => "return to database or resource",
            Self::Cc => "clinical care use",
            Self::Npoa => "population origins or ancestry research prohibited",
            Self::Npu => "not for profit organisation use only",
            Self::Ncu => "non-commercial use only",
        }
    }

    /// Whether the term is a data use permission; every other term is a modifier.
    pub const fn is_permission(self) -> bool {
        matches!(self, Self::Nres | Self::Gru | Self::Hmb | Self::Ds | Self::Poa)
    }

    /// The full IRI, e.g. `http://purl.obolibrary.org/obo/DUO_0000042`.
    pub fn iri(self) -> String {
        format!("{OBO}DUO_{}", self.id())
    }

    /// The CURIE, e.g. `DUO:0000042`.
    pub fn curie(self) -> String {
        format!("DUO:{}", self.id())
    }

    /// The term with this full (normalised) IRI, if it is one the matcher knows.
    pub fn from_iri(iri: &str) -> Option<Self> {
        let id = iri.strip_prefix(OBO)?.strip_prefix("DUO_")?;
        Self::ALL.into_iter().find(|t| t.id() == id)
    }

    /// The term with this shorthand (`GRU`, `npu`: case-insensitive), if any.
    pub fn from_code(code: &str) -> Option<Self> {
        let code = code.trim();
        Self::ALL.into_iter().find(|t| t.code().eq_ignore_ascii_case(code))
    }

    /// Resolves a shorthand, CURIE or IRI.
    ///
    /// `Ok(Some(term))` for a known DUO permission or modifier, `Ok(None)` for a well-formed
    /// term that is not one (for example a MONDO disease or an abstract DUO class), and an error
    /// when the input is empty or malformed.
    ///
    /// # Errors
    /// [`DuoError::EmptyTerm`] or [`DuoError::MalformedTerm`] as [`normalise_term`] reports.
    pub fn resolve(s: &str) -> Result<Option<Self>, DuoError> {
        if let Some(term) = Self::from_code(s) {
            return Ok(Some(term));
        }
        let iri = normalise_term(s)?;
        Ok(Self::from_iri(&iri))
    }
}

/// The primary data use permission of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Permission {
    /// NRES: no restriction.
    Nres,
    /// GRU: general research use.
    Gru,
    /// HMB: health, medical or biomedical research (excludes population origins or ancestry).
    Hmb,
    /// DS: disease specific research, for the diseases in `diseaseRestrictions`.
    Ds,
    /// POA: population origins or ancestry research only.
    Poa,
}

impl Permission {
    /// The DUO term of this permission.
    pub const fn term(self) -> DuoTerm {
        match self {
            Self::Nres => DuoTerm::Nres,
            Self::Gru => DuoTerm::Gru,
            Self::Hmb => DuoTerm::Hmb,
            Self::Ds => DuoTerm::Ds,
            Self::Poa => DuoTerm::Poa,
        }
    }

    /// The DUO shorthand, e.g. `GRU`.
    pub const fn code(self) -> &'static str {
        self.term().code()
    }

    /// The permission a DUO term stands for, or `None` for a modifier.
    pub const fn from_term(term: DuoTerm) -> Option<Self> {
        match term {
            DuoTerm::Nres => Some(Self::Nres),
            DuoTerm::Gru => Some(Self::Gru),
            DuoTerm::Hmb => Some(Self::Hmb),
            DuoTerm::Ds => Some(Self::Ds),
            DuoTerm::Poa => Some(Self::Poa),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent_with_duo_csv() {
        // Every term has a unique ID and code, and ALL is sorted by Ord.
        let mut ids: Vec<&str> = DuoTerm::ALL.iter().map(|t| t.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), DuoTerm::ALL.len());
        let mut sorted = DuoTerm::ALL;
        sorted.sort();
        assert_eq!(sorted, DuoTerm::ALL);
        assert_eq!(DuoTerm::ALL.iter().filter(|t| t.is_permission()).count(), 5);
        assert_eq!(DuoTerm::Npoa.iri(), "http://purl.obolibrary.org/obo/DUO_0000044");
        assert_eq!(DuoTerm::Gru.curie(), "DUO:0000042");
    }

    #[test]
    fn resolve_accepts_codes_curies_and_iris() -> Result<(), DuoError> {
        assert_eq!(DuoTerm::resolve("gru")?, Some(DuoTerm::Gru));
        assert_eq!(DuoTerm::resolve("DUO:0000045")?, Some(DuoTerm::Npu));
        assert_eq!(DuoTerm::resolve("http://purl.obolibrary.org/obo/DUO_00000044")?, Some(DuoTerm::Npoa));
        assert_eq!(DuoTerm::resolve("MONDO:0004992")?, None);
        assert_eq!(DuoTerm::resolve("DUO:0000017")?, None);
        assert!(DuoTerm::resolve("no such thing").is_err());
        Ok(())
    }
}
