//! moyun-api: `mc.create_conf` (not idempotent) and `vc.list_confs` (idempotent), a token +
//! cookie session that expires mid-flow, and the CometD push connection.

use std::time::Duration;

use conf_core::{ClientConfig, Error};
use conf_sandbox::Server;
use conf_sandbox::moyun::{MoyunConfig as EmuConfig, MoyunEmulator};
use http::Method;
use moyun_api::push::{DropReason, PushEvent, PushStream, StreamItem, Topic};
use moyun_api::{AccountType, McCreateConfRequest, MoyunClient, MtSpec, Protocol, VcAddMtsRequest, VcListConfsRequest};

use crate::matrix::{Case, Flow, Target, Verdict, core_config, wait_until, wire_secrets};

/// The moyun flow.
pub struct MoyunFlow {
    emu: MoyunEmulator,
    server: Server,
    config: EmuConfig,
    client: MoyunClient,
}

/// The next item within 5 s (`None`: none, the end, or the stream gave up).
async fn next(push: &mut PushStream) -> Option<StreamItem<PushEvent>> {
    tokio::time::timeout(Duration::from_secs(5), push.next_item()).await.ok().flatten().and_then(Result::ok)
}

impl MoyunFlow {
    /// Add a terminal and wait for its push message; `Err` says what went wrong.
    async fn terminal_arrives(&self, push: &mut PushStream, conf_id: &str, account: &str) -> Result<(), String> {
        let mt = MtSpec {
            account_type: AccountType::E164,
            account: account.into(),
            bitrate: 2048,
            protocol: Protocol::H323,
            ..MtSpec::default()
        };
        let added = self
            .client
            .vc()
            .add_mts_with(VcAddMtsRequest::new(conf_id.to_string(), vec![mt]))
            .await
            .map_err(|e| format!("add_mts: {e}"))?;
        let mt_id = added.mts.unwrap_or_default().into_iter().find_map(|m| m.mt_id).ok_or("no mt_id")?;
        let want = Topic::Mt { conf_id: conf_id.into(), cascade_id: "0".into(), mt_id };
        loop {
            match next(push).await {
                Some(StreamItem::Event(PushEvent::Message(m))) if m.topic == want => return Ok(()),
                Some(_) => {}
                None => return Err("no push message for the new terminal within 5 s".into()),
            }
        }
    }

    /// Wait for the next `Connected` and its subscription report after a disconnection;
    /// returns (a `Reconnecting` seen, connection number, channels).
    async fn reconnected(push: &mut PushStream) -> Result<(bool, u64, Vec<String>), String> {
        let mut saw_disconnect = false;
        let mut connection = 0;
        loop {
            match next(push).await {
                Some(StreamItem::Reconnecting { .. }) => saw_disconnect = true,
                Some(StreamItem::Connected { connection: c }) => connection = c,
                Some(StreamItem::Event(PushEvent::Subscribed { channels, .. })) if connection > 0 => {
                    return Ok((saw_disconnect, connection, channels));
                }
                Some(_) => {}
                None => return Err("no reconnection within 5 s".into()),
            }
        }
    }

