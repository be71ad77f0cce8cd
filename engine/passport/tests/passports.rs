//! Passports against the embedded example federation, with visas minted from the test keys of
//! tests/passports/keys: valid, expired, from an unknown or untrusted issuer, with a bad
//! signature, with conditions, across linked identities.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

#[path = "../examples/mint.rs"]
#[allow(dead_code)]
mod mint;

use fivesafes_core::request::DecisionRequest;
use fivesafes_core::{Bundle, DecideOptions, Outcome, Safe, embedded};
use fivesafes_passport::{Passport, PassportDecision, decide};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

static BUNDLE: LazyLock<Bundle> = LazyLock::new(|| Bundle::load(&embedded::default_sources()).unwrap());
const AAI: &str = "https://aai.example-federation.eu/oidc";
const KALEVA: &str = "https://visas.kaleva-permits.example/oidc";
const RA: &str = "https://doi.org/10.1038/s41431-018-0219-y";
const EX: &str = "https://w3id.org/fivesafes/example/";
/// 2026-11-20T08:00:00Z, two days before the example requests' day.
const MINTED: i64 = 1_795_161_600;
const YEAR: i64 = 365 * 86_400;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn keys() -> PathBuf {
    root().join("tests/passports/keys")
}

/// Ada's request for the cardiovascular cohort, with no affiliation, accreditation or DAC
/// approval of its own: the passport must supply them.
fn request() -> DecisionRequest {
    let text = std::fs::read_to_string(root().join("examples/passports/ada-cardio.request.json")).unwrap();
    DecisionRequest::from_json(&text).unwrap()
}

fn visa(key: &str, iss: &str, sub: &str, kind: &str, value: &str, source: &str, by: Option<&str>) -> Value {
    let mut v = json!({ "type": kind, "asserted": MINTED - 30 * 86_400, "value": value, "source": source });
    if let Some(b) = by {
        v["by"] = json!(b);
    }
    json!({ "key": key, "claims": {
        "iss": iss, "sub": sub, "jti": format!("{kind}-{value}"), "iat": MINTED, "exp": MINTED + YEAR,
        "scope": "openid", "ga4gh_visa_v1": v
    }})
}

fn affiliation() -> Value {
    visa(
        "federation-aai",
        AAI,
        "ada",
        "AffiliationAndRole",
        "faculty@uni-neckartal.example",
        "https://ror.org/00example1",
        Some("so"),
    )
}
fn status() -> Value {
    visa("federation-aai", AAI, "ada", "ResearcherStatus", RA, "https://ror.org/00example1", Some("so"))
}
fn terms() -> Value {
    visa("federation-aai", AAI, "ada", "AcceptedTermsAndPolicies", RA, "https://no.organization", Some("self"))
}
fn grant(dataset: &str) -> Value {
    visa(
        "federation-aai",
        AAI,
        "ada",
        "ControlledAccessGrants",
        &format!("{EX}{dataset}"),
        "https://dac.example/",
        Some("dac"),
    )
}

fn passport(specs: &[Value]) -> Passport {
    let visas = specs
        .iter()
        .map(|s| mint::mint(&keys(), s["key"].as_str().unwrap(), s.get("header"), &s["claims"]).unwrap())
        .collect();
    Passport { visas }
}

fn run(req: &DecisionRequest, specs: &[Value]) -> PassportDecision {
    decide(&BUNDLE, req, &passport(specs), DecideOptions::default()).unwrap()
}

fn safe(d: &PassportDecision, member: &str, s: Safe) -> Outcome {
    d.decision.members.iter().find(|m| m.member == member).unwrap().safes[&s].outcome
}

fn evidence(d: &PassportDecision, member: &str, s: Safe) -> Vec<String> {
    let m = d.decision.members.iter().find(|m| m.member == member).unwrap();
    m.safes[&s].reasons.iter().flat_map(|r| r.evidence.clone()).collect()
}

