// Shared setup of the lingsun integration tests (included with `mod common;`).
#![allow(dead_code)]

use std::time::Duration;

use conf_sandbox::harness::Server;
use conf_sandbox::lingsun::{LingsunConfig, LingsunEmulator};
use lingsun_rest::{Area, Grant, Hosts, LingsunClient, LingsunClientBuilder};

pub const TOKEN_PATH: &str = "/agoralink/cn/api/oauth/rest-token";

pub async fn emulator(ttl: Duration) -> (LingsunEmulator, Server, LingsunConfig) {
    let config = LingsunConfig { token_ttl: ttl, ..LingsunConfig::default() };
    let (emu, server) = LingsunEmulator::start(config.clone()).await.expect("start emulator");
    (emu, server, config)
}

pub fn password_grant(config: &LingsunConfig) -> Grant {
    Grant::Password { username: config.users[0].0.clone(), password: conf_core::secret::secret(config.users[0].1.clone()) }
}

/// A builder with the emulator's client credentials, `grant`, renewing `margin` before expiry (no jitter).
pub fn oauth(config: &LingsunConfig, grant: Grant, margin: Duration) -> LingsunClientBuilder {
    LingsunClient::builder(config.client_id.clone(), conf_core::secret::secret(config.client_secret.clone()), grant)
        .token_renewal(margin, Duration::ZERO)
}

/// Quick retries. Every caller sets the hosts (`.hosts(..)` or `.base_url(..)`), which win
/// over the configuration's base URL.
pub fn fast(b: LingsunClientBuilder) -> LingsunClientBuilder {
    let base = Hosts::for_area(Area::ChinaMainland, None).unwrap().primary;
    b.config(
        lingsun_rest::default_config(base)
            .retry(
                conf_core::RetryPolicy::default()
                    .max_attempts(5)
                    .initial_backoff(Duration::from_millis(5))
                    .max_backoff(Duration::from_millis(20)),
            )
            .connect_timeout(Duration::from_secs(2)),
    )
}

pub fn client(server: &Server, oauth: LingsunClientBuilder) -> LingsunClient {
    fast(oauth).hosts(Hosts::single(server.base_url().parse().unwrap())).build().expect("client")
}

/// A loopback URL nobody listens on.
pub fn closed_port_url() -> url::Url {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}").parse().unwrap()
}
