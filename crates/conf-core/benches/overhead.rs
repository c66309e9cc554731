//! conf-core overhead: a small authenticated JSON POST through the full stack
//! (trace, API-Level, auth, retry, timeout) vs the same request with bare reqwest,
//! against one loopback hyper server, at concurrency 1 and 64.
//!
//! Rounds alternate baseline and stack so machine noise hits both alike (and which side runs
//! first alternates from round to round); each round gives
//! one stack/bare ratio, and the median ratio is reported with its spread (min..max over the
//! rounds). Throughput on a shared machine swings by 2x between runs, so a load-independent
//! figure follows when valgrind is installed: instructions per request for each side, counted
//! by callgrind as the difference between two runs of different lengths (which cancels start-up
//! and warm-up). Output lines `RESULT <name> <value> <unit>` are collected by `cargo xtask bench`.
//!
//! Run: `cargo bench -p conf-core --bench overhead` (env `CONF_BENCH_REQUESTS` scales the work;
//! for profiling, `CONF_BENCH_ONLY=stack|bare` runs one side and `CONF_BENCH_CONCURRENCY=1`
//! (or `64`, or `1,64`) picks the concurrency levels; `CONF_BENCH_ROUNDS` (default 5) sets the
//! number of alternating rounds per level; `CONF_BENCH_CALLGRIND=0` skips the instruction count).

use std::convert::Infallible;
use std::time::{Duration, Instant};

use bytes::Bytes;
use conf_core::auth::Rejection;
use conf_core::{AttemptParts, Body, Client, ClientConfig, CredentialCache, Error, ExposeSecret, Loaded, Operation, SecretString};
use conf_core::{AuthScheme, Identity, IdentityResolver, Signer};
use futures_util::future::BoxFuture;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

struct StaticToken(CredentialCache<SecretString>);

impl IdentityResolver for StaticToken {
    type Credential = SecretString;
    fn resolve(&self) -> BoxFuture<'_, Result<Identity<SecretString>, Error>> {
        Box::pin(async move { Ok(self.0.get().await?.into()) })
    }
    fn classify(&self, e: &Error, identity: &Identity<SecretString>) -> Option<Rejection> {
        (e.http_status() == Some(401)).then(|| Rejection::of(identity))
    }
    fn invalidate(&self, r: Rejection) {
        self.0.invalidate(r.generation());
    }
}

struct Bearer;

impl Signer<SecretString> for Bearer {
    fn sign(&self, identity: &Identity<SecretString>, request: &mut AttemptParts) -> Result<(), Error> {
        // Built per attempt, as a real signer does (sized once: `format!` would regrow).
        let token = identity.credential().expose_secret();
        let mut value = String::with_capacity(7 + token.len());
        value.push_str("Bearer ");
        value.push_str(token);
        request.set_secret_header("authorization", &value)
    }
}

async fn serve() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (sock, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let svc = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                    let ok = req.headers().get("authorization").is_some();
                    let _ = req.into_body().collect().await;
                    let body = if ok { r#"{"success":1,"id":42}"# } else { r#"{"success":0}"# };
                    Ok::<_, Infallible>(
                        hyper::Response::builder()
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from_static(body.as_bytes())))
                            .unwrap(),
                    )
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(sock), svc).await;
            });
        }
    });
    addr
}

const PAYLOAD: &str = r#"{"name":"weekly sync","bitrate":2048,"mts":[{"account":"2322231","protocol":0}]}"#;

/// The baseline: a reqwest client with the settings conf-core gives its own (no redirects,
/// no `Referer`, rustls, the config's connect timeout and user agent, the same pool idle
/// timeout, no proxy), so both sides differ only by the stack.
fn bare_client(config: &ClientConfig) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .use_rustls_tls()
        .connect_timeout(config.connect_timeout)
        .user_agent(config.user_agent.clone())
        .pool_idle_timeout(Duration::from_secs(50))
        .no_proxy()
        .build()
        .unwrap()
}

