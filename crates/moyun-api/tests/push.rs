//! CometD push against the emulator: typed terminal messages, and a connection that
//! heals after a dropped long poll, a forgotten client, a silent server and a re-login.

use conf_core::ClientHandle;
use std::time::Duration;

use conf_core::{Body, Operation};
use conf_sandbox::harness::Server;
use conf_sandbox::moyun::{MoyunConfig as EmuConfig, MoyunEmulator};
use http::Method;
use moyun_api::MoyunClient;
use moyun_api::push::{DropReason, MessageKind, PushEvent, PushStream, StreamItem, Topic};
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
    let v: Value = client.send(moyun_api::custom(op)).await.unwrap();
    v["conf_id"].as_str().unwrap().to_string()
}

async fn add_mt(client: &MoyunClient, conf_id: &str, account: &str) -> String {
    let path = format!("/api/v1/vc/confs/{conf_id}/mts");
    let params = json!({"mts": [{"account": account, "account_type": 5, "bitrate": 2048, "protocol": 0}]});
    let op = Operation::new("moyun", "vc.add_mts", Method::POST, "/api/v1/vc/confs/{conf_id}/mts", path)
        .body(Body::Form(vec![("params".into(), params.to_string())]));
    let v: Value = client.send(moyun_api::custom(op)).await.unwrap();
    match &v["mts"][0]["mt_id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn next(push: &mut PushStream) -> StreamItem<PushEvent> {
    tokio::time::timeout(Duration::from_secs(10), push.next_item())
        .await
        .expect("a push item within 10 s")
        .expect("stream open")
        .expect("no error")
}

/// The next item that is not a `Reconnecting`.
async fn next_settled(push: &mut PushStream) -> StreamItem<PushEvent> {
    loop {
        match next(push).await {
            StreamItem::Reconnecting { .. } => {}
            other => return other,
        }
    }
}

/// `Connected` (connection number `connection`), then the subscription report: its channels.
async fn expect_connected(push: &mut PushStream, connection: u64) -> Vec<String> {
    match next_settled(push).await {
        StreamItem::Connected { connection: c } => assert_eq!(c, connection),
        other => panic!("expected Connected, got {other:?}"),
    }
    match next(push).await {
        StreamItem::Event(PushEvent::Subscribed { domain_id, channels }) => {
            assert_eq!(domain_id, DOMAIN);
            channels
        }
        other => panic!("expected Subscribed, got {other:?}"),
    }
}

async fn expect_reconnect(push: &mut PushStream, connection: u64) {
    match next(push).await {
        StreamItem::Reconnecting { .. } => {}
        other => panic!("expected Reconnecting, got {other:?}"),
    }
    let channels = expect_connected(push, connection).await;
    assert_eq!(channels, vec![format!("/userdomains/{DOMAIN}/confs/**")], "every channel subscribed again");
}

/// The next message (lifecycle items and subscription reports skipped).
async fn next_message(push: &mut PushStream) -> PushEvent {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), push.next_event()).await.expect("a push event within 10 s");
        match event.expect("stream open").expect("no error") {
            PushEvent::Subscribed { .. } => {}
            other => return other,
        }
    }
}

