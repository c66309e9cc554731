//! Key names: `{prefix}:{vendor}:{kind}:{hash}` and its companions.

use conf_core::store::StoreKey;
use sha2::{Digest, Sha256};

use crate::key::EncryptionKey;

/// The Redis names of one [`StoreKey`].
///
/// `hash` is 128 bits of SHA-256 over a key derived from the user's encryption
/// key and the account + base URL: neither appears in clear, and without the key
/// nobody can tell which account a key belongs to.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    /// Hash: `gen`, `exp` (unix ms, 0 = unknown), `val` (sealed).
    pub(crate) value: String,
    /// The refresh lease (`SET NX PX`, value: the holder id).
    pub(crate) lease: String,
    /// Counter handing out fencing generations.
    pub(crate) fence: String,
    /// Ownership claims (heartbeats, room sessions).
    pub(crate) owner: String,
    /// Pub/sub channel: a message after every publication and release.
    pub(crate) channel: String,
}

pub(crate) struct Layout {
    prefix: String,
    name_key: [u8; 32],
}

impl Layout {
    pub(crate) fn new(prefix: &str, key: &EncryptionKey) -> Self {
        Self { prefix: prefix.to_string(), name_key: key.derive("names") }
    }

    /// The pattern every channel of this layout matches.
    pub(crate) fn channel_pattern(&self) -> String {
        format!("{}:*:ev", self.prefix)
    }

    pub(crate) fn names(&self, key: &StoreKey) -> Names {
        let mut h = Sha256::new();
        h.update(self.name_key);
        h.update(key.identity());
        let digest = h.finalize();
        let base = format!("{}:{}:{}:{}", self.prefix, clean(key.vendor()), clean(key.kind()), hex::encode(&digest[..16]));
        Names {
            value: base.clone(),
            lease: format!("{base}:lease"),
            fence: format!("{base}:fence"),
            owner: format!("{base}:owner"),
            channel: format!("{base}:ev"),
        }
    }
}

/// Vendor and kind are our own constants; keep anything else out of key names.
fn clean(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_hide_account_and_url() {
        let l = Layout::new("conf", &EncryptionKey::from_bytes([3; 32]));
        let n = l.names(&StoreKey::new("moyun", "login", "alice@example.com", "https://mcu.example.com"));
        assert!(n.value.starts_with("conf:moyun:login:"));
        assert!(!n.value.contains("alice") && !n.value.contains("example"));
        let other = Layout::new("conf", &EncryptionKey::from_bytes([4; 32]));
        assert_ne!(other.names(&StoreKey::new("moyun", "login", "alice@example.com", "https://mcu.example.com")).value, n.value);
        let bob = l.names(&StoreKey::new("moyun", "login", "bob", "https://mcu.example.com"));
        assert_ne!(bob.value, n.value);
    }
}
