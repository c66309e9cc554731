//! One process of a fleet, for the fleet-mode tests (`tests/fleet.rs`) and the benchmark
//! (`benches/fleet.rs`): both re-run their own executable in worker mode.
//!
//! Arguments: `<moyun|lingsun|vmr|moyun-local> <emulator-url> <redis-url> <key> <calls> [lease-ms]`.
//!
//! Builds the vendor's client in fleet mode on the Redis at `redis-url` (values sealed
//! under `key`, 64 hex digits; `moyun-local`: no store, the unshared baseline), with the
//! emulators' default credentials (vmr: a session on `meet@vmr.example` opened before
//! `ready`), prints `ready`, then for every line read on stdin runs `calls` concurrent
//! calls and prints one JSON line: `{"ok", "failed", "logins", "token_requests", "adopted",
//! "store_errors", "p50_us", "p99_us"}`. Ends at the end of stdin.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use conf_core::secret::secret;
use conf_core::store::{SharedOptions, SharedStore};
use conf_core::{ClientHandle, Operation, RetryPolicy};
use conf_redis::{EncryptionKey, RedisStore};
use serde_json::{Value, json};

const ROOM: &str = "meet@vmr.example";

type Call = Arc<dyn Fn() -> futures_util::future::BoxFuture<'static, Result<(), String>> + Send + Sync>;
type Stats = Box<dyn Fn() -> Value + Send + Sync>;

/// The environment variable that holds a worker's arguments (space-separated).
pub const WORKER_ENV: &str = "CONF_REDIS_FLEET_WORKER";

/// Run as a worker when [`WORKER_ENV`] is set (then exit), else return.
pub fn run_if_worker() {
    let Ok(args) = std::env::var(WORKER_ENV) else { return };
    let args: Vec<String> = args.split(' ').map(str::to_string).collect();
    run(&args);
    std::process::exit(0);
}

fn run(args: &[String]) {
    let [vendor, emulator, redis, key, calls, rest @ ..] = args else {
        panic!("worker arguments: <moyun|lingsun|vmr|moyun-local> <emulator-url> <redis-url> <key> <calls> [lease-ms]");
    };
    let calls: usize = calls.parse().expect("calls");
    let lease = Duration::from_millis(rest.first().map_or(2000, |s| s.parse().expect("lease-ms")));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async move {
        let store = (vendor != "moyun-local").then(|| {
            RedisStore::builder(redis.as_str(), EncryptionKey::parse(key).expect("key"))
                .timeout(Duration::from_millis(300))
                .options(SharedOptions::default().lease_ttl(lease).poll_interval(Duration::from_millis(50)))
                .build()
                .expect("store")
                .shared()
        });
        let (call, stats) = match vendor.as_str() {
            "moyun" | "moyun-local" => moyun(emulator, store),
            "lingsun" => lingsun(emulator, store.expect("store")),
            "vmr" => vmr(emulator, store.expect("store")).await,
            other => panic!("unknown vendor {other}"),
        };
        println!("ready");
        std::io::stdout().flush().expect("stdout");
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(tokio::io::stdin()));
        while let Ok(Some(_)) = lines.next_line().await {
            let futs = (0..calls).map(|_| {
                let call = call.clone();
                async move {
                    let started = Instant::now();
                    let r = call().await;
                    (r, started.elapsed())
                }
            });
            let results = futures_util::future::join_all(futs).await;
            let mut lat: Vec<u128> = results.iter().map(|(_, d)| d.as_micros()).collect();
            lat.sort_unstable();
            let pct = |p: usize| lat.get((lat.len() * p / 100).min(lat.len().saturating_sub(1))).copied().unwrap_or(0);
            let failed: Vec<&String> = results.iter().filter_map(|(r, _)| r.as_ref().err()).collect();
            if let Some(e) = failed.first() {
                eprintln!("fleet_worker: {} call(s) failed, first: {e}", failed.len());
            }
            let mut line = stats();
            line["ok"] = json!(results.len() - failed.len());
            line["failed"] = json!(failed.len());
            line["p50_us"] = json!(pct(50));
            line["p99_us"] = json!(pct(99));
            println!("{line}");
            std::io::stdout().flush().expect("stdout");
        }
    });
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy::default().initial_backoff(Duration::from_millis(5)).max_backoff(Duration::from_millis(50))
}

