//! Visa `conditions` (GA4GH Passport v1): a list of alternatives (OR), each a list of clauses
//! (AND); a clause names a visa type and, for other visa object claims, `const:`, `pattern:` or
//! `split_pattern:` values, all of which one accepted visa without conditions must match.

use crate::pattern::pattern_matches;
use crate::visa::Visa;
use serde_json::Value;

/// `conditions` that break the specification's rules: the visa cannot be evaluated and is
/// rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConditionError(pub String);

/// Whether `conditions` are met by one of the `candidates` per clause. An empty list is no
/// condition. Candidates with conditions of their own never match (no nesting).
pub fn conditions_met(conditions: &Value, candidates: &[&Visa]) -> Result<bool, ConditionError> {
    let err = |m: String| Err(ConditionError(m));
    let Value::Array(alternatives) = conditions else {
        return err("`conditions` is not a list of lists of clauses".to_owned());
    };
    // Check every clause first, as the specification asks, so a malformed alternative is
    // reported even when an earlier one matches.
    let mut parsed = Vec::with_capacity(alternatives.len());
    for (i, alternative) in alternatives.iter().enumerate() {
        let Value::Array(clauses) = alternative else {
            return err(format!("`conditions[{i}]` is not a list of clauses"));
        };
        if clauses.is_empty() {
            return err(format!("`conditions[{i}]` has no clause"));
        }
        let mut all = Vec::with_capacity(clauses.len());
        for (j, clause) in clauses.iter().enumerate() {
            all.push(Clause::parse(clause).map_err(|m| ConditionError(format!("`conditions[{i}][{j}]` {m}")))?);
        }
        parsed.push(all);
    }
    let usable: Vec<&&Visa> = candidates.iter().filter(|v| v.conditions.is_none()).collect();
    Ok(parsed.is_empty() || parsed.iter().any(|all| all.iter().all(|c| usable.iter().any(|v| c.matches(v)))))
}

struct Clause<'a> {
    kind: &'a str,
    claims: Vec<(&'a str, Match<'a>)>,
}

