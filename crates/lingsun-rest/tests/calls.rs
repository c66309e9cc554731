//! Every call end to end: packages, orders, third-party accounts, regions.

mod common;

use std::time::Duration;

use common::*;
use conf_core::ExposeSecret;
use lingsun_rest::{
    GetAllPackagesRequest, GetPackageRequest, LoginThirdPartyRequest, OpenOrderRequest, OrderPayload, Region, RegisterThirdPartyRequest,
    RemoveThirdPartyRequest,
};

fn body(r: &conf_sandbox::harness::LoggedRequest) -> serde_json::Value {
    serde_json::from_slice(&r.body).unwrap()
}

#[tokio::test]
async fn packages_and_orders() {
    let (emu, server, config) = emulator(Duration::from_secs(3600)).await;
    let client = client(&server, oauth(&config, password_grant(&config), Duration::from_secs(60)));
    let all = client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap().data.unwrap();
    assert_eq!(all[1].id, Some(2));
    assert_eq!(all[1].package_name.as_deref(), Some("包年365-3天"));
    assert_eq!(all[1].deleted, Some(false));
    let one = client.get_package_with(GetPackageRequest::new(1)).await.unwrap().data.unwrap();
    assert_eq!(one.life_cycle.as_deref(), Some("ONE"));
    let sent = body(server.log().entries().last().unwrap());
    assert_eq!(sent["payload"], 1);
    let missing = client.get_package_with(GetPackageRequest::new(99)).await.unwrap_err();
    assert_eq!(missing.vendor_code(), Some("404"), "{missing}");

    let order = client
        .open_order_with(OpenOrderRequest::new(OrderPayload::new("d0app", "user-1", "dev-1", "pay-6", 2).order_number(4)))
        .await
        .unwrap();
    let sent = body(server.log().entries().last().unwrap());
    assert_eq!(sent["payload"]["cloudRecordPackageId"], 2);
    assert_eq!(sent["payload"]["orderNumber"], 4);
    assert_eq!(sent["payload"]["paymentOrderId"], "pay-6");
    assert_eq!(emu.orders()[0].id, order.data.unwrap());

    // every cloud-recorder body carried a fresh UUID trace id and a millisecond timestamp
    let traces = emu.counters().trace_ids;
    assert_eq!(traces.len(), 4);
    let mut unique = traces.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), traces.len());
    let ts = sent["header"]["timestamp"].as_u64().unwrap();
    assert!(ts > 1_600_000_000_000, "{ts}");
}

#[tokio::test]
async fn third_party_register_login_remove() {
    let (emu, server, config) = emulator(Duration::from_secs(3600)).await;
    let client = client(&server, oauth(&config, password_grant(&config), Duration::from_secs(60)));
    let reg = client.register_third_party_with(RegisterThirdPartyRequest::new("1254", "xiaobai6")).await.unwrap().data.unwrap();
    let token = reg.token.clone().unwrap();
    assert_eq!(emu.accounts()[0].token, token.expose_secret());
    assert!(!format!("{reg:?}").contains(token.expose_secret()));

    let secret = || conf_core::secret::secret(config.client_secret.clone());
    let login = client
        .login_third_party_with(LoginThirdPartyRequest::new(config.client_id.clone(), secret(), "1254", "xiaobai6", token.clone()))
        .await
        .unwrap()
        .data
        .unwrap();
    let sent = body(server.log().entries().last().unwrap());
    assert_eq!(sent["clientSecret"], config.client_secret.as_str());
    assert_eq!(sent["token"], token.expose_secret());
    let ls = login.ls_token.as_ref().unwrap();
    assert_eq!(ls.token_type.as_deref(), Some("bearer"));
    assert!(ls.access_token.as_ref().unwrap().expose_secret().starts_with("at-"));
    let gy = login.gy_token.as_ref().unwrap();
    assert_eq!(gy.region.as_deref(), Some("cn-north-1"));
    assert_eq!(gy.expiration, Some(7200));
    let proof = gy.proof.as_ref().unwrap();
    let secret_key = proof.secret_key.as_ref().unwrap().expose_secret().to_string();
    assert!(secret_key.starts_with("secret-key-"));
    let debug = format!("{login:?}");
    for s in [secret_key.as_str(), ls.access_token.as_ref().unwrap().expose_secret(), gy.granwin_token.as_ref().unwrap().expose_secret()] {
        assert!(!debug.contains(s), "{debug}");
    }

    client.remove_third_party_with(RemoveThirdPartyRequest::new("1254", "xiaobai6", token.clone())).await.unwrap();
    assert!(emu.accounts().is_empty());
    let err = client
        .login_third_party_with(LoginThirdPartyRequest::new(config.client_id.clone(), secret(), "1254", "xiaobai6", token))
        .await
        .unwrap_err();
    assert_eq!(err.vendor_code(), Some("999999"));
    assert!(err.to_string().contains("The user not exists"), "{err}");
}

#[tokio::test]
async fn north_america_region_segment() {
    let (emu, server, config) = emulator(Duration::from_secs(3600)).await;
    let client = fast(oauth(&config, password_grant(&config), Duration::from_secs(60)))
        .region(Region::Na)
        .base_url(server.base_url())
        .build()
        .unwrap();
    client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap();
    let paths: Vec<_> = server.log().entries().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/agoralink/na/api/oauth/rest-token", "/agoralink/na/api/cloud-recorder/cloud-record-package/v1/getAll"]);
    assert_eq!(emu.grants("password"), 1);
}