fn moyun(url: &str, store: Option<SharedStore>) -> (Call, Stats) {
    let emu = conf_sandbox::moyun::MoyunConfig::default();
    let (user, password) = emu.users.iter().next().map(|(u, p)| (u.clone(), p.clone())).expect("an emulator user");
    let core = conf_core::ClientConfig::parse(url).expect("url").retry(fast_retry()).proxy_from_env(false);
    let mut builder = moyun_api::MoyunClient::builder(emu.app_key.clone(), secret(emu.app_secret.clone()), user, secret(password))
        .config(core)
        .heartbeat_interval(None);
    if let Some(store) = store {
        builder = builder.credential_store(store);
    }
    let client = builder.build().expect("moyun client");
    let c = client.clone();
    let call: Call = Arc::new(move || {
        let c = c.clone();
        Box::pin(async move {
            let op = Operation::new("moyun", "vc.list_confs", http::Method::GET, "/api/v1/vc/confs", "/api/v1/vc/confs").min_level("vc", 1);
            c.send(moyun_api::custom::<Value>(op)).await.map(drop).map_err(|e| e.to_string())
        })
    });
    let stats: Stats = Box::new(move || {
        let s = client.session();
        let l = s.login_stats();
        json!({"logins": s.logins(), "token_requests": s.token_requests(), "adopted": l.adopted, "store_errors": l.store_errors})
    });
    (call, stats)
}

fn lingsun(url: &str, store: SharedStore) -> (Call, Stats) {
    let emu = conf_sandbox::lingsun::LingsunConfig::default();
    let (user, password) = emu.users[0].clone();
    let grant = lingsun_rest::Grant::Password { username: user, password: secret(password) };
    let config = lingsun_rest::default_config(url.parse().expect("url")).retry(fast_retry().max_attempts(3));
    let client = lingsun_rest::LingsunClient::builder(emu.client_id.clone(), secret(emu.client_secret.clone()), grant)
        .config(config)
        .hosts(lingsun_rest::Hosts::single(url.parse().expect("url")))
        .token_renewal(Duration::from_secs(1), Duration::ZERO)
        .credential_store(store)
        .build()
        .expect("lingsun client");
    let c = client.clone();
    let call: Call = Arc::new(move || {
        let c = c.clone();
        Box::pin(
            async move { c.get_all_packages_with(lingsun_rest::GetAllPackagesRequest::new()).await.map(drop).map_err(|e| e.to_string()) },
        )
    });
    let stats: Stats = Box::new(move || {
        let s = client.auth().cache().stats();
        json!({"logins": s.loads, "adopted": s.adopted, "store_errors": s.store_errors})
    });
    (call, stats)
}

async fn vmr(url: &str, store: SharedStore) -> (Call, Stats) {
    let mcu = vmr_rest::VmrClient::builder().base_url(url).build().expect("vmr client").mcu(url).expect("node");
    let options = vmr_rest::SessionOptions::new("Robot").pin("123456").credential_store(store);
    let session = mcu.session(ROOM, options).await.expect("shared session");
    let s = session.clone();
    let call: Call = Arc::new(move || {
        let s = s.clone();
        Box::pin(async move { s.conference().lock_with(vmr_rest::LockRequest::new()).await.map_err(|e| e.to_string()) })
    });
    let stats: Stats = Box::new(move || {
        let st = session.stats();
        json!({"logins": st.refreshes + st.renewals, "participant": session.participant_uuid(), "token_generation": session.token_generation()})
    });
    (call, stats)
}
