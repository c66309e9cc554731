//! Fleet mode end to end: separate OS processes (this test executable, re-run in worker
//! mode several times) share credentials and sessions through a real `redis-server`,
//! against the emulators.

#[path = "support/worker.rs"]
mod worker;

use std::process::Stdio;
use std::time::Duration;

use conf_redis::testing::RedisServer;
use conf_sandbox::harness::{Fault, FaultRule, Server};
use conf_sandbox::lingsun::{LingsunConfig, LingsunEmulator};
use conf_sandbox::moyun::{MoyunConfig, MoyunEmulator};
use conf_sandbox::vmr::{VmrConfig, VmrEmulator};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

const KEY: &str = "8f1c2a9e4b7d6053a1e2f3c4b5a69788796a5b4c3d2e1f00112233445566778f";
const ROOM: &str = "meet@vmr.example";

/// One `fleet_worker` process.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Worker {
    async fn spawn(vendor: &str, emulator: &str, redis: &str, calls: usize, lease_ms: u64) -> Self {
        let args = [vendor, emulator, redis, KEY, &calls.to_string(), &lease_ms.to_string()].join(" ");
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "worker_entry", "--nocapture", "--test-threads", "1"])
            .env(worker::WORKER_ENV, args)
            .env("NO_PROXY", "*")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn fleet_worker");
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut w = Self { child, stdin, lines };
        w.line(|l| l.ends_with("ready")).await;
        w
    }

    /// The next line `wanted` accepts (the test harness prints lines of its own).
    async fn line(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        loop {
            let line = tokio::time::timeout(Duration::from_secs(60), self.lines.next_line())
                .await
                .expect("worker answered in time")
                .expect("worker stdout")
                .expect("worker exited early");
            if wanted(&line) {
                return line;
            }
        }
    }

    /// Start a round of calls (all workers can be started before collecting).
    async fn go(&mut self) {
        self.stdin.write_all(b"go\n").await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    async fn result(&mut self) -> Value {
        serde_json::from_str(&self.line(|l| l.starts_with('{')).await).expect("JSON result line")
    }

    /// SIGKILL.
    async fn kill(mut self) {
        self.child.kill().await.expect("SIGKILL");
    }
}

async fn spawn_all(n: usize, vendor: &str, emulator: &str, redis: &str, calls: usize) -> Vec<Worker> {
    let mut v = Vec::new();
    for _ in 0..n {
        v.push(Worker::spawn(vendor, emulator, redis, calls, 2000).await);
    }
    v
}

/// One round on every worker at once: every result.
async fn round(workers: &mut [Worker]) -> Vec<Value> {
    for w in workers.iter_mut() {
        w.go().await;
    }
    let mut out = Vec::new();
    for w in workers.iter_mut() {
        out.push(w.result().await);
    }
    out
}

/// Worker mode (see `support/worker.rs`): a no-op unless the parent test set its arguments.
#[test]
fn worker_entry() {
    worker::run_if_worker();
}

fn assert_no_failure(results: &[Value], calls: u64) {
    for r in results {
        assert_eq!(r["failed"], 0, "{r}");
        assert_eq!(r["ok"], calls, "{r}");
    }
}

/// Every key and value in Redis is free of every `secret`.
fn assert_nothing_in_clear(redis: &RedisServer, secrets: &[String]) {
    let dump = redis.dump().expect("dump");
    assert!(!dump.is_empty(), "nothing was shared");
    for (name, content) in &dump {
        for s in secrets.iter().filter(|s| s.len() >= 4) {
            assert!(!name.contains(s.as_str()), "key {name} names a secret");
            assert!(!content.windows(s.len()).any(|w| w == s.as_bytes()), "key {name} holds a secret in clear");
        }
    }
}

