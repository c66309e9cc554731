//! A dropped moyun push connection looks like every conf-sdk stream drop (the vmr events
//! test `stream_drops.rs` checks the same sequence): `Connected`, `Reconnecting` with a
//! typed reason, `Connected` again; broken mid-poll, then silent (the watchdog).

use std::time::Duration;

use conf_sandbox::moyun::{MoyunConfig as EmuConfig, MoyunEmulator};
use moyun_api::MoyunClient;
use moyun_api::push::{PushEvent, PushStream, ReconnectPolicy, StreamItem};

/// A lifecycle item as text, vendor aside; `None` for events.
fn lifecycle<E>(item: &StreamItem<E>) -> Option<String> {
    match item {
        StreamItem::Connected { connection } => Some(format!("connected #{connection}")),
        StreamItem::Reconnecting { reason, attempt, .. } => Some(format!("reconnecting #{attempt}: {}", reason.kind())),
        _ => None,
    }
}

/// Read items until `until` matches one; answer the lifecycle items seen.
async fn read_until(push: &mut PushStream, until: impl Fn(&StreamItem<PushEvent>) -> bool) -> Vec<String> {
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let item = push.next_item().await.expect("the stream is open").expect("it does not give up");
            seen.extend(lifecycle(&item));
            if until(&item) {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the expected item did not arrive; seen {seen:?}"));
    seen
}

fn subscribed(item: &StreamItem<PushEvent>) -> bool {
    matches!(item, StreamItem::Event(PushEvent::Subscribed { .. }))
}

/// Wait (virtual time) until a long poll has completed and the next one is held.
async fn a_poll_done_and_one_held(emu: &MoyunEmulator) {
    let start = emu.counters().connects;
    tokio::time::timeout(Duration::from_secs(10), async {
        while emu.counters().connects < start + 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("long polls");
    // Let the counted poll reach its hold.
    tokio::time::sleep(Duration::from_millis(50)).await;
}

#[tokio::test(start_paused = true)]
async fn a_drop_looks_like_every_conf_sdk_stream_drop() {
    let (emu, server) = MoyunEmulator::start(EmuConfig { long_poll: Duration::from_millis(200), ..EmuConfig::default() }).await.unwrap();
    let client = MoyunClient::builder("key", "12345678", "name", "888888")
        .config(conf_core::ClientConfig::parse(&server.base_url()).unwrap().proxy_from_env(false).attempt_timeout(Duration::from_secs(5)))
        .heartbeat_interval(None)
        .build()
        .unwrap();
    // The silence margin over the advised 200 ms hold.
    let policy = ReconnectPolicy::default()
        .backoff(Duration::from_millis(50), Duration::from_millis(500))
        .silence_timeout(Duration::from_millis(200));
    let mut push = client.push().subscribe("/confs/**").reconnect(policy).connect().await.unwrap();
    let mut seen = read_until(&mut push, subscribed).await;
    a_poll_done_and_one_held(&emu).await;
    emu.streams().abort_streams();
    seen.extend(read_until(&mut push, subscribed).await);
    a_poll_done_and_one_held(&emu).await;
    emu.streams().stall_streams();
    seen.extend(read_until(&mut push, |i| matches!(i, StreamItem::Reconnecting { .. })).await);
    emu.streams().resume();
    seen.extend(read_until(&mut push, subscribed).await);
    assert_eq!(seen, ["connected #1", "reconnecting #1: broken", "connected #2", "reconnecting #1: silence_timeout", "connected #3"]);
}
