//! Mint test visas: `cargo run -p fivesafes-passport --example mint -- SPEC.json > PASSPORT.json`.
//!
//! SPEC is `{"visas": [{"key": NAME, "header": {...}, "claims": {...}}, ...]}`; NAME is a test
//! key of `tests/passports/keys/` (`federation-aai` RS256, `kaleva-permits` ES256, `impostor`
//! RS256 under the federation AAI's key id). The output is a passport,
//! `{"ga4gh_passport_v1": [...]}`. Test keys only: never sign anything real with them.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let spec_path = std::env::args().nth(1).ok_or("usage: mint SPEC.json")?;
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(&spec_path)?)?;
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/passports/keys");
    let mut visas = Vec::new();
    for v in spec.get("visas").and_then(Value::as_array).ok_or("SPEC has no `visas` list")? {
        let name = v.get("key").and_then(Value::as_str).ok_or("a visa names no `key`")?;
        let claims = v.get("claims").ok_or("a visa has no `claims`")?;
        visas.push(mint(&keys, name, v.get("header"), claims)?);
    }
    println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "ga4gh_passport_v1": visas }))?);
    Ok(())
}

/// Sign `claims` with the named test key.
pub fn mint(
    keys: &Path,
    name: &str,
    extra: Option<&Value>,
    claims: &Value,
) -> Result<String, Box<dyn std::error::Error>> {
    let (alg, file, kid) = match name {
        "federation-aai" => (Algorithm::RS256, "federation-aai.key.pem", "aai-2026-1"),
        "impostor" => (Algorithm::RS256, "impostor.key.pem", "aai-2026-1"),
        "kaleva-permits" => (Algorithm::ES256, "findata-visas.key.pem", "kaleva-2026"),
        other => return Err(format!("unknown test key `{other}`").into()),
    };
    let pem = std::fs::read(keys.join(file))?;
    let key = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem)?,
        _ => EncodingKey::from_rsa_pem(&pem)?,
    };
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    header.typ = Some("vnd.ga4gh.visa+jwt".to_owned());
    if let Some(Value::Object(extra)) = extra {
        if let Some(jku) = extra.get("jku").and_then(Value::as_str) {
            header.jku = Some(jku.to_owned());
        }
        if let Some(kid) = extra.get("kid").and_then(Value::as_str) {
            header.kid = Some(kid.to_owned());
        }
    }
    Ok(jsonwebtoken::encode(&header, claims, &key)?)
}
