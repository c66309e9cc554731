//! Where credentials live: a store under the single-flight [`CredentialCache`](crate::CredentialCache).
//!
//! By default a cache keeps its credential in memory, for one process. A
//! [`CredentialStore`] shares it between processes (conf-redis implements one
//! on Redis): a cache configured with one (see
//! [`CredentialCache::shared`](crate::CredentialCache::shared)) first *reads*
//! the store, and only when the stored credential is missing, due or the one
//! that was just refused, takes a short *lease* on its key, loads a new
//! credential, *publishes* it with its expiry under the lease's generation and
//! *releases* the lease; while the load runs, the holder *renews* the lease
//! every third of its TTL. Callers in other processes that find the lease taken
//! *wait* for the published result instead of loading their own.
//!
//! Generations are fencing tokens: every lease gets a generation larger than any
//! before it, and a store accepts a publication only when its generation is
//! larger than the stored one, so a holder whose lease ran out cannot overwrite
//! a newer credential.
//!
//! [`MemoryStore`] implements the protocol in memory (one process; for tests and
//! as a reference for implementers).

mod key;
mod memory;
mod shared;

use std::time::{Duration, SystemTime};

use futures_util::future::BoxFuture;

pub use key::StoreKey;
pub use memory::MemoryStore;
pub use shared::{SharedOptions, SharedStore};

/// A credential as a store keeps it: the codec's bytes, its generation and expiry.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredCredential {
    /// The encoded credential (plaintext here: a store encrypts it at rest if it leaves the process).
    pub bytes: Vec<u8>,
    /// The generation of the lease it was published under.
    pub generation: u64,
    /// When it expires (wall clock: other processes read it), when known.
    pub expires_at: Option<SystemTime>,
}

impl StoredCredential {
    /// A credential of `generation`, expiring at `expires_at`.
    pub fn new(bytes: Vec<u8>, generation: u64, expires_at: Option<SystemTime>) -> Self {
        Self { bytes, generation, expires_at }
    }

    /// Time left before it expires (`None`: no known expiry; zero: expired).
    pub fn remaining(&self) -> Option<Duration> {
        self.expires_at.map(|t| t.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
    }
}

impl std::fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCredential")
            .field("len", &self.bytes.len())
            .field("generation", &self.generation)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The right to refresh one key, until its TTL runs out.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lease {
    /// Fencing generation: what the refreshed credential is published under.
    pub generation: u64,
    /// Random holder id (releasing checks it, so an expired holder never frees a lease it lost).
    pub holder: String,
}

impl Lease {
    /// A lease of `generation` held by `holder`.
    pub fn new(generation: u64, holder: impl Into<String>) -> Self {
        Self { generation, holder: holder.into() }
    }
}

/// A store failure (unreachable, protocol error, undecryptable value...).
#[derive(Debug, Clone, thiserror::Error)]
#[error("credential store: {message}")]
#[non_exhaustive]
pub struct StoreError {
    /// What went wrong (never a secret).
    pub message: String,
}

impl StoreError {
    /// A store error with `message` (never put a secret in it).
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into() }
    }
}

/// A future of a store operation.
pub type StoreFuture<'a, T> = BoxFuture<'a, Result<T, StoreError>>;

/// Shared storage of credentials with leases (see the [module](self) documentation).
///
/// Every operation may fail with a [`StoreError`]; the cache then falls back to
/// loading on its own (logged and counted), so a store outage never fails a call.
pub trait CredentialStore: Send + Sync + 'static {
    /// A short name for logs and metrics (`memory`, `redis`).
    fn name(&self) -> &'static str;

    /// The credential stored under `key`, if any.
    fn read<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, Option<StoredCredential>>;

    /// Take the refresh lease of `key` for `ttl`: `None` when another holder has it.
    /// The lease's generation is larger than any generation handed out before for `key`.
    fn lease<'a>(&'a self, key: &'a StoreKey, ttl: Duration) -> StoreFuture<'a, Option<Lease>>;

    /// Store `bytes` under `lease`'s generation, unless a newer generation is
    /// stored (then `false`: the caller was fenced off). Wakes the waiters.
    fn publish<'a>(&'a self, key: &'a StoreKey, lease: &'a Lease, bytes: Vec<u8>, expires_at: Option<SystemTime>) -> StoreFuture<'a, bool>;

    /// Give the lease back (a no-op when it ran out and someone else holds it). Wakes the waiters.
    fn release<'a>(&'a self, key: &'a StoreKey, lease: &'a Lease) -> StoreFuture<'a, ()>;

    /// Keep `lease` for another `ttl` from now, if its holder still has it: `false`
    /// when it was lost (ran out and taken, or released). A holder renews while its
    /// load runs, so a login slower than the TTL is not started a second time.
    ///
    /// The provided method renews nothing (`Ok(false)`): with a store that does not
    /// implement it, a lease lasts its TTL and a slower load is fenced as before.
    fn renew<'a>(&'a self, key: &'a StoreKey, lease: &'a Lease, ttl: Duration) -> StoreFuture<'a, bool> {
        let _ = (key, lease, ttl);
        Box::pin(async { Ok(false) })
    }

    /// Wait until something is published or released on `key`, or `timeout` passes
    /// (a store without notifications just waits: callers re-read anyway).
    fn wait<'a>(&'a self, key: &'a StoreKey, timeout: Duration) -> StoreFuture<'a, ()>;

    /// Take or keep the ownership of `key` (e.g. "who sends the heartbeats") for
    /// `ttl`: `true` when `holder` owns it now (newly or again, the TTL renewed).
    fn claim<'a>(&'a self, key: &'a StoreKey, holder: &'a str, ttl: Duration) -> StoreFuture<'a, bool>;

    /// Give up an ownership `holder` has (a no-op otherwise).
    fn unclaim<'a>(&'a self, key: &'a StoreKey, holder: &'a str) -> StoreFuture<'a, ()>;
}

/// Turns a credential into bytes for a shared store and back.
///
/// Only a cache with a shared store needs one. The bytes hold secrets: the store
/// encrypts them at rest.
pub trait CredentialCodec<T>: Send + Sync + 'static {
    /// The credential as bytes.
    fn encode(&self, value: &T) -> Result<Vec<u8>, StoreError>;
    /// The credential back from [`encode`](Self::encode)'s bytes.
    fn decode(&self, bytes: &[u8]) -> Result<T, StoreError>;
}

/// A random holder id (128 bits, hex) for leases and ownership claims.
pub fn random_holder() -> String {
    let v: u128 = rand::random();
    format!("{v:032x}")
}
