//! Exact request shapes per endpoint (httpmock): method, path, headers, body.

use std::time::Duration;

use httpmock::prelude::*;
use serde_json::{Value, json};

use conf_core::{ClientConfig, Error, ExposeSecret};
use vmr_rest::*;

const ROOM: &str = "meet@vmr.example";
const BASE: &str = "/api/services/meet%40vmr.example";

fn new_session_answer(token: &str, expires: Value) -> Value {
    json!({"status": "success", "result": {
        "token": token, "expires": expires, "participant_uuid": "self-uuid", "role": "HOST",
        "version": {"pseudo_version": "22112.0.0", "version_id": "3"}, "chat_enabled": "true",
        "allow_1080p": true, "bandwidth_in": "512", "some_future_field": {"x": 1}
    }})
}

async fn session_on(server: &MockServer, profile: DeploymentProfile) -> (VmrSession, httpmock::Mock<'_>) {
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("{BASE}/new_session"))
                .header("pin", "123456")
                .header_missing("token")
                .json_body(json!({"display_name": "Robot", "hideme": "no"}));
            then.status(200).json_body(new_session_answer("tok1", json!("120")));
        })
        .await;
    let url = server.base_url();
    let vmr = VmrClient::builder()
        .config(ClientConfig::parse(&url).unwrap().retry(conf_core::RetryPolicy::disabled()))
        .deployment(profile)
        .build()
        .unwrap();
    let mcu = vmr.mcu(&url).unwrap();
    let s = mcu.session(ROOM, SessionOptions::new("Robot").pin("123456").hideme(false)).await.unwrap();
    (s, m)
}

/// The shared client of the node at `url` (default settings).
fn node(url: &str) -> Mcu {
    VmrClient::builder().base_url(url).build().unwrap().mcu(url).unwrap()
}

fn ok(result: Value) -> Value {
    json!({"status": "success", "result": result})
}

#[tokio::test]
async fn check_join_sends_json_and_decodes_results() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            // Document 001: request bodies are application/json unless stated otherwise.
            when.method(POST)
                .path("/api/v3/meet/checkJoin.shtml")
                .header("content-type", "application/json")
                .json_body(json!({"joinAccount": "1061", "participantName": "Robot 1", "joinPwd": "123456"}));
            then.status(200).json_body(json!({"code": "200", "timeStamp": "2017-05-24 15:41:30", "results": {
                "isDot": false, "sipkey": "1061", "alias": "meet@vmr.example", "password": "123456",
                "participantName": "Robot 1", "roleType": "host", "mcuHost": "node.example.cn", "companyId": "42",
                "isRecord": "true", "isLive": 0, "conferenceName": "Demo", "allowGuest": "yes"}}));
        })
        .await;
    let vmr = VmrClient::builder().base_url(server.base_url()).build().unwrap();
    let info = vmr.check_join_with(CheckJoinRequest::new("1061", "Robot 1").join_pwd("123456")).await.unwrap();
    m.assert_async().await;
    assert_eq!(info.mcu_host.as_deref(), Some("node.example.cn"));
    assert_eq!(info.company_id, Some(42));
    assert_eq!((info.is_record, info.is_live, info.allow_guest, info.is_dot), (Some(true), Some(false), Some(true), Some(false)));
    assert_eq!(info.password.as_ref().map(|p| p.expose_secret().to_string()).as_deref(), Some("123456"));
    assert!(!format!("{info:?}").contains("123456"), "password must not show in Debug");
    // The node base inherits the API server's scheme when mcuHost has none.
    assert_eq!(vmr.mcu("node.example.cn:8443").unwrap().client().config().base_url.as_str(), "http://node.example.cn:8443/");
    // Bad input is refused before sending.
    let e = vmr.check_join_with(CheckJoinRequest::new("", "Robot")).await.unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    assert_eq!(m.calls_async().await, 1);
}

#[tokio::test]
async fn check_join_refusal_is_a_vendor_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v3/meet/checkJoin.shtml");
            then.status(200).json_body(json!({"code": "403", "msg": "wrong meeting password"}));
        })
        .await;
    let vmr = VmrClient::builder().base_url(server.base_url()).build().unwrap();
    let e = vmr.check_join_with(CheckJoinRequest::new("1061", "Robot").join_pwd("bad")).await.unwrap_err();
    assert_eq!(e.vendor_code(), Some("403"), "{e}");
    assert!(e.to_string().contains("wrong meeting password"));
    assert!(!e.to_string().contains("bad"));
}

