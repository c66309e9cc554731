//! Domain failover over real loopback sockets.

mod common;

use std::time::Duration;

use common::*;
use lingsun_rest::{GetAllPackagesRequest, Hosts, OpenOrderRequest, OrderPayload};

#[tokio::test]
async fn closed_primary_fails_over_to_the_other_primary_and_is_remembered() {
    let (emu, server, config) = emulator(Duration::from_secs(3600)).await;
    let dead = closed_port_url();
    let live: url::Url = server.base_url().parse().unwrap();
    let client = fast(oauth(&config, password_grant(&config), Duration::from_secs(60)))
        .hosts(Hosts::custom(dead, live.clone(), Vec::new()))
        .build()
        .unwrap();
    // the token request itself fails over: primary, primary again, then the second host
    let all = client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap();
    assert_eq!(all.data.unwrap().len(), 2);
    assert_eq!(emu.grants("password"), 1);
    assert_eq!(client.resolver().remembered().map(|u| u.origin()), Some(live.origin()));

    // a non-idempotent POST fails over too (nothing was sent to the dead host)
    client.resolver().set_hosts(Hosts::custom(closed_port_url(), live.clone(), Vec::new()));
    let payload = OrderPayload::new("app", "user-1", "dev-1", "pay-1", 2);
    let opened = client.open_order_with(OpenOrderRequest::new(payload)).await.unwrap();
    assert!(opened.data.unwrap().starts_with("order"));
    assert_eq!(emu.orders().len(), 1, "opened exactly once");
}

#[tokio::test]
async fn network_failure_skips_the_other_primary_for_the_regional_host() {
    let (_emu, server, config) = emulator(Duration::from_secs(3600)).await;
    let (emu2, server2) = conf_sandbox::lingsun::LingsunEmulator::start(config.clone()).await.unwrap();
    let dead = closed_port_url();
    let client = fast(oauth(&config, password_grant(&config), Duration::from_secs(60)))
        .hosts(Hosts::custom(dead, server.base_url().parse().unwrap(), vec![server2.base_url().parse().unwrap()]))
        .build()
        .unwrap();
    client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap();
    // connection refused is a network failure, not a DNS failure: the second primary is skipped
    assert_eq!(server.log().len(), 0, "the other primary was skipped");
    assert_eq!(emu2.grants("password"), 1);
    assert_eq!(server2.log().len(), 2);
}

#[tokio::test]
async fn all_hosts_down_is_a_transport_error_after_every_attempt() {
    let (_emu, _server, config) = emulator(Duration::from_secs(3600)).await;
    let client = fast(oauth(&config, password_grant(&config), Duration::from_secs(60)))
        .hosts(Hosts::custom(closed_port_url(), closed_port_url(), vec![closed_port_url()]))
        .build()
        .unwrap();
    let err = client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap_err();
    assert!(err.nothing_sent(), "{err}");
    assert_eq!(err.request().map(|r| r.attempts), Some(5), "{err}");
}
