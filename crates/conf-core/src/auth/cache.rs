//! A credential cache with expiry, a jittered refresh margin and single-flight loading.
//!
//! Any number of concurrent callers that find the credential missing or due for
//! refresh share *one* load. A failed load is not cached: its error reaches every
//! caller that waited for it, and the next caller starts a new load. The load runs
//! in its own task, so a caller that gives up does not abort it.
//!
//! By default the credential lives in this process's memory. With a shared
//! [`CredentialStore`](crate::store::CredentialStore) ([`CredentialCache::shared`]) the
//! single flight spans processes: see [`crate::store`].

mod shared;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use tokio::time::Instant;

use crate::error::Error;
use crate::store::{CredentialCodec, CredentialStore, SharedStore, StoreKey};

/// What a loader produced.
pub struct Loaded<T> {
    /// The credential.
    pub value: T,
    /// How long it is valid, when known.
    pub expires_in: Option<Duration>,
}

/// A credential handed out by the cache.
pub struct CachedCredential<T> {
    /// The credential.
    pub value: Arc<T>,
    /// Generation (increments with every successful load).
    pub generation: u64,
}

impl<T> Clone for CachedCredential<T> {
    fn clone(&self) -> Self {
        Self { value: self.value.clone(), generation: self.generation }
    }
}

/// Counters of a [`CredentialCache`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Loads run by this process (the loader was called; failed ones included).
    pub loads: u64,
    /// Credentials taken from the shared store instead of loading.
    pub adopted: u64,
    /// Shared-store failures (each one fell back to this process's own cache).
    pub store_errors: u64,
}

/// Stand-in for "never" when a lifetime does not fit the clock (about 30 years).
const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

type Loader<T> = Arc<dyn Fn(Option<Arc<T>>) -> BoxFuture<'static, Result<Loaded<T>, Error>> + Send + Sync>;
type Flight<T> = Shared<BoxFuture<'static, Result<CachedCredential<T>, Error>>>;

struct Entry<T> {
    value: Arc<T>,
    generation: u64,
    refresh_at: Option<Instant>,
    valid: bool,
    /// Store generation it was published under (shared mode).
    shared: Option<u64>,
}

struct State<T> {
    entry: Option<Entry<T>>,
    inflight: Option<Flight<T>>,
    generation: u64,
    stats: CacheStats,
    /// Highest store generation held so far: a stored credential must be newer to replace it.
    shared_floor: u64,
}

/// Single-flight credential cache. Cheap to clone (shared state).
pub struct CredentialCache<T> {
    state: Arc<Mutex<State<T>>>,
    loader: Loader<T>,
    margin: Duration,
    jitter: Duration,
    shared: Option<Arc<shared::Backend<T>>>,
}

impl<T> Clone for CredentialCache<T> {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
            loader: self.loader.clone(),
            margin: self.margin,
            jitter: self.jitter,
            shared: self.shared.clone(),
        }
    }
}

impl<T> std::fmt::Debug for CredentialCache<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialCache")
            .field("margin", &self.margin)
            .field("jitter", &self.jitter)
            .field("store", &self.shared.as_ref().map(|s| s.store.name()))
            .finish_non_exhaustive()
    }
}

