//! [`EncryptionKey`]: the user's AES-256 key for credentials at rest.

use base64::Engine;
use conf_core::store::StoreError;
use sha2::{Digest, Sha256};

/// The 256-bit key that encrypts every stored credential (AES-256-GCM) and keys
/// the hashes in key names. Every process of a fleet needs the same one; keep it
/// out of Redis (an environment variable, a secret manager). Never printed.
#[derive(Clone)]
pub struct EncryptionKey([u8; 32]);

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionKey(<redacted>)")
    }
}

impl EncryptionKey {
    /// A key from 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A key written as 64 hex digits or as base64 (standard or URL-safe, padded or
    /// not) of 32 bytes, e.g. the output of `openssl rand -hex 32` or `openssl rand -base64 32`.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let t = text.trim();
        let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(t).map_err(|_| StoreError::new("encryption key: bad hex"))?
        } else {
            let engines = [
                base64::engine::general_purpose::STANDARD,
                base64::engine::general_purpose::STANDARD_NO_PAD,
                base64::engine::general_purpose::URL_SAFE,
                base64::engine::general_purpose::URL_SAFE_NO_PAD,
            ];
            engines
                .iter()
                .find_map(|e| e.decode(t).ok())
                .ok_or_else(|| StoreError::new("encryption key: expected 64 hex digits or base64 of 32 bytes"))?
        };
        let arr: [u8; 32] = bytes.try_into().map_err(|_| StoreError::new("encryption key: must be exactly 32 bytes (256 bits)"))?;
        Ok(Self(arr))
    }

    /// A fresh random key (for tests and first-time setup).
    pub fn generate() -> Self {
        Self(rand::random())
    }

    #[cfg(test)]
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A sub-key for `purpose` (key names are hashed under another key than values are sealed).
    pub(crate) fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"conf-redis/v1/");
        h.update(purpose.as_bytes());
        h.update([0]);
        h.update(self.0);
        h.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex_and_base64() {
        let hexed = "00".repeat(31) + "ff";
        assert_eq!(EncryptionKey::parse(&hexed).unwrap().bytes()[31], 0xff);
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert_eq!(EncryptionKey::parse(&b64).unwrap().bytes(), &[7u8; 32]);
        assert!(EncryptionKey::parse("short").is_err());
        assert!(!format!("{:?}", EncryptionKey::parse(&hexed).unwrap()).contains("ff"));
    }
}
