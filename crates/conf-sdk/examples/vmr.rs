//! docs/vmr-rest.md, "A complete program": control a virtual meeting room (join with
//! the PIN, follow the events and mute every guest who joins, lock, dial, set a layout,
//! start the service, leave).
//!
//! Against a real platform, set `CONFCTL_VMR_API_SERVER` (read by `VmrClient::from_env`, as
//! `confctl vmr` does), `VMR_ROOM` and `VMR_PIN`, then `cargo run -p conf-sdk --example vmr`.
//! `crates/conf-sdk/tests/docs_programs.rs` runs [`run`] against the conf-sandbox emulator,
//! also with a wrong PIN.

use conf_sdk::Error;
use conf_sdk::vmr::{
    Audience, CallType, CheckJoinRequest, DialProtocol, DialRole, Event, LayoutOverride, LayoutView, PinError, PlusN, Roster,
    SessionOptions, VmrClient,
};

/// Join `room` with `pin` as "Robot", run the room for a moment, and leave.
pub async fn run(vmr: &VmrClient, room: &str, pin: &str) -> Result<(), Error> {
    let check = CheckJoinRequest::new(room, "Robot").join_pwd(pin);
    let session = vmr.join(check, SessionOptions::new("Robot")).await.map_err(|e| match PinError::from_error(&e) {
        Some(pin) => Error::other(format!("PIN problem: {pin}")),
        None => e,
    })?;

    // Events: keep a roster, and mute every guest who joins.
    let mut events = session.events();
    tokio::spawn({
        let session = session.clone();
        async move {
            let mut roster = Roster::new();
            while let Some(Ok(event)) = events.next_event().await {
                roster.apply(&event);
                if let Event::ParticipantCreate(p) = &event {
                    if p.role.as_deref() == Some("guest") {
                        let _ = session.participant().mute().participant_uuid(p.uuid.clone()).send().await;
                    }
                }
            }
            // The stream ended: the session closed, or it gave up (the last item was the error).
        }
    });

    session.conference().lock().send().await?;
    let dialled = session
        .conference()
        .dial()
        .role(DialRole::Guest)
        .destination("bob@example.com")
        .protocol(DialProtocol::Sip)
        .call_type(CallType::Video)
        .send()
        .await?;
    println!("dialled {:?}", dialled.participant_uuids);
    let layout = LayoutOverride {
        audience: Audience::Hosts,
        actors: vec![],
        vad_backfill: true,
        layout: LayoutView::OnePlus7,
        plus_n: PlusN::Auto,
        actors_overlay_text: "auto".into(),
    };
    session.conference().override_layout().layouts(vec![layout]).send().await?;
    // On an enterprise cloud the node answers start_service without acting: `acted` is false.
    let started = session.conference().start_service().send().await?;
    println!("start_service acted: {}", started.acted);
    session.close().await // the token is refreshed in the background until here
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let var = |name: &str| std::env::var(name).map_err(|_| Error::invalid_input(name, "environment variable not set"));
    run(&VmrClient::from_env()?, &var("VMR_ROOM")?, &var("VMR_PIN")?).await
}
