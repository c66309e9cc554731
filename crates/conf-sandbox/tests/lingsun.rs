//! The lingsun emulator checked against the vendor document with a raw HTTP client.

use std::time::Duration;

use conf_sandbox::lingsun::{LingsunConfig, LingsunEmulator};
use serde_json::{Value, json};

async fn post(url: String, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut rb = reqwest::Client::new().post(url).header("Content-Type", "application/json").body(body.to_string());
    if let Some(t) = token {
        rb = rb.header("Authorization", format!("Bearer {t}"));
    }
    let r = rb.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn header() -> Value {
    json!({"traceId": "0f8fad5b-d9cb-469f-a165-70867728950e", "timestamp": 1_667_377_173_954_i64})
}

#[tokio::test(start_paused = true)]
async fn grants_expiry_refresh_and_calls() {
    let cfg = LingsunConfig { token_ttl: Duration::from_secs(1), ..LingsunConfig::default() };
    let (emu, server) = LingsunEmulator::start(cfg.clone()).await.unwrap();
    let token_url = server.url("/agoralink/cn/api/oauth/rest-token");
    let all_url = server.url("/agoralink/cn/api/cloud-recorder/cloud-record-package/v1/getAll");

    let grant = json!({"grant_type": "password", "username": cfg.users[0].0, "password": cfg.users[0].1, "scope": "read",
        "client_id": cfg.client_id, "client_secret": cfg.client_secret});
    let (status, r) = post(token_url.clone(), None, grant.clone()).await;
    assert_eq!(status, 200);
    assert_eq!((r["code"].clone(), r["success"].clone(), r["data"]["token_type"].clone()), (json!(0), json!(true), json!("bearer")));
    assert_eq!(r["data"]["expires_in"], 1);
    let access = r["data"]["access_token"].as_str().unwrap().to_string();
    let refresh = r["data"]["refresh_token"].as_str().unwrap().to_string();

    let (status, r) = post(all_url.clone(), Some(&access), json!({"header": header()})).await;
    assert_eq!(status, 200);
    assert_eq!(r["data"].as_array().unwrap().len(), 2);
    // no header: refused by the envelope
    let (_, r) = post(all_url.clone(), Some(&access), json!({})).await;
    assert_eq!(r["success"], false);
    // no token: 401
    assert_eq!(post(all_url.clone(), None, json!({"header": header()})).await.0, 401);

    emu.expire_tokens();
    let (status, r) = post(all_url.clone(), Some(&access), json!({"header": header()})).await;
    assert_eq!((status, r["msg"].clone()), (401, json!("invalid_token")));

    let refresh_grant = json!({"grant_type": "refresh_token", "refresh_token": refresh, "scope": "read",
        "client_id": cfg.client_id, "client_secret": cfg.client_secret});
    let (status, r) = post(token_url.clone(), None, refresh_grant.clone()).await;
    assert_eq!(status, 200, "{r}");
    let access2 = r["data"]["access_token"].as_str().unwrap().to_string();
    // a refresh token is single use
    let (status, r) = post(token_url.clone(), None, refresh_grant).await;
    assert_eq!((status, r["msg"].clone()), (400, json!("invalid_grant")));
    assert_eq!(post(all_url.clone(), Some(&access2), json!({"header": header()})).await.0, 200);

    // tokens expire on their own after token_ttl (the emulator reads tokio's clock: paused here)
    tokio::time::advance(Duration::from_millis(1100)).await;
    assert_eq!(post(all_url, Some(&access2), json!({"header": header()})).await.0, 401);

    // steering: refuse every refresh
    let (_, r) = post(
        token_url.clone(),
        None,
        json!({"grant_type": "client_credentials", "scope": "read", "client_id": cfg.client_id, "client_secret": cfg.client_secret}),
    )
    .await;
    emu.reject_refresh(true);
    let rt = r["data"]["refresh_token"].as_str().unwrap();
    let (status, _) = post(token_url.clone(), None, json!({"grant_type": "refresh_token", "refresh_token": rt, "scope": "read", "client_id": cfg.client_id, "client_secret": cfg.client_secret})).await;
    assert_eq!(status, 400);
    // bad client secret and bad scope
    let (status, _) = post(
        token_url.clone(),
        None,
        json!({"grant_type": "client_credentials", "scope": "read", "client_id": cfg.client_id, "client_secret": "x"}),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = post(
        token_url,
        None,
        json!({"grant_type": "client_credentials", "scope": "write", "client_id": cfg.client_id, "client_secret": cfg.client_secret}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(emu.grants("password"), 1);
    assert_eq!(emu.grants("refresh_token"), 1);
    assert_eq!(emu.grants("client_credentials"), 1);
}

#[tokio::test]
async fn orders_and_third_party_accounts() {
    let cfg = LingsunConfig::default();
    let (emu, server) = LingsunEmulator::start(cfg.clone()).await.unwrap();
    let (_, r) = post(
        server.url("/agoralink/na/api/oauth/rest-token"),
        None,
        json!({"grant_type": "client_credentials", "scope": "read", "client_id": cfg.client_id, "client_secret": cfg.client_secret}),
    )
    .await;
    let t = r["data"]["access_token"].as_str().unwrap().to_string();
    let url = |p: &str| server.url(&format!("/agoralink/na/api/{p}"));

    let (_, r) = post(url("cloud-recorder/cloud-record-package/v1/getById"), Some(&t), json!({"header": header(), "payload": 2})).await;
    assert_eq!(r["data"]["lifeCycle"], "THREE");
    let order =
        json!({"appId": "d0", "userId": "u1", "deviceId": "d1", "paymentOrderId": "p6", "cloudRecordPackageId": 2, "orderNumber": 4});
    let (_, r) = post(url("cloud-recorder/cloud-record-order/v1/open"), Some(&t), json!({"header": header(), "payload": order})).await;
    assert_eq!(r["success"], true);
    assert_eq!(emu.orders()[0].id, r["data"].as_str().unwrap());
    let (_, r) =
        post(url("cloud-recorder/cloud-record-order/v1/open"), Some(&t), json!({"header": header(), "payload": {"appId": "d0"}})).await;
    assert_eq!(r["success"], false);

    let (_, r) = post(url("oauth/third-party/register"), Some(&t), json!({"projectId": "1254", "thirdPartyAccount": "xiaobai6"})).await;
    let token = r["data"]["token"].as_str().unwrap().to_string();
    let login = json!({"clientId": cfg.client_id, "clientSecret": cfg.client_secret, "projectId": "1254", "thirdPartyAccount": "xiaobai6", "token": token});
    let (_, r) = post(url("oauth/third-party/login"), Some(&t), login.clone()).await;
    assert_eq!(r["data"]["lsToken"]["token_type"], "bearer");
    assert!(r["data"]["gyToken"]["proof"]["secretKey"].is_string());
    let (_, r) = post(
        url("oauth/third-party/removeAccount"),
        Some(&t),
        json!({"projectId": "1254", "thirdPartyAccount": "xiaobai6", "token": token}),
    )
    .await;
    assert_eq!(r, json!({"code": 0, "msg": "SUCCESS", "timestamp": r["timestamp"], "success": true}));
    let (_, r) = post(url("oauth/third-party/login"), Some(&t), login).await;
    assert_eq!(r["code"], 999_999);
    assert_eq!(r["msg"], "The user not exists. projectId={1254}, thirdPartyAccount={xiaobai6}");
}
