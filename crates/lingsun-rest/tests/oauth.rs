//! OAuth grants, expiry, refresh, fallback to a full grant, single flight, 401 replay.

mod common;

use std::time::Duration;

use common::*;
use lingsun_rest::{GetAllPackagesRequest, Grant};

#[tokio::test]
async fn password_grant_and_bearer_header() {
    let (emu, server, config) = emulator(Duration::from_secs(3600)).await;
    let client = client(&server, oauth(&config, password_grant(&config), Duration::from_secs(60)));
    let all = client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap();
    assert_eq!(all.data.unwrap().len(), 2);
    client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap();
    assert_eq!(emu.grants("password"), 1, "the token is cached");
    let log = server.log().entries();
    let token_req: serde_json::Value = serde_json::from_slice(&log[0].body).unwrap();
    assert_eq!(log[0].path, TOKEN_PATH);
    assert_eq!(token_req["grant_type"], "password");
    assert_eq!(token_req["username"], config.users[0].0.as_str());
    assert_eq!(token_req["password"], config.users[0].1.as_str());
    assert_eq!(token_req["scope"], "read");
    assert_eq!(token_req["client_id"], config.client_id.as_str());
    assert_eq!(token_req["client_secret"], config.client_secret.as_str());
    let auth = log[1].header("authorization").unwrap();
    assert!(auth.starts_with("Bearer at-"), "{auth}");
    assert_eq!(log[2].header("authorization"), Some(auth));
}

#[tokio::test]
async fn client_credentials_grant() {
    let (emu, server, config) = emulator(Duration::from_secs(3600)).await;
    let client = client(&server, oauth(&config, Grant::ClientCredentials, Duration::from_secs(60)));
    client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap();
    assert_eq!(emu.grants("client_credentials"), 1);
    let body: serde_json::Value = serde_json::from_slice(&server.log().entries()[0].body).unwrap();
    assert_eq!(body["grant_type"], "client_credentials");
    assert!(body.get("username").is_none() && body.get("password").is_none());
}

#[tokio::test]
async fn refused_credentials_are_an_auth_error_without_secrets() {
    let (_emu, server, config) = emulator(Duration::from_secs(3600)).await;
    let bad = Grant::Password { username: config.users[0].0.clone(), password: conf_core::secret::secret("wrong-pass-0815") };
    let oauth_config = oauth(&config, bad, Duration::from_secs(60));
    let config_debug = format!("{oauth_config:?}");
    assert!(!config_debug.contains("wrong-pass-0815") && !config_debug.contains(&config.client_secret), "{config_debug}");
    let client = client(&server, oauth_config);
    let err = client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap_err();
    assert!(matches!(err, conf_core::Error::Auth { .. }), "{err}");
    assert_eq!(err.vendor_code(), Some("400"));
    let text = format!("{err} {err:?} {client:?}");
    assert!(!text.contains("wrong-pass-0815") && !text.contains(&config.client_secret), "{text}");
}

#[tokio::test(start_paused = true)]
async fn expiry_uses_the_refresh_token_grant() {
    let (emu, server, config) = emulator(Duration::from_secs(1)).await;
    let client = client(&server, oauth(&config, password_grant(&config), Duration::ZERO));
    client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap();
    tokio::time::advance(Duration::from_millis(1100)).await;
    client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap();
    assert_eq!(emu.grants("password"), 1);
    assert_eq!(emu.grants("refresh_token"), 1);
    let refresh = server.log().entries().into_iter().filter(|r| r.path == TOKEN_PATH).nth(1).unwrap();
    let body: serde_json::Value = serde_json::from_slice(&refresh.body).unwrap();
    assert_eq!(body["grant_type"], "refresh_token");
    assert!(body["refresh_token"].as_str().unwrap().starts_with("rt-"));
    assert_eq!(emu.counters().unauthorized, 0, "renewed before it expired, never refused");
}

#[tokio::test(start_paused = true)]
async fn rejected_refresh_falls_back_to_a_full_grant() {
    let (emu, server, config) = emulator(Duration::from_secs(1)).await;
    let client = client(&server, oauth(&config, password_grant(&config), Duration::ZERO));
    client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap();
    emu.reject_refresh(true);
    tokio::time::advance(Duration::from_millis(1100)).await;
    client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap();
    assert_eq!(emu.grants("password"), 2);
    assert_eq!(emu.counters().refused_grants.get("refresh_token"), Some(&1));
    assert_eq!(server.log().count("POST", TOKEN_PATH), 3);
}

#[tokio::test]
async fn a_401_renews_once_and_replays() {
    let (emu, server, config) = emulator(Duration::from_secs(3600)).await;
    let client = client(&server, oauth(&config, password_grant(&config), Duration::from_secs(60)));
    client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap();
    emu.expire_tokens();
    let all = client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap();
    assert_eq!(all.data.unwrap().len(), 2);
    assert_eq!(emu.counters().unauthorized, 1);
    assert_eq!(emu.grants("refresh_token"), 1);
    let pkg_path = "/agoralink/cn/api/cloud-recorder/cloud-record-package/v1/getAll";
    assert_eq!(server.log().count("POST", pkg_path), 3, "first call, refused call, one replay");
}

#[tokio::test(start_paused = true)]
async fn hundred_concurrent_calls_through_an_expiry_share_one_token_request() {
    let (emu, server, config) = emulator(Duration::from_secs(1)).await;
    let client = client(&server, oauth(&config, password_grant(&config), Duration::ZERO));
    client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap();
    tokio::time::advance(Duration::from_millis(1100)).await;
    let calls = (0..100).map(|_| {
        let c = client.clone();
        tokio::spawn(async move { c.get_all_packages_with(GetAllPackagesRequest::new()).await })
    });
    for r in futures_util::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    assert_eq!(server.log().count("POST", TOKEN_PATH), 2, "the initial grant and one renewal");
    assert_eq!(emu.grants("refresh_token"), 1);
    assert_eq!(emu.counters().unauthorized, 0);
}
