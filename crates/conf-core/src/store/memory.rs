//! [`MemoryStore`]: the store protocol in one process's memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;
use tokio::time::Instant;

use super::{CredentialStore, Lease, StoreError, StoreFuture, StoreKey, StoredCredential, random_holder};

#[derive(Default)]
struct Slot {
    value: Option<StoredCredential>,
    /// Last generation handed out with a lease.
    counter: u64,
    lease: Option<(String, Instant)>,
    claim: Option<(String, Instant)>,
    events: Arc<Notify>,
}

/// A [`CredentialStore`] in memory: caches of one process that share it behave
/// like processes sharing a networked store (leases, fencing, wake-ups). Cheap to clone.
#[derive(Clone, Default)]
pub struct MemoryStore {
    slots: Arc<Mutex<HashMap<StoreKey, Slot>>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<R>(&self, key: &StoreKey, f: impl FnOnce(&mut Slot) -> R) -> R {
        let mut slots = self.slots.lock().expect("memory store poisoned");
        f(slots.entry(key.clone()).or_default())
    }
}

fn live(entry: Option<&(String, Instant)>) -> Option<&str> {
    entry.filter(|(_, until)| Instant::now() < *until).map(|(h, _)| h.as_str())
}

impl CredentialStore for MemoryStore {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn read<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, Option<StoredCredential>> {
        let v = self.with(key, |s| s.value.clone());
        Box::pin(async move { Ok(v) })
    }

    fn lease<'a>(&'a self, key: &'a StoreKey, ttl: Duration) -> StoreFuture<'a, Option<Lease>> {
        let lease = self.with(key, |s| {
            if live(s.lease.as_ref()).is_some() {
                return None;
            }
            s.counter += 1;
            let holder = random_holder();
            s.lease = Some((holder.clone(), Instant::now() + ttl));
            Some(Lease::new(s.counter, holder))
        });
        Box::pin(async move { Ok(lease) })
    }

    fn publish<'a>(&'a self, key: &'a StoreKey, lease: &'a Lease, bytes: Vec<u8>, expires_at: Option<SystemTime>) -> StoreFuture<'a, bool> {
        let accepted = self.with(key, |s| {
            if s.value.as_ref().is_some_and(|v| v.generation >= lease.generation) {
                return false;
            }
            s.value = Some(StoredCredential::new(bytes, lease.generation, expires_at));
            s.events.notify_waiters();
            true
        });
        Box::pin(async move { Ok(accepted) })
    }

    fn release<'a>(&'a self, key: &'a StoreKey, lease: &'a Lease) -> StoreFuture<'a, ()> {
        self.with(key, |s| {
            if s.lease.as_ref().is_some_and(|(h, _)| *h == lease.holder) {
                s.lease = None;
            }
            s.events.notify_waiters();
        });
        Box::pin(async move { Ok(()) })
    }

    fn renew<'a>(&'a self, key: &'a StoreKey, lease: &'a Lease, ttl: Duration) -> StoreFuture<'a, bool> {
        let renewed = self.with(key, |s| {
            if live(s.lease.as_ref()) != Some(lease.holder.as_str()) {
                return false;
            }
            s.lease = Some((lease.holder.clone(), Instant::now() + ttl));
            true
        });
        Box::pin(async move { Ok(renewed) })
    }

    fn wait<'a>(&'a self, key: &'a StoreKey, timeout: Duration) -> StoreFuture<'a, ()> {
        let events = self.with(key, |s| s.events.clone());
        Box::pin(async move {
            let _ = tokio::time::timeout(timeout, events.notified()).await;
            Ok(())
        })
    }

    fn claim<'a>(&'a self, key: &'a StoreKey, holder: &'a str, ttl: Duration) -> StoreFuture<'a, bool> {
        let owned = self.with(key, |s| match live(s.claim.as_ref()) {
            Some(h) if h != holder => false,
            _ => {
                s.claim = Some((holder.to_string(), Instant::now() + ttl));
                true
            }
        });
        Box::pin(async move { Ok::<bool, StoreError>(owned) })
    }

    fn unclaim<'a>(&'a self, key: &'a StoreKey, holder: &'a str) -> StoreFuture<'a, ()> {
        self.with(key, |s| {
            if s.claim.as_ref().is_some_and(|(h, _)| h == holder) {
                s.claim = None;
            }
        });
        Box::pin(async move { Ok(()) })
    }
}