enum Match<'a> {
    Const(&'a str),
    Pattern(&'a str),
    SplitPattern(&'a str),
    /// An unknown prefix: the clause must fail to match.
    Unsupported,
}

impl<'a> Clause<'a> {
    fn parse(value: &'a Value) -> Result<Clause<'a>, String> {
        let Value::Object(o) = value else { return Err("is not an object".to_owned()) };
        let kind = match o.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(_) => return Err("has a `type` that is not a string".to_owned()),
            None => return Err("names no `type`".to_owned()),
        };
        let mut claims = Vec::new();
        for (name, v) in o.iter().filter(|(n, _)| n.as_str() != "type") {
            if name == "conditions" {
                return Err("puts a condition on `conditions`, which is not allowed".to_owned());
            }
            if name == "asserted" {
                return Err("puts a condition on the timestamp `asserted`, which is not allowed".to_owned());
            }
            let Value::String(s) = v else { return Err(format!("has a `{name}` that is not a string")) };
            let Some((prefix, suffix)) = s.split_once(':') else {
                return Err(format!("has `{name}: {s}`, with no `<match-type>:` prefix"));
            };
            let m = match prefix {
                "const" => Match::Const(suffix),
                "pattern" => Match::Pattern(suffix),
                "split_pattern" => Match::SplitPattern(suffix),
                _ => Match::Unsupported,
            };
            claims.push((name.as_str(), m));
        }
        if claims.is_empty() {
            return Err("names only a `type`; a clause needs at least one other claim".to_owned());
        }
        Ok(Clause { kind, claims })
    }

    fn matches(&self, visa: &Visa) -> bool {
        visa.kind == self.kind
            && self.claims.iter().all(|(name, m)| {
                let Some(Value::String(actual)) = visa.object.get(*name) else { return false };
                match m {
                    Match::Const(c) => actual == c,
                    Match::Pattern(p) => pattern_matches(p, actual),
                    Match::SplitPattern(p) => actual.split(';').any(|part| pattern_matches(p, part)),
                    Match::Unsupported => false,
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn visa(kind: &str, value: &str, source: &str, by: Option<&str>) -> Visa {
        let mut object = serde_json::Map::new();
        object.insert("type".into(), json!(kind));
        object.insert("value".into(), json!(value));
        object.insert("source".into(), json!(source));
        object.insert("asserted".into(), json!(1_700_000_000));
        if let Some(b) = by {
            object.insert("by".into(), json!(b));
        }
        Visa {
            index: 0,
            issuer: "https://aai.example".into(),
            issuer_iri: "https://aai.example#".into(),
            subject: "s".into(),
            jti: None,
            expires: 1_800_000_000,
            kind: kind.into(),
            value: value.into(),
            source: source.into(),
            by: by.map(str::to_owned),
            asserted: 1_700_000_000,
            conditions: None,
            object,
        }
    }

    #[test]
    fn dnf_needs_every_clause_of_one_alternative() -> Result<(), ConditionError> {
        let faculty = visa("AffiliationAndRole", "faculty@uni.example", "https://uni.example", Some("so"));
        let status =
            visa("ResearcherStatus", "https://doi.org/10.1038/s41431-018-0219-y", "https://uni.example", Some("so"));
        let c = json!([
            [
                { "type": "AffiliationAndRole", "value": "const:faculty@uni.example", "by": "const:so" },
                { "type": "ResearcherStatus", "value": "const:https://doi.org/10.1038/s41431-018-0219-y" }
            ],
            [ { "type": "AffiliationAndRole", "value": "pattern:faculty@*", "source": "const:https://other.example" } ]
        ]);
        assert!(conditions_met(&c, &[&faculty, &status])?);
        assert!(!conditions_met(&c, &[&faculty])?, "the first alternative needs both visas; the second another source");
        let elsewhere = visa("AffiliationAndRole", "faculty@x.example", "https://other.example", None);
        assert!(conditions_met(&c, &[&elsewhere])?, "the second alternative alone suffices");
        Ok(())
    }

    #[test]
    fn one_clause_must_match_one_visa_in_all_its_claims() -> Result<(), ConditionError> {
        let a = visa("AffiliationAndRole", "faculty@uni.example", "https://uni.example", None);
        let b = visa("AffiliationAndRole", "student@uni.example", "https://uni.example", Some("so"));
        let c = json!([[{ "type": "AffiliationAndRole", "value": "const:faculty@uni.example", "by": "const:so" }]]);
        assert!(!conditions_met(&c, &[&a, &b])?, "value and by are on different visas");
        Ok(())
    }

    #[test]
    fn absent_by_is_unknown_and_matches_no_by_clause() -> Result<(), ConditionError> {
        let a = visa("AffiliationAndRole", "faculty@uni.example", "https://uni.example", None);
        assert!(!conditions_met(&json!([[{ "type": "AffiliationAndRole", "by": "pattern:*" }]]), &[&a])?);
        Ok(())
    }

    #[test]
    fn split_pattern_matches_any_semicolon_part() -> Result<(), ConditionError> {
        let linked =
            visa("LinkedIdentities", "001,https%3A%2F%2Fa.example;123,https%3A%2F%2Fexample2.org", "https://b", None);
        let c = json!([[{ "type": "LinkedIdentities", "value": "split_pattern:123,https%3A%2F%2Fexample?.org" }]]);
        assert!(conditions_met(&c, &[&linked])?);
        let whole = json!([[{ "type": "LinkedIdentities", "value": "pattern:123,https%3A%2F%2Fexample?.org" }]]);
        assert!(!conditions_met(&whole, &[&linked])?, "pattern: compares the whole value");
        Ok(())
    }

    #[test]
    fn an_unknown_prefix_fails_to_match() -> Result<(), ConditionError> {
        let a = visa("AffiliationAndRole", "faculty@uni.example", "https://uni.example", None);
        assert!(!conditions_met(&json!([[{ "type": "AffiliationAndRole", "value": "regex:.*" }]]), &[&a])?);
        Ok(())
    }

    #[test]
    fn candidates_with_conditions_of_their_own_never_match() -> Result<(), ConditionError> {
        let mut a = visa("AffiliationAndRole", "faculty@uni.example", "https://uni.example", None);
        a.conditions = Some(json!([[{ "type": "ResearcherStatus", "value": "pattern:*" }]]));
        assert!(!conditions_met(&json!([[{ "type": "AffiliationAndRole", "value": "pattern:*" }]]), &[&a])?);
        Ok(())
    }

    #[test]
    fn malformed_conditions_are_errors() {
        for bad in [
            json!({ "type": "AffiliationAndRole" }),
            json!([{ "type": "AffiliationAndRole", "value": "const:x" }]),
            json!([[]]),
            json!([[{ "value": "const:x" }]]),
            json!([[{ "type": "AffiliationAndRole" }]]),
            json!([[{ "type": "AffiliationAndRole", "value": "faculty@uni.example" }]]),
            json!([[{ "type": "AffiliationAndRole", "asserted": "const:1" }]]),
            json!([[{ "type": "AffiliationAndRole", "conditions": "const:x" }]]),
        ] {
            assert!(conditions_met(&bad, &[]).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn an_empty_list_is_no_condition() -> Result<(), ConditionError> {
        assert!(conditions_met(&json!([]), &[])?);
        Ok(())
    }
}