#[tokio::test]
async fn new_session_sends_pin_none_without_pin_and_room_by_id() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST).path("/api/services/1061/new_session").header("pin", "none").json_body(json!({"display_name": "Bot"}));
            then.status(200).json_body(new_session_answer("t", json!(120)));
        })
        .await;
    let mcu = node(&server.base_url());
    let s = mcu.session("1061", SessionOptions::new("Bot").pin("")).await.unwrap();
    m.assert_async().await;
    assert_eq!(s.participant_uuid().as_deref(), Some("self-uuid"));
    let info = s.info();
    assert_eq!(info.chat_enabled, Some(true));
    assert_eq!(info.bandwidth_in, Some(512));
    assert!(info.token.is_none(), "the token is not kept in the info");
    assert!(!format!("{s:?}").contains("\"t\""));
    let opts = SessionOptions::new("Bot").pin("s3cr3t-pin");
    assert!(!format!("{opts:?}").contains("s3cr3t"), "a PIN must never reach Debug output");
    assert!(!format!("{:?}", NewSessionRequest::new("Bot").pin("s3cr3t-pin")).contains("s3cr3t"));
}

#[tokio::test]
async fn pin_errors_are_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{BASE}/new_session")).header("pin", "none");
            then.status(403).json_body(json!({"status": "success", "result": {"pin": "required", "guest_pin": "none"}}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{BASE}/new_session")).header("pin", "0000");
            then.status(403).json_body(json!({"status": "failed", "result": "Invalid PIN"}));
        })
        .await;
    let mcu = node(&server.base_url());
    let e = mcu.session(ROOM, SessionOptions::new("Bot")).await.unwrap_err();
    assert!(matches!(e, Error::Auth { .. }), "{e}");
    assert_eq!(PinError::from_error(&e), Some(PinError::Required { guest_pin_required: false }));
    let e = mcu.session(ROOM, SessionOptions::new("Bot").pin("0000")).await.unwrap_err();
    assert_eq!(PinError::from_error(&e), Some(PinError::Invalid), "{e}");
    assert!(!e.to_string().contains("0000"));
}

