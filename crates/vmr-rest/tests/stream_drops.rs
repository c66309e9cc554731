//! A dropped vmr event stream looks like every conf-sdk stream drop (the moyun push test
//! `stream_drops.rs` checks the same sequence): `Connected`, `Reconnecting` with a typed
//! reason, `Connected` again; broken mid-body, then silent (the watchdog).

use std::time::Duration;

use conf_sandbox::vmr::{VmrConfig, VmrEmulator};
use vmr_rest::events::{ReconnectPolicy, StreamItem};
use vmr_rest::*;

const ROOM: &str = "meet@vmr.example";

/// A lifecycle item as text, vendor aside; `None` for events.
fn lifecycle<E>(item: &StreamItem<E>) -> Option<String> {
    match item {
        StreamItem::Connected { connection } => Some(format!("connected #{connection}")),
        StreamItem::Reconnecting { reason, attempt, .. } => Some(format!("reconnecting #{attempt}: {}", reason.kind())),
        _ => None,
    }
}

/// Read items until `until` matches one; answer the lifecycle items seen.
async fn read_until(events: &mut EventStream, until: impl Fn(&StreamItem<Event>) -> bool) -> Vec<String> {
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let item = events.next_item().await.expect("the stream is open").expect("it does not give up");
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

fn connected(n: u64) -> impl Fn(&StreamItem<Event>) -> bool {
    move |item| matches!(item, StreamItem::Connected { connection } if *connection == n)
}

#[tokio::test(start_paused = true)]
async fn a_drop_looks_like_every_conf_sdk_stream_drop() {
    let (emu, server) = VmrEmulator::start(VmrConfig::new().keepalive_interval(Duration::from_millis(200))).await.unwrap();
    let mcu = VmrClient::builder().base_url(server.base_url()).build().unwrap().mcu(&server.base_url()).unwrap();
    let session = mcu.session(ROOM, SessionOptions::new("Robot").pin("123456")).await.unwrap();
    let policy = ReconnectPolicy::default()
        .backoff(Duration::from_millis(50), Duration::from_millis(500))
        .silence_timeout(Duration::from_millis(800));
    let mut events = session.events_with(EventOptions::default().reconnect(policy));
    let mut seen = read_until(&mut events, |i| matches!(i, StreamItem::Event(Event::ParticipantSyncEnd))).await;
    emu.abort_streams();
    seen.extend(read_until(&mut events, connected(2)).await);
    emu.stall_streams();
    seen.extend(read_until(&mut events, |i| matches!(i, StreamItem::Reconnecting { .. })).await);
    emu.resume_streams();
    seen.extend(read_until(&mut events, connected(3)).await);
    assert_eq!(seen, ["connected #1", "reconnecting #1: broken", "connected #2", "reconnecting #1: silence_timeout", "connected #3"]);
    assert_eq!((events.stats().drops(), events.stats().silences()), (2, 1));
}
