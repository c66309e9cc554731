//! End to end against the conf-sandbox vmr emulator: join check, session, commands,
//! events, refresh across token lifetimes, renewals, the enterprise gate and reconnects.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use conf_core::Error;
use conf_sandbox::vmr::{DialIn, VmrConfig, VmrEmulator};
use vmr_rest::*;

const ROOM: &str = "meet@vmr.example";

/// The shared client of the node at `url` (default settings).
fn node(url: &str) -> Mcu {
    VmrClient::builder().base_url(url).build().unwrap().mcu(url).unwrap()
}

async fn next_matching(events: &mut EventStream, roster: &mut Roster, pred: impl Fn(&Event) -> bool) -> Event {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let e = events.next_event().await.expect("event stream ended").expect("the stream did not give up");
            roster.apply(&e);
            if pred(&e) {
                return e;
            }
        }
    })
    .await
    .expect("expected event did not arrive")
}

async fn until_synced_equal(events: &mut EventStream, roster: &mut Roster, emu: &VmrEmulator) {
    tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            if roster.is_synced() && roster.uuids().into_iter().collect::<BTreeSet<_>>() == emulator_uuids(emu) {
                return;
            }
            let e = events.next_event().await.expect("event stream ended").expect("the stream did not give up");
            roster.apply(&e);
        }
    })
    .await
    .unwrap_or_else(|_| panic!("roster {:?} never equalled the emulator's {:?}", roster.uuids(), emulator_uuids(emu)));
}

fn emulator_uuids(emu: &VmrEmulator) -> BTreeSet<String> {
    emu.participants(ROOM).into_iter().map(|p| p.uuid).collect()
}

