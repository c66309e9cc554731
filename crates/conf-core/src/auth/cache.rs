//! A credential cache with expiry, a jittered refresh margin and single-flight loading.
//!
//! Any number of concurrent callers that find the credential missing or due for
//! refresh share *one* load. A failed load is not cached: its error reaches every
//! caller that waited for it, and the next caller starts a new load. The load runs
//! in its own task, so a caller that gives up does not abort it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use tokio::time::Instant;

use crate::error::Error;

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

/// Stand-in for "never" when a lifetime does not fit the clock (about 30 years).
const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

type Loader<T> = Arc<dyn Fn(Option<Arc<T>>) -> BoxFuture<'static, Result<Loaded<T>, Error>> + Send + Sync>;
type Flight<T> = Shared<BoxFuture<'static, Result<CachedCredential<T>, Error>>>;

struct Entry<T> {
    value: Arc<T>,
    generation: u64,
    refresh_at: Option<Instant>,
    valid: bool,
}

struct State<T> {
    entry: Option<Entry<T>>,
    inflight: Option<Flight<T>>,
    generation: u64,
    loads: u64,
}

/// Single-flight credential cache. Cheap to clone (shared state).
pub struct CredentialCache<T> {
    state: Arc<Mutex<State<T>>>,
    loader: Loader<T>,
    margin: Duration,
    jitter: Duration,
}

impl<T> Clone for CredentialCache<T> {
    fn clone(&self) -> Self {
        Self { state: self.state.clone(), loader: self.loader.clone(), margin: self.margin, jitter: self.jitter }
    }
}

impl<T> std::fmt::Debug for CredentialCache<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialCache").field("margin", &self.margin).field("jitter", &self.jitter).finish_non_exhaustive()
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
            state: Arc::new(Mutex::new(State { entry: None, inflight: None, generation: 0, loads: 0 })),
            loader: Arc::new(move |prev| loader(prev).boxed()),
            margin,
            jitter,
        }
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

    /// Force a new load (joins a load already in flight).
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

    /// Drop the credential entirely (e.g. on logout).
    pub fn clear(&self) {
        self.state.lock().expect("credential cache poisoned").entry = None;
    }

    /// Store a credential obtained elsewhere (e.g. the token a session was created with).
    pub fn set(&self, value: T, expires_in: Option<Duration>) -> CachedCredential<T> {
        let mut st = self.state.lock().expect("credential cache poisoned");
        Self::store(&mut st, value, expires_in, self.margin, self.jitter)
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

    /// Number of loads started so far (for tests and metrics).
    pub fn loads(&self) -> u64 {
        self.state.lock().expect("credential cache poisoned").loads
    }

    fn store(st: &mut State<T>, value: T, expires_in: Option<Duration>, margin: Duration, jitter: Duration) -> CachedCredential<T> {
        st.generation += 1;
        let refresh_at = expires_in.map(|ttl| {
            let jit = if jitter.is_zero() { Duration::ZERO } else { jitter.mul_f64(rand::random::<f64>()) };
            let lead = margin.saturating_add(jit).min(ttl);
            // A server-supplied lifetime can be absurd (`u64::MAX` seconds): never overflow.
            let now = Instant::now();
            now.checked_add(ttl - lead).unwrap_or_else(|| now + FAR_FUTURE)
        });
        let value = Arc::new(value);
        st.entry = Some(Entry { value: value.clone(), generation: st.generation, refresh_at, valid: true });
        CachedCredential { value, generation: st.generation }
    }

    fn flight_locked(&self, st: &mut State<T>) -> Flight<T> {
        if let Some(f) = &st.inflight {
            return f.clone();
        }
        st.loads += 1;
        let prev = st.entry.as_ref().map(|e| e.value.clone());
        let load = (self.loader)(prev);
        let state = self.state.clone();
        let (margin, jitter) = (self.margin, self.jitter);
        let task = tokio::spawn(async move {
            let result = load.await;
            let mut st = state.lock().expect("credential cache poisoned");
            st.inflight = None;
            result.map(|l| Self::store(&mut st, l.value, l.expires_in, margin, jitter))
        });
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
}