impl<T: Send + Sync + 'static> CredentialCache<T> {
    /// A cache whose `loader` gets the previous credential (if any) and returns a new one.
    /// A credential is renewed `margin` (plus up to `jitter`, drawn per load) before it expires.
    pub fn new<F, Fut>(margin: Duration, jitter: Duration, loader: F) -> Self
    where
        F: Fn(Option<Arc<T>>) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<Loaded<T>, Error>> + Send + 'static,
    {
        Self {
            state: Arc::new(Mutex::new(State {
                entry: None,
                inflight: None,
                generation: 0,
                stats: CacheStats::default(),
                shared_floor: 0,
            })),
            loader: Arc::new(move |prev| loader(prev).boxed()),
            margin,
            jitter,
            shared: None,
        }
    }

    /// Share the credential through `store` under `key`: a load first looks for a
    /// newer credential there, and only one process (the lease holder) loads while
    /// the others wait for its result. `codec` turns the credential into bytes.
    /// Call before the first use.
    pub fn shared(mut self, store: &SharedStore, key: StoreKey, codec: impl CredentialCodec<T>) -> Self {
        self.shared =
            Some(Arc::new(shared::Backend { store: store.store().clone(), key, codec: Arc::new(codec), options: *store.options() }));
        self
    }

    /// The shared store and key, when the cache has one.
    pub fn shared_store(&self) -> Option<(&Arc<dyn CredentialStore>, &StoreKey)> {
        self.shared.as_ref().map(|s| (&s.store, &s.key))
    }

    /// A valid credential: the cached one, or the result of the (shared) load.
    pub async fn get(&self) -> Result<CachedCredential<T>, Error> {
        let flight = {
            let mut st = self.state.lock().expect("credential cache poisoned");
            if let Some(e) = &st.entry {
                if e.valid && e.refresh_at.is_none_or(|t| Instant::now() < t) {
                    return Ok(CachedCredential { value: e.value.clone(), generation: e.generation });
                }
            }
            self.flight_locked(&mut st)
        };
        flight.await
    }

    /// Force a new load (joins a load already in flight). With a shared store, a
    /// credential newer than the current one found there counts as the new load.
    pub async fn refresh(&self) -> Result<CachedCredential<T>, Error> {
        let flight = {
            let mut st = self.state.lock().expect("credential cache poisoned");
            self.flight_locked(&mut st)
        };
        flight.await
    }

    /// Mark `generation` invalid; a newer credential is left alone.
    pub fn invalidate(&self, generation: u64) {
        let mut st = self.state.lock().expect("credential cache poisoned");
        if let Some(e) = &mut st.entry {
            if e.generation == generation {
                e.valid = false;
            }
        }
    }

    /// Drop the credential entirely (e.g. on logout). The shared store is left alone.
    pub fn clear(&self) {
        self.state.lock().expect("credential cache poisoned").entry = None;
    }

    /// Store a credential obtained elsewhere (e.g. the token a session was created with),
    /// in this process only.
    pub fn set(&self, value: T, expires_in: Option<Duration>) -> CachedCredential<T> {
        let mut st = self.state.lock().expect("credential cache poisoned");
        Self::store(&mut st, value, expires_in, None, self.margin, self.jitter)
    }

    /// Store a credential another process published under store generation
    /// `shared_generation` (e.g. a token that came inside a shared login), in this
    /// process: a later renewal then looks for a newer one in the store.
    pub fn set_shared(&self, value: T, expires_in: Option<Duration>, shared_generation: u64) -> CachedCredential<T> {
        let mut st = self.state.lock().expect("credential cache poisoned");
        Self::store(&mut st, value, expires_in, Some(shared_generation), self.margin, self.jitter)
    }

    /// The store generation of the credential of (local) `generation`, when it came
    /// from or went to the shared store.
    pub fn shared_generation(&self, generation: u64) -> Option<u64> {
        let st = self.state.lock().expect("credential cache poisoned");
        st.entry.as_ref().filter(|e| e.generation == generation).and_then(|e| e.shared)
    }

    /// The current credential without loading, valid or not.
    pub fn peek(&self) -> Option<CachedCredential<T>> {
        let st = self.state.lock().expect("credential cache poisoned");
        st.entry.as_ref().map(|e| CachedCredential { value: e.value.clone(), generation: e.generation })
    }

    /// When the current credential is due for renewal.
    pub fn refresh_at(&self) -> Option<Instant> {
        self.state.lock().expect("credential cache poisoned").entry.as_ref().and_then(|e| e.refresh_at)
    }

    /// Number of loads this process ran so far (for tests and metrics; see [`stats`](Self::stats)).
    pub fn loads(&self) -> u64 {
        self.state.lock().expect("credential cache poisoned").stats.loads
    }

    /// Loads, credentials taken from the shared store, store failures.
    pub fn stats(&self) -> CacheStats {
        self.state.lock().expect("credential cache poisoned").stats
    }

    fn store(
        st: &mut State<T>,
        value: T,
        expires_in: Option<Duration>,
        shared: Option<u64>,
        margin: Duration,
        jitter: Duration,
    ) -> CachedCredential<T> {
        st.generation += 1;
        let refresh_at = expires_in.map(|ttl| {
            let jit = if jitter.is_zero() { Duration::ZERO } else { jitter.mul_f64(rand::random::<f64>()) };
            let lead = margin.saturating_add(jit).min(ttl);
            // A server-supplied lifetime can be absurd (`u64::MAX` seconds): never overflow.
            let now = Instant::now();
            now.checked_add(ttl - lead).unwrap_or_else(|| now + FAR_FUTURE)
        });
        if let Some(g) = shared {
            st.shared_floor = st.shared_floor.max(g);
        }
        let value = Arc::new(value);
        st.entry = Some(Entry { value: value.clone(), generation: st.generation, refresh_at, valid: true, shared });
        CachedCredential { value, generation: st.generation }
    }

    fn flight_locked(&self, st: &mut State<T>) -> Flight<T> {
        if let Some(f) = &st.inflight {
            return f.clone();
        }
        let prev = st.entry.as_ref().map(|e| e.value.clone());
        let state = self.state.clone();
        let (margin, jitter) = (self.margin, self.jitter);
        let task = if let Some(backend) = self.shared.clone() {
            // The stored credential must be newer than the one being replaced.
            let floor = st.entry.as_ref().and_then(|e| e.shared).unwrap_or(0).max(st.shared_floor);
            let loader = self.loader.clone();
            tokio::spawn(async move {
                let (s1, s2) = (state.clone(), state.clone());
                let counters = shared::Counters {
                    on_load: Box::new(move || s1.lock().expect("credential cache poisoned").stats.loads += 1),
                    on_store_error: Box::new(move || s2.lock().expect("credential cache poisoned").stats.store_errors += 1),
                };
                let result = backend.load(&loader, &counters, prev, floor, margin).await;
                let mut st = state.lock().expect("credential cache poisoned");
                st.inflight = None;
                result.map(|o| {
                    if o.adopted {
                        st.stats.adopted += 1;
                    }
                    Self::store(&mut st, o.value, o.expires_in, o.shared, margin, jitter)
                })
            })
        } else {
            st.stats.loads += 1;
            let load = (self.loader)(prev);
            tokio::spawn(async move {
                let result = load.await;
                let mut st = state.lock().expect("credential cache poisoned");
                st.inflight = None;
                result.map(|l| Self::store(&mut st, l.value, l.expires_in, None, margin, jitter))
            })
        };
        let flight: Flight<T> = async move {
            match task.await {
                Ok(r) => r,
                Err(e) => Err(Error::other(format!("credential load task failed: {e}"))),
            }
        }
        .boxed()
        .shared();
        st.inflight = Some(flight.clone());
        flight
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::CredentialStore;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn hundred_callers_one_load() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let cache = CredentialCache::new(Duration::from_secs(1), Duration::ZERO, move |_prev| {
            let c = c.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok(Loaded { value: "tok".to_string(), expires_in: Some(Duration::from_secs(10)) })
            }
        });
        let futs: Vec<_> = (0..100).map(|_| cache.get()).collect();
        let results = futures_util::future::join_all(futs).await;
        assert!(results.iter().all(|r| r.as_ref().unwrap().value.as_str() == "tok"));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // expires: 10 s ttl, 1 s margin -> renewed after 9 s
        tokio::time::advance(Duration::from_millis(9100)).await;
        let g = cache.get().await.unwrap();
        assert_eq!(g.generation, 2);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn failed_load_reaches_all_waiters_and_is_not_cached() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let cache: CredentialCache<String> = CredentialCache::new(Duration::ZERO, Duration::ZERO, move |_| {
            let n = c.fetch_add(1, Ordering::SeqCst);
            async move {
                tokio::time::sleep(Duration::from_millis(10)).await;
                if n == 0 { Err(Error::other("denied")) } else { Ok(Loaded { value: "ok".into(), expires_in: None }) }
            }
        });
        let results = futures_util::future::join_all((0..10).map(|_| cache.get())).await;
        assert!(results.iter().all(|r| matches!(r, Err(Error::Other(m)) if &**m == "denied")));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(cache.get().await.unwrap().value.as_str(), "ok");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn invalidate_only_hits_its_generation() {
        let n = Arc::new(AtomicU32::new(0));
        let c = n.clone();
        let cache = CredentialCache::new(Duration::ZERO, Duration::ZERO, move |_| {
            let v = c.fetch_add(1, Ordering::SeqCst);
            async move { Ok(Loaded { value: v, expires_in: None }) }
        });
        let first = cache.get().await.unwrap();
        cache.invalidate(first.generation);
        let second = cache.get().await.unwrap();
        assert_eq!(*second.value, 1);
        cache.invalidate(first.generation); // stale: ignored
        assert_eq!(*cache.get().await.unwrap().value, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_absurd_lifetime_does_not_overflow() {
        let cache = CredentialCache::new(Duration::from_secs(60), Duration::from_secs(30), |_| async {
            Ok(Loaded { value: 1u32, expires_in: Some(Duration::MAX) })
        });
        assert_eq!(*cache.get().await.unwrap().value, 1);
        assert!(cache.refresh_at().is_some_and(|t| t > Instant::now() + Duration::from_secs(365 * 24 * 3600)));
        assert_eq!(cache.loads(), 1);
        let _ = cache.set(2, Some(Duration::from_secs(u64::MAX)));
        assert_eq!(*cache.get().await.unwrap().value, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn loader_sees_previous_value() {
        let cache = CredentialCache::new(Duration::ZERO, Duration::ZERO, |prev: Option<Arc<u32>>| async move {
            Ok(Loaded { value: prev.map_or(0, |p| *p + 1), expires_in: None })
        });
        assert_eq!(*cache.get().await.unwrap().value, 0);
        assert_eq!(*cache.refresh().await.unwrap().value, 1);
    }

    mod shared {
        use super::*;
        use crate::store::{CredentialCodec, Lease, MemoryStore, SharedOptions, SharedStore, StoreError, StoreKey};

        struct U32Codec;
        impl CredentialCodec<u32> for U32Codec {
            fn encode(&self, v: &u32) -> Result<Vec<u8>, StoreError> {
                Ok(v.to_be_bytes().to_vec())
            }
            fn decode(&self, b: &[u8]) -> Result<u32, StoreError> {
                Ok(u32::from_be_bytes(b.try_into().map_err(|_| StoreError::new("bad length"))?))
            }
        }

        /// `n` caches ("processes") sharing one store; each load takes 50 ms and counts.
        fn fleet(n: usize, store: &SharedStore, ttl: Option<Duration>) -> (Vec<CredentialCache<u32>>, Arc<AtomicU32>) {
            fleet_loading(n, store, ttl, Duration::from_millis(50))
        }

        /// [`fleet`] whose loads take `load_time`.
        fn fleet_loading(
            n: usize,
            store: &SharedStore,
            ttl: Option<Duration>,
            load_time: Duration,
        ) -> (Vec<CredentialCache<u32>>, Arc<AtomicU32>) {
            let calls = Arc::new(AtomicU32::new(0));
            let caches = (0..n)
                .map(|_| {
                    let c = calls.clone();
                    CredentialCache::new(Duration::from_secs(1), Duration::ZERO, move |_prev: Option<Arc<u32>>| {
                        let c = c.clone();
                        async move {
                            let v = c.fetch_add(1, Ordering::SeqCst) + 100;
                            tokio::time::sleep(load_time).await;
                            Ok(Loaded { value: v, expires_in: ttl })
                        }
                    })
                    .shared(store, StoreKey::new("demo", "token", "alice", "https://x.example"), U32Codec)
                })
                .collect();
            (caches, calls)
        }

        #[tokio::test(start_paused = true)]
        async fn a_fleet_loads_once() {
            let store = SharedStore::new(Arc::new(MemoryStore::new()));
            let (caches, calls) = fleet(8, &store, None);
            let futs: Vec<_> = caches.iter().flat_map(|c| (0..50).map(move |_| c.get())).collect();
            let results = futures_util::future::join_all(futs).await;
            assert!(results.iter().all(|r| *r.as_ref().unwrap().value == 100));
            assert_eq!(calls.load(Ordering::SeqCst), 1);
            assert_eq!(caches.iter().map(|c| c.stats().loads).sum::<u64>(), 1);
            assert_eq!(caches.iter().map(|c| c.stats().adopted).sum::<u64>(), 7);
        }

        #[tokio::test(start_paused = true)]
        async fn a_rejection_renews_once_and_others_adopt() {
            let store = SharedStore::new(Arc::new(MemoryStore::new()));
            let (caches, calls) = fleet(3, &store, None);
            let first: Vec<_> = futures_util::future::join_all(caches.iter().map(|c| c.get())).await;
            // every process sees the credential refused
            for (c, g) in caches.iter().zip(&first) {
                c.invalidate(g.as_ref().unwrap().generation);
            }
            let second = futures_util::future::join_all(caches.iter().map(|c| c.get())).await;
            assert!(second.iter().all(|r| *r.as_ref().unwrap().value == 101));
            assert_eq!(calls.load(Ordering::SeqCst), 2);
            // a late rejection of the old generation is a no-op
            caches[0].invalidate(first[0].as_ref().unwrap().generation);
            assert_eq!(*caches[0].get().await.unwrap().value, 101);
            assert_eq!(calls.load(Ordering::SeqCst), 2);
        }

        #[tokio::test(start_paused = true)]
        async fn expiry_is_shared() {
            let store = SharedStore::new(Arc::new(MemoryStore::new()));
            let (caches, calls) = fleet(2, &store, Some(Duration::from_secs(3600)));
            assert_eq!(*caches[0].get().await.unwrap().value, 100);
            // the second process adopts it with the time left (wall clock), no load
            assert_eq!(*caches[1].get().await.unwrap().value, 100);
            assert_eq!(calls.load(Ordering::SeqCst), 1);
            assert!(caches[1].refresh_at().is_some_and(|t| t > Instant::now() + Duration::from_secs(3500)));
        }

        #[tokio::test(start_paused = true)]
        async fn a_dead_holder_loses_its_lease() {
            let store = SharedStore::new(Arc::new(MemoryStore::new()))
                .with_options(SharedOptions::default().lease_ttl(Duration::from_secs(2)).poll_interval(Duration::from_millis(100)));
            let key = StoreKey::new("demo", "token", "alice", "https://x.example");
            // a "process" that took the lease and died
            let dead = store.store().lease(&key, Duration::from_secs(2)).await.unwrap().unwrap();
            let (caches, calls) = fleet(1, &store, None);
            let started = Instant::now();
            let got = caches[0].get().await.unwrap();
            assert_eq!(*got.value, 100);
            assert_eq!(calls.load(Ordering::SeqCst), 1);
            assert!(Instant::now() - started >= Duration::from_secs(2));
            // the dead holder, back, cannot overwrite the newer generation
            assert!(!store.store().publish(&key, &dead, vec![0, 0, 0, 7], None).await.unwrap());
            assert_eq!(*caches[0].get().await.unwrap().value, 100);
        }

        #[tokio::test(start_paused = true)]
        async fn a_load_slower_than_the_lease_is_not_repeated() {
            let store = SharedStore::new(Arc::new(MemoryStore::new()))
                .with_options(SharedOptions::default().lease_ttl(Duration::from_secs(1)).poll_interval(Duration::from_millis(100)));
            // A 5 s login under a 1 s lease: the holder renews it, the others keep waiting.
            let (caches, calls) = fleet_loading(4, &store, None, Duration::from_secs(5));
            let results = futures_util::future::join_all(caches.iter().map(|c| c.get())).await;
            assert!(results.iter().all(|r| *r.as_ref().unwrap().value == 100));
            assert_eq!(calls.load(Ordering::SeqCst), 1);
            assert_eq!(caches.iter().map(|c| c.stats().adopted).sum::<u64>(), 3);
            // Released once published: the next renewal takes the lease at once.
            let key = StoreKey::new("demo", "token", "alice", "https://x.example");
            assert!(store.store().lease(&key, Duration::from_secs(1)).await.unwrap().is_some());
        }

        #[tokio::test(start_paused = true)]
        async fn a_lease_is_renewed_only_by_its_holder() {
            let mem = MemoryStore::new();
            let key = StoreKey::new("demo", "token", "carol", "https://x.example");
            let a = mem.lease(&key, Duration::from_secs(1)).await.unwrap().unwrap();
            assert!(mem.renew(&key, &a, Duration::from_secs(10)).await.unwrap());
            tokio::time::advance(Duration::from_secs(5)).await;
            assert!(mem.lease(&key, Duration::from_secs(1)).await.unwrap().is_none(), "renewed past its first TTL");
            assert!(!mem.renew(&key, &Lease::new(a.generation, "someone else"), Duration::from_secs(10)).await.unwrap());
            tokio::time::advance(Duration::from_secs(6)).await;
            assert!(!mem.renew(&key, &a, Duration::from_secs(10)).await.unwrap(), "ran out: lost");
        }

        #[tokio::test(start_paused = true)]
        async fn a_stale_publication_is_fenced_off() {
            let mem = MemoryStore::new();
            let key = StoreKey::new("demo", "token", "bob", "https://x.example");
            let a = mem.lease(&key, Duration::from_millis(10)).await.unwrap().unwrap();
            tokio::time::advance(Duration::from_millis(20)).await;
            let b = mem.lease(&key, Duration::from_secs(10)).await.unwrap().unwrap();
            assert!(b.generation > a.generation);
            assert!(mem.publish(&key, &b, b"new".to_vec(), None).await.unwrap());
            assert!(!mem.publish(&key, &a, b"old".to_vec(), None).await.unwrap());
            assert_eq!(mem.read(&key).await.unwrap().unwrap().bytes, b"new");
        }

        #[tokio::test(start_paused = true)]
        async fn one_owner_at_a_time() {
            let mem = MemoryStore::new();
            let key = StoreKey::new("demo", "owner", "room", "https://x.example");
            assert!(mem.claim(&key, "a", Duration::from_secs(5)).await.unwrap());
            assert!(!mem.claim(&key, "b", Duration::from_secs(5)).await.unwrap());
            assert!(mem.claim(&key, "a", Duration::from_secs(5)).await.unwrap());
            tokio::time::advance(Duration::from_secs(6)).await;
            assert!(mem.claim(&key, "b", Duration::from_secs(5)).await.unwrap());
            mem.unclaim(&key, "a").await.unwrap();
            assert!(!mem.claim(&key, "a", Duration::from_secs(5)).await.unwrap());
        }
    }
}
