//! CometD push against the emulator: typed terminal messages, and a connection that
//! heals after a dropped long poll, a forgotten client, a silent server and a re-login.

use std::time::Duration;

use conf_core::{Body, Operation};
use conf_sandbox::harness::Server;
use conf_sandbox::moyun::{MoyunConfig as EmuConfig, MoyunEmulator};
use futures_util::StreamExt;
use http::Method;
use moyun_api::MoyunClient;
use moyun_api::push::{MessageKind, PushEvent, PushStream, Topic};
use serde_json::{Value, json};

const DOMAIN: &str = "e0b2fa3a-8df8-4b1d-a0e8-3c0c8e5a7d11";

async fn setup(long_poll: Duration) -> (MoyunEmulator, Server, MoyunClient) {
    let (emu, server) = MoyunEmulator::start(EmuConfig { long_poll, ..EmuConfig::default() }).await.unwrap();
    let client = MoyunClient::builder("key", "12345678", "name", "888888")
        .config(conf_core::ClientConfig::parse(&server.base_url()).unwrap().proxy_from_env(false).attempt_timeout(Duration::from_secs(5)))
        .heartbeat_interval(None)
        .build()
        .unwrap();
    (emu, server, client)
}

async fn create_conf(client: &MoyunClient) -> String {
    let op = Operation::new("moyun", "mc.create_conf", Method::POST, "/api/v1/mc/confs", "/api/v1/mc/confs")
        .body(Body::Form(vec![("params".into(), json!({"name": "push", "duration": 60, "bitrate": 1024}).to_string())]));
    let v: Value = client.call(op).await.unwrap();
    v["conf_id"].as_str().unwrap().to_string()
}

