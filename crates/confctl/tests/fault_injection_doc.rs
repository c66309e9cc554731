//! The fault-injection example of `docs/sandbox.md`, kept compiling and passing.

use conf_core::secret::secret;
use conf_sandbox::ytx::{YtxConfig, YtxEmulator};
use conf_sandbox::{Fault, FaultRule};
use ytx_telemeeting::{CreateMeetingRequest, MeetingStateRequest, YtxClient};

#[tokio::test]
async fn reads_are_retried_creations_are_not() {
    let config = YtxConfig::default();
    let (emu, server) = YtxEmulator::start(config.clone()).await.unwrap();
    let client = YtxClient::builder(config.account_sid.clone(), secret(config.auth_token.clone()), config.app_id.clone())
        .config(conf_core::ClientConfig::parse(&server.base_url()).unwrap().proxy_from_env(false))
        .build()
        .unwrap();
    let meid = client.create_meeting_with(CreateMeetingRequest::new("13100001314")).await.unwrap().meid;

    // meetingState: first a 503, then a connection dropped before the body; the third attempt succeeds.
    server.faults().add(FaultRule::new(Fault::retry_after(503, "0")).body_contains("meetingState").once());
    server.faults().add(FaultRule::new(Fault::DropBeforeBody).body_contains("meetingState").once());
    client.meeting_state_with(MeetingStateRequest::new(meid.clone())).await.unwrap();
    let faults: Vec<_> = server.log().entries().into_iter().filter_map(|r| r.fault).collect();
    assert_eq!(faults.len(), 2);

    // createMeeting handled but unanswered: the outcome is unknown, and it is not replayed.
    server.faults().add(FaultRule::new(Fault::DropAfterHandling).body_contains("createMeeting").once());
    let err = client.create_meeting_with(CreateMeetingRequest::new("13100001314")).await.unwrap_err();
    assert!(matches!(err, conf_core::Error::OutcomeUnknown { .. }), "{err}");
    assert_eq!(emu.meeting_ids().len(), 2, "created once, never twice");
    server.shutdown().await;
}
