//! Every TeleMeeting action end to end against the emulator.

mod common;

use common::*;
use conf_core::{Body, ClientHandle, Operation};
use ytx_telemeeting::{
    CreateMeetingRequest, DestroyMeetingRequest, ErrorCode, LockMeetingRequest, MeetingStateRequest, MemberStatus, MuteState, Party,
    error_code,
};

fn body_of(req: &conf_sandbox::harness::LoggedRequest) -> serde_json::Value {
    serde_json::from_slice(&req.body).unwrap()
}

#[tokio::test]
async fn create_state_lock_destroy() {
    let (emu, server, config) = emulator().await;
    let client = client(&server, &config, fixed(T0));

    let created = client
        .create_meeting_with(
            CreateMeetingRequest::new("13100001314")
                .meeting_name("weekly")
                .parties(vec![Party::new("Li", "18900005326"), Party::new("Wang", "13700001111")])
                .show_number("01012345678"),
        )
        .await
        .unwrap();
    let meid = created.meid;
    let sent = body_of(&server.log().entries()[0]);
    assert_eq!(sent["action"], "createMeeting");
    assert_eq!(sent["appid"], config.app_id.as_str());
    assert_eq!(sent["creator"], "13100001314");
    assert_eq!(sent["meetingname"], "weekly");
    assert_eq!(sent["parties"][1]["phone"], "13700001111");
    let m = emu.meeting(&meid).expect("meeting exists");
    assert_eq!(m.members.len(), 3);
    assert_eq!(m.name, "weekly");

    emu.set_member_state(&meid, "18900005326", true, true);
    emu.set_member_state(&meid, "13700001111", false, false);
    let state = client.meeting_state_with(MeetingStateRequest::new(meid.clone())).await.unwrap();
    let members = state.members.unwrap();
    assert_eq!(members.len(), 3);
    assert_eq!(members[1].phone.as_deref(), Some("189****5326"));
    assert_eq!(members[1].meid.as_deref(), Some(meid.as_str()));
    assert_eq!(members[1].status, Some(MemberStatus::Online));
    assert_eq!(members[1].mute, Some(MuteState::Muted));
    assert_eq!(members[2].status, Some(MemberStatus::Offline));
    assert_eq!(members[2].mute, Some(MuteState::Unmuted));

    let locked = client.lock_meeting_with(LockMeetingRequest::new(meid.clone(), true)).await.unwrap();
    assert_eq!(locked.status_msg, Some(serde_json::json!("提交成功")));
    assert!(emu.meeting(&meid).unwrap().locked);
    let sent = body_of(server.log().entries().last().unwrap());
    assert_eq!(sent["action"], "lockMeeting");
    assert_eq!(sent["lackstate"], "1");
    assert_eq!(sent["confid"], meid.as_str());
    client.lock_meeting_with(LockMeetingRequest::new(meid.clone(), false)).await.unwrap();
    assert!(!emu.meeting(&meid).unwrap().locked);
    assert_eq!(body_of(server.log().entries().last().unwrap())["lackstate"], "0");

    client.destroy_meeting_with(DestroyMeetingRequest::new(meid.clone())).await.unwrap();
    assert!(emu.meeting(&meid).is_none());
    assert_eq!(body_of(server.log().entries().last().unwrap())["action"], "destroyMeeting");

    // an unknown code keeps the platform's code and message
    let err = client.meeting_state_with(MeetingStateRequest::new(meid)).await.unwrap_err();
    assert_eq!(err.vendor_code(), Some(conf_sandbox::ytx::NO_SUCH_MEETING));
    assert!(err.to_string().contains("会议不存在"), "{err}");
    assert!(matches!(error_code(&err), Some(ErrorCode::Unknown(_))));
}

#[tokio::test]
async fn booked_meeting_needs_a_time() {
    let (emu, server, config) = emulator().await;
    let client = client(&server, &config, fixed(T0));
    let err = client.create_meeting_with(CreateMeetingRequest::new("13100001314").book_meeting(true)).await.unwrap_err();
    assert_eq!(error_code(&err), Some(ErrorCode::MissingParameter), "{err}");
    let ok = client
        .create_meeting_with(CreateMeetingRequest::new("13100001314").book_meeting(true).book_time("2013-02-02 10:00:00").confid("8001"))
        .await
        .unwrap();
    assert_eq!(ok.meid, "8001");
    assert_eq!(body_of(server.log().entries().last().unwrap())["bookmeeting"], "1");
    assert_eq!(emu.meeting("8001").unwrap().booked_at.as_deref(), Some("2013-02-02 10:00:00"));
}

