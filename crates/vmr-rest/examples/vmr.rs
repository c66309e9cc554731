//! A complete vmr program: join check, session, commands, live events, close.
//!
//! Runs against the embedded emulator by default. Against a real platform:
//! `VMR_BASE_URL=https://api.example.com VMR_ROOM=1061 VMR_PIN=123456 cargo run -p vmr-rest --example vmr`.

use std::time::Duration;

use conf_core::Error;
use vmr_rest::events::StreamItem;
use vmr_rest::{
    CheckJoinRequest, Event, LockRequest, MessageRequest, ParticipantsRequest, Roster, ServiceStatusRequest, SessionOptions, UnlockRequest,
    VmrClient,
};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt().with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "vmr_rest=info".into())).init();

    // A real server when configured, else the local emulator (kept alive until the end).
    let (_sandbox, base, room, pin) = match std::env::var("VMR_BASE_URL") {
        Ok(base) => (None, base, std::env::var("VMR_ROOM").expect("VMR_ROOM"), std::env::var("VMR_PIN").unwrap_or_default()),
        Err(_) => {
            let (emu, server) = conf_sandbox::vmr::VmrEmulator::start(conf_sandbox::vmr::VmrConfig::new())
                .await
                .map_err(|e| Error::other(e.to_string()))?;
            let base = server.base_url();
            emu.add_participant("meet@vmr.example", conf_sandbox::vmr::DialIn::guest("Alice"));
            (Some((emu, server)), base, "1061".to_string(), "123456".to_string())
        }
    };

    let vmr = VmrClient::builder().base_url(&base).build()?;
    let mut join = CheckJoinRequest::new(room.clone(), "conf-sdk example");
    if !pin.is_empty() {
        join = join.join_pwd(pin.as_str());
    }
    let session = vmr.join(join, SessionOptions::new("conf-sdk example")).await?;
    println!("joined {} as {:?} ({:?})", session.room().base_url(), session.info().role, session.participant_uuid());

    let mut events = session.events();
    let mut roster = Roster::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(e) = events.next_event().await {
            let e = e?;
            roster.apply(&e);
            if matches!(e, Event::ParticipantSyncEnd) {
                break;
            }
        }
        Ok::<(), Error>(())
    })
    .await
    .map_err(|_| Error::other("no participant list within 10 s"))??;
    println!("{} participants:", roster.len());
    for p in roster.participants() {
        println!("  {} {:?} muted={:?}", p.uuid, p.display_name, p.is_muted);
    }

    let status = session.conference().service_status_with(ServiceStatusRequest::new()).await?;
    println!("locked={:?} guests_muted={:?}", status.locked, status.guests_muted);
    session.conference().lock_with(LockRequest::new()).await?;
    session.conference().message_with(MessageRequest::new("Hello from conf-sdk")).await?;
    session.conference().unlock_with(UnlockRequest::new()).await?;
    let listed = session.conference().participants_with(ParticipantsRequest::new()).await?;
    println!("participants command lists {}", listed.participants.len());

    // Print what the room reports for a moment.
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        // `next_item` also shows the lifecycle: connected, reconnecting (and why).
        while let Some(item) = events.next_item().await {
            match item {
                Ok(StreamItem::Event(e)) => {
                    roster.apply(&e);
                    println!("event: {}", e.name());
                }
                Ok(StreamItem::Reconnecting { reason, attempt, delay }) => println!("reconnecting #{attempt} in {delay:?}: {reason}"),
                Ok(other) => println!("{other:?}"),
                Err(e) => println!("the stream gave up: {e}"),
            }
        }
    })
    .await;

    session.close().await?;
    println!("session closed");
    Ok(())
}
