//! [`RedisStore`]: the [`CredentialStore`] on Redis.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use conf_core::store::{
    CredentialStore, Lease, SharedOptions, SharedStore, StoreError, StoreFuture, StoreKey, StoredCredential, random_holder,
};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::key::EncryptionKey;
use crate::layout::{Layout, Names};
use crate::notify::{Waiters, listen};
use crate::scripts;
use crate::seal::Sealer;

/// How long a stored credential is kept after it expired (for a refresh token grant).
const KEEP_AFTER_EXPIRY_MS: u64 = 24 * 3600 * 1000;

/// Configuration of a [`RedisStore`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RedisStoreBuilder {
    url: String,
    key: EncryptionKey,
    prefix: String,
    timeout: Duration,
    options: SharedOptions,
}

impl RedisStoreBuilder {
    /// Key prefix (default `conf`): fleets sharing one Redis keep apart with different prefixes.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Connect and response timeout of every Redis command (default 500 ms): how
    /// long a call can be delayed by an unreachable Redis before it goes on alone.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Lease TTL, polling interval and longest wait (see [`SharedOptions`]).
    pub fn options(mut self, options: SharedOptions) -> Self {
        self.options = options;
        self
    }

    /// The store. Connects lazily: Redis need not be up yet (calls then go on
    /// alone and sharing starts when it is). Must run inside a tokio runtime.
    pub fn build(self) -> Result<RedisStore, StoreError> {
        let client = redis::Client::open(self.url.as_str()).map_err(|e| StoreError::new(format!("bad Redis URL: {:?}", e.kind())))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(10))
            .set_max_delay(Duration::from_millis(200));
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)
            .map_err(|e| StoreError::new(format!("Redis connection: {:?}", e.kind())))?;
        let layout = Layout::new(&self.prefix, &self.key);
        let waiters = Arc::new(Waiters::default());
        tokio::spawn(listen(client, layout.channel_pattern(), Arc::downgrade(&waiters), self.timeout.max(Duration::from_secs(1))));
        Ok(RedisStore {
            inner: Arc::new(Inner {
                conn,
                layout,
                sealer: Sealer::new(&self.key),
                waiters,
                errors: AtomicU64::new(0),
                options: self.options,
            }),
        })
    }
}

struct Inner {
    conn: ConnectionManager,
    layout: Layout,
    sealer: Sealer,
    waiters: Arc<Waiters>,
    errors: AtomicU64,
    options: SharedOptions,
}

/// Credentials shared on Redis, sealed with AES-256-GCM under the user's key. Cheap to clone.
///
/// Hand it to a vendor client builder as [`shared`](Self::shared) (`credential_store(..)`).
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").field("errors", &self.errors()).finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store on the Redis at `url` (`redis://[:password@]host:port[/db]`, `rediss://` for TLS
    /// is not compiled in) whose values are sealed under `key`.
    pub fn builder(url: impl Into<String>, key: EncryptionKey) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: url.into(),
            key,
            prefix: "conf".into(),
            timeout: Duration::from_millis(500),
            options: SharedOptions::default(),
        }
    }

    /// This store with its timing, as vendor client builders take it.
    pub fn shared(&self) -> SharedStore {
        SharedStore::new(Arc::new(self.clone())).with_options(self.inner.options)
    }

    /// Redis failures so far (each made a call go on with its process's own credentials).
    pub fn errors(&self) -> u64 {
        self.inner.errors.load(Ordering::Relaxed)
    }

    fn conn(&self) -> ConnectionManager {
        self.inner.conn.clone()
    }

    fn failed(&self, op: &str, e: &redis::RedisError) -> StoreError {
        self.inner.errors.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(op, error = ?e.kind(), "conf-redis: Redis unavailable");
        StoreError::new(format!("Redis {op} failed: {:?}", e.kind()))
    }

    fn aad(names: &Names, generation: u64, exp_ms: u64) -> Vec<u8> {
        format!("{}|{generation}|{exp_ms}", names.value).into_bytes()
    }
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)).max(1)
}

