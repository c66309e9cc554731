//! The key of a shared credential: vendor, kind, account and base URL.

/// What a stored credential is for: one vendor's credential of one `kind`
/// (`token`, `login`, `session`...) for one account at one base URL.
///
/// A store never uses the account or the URL in clear in its key names: it
/// hashes [`identity`](Self::identity) (conf-redis with a keyed hash). Nothing
/// here is a secret, but `Debug` shows only the vendor and kind.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct StoreKey {
    vendor: String,
    kind: String,
    account: String,
    base_url: String,
}

impl StoreKey {
    /// The key of `vendor`'s `kind` of credential for `account` at `base_url`.
    pub fn new(vendor: impl Into<String>, kind: impl Into<String>, account: impl Into<String>, base_url: impl Into<String>) -> Self {
        Self { vendor: vendor.into(), kind: kind.into(), account: account.into(), base_url: base_url.into() }
    }

    /// The same account and base URL, another kind of credential.
    pub fn with_kind(&self, kind: impl Into<String>) -> Self {
        Self { kind: kind.into(), ..self.clone() }
    }

    /// The vendor (`moyun`, `lingsun`, `vmr`).
    pub fn vendor(&self) -> &str {
        &self.vendor
    }

    /// The kind of credential (`token`, `login`, `session`...).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The account (a user or client id, a room alias).
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The base URL of the platform.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Account and base URL as unambiguous bytes (length-prefixed), for a store to hash.
    pub fn identity(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.account.len() + self.base_url.len() + 16);
        for part in [&self.account, &self.base_url] {
            out.extend_from_slice(&(part.len() as u64).to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
        out
    }
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreKey").field("vendor", &self.vendor).field("kind", &self.kind).finish_non_exhaustive()
    }
}