/// Whether a policy gave a reason at a member.
fn reason(d: &PassportDecision, member: &str, policy: &str) -> bool {
    let m = d.decision.members.iter().find(|m| m.member == member).unwrap();
    m.safes.values().any(|s| s.reasons.iter().any(|r| r.policy == policy))
}

fn link() -> Value {
    visa(
        "federation-aai",
        AAI,
        "ada",
        "LinkedIdentities",
        "ada%40kaleva,https%3A%2F%2Fvisas.kaleva-permits.example%2Foidc",
        AAI,
        Some("system"),
    )
}

fn notes(d: &PassportDecision) -> String {
    d.notes.iter().map(|n| n.message.clone()).collect::<Vec<_>>().join("\n")
}

fn full() -> Vec<Value> {
    vec![affiliation(), status(), terms(), grant("de-hd-cardio")]
}

#[test]
fn a_full_passport_supplies_affiliation_accreditation_and_dac_approval() {
    let req = request();
    let without = fivesafes_core::decide(&BUNDLE, &req, DecideOptions::default()).unwrap();
    assert_eq!(without.decision, Outcome::Deny, "the request alone lacks the evidence");
    let d = run(&req, &full());
    assert_eq!(d.decision.decision, Outcome::Allow, "{}", d.decision.to_json());
    assert_eq!(d.decision.runs_at, vec!["de-hd".to_owned()]);
    assert_eq!(d.verified.len(), 4);
    assert!(d.notes.is_empty(), "{}", notes(&d));
    assert_ne!(d.decision.request_hash, without.request_hash, "the passport is part of what was decided");
}

#[test]
fn each_piece_of_evidence_is_needed() {
    let req = request();
    let d = run(&req, &[status(), terms(), grant("de-hd-cardio")]);
    assert_eq!(safe(&d, "de-hd", Safe::People), Outcome::Deny, "no affiliation visa");
    let d = run(&req, &[affiliation(), status(), grant("de-hd-cardio")]);
    assert_eq!(safe(&d, "de-hd", Safe::People), Outcome::Deny, "registered access needs both visas");
    assert!(notes(&d).contains("both are needed"), "{}", notes(&d));
    let d = run(&req, &[affiliation(), status(), terms()]);
    assert_eq!(safe(&d, "de-hd", Safe::Projects), Outcome::Deny, "no grant");
}

#[test]
fn expired_visas_are_ignored_against_the_request_time_not_the_clock() {
    let mut old = grant("de-hd-cardio");
    old["claims"]["exp"] = json!(MINTED - 1);
    let d = run(&request(), &[affiliation(), status(), terms(), old.clone()]);
    assert_eq!(safe(&d, "de-hd", Safe::Projects), Outcome::Deny);
    assert!(notes(&d).contains("expired at 2026-11-20T07:59:59Z"), "{}", notes(&d));
    let ev = evidence(&d, "de-hd", Safe::Projects);
    assert!(ev.iter().any(|e| e.starts_with("passport: ") && e.contains("expired")), "{ev:?}");
    // The same passport judged on a day when every visa was valid.
    let mut earlier = request();
    earlier.time = "2026-11-19T12:00:00Z".to_owned();
    let mut all = vec![affiliation(), status(), terms(), old];
    for v in &mut all {
        v["claims"]["iat"] = json!(MINTED - 2 * 86_400);
    }
    let d = run(&earlier, &all);
    assert!(d.notes.is_empty(), "{}", notes(&d));
    assert_eq!(safe(&d, "de-hd", Safe::Projects), Outcome::Allow);
}

#[test]
fn a_day_long_request_needs_visas_valid_through_the_whole_day() {
    let mut v = grant("de-hd-cardio");
    v["claims"]["exp"] = json!(1_795_348_800); // 2026-11-22T12:00:00Z, mid-day of the request
    let d = run(&request(), &[affiliation(), status(), terms(), v]);
    assert_eq!(safe(&d, "de-hd", Safe::Projects), Outcome::Deny, "{}", notes(&d));
}

