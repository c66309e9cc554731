//! Session scale: many concurrent live sessions on one shared node client against the
//! in-process vmr emulator, with a short token lifetime, for several lifetimes.
//!
//! Checks: zero failed refreshes (a failed `refresh_session` or a renewal by a new
//! session both count), refreshes spread (share of the busiest 100 ms window), and the
//! client's memory per session, measured with a counting global allocator that counts
//! only the client runtime's threads (the emulator runs on its own runtime). The
//! baseline measured in the same run is the naive design: one node client per session.
//!
//! `cargo bench -p vmr-rest --bench session_scale`; env `VMR_BENCH_SESSIONS` (default
//! 10000), `VMR_BENCH_LIFETIME_S` (4), `VMR_BENCH_LIFETIMES` (3), `VMR_BENCH_NAIVE` (300).
//! Prints `RESULT <name> <value> <unit>` lines.

// A global allocator is an `unsafe impl`; this bench binary is the only place that needs one.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream;

use conf_core::ClientConfig;
use conf_sandbox::vmr::{RoomConfig, VmrConfig, VmrEmulator};
use vmr_rest::{Mcu, SessionOptions, VmrClient, VmrSession};

struct Counting;

static CLIENT_BYTES: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    static CLIENT_THREAD: Cell<bool> = const { Cell::new(false) };
}