#[tokio::test]
async fn join_check_session_commands_events() {
    let (emu, server) = VmrEmulator::start(VmrConfig::new()).await.unwrap();
    let vmr = VmrClient::builder().base_url(server.base_url()).build().unwrap();
    let info = vmr.check_join_with(CheckJoinRequest::new("1061", "Robot").join_pwd("123456")).await.unwrap();
    assert_eq!(info.alias.as_deref(), Some(ROOM));
    let session = vmr.join(CheckJoinRequest::new("1061", "Robot").join_pwd("123456"), SessionOptions::new("Robot")).await.unwrap();
    assert_eq!(session.info().role.as_deref(), Some("HOST"));
    let mut events = session.events();
    let mut roster = Roster::new();
    next_matching(&mut events, &mut roster, |e| matches!(e, Event::ParticipantSyncEnd)).await;
    assert_eq!(roster.uuids().into_iter().collect::<BTreeSet<_>>(), emulator_uuids(&emu));

    let alice = emu.add_participant(ROOM, DialIn::guest("Alice"));
    next_matching(&mut events, &mut roster, |e| matches!(e, Event::ParticipantCreate(p) if p.uuid == alice)).await;

    session.conference().lock_with(LockRequest::new()).await.unwrap();
    next_matching(&mut events, &mut roster, |e| matches!(e, Event::ServiceUpdate(s) if s.locked == Some(true))).await;
    let st = session.conference().service_status_with(ServiceStatusRequest::new()).await.unwrap();
    assert_eq!(st.locked, Some(true));
    assert!(emu.room_status(ROOM).unwrap().locked);
    session.conference().unlock_with(UnlockRequest::new()).await.unwrap();
    session.conference().mute_guests_with(MuteGuestsRequest::new()).await.unwrap();
    session.conference().unmute_guests_with(UnmuteGuestsRequest::new()).await.unwrap();
    session.participant().mute_with(ParticipantMuteRequest::new(alice.clone())).await.unwrap();
    next_matching(&mut events, &mut roster, |e| matches!(e, Event::ParticipantUpdate(p) if p.uuid == alice && p.is_muted == Some(true)))
        .await;
    assert_eq!(roster.get(&alice).unwrap().is_muted, Some(true));

    session.conference().message_with(MessageRequest::new("Hello World")).await.unwrap();
    let Event::Message(m) = next_matching(&mut events, &mut roster, |e| matches!(e, Event::Message(_))).await else { unreachable!() };
    assert_eq!(m.payload.as_deref(), Some("Hello World"));
    assert_eq!(emu.messages(ROOM).len(), 1);

    let dialled = session
        .conference()
        .dial_with(DialRequest::new(DialRole::Guest, "bob@example.com", DialProtocol::Sip).source_display_name("Demo"))
        .await
        .unwrap();
    assert_eq!(dialled.participant_uuids.len(), 1);
    let bob = dialled.participant_uuids[0].clone();
    next_matching(&mut events, &mut roster, |e| matches!(e, Event::ParticipantUpdate(p) | Event::ParticipantCreate(p) if p.uuid == bob))
        .await;

    let list = session.conference().participants_with(ParticipantsRequest::new()).await.unwrap();
    assert!(list.participants.iter().any(|p| p.uuid == alice));
    let layout = LayoutOverride {
        audience: Audience::Hosts,
        actors: vec![],
        vad_backfill: true,
        layout: LayoutView::OnePlus7,
        plus_n: PlusN::Auto,
        actors_overlay_text: "auto".into(),
    };
    session.conference().override_layout_with(OverrideLayoutRequest::new(vec![layout])).await.unwrap();
    session.participant().spotlight_on_with(SpotlightOnRequest::new(alice.clone())).await.unwrap();
    session.participant().role_with(RoleRequest::new(alice.clone(), DialRole::Chair)).await.unwrap();
    session.participant().dtmf_with(DtmfRequest::new(alice.clone(), "1#")).await.unwrap();
    let answer = session.participant().calls_with(CallsRequest::new(alice.clone(), SubCallType::Rtmp).streaming(true)).await.unwrap();
    assert!(!answer.call_uuid.is_empty());
    assert!(answer.url.is_some());
    let jpeg = session.conference().presentation_jpeg_with(PresentationJpegRequest::new()).await.unwrap();
    assert!(jpeg.starts_with(&[0xFF, 0xD8]));
    // A false result (unknown participant) is an error.
    let e = session.participant().mute_with(ParticipantMuteRequest::new("00000000-0000-0000-0000-000000000000")).await.unwrap_err();
    assert_eq!(e.vendor_code(), Some("false"), "{e}");

    session.participant().disconnect_with(ParticipantDisconnectRequest::new(alice.clone())).await.unwrap();
    next_matching(&mut events, &mut roster, |e| matches!(e, Event::ParticipantDelete { uuid } if *uuid == alice)).await;
    until_synced_equal(&mut events, &mut roster, &emu).await;

    session.close().await.unwrap();
    assert_eq!(emu.stats().sessions_ended, 1);
    assert_eq!(emu.live_sessions(), 0);
    // The stream ends with the session.
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while events.next_event().await.is_some() {}
        assert!(events.error().is_none(), "a normal end, not a failure");
    })
    .await;
    assert!(end.is_ok(), "event stream did not end after close");
}

