//! The Redis store against a real `redis-server` (started per test on a free loopback port).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use conf_core::store::{CredentialStore, SharedOptions, SharedStore, StoreKey};
use conf_core::{CredentialCache, Loaded};
use conf_redis::testing::{RedisServer, TextCodec};
use conf_redis::{EncryptionKey, RedisStore};

const SECRET: &str = "tok-5ec2e7-DO-NOT-LEAK";

fn key() -> StoreKey {
    StoreKey::new("demo", "token", "alice@example.com", "https://meet.example.com")
}

fn store(server: &RedisServer, k: &EncryptionKey) -> RedisStore {
    RedisStore::builder(server.url(), k.clone())
        .timeout(Duration::from_millis(300))
        .options(SharedOptions::default().lease_ttl(Duration::from_secs(2)).poll_interval(Duration::from_millis(50)))
        .build()
        .unwrap()
}

/// A cache ("process") over its own store connection; the loader counts and returns `SECRET-n`.
fn cache(shared: &SharedStore, calls: &Arc<AtomicU32>, load_time: Duration) -> CredentialCache<String> {
    let calls = calls.clone();
    CredentialCache::new(Duration::from_secs(1), Duration::ZERO, move |_prev| {
        let calls = calls.clone();
        async move {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(load_time).await;
            Ok(Loaded { value: format!("{SECRET}-{n}"), expires_in: Some(Duration::from_secs(3600)) })
        }
    })
    .shared(shared, key(), TextCodec)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_fencing_and_claims_on_real_redis() {
    let server = RedisServer::start().expect("redis-server");
    let k = EncryptionKey::generate();
    let s = store(&server, &k);
    let a = s.lease(&key(), Duration::from_millis(300)).await.unwrap().expect("free lease");
    assert!(s.lease(&key(), Duration::from_secs(5)).await.unwrap().is_none(), "SET NX: one holder");
    // `a` stalls past its TTL; `b` takes over and publishes first.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let b = loop {
        if let Some(b) = s.lease(&key(), Duration::from_secs(5)).await.unwrap() {
            break b;
        }
        assert!(tokio::time::Instant::now() < deadline, "lease never expired");
        s.wait(&key(), Duration::from_millis(50)).await.unwrap();
    };
    assert!(b.generation > a.generation);
    assert!(s.publish(&key(), &b, b"new".to_vec(), None).await.unwrap());
    assert!(!s.publish(&key(), &a, b"stale".to_vec(), None).await.unwrap(), "a stale holder is fenced off");
    let got = s.read(&key()).await.unwrap().unwrap();
    assert_eq!((got.bytes.as_slice(), got.generation), (&b"new"[..], b.generation));
    // the stale holder's release does not free b's lease
    s.release(&key(), &a).await.unwrap();
    assert!(s.lease(&key(), Duration::from_secs(5)).await.unwrap().is_none());
    s.release(&key(), &b).await.unwrap();
    let free = s.lease(&key(), Duration::from_secs(5)).await.unwrap().expect("released: free");
    s.release(&key(), &free).await.unwrap();
    // renewal: only by the holder, and not once released
    let held = s.lease(&key(), Duration::from_millis(300)).await.unwrap().expect("free lease");
    assert!(s.renew(&key(), &held, Duration::from_secs(60)).await.unwrap());
    let forged = conf_core::store::Lease::new(held.generation, "someone else");
    assert!(!s.renew(&key(), &forged, Duration::from_secs(60)).await.unwrap());
    s.release(&key(), &held).await.unwrap();
    assert!(!s.renew(&key(), &held, Duration::from_secs(60)).await.unwrap());
    // ownership
    let owner = key().with_kind("owner");
    assert!(s.claim(&owner, "p1", Duration::from_secs(5)).await.unwrap());
    assert!(!s.claim(&owner, "p2", Duration::from_secs(5)).await.unwrap());
    s.unclaim(&owner, "p1").await.unwrap();
    assert!(s.claim(&owner, "p2", Duration::from_secs(5)).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_stores_fifty_calls_each_one_load_and_nothing_in_clear() {
    let server = RedisServer::start().expect("redis-server");
    let k = EncryptionKey::generate();
    let calls = Arc::new(AtomicU32::new(0));
    let caches: Vec<_> = (0..8).map(|_| cache(&store(&server, &k).shared(), &calls, Duration::from_millis(100))).collect();
    let futs: Vec<_> = caches.iter().flat_map(|c| (0..50).map(move |_| c.get())).collect();
    let results = futures_util::future::join_all(futs).await;
    assert!(results.iter().all(|r| r.as_ref().unwrap().value.as_str() == format!("{SECRET}-0")));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(caches.iter().map(|c| c.stats().adopted).sum::<u64>(), 7);
    assert_eq!(caches.iter().map(|c| c.stats().store_errors).sum::<u64>(), 0);

    let dump = server.dump().unwrap();
    assert!(!dump.is_empty());
    for (name, content) in &dump {
        for needle in [SECRET, "alice", "example.com"] {
            assert!(!name.contains(needle), "{name} names {needle}");
            assert!(!content.windows(needle.len()).any(|w| w == needle.as_bytes()), "{name} holds {needle} in clear");
        }
        assert!(name.starts_with("conf:demo:token:"), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_that_dies_mid_refresh_loses_its_lease() {
    let server = RedisServer::start().expect("redis-server");
    let k = EncryptionKey::generate();
    let s = store(&server, &k);
    // The "dead" holder: took the lease (2 s TTL) and never came back.
    let _dead = s.lease(&key(), Duration::from_secs(2)).await.unwrap().unwrap();
    let calls = Arc::new(AtomicU32::new(0));
    let c = cache(&s.shared(), &calls, Duration::ZERO);
    let started = std::time::Instant::now();
    assert_eq!(c.get().await.unwrap().value.as_str(), format!("{SECRET}-0"));
    assert!(started.elapsed() >= Duration::from_millis(1500), "waited for the lease to run out");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_falls_back_and_sharing_resumes() {
    let mut server = RedisServer::start().expect("redis-server");
    let k = EncryptionKey::generate();
    let calls = Arc::new(AtomicU32::new(0));
    let stores: Vec<_> = (0..2).map(|_| store(&server, &k)).collect();
    let caches: Vec<_> = stores.iter().map(|s| cache(&s.shared(), &calls, Duration::ZERO)).collect();
    let first = caches[0].get().await.unwrap();
    assert_eq!(caches[1].get().await.unwrap().value, first.value);
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    server.stop();
    // Both credentials refused while Redis is down: each process renews on its own, no call fails.
    for c in &caches {
        let g = c.peek().unwrap().generation;
        c.invalidate(g);
        assert!(c.get().await.is_ok());
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3, "one load per process while Redis is down");
    assert!(caches.iter().all(|c| c.stats().store_errors >= 1));
    assert!(stores.iter().all(|s| s.errors() >= 1));

    server.restart().unwrap();
    // Sharing resumes: a renewal made once Redis answers again is published...
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let published = loop {
        let mine = caches[0].refresh().await.unwrap();
        if let Ok(Some(s)) = stores[0].read(&key()).await {
            if s.bytes == mine.value.as_bytes() {
                break mine;
            }
        }
        assert!(std::time::Instant::now() < deadline, "nothing published after Redis came back");
    };
    // ...and the other process takes it instead of loading its own.
    let before = calls.load(Ordering::SeqCst);
    let g = caches[1].peek().unwrap().generation;
    caches[1].invalidate(g);
    assert_eq!(caches[1].get().await.unwrap().value, published.value);
    assert_eq!(calls.load(Ordering::SeqCst), before, "adopted, not loaded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_command_after_redis_comes_back_is_answered() {
    let mut server = RedisServer::start().expect("redis-server");
    let s = store(&server, &EncryptionKey::generate());
    let lease = s.lease(&key(), Duration::from_secs(5)).await.unwrap().expect("free lease");
    assert!(s.publish(&key(), &lease, b"v1".to_vec(), None).await.unwrap());

    server.stop();
    // Each failure leaves the connection manager holding a failed reconnect.
    for _ in 0..3 {
        assert!(s.read(&key()).await.is_err());
    }
    let errors = s.errors();
    server.restart().unwrap();
    // Data is gone with the restart; what matters is that the store answers at once.
    assert!(s.read(&key()).await.expect("answered on a fresh connection").is_none());
    assert!(s.lease(&key(), Duration::from_secs(5)).await.unwrap().is_some());
    assert_eq!(s.errors(), errors, "no failure counted once Redis is back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_encryption_key_cannot_read_a_credential() {
    let server = RedisServer::start().expect("redis-server");
    let calls = Arc::new(AtomicU32::new(0));
    let ours = cache(&store(&server, &EncryptionKey::generate()).shared(), &calls, Duration::ZERO);
    ours.get().await.unwrap();
    let theirs = store(&server, &EncryptionKey::generate());
    // Under another key the names differ too: nothing is found, nothing is decrypted.
    assert!(theirs.read(&key()).await.unwrap().is_none());
}
