//! ytx-telemeeting: `createMeeting` (not idempotent) and `meetingState` (idempotent).

use conf_core::{ClientConfig, Error};
use conf_sandbox::Server;
use conf_sandbox::ytx::{YtxConfig, YtxEmulator};
use http::Method;
use ytx_telemeeting::{CreateMeetingRequest, MeetingStateRequest, YtxClient};

use crate::matrix::{Case, Flow, Target, Verdict, core_config, wire_secrets};

/// The ytx flow.
pub struct YtxFlow {
    emu: YtxEmulator,
    server: Server,
    config: YtxConfig,
    client: YtxClient,
    meid: String,
}

impl YtxFlow {
    fn path(&self) -> String {
        format!("/{}/sid/{}/call/TeleMeeting.wx", self.config.version, self.config.account_sid)
    }
}

impl Flow for YtxFlow {
    const VENDOR: &'static str = "ytx-telemeeting";

    async fn start() -> Self {
        let config = YtxConfig::default();
        let (emu, server) = YtxEmulator::start(config.clone()).await.expect("start ytx emulator");
        let client =
            YtxClient::builder(config.account_sid.clone(), conf_core::secret::secret(config.auth_token.clone()), config.app_id.clone())
                .config(core_config(ClientConfig::parse(&server.base_url()).expect("base url")))
                .build()
                .expect("ytx client");
        let meid = client.create_meeting_with(CreateMeetingRequest::new("13100001314")).await.expect("warm-up create").meid;
        Self { emu, server, config, client, meid }
    }

    fn server(&self) -> &Server {
        &self.server
    }

    async fn read(&self) -> Result<(), Error> {
        self.client.meeting_state_with(MeetingStateRequest::new(self.meid.clone())).await.map(drop)
    }

    fn read_target(&self) -> Target {
        Target::new(Method::POST, self.path()).body("meetingState")
    }

    async fn create(&self) -> Result<(), Error> {
        self.client.create_meeting_with(CreateMeetingRequest::new("13100001314")).await.map(drop)
    }

    fn create_target(&self) -> Target {
        Target::new(Method::POST, self.path()).body("createMeeting")
    }

    fn created(&self) -> u64 {
        self.emu.meeting_ids().len() as u64
    }

    fn authentications(&self) -> Result<u64, &'static str> {
        Err("every request is signed afresh with the account token; no credential is issued that could expire")
    }

    fn unexpected_shapes(&self) -> (String, String) {
        (r#"{"statusCode":"0","statusMsg":{"members":"none"}}"#.into(), r#"{"statusCode":"0","meid":{"id":["x"]}}"#.into())
    }

    async fn stream(&self, _case: Case) -> Result<Verdict, &'static str> {
        Err("the ytx API has no event stream")
    }

    fn secrets(&self) -> Vec<String> {
        let mut s = vec![self.config.auth_token.clone()];
        s.extend(wire_secrets(&self.server));
        s
    }
}