#[test]
fn visas_minted_or_asserted_after_the_request_time_are_ignored() {
    let mut v = grant("de-hd-cardio");
    v["claims"]["iat"] = json!(MINTED + 10 * 86_400);
    let d = run(&request(), &[affiliation(), status(), terms(), v]);
    assert!(notes(&d).contains("after the request time"), "{}", notes(&d));
    assert_eq!(safe(&d, "de-hd", Safe::Projects), Outcome::Deny);
}

#[test]
fn an_issuer_the_federation_does_not_know_is_ignored() {
    let mut v = grant("de-hd-cardio");
    v["claims"]["iss"] = json!("https://visas.unknown.example/oidc");
    let d = run(&request(), &[affiliation(), status(), terms(), v]);
    assert_eq!(safe(&d, "de-hd", Safe::Projects), Outcome::Deny);
    assert!(notes(&d).contains("an issuer the federation does not know"), "{}", notes(&d));
}

#[test]
fn a_signature_by_another_key_or_over_a_changed_payload_does_not_verify() {
    let mut forged = grant("de-hd-cardio");
    forged["key"] = json!("impostor");
    let d = run(&request(), &[affiliation(), status(), terms(), forged]);
    assert_eq!(safe(&d, "de-hd", Safe::Projects), Outcome::Deny);
    assert!(notes(&d).contains("signature that does not verify"), "{}", notes(&d));

    // A genuine visa whose payload is edited after signing (the dataset changed).
    let mut p = passport(&full());
    let genuine = p.visas[3].clone();
    let parts: Vec<&str> = genuine.split('.').collect();
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = String::from_utf8(engine.decode(parts[1]).unwrap()).unwrap();
    let edited = payload.replace("de-hd-cardio", "de-hd-biomarkers");
    p.visas[3] = format!("{}.{}.{}", parts[0], engine.encode(edited), parts[2]);
    let mut req = request();
    req.datasets[0].id = "de-hd-biomarkers".to_owned();
    req.datasets[0].variables = vec![];
    let d = decide(&BUNDLE, &req, &p, DecideOptions::default()).unwrap();
    assert_eq!(safe(&d, "de-hd", Safe::Projects), Outcome::Deny);
    assert!(notes(&d).contains("signature that does not verify"), "{}", notes(&d));
}

