//! Reading a passport and verifying its visas.

use crate::jws::{self, Token};
use fivesafes_core::day::Day;
use fivesafes_core::federation::Federation;
use serde::Serialize;
use serde_json::{Map, Value};

/// A point in time, in seconds since 1970-01-01T00:00:00Z.
pub type Instant = i64;

/// The visas of a passport, as JWS compact serialisations, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Passport {
    /// The visas.
    pub visas: Vec<String>,
}

/// A passport that cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at {path})")]
pub struct PassportError {
    /// What is wrong.
    pub message: String,
    /// Where, as a JSON path.
    pub path: String,
}

impl Passport {
    /// Read a passport: `{"ga4gh_passport_v1": [visa, ...]}`, a JSON list of visas, a JSON
    /// string holding one visa, or text with one visa per line.
    pub fn parse(text: &str) -> Result<Passport, PassportError> {
        let trimmed = text.trim();
        if trimmed.starts_with(['{', '[', '"']) {
            let value: Value = serde_json::from_str(trimmed).map_err(|e| PassportError {
                message: format!("not JSON: {e} (line {}, column {})", e.line(), e.column()),
                path: "$".to_owned(),
            })?;
            return Passport::from_json(&value);
        }
        let visas: Vec<String> = trimmed.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
        if visas.is_empty() {
            return Err(PassportError { message: "the passport holds no visa".to_owned(), path: "$".to_owned() });
        }
        Ok(Passport { visas })
    }

    /// Read a passport from JSON (see [`Passport::parse`]).
    pub fn from_json(value: &Value) -> Result<Passport, PassportError> {
        let (list, path) = match value {
            Value::Object(o) => match o.get("ga4gh_passport_v1") {
                Some(Value::Array(list)) => (list.as_slice(), "$.ga4gh_passport_v1"),
                Some(_) => {
                    return Err(PassportError {
                        message: "`ga4gh_passport_v1` is not a list of visas".to_owned(),
                        path: "$.ga4gh_passport_v1".to_owned(),
                    });
                }
                None => {
                    return Err(PassportError {
                        message: "no `ga4gh_passport_v1` claim".to_owned(),
                        path: "$".to_owned(),
                    });
                }
            },
            Value::Array(list) => (list.as_slice(), "$"),
            Value::String(s) => return Ok(Passport { visas: vec![s.clone()] }),
            _ => {
                return Err(PassportError {
                    message: "a passport is an object with `ga4gh_passport_v1`, a list of visas or one visa".to_owned(),
                    path: "$".to_owned(),
                });
            }
        };
        let mut visas = Vec::with_capacity(list.len());
        for (i, v) in list.iter().enumerate() {
            match v {
                Value::String(s) => visas.push(s.clone()),
                _ => {
                    return Err(PassportError {
                        message: "a visa must be a signed JWT (JWS compact serialisation), not decoded JSON".to_owned(),
                        path: format!("{path}[{i}]"),
                    });
                }
            }
        }
        Ok(Passport { visas })
    }
}

/// A visa whose signature verified against a key of the bundle and that is valid at the
/// request time.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Visa {
    /// Its position in the passport (from 0).
    pub index: usize,
    /// `iss`.
    pub issuer: String,
    /// The bundle's IRI for that issuer.
    pub issuer_iri: String,
    /// `sub`.
    pub subject: String,
    /// `jti`, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// `exp`.
    pub expires: Instant,
    /// `ga4gh_visa_v1.type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `ga4gh_visa_v1.value`.
    pub value: String,
    /// `ga4gh_visa_v1.source`.
    pub source: String,
    /// `ga4gh_visa_v1.by` (absent: unknown authority).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// `ga4gh_visa_v1.asserted`.
    pub asserted: Instant,
    /// `ga4gh_visa_v1.conditions`, if present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Value>,
    /// The whole `ga4gh_visa_v1` object (conditions may name any of its string claims).
    #[serde(skip)]
    pub object: Map<String, Value>,
}

impl Visa {
    /// A short description for notes: `#2 ControlledAccessGrants <value> from <iss>`.
    pub fn describe(&self) -> String {
        describe(self.index, Some(&self.kind), Some(&self.value), Some(&self.issuer))
    }

    /// The day its `exp` falls in the last second of (the last day it is valid on).
    pub fn last_day(&self) -> Day {
        Day::from_number((self.expires - 1).div_euclid(86_400))
    }

    /// The day of `asserted`.
    pub fn asserted_day(&self) -> Day {
        Day::from_number(self.asserted.div_euclid(86_400))
    }

    /// The Safe whose evidence this visa type is.
    pub fn safe(&self) -> &'static str {
        safe_of(&self.kind)
    }
}

/// The Safe a visa type serves: controlled access grants stand for Data Access Committee
/// approvals (Safe Projects); the others are about the researcher (Safe People).
pub(crate) fn safe_of(kind: &str) -> &'static str {
    if kind == "ControlledAccessGrants" { "projects" } else { "people" }
}

pub(crate) fn describe(index: usize, kind: Option<&str>, value: Option<&str>, issuer: Option<&str>) -> String {
    let mut out = format!("visa #{index}");
    if let Some(k) = kind {
        out.push(' ');
        out.push_str(k);
    }
    if let Some(v) = value {
        out.push_str(&format!(" `{v}`"));
    }
    if let Some(i) = issuer {
        out.push_str(&format!(" from {i}"));
    }
    out
}

/// Why a visa was not used (or, with `member`, not used at that member).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VisaNote {
    /// The visa's position in the passport.
    pub visa: usize,
    /// The member TRE this is about (absent: every member).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// The Safe whose evidence the visa would have been.
    pub safe: String,
    /// What happened, for the researcher.
    pub message: String,
}