fn counted() -> bool {
    CLIENT_THREAD.try_with(Cell::get).unwrap_or(false)
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counter is a side effect.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counted() {
            CLIENT_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if counted() {
            CLIENT_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counted() {
            CLIENT_BYTES.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

const ROOMS: usize = 100;

fn room(i: usize) -> String {
    format!("room{}@vmr.example", i % ROOMS)
}

async fn open_all(mcus: &[Mcu], n: usize) -> Vec<VmrSession> {
    stream::iter(0..n)
        .map(|i| {
            let mcu = mcus[i % mcus.len()].clone();
            async move {
                let mut attempt = 0;
                loop {
                    match mcu.session(&room(i), SessionOptions::new(format!("bot {i}")).pin("123456")).await {
                        Ok(s) => return s,
                        Err(e) if attempt < 3 => {
                            attempt += 1;
                            eprintln!("new_session {i} failed ({e}); retrying");
                        }
                        Err(e) => panic!("new_session {i}: {e}"),
                    }
                }
            }
        })
        .buffer_unordered(64)
        .collect()
        .await
}

async fn close_all(sessions: Vec<VmrSession>) {
    stream::iter(sessions).for_each_concurrent(64, |s| async move { s.close().await.expect("close") }).await;
}

fn node_config(base: &str) -> ClientConfig {
    ClientConfig::parse(base).expect("base url").attempt_timeout(Duration::from_secs(10)).operation_deadline(Duration::from_secs(20))
}

/// A new client of the node at `base` (its own connection pool and stack); the
/// `VmrClient` that made it is dropped, so only the node client stays.
fn new_node(base: &str) -> Mcu {
    VmrClient::builder().config(node_config(base)).build().expect("client").mcu(base).expect("mcu")
}

fn main() {
    let n = env("VMR_BENCH_SESSIONS", 10_000) as usize;
    let lifetime = Duration::from_secs(env("VMR_BENCH_LIFETIME_S", 4));
    let lifetimes = env("VMR_BENCH_LIFETIMES", 3) as u32;
    let naive_n = (env("VMR_BENCH_NAIVE", 300) as usize).min(n).max(1);

    let emu_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("emulator runtime");
    let rooms = (0..ROOMS).map(|i| RoomConfig::new(room(i), format!("{}", 5000 + i)).host_pin("123456")).collect();
    let config = VmrConfig::new().token_lifetime(lifetime).rooms(rooms);
    let (emu, server) = emu_rt.block_on(async { VmrEmulator::start(config).await }).expect("emulator");
    let base = server.base_url();

    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .on_thread_start(|| CLIENT_THREAD.with(|c| c.set(true)))
        .build()
        .expect("client runtime");

    println!("session scale: {n} sessions, {} s tokens, {lifetimes} lifetimes, {ROOMS} rooms", lifetime.as_secs());
    let (per_session, peak_per_session, total_refreshes, failed, max_share, open_secs) = client_rt.block_on(async {
        let mcu = new_node(&base);
        // Warm up the shared client (connection pool, TLS-free loopback), then measure from here.
        let warm = open_all(std::slice::from_ref(&mcu), 64).await;
        close_all(warm).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let before = CLIENT_BYTES.load(Ordering::Relaxed);
        let refreshed_before = emu.stats().tokens_refreshed;

        let t0 = std::time::Instant::now();
        let sessions = open_all(std::slice::from_ref(&mcu), n).await;
        let open_secs = t0.elapsed().as_secs_f64();
        let after_open = CLIENT_BYTES.load(Ordering::Relaxed);
        let per_session = (after_open - before) as f64 / n as f64;

        // Sample the emulator's refresh counter every 10 ms for the run.
        let run = lifetime * lifetimes;
        let start = tokio::time::Instant::now();
        let mut samples = vec![(Duration::ZERO, emu.stats().tokens_refreshed)];
        let mut peak = after_open;
        while start.elapsed() < run {
            tokio::time::sleep(Duration::from_millis(10)).await;
            samples.push((start.elapsed(), emu.stats().tokens_refreshed));
            peak = peak.max(CLIENT_BYTES.load(Ordering::Relaxed));
        }
        let mut windows = vec![0u64; (run.as_millis() / 100 + 1) as usize];
        for w in samples.windows(2) {
            let last = windows.len() - 1;
            let idx = ((w[1].0.as_millis() / 100) as usize).min(last);
            windows[idx] += w[1].1 - w[0].1;
        }
        let total: u64 = windows.iter().sum();
        let max_share = windows.iter().copied().max().unwrap_or(0) as f64 / total.max(1) as f64;
        let failed: u64 = sessions.iter().map(|s| s.stats().refresh_failures + s.stats().renewals).sum();
        let live = emu.live_sessions();
        assert!(live >= n as u64, "only {live} of {n} sessions live at the end");
        close_all(sessions).await;
        let _ = refreshed_before;
        (per_session, (peak - before) as f64 / n as f64, total, failed, max_share, open_secs)
    });

    // Baseline: the naive design, one node client (connection pool, tower stack) per session.
    let naive_per_session = client_rt.block_on(async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let before = CLIENT_BYTES.load(Ordering::Relaxed);
        let mcus: Vec<Mcu> = (0..naive_n).map(|_| new_node(&base)).collect();
        let sessions = open_all(&mcus, naive_n).await;
        let after = CLIENT_BYTES.load(Ordering::Relaxed);
        close_all(sessions).await;
        drop(mcus);
        (after - before) as f64 / naive_n as f64
    });

    println!("  opened {n} sessions in {open_secs:.2} s");
    println!("RESULT vmr_sessions {n} sessions");
    println!("RESULT vmr_session_refreshes {total_refreshes} refreshes");
    println!("RESULT vmr_session_failed_refreshes {failed} count");
    println!("RESULT vmr_session_refresh_busiest_100ms_window_pct {:.2} %", max_share * 100.0);
    println!("RESULT vmr_session_client_bytes_per_session {per_session:.0} bytes");
    println!("RESULT vmr_session_client_peak_bytes_per_session {peak_per_session:.0} bytes");
    println!("RESULT vmr_session_naive_bytes_per_session {naive_per_session:.0} bytes");
    println!("RESULT vmr_session_memory_naive_vs_shared {:.1} ratio", naive_per_session / per_session.max(1.0));
    println!("RESULT vmr_session_memory_vs_16kib_target {:.2} ratio", per_session / 16384.0);
    let ok = failed == 0 && max_share <= 0.05 && per_session < 16384.0;
    println!("session scale targets (0 failed, busiest window <= 5%, < 16 KiB/session): {}", if ok { "met" } else { "NOT met" });
    drop(client_rt);
    emu_rt.block_on(server.shutdown());
}