async fn add_mt(client: &MoyunClient, conf_id: &str, account: &str) -> String {
    let path = format!("/api/v1/vc/confs/{conf_id}/mts");
    let params = json!({"mts": [{"account": account, "account_type": 5, "bitrate": 2048, "protocol": 0}]});
    let op = Operation::new("moyun", "vc.add_mts", Method::POST, "/api/v1/vc/confs/{conf_id}/mts", path)
        .body(Body::Form(vec![("params".into(), params.to_string())]));
    let v: Value = client.call(op).await.unwrap();
    match &v["mts"][0]["mt_id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn next(push: &mut PushStream) -> PushEvent {
    tokio::time::timeout(Duration::from_secs(10), push.next()).await.expect("a push event within 10 s").expect("stream open")
}

/// The next event that is not a `Disconnected`.
async fn next_settled(push: &mut PushStream) -> PushEvent {
    loop {
        match next(push).await {
            PushEvent::Disconnected { .. } => {}
            other => return other,
        }
    }
}

async fn expect_reconnect(push: &mut PushStream, handshakes: u64) {
    match next(push).await {
        PushEvent::Disconnected { .. } => {}
        other => panic!("expected Disconnected, got {other:?}"),
    }
    match next_settled(push).await {
        PushEvent::Connected { handshakes: h, channels, .. } => {
            assert_eq!(h, handshakes);
            assert_eq!(channels, vec![format!("/userdomains/{DOMAIN}/confs/**")], "every channel subscribed again");
        }
        other => panic!("expected Connected, got {other:?}"),
    }
}

async fn expect_terminal(push: &mut PushStream, conf_id: &str, mt_id: &str, kind: MessageKind) {
    match next_settled(push).await {
        PushEvent::Message(m) => {
            assert_eq!(m.topic, Topic::Mt { conf_id: conf_id.into(), cascade_id: "0".into(), mt_id: mt_id.into() }, "{m:?}");
            assert_eq!(m.kind, kind);
            assert_eq!(m.channel, format!("/userdomains/{DOMAIN}/confs/{conf_id}/cascades/0/mts/{mt_id}"));
        }
        other => panic!("expected a terminal message, got {other:?}"),
    }
}

async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn delivers_typed_terminal_changes() {
    let (emu, server, client) = setup(Duration::from_secs(20)).await;
    let conf_id = create_conf(&client).await;
    let mut push = client.push().subscribe("/confs/**").connect().await.unwrap();
    match next(&mut push).await {
        PushEvent::Connected { domain_id, channels, handshakes } => {
            assert_eq!(domain_id, DOMAIN);
            assert_eq!(channels, vec![format!("/userdomains/{DOMAIN}/confs/**")]);
            assert_eq!(handshakes, 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(push.domain_id().as_deref(), Some(DOMAIN));
    // The handshake went with the session cookie and the API-Level header.
    let hs = server.log().filter(|r| r.path == "/api/v1/publish" && r.body_text().contains("/meta/handshake")).pop().unwrap();
    assert!(hs.header("cookie").is_some_and(|c| c.starts_with("SSO_COOKIE_KEY=")));
    assert_eq!(hs.header("API-Level"), Some("1"));

    let mt = add_mt(&client, &conf_id, "2322231").await;
    expect_terminal(&mut push, &conf_id, &mt, MessageKind::Update).await;
    emu.publish(
        &format!("/confs/{conf_id}/mts"),
        json!({"method": "notify", "error_code": 20423, "mt": {"account": "1", "account_type": 5}}),
    );
    match next(&mut push).await {
        PushEvent::Message(m) => {
            assert_eq!(m.topic, Topic::Mts { conf_id: conf_id.clone() });
            let MessageKind::Notify(n) = &m.kind else { panic!("{m:?}") };
            assert_eq!(n.error_code, Some(20423));
        }
        other => panic!("{other:?}"),
    }
    emu.publish("/elsewhere/x", json!({"raw": true}));
    emu.publish(&format!("/confs/{conf_id}/something_new"), json!({"raw": true}));
    match next(&mut push).await {
        PushEvent::Message(m) => {
            assert_eq!(m.topic, Topic::Other(format!("/confs/{conf_id}/something_new")));
            assert_eq!(m.data, json!({"raw": true}));
        }
        other => panic!("{other:?}"),
    }
    drop(push);
    wait_for("the client to disconnect", || emu.push_clients() == 0).await;
}

#[tokio::test(start_paused = true)]
async fn survives_a_dropped_long_poll() {
    let (emu, _server, client) = setup(Duration::from_secs(20)).await;
    let conf_id = create_conf(&client).await;
    let mut push =
        client.push().subscribe("/confs/**").backoff(Duration::from_millis(10), Duration::from_millis(50)).connect().await.unwrap();
    assert!(matches!(next(&mut push).await, PushEvent::Connected { .. }));
    wait_for("a long poll in progress", || emu.counters().connects >= 1).await;
    // Paused clock: a 50 ms virtual step lets the counted poll reach its hold before the abort.
    tokio::time::sleep(Duration::from_millis(50)).await;
    emu.streams().abort_streams();
    expect_reconnect(&mut push, 2).await;
    assert_eq!(emu.counters().handshakes, 2);
    assert_eq!(emu.push_subscriptions().len(), 2, "old client still known plus the new one");
    let mt = add_mt(&client, &conf_id, "2322232").await;
    expect_terminal(&mut push, &conf_id, &mt, MessageKind::Update).await;
}

#[tokio::test]
async fn an_unknown_client_handshakes_again() {
    let (emu, _server, client) = setup(Duration::from_secs(20)).await;
    let conf_id = create_conf(&client).await;
    let mut push =
        client.push().subscribe("/confs/**").backoff(Duration::from_millis(10), Duration::from_millis(50)).connect().await.unwrap();
    assert!(matches!(next(&mut push).await, PushEvent::Connected { .. }));
    emu.forget_push_clients();
    match next(&mut push).await {
        PushEvent::Disconnected { reason } => assert!(reason.contains("402"), "{reason}"),
        other => panic!("{other:?}"),
    }
    match next(&mut push).await {
        PushEvent::Connected { handshakes, .. } => assert_eq!(handshakes, 2),
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.push_subscriptions(), vec![format!("/userdomains/{DOMAIN}/confs/**")]);
    let mt = add_mt(&client, &conf_id, "2322233").await;
    expect_terminal(&mut push, &conf_id, &mt, MessageKind::Update).await;
    assert_eq!(client.session().logins(), 1, "no new login was needed");
}

#[tokio::test(start_paused = true)]
async fn the_watchdog_drops_a_silent_long_poll() {
    let (emu, _server, client) = setup(Duration::from_millis(200)).await;
    let conf_id = create_conf(&client).await;
    let mut push = client
        .push()
        .subscribe("/confs/**")
        .watchdog_margin(Duration::from_millis(200))
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .connect()
        .await
        .unwrap();
    assert!(matches!(next(&mut push).await, PushEvent::Connected { .. }));
    // Quiet polls come back empty after the hold time and are renewed: no reconnection.
    wait_for("two quiet polls renewed", || emu.counters().connects >= 3).await;
    assert_eq!(emu.counters().handshakes, 1);
    emu.streams().stall_streams();
    match next(&mut push).await {
        PushEvent::Disconnected { reason } => assert!(reason.contains("timed out"), "{reason}"),
        other => panic!("{other:?}"),
    }
    emu.streams().resume();
    match next_settled(&mut push).await {
        PushEvent::Connected { handshakes, .. } => assert!(handshakes >= 2),
        other => panic!("{other:?}"),
    }
    let mt = add_mt(&client, &conf_id, "2322234").await;
    expect_terminal(&mut push, &conf_id, &mt, MessageKind::Update).await;
}

#[tokio::test]
async fn an_expired_session_logs_in_again_and_handshakes_again() {
    let (emu, _server, client) = setup(Duration::from_secs(20)).await;
    let conf_id = create_conf(&client).await;
    let mut push =
        client.push().subscribe("/confs/**").backoff(Duration::from_millis(10), Duration::from_millis(50)).connect().await.unwrap();
    assert!(matches!(next(&mut push).await, PushEvent::Connected { .. }));
    // The platform drops the user session (and with it the CometD client).
    emu.expire_sessions();
    match next_settled(&mut push).await {
        PushEvent::Connected { handshakes, .. } => assert_eq!(handshakes, 2),
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.counters().logins_ok, 2, "the refused handshake led to one new login");
    let mt = add_mt(&client, &conf_id, "2322235").await;
    expect_terminal(&mut push, &conf_id, &mt, MessageKind::Update).await;
    // A login made by a REST call also makes the push client handshake again.
    client.session().relogin(false).await.unwrap();
    match next_settled(&mut push).await {
        PushEvent::Connected { handshakes, .. } => assert_eq!(handshakes, 3),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn subscriptions_added_later_survive_reconnection() {
    let (emu, _server, client) = setup(Duration::from_secs(20)).await;
    let conf_id = create_conf(&client).await;
    let mut push = client.push().backoff(Duration::from_millis(10), Duration::from_millis(50)).connect().await.unwrap();
    assert!(matches!(next(&mut push).await, PushEvent::Connected { .. }));
    let channel = format!("/confs/{conf_id}/cascades/0/mts/*");
    push.subscribe(channel.clone()).unwrap();
    assert!(push.subscribe("/confs/*/mts").is_err(), "wildcards only in the last segment");
    wait_for("the subscription", || emu.push_subscriptions().len() == 1).await;
    let mt = add_mt(&client, &conf_id, "1").await;
    expect_terminal(&mut push, &conf_id, &mt, MessageKind::Update).await;
    emu.forget_push_clients();
    match next_settled(&mut push).await {
        PushEvent::Connected { channels, .. } => assert_eq!(channels, vec![format!("/userdomains/{DOMAIN}{channel}")]),
        other => panic!("{other:?}"),
    }
    let mt = add_mt(&client, &conf_id, "2").await;
    expect_terminal(&mut push, &conf_id, &mt, MessageKind::Update).await;
}

#[tokio::test]
async fn the_connection_ends_with_the_client() {
    let (emu, _server, client) = setup(Duration::from_secs(20)).await;
    let mut push = client.push().subscribe("/confs/**").connect().await.unwrap();
    assert!(matches!(next(&mut push).await, PushEvent::Connected { .. }));
    wait_for("a long poll in progress", || emu.counters().connects >= 1).await;
    drop(client);
    let end = tokio::time::timeout(Duration::from_secs(5), push.next()).await.expect("the stream ends");
    assert!(end.is_none(), "{end:?}");
}