/// Verify every visa of a passport against the bundle's issuers and keys, at `now` (the request
/// time). Returns the visas that verified and are valid, and a note for every other.
pub fn verify(passport: &Passport, federation: &Federation, now: Instant) -> (Vec<Visa>, Vec<VisaNote>) {
    let mut visas = Vec::new();
    let mut notes = Vec::new();
    for (index, text) in passport.visas.iter().enumerate() {
        match verify_one(index, text, federation, now) {
            Ok(v) => visas.push(v),
            Err(note) => notes.push(note),
        }
    }
    (visas, notes)
}

fn verify_one(index: usize, text: &str, federation: &Federation, now: Instant) -> Result<Visa, VisaNote> {
    // The unverified claims name the issuer (whose keys to use) and the Safe the visa is for,
    // so the notes can say what was ignored; nothing unverified is used as evidence.
    let token = Token::split(text).map_err(|e| note(index, "people", describe(index, None, None, None), &e))?;
    let unverified = token.unverified_claims();
    let claimed_kind = unverified.pointer("/ga4gh_visa_v1/type").and_then(Value::as_str).map(str::to_owned);
    let claimed_value = unverified.pointer("/ga4gh_visa_v1/value").and_then(Value::as_str).map(str::to_owned);
    let claimed_iss = unverified.get("iss").and_then(Value::as_str).map(str::to_owned);
    let safe = safe_of(claimed_kind.as_deref().unwrap_or_default());
    let what = describe(index, claimed_kind.as_deref(), claimed_value.as_deref(), claimed_iss.as_deref());
    let fail = |message: &str| note(index, safe, what.clone(), message);

    let iss = claimed_iss.as_deref().ok_or_else(|| fail("has no `iss` claim"))?;
    let issuer = federation
        .visa_issuers
        .values()
        .find(|i| i.issuer == iss)
        .ok_or_else(|| fail("comes from an issuer the federation does not know; ignored"))?;
    let claims = jws::verify(&token, &issuer.jwks).map_err(|e| fail(&format!("{e}; ignored")))?;

    let text_claim = |v: &Value, name: &str| v.get(name).and_then(Value::as_str).map(str::to_owned);
    let number = |v: &Value, name: &str| v.get(name).and_then(Value::as_i64);
    let subject = text_claim(&claims, "sub").ok_or_else(|| fail("has no `sub` claim; ignored"))?;
    let issued = number(&claims, "iat").ok_or_else(|| fail("has no numeric `iat` claim; ignored"))?;
    let expires = number(&claims, "exp").ok_or_else(|| fail("has no numeric `exp` claim; ignored"))?;
    if claims.get("scope").is_none() && !token.header_has("jku") {
        return Err(fail("has neither `scope` nor a `jku` header, one of which GA4GH AAI requires; ignored"));
    }
    let object = match claims.get("ga4gh_visa_v1") {
        Some(Value::Object(o)) => o.clone(),
        _ => return Err(fail("has no `ga4gh_visa_v1` object; ignored")),
    };
    let visa_value = Value::Object(object.clone());
    let kind = text_claim(&visa_value, "type").ok_or_else(|| fail("has no `ga4gh_visa_v1.type`; ignored"))?;
    let value = text_claim(&visa_value, "value").ok_or_else(|| fail("has no `ga4gh_visa_v1.value`; ignored"))?;
    let source = text_claim(&visa_value, "source").ok_or_else(|| fail("has no `ga4gh_visa_v1.source`; ignored"))?;
    let asserted =
        number(&visa_value, "asserted").ok_or_else(|| fail("has no numeric `ga4gh_visa_v1.asserted`; ignored"))?;
    let by = match object.get("by") {
        None => None,
        Some(Value::String(b)) => Some(b.clone()),
        Some(_) => return Err(fail("its `by` claim is not a string; ignored")),
    };
    let at = |t: Instant| format_instant(t);
    if expires <= now {
        return Err(fail(&format!("expired at {} (request time {}); ignored", at(expires), at(now))));
    }
    if let Some(nbf) = number(&claims, "nbf").filter(|nbf| *nbf > now) {
        return Err(fail(&format!("is not valid before {} (request time {}); ignored", at(nbf), at(now))));
    }
    if issued > now {
        return Err(fail(&format!("was issued at {}, after the request time {}; ignored", at(issued), at(now))));
    }
    if asserted > now {
        return Err(fail(&format!("was asserted at {}, after the request time {}; ignored", at(asserted), at(now))));
    }
    Ok(Visa {
        index,
        issuer: iss.to_owned(),
        issuer_iri: issuer.iri.clone(),
        subject,
        jti: text_claim(&claims, "jti"),
        expires,
        kind,
        value,
        source,
        by,
        asserted,
        conditions: object.get("conditions").cloned(),
        object,
    })
}

fn note(index: usize, safe: &str, what: String, message: &str) -> VisaNote {
    VisaNote { visa: index, member: None, safe: safe.to_owned(), message: format!("{what} {message}") }
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn format_instant(t: Instant) -> String {
    jiff::Timestamp::from_second(t)
        .map(|ts| ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|_| t.to_string())
}

/// The request time as an instant: an RFC 3339 timestamp as given; a day (`YYYY-MM-DD`) as its
/// last second, so a visa must be valid through the whole day judged.
pub fn request_instant(time: &str) -> Result<Instant, String> {
    if time.len() == 10 {
        let day = Day::parse(time)?;
        Ok(day.number() * 86_400 + 86_399)
    } else {
        time.parse::<jiff::Timestamp>()
            .map(|t| t.as_second())
            .map_err(|e| format!("`{time}` is not a date or an RFC 3339 timestamp: {e}"))
    }
}