async fn run_bare(http: &reqwest::Client, url: &str, total: usize, concurrency: usize) -> Duration {
    let start = Instant::now();
    let per = total / concurrency;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let http = http.clone();
            let url = url.to_string();
            tokio::spawn(async move {
                for _ in 0..per {
                    let r = http
                        .post(&url)
                        .header("authorization", "Bearer bench-token")
                        .header("content-type", "application/json")
                        .body(PAYLOAD)
                        .send()
                        .await
                        .unwrap();
                    let v: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
                    assert_eq!(v["success"], 1);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

async fn run_stack(client: &Client, total: usize, concurrency: usize) -> Duration {
    let start = Instant::now();
    let per = total / concurrency;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                for _ in 0..per {
                    let op = Operation::new("bench", "create", http::Method::POST, "/api/v1/create", "/api/v1/create")
                        .body(Body::Json { bytes: Bytes::from_static(PAYLOAD.as_bytes()), content_type: None });
                    let v: serde_json::Value = client.execute_json(op).await.unwrap();
                    assert_eq!(v["success"], 1);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Set in the child processes run under callgrind.
const INSIDE_CALLGRIND: &str = "CONF_BENCH_INSIDE_CALLGRIND";

/// Instructions one run of this bench executes with only `side` at concurrency 1 for `n`
/// requests, counted by callgrind; `None` when valgrind is missing or the run fails.
fn callgrind_instructions(side: &str, n: usize) -> Option<u64> {
    let exe = std::env::current_exe().ok()?;
    let out = std::process::Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(exe)
        .env(INSIDE_CALLGRIND, "1")
        .env("CONF_BENCH_ONLY", side)
        .env("CONF_BENCH_CONCURRENCY", "1")
        .env("CONF_BENCH_ROUNDS", "1")
        .env("CONF_BENCH_REQUESTS", (n * 4).to_string())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.lines().find(|l| l.contains("Collected :"))?;
    line.rsplit(':').next()?.trim().parse().ok()
}

/// Marginal instructions per request of `side`: (I(long) - I(short)) / (long - short).
fn instructions_per_request(side: &str) -> Option<f64> {
    let (short, long) = (200, 1200);
    let a = callgrind_instructions(side, short)?;
    let b = callgrind_instructions(side, long)?;
    Some(b.saturating_sub(a) as f64 / (long - short) as f64)
}

fn report_instructions() {
    if std::env::var(INSIDE_CALLGRIND).is_ok() || std::env::var("CONF_BENCH_CALLGRIND").is_ok_and(|v| v == "0") {
        return;
    }
    let installed = std::process::Command::new("valgrind").arg("--version").output().is_ok_and(|o| o.status.success());
    if !installed {
        println!("instructions per request: valgrind not installed, skipped (load-independent figure unavailable)");
        return;
    }
    match (instructions_per_request("bare"), instructions_per_request("stack")) {
        (Some(bare), Some(stack)) => {
            // Client-side work is what differs; the loopback server's share is in both.
            let ratio = bare / stack;
            println!(
                "instructions per request (callgrind, concurrency 1, client + loopback server): bare {bare:.0}, stack {stack:.0}, \
                 bare/stack {ratio:.3} (load-independent; >= 0.95 means the stack costs at most ~5% more work)"
            );
            println!("RESULT core_overhead_instr_bare {bare:.0} instr/req");
            println!("RESULT core_overhead_instr_stack {stack:.0} instr/req");
            println!("RESULT core_overhead_instr_ratio {ratio:.3} x");
        }
        _ => println!("instructions per request: a callgrind run failed, skipped"),
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let addr = serve().await;
        let base = format!("http://{addr}");
        let url = format!("{base}/api/v1/create");
        let config = ClientConfig::parse(&base).unwrap().proxy_from_env(false);
        let http = bare_client(&config);
        let cache = CredentialCache::new(Duration::from_secs(1), Duration::ZERO, |_| async {
            Ok(Loaded { value: SecretString::from("bench-token".to_string()), expires_in: Some(Duration::from_secs(3600)) })
        });
        let client = Client::builder(config).authenticator(AuthScheme::new(StaticToken(cache), Bearer).into_dyn()).build().unwrap();
        let total: usize = std::env::var("CONF_BENCH_REQUESTS").ok().and_then(|v| v.parse().ok()).unwrap_or(4000);
        // warm up connection pools
        run_bare(&http, &url, 256, 64).await;
        run_stack(&client, 256, 64).await;
        println!("conf-core overhead: {total} authenticated JSON POSTs per round, loopback hyper server");
        let levels: Vec<usize> = match std::env::var("CONF_BENCH_CONCURRENCY") {
            Ok(v) => v.split(',').filter_map(|c| c.trim().parse().ok()).collect(),
            Err(_) => vec![1, 64],
        };
        let rounds: usize = std::env::var("CONF_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
        for concurrency in levels {
            let n = if concurrency == 1 { total / 4 } else { total };
            let (mut bare, mut stack) = (Vec::new(), Vec::new());
            let only = std::env::var("CONF_BENCH_ONLY").unwrap_or_default();
            for round in 0..rounds {
                // Which side goes first alternates: the second run of a pair meets the
                // connections, allocator and caches the first one left.
                let stack_first = round % 2 == 1;
                if stack_first && only != "bare" {
                    stack.push(n as f64 / run_stack(&client, n, concurrency).await.as_secs_f64());
                }
                if only != "stack" {
                    bare.push(n as f64 / run_bare(&http, &url, n, concurrency).await.as_secs_f64());
                }
                if !stack_first && only != "bare" {
                    stack.push(n as f64 / run_stack(&client, n, concurrency).await.as_secs_f64());
                }
            }
            if !only.is_empty() {
                println!("profiling run ({only} only)");
                continue;
            }
            // One ratio per round: both sides of a round ran back to back under the same load.
            let ratios: Vec<f64> = stack.iter().zip(&bare).map(|(s, b)| s / b).collect();
            let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let ratio = median(ratios);
            let (b, s) = (median(bare), median(stack));
            println!(
                "concurrency {concurrency:>2}: bare reqwest {b:>9.0} req/s, conf-core stack {s:>9.0} req/s, \
                 median ratio {ratio:.3} (spread {lo:.3}..{hi:.3} over {rounds} rounds; target >= 0.95)"
            );
            println!("RESULT core_overhead_c{concurrency}_bare {b:.0} req/s");
            println!("RESULT core_overhead_c{concurrency}_stack {s:.0} req/s");
            println!("RESULT core_overhead_c{concurrency}_ratio {ratio:.3} x");
            println!("RESULT core_overhead_c{concurrency}_ratio_min {lo:.3} x");
            println!("RESULT core_overhead_c{concurrency}_ratio_max {hi:.3} x");
        }
    });
    report_instructions();
}
