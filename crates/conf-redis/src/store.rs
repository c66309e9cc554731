//! [`RedisStore`]: the [`CredentialStore`] on Redis.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use conf_core::store::{
    CredentialStore, Lease, SharedOptions, SharedStore, StoreError, StoreFuture, StoreKey, StoredCredential, random_holder,
};
use conf_core::{ExposeSecret, SecretString};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{FromRedisValue, RedisResult, Script, ScriptInvocation};

use crate::key::EncryptionKey;
use crate::layout::{Layout, Names};
use crate::notify::{Waiters, listen};
use crate::scripts;
use crate::seal::Sealer;

/// How long a stored credential is kept after it expired (for a refresh token grant).
const KEEP_AFTER_EXPIRY_MS: u64 = 24 * 3600 * 1000;

/// Configuration of a [`RedisStore`].
#[derive(Clone)]
#[non_exhaustive]
pub struct RedisStoreBuilder {
    url: String,
    key: EncryptionKey,
    prefix: String,
    timeout: Duration,
    options: SharedOptions,
    tls_root: Option<Vec<u8>>,
    tls_client: Option<(Vec<u8>, SecretString)>,
}

impl std::fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("host", &host_of(&self.url))
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("options", &self.options)
            .field("tls_root_cert", &self.tls_root.is_some())
            .field("tls_client_cert", &self.tls_client.is_some())
            .finish_non_exhaustive()
    }
}

/// The host and port of a Redis URL (never its password), for logs and Debug.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority.rsplit_once('@').map_or(authority, |(_, h)| h).to_string()
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

    /// Trust this CA (PEM) for a `rediss://` server instead of the system's roots:
    /// a private deployment's own CA or self-signed certificate.
    pub fn tls_root_cert_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls_root = Some(pem.into());
        self
    }

    /// Present this client certificate and key (PEM) to a `rediss://` server that
    /// requires them (`tls-auth-clients yes`).
    pub fn tls_client_cert_pem(mut self, cert: impl Into<Vec<u8>>, key: SecretString) -> Self {
        self.tls_client = Some((cert.into(), key));
        self
    }

    /// The store. Connects lazily: Redis need not be up yet (calls then go on
    /// alone and sharing starts when it is). Must run inside a tokio runtime.
    pub fn build(self) -> Result<RedisStore, StoreError> {
        let client = self.client()?;
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
                timeout: self.timeout,
            }),
        })
    }
}

impl RedisStoreBuilder {
    fn client(&self) -> Result<redis::Client, StoreError> {
        let bad_url = |e: redis::RedisError| StoreError::new(format!("bad Redis URL for {}: {:?}", host_of(&self.url), e.kind()));
        let tls = self.url.starts_with("rediss://");
        if !tls && (self.tls_root.is_some() || self.tls_client.is_some()) {
            return Err(StoreError::new(format!("TLS certificates given for {}: use a rediss:// URL", host_of(&self.url))));
        }
        if !tls || (self.tls_root.is_none() && self.tls_client.is_none()) {
            return redis::Client::open(self.url.as_str()).map_err(bad_url);
        }
        let certs = redis::TlsCertificates {
            client_tls: self.tls_client.as_ref().map(|(cert, key)| redis::ClientTlsConfig {
                client_cert: cert.clone(),
                client_key: key.expose_secret().as_bytes().to_vec(),
            }),
            root_cert: self.tls_root.clone(),
        };
        redis::Client::build_with_tls(self.url.as_str(), certs).map_err(bad_url)
    }
}

struct Inner {
    conn: ConnectionManager,
    layout: Layout,
    sealer: Sealer,
    waiters: Arc<Waiters>,
    errors: AtomicU64,
    options: SharedOptions,
    timeout: Duration,
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
    /// A store on the Redis at `url` (`redis://[:password@]host:port[/db]`, or `rediss://`
    /// for TLS, verified against the system's roots or [`tls_root_cert_pem`](RedisStoreBuilder::tls_root_cert_pem))
    /// whose values are sealed under `key`.
    pub fn builder(url: impl Into<String>, key: EncryptionKey) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: url.into(),
            key,
            prefix: "conf".into(),
            timeout: Duration::from_millis(500),
            options: SharedOptions::default(),
            tls_root: None,
            tls_client: None,
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

    /// Run one command. The connection manager keeps a failed reconnect until the
    /// next command starts a new one, so the first command after Redis comes back
    /// fails at once: such a quick connection failure is sent once more, on the
    /// fresh connection. Every command here is safe to repeat (reads, and scripts
    /// that are idempotent for their holder and generation).
    async fn run<T, Fut>(&self, op: &str, command: impl Fn(ConnectionManager) -> Fut) -> Result<T, StoreError>
    where
        Fut: Future<Output = RedisResult<T>>,
    {
        let started = tokio::time::Instant::now();
        match command(self.inner.conn.clone()).await {
            Ok(v) => Ok(v),
            Err(e) if is_connection_failure(&e) && started.elapsed() < self.inner.timeout / 2 => {
                tracing::debug!(op, error = ?e.kind(), "conf-redis: stale connection: sending again on a fresh one");
                command(self.inner.conn.clone()).await.map_err(|e| self.failed(op, &e))
            }
            Err(e) => Err(self.failed(op, &e)),
        }
    }

