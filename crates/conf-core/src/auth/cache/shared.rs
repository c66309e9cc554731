//! The single flight across processes: read the store, lease, load, publish, release.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::future::Either;

use tokio::time::Instant;

use super::{Loaded, Loader};
use crate::error::Error;
use crate::store::{CredentialCodec, CredentialStore, Lease, SharedOptions, StoreError, StoreKey, StoredCredential};

/// Store, key and codec of one shared cache.
pub(super) struct Backend<T> {
    pub(super) store: Arc<dyn CredentialStore>,
    pub(super) key: StoreKey,
    pub(super) codec: Arc<dyn CredentialCodec<T>>,
    pub(super) options: SharedOptions,
}

/// What the cache counts while a shared load runs.
pub(super) struct Counters {
    pub(super) on_load: Box<dyn Fn() + Send + Sync>,
    pub(super) on_store_error: Box<dyn Fn() + Send + Sync>,
}

/// A shared load's result.
pub(super) struct Outcome<T> {
    pub(super) value: T,
    pub(super) expires_in: Option<Duration>,
    /// Store generation (`None`: loaded locally, not published).
    pub(super) shared: Option<u64>,
    /// Taken from the store rather than loaded here.
    pub(super) adopted: bool,
}

impl<T: Send + Sync + 'static> Backend<T> {
    /// A credential newer than store generation `floor`: one another process
    /// published, or one this process loads under the lease (and publishes).
    /// Any store failure falls back to loading here.
    pub(super) async fn load(
        &self,
        loader: &Loader<T>,
        counters: &Counters,
        prev: Option<Arc<T>>,
        floor: u64,
        margin: Duration,
    ) -> Result<Outcome<T>, Error> {
        match self.coordinate(loader, counters, prev.clone(), floor, margin).await {
            Ok(outcome) => outcome,
            Err(e) => {
                (counters.on_store_error)();
                tracing::warn!(store = self.store.name(), vendor = self.key.vendor(), kind = self.key.kind(), error = %e,
                    "credential store unavailable: loading in this process");
                self.load_here(loader, counters, prev).await
            }
        }
    }

    async fn load_here(&self, loader: &Loader<T>, counters: &Counters, prev: Option<Arc<T>>) -> Result<Outcome<T>, Error> {
        (counters.on_load)();
        let l = loader(prev).await?;
        Ok(Outcome { value: l.value, expires_in: l.expires_in, shared: None, adopted: false })
    }

    /// The protocol; the outer `Err` is a store failure, the inner result the load's.
    async fn coordinate(
        &self,
        loader: &Loader<T>,
        counters: &Counters,
        prev: Option<Arc<T>>,
        floor: u64,
        margin: Duration,
    ) -> Result<Result<Outcome<T>, Error>, StoreError> {
        let deadline = Instant::now() + self.options.max_wait;
        loop {
            let stored = self.store.read(&self.key).await?;
            if let Some(o) = self.usable(stored.as_ref(), floor, margin) {
                return Ok(Ok(o));
            }
            if let Some(lease) = self.store.lease(&self.key, self.options.lease_ttl).await? {
                let result = self.refresh_under(&lease, loader, counters, prev, floor, margin).await;
                if let Err(e) = self.store.release(&self.key, &lease).await {
                    tracing::debug!(error = %e, "credential store: lease release failed (it expires on its own)");
                }
                return result;
            }
            let now = Instant::now();
            if now >= deadline {
                tracing::warn!(
                    vendor = self.key.vendor(),
                    kind = self.key.kind(),
                    "credential store: no result from the lease holder in time: loading in this process"
                );
                return Ok(self.load_here(loader, counters, prev).await);
            }
            self.store.wait(&self.key, self.options.poll_interval.min(deadline - now)).await?;
        }
    }

    async fn refresh_under(
        &self,
        lease: &Lease,
        loader: &Loader<T>,
        counters: &Counters,
        prev: Option<Arc<T>>,
        floor: u64,
        margin: Duration,
    ) -> Result<Result<Outcome<T>, Error>, StoreError> {
        // Published between our read and the lease?
        let stored = self.store.read(&self.key).await?;
        if let Some(o) = self.usable(stored.as_ref(), floor, margin) {
            return Ok(Ok(o));
        }
        // The freshest previous credential (e.g. the refresh token another process got).
        let prev = stored.as_ref().and_then(|s| self.codec.decode(&s.bytes).ok()).map(Arc::new).or(prev);
        (counters.on_load)();
        let loaded: Loaded<T> = match self.renewing(lease, loader(prev)).await {
            Ok(l) => l,
            Err(e) => return Ok(Err(e)),
        };
        let expires_at = loaded.expires_in.and_then(|d| SystemTime::now().checked_add(d));
        let bytes = match self.codec.encode(&loaded.value) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "credential store: cannot encode the credential: kept in this process");
                return Ok(Ok(Outcome { value: loaded.value, expires_in: loaded.expires_in, shared: None, adopted: false }));
            }
        };
        // From here on the credential is loaded: a store failure keeps it in this process
        // (never a second load).
        let published = match self.store.publish(&self.key, lease, bytes, expires_at).await {
            Ok(p) => p,
            Err(e) => {
                (counters.on_store_error)();
                tracing::warn!(error = %e, vendor = self.key.vendor(), kind = self.key.kind(), "credential store: cannot publish: kept in this process");
                return Ok(Ok(Outcome { value: loaded.value, expires_in: loaded.expires_in, shared: None, adopted: false }));
            }
        };
        if published {
            tracing::debug!(vendor = self.key.vendor(), kind = self.key.kind(), generation = lease.generation, "credential published");
            return Ok(Ok(Outcome { value: loaded.value, expires_in: loaded.expires_in, shared: Some(lease.generation), adopted: false }));
        }
        // Fenced off: our lease ran out and a newer credential was published. Take it.
        tracing::info!(
            vendor = self.key.vendor(),
            kind = self.key.kind(),
            "credential store: a newer credential was published meanwhile: using it"
        );
        let stored = self.store.read(&self.key).await.ok().flatten();
        Ok(Ok(self.usable(stored.as_ref(), lease.generation.saturating_sub(1), Duration::ZERO).unwrap_or(Outcome {
            value: loaded.value,
            expires_in: loaded.expires_in,
            shared: None,
            adopted: false,
        })))
    }

    /// Run `load` while keeping `lease`: renewed every third of its TTL until the
    /// load ends or the lease is lost (a lost lease's publication is then fenced off).
    async fn renewing<F: Future>(&self, lease: &Lease, load: F) -> F::Output {
        let load = std::pin::pin!(load);
        let renew = std::pin::pin!(self.renew_until_lost(lease));
        match futures_util::future::select(load, renew).await {
            Either::Left((out, _)) => out,
            Either::Right(((), load)) => load.await,
        }
    }

    async fn renew_until_lost(&self, lease: &Lease) {
        let ttl = self.options.lease_ttl;
        loop {
            tokio::time::sleep(ttl / 3).await;
            match self.store.renew(&self.key, lease, ttl).await {
                Ok(true) => tracing::trace!(vendor = self.key.vendor(), kind = self.key.kind(), "credential store: lease renewed"),
                Ok(false) => {
                    tracing::debug!(
                        vendor = self.key.vendor(),
                        kind = self.key.kind(),
                        "credential store: lease not renewed: it runs its TTL"
                    );
                    return;
                }
                // Transient: the lease still runs; try again at the next third.
                Err(e) => {
                    tracing::debug!(vendor = self.key.vendor(), kind = self.key.kind(), error = %e, "credential store: lease renewal failed");
                }
            }
        }
    }

    /// The stored credential, decoded, when newer than `floor` and not due within `margin`.
    fn usable(&self, stored: Option<&StoredCredential>, floor: u64, margin: Duration) -> Option<Outcome<T>> {
        let s = stored.filter(|s| s.generation > floor)?;
        let remaining = s.remaining();
        if remaining.is_some_and(|r| r <= margin) {
            return None;
        }
        match self.codec.decode(&s.bytes) {
            Ok(value) => Some(Outcome { value, expires_in: remaining, shared: Some(s.generation), adopted: true }),
            Err(e) => {
                tracing::warn!(error = %e, vendor = self.key.vendor(), kind = self.key.kind(), "credential store: undecodable credential: renewing it");
                None
            }
        }
    }
}
