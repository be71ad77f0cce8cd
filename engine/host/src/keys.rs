//! ed25519 keys in PEM: PKCS#8 for private keys, SPKI for public keys. These are the files
//! `openssl genpkey -algorithm ed25519` and `openssl pkey -pubout` write, and what
//! `fivesafes keygen` writes.

use crate::error::HostError;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Read a private key (PKCS#8 PEM).
pub fn read_private(pem: &str) -> Result<SigningKey, HostError> {
    SigningKey::from_pkcs8_pem(pem).map_err(|e| HostError::Key { message: e.to_string() })
}

/// Read a public key (SPKI PEM).
pub fn read_public(pem: &str) -> Result<VerifyingKey, HostError> {
    VerifyingKey::from_public_key_pem(pem).map_err(|e| HostError::Key { message: e.to_string() })
}

/// A new key pair from the operating system's random source: (private PEM, public PEM).
pub fn generate() -> Result<(String, String), HostError> {
    let key = SigningKey::generate(&mut rand_core::OsRng);
    let private = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| HostError::Key { message: e.to_string() })?;
    let public =
        key.verifying_key().to_public_key_pem(LineEnding::LF).map_err(|e| HostError::Key { message: e.to_string() })?;
    Ok((private.to_string(), public))
}

/// A short, stable name for a public key: `ed25519:` and the first 16 hex digits of the
/// SHA-256 of its 32 bytes.
pub fn key_id(key: &VerifyingKey) -> String {
    let digest = hex::encode(Sha256::digest(key.as_bytes()));
    format!("ed25519:{}", digest.get(..16).unwrap_or(&digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_read_back() -> Result<(), HostError> {
        let (private, public) = generate()?;
        assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
        let signing = read_private(&private)?;
        let verifying = read_public(&public)?;
        assert_eq!(signing.verifying_key(), verifying);
        assert!(key_id(&verifying).starts_with("ed25519:"));
        Ok(())
    }

    #[test]
    fn a_public_key_is_not_a_private_key() -> Result<(), HostError> {
        let (private, public) = generate()?;
        assert!(read_private(&public).is_err());
        assert!(read_public(&private).is_err());
        assert!(read_public("not a key").is_err());
        Ok(())
    }
}