    /// Run one of the Lua scripts, its keys and arguments set by `args` (see [`Self::run`]).
    async fn script<T: FromRedisValue>(
        &self,
        op: &str,
        script: &Script,
        args: impl Fn(&mut ScriptInvocation<'_>),
    ) -> Result<T, StoreError> {
        self.run(op, |mut c| {
            let mut call = script.prepare_invoke();
            args(&mut call);
            async move { call.invoke_async(&mut c).await }
        })
        .await
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

/// The connection, not the command, failed.
fn is_connection_failure(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal()
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
            let (generation, exp, val): (Option<u64>, Option<u64>, Option<Vec<u8>>) = self
                .run("read", |mut c| {
                    let cmd = redis::cmd("HMGET").arg(&names.value).arg("gen").arg("exp").arg("val").clone();
                    async move { cmd.query_async(&mut c).await }
                })
                .await?;
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
            let generation: u64 = self
                .script("lease", &scripts::LEASE, |call| {
                    call.key(&names.lease).key(&names.fence).arg(&holder).arg(ttl_ms(ttl));
                })
                .await?;
            Ok((generation > 0).then(|| Lease::new(generation, holder)))
        })
    }

    fn publish<'a>(&'a self, key: &'a StoreKey, lease: &'a Lease, bytes: Vec<u8>, expires_at: Option<SystemTime>) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let names = self.inner.layout.names(key);
            let exp = expires_at.map_or(0, unix_ms);
            let sealed = self.inner.sealer.seal(&bytes, &Self::aad(&names, lease.generation, exp))?;
            let stored: u8 = self
                .script("publish", &scripts::PUBLISH, |call| {
                    call.key(&names.value).arg(lease.generation).arg(exp).arg(&sealed).arg(&names.channel).arg(KEEP_AFTER_EXPIRY_MS);
                })
                .await?;
            Ok(stored == 1)
        })
    }

    fn release<'a>(&'a self, key: &'a StoreKey, lease: &'a Lease) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let names = self.inner.layout.names(key);
            let _: u8 = self
                .script("release", &scripts::RELEASE, |call| {
                    call.key(&names.lease).arg(&lease.holder).arg(&names.channel);
                })
                .await?;
            Ok(())
        })
    }

    fn renew<'a>(&'a self, key: &'a StoreKey, lease: &'a Lease, ttl: Duration) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let names = self.inner.layout.names(key);
            let renewed: u8 = self
                .script("renew", &scripts::RENEW, |call| {
                    call.key(&names.lease).arg(&lease.holder).arg(ttl_ms(ttl));
                })
                .await?;
            Ok(renewed == 1)
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
            let owned: u8 = self
                .script("claim", &scripts::CLAIM, |call| {
                    call.key(&names.owner).arg(holder).arg(ttl_ms(ttl));
                })
                .await?;
            Ok(owned == 1)
        })
    }

    fn unclaim<'a>(&'a self, key: &'a StoreKey, holder: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let names = self.inner.layout.names(key);
            let _: u8 = self
                .script("unclaim", &scripts::UNCLAIM, |call| {
                    call.key(&names.owner).arg(holder);
                })
                .await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use super::*;

    fn refused() -> redis::RedisError {
        std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused").into()
    }

    fn store() -> RedisStore {
        // Connects lazily: no server is needed for the policy below.
        RedisStore::builder("redis://127.0.0.1:1/", EncryptionKey::generate()).timeout(Duration::from_millis(400)).build().unwrap()
    }

    #[tokio::test]
    async fn a_quick_connection_failure_is_sent_once_more() {
        let s = store();
        let tries = AtomicU32::new(0);
        let got = s
            .run("read", |_| {
                let n = tries.fetch_add(1, Ordering::SeqCst);
                async move { if n == 0 { Err(refused()) } else { Ok(7u8) } }
            })
            .await;
        assert_eq!(got.unwrap(), 7);
        assert_eq!((tries.load(Ordering::SeqCst), s.errors()), (2, 0));

        // Down for good: two tries, one failure counted.
        tries.store(0, Ordering::SeqCst);
        let got = s.run("read", |_| {
            tries.fetch_add(1, Ordering::SeqCst);
            async { Err::<u8, _>(refused()) }
        });
        assert!(got.await.is_err());
        assert_eq!((tries.load(Ordering::SeqCst), s.errors()), (2, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_failure_or_a_server_error_is_not_repeated() {
        let s = store();
        let tries = AtomicU32::new(0);
        // Failed after waiting out the timeout: sending again would double the delay.
        let got = s.run("read", |_| {
            tries.fetch_add(1, Ordering::SeqCst);
            async {
                tokio::time::sleep(Duration::from_millis(400)).await;
                Err::<u8, _>(refused())
            }
        });
        assert!(got.await.is_err());
        // The server answered with an error: the connection is fine, nothing to repeat.
        let got = s.run("read", |_| {
            tries.fetch_add(1, Ordering::SeqCst);
            async { Err::<u8, _>(redis::RedisError::from((redis::ErrorKind::Server(redis::ServerErrorKind::ResponseError), "WRONGTYPE"))) }
        });
        assert!(got.await.is_err());
        assert_eq!((tries.load(Ordering::SeqCst), s.errors()), (2, 2));
    }
}