#[tokio::test]
async fn pin_errors_from_the_emulator() {
    let (_emu, server) = VmrEmulator::start(VmrConfig::new()).await.unwrap();
    let mcu = node(&server.base_url());
    let e = mcu.session(ROOM, SessionOptions::new("x")).await.unwrap_err();
    assert!(matches!(e, Error::Auth { .. }), "{e}");
    assert_eq!(PinError::from_error(&e), Some(PinError::Required { guest_pin_required: true }));
    let e = mcu.session(ROOM, SessionOptions::new("x").pin("999")).await.unwrap_err();
    assert_eq!(PinError::from_error(&e), Some(PinError::Invalid));
    let guest = mcu.session("1061", SessionOptions::new("g").pin("4321")).await.unwrap();
    assert_eq!(guest.info().role.as_deref(), Some("GUEST"));
    // A host command from a guest is refused for the role, not for the token: no renewal.
    let e = guest.conference().lock_with(LockRequest::new()).await.unwrap_err();
    assert_eq!(e.vendor_code(), Some("permission_denied"), "{e}");
    assert_eq!(guest.stats(), SessionStats::default());
    guest.close().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn refresh_across_three_lifetimes_with_calls_in_flight() {
    let (emu, server) = VmrEmulator::start(VmrConfig::new().token_lifetime(Duration::from_secs(2))).await.unwrap();
    let mcu = node(&server.base_url());
    let session = mcu.session(ROOM, SessionOptions::new("Robot").pin("123456")).await.unwrap();
    let ok = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for w in 0..4 {
        let s = session.clone();
        let ok = ok.clone();
        workers.push(tokio::spawn(async move {
            let until = tokio::time::Instant::now() + Duration::from_millis(6500);
            while tokio::time::Instant::now() < until {
                let r = if w % 2 == 0 {
                    s.conference().service_status_with(ServiceStatusRequest::new()).await.map(drop)
                } else {
                    s.conference().lock_with(LockRequest::new()).await
                };
                r.unwrap_or_else(|e| panic!("call failed during refresh: {e}"));
                ok.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let stats = session.stats();
    assert!(stats.refreshes >= 3, "{stats:?}");
    assert_eq!(stats.renewals, 0, "{stats:?}");
    assert!(emu.stats().tokens_refreshed >= 3);
    assert_eq!(emu.stats().tokens_issued, 1);
    assert!(ok.load(Ordering::Relaxed) > 100);
    session.close().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn refused_refresh_starts_a_new_session() {
    // Calls see nothing: the expired token is replaced by a new session.
    let (emu, server) = VmrEmulator::start(VmrConfig::new()).await.unwrap();
    let mcu = node(&server.base_url());
    let session = mcu.session(ROOM, SessionOptions::new("Robot").pin("123456")).await.unwrap();
    let first_uuid = session.participant_uuid();
    emu.expire_tokens();
    // Calls made during the switch wait for the one new session and then succeed.
    let calls: Vec<_> = (0..20)
        .map(|i| {
            let s = session.clone();
            tokio::spawn(async move {
                if i % 2 == 0 {
                    s.conference().lock_with(LockRequest::new()).await
                } else {
                    s.conference().service_status_with(ServiceStatusRequest::new()).await.map(drop)
                }
            })
        })
        .collect();
    for c in calls {
        c.await.unwrap().unwrap();
    }
    assert_eq!(session.stats().renewals, 1, "{:?}", session.stats());
    assert_eq!(emu.stats().tokens_issued, 2);
    assert_ne!(session.participant_uuid(), first_uuid);
    session.close().await.unwrap();

    // The background refresh does the same without any call.
    let (emu, server) = VmrEmulator::start(VmrConfig::new().token_lifetime(Duration::from_secs(2))).await.unwrap();
    let mcu = node(&server.base_url());
    let session = mcu.session(ROOM, SessionOptions::new("Robot").pin("123456")).await.unwrap();
    server.expire_credentials();
    // Paused clock (the session's timers and the emulator's expiry read it): wait for the
    // background refresh to be refused and replaced, bounded in virtual time.
    tokio::time::timeout(Duration::from_secs(5), async {
        while session.stats().renewals == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the background refresh did not renew the session");
    assert_eq!(session.stats().renewals, 1, "{:?}", session.stats());
    assert_eq!(emu.stats().tokens_issued, 2);
    session.conference().unlock_with(UnlockRequest::new()).await.unwrap();
    drop(session);
    // Dropped without close: released in the background.
    tokio::time::timeout(Duration::from_secs(5), async {
        while emu.stats().sessions_ended == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("dropped session was not released");
}

#[tokio::test]
async fn enterprise_gate_sends_nothing() {
    let config = VmrConfig::new().deployment(conf_sandbox::vmr::Deployment::Enterprise);
    let (emu, server) = VmrEmulator::start(config).await.unwrap();
    let vmr = VmrClient::builder().base_url(server.base_url()).deployment(Deployment::EnterpriseCloud).build().unwrap();
    let session = vmr.join(CheckJoinRequest::new(ROOM, "Robot").join_pwd("123456"), SessionOptions::new("Robot")).await.unwrap();
    let alice = emu.add_participant(ROOM, DialIn::guest("Alice"));
    // start_service is sent and succeeds without effect: the no-op is on the result.
    let started = session.conference().start_service_with(StartServiceRequest::new()).await.unwrap();
    assert!(!started.acted);
    assert_eq!(emu.command_count("start_service"), 1);
    let before = server.log().len();
    let results = vec![
        session.conference().override_layout_with(OverrideLayoutRequest::new(vec![])).await.map(drop),
        session.participant().spotlight_on_with(SpotlightOnRequest::new(alice.clone())).await,
        session.participant().spotlight_off_with(SpotlightOffRequest::new(alice.clone())).await,
        session.participant().unlock_with(ParticipantUnlockRequest::new(alice.clone())).await,
        session.participant().role_with(RoleRequest::new(alice.clone(), DialRole::Chair)).await,
        session.participant().transfer_with(TransferRequest::new(alice.clone(), DialRole::Guest, "other@vmr.example")).await,
    ];
    for r in results {
        assert!(matches!(r, Err(Error::Unsupported { .. })), "{r:?}");
    }
    assert_eq!(
        server.log().len(),
        before,
        "nothing may be sent: {:?}",
        server.log().entries().iter().skip(before).map(|r| r.path.clone()).collect::<Vec<_>>()
    );
    session.participant().mute_with(ParticipantMuteRequest::new(alice)).await.unwrap();
    assert_eq!(server.log().len(), before + 1);
    session.close().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn dropped_stream_reconnects_and_roster_equals_the_emulator() {
    let (emu, server) = VmrEmulator::start(VmrConfig::new().keepalive_interval(Duration::from_millis(200))).await.unwrap();
    let mcu = node(&server.base_url());
    let session = mcu.session(ROOM, SessionOptions::new("Robot").pin("123456")).await.unwrap();
    let opts =
        EventOptions::default().silence_timeout(Duration::from_millis(800)).backoff(Duration::from_millis(50), Duration::from_millis(500));
    let mut events = session.events_with(opts);
    let mut roster = Roster::new();
    emu.add_participant(ROOM, DialIn::guest("Alice"));
    let bob = emu.add_participant(ROOM, DialIn::guest("Bob"));
    until_synced_equal(&mut events, &mut roster, &emu).await;

    // Broken mid-stream: changes made meanwhile arrive through the next sync bracket.
    emu.abort_streams();
    emu.remove_participant(&bob);
    emu.add_participant(ROOM, DialIn::guest("Carol"));
    next_matching(&mut events, &mut roster, |e| matches!(e, Event::ParticipantSyncBegin)).await;
    until_synced_equal(&mut events, &mut roster, &emu).await;
    assert!(events.stats().connects() >= 2, "{:?}", events.stats());

    // Ended cleanly by the node.
    emu.cut_streams();
    emu.add_participant(ROOM, DialIn::guest("Dave"));
    next_matching(&mut events, &mut roster, |e| matches!(e, Event::ParticipantSyncBegin)).await;
    until_synced_equal(&mut events, &mut roster, &emu).await;

    // Silent: the watchdog drops it and reconnects.
    emu.stall_streams();
    tokio::time::timeout(Duration::from_secs(10), async {
        while events.stats().silences() == 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("silence watchdog did not fire");
    emu.resume_streams();
    let erin = emu.add_participant(ROOM, DialIn::guest("Erin"));
    until_synced_equal(&mut events, &mut roster, &emu).await;
    assert!(roster.get(&erin).is_some());

    // An unknown event is passed on, not dropped.
    emu.send_event(ROOM, "refer", &serde_json::json!({"alias": "x"}));
    let e = next_matching(&mut events, &mut roster, |e| matches!(e, Event::Unknown { .. })).await;
    assert_eq!(e.name(), "refer");

    // disconnect ends the stream.
    session.conference().disconnect_all_with(DisconnectAllRequest::new()).await.unwrap();
    next_matching(&mut events, &mut roster, |e| matches!(e, Event::Disconnect { .. })).await;
    let rest = tokio::time::timeout(Duration::from_secs(5), events.next_event()).await.expect("stream did not end");
    assert!(rest.is_none(), "{rest:?}");
}
