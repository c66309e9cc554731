// Shared setup of the ytx integration tests (included with `mod common;`).
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use conf_sandbox::harness::Server;
use conf_sandbox::ytx::{YtxConfig, YtxEmulator};
use ytx_telemeeting::{Clock, YtxClient};

/// 2013-02-01 07:00:00 UTC = 2013-02-01 15:00:00 in Beijing.
pub const T0: u64 = 1_359_702_000;

pub fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

pub fn fixed(secs: u64) -> Clock {
    Arc::new(move || at(secs))
}

/// A clock that moves one second forward every time it is read.
pub fn stepping(start: u64) -> Clock {
    let n = Arc::new(AtomicU64::new(start));
    Arc::new(move || at(n.fetch_add(1, Ordering::SeqCst)))
}

pub async fn emulator() -> (YtxEmulator, Server, YtxConfig) {
    let config = YtxConfig::default();
    let (emu, server) = YtxEmulator::start(config.clone()).await.expect("start emulator");
    emu.set_clock(Some(at(T0)));
    (emu, server, config)
}

pub fn client(server: &Server, config: &YtxConfig, clock: Clock) -> YtxClient {
    YtxClient::builder(config.account_sid.clone(), conf_core::secret::secret(config.auth_token.clone()), config.app_id.clone())
        .config(
            conf_core::ClientConfig::parse(&server.base_url()).expect("base url").retry(
                conf_core::RetryPolicy::default()
                    .max_attempts(3)
                    .initial_backoff(Duration::from_millis(5))
                    .max_backoff(Duration::from_millis(20)),
            ),
        )
        .clock(clock)
        .build()
        .expect("client")
}

pub fn path(config: &YtxConfig) -> String {
    format!("/201612/sid/{}/call/TeleMeeting.wx", config.account_sid)
}