#[tokio::test]
async fn conference_commands() {
    let server = MockServer::start_async().await;
    let (s, _) = session_on(&server, Deployment::PublicCloud.into()).await;

    // Commands without a body: method, path, token header; every spelling of a true result.
    for (i, (path, result)) in [
        ("lock", json!("'true'")),
        ("unlock", json!(true)),
        ("start_service", json!("true")),
        ("muteguests", json!("'true'")),
        ("unmuteguests", json!(true)),
        ("disconnect", json!("true")),
    ]
    .into_iter()
    .enumerate()
    {
        let m = server
            .mock_async(|when, then| {
                when.method(POST).path(format!("{BASE}/{path}")).header("token", "tok1").header_missing("pin");
                then.status(200).json_body(ok(result));
            })
            .await;
        match i {
            0 => s.conference().lock_with(LockRequest::new()).await,
            1 => s.conference().unlock_with(UnlockRequest::new()).await,
            2 => s.conference().start_service_with(StartServiceRequest::new()).await.map(|r| assert!(r.acted, "public cloud acts")),
            3 => s.conference().mute_guests_with(MuteGuestsRequest::new()).await,
            4 => s.conference().unmute_guests_with(UnmuteGuestsRequest::new()).await,
            _ => s.conference().disconnect_all_with(DisconnectAllRequest::new()).await,
        }
        .unwrap_or_else(|e| panic!("{path}: {e}"));
        m.assert_async().await;
    }

    let m = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{BASE}/dial")).header("token", "tok1").json_body(json!({
                "role": "guest", "destination": "rtmp://live/x", "protocol": "rtmp", "presentation_url": "rtmp://live/p",
                "streaming": "yes", "dtmf_sequence": "1234#", "source_display_name": "Demo", "source": "1061",
                "call_type": "video-only", "keep_conference_alive": "keep_conference_alive_never", "remote_display_name": "Stream"
            }));
            then.status(200).json_body(ok(json!(["977fcd1c-8e3c-4dcf-af45-e536b77af088", "2"])));
        })
        .await;
    let r = s
        .conference()
        .dial_with(
            DialRequest::new(DialRole::Guest, "rtmp://live/x", DialProtocol::Rtmp)
                .presentation_url("rtmp://live/p")
                .streaming(true)
                .dtmf_sequence("1234#")
                .source_display_name("Demo")
                .source("1061")
                .call_type(CallType::VideoOnly)
                .keep_conference_alive(KeepConferenceAlive::Never)
                .remote_display_name("Stream"),
        )
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(r.participant_uuids, ["977fcd1c-8e3c-4dcf-af45-e536b77af088", "2"]);

    let m = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{BASE}/service_status")).header("token", "tok1");
            then.status(200).json_body(ok(
                json!({"guests_muted": "false", "locked": true, "started": 1, "whiteboard": "true", "wb_url": "https://wb", "x": 2}),
            ));
        })
        .await;
    let st = s.conference().service_status_with(ServiceStatusRequest::new()).await.unwrap();
    m.assert_async().await;
    assert_eq!((st.guests_muted, st.locked, st.started, st.whiteboard), (Some(false), Some(true), Some(true), Some(true)));

    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("{BASE}/message"))
                .header("token", "tok1")
                .json_body(json!({"type": "text/plain", "payload": "Hello World"}));
            then.status(200).json_body(ok(json!("true")));
        })
        .await;
    s.conference().message_with(MessageRequest::new("Hello World")).await.unwrap();
    m.assert_async().await;

    let m = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{BASE}/participants")).header("token", "tok1");
            then.status(200).json_body(ok(json!([
                {"uuid": "a", "display_name": "Alice", "is_muted": "YES", "encryption": "On", "spotlight": "0"},
                {"uuid": "b", "is_muted": 0, "has_media": "false"}
            ])));
        })
        .await;
    let list = s.conference().participants_with(ParticipantsRequest::new()).await.unwrap();
    m.assert_async().await;
    assert_eq!(list.participants.len(), 2);
    assert_eq!(list.participants[0].is_muted, Some(true));
    assert_eq!(list.participants[1].has_media, Some(false));

    let m = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{BASE}/override_layout")).header("token", "tok1").json_body(json!({"layouts": [
                {"audience": "hosts", "actors": [], "vad_backfill": true, "layout": "2:21", "plus_n": "auto", "actors_overlay_text": "auto"},
                {"audience": "", "actors": ["a", "b"], "vad_backfill": false, "layout": "1:7", "plus_n": "off", "actors_overlay_text": "auto"}
            ]}));
            then.status(200).json_body(ok(json!("'true'")));
        })
        .await;
    s.conference()
        .override_layout_with(OverrideLayoutRequest::new(vec![
            LayoutOverride {
                audience: Audience::Hosts,
                actors: vec![],
                vad_backfill: true,
                layout: LayoutView::TwoPlus21,
                plus_n: PlusN::Auto,
                actors_overlay_text: "auto".into(),
            },
            LayoutOverride {
                audience: Audience::Guests,
                actors: vec!["a".into(), "b".into()],
                vad_backfill: false,
                layout: LayoutView::OnePlus7,
                plus_n: PlusN::Off,
                actors_overlay_text: "auto".into(),
            },
        ]))
        .await
        .unwrap();
    m.assert_async().await;

    let m = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{BASE}/presentation.jpeg")).header("token", "tok1");
            then.status(200).header("content-type", "image/jpeg").body([0xFFu8, 0xD8, 0xFF, 0xE0]);
        })
        .await;
    let jpeg = s.conference().presentation_jpeg_with(PresentationJpegRequest::new()).await.unwrap();
    m.assert_async().await;
    assert_eq!(&jpeg[..], &[0xFF, 0xD8, 0xFF, 0xE0]);
}

