//! webapi: `meetingcreate` (not idempotent) and `getmeetingfile` (idempotent).

use std::time::{Duration, SystemTime};

use conf_core::{ClientConfig, Error};
use conf_sandbox::Server;
use conf_sandbox::webapi::{WebApiConfig, WebApiEmulator};
use http::Method;
use webapi::{GetMeetingFileRequest, MeetingCreateRequest, WebApiClient};

use crate::matrix::{Case, Flow, Target, Verdict, core_config, wire_secrets};

/// The webapi flow.
pub struct WebApiFlow {
    emu: WebApiEmulator,
    server: Server,
    config: WebApiConfig,
    client: WebApiClient,
    serial: String,
}

impl WebApiFlow {
    fn request() -> MeetingCreateRequest {
        let start = SystemTime::now() - Duration::from_secs(60);
        MeetingCreateRequest::new("Weekly", start, "8888").end_time(start + Duration::from_secs(3600))
    }
}

impl Flow for WebApiFlow {
    const VENDOR: &'static str = "webapi";

    async fn start() -> Self {
        let config = WebApiConfig { key: "matrix-company-key-5d1e".into(), ..WebApiConfig::default() };
        let (emu, server) = WebApiEmulator::start(config.clone()).await.expect("start webapi emulator");
        let client = WebApiClient::builder(conf_core::secret::secret(config.key.clone()))
            .config(core_config(ClientConfig::parse(&server.base_url()).expect("url")))
            .build()
            .expect("webapi client");
        let serial = client.meeting_create_with(Self::request()).await.expect("warm-up create").serial.expect("serial");
        Self { emu, server, config, client, serial }
    }

    fn server(&self) -> &Server {
        &self.server
    }

    async fn read(&self) -> Result<(), Error> {
        self.client.get_meeting_file_with(GetMeetingFileRequest::new(&self.serial)).await.map(drop)
    }

    fn read_target(&self) -> Target {
        Target::new(Method::GET, "/WebAPI/getmeetingfile")
    }

    async fn create(&self) -> Result<(), Error> {
        self.client.meeting_create_with(Self::request()).await.map(drop)
    }

    fn create_target(&self) -> Target {
        Target::new(Method::POST, "/WebAPI/meetingcreate")
    }

    fn created(&self) -> u64 {
        self.emu.meetings().len() as u64
    }

    fn authentications(&self) -> Result<u64, &'static str> {
        Err("the company key is static: the WebAPI issues no token or session that could expire")
    }

    fn unexpected_shapes(&self) -> (String, String) {
        (r#"{"result":0,"meetingfile":{"file":"none"}}"#.into(), r#"{"result":0,"serial":{"no":[1]}}"#.into())
    }

    async fn stream(&self, _case: Case) -> Result<Verdict, &'static str> {
        Err("the WebAPI has no event stream")
    }

    fn secrets(&self) -> Vec<String> {
        let mut s = vec![self.config.key.clone()];
        if let Some((k, iv)) = &self.config.java_key_hex {
            s.push(k.clone());
            s.push(iv.clone());
        }
        if let Some((k, p)) = &self.config.php_passkey {
            s.push(k.clone());
            s.push(p.clone());
        }
        s.extend(wire_secrets(&self.server));
        s
    }
}
