//! vmr-rest: `dial` (not idempotent) and `service_status` (idempotent) in a session whose
//! token expires mid-flow, and the SSE event stream with its roster.

use std::collections::BTreeSet;
use std::time::Duration;

use conf_core::{ClientConfig, Error};
use conf_sandbox::Server;
use conf_sandbox::vmr::{DialIn, VmrConfig, VmrEmulator};
use http::Method;
use vmr_rest::{
    Deployment, DialProtocol, DialRequest, DialRole, Event, EventOptions, EventStream, Roster, ServiceStatusRequest, SessionOptions,
    VmrClient, VmrSession,
};

use crate::matrix::{Case, Flow, Target, Verdict, core_config, wire_secrets};

const ROOM: &str = "meet@vmr.example";
const HOST_PIN: &str = "123456";

/// The vmr flow.
pub struct VmrFlow {
    emu: VmrEmulator,
    server: Server,
    session: VmrSession,
    /// `/api/services/<room>/` as the server logs it.
    prefix: String,
}

fn emulator_uuids(emu: &VmrEmulator) -> BTreeSet<String> {
    emu.participants(ROOM).into_iter().map(|p| p.uuid).collect()
}

/// Read events until the roster is synced and equals the emulator's participants.
async fn until_synced_equal(events: &mut EventStream, roster: &mut Roster, emu: &VmrEmulator) -> Result<(), String> {
    tokio::time::timeout(Duration::from_secs(8), async {
        loop {
            if roster.is_synced() && roster.uuids().into_iter().collect::<BTreeSet<_>>() == emulator_uuids(emu) {
                return Ok(());
            }
            match events.next_event().await {
                Some(Ok(e)) => {
                    roster.apply(&e);
                }
                Some(Err(e)) => return Err(format!("the event stream gave up: {e}")),
                None => return Err("the event stream ended".to_string()),
            }
        }
    })
    .await
    .unwrap_or_else(|_| Err(format!("roster {:?} never equalled the emulator's {:?}", roster.uuids(), emulator_uuids(emu))))
}

impl VmrFlow {
    async fn stream_case(&self, case: Case) -> Result<String, String> {
        let opts = EventOptions::default()
            .silence_timeout(Duration::from_millis(800))
            .backoff(Duration::from_millis(50), Duration::from_millis(300));
        let mut events = self.session.events_with(opts);
        let mut roster = Roster::new();
        self.emu.add_participant(ROOM, DialIn::guest("Alice"));
        let bob = self.emu.add_participant(ROOM, DialIn::guest("Bob"));
        until_synced_equal(&mut events, &mut roster, &self.emu).await?;
        let connects = events.stats().connects();
        match case {
            Case::StreamDropped => {
                self.emu.abort_streams();
                // Changes while the stream is down arrive through the next sync bracket.
                self.emu.remove_participant(&bob);
                self.emu.add_participant(ROOM, DialIn::guest("Carol"));
                tokio::time::timeout(Duration::from_secs(8), async {
                    while events.stats().connects() <= connects {
                        match events.next_event().await {
                            Some(Ok(e)) => {
                                roster.apply(&e);
                            }
                            _ => break,
                        }
                    }
                })
                .await
                .map_err(|_| "no reconnection within 8 s".to_string())?;
            }
            _ => {
                self.emu.stall_streams();
                tokio::time::timeout(Duration::from_secs(8), async {
                    while events.stats().silences() == 0 {
                        tokio::select! {
                            e = events.next_event() => match e {
                                Some(Ok(e)) => {
                                    roster.apply(&e);
                                }
                                _ => break,
                            },
                            () = tokio::time::sleep(Duration::from_millis(50)) => {}
                        }
                    }
                })
                .await
                .map_err(|_| "the silence watchdog did not fire within 8 s".to_string())?;
                self.emu.resume_streams();
                self.emu.remove_participant(&bob);
            }
        }
        let erin = self.emu.add_participant(ROOM, DialIn::guest("Erin"));
        until_synced_equal(&mut events, &mut roster, &self.emu).await?;
        if roster.get(&erin).is_none() || roster.get(&bob).is_some() {
            return Err("roster misses a change".into());
        }
        let stats = events.stats();
        if stats.connects() <= connects {
            return Err(format!("no reconnection: {stats:?}"));
        }
        if case == Case::StreamSilent && stats.silences() == 0 {
            return Err(format!("watchdog never fired: {stats:?}"));
        }
        // Event::name keeps the import of Event honest: the stream still delivers events.
        let _ = Event::ParticipantSyncEnd.name();
        Ok(format!(
            "reconnected ({} connects, {} drops, {} silences); roster of {} equals the emulator's",
            stats.connects(),
            stats.drops(),
            stats.silences(),
            roster.uuids().len()
        ))
    }
}

impl Flow for VmrFlow {
    const VENDOR: &'static str = "vmr-rest";

    async fn start() -> Self {
        let (emu, server) =
            VmrEmulator::start(VmrConfig::new().keepalive_interval(Duration::from_millis(200))).await.expect("start vmr emulator");
        let config = core_config(ClientConfig::parse(&server.base_url()).expect("url"));
        let vmr = VmrClient::builder().config(config).deployment(Deployment::PublicCloud).build().expect("vmr client");
        let mcu = vmr.mcu(&server.base_url()).expect("mcu");
        let session = mcu.session(ROOM, SessionOptions::new("Robot").pin(HOST_PIN)).await.expect("new_session");
        session.conference().service_status_with(ServiceStatusRequest::new()).await.expect("warm-up read");
        let last = server.log().entries().last().expect("logged").path.clone();
        let prefix = last.strip_suffix("service_status").expect("service_status path").to_string();
        let flow = Self { emu, server, session, prefix };
        flow.create().await.expect("warm-up dial");
        flow
    }

    fn server(&self) -> &Server {
        &self.server
    }

    async fn read(&self) -> Result<(), Error> {
        self.session.conference().service_status_with(ServiceStatusRequest::new()).await.map(drop)
    }

    fn read_target(&self) -> Target {
        Target::new(Method::GET, format!("{}service_status", self.prefix))
    }

    async fn create(&self) -> Result<(), Error> {
        self.session.conference().dial_with(DialRequest::new(DialRole::Guest, "bob@example.com", DialProtocol::Sip)).await.map(drop)
    }

    fn create_target(&self) -> Target {
        Target::new(Method::POST, format!("{}dial", self.prefix))
    }

    fn created(&self) -> u64 {
        self.emu.dial_requests().len() as u64
    }

    fn authentications(&self) -> Result<u64, &'static str> {
        Ok(self.emu.stats().tokens_issued)
    }

    fn unexpected_shapes(&self) -> (String, String) {
        (r#"{"status":"success","result":"unexpected"}"#.into(), r#"{"status":"success","result":42}"#.into())
    }

    async fn stream(&self, case: Case) -> Result<Verdict, &'static str> {
        Ok(match self.stream_case(case).await {
            Ok(observed) => Verdict { observed, pass: true, texts: Vec::new() },
            Err(observed) => Verdict { texts: vec![observed.clone()], observed, pass: false },
        })
    }

    fn secrets(&self) -> Vec<String> {
        let mut s = vec![HOST_PIN.to_string(), "4321".to_string()];
        s.extend(wire_secrets(&self.server));
        s
    }
}