#[tokio::test]
async fn participant_commands() {
    let server = MockServer::start_async().await;
    let (s, _) = session_on(&server, Deployment::PublicCloud.into()).await;
    let uuid = "50b956c8-9a63-4711-8630-3810f8666b04";
    for (i, cmd) in ["disconnect", "mute", "unmute", "allowrxpresentation", "denyrxpresentation", "spotlighton", "spotlightoff", "unlock"]
        .into_iter()
        .enumerate()
    {
        let m = server
            .mock_async(|when, then| {
                when.method(POST).path(format!("{BASE}/participants/{uuid}/{cmd}")).header("token", "tok1");
                then.status(200).json_body(ok(json!("'true'")));
            })
            .await;
        match i {
            0 => s.participant().disconnect_with(ParticipantDisconnectRequest::new(uuid)).await,
            1 => s.participant().mute_with(ParticipantMuteRequest::new(uuid)).await,
            2 => s.participant().unmute_with(ParticipantUnmuteRequest::new(uuid)).await,
            3 => s.participant().allow_rx_presentation_with(AllowRxPresentationRequest::new(uuid)).await,
            4 => s.participant().deny_rx_presentation_with(DenyRxPresentationRequest::new(uuid)).await,
            5 => s.participant().spotlight_on_with(SpotlightOnRequest::new(uuid)).await,
            6 => s.participant().spotlight_off_with(SpotlightOffRequest::new(uuid)).await,
            _ => s.participant().unlock_with(ParticipantUnlockRequest::new(uuid)).await,
        }
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
        m.assert_async().await;
    }
    for (path, body) in [
        ("dtmf", json!({"digits": "123#"})),
        ("role", json!({"role": "chair"})),
        ("transfer", json!({"role": "guest", "conference_alias": "meet@example.com", "pin": "1234"})),
    ] {
        let m = server
            .mock_async(|when, then| {
                when.method(POST).path(format!("{BASE}/participants/{uuid}/{path}")).header("token", "tok1").json_body(body.clone());
                then.status(200).json_body(ok(json!(true)));
            })
            .await;
        match path {
            "dtmf" => s.participant().dtmf_with(DtmfRequest::new(uuid, "123#")).await,
            "role" => s.participant().role_with(RoleRequest::new(uuid, DialRole::Chair)).await,
            _ => s.participant().transfer_with(TransferRequest::new(uuid, DialRole::Guest, "meet@example.com").pin("1234")).await,
        }
        .unwrap();
        m.assert_async().await;
    }
    // Sub-calls: WebRTC answers with sdp, RTMP with urls.
    let m = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{BASE}/participants/{uuid}/calls")).json_body(json!({"call_type": "WEBRTC", "sdp": "v=0"}));
            then.status(200).json_body(ok(json!({"call_uuid": "c1", "sdp": "v=0 answer"})));
        })
        .await;
    let a = s.participant().calls_with(CallsRequest::new(uuid, SubCallType::WebRtc).sdp("v=0")).await.unwrap();
    m.assert_async().await;
    assert_eq!((a.call_uuid.as_str(), a.sdp.as_deref()), ("c1", Some("v=0 answer")));
    // The WebRTC answer is acknowledged by its call_uuid, and the sub-call can be ended.
    for cmd in ["ack", "disconnect"] {
        let m = server
            .mock_async(|when, then| {
                when.method(POST).path(format!("{BASE}/participants/{uuid}/calls/c1/{cmd}")).header("token", "tok1");
                then.status(200).json_body(ok(json!("'true'")));
            })
            .await;
        if cmd == "ack" {
            s.participant().call_ack_with(CallAckRequest::new(uuid, a.call_uuid.clone())).await.unwrap();
        } else {
            s.participant().call_disconnect_with(CallDisconnectRequest::new(uuid, a.call_uuid.clone())).await.unwrap();
        }
        m.assert_async().await;
    }
    let e = s.participant().call_ack_with(CallAckRequest::new(uuid, "")).await.unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("{BASE}/participants/{uuid}/calls"))
                .json_body(json!({"call_type": "RTMP", "present": "send", "streaming": true, "bandwidth": 1024}));
            then.status(200).json_body(ok(json!({"call_uuid": "c2", "url": "rtmp://a/b", "secure_url": "rtmps://a/b"})));
        })
        .await;
    let a = s
        .participant()
        .calls_with(CallsRequest::new(uuid, SubCallType::Rtmp).present(PresentDirection::Send).streaming(true).bandwidth(1024))
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!((a.url.as_deref(), a.secure_url.as_deref()), (Some("rtmp://a/b"), Some("rtmps://a/b")));
    // A path parameter is percent-encoded; an empty one is refused before sending.
    let e = s.participant().mute_with(ParticipantMuteRequest::new("")).await.unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }));
}

#[tokio::test]
async fn false_result_is_an_error() {
    let server = MockServer::start_async().await;
    let (s, _) = session_on(&server, Deployment::PublicCloud.into()).await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{BASE}/lock"));
            then.status(200).json_body(ok(json!("'false'")));
        })
        .await;
    let e = s.conference().lock_with(LockRequest::new()).await.unwrap_err();
    assert_eq!(e.vendor_code(), Some("false"), "{e}");
}