/// The credentials the emulator's log saw: `account_token`s and session cookies.
fn moyun_secrets_seen(server: &Server, cfg: &MoyunConfig) -> Vec<String> {
    let mut out = vec![cfg.app_key.clone(), cfg.app_secret.clone()];
    for (u, p) in &cfg.users {
        out.push(u.clone());
        out.push(p.clone());
    }
    for r in server.log().entries() {
        if let Some(t) = r.query_param("account_token") {
            out.push(t);
        }
        if let Some(c) = r.header("cookie").and_then(|c| c.strip_prefix("SSO_COOKIE_KEY=")) {
            out.push(c.split(';').next().unwrap_or_default().to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn moyun_eight_processes_fifty_calls_one_token_one_login() {
    let redis = RedisServer::start().expect("redis-server (install it: .ci/install-redis)");
    let cfg = MoyunConfig::default();
    let (emu, server) = MoyunEmulator::start(cfg.clone()).await.unwrap();
    // A first process logs in and shares the session; then the platform expires it.
    let mut seed = Worker::spawn("moyun", &server.base_url(), &redis.url(), 1, 2000).await;
    seed.go().await;
    assert_no_failure(&[seed.result().await], 1);
    drop(seed);
    emu.expire_all();
    let before = emu.counters();

    let mut workers = spawn_all(8, "moyun", &server.base_url(), &redis.url(), 50).await;
    let results = round(&mut workers).await;
    assert_no_failure(&results, 50);
    let after = emu.counters();
    assert_eq!(after.token_requests - before.token_requests, 1, "{results:?}");
    assert_eq!(after.logins - before.logins, 1, "{results:?}");
    assert_eq!(results.iter().map(|r| r["logins"].as_u64().unwrap()).sum::<u64>(), 1);
    assert_eq!(results.iter().map(|r| r["store_errors"].as_u64().unwrap()).sum::<u64>(), 0);
    assert_nothing_in_clear(&redis, &moyun_secrets_seen(&server, &cfg));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lingsun_eight_processes_fifty_calls_one_grant() {
    let redis = RedisServer::start().expect("redis-server");
    let cfg = LingsunConfig::default();
    let (emu, server) = LingsunEmulator::start(cfg.clone()).await.unwrap();
    let mut seed = Worker::spawn("lingsun", &server.base_url(), &redis.url(), 1, 2000).await;
    seed.go().await;
    assert_no_failure(&[seed.result().await], 1);
    drop(seed);
    emu.expire_tokens();
    let grants = |e: &LingsunEmulator| ["password", "refresh_token", "client_credentials"].iter().map(|g| e.grants(g)).sum::<u64>();
    let before = grants(&emu);

    let mut workers = spawn_all(8, "lingsun", &server.base_url(), &redis.url(), 50).await;
    let results = round(&mut workers).await;
    assert_no_failure(&results, 50);
    assert_eq!(grants(&emu) - before, 1, "{results:?}");
    // The tokens the emulator issued are not in Redis in clear.
    let mut secrets = vec![cfg.client_secret.clone(), cfg.users[0].1.clone()];
    for r in server.log().entries() {
        if let Some(a) = r.header("authorization").and_then(|a| a.strip_prefix("Bearer ")) {
            secrets.push(a.to_string());
        }
    }
    assert_nothing_in_clear(&redis, &secrets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn moyun_lease_holder_killed_mid_login() {
    let redis = RedisServer::start().expect("redis-server");
    let (emu, server) = MoyunEmulator::start(MoyunConfig::default()).await.unwrap();
    // The first login hangs 3 s: its process is killed meanwhile, holding the lease.
    let slow = server.faults().add(FaultRule::new(Fault::Delay(Duration::from_secs(3))).path_exact("/api/v1/system/login").times(1));
    let mut holder = Worker::spawn("moyun", &server.base_url(), &redis.url(), 50, 1500).await;
    holder.go().await;
    tokio::time::timeout(Duration::from_secs(20), async {
        while server.faults().applied(slow) != Some(1) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the holder's login reached the platform");
    let mut others = Vec::new();
    for _ in 0..3 {
        others.push(Worker::spawn("moyun", &server.base_url(), &redis.url(), 50, 1500).await);
    }
    for w in &mut others {
        w.go().await;
    }
    holder.kill().await;
    let mut results = Vec::new();
    for w in &mut others {
        results.push(w.result().await);
    }
    assert_no_failure(&results, 50);
    let c = emu.counters();
    assert!(c.logins <= 2, "{c:?}");
    assert_eq!(c.token_requests, 1, "{c:?}");
    assert_eq!(results.iter().map(|r| r["logins"].as_u64().unwrap()).sum::<u64>(), 1, "one survivor completed the login");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn moyun_redis_stopped_and_restarted() {
    let mut redis = RedisServer::start().expect("redis-server");
    let (emu, server) = MoyunEmulator::start(MoyunConfig::default()).await.unwrap();
    let mut workers = spawn_all(4, "moyun", &server.base_url(), &redis.url(), 10).await;
    assert_no_failure(&round(&mut workers).await, 10);
    assert_eq!(emu.counters().logins, 1);

    redis.stop();
    emu.expire_all();
    let before = emu.counters().logins;
    let down = round(&mut workers).await;
    assert_no_failure(&down, 10);
    let while_down = emu.counters().logins - before;
    assert!((1..=4).contains(&while_down), "at most one login per process while Redis is down: {while_down}");
    assert!(down.iter().all(|r| r["store_errors"].as_u64().unwrap() >= 1), "{down:?}");

    redis.restart().unwrap();
    // Sharing resumes: within a few rounds, an expired session is renewed once for all.
    let mut resumed = false;
    for _ in 0..10 {
        emu.expire_all();
        let before = emu.counters().logins;
        let r = round(&mut workers).await;
        assert_no_failure(&r, 10);
        if emu.counters().logins - before == 1 {
            resumed = true;
            break;
        }
    }
    assert!(resumed, "sharing did not resume after Redis came back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn vmr_four_processes_one_participant_owner_killed() {
    let redis = RedisServer::start().expect("redis-server");
    let (emu, server) = VmrEmulator::start(VmrConfig::new().token_lifetime(Duration::from_secs(4))).await.unwrap();
    let api_participants = || emu.participants(ROOM).into_iter().filter(|p| p.protocol == "api").count();
    let owner = Worker::spawn("vmr", &server.base_url(), &redis.url(), 5, 2000).await;
    let mut others = spawn_all(3, "vmr", &server.base_url(), &redis.url(), 5).await;
    assert_eq!(emu.stats().tokens_issued, 1, "one session for the four processes");
    assert_eq!(api_participants(), 1);
    assert_no_failure(&round(&mut others).await, 5);

    owner.kill().await;
    // Commands keep working across three token lifetimes, refreshed by the survivors.
    let refreshed = emu.stats().tokens_refreshed;
    tokio::time::timeout(Duration::from_secs(40), async {
        while emu.stats().tokens_refreshed < refreshed + 3 {
            assert_no_failure(&round(&mut others).await, 5);
        }
    })
    .await
    .expect("the survivors kept the session refreshed");
    assert_no_failure(&round(&mut others).await, 5);
    assert_eq!(api_participants(), 1, "still one participant");
    assert_eq!(emu.stats().tokens_issued, 1, "handed over, not reopened");
    let mut secrets = vec!["123456".to_string()];
    secrets.extend(server.log().entries().iter().filter_map(|r| r.header("token").map(str::to_string)));
    assert_nothing_in_clear(&redis, &secrets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn moyun_only_one_process_sends_heartbeats() {
    let redis = RedisServer::start().expect("redis-server");
    let cfg = MoyunConfig::default();
    let (emu, server) = MoyunEmulator::start(cfg.clone()).await.unwrap();
    let interval = Duration::from_millis(200);
    let (user, password) = cfg.users.iter().next().map(|(u, p)| (u.clone(), p.clone())).unwrap();
    // Two clients with their own stores (connections, holder ids): two members of a fleet.
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let store = conf_redis::RedisStore::builder(redis.url(), conf_redis::EncryptionKey::parse(KEY).unwrap()).build().unwrap();
            moyun_api::MoyunClient::builder(
                cfg.app_key.clone(),
                conf_core::secret::secret(cfg.app_secret.clone()),
                user.clone(),
                conf_core::secret::secret(password.clone()),
            )
            .config(conf_core::ClientConfig::parse(&server.base_url()).unwrap().proxy_from_env(false))
            .heartbeat_interval(Some(interval))
            .credential_store(store.shared())
            .build()
            .unwrap()
        })
        .collect();
    for c in &clients {
        c.login().await.unwrap();
    }
    assert_eq!(emu.counters().logins, 1);
    let started = tokio::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(20), async {
        while emu.counters().token_heartbeats < 8 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("heartbeats are sent");
    // One sender: at most one heartbeat per interval elapsed (two senders would send twice as many).
    let ticks = (started.elapsed().as_millis() / interval.as_millis()) as u64;
    let sent = emu.counters().token_heartbeats;
    assert!(sent <= ticks + 2, "{sent} heartbeats in {ticks} intervals: more than one sender");
    assert_eq!(emu.counters().logins, 1);
}