async fn expect_terminal(push: &mut PushStream, conf_id: &str, mt_id: &str, kind: MessageKind) {
    match next_message(push).await {
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
    assert_eq!(expect_connected(&mut push, 1).await, vec![format!("/userdomains/{DOMAIN}/confs/**")]);
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
    match next_message(&mut push).await {
        PushEvent::Message(m) => {
            assert_eq!(m.topic, Topic::Mts { conf_id: conf_id.clone() });
            let MessageKind::Notify(n) = &m.kind else { panic!("{m:?}") };
            assert_eq!(n.error_code, Some(20423));
        }
        other => panic!("{other:?}"),
    }
    emu.publish("/elsewhere/x", json!({"raw": true}));
    emu.publish(&format!("/confs/{conf_id}/something_new"), json!({"raw": true}));
    match next_message(&mut push).await {
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
    expect_connected(&mut push, 1).await;
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
    expect_connected(&mut push, 1).await;
    emu.forget_push_clients();
    match next(&mut push).await {
        StreamItem::Reconnecting { reason: DropReason::Refused(e), attempt: 1, .. } => {
            assert!(e.to_string().contains("402"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    expect_connected(&mut push, 2).await;
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
    expect_connected(&mut push, 1).await;
    // Quiet polls come back empty after the hold time and are renewed: no reconnection.
    wait_for("two quiet polls renewed", || emu.counters().connects >= 3).await;
    assert_eq!(emu.counters().handshakes, 1);
    emu.streams().stall_streams();
    match next(&mut push).await {
        // The advised hold (200 ms) plus the margin (200 ms).
        StreamItem::Reconnecting { reason: DropReason::SilenceTimeout { after }, .. } => assert_eq!(after, Duration::from_millis(400)),
        other => panic!("{other:?}"),
    }
    emu.streams().resume();
    match next_settled(&mut push).await {
        StreamItem::Connected { connection } => assert!(connection >= 2),
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
    expect_connected(&mut push, 1).await;
    // The platform drops the user session (and with it the CometD client).
    emu.expire_sessions();
    expect_connected(&mut push, 2).await;
    assert_eq!(emu.counters().logins_ok, 2, "the refused handshake led to one new login");
    let mt = add_mt(&client, &conf_id, "2322235").await;
    expect_terminal(&mut push, &conf_id, &mt, MessageKind::Update).await;
    // A login made by a REST call also makes the push client handshake again.
    client.session().relogin(false).await.unwrap();
    match next(&mut push).await {
        StreamItem::Reconnecting { reason: DropReason::CredentialRenewed, .. } => {}
        other => panic!("{other:?}"),
    }
    expect_connected(&mut push, 3).await;
}

#[tokio::test]
async fn a_login_taken_from_the_fleet_makes_the_push_client_handshake_again() {
    let (emu, server) = MoyunEmulator::start(EmuConfig { long_poll: Duration::from_secs(20), ..EmuConfig::default() }).await.unwrap();
    // Two "processes" sharing their session through one store.
    let store = conf_core::store::SharedStore::new(std::sync::Arc::new(conf_core::store::MemoryStore::new()));
    let process = || {
        MoyunClient::builder("key", "12345678", "name", "888888")
            .config(conf_core::ClientConfig::parse(&server.base_url()).unwrap().proxy_from_env(false))
            .heartbeat_interval(None)
            .credential_store(store.clone())
            .build()
            .unwrap()
    };
    let (a, b) = (process(), process());
    a.session().ensure().await.unwrap();
    let mut push = b.push().subscribe("/confs/**").backoff(Duration::from_millis(10), Duration::from_millis(50)).connect().await.unwrap();
    expect_connected(&mut push, 1).await;
    assert_eq!(b.session().logins(), 0, "b took a's login");
    // `a` logs in again; `b` renews and takes that login instead of making its own.
    a.session().relogin(false).await.unwrap();
    b.session().relogin(false).await.unwrap();
    assert_eq!((b.session().logins(), emu.counters().logins_ok), (0, 2));
    // b's push client moves to the new session at once (not when the old one idles out).
    match next(&mut push).await {
        StreamItem::Reconnecting { reason: DropReason::CredentialRenewed, .. } => {}
        other => panic!("{other:?}"),
    }
    expect_connected(&mut push, 2).await;
}

#[tokio::test]
async fn subscriptions_added_later_survive_reconnection() {
    let (emu, _server, client) = setup(Duration::from_secs(20)).await;
    let conf_id = create_conf(&client).await;
    let mut push = client.push().backoff(Duration::from_millis(10), Duration::from_millis(50)).connect().await.unwrap();
    expect_connected(&mut push, 1).await;
    let channel = format!("/confs/{conf_id}/cascades/0/mts/*");
    push.subscribe(channel.clone()).unwrap();
    assert!(push.subscribe("/confs/*/mts").is_err(), "wildcards only in the last segment");
    wait_for("the subscription", || emu.push_subscriptions().len() == 1).await;
    let mt = add_mt(&client, &conf_id, "1").await;
    expect_terminal(&mut push, &conf_id, &mt, MessageKind::Update).await;
    emu.forget_push_clients();
    assert_eq!(expect_connected(&mut push, 2).await, vec![format!("/userdomains/{DOMAIN}{channel}")]);
    let mt = add_mt(&client, &conf_id, "2").await;
    expect_terminal(&mut push, &conf_id, &mt, MessageKind::Update).await;
}

#[tokio::test]
async fn the_connection_ends_with_the_client() {
    let (emu, _server, client) = setup(Duration::from_secs(20)).await;
    let mut push = client.push().subscribe("/confs/**").connect().await.unwrap();
    expect_connected(&mut push, 1).await;
    wait_for("a long poll in progress", || emu.counters().connects >= 1).await;
    drop(client);
    let end = tokio::time::timeout(Duration::from_secs(5), push.next_item()).await.expect("the stream ends");
    assert!(end.is_none(), "{end:?}");
}
