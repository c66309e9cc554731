//! AES-256-GCM sealing of stored credentials.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use conf_core::store::StoreError;

use crate::key::EncryptionKey;

/// Format version (first byte of a sealed value).
const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// Seals and opens values; `aad` binds a value to its key name, generation and expiry.
pub(crate) struct Sealer {
    cipher: Aes256Gcm,
}

impl Sealer {
    pub(crate) fn new(key: &EncryptionKey) -> Self {
        let k = key.derive("values");
        Self { cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&k)) }
    }

    /// `version || nonce || ciphertext+tag`, with a random 96-bit nonce.
    pub(crate) fn seal(&self, plain: &[u8], aad: &[u8]) -> Result<Vec<u8>, StoreError> {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad })
            .map_err(|_| StoreError::new("encryption failed"))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// The plaintext, or an error when the value was tampered with, moved to
    /// another key or sealed under another encryption key.
    pub(crate) fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, StoreError> {
        if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != VERSION {
            return Err(StoreError::new("stored value: unknown format"));
        }
        let (nonce, ct) = sealed[1..].split_at(NONCE_LEN);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
            .map_err(|_| StoreError::new("stored value does not decrypt (another encryption key, or tampered with)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_tamper() {
        let s = Sealer::new(&EncryptionKey::from_bytes([1; 32]));
        let sealed = s.seal(b"secret-token", b"k|1").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(s.open(&sealed, b"k|1").unwrap(), b"secret-token");
        assert!(s.open(&sealed, b"k|2").is_err(), "moved to another generation");
        let mut bad = sealed.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(s.open(&bad, b"k|1").is_err());
        let other = Sealer::new(&EncryptionKey::from_bytes([2; 32]));
        assert!(other.open(&sealed, b"k|1").is_err());
    }
}
