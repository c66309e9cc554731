//! The complete program of docs/vmr-rest.md ("A complete example"), run against the
//! emulator: its `run` function below is the document's, byte for byte (checked), so the
//! document's example, including its PIN error mapping, cannot rot.

use conf_core::Error;
use conf_sandbox::vmr::{DialIn, VmrConfig, VmrEmulator};
use vmr_rest::*;

// BEGIN docs/vmr-rest.md example
async fn run(api_server: &str, account: &str, pin: &str) -> Result<(), Error> {
    let vmr = VmrClient::builder().base_url(api_server).build()?;
    let session = vmr.join(CheckJoinRequest::new(account, "Robot").join_pwd(pin), SessionOptions::new("Robot")).await.map_err(|e| {
        match PinError::from_error(&e) {
            Some(pin) => Error::other(format!("PIN problem: {pin}")),
            None => e,
        }
    })?;

    let mut events = session.events();
    let mut roster = Roster::new();
    tokio::spawn({
        let session = session.clone();
        async move {
            while let Some(Ok(event)) = events.next_event().await {
                roster.apply(&event);
                if let Event::ParticipantCreate(p) = &event {
                    // Mute every guest that joins.
                    if p.role.as_deref() == Some("guest") {
                        let _ = session.participant().mute_with(ParticipantMuteRequest::new(p.uuid.clone())).await;
                    }
                }
            }
            // The stream ended: the session closed, or it gave up (the last item was the error).
        }
    });

    session.conference().lock_with(LockRequest::new()).await?;
    let dialled = session
        .conference()
        .dial_with(DialRequest::new(DialRole::Guest, "bob@example.com", DialProtocol::Sip).call_type(CallType::Video))
        .await?;
    println!("dialled {:?}", dialled.participant_uuids);
    session
        .conference()
        .override_layout_with(OverrideLayoutRequest::new(vec![LayoutOverride {
            audience: Audience::Hosts,
            actors: vec![],
            vad_backfill: true,
            layout: LayoutView::OnePlus7,
            plus_n: PlusN::Auto,
            actors_overlay_text: "auto".into(),
        }]))
        .await?;
    // On an enterprise cloud the node answers start_service without acting: `acted` is false.
    let started = session.conference().start_service_with(StartServiceRequest::new()).await?;
    println!("start_service acted: {}", started.acted);
    session.close().await // the token is refreshed in the background until here
}
// END docs/vmr-rest.md example

const DOC: &str = include_str!("../../../docs/vmr-rest.md");
const SELF: &str = include_str!("docs_example.rs");

#[test]
fn the_document_shows_this_program() {
    let start = SELF.find("// BEGIN docs/vmr-rest.md example\n").expect("begin marker") + "// BEGIN docs/vmr-rest.md example\n".len();
    let end = SELF.find("// END docs/vmr-rest.md example").expect("end marker");
    let program = &SELF[start..end];
    assert!(DOC.contains(program), "docs/vmr-rest.md must show the `run` function of tests/docs_example.rs verbatim");
}

#[tokio::test]
async fn the_example_runs_and_maps_a_wrong_pin() {
    let (emu, server) = VmrEmulator::start(VmrConfig::new()).await.unwrap();
    emu.add_participant("meet@vmr.example", DialIn::guest("Alice"));
    run(&server.base_url(), "1061", "123456").await.unwrap();
    assert_eq!(emu.command_count("lock"), 1);
    assert_eq!(emu.command_count("dial"), 1);
    assert_eq!(emu.command_count("override_layout"), 1);
    assert_eq!(emu.command_count("start_service"), 1);
    assert_eq!(emu.command_count("end_session"), 1);
    // A wrong PIN: the join check answers 403, mapped to the typed PIN error like new_session's.
    let e = run(&server.base_url(), "1061", "999999").await.unwrap_err();
    assert!(e.to_string().contains("PIN problem: the PIN was not accepted by the room"), "{e}");
    assert_eq!(emu.command_count("new_session"), 1, "nothing opened with the wrong PIN");
}
