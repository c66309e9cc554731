//! Fleet mode figures for `cargo xtask bench` (`RESULT <name> <value> <unit>` lines):
//!
//! - vendor logins of a fleet of 16 processes (this executable re-run in worker mode)
//!   against the moyun emulator: shared on a real `redis-server` vs each process on its own;
//! - the latency a credential adds when a process takes it from Redis (read, decrypt,
//!   decode) instead of its memory, p50 and p99 on loopback, against the in-memory store
//!   running the same protocol.
//!
//! Needs `redis-server` (`.ci/install-redis`).

#[path = "../tests/support/worker.rs"]
mod worker;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use conf_core::store::{MemoryStore, SharedStore, StoreKey};
use conf_core::{CredentialCache, Loaded};
use conf_redis::testing::{RedisServer, TextCodec};
use conf_redis::{EncryptionKey, RedisStore};
use conf_sandbox::moyun::{MoyunConfig, MoyunEmulator};
use serde_json::Value;

const FLEET: usize = 16;
const CALLS: usize = 20;
const SAMPLES: usize = 2000;
const KEY: &str = "5f1c2a9e4b7d6053a1e2f3c4b5a69788796a5b4c3d2e1f00112233445566778f";

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Worker {
    fn spawn(vendor: &str, emulator: &str, redis: &str) -> Self {
        let args = [vendor, emulator, redis, KEY, &CALLS.to_string(), "5000"].join(" ");
        let mut child = Command::new(std::env::current_exe().expect("own executable"))
            .env(worker::WORKER_ENV, args)
            .env("NO_PROXY", "*")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn worker");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut w = Self { child, stdin, stdout };
        assert!(w.line().ends_with("ready"));
        w
    }

    fn line(&mut self) -> String {
        let mut l = String::new();
        assert!(self.stdout.read_line(&mut l).expect("worker stdout") > 0, "worker exited");
        l.trim().to_string()
    }

    fn go(&mut self) {
        self.stdin.write_all(b"go\n").and_then(|()| self.stdin.flush()).expect("worker stdin");
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `FLEET` workers, one round at once, every result line.
fn fleet_round(workers: &mut [Worker]) -> Vec<Value> {
    workers.iter_mut().for_each(Worker::go);
    workers.iter_mut().map(|w| serde_json::from_str(&w.line()).expect("result line")).collect()
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// Logins the moyun emulator sees for a fleet of `vendor` workers, and the median call p50.
async fn logins(vendor: &str, redis: &str) -> (u64, u64, u64) {
    let (emu, server) = MoyunEmulator::start(MoyunConfig::default()).await.expect("emulator");
    let url = server.base_url();
    let redis = redis.to_string();
    let vendor = vendor.to_string();
    let (first, steady) = tokio::task::spawn_blocking(move || {
        let mut workers: Vec<Worker> = (0..FLEET).map(|_| Worker::spawn(&vendor, &url, &redis)).collect();
        let first = fleet_round(&mut workers);
        let steady = fleet_round(&mut workers);
        (first, steady)
    })
    .await
    .expect("fleet");
    assert!(first.iter().chain(&steady).all(|r| r["failed"] == 0), "calls failed: {first:?}");
    let p = |k: &str| median(steady.iter().map(|r| r[k].as_u64().unwrap_or(0)).collect());
    (emu.counters().logins, p("p50_us"), p("p99_us"))
}

fn fresh_cache(store: Option<&SharedStore>) -> CredentialCache<String> {
    let cache = CredentialCache::new(Duration::from_secs(60), Duration::ZERO, |_| async {
        Ok(Loaded { value: "x".repeat(64), expires_in: Some(Duration::from_secs(3600)) })
    });
    match store {
        Some(s) => cache.shared(s, StoreKey::new("bench", "token", "account", "https://bench.example"), TextCodec),
        None => cache,
    }
}

/// Latency (µs, p50 and p99) of `SAMPLES` credential look-ups by a process that does not
/// hold the credential yet (a fresh cache each time): from `store`, or from memory.
async fn lookup(store: Option<&SharedStore>) -> (f64, f64) {
    // Publish once, so every later look-up adopts it.
    fresh_cache(store).get().await.expect("first load");
    let warm = fresh_cache(None);
    warm.get().await.expect("memory");
    let mut samples = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        match store {
            Some(_) => {
                let c = fresh_cache(store);
                c.get().await.expect("adopt");
                assert_eq!(c.stats().loads, 0, "taken from the store, not loaded");
            }
            None => {
                warm.get().await.expect("memory hit");
            }
        }
        samples.push(started.elapsed().as_secs_f64() * 1e6);
    }
    samples.sort_by(f64::total_cmp);
    (samples[SAMPLES / 2], samples[SAMPLES * 99 / 100])
}

fn main() {
    worker::run_if_worker();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let redis = RedisServer::start().expect("redis-server (install it: .ci/install-redis)");
        let (unshared, unshared_p50, unshared_p99) = logins("moyun-local", &redis.url()).await;
        let (shared, shared_p50, shared_p99) = logins("moyun", &redis.url()).await;
        println!("RESULT fleet_processes {FLEET} processes");
        println!("RESULT fleet_logins_unshared {unshared} logins");
        println!("RESULT fleet_logins_shared {shared} logins");
        println!("RESULT fleet_logins_shared_vs_unshared {:.4} ratio", shared as f64 / unshared.max(1) as f64);
        println!("RESULT fleet_call_p50_unshared {unshared_p50} us");
        println!("RESULT fleet_call_p50_shared {shared_p50} us");
        println!("RESULT fleet_call_p99_unshared {unshared_p99} us");
        println!("RESULT fleet_call_p99_shared {shared_p99} us");
        println!("RESULT fleet_call_p50_shared_vs_unshared {:.2} x", shared_p50 as f64 / unshared_p50.max(1) as f64);

        let key = EncryptionKey::parse(KEY).expect("key");
        let on_redis = RedisStore::builder(redis.url(), key).build().expect("store").shared();
        let in_memory = SharedStore::new(Arc::new(MemoryStore::new()));
        let (mem50, mem99) = lookup(None).await;
        let (ms50, ms99) = lookup(Some(&in_memory)).await;
        let (r50, r99) = lookup(Some(&on_redis)).await;
        println!("RESULT fleet_credential_memory_p50 {mem50:.1} us");
        println!("RESULT fleet_credential_memory_p99 {mem99:.1} us");
        println!("RESULT fleet_credential_memory_store_p50 {ms50:.1} us");
        println!("RESULT fleet_credential_memory_store_p99 {ms99:.1} us");
        println!("RESULT fleet_credential_redis_p50 {r50:.1} us");
        println!("RESULT fleet_credential_redis_p99 {r99:.1} us");
        println!("RESULT fleet_credential_added_p50 {:.1} us", r50 - mem50);
        println!("RESULT fleet_credential_added_p99 {:.1} us", r99 - mem99);
        println!("RESULT fleet_credential_redis_vs_memory_store_p50 {:.2} x", r50 / ms50.max(0.001));
    });
}