#[tokio::test]
async fn refresh_and_end_session_shapes() {
    let server = MockServer::start_async().await;
    let (s, _) = session_on(&server, Deployment::PublicCloud.into()).await;
    let refresh = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{BASE}/refresh_session")).header("token", "tok1").header_missing("pin");
            then.status(200).json_body(ok(json!({"token": "tok2", "expires": 120})));
        })
        .await;
    // A 403 on a command renews the token and replays the command once.
    let lock_old = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{BASE}/lock")).header("token", "tok1");
            then.status(403).json_body(json!({"status": "failed", "result": "Invalid token"}));
        })
        .await;
    let lock_new = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{BASE}/lock")).header("token", "tok2");
            then.status(200).json_body(ok(json!(true)));
        })
        .await;
    s.conference().lock_with(LockRequest::new()).await.unwrap();
    assert_eq!((lock_old.calls_async().await, refresh.calls_async().await, lock_new.calls_async().await), (1, 1, 1));
    assert_eq!(s.stats().refreshes, 1);
    let end = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{BASE}/end_session")).header("token", "tok2");
            then.status(200).json_body(ok(json!(true)));
        })
        .await;
    s.close().await.unwrap();
    end.assert_async().await;
    let e = s.conference().lock_with(LockRequest::new()).await.unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "a call on a closed session is a usage error: {e}");
    s.close().await.unwrap();
    assert_eq!(end.calls_async().await, 1);
}

#[tokio::test]
async fn enterprise_gate_sends_nothing() {
    let server = MockServer::start_async().await;
    let (s, _) = session_on(&server, Deployment::EnterpriseCloud.into()).await;
    let any = server
        .mock_async(|when, then| {
            when.method(POST).path_includes("/participants/");
            then.status(200).json_body(ok(json!(true)));
        })
        .await;
    let start = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{BASE}/start_service"));
            then.status(200).json_body(ok(json!(true)));
        })
        .await;
    let u = "u1";
    // start_service: sent, success, the no-op visible on the result.
    let started = s.conference().start_service_with(StartServiceRequest::new()).await.unwrap();
    assert!(!started.acted, "enterprise answers 200 OK without acting");
    assert_eq!(start.calls_async().await, 1);
    let results = vec![
        s.conference().override_layout_with(OverrideLayoutRequest::new(vec![])).await.map(drop),
        s.participant().spotlight_on_with(SpotlightOnRequest::new(u)).await,
        s.participant().spotlight_off_with(SpotlightOffRequest::new(u)).await,
        s.participant().unlock_with(ParticipantUnlockRequest::new(u)).await,
        s.participant().role_with(RoleRequest::new(u, DialRole::Chair)).await,
        s.participant().transfer_with(TransferRequest::new(u, DialRole::Guest, "x@y")).await,
    ];
    for r in results {
        assert!(matches!(r, Err(Error::Unsupported { .. })), "{r:?}");
    }
    assert_eq!(any.calls_async().await, 0);
    // dial: SIP and H.323 only on enterprise, refused before sending otherwise.
    let dial = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{BASE}/dial"));
            then.status(200).json_body(ok(json!(["d1"])));
        })
        .await;
    for protocol in [DialProtocol::Rtmp, DialProtocol::Phone, DialProtocol::Auto, DialProtocol::Rtsp, DialProtocol::Mssip] {
        let e = s.conference().dial_with(DialRequest::new(DialRole::Guest, "x@y", protocol)).await.unwrap_err();
        assert!(matches!(&e, Error::InvalidInput { field, .. } if field == "protocol"), "{e}");
    }
    assert_eq!(dial.calls_async().await, 0);
    s.conference().dial_with(DialRequest::new(DialRole::Guest, "x@y", DialProtocol::Sip)).await.unwrap();
    s.conference().dial_with(DialRequest::new(DialRole::Guest, "x@y", DialProtocol::H323)).await.unwrap();
    assert_eq!(dial.calls_async().await, 2);
    // Supported on enterprise: goes out.
    s.participant().mute_with(ParticipantMuteRequest::new(u)).await.unwrap();
    assert_eq!(any.calls_async().await, 1);

    // An override for a deployment known to differ.
    let server2 = MockServer::start_async().await;
    let (s2, _) = session_on(&server2, DeploymentProfile::new(Deployment::EnterpriseCloud).allow("start_service").deny("lock")).await;
    let start2 = server2
        .mock_async(|when, then| {
            when.method(POST).path(format!("{BASE}/start_service"));
            then.status(200).json_body(ok(json!(true)));
        })
        .await;
    assert!(s2.conference().start_service_with(StartServiceRequest::new()).await.unwrap().acted, "declared supported: acts");
    start2.assert_async().await;
    assert!(matches!(s2.conference().lock_with(LockRequest::new()).await, Err(Error::Unsupported { .. })));
}

