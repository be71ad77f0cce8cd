//! Verifying a visa's JWS signature against an issuer's JSON Web Key Set (RFC 7515, 7517).
//! GA4GH AAI allows RS256 and ES256 for visas; any other algorithm (`none` and the HMAC ones
//! above all) is refused. Keys come only from the bundle: a `jku` header is never fetched.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use std::collections::HashSet;

/// The algorithms GA4GH AAI allows for visas.
const ALLOWED: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES256];

/// A JWS in compact serialisation, split and its header and claims decoded (unverified).
pub(crate) struct Token<'a> {
    text: &'a str,
    header: Value,
    claims: Value,
}

impl<'a> Token<'a> {
    /// Split and decode, or say why it is not a JWS.
    pub(crate) fn split(text: &'a str) -> Result<Token<'a>, String> {
        let text = text.trim();
        let mut parts = text.split('.');
        let (Some(h), Some(c), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err("is not a JWS compact serialisation (three base64url parts joined by `.`)".to_owned());
        };
        let decode = |part: &str, what: &str| -> Result<Value, String> {
            let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|e| format!("has a {what} that is not base64url: {e}"))?;
            serde_json::from_slice(&bytes).map_err(|e| format!("has a {what} that is not JSON: {e}"))
        };
        Ok(Token { text, header: decode(h, "header")?, claims: decode(c, "payload")? })
    }

    /// The claims, not yet verified.
    pub(crate) fn unverified_claims(&self) -> &Value {
        &self.claims
    }

    /// Whether the header has a parameter.
    pub(crate) fn header_has(&self, name: &str) -> bool {
        self.header.get(name).is_some()
    }
}

/// Verify the signature with the key set's key named by the header's `kid`, and return the
/// claims.
pub(crate) fn verify(token: &Token<'_>, jwks: &str) -> Result<Value, String> {
    let alg = token.header.get("alg").and_then(Value::as_str).unwrap_or("(none given)");
    let algorithm = ALLOWED
        .into_iter()
        .find(|a| format!("{a:?}") == alg)
        .ok_or_else(|| format!("is signed with `{alg}`, which GA4GH AAI does not allow for visas (RS256 or ES256)"))?;
    let set: JwkSet = serde_json::from_str(jwks)
        .map_err(|e| format!("cannot be checked: the issuer's key set is not a JWKS ({e})"))?;
    let kid = token.header.get("kid").and_then(Value::as_str);
    let jwk = match kid {
        Some(kid) => {
            set.find(kid).ok_or_else(|| format!("names key `{kid}`, which the issuer's key set does not hold"))?
        }
        None => match set.keys.as_slice() {
            [only] => only,
            _ => return Err("names no key (`kid`) and the issuer has more than one".to_owned()),
        },
    };
    let key =
        DecodingKey::from_jwk(jwk).map_err(|e| format!("cannot be checked: the issuer's key is unusable ({e})"))?;
    let mut validation = Validation::new(algorithm);
    // Times are judged against the request time by the caller, never the clock; the audience
    // is not part of a visa.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    let data = jsonwebtoken::decode::<Value>(token.text, &key, &validation).map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::InvalidSignature => "has a signature that does not verify".to_owned(),
        jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
            format!("is signed with `{alg}`, which the issuer's key `{}` is not for", kid.unwrap_or_default())
        }
        _ => format!("cannot be verified: {e}"),
    })?;
    Ok(data.claims)
}