    async fn stream_case(&self, case: Case) -> Result<String, String> {
        let conf_id = self
            .client
            .mc()
            .create_conf_with(McCreateConfRequest::instant("push"))
            .await
            .map_err(|e| format!("create_conf: {e}"))?
            .conf_id
            .ok_or("no conf_id")?;
        let mut push = self
            .client
            .push()
            .subscribe("/confs/**")
            .watchdog_margin(Duration::from_millis(200))
            .backoff(Duration::from_millis(10), Duration::from_millis(50))
            .connect()
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let channel = format!("/userdomains/{}/confs/**", self.config.domain_id);
        match (next(&mut push).await, next(&mut push).await) {
            (Some(StreamItem::Connected { connection: 1 }), Some(StreamItem::Event(PushEvent::Subscribed { channels, .. })))
                if channels == vec![channel.clone()] => {}
            other => return Err(format!("first items: {other:?}")),
        }
        self.terminal_arrives(&mut push, &conf_id, "2322231").await?;
        let connects = self.emu.counters().connects;
        if !wait_until(Duration::from_secs(5), || self.emu.counters().connects > connects).await {
            return Err("no long poll in progress".into());
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
        match case {
            Case::StreamDropped => self.emu.streams().abort_streams(),
            _ => self.emu.streams().stall_streams(),
        }
        let (saw_disconnect, handshakes, channels) = if case == Case::StreamSilent {
            // The watchdog must give up on the silent poll by itself.
            let mut saw = false;
            while !saw {
                match next(&mut push).await {
                    Some(StreamItem::Reconnecting { reason: DropReason::SilenceTimeout { .. }, .. }) => saw = true,
                    Some(StreamItem::Reconnecting { reason, .. }) => {
                        return Err(format!("disconnected, but not by the watchdog: {reason}"));
                    }
                    Some(_) => {}
                    None => return Err("the watchdog did not fire within 5 s".into()),
                }
            }
            self.emu.streams().resume();
            let (_, h, c) = Self::reconnected(&mut push).await?;
            (true, h, c)
        } else {
            Self::reconnected(&mut push).await?
        };
        if !saw_disconnect || handshakes < 2 || channels != vec![channel.clone()] {
            return Err(format!("reconnected with handshakes {handshakes}, channels {channels:?}, disconnect seen {saw_disconnect}"));
        }
        if !self.emu.push_subscriptions().contains(&channel) {
            return Err(format!("the platform's subscriptions lack {channel}: {:?}", self.emu.push_subscriptions()));
        }
        self.terminal_arrives(&mut push, &conf_id, "2322232").await?;
        Ok(format!("disconnected, handshake #{handshakes}, subscription set {channels:?} restored, new terminal delivered"))
    }
}

impl Flow for MoyunFlow {
    const VENDOR: &'static str = "moyun-api";

    async fn start() -> Self {
        let config = EmuConfig { long_poll: Duration::from_millis(300), ..EmuConfig::default() };
        let (emu, server) = MoyunEmulator::start(config.clone()).await.expect("start moyun emulator");
        let password = config.users.get("name").expect("user").clone();
        let client = MoyunClient::builder(config.app_key.clone(), config.app_secret.clone(), "name", password)
            .config(core_config(ClientConfig::parse(&server.base_url()).expect("config")))
            .heartbeat_interval(None)
            .build()
            .expect("moyun client");
        let flow = Self { emu, server, config, client };
        flow.create().await.expect("warm-up create");
        flow
    }

    fn server(&self) -> &Server {
        &self.server
    }

    async fn read(&self) -> Result<(), Error> {
        self.client.vc().list_confs_with(VcListConfsRequest::new()).await.map(drop)
    }

    fn read_target(&self) -> Target {
        Target::new(Method::GET, "/api/v1/vc/confs")
    }

    async fn create(&self) -> Result<(), Error> {
        self.client.mc().create_conf_with(McCreateConfRequest::instant("matrix")).await.map(drop)
    }

    fn create_target(&self) -> Target {
        Target::new(Method::POST, "/api/v1/mc/confs")
    }

    fn created(&self) -> u64 {
        self.emu.conferences().len() as u64
    }

    fn authentications(&self) -> Result<u64, &'static str> {
        Ok(self.emu.counters().logins_ok)
    }

    fn unexpected_shapes(&self) -> (String, String) {
        (r#"{"success":1,"total":1,"confs":{"conf":"none"}}"#.into(), r#"{"success":1,"conf_id":{"id":[1]}}"#.into())
    }

    async fn stream(&self, case: Case) -> Result<Verdict, &'static str> {
        Ok(match self.stream_case(case).await {
            Ok(observed) => Verdict { observed, pass: true, texts: Vec::new() },
            Err(observed) => Verdict { texts: vec![observed.clone()], observed, pass: false },
        })
    }

    fn secrets(&self) -> Vec<String> {
        let mut s = vec![self.config.app_secret.clone()];
        s.extend(self.config.users.values().cloned());
        s.extend(wire_secrets(&self.server));
        s
    }
}