#[tokio::test]
async fn missing_parameter_is_typed() {
    let (_emu, server, config) = emulator().await;
    let client = client(&server, &config, fixed(T0));
    // a hand-built operation without `confid`
    let op = Operation::new("ytx", "lock_meeting", http::Method::POST, "/call/TeleMeeting.wx", "/call/TeleMeeting.wx")
        .body(Body::json(&serde_json::json!({"action": "lockMeeting", "lackstate": "1"})).unwrap());
    let err = client.send(ytx_telemeeting::custom::<serde_json::Value>(op)).await.unwrap_err();
    assert_eq!(error_code(&err), Some(ErrorCode::MissingParameter));
    assert!(err.to_string().contains("缺少必要参数"), "{err}");
}

#[tokio::test]
async fn empty_confid_is_refused_before_sending() {
    let (_emu, server, config) = emulator().await;
    let client = client(&server, &config, fixed(T0));
    let err = client.lock_meeting_with(LockMeetingRequest::new("", true)).await.unwrap_err();
    assert!(matches!(err, conf_core::Error::InvalidInput { .. }), "{err}");
    let err = client.lock_meeting_with(LockMeetingRequest::new("120", true).action("destroyMeeting")).await.unwrap_err();
    assert!(matches!(&err, conf_core::Error::InvalidInput { field, .. } if field == "action"), "{err}");
    assert_eq!(server.log().len(), 0);
}

#[tokio::test]
async fn create_is_not_replayed_after_it_may_have_taken_effect() {
    use conf_sandbox::harness::{Fault, FaultRule};
    let (emu, server, config) = emulator().await;
    let client = client(&server, &config, stepping(T0));
    server.faults().add(FaultRule::new(Fault::DropAfterHandling).path_exact(path(&config)).times(1));
    let err = client.create_meeting_with(CreateMeetingRequest::new("13100001314")).await.unwrap_err();
    assert!(matches!(err, conf_core::Error::OutcomeUnknown { .. }), "{err}");
    assert_eq!(emu.meeting_ids().len(), 1, "created once, never replayed");
    assert_eq!(server.log().len(), 1);
}

#[tokio::test]
async fn create_reply_without_a_meeting_id_is_a_decode_error() {
    use conf_sandbox::harness::{Fault, FaultRule};
    let (_emu, server, config) = emulator().await;
    let client = client(&server, &config, fixed(T0));
    let body = r#"{"statusCode":"0","statusMsg":"提交成功"}"#.to_string();
    server.faults().add(FaultRule::new(Fault::Body { status: 200, content_type: "application/json".into(), body }).times(1));
    let err = client.create_meeting_with(CreateMeetingRequest::new("13100001314")).await.unwrap_err();
    assert!(matches!(err, conf_core::Error::Decode { .. }), "{err}");
    // and `meid` inside an object statusMsg is found
    let body = r#"{"statusCode":"0","statusMsg":{"meid":"555"}}"#.to_string();
    server.faults().add(FaultRule::new(Fault::Body { status: 200, content_type: "application/json".into(), body }).times(1));
    assert_eq!(client.create_meeting_with(CreateMeetingRequest::new("13100001314")).await.unwrap().meid, "555");
}

#[tokio::test]
async fn failure_keeps_the_platforms_request_id() {
    let (emu, server, config) = emulator().await;
    let client = client(&server, &config, fixed(T0));
    let err = client.meeting_state_with(MeetingStateRequest::new("404")).await.unwrap_err();
    let sent = emu.counters().failure_request_ids;
    assert_eq!(sent.len(), 1);
    assert_eq!(err.vendor_request_id(), Some(sent[0].as_str()), "{err:?}");
    assert!(err.to_string().contains(&format!("requestId {}", sent[0])), "{err}");
    // An empty `requestId` (the document's example) is no id at all.
    use conf_sandbox::harness::{Fault, FaultRule};
    let body = r#"{"statusCode":"-2","statusMsg":"缺少必要参数","requestId":""}"#.to_string();
    server.faults().add(FaultRule::new(Fault::Body { status: 200, content_type: "application/json".into(), body }).times(1));
    let err = client.meeting_state_with(MeetingStateRequest::new("404")).await.unwrap_err();
    assert_eq!(err.vendor_request_id(), None);
    assert!(!err.to_string().contains("requestId"), "{err}");
}