// Commands without a session do not compile: see the `compile_fail` example on `Room`.

#[tokio::test]
async fn join_maps_a_refused_join_check_to_the_pin_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v3/meet/checkJoin.shtml");
            then.status(200).json_body(json!({"code": "403", "msg": "wrong meeting password"}));
        })
        .await;
    let vmr = VmrClient::builder().base_url(server.base_url()).build().unwrap();
    let e = vmr.join(CheckJoinRequest::new("1061", "Robot").join_pwd("bad"), SessionOptions::new("Robot")).await.unwrap_err();
    assert_eq!(PinError::from_error(&e), Some(PinError::Invalid), "{e}");
    assert!(matches!(e, Error::Auth { .. }), "{e}");
    let e = vmr.join(CheckJoinRequest::new("1061", "Robot"), SessionOptions::new("Robot")).await.unwrap_err();
    assert_eq!(PinError::from_error(&e), Some(PinError::Required { guest_pin_required: true }), "{e}");
    // check_join itself keeps the vendor's answer.
    let e = vmr.check_join_with(CheckJoinRequest::new("1061", "Robot")).await.unwrap_err();
    assert_eq!(e.vendor_code(), Some("403"));
}

#[tokio::test]
async fn a_closed_session_is_a_usage_error() {
    let server = MockServer::start_async().await;
    let (s, _) = session_on(&server, Deployment::PublicCloud.into()).await;
    let lock = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{BASE}/lock"));
            then.status(200).json_body(ok(json!(true)));
        })
        .await;
    s.close().await.unwrap();
    let e = s.conference().lock_with(LockRequest::new()).await.unwrap_err();
    assert!(matches!(&e, Error::InvalidInput { field, .. } if field == "session"), "{e}");
    assert!(e.to_string().contains("closed"), "{e}");
    assert_eq!(lock.calls_async().await, 0);
}

#[tokio::test]
async fn false_results_name_the_command_and_the_node_answer() {
    let server = MockServer::start_async().await;
    let (s, _) = session_on(&server, Deployment::PublicCloud.into()).await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{BASE}/muteguests"));
            then.status(200).json_body(ok(json!("'false'")));
        })
        .await;
    let e = s.conference().mute_guests_with(MuteGuestsRequest::new()).await.unwrap_err();
    assert_eq!(e.vendor_code(), Some("false"));
    let Error::Vendor { message, .. } = &e else { panic!("{e}") };
    assert!(message.contains("`muteguests`") && message.contains("'false'"), "{message}");
}

#[tokio::test]
async fn an_array_for_the_status_object_is_a_decode_error() {
    let server = MockServer::start_async().await;
    let (s, _) = session_on(&server, Deployment::PublicCloud.into()).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{BASE}/service_status"));
            then.status(200).json_body(ok(json!([true, true, true, true])));
        })
        .await;
    let e = s.conference().service_status_with(ServiceStatusRequest::new()).await.unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e}");
}

#[tokio::test]
async fn an_absurd_expires_is_clamped_not_a_panic() {
    for (expires, lifetime) in [(json!("18446744073709551615"), 24 * 3600), (json!(u64::MAX), 24 * 3600), (json!("0"), 1)] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(format!("{BASE}/new_session"));
                then.status(200).json_body(new_session_answer("tokA", expires.clone()));
            })
            .await;
        let mcu = node(&server.base_url());
        let before = tokio::time::Instant::now();
        let s = mcu.session(ROOM, SessionOptions::new("Robot")).await.unwrap();
        assert_eq!(s.stats().clamped_lifetimes, 1, "{expires}");
        let due = s.refresh_due().unwrap();
        assert!(due <= before + Duration::from_secs(lifetime) + Duration::from_secs(1), "{expires}: refresh due too late");
        s.close().await.unwrap();
    }
}