fn ttl_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl CredentialStore for RedisStore {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn read<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, Option<StoredCredential>> {
        Box::pin(async move {
            let names = self.inner.layout.names(key);
            let (generation, exp, val): (Option<u64>, Option<u64>, Option<Vec<u8>>) = redis::cmd("HMGET")
                .arg(&names.value)
                .arg("gen")
                .arg("exp")
                .arg("val")
                .query_async(&mut self.conn())
                .await
                .map_err(|e| self.failed("read", &e))?;
            let (Some(generation), Some(val)) = (generation, val) else { return Ok(None) };
            let exp = exp.unwrap_or(0);
            let plain = self.inner.sealer.open(&val, &Self::aad(&names, generation, exp))?;
            let expires_at = (exp > 0).then(|| UNIX_EPOCH + Duration::from_millis(exp));
            Ok(Some(StoredCredential::new(plain, generation, expires_at)))
        })
    }

    fn lease<'a>(&'a self, key: &'a StoreKey, ttl: Duration) -> StoreFuture<'a, Option<Lease>> {
        Box::pin(async move {
            let names = self.inner.layout.names(key);
            let holder = random_holder();
            let generation: u64 = scripts::LEASE
                .key(&names.lease)
                .key(&names.fence)
                .arg(&holder)
                .arg(ttl_ms(ttl))
                .invoke_async(&mut self.conn())
                .await
                .map_err(|e| self.failed("lease", &e))?;
            Ok((generation > 0).then(|| Lease::new(generation, holder)))
        })
    }

    fn publish<'a>(&'a self, key: &'a StoreKey, lease: &'a Lease, bytes: Vec<u8>, expires_at: Option<SystemTime>) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let names = self.inner.layout.names(key);
            let exp = expires_at.map_or(0, unix_ms);
            let sealed = self.inner.sealer.seal(&bytes, &Self::aad(&names, lease.generation, exp))?;
            let stored: u8 = scripts::PUBLISH
                .key(&names.value)
                .arg(lease.generation)
                .arg(exp)
                .arg(sealed)
                .arg(&names.channel)
                .arg(KEEP_AFTER_EXPIRY_MS)
                .invoke_async(&mut self.conn())
                .await
                .map_err(|e| self.failed("publish", &e))?;
            Ok(stored == 1)
        })
    }

    fn release<'a>(&'a self, key: &'a StoreKey, lease: &'a Lease) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let names = self.inner.layout.names(key);
            let _: u8 = scripts::RELEASE
                .key(&names.lease)
                .arg(&lease.holder)
                .arg(&names.channel)
                .invoke_async(&mut self.conn())
                .await
                .map_err(|e| self.failed("release", &e))?;
            Ok(())
        })
    }

    fn wait<'a>(&'a self, key: &'a StoreKey, timeout: Duration) -> StoreFuture<'a, ()> {
        let notify = self.inner.waiters.get(&self.inner.layout.names(key).channel);
        Box::pin(async move {
            let _ = tokio::time::timeout(timeout, notify.notified()).await;
            Ok(())
        })
    }

    fn claim<'a>(&'a self, key: &'a StoreKey, holder: &'a str, ttl: Duration) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let names = self.inner.layout.names(key);
            let owned: u8 = scripts::CLAIM
                .key(&names.owner)
                .arg(holder)
                .arg(ttl_ms(ttl))
                .invoke_async(&mut self.conn())
                .await
                .map_err(|e| self.failed("claim", &e))?;
            Ok(owned == 1)
        })
    }

    fn unclaim<'a>(&'a self, key: &'a StoreKey, holder: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let names = self.inner.layout.names(key);
            let _: u8 = scripts::UNCLAIM
                .key(&names.owner)
                .arg(holder)
                .invoke_async(&mut self.conn())
                .await
                .map_err(|e| self.failed("unclaim", &e))?;
            Ok(())
        })
    }
}