#[test]
fn unsigned_and_hmac_visas_are_refused() {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let claims = grant("de-hd-cardio")["claims"].to_string();
    let none = format!("{}.{}.", engine.encode(r#"{"alg":"none","typ":"JWT"}"#), engine.encode(&claims));
    let hmac = format!(
        "{}.{}.{}",
        engine.encode(r#"{"alg":"HS256","kid":"aai-2026-1"}"#),
        engine.encode(&claims),
        engine.encode("x")
    );
    let mut p = passport(&[affiliation(), status(), terms()]);
    p.visas.push(none);
    p.visas.push(hmac);
    let d = decide(&BUNDLE, &request(), &p, DecideOptions::default()).unwrap();
    assert_eq!(safe(&d, "de-hd", Safe::Projects), Outcome::Deny);
    assert!(notes(&d).contains("signed with `none`"), "{}", notes(&d));
    assert!(notes(&d).contains("signed with `HS256`"), "{}", notes(&d));
}

#[test]
fn a_jku_header_is_never_followed() {
    // Signed by the impostor, who names its own key set: the bundle's key still decides.
    let mut forged = grant("de-hd-cardio");
    forged["key"] = json!("impostor");
    forged["header"] = json!({ "jku": "https://impostor.example/jwks.json" });
    let d = run(&request(), &[affiliation(), status(), terms(), forged]);
    assert!(notes(&d).contains("signature that does not verify"), "{}", notes(&d));
}

/// Ada's request moved to the Finnish diabetes register, and the Kaleva permit authority's
/// ES256 grant for it, issued to her identity there.
fn diabetes() -> (DecisionRequest, Value) {
    let mut req = request();
    req.datasets[0].id = "fi-fin-diabetes".to_owned();
    req.datasets[0].variables = vec![];
    let kaleva = visa(
        "kaleva-permits",
        KALEVA,
        "ada@kaleva",
        "ControlledAccessGrants",
        &format!("{EX}fi-fin-diabetes"),
        "https://permits.kaleva-permits.example",
        Some("dac"),
    );
    (req, kaleva)
}

#[test]
fn an_es256_visa_verifies_and_a_member_trusts_issuers_for_its_own_visa_types() {
    // fi-fin trusts the Kaleva permit authority for grants; de-hd (a candidate site) does not.
    let (req, kaleva) = diabetes();
    let p = passport(&[affiliation(), status(), terms(), kaleva, link()]);
    let d = decide(&BUNDLE, &req, &p, DecideOptions { all_members: true }).unwrap();
    assert_eq!(d.verified.len(), 5, "{}", notes(&d));
    assert!(!reason(&d, "fi-fin", "projects.dac-approval"), "{}", d.decision.to_json());
    assert!(reason(&d, "de-hd", "projects.dac-approval"));
    let ev = evidence(&d, "de-hd", Safe::Projects);
    assert!(ev.iter().any(|e| e.contains("does not trust Kaleva")), "{ev:?}");
}

#[test]
fn visas_of_another_identity_count_only_when_linked() {
    let (req, kaleva) = diabetes();
    let d = run(&req, &[affiliation(), status(), terms(), kaleva.clone()]);
    assert!(reason(&d, "fi-fin", "projects.dac-approval"));
    assert!(notes(&d).contains("no accepted LinkedIdentities visa links"), "{}", notes(&d));
    let d = run(&req, &[affiliation(), status(), terms(), kaleva.clone(), link()]);
    assert!(!reason(&d, "fi-fin", "projects.dac-approval"), "{}", notes(&d));
    // A link the member does not trust links nothing: gb-sail's trust is not fi-fin's, so a
    // link from an issuer fi-fin does not trust for LinkedIdentities leaves the grant alone.
    let mut untrusted = link();
    untrusted["key"] = json!("kaleva-permits");
    untrusted["claims"]["iss"] = json!(KALEVA);
    untrusted["claims"]["sub"] = json!("ada@kaleva");
    untrusted["claims"]["ga4gh_visa_v1"]["value"] = json!("ada,https%3A%2F%2Faai.example-federation.eu%2Foidc");
    let d = run(&req, &[affiliation(), status(), terms(), kaleva, untrusted]);
    assert!(reason(&d, "fi-fin", "projects.dac-approval"), "{}", notes(&d));
}

#[test]
fn a_grant_with_conditions_counts_only_when_they_are_met() {
    let mut g = grant("de-hd-cardio");
    g["claims"]["ga4gh_visa_v1"]["conditions"] =
        json!([[{ "type": "AffiliationAndRole", "value": "pattern:faculty@uni-neckartal.example", "by": "const:so" }]]);
    let d = run(&request(), &[affiliation(), status(), terms(), g.clone()]);
    assert_eq!(d.decision.decision, Outcome::Allow, "{}", notes(&d));
    // Without the affiliation visa the grant's condition fails (and so does Safe People).
    let d = run(&request(), &[status(), terms(), g.clone()]);
    assert_eq!(safe(&d, "de-hd", Safe::Projects), Outcome::Deny);
    assert!(notes(&d).contains("conditions that no other accepted visa meets"), "{}", notes(&d));
    // A student affiliation does not meet it either.
    let mut student = affiliation();
    student["claims"]["ga4gh_visa_v1"]["value"] = json!("student@uni-neckartal.example");
    let d = run(&request(), &[student, status(), terms(), g.clone()]);
    assert_eq!(safe(&d, "de-hd", Safe::Projects), Outcome::Deny);
    // Malformed conditions are rejected, not guessed at.
    g["claims"]["ga4gh_visa_v1"]["conditions"] = json!([[{ "value": "const:faculty@uni-neckartal.example" }]]);
    let d = run(&request(), &[affiliation(), status(), terms(), g]);
    assert!(notes(&d).contains("cannot be evaluated"), "{}", notes(&d));
    assert_eq!(safe(&d, "de-hd", Safe::Projects), Outcome::Deny);
}

#[test]
fn a_grant_needs_a_dac_or_system_assertion() {
    let mut g = grant("de-hd-cardio");
    g["claims"]["ga4gh_visa_v1"]["by"] = json!("self");
    let d = run(&request(), &[affiliation(), status(), terms(), g]);
    assert_eq!(safe(&d, "de-hd", Safe::Projects), Outcome::Deny);
    assert!(notes(&d).contains("needs `dac` or `system`"), "{}", notes(&d));
}

#[test]
fn an_affiliation_outside_the_bundle_names_no_organisation() {
    let mut a = affiliation();
    a["claims"]["ga4gh_visa_v1"]["value"] = json!("faculty@elsewhere.example");
    let d = run(&request(), &[a, status(), terms(), grant("de-hd-cardio")]);
    assert_eq!(safe(&d, "de-hd", Safe::People), Outcome::Deny);
    assert!(notes(&d).contains("does not describe"), "{}", notes(&d));
}

#[test]
fn members_decide_on_the_visas_they_trust_and_the_matrix_is_put_back_together() {
    // Every member as a site: de-hd accepts the AAI's grant, gb-sail does not (its own DAC
    // decides there), so the two are decided on different evidence.
    let d = decide(&BUNDLE, &request(), &passport(&full()), DecideOptions { all_members: true }).unwrap();
    let members: Vec<&str> = d.decision.members.iter().map(|m| m.member.as_str()).collect();
    let alone = fivesafes_core::decide(&BUNDLE, &request(), DecideOptions { all_members: true }).unwrap();
    let order: Vec<&str> = alone.members.iter().map(|m| m.member.as_str()).collect();
    assert_eq!(members, order, "members keep the engine's order");
    assert_eq!(safe(&d, "de-hd", Safe::Projects), Outcome::Allow, "{}", d.decision.to_json());
    assert!(reason(&d, "gb-sail", "projects.dac-approval"));
    let ev = evidence(&d, "gb-sail", Safe::Projects);
    assert!(
        ev.iter().any(|e| e.contains("does not trust Example federation AAI broker for ControlledAccessGrants")),
        "{ev:?}"
    );
    assert_eq!(d.decision.decision, Outcome::Allow, "with --all-members one site is enough");
    assert!(d.decision.runs_at.contains(&"de-hd".to_owned()));
    assert!(!d.decision.runs_at.contains(&"gb-sail".to_owned()));
    // Obligations stay with the members that impose them, merged across the groups.
    let pub_obligation = d.decision.obligations.iter().find(|o| o.code == "PUB").unwrap();
    assert!(pub_obligation.members.contains(&"de-hd".to_owned()));
    assert!(!pub_obligation.members.contains(&"gb-sail".to_owned()));
    for o in &d.decision.obligations {
        assert!(o.members.iter().all(|m| d.decision.runs_at.contains(m)), "{o:?}");
    }
}

#[test]
fn passports_are_read_in_every_documented_form() {
    let p = passport(&full());
    let object = json!({ "ga4gh_passport_v1": p.visas }).to_string();
    assert_eq!(Passport::parse(&object).unwrap(), p);
    assert_eq!(Passport::parse(&json!(p.visas).to_string()).unwrap(), p);
    assert_eq!(Passport::parse(&p.visas.join("\n")).unwrap(), p);
    assert_eq!(Passport::parse(&json!(p.visas[0]).to_string()).unwrap().visas, vec![p.visas[0].clone()]);
    let e = Passport::parse(r#"{"ga4gh_passport_v1": ["a.b.c", {"type": "AffiliationAndRole"}]}"#).unwrap_err();
    assert_eq!(e.path, "$.ga4gh_passport_v1[1]");
    let e = Passport::parse(r#"{"passport": []}"#).unwrap_err();
    assert!(e.message.contains("ga4gh_passport_v1"));
    assert!(Passport::parse("{ not json").is_err());
    // A visa that is not a JWS is a note, not a failure of the passport.
    let d = decide(&BUNDLE, &request(), &Passport { visas: vec!["not-a-jws".to_owned()] }, DecideOptions::default())
        .unwrap();
    assert!(notes(&d).contains("not a JWS compact serialisation"), "{}", notes(&d));
    assert_eq!(d.decision.decision, Outcome::Deny);
}

#[test]
fn the_example_passport_is_what_its_spec_mints_and_decides_as_documented() {
    let spec: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("examples/passports/ada.spec.json")).unwrap())
            .unwrap();
    let committed =
        Passport::parse(&std::fs::read_to_string(root().join("examples/passports/ada.passport.json")).unwrap())
            .unwrap();
    let minted = passport(spec["visas"].as_array().unwrap());
    assert_eq!(minted.visas.len(), committed.visas.len());
    for (i, (m, c)) in minted.visas.iter().zip(&committed.visas).enumerate() {
        // Signatures may differ (ECDSA); the signed header and claims may not.
        let head = |t: &str| t.rsplit_once('.').map(|(h, _)| h.to_owned()).unwrap();
        assert_eq!(head(m), head(c), "visa #{i} differs from its spec; re-mint examples/passports/ada.passport.json");
    }
    let d = decide(&BUNDLE, &request(), &committed, DecideOptions::default()).unwrap();
    assert_eq!(d.decision.decision, Outcome::Allow);
    let ignored: Vec<usize> = d.notes.iter().filter(|n| n.member.is_none()).map(|n| n.visa).collect();
    assert_eq!(ignored, [4, 5, 8], "expired, forged and unknown issuer: {}", notes(&d));
}

#[test]
fn a_member_may_trust_an_issuer_only_for_some_sources() {
    use fivesafes_passport::{accept, verify};
    let mut federation = BUNDLE.federation.clone();
    let de = federation.members.get_mut("de-hd").unwrap();
    for t in &mut de.visa_trust {
        t.sources = vec!["https://dac.uni-neckartal.example/cardio".to_owned()];
    }
    let mut own = grant("de-hd-cardio");
    own["claims"]["ga4gh_visa_v1"]["source"] = json!("https://dac.uni-neckartal.example/cardio");
    let p = passport(&[own, grant("de-hd-cardio")]);
    let (visas, notes) = verify(&p, &federation, 1_795_391_999);
    assert!(notes.is_empty(), "{notes:?}");
    let a = accept(&visas, &federation.members["de-hd"], &federation);
    let accepted: Vec<usize> = a.visas.iter().map(|v| v.index).collect();
    assert_eq!(accepted, [0]);
    assert!(a.notes[0].message.contains("does not accept the source `https://dac.example/`"), "{:?}", a.notes);
}

#[test]
fn a_key_set_the_bundle_names_but_lacks_is_a_bundle_error() {
    let sources: Vec<_> = embedded::default_sources()
        .into_iter()
        .filter(|f| f.role != fivesafes_core::SourceRole::Keys || !f.name.ends_with("kaleva-permits.jwks.json"))
        .collect();
    let Err(e) = Bundle::load(&sources) else { panic!("the bundle must be refused") };
    assert!(e.to_string().contains("keys/kaleva-permits.jwks.json"), "{e}");
}
