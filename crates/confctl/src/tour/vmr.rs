//! vmr: join check, session, commands, live events with the roster, close.

use std::time::Duration;

use conf_core::Error;
use conf_core::secret::secret;
use conf_sandbox::vmr::DialIn;
use vmr_rest::{
    CheckJoinRequest, DialProtocol, DialRequest, DialRole, Event, EventOptions, EventStream, LockRequest, MessageRequest,
    MuteGuestsRequest, ParticipantMuteRequest, Roster, ServiceStatusRequest, SessionOptions, UnlockRequest, VmrClient,
};

use super::Flow;
use crate::sandbox::{Sandbox, VMR_HOST_PIN, VMR_ROOM, VMR_ROOM_ID, loopback};

/// Read events into `roster` until `done` holds for one of them.
async fn until(
    events: &mut EventStream,
    roster: &mut Roster,
    what: &str,
    mut done: impl FnMut(&Event, &Roster) -> bool,
) -> Result<usize, Error> {
    let mut n = 0;
    let wait = async {
        while let Some(e) = events.next_event().await {
            let e = e?;
            n += 1;
            roster.apply(&e);
            if done(&e, roster) {
                return Ok(n);
            }
        }
        Err(Error::other(format!("the event stream ended before {what}")))
    };
    tokio::time::timeout(Duration::from_secs(4), wait).await.map_err(|_| Error::other(format!("no {what} within 4 s")))?
}

/// Run the vmr flow.
pub async fn flow(sb: &Sandbox, json: bool) -> Flow {
    let mut f = Flow::new("vmr", json);
    let (emu, server) = &sb.vmr;
    let alice = emu.add_participant(VMR_ROOM, DialIn::guest("Alice"));
    let Some(vmr) = f
        .step("client", async {
            let c = VmrClient::builder().config(loopback(&server.base_url())?).deployment(vmr_rest::Deployment::PublicCloud).build()?;
            Ok((c, format!("API server {}", server.base_url())))
        })
        .await
    else {
        return f;
    };
    let join = || CheckJoinRequest::new(VMR_ROOM_ID, "confctl tour").join_pwd(secret(VMR_HOST_PIN));
    f.step("join check", async {
        let info = vmr.check_join_with(join()).await?;
        Ok(((), format!("room {} on node {}", info.alias.unwrap_or_default(), info.mcu_host.unwrap_or_default())))
    })
    .await;
    let Some(session) = f
        .step("new_session", async {
            let s = vmr.join(join(), SessionOptions::new("confctl tour")).await?;
            let detail =
                format!("role {}, token valid {} s", s.info().role.clone().unwrap_or_default(), s.info().expires.unwrap_or_default());
            Ok((s, detail))
        })
        .await
    else {
        return f;
    };
    let mut events = session.events_with(EventOptions::default().silence_timeout(Duration::from_secs(3)));
    let mut roster = Roster::new();
    f.step("events: roster sync", async {
        let n = until(&mut events, &mut roster, "participant_sync_end", |e, _| matches!(e, Event::ParticipantSyncEnd)).await?;
        Ok(((), format!("{n} events, {} participants", roster.len())))
    })
    .await;
    f.step("lock", async {
        session.conference().lock_with(LockRequest::new()).await?;
        until(&mut events, &mut roster, "service_update locked", |e, _| matches!(e, Event::ServiceUpdate(u) if u.locked == Some(true)))
            .await?;
        Ok(((), "service_update: locked".to_string()))
    })
    .await;
    f.step("mute guests", async {
        session.conference().mute_guests_with(MuteGuestsRequest::new()).await?;
        let s = session.conference().service_status_with(ServiceStatusRequest::new()).await?;
        if s.guests_muted != Some(true) {
            return Err(Error::other("service_status does not report guests muted"));
        }
        Ok(((), "service_status: guests muted".to_string()))
    })
    .await;
    f.step("dial", async {
        let r = session.conference().dial_with(DialRequest::new(DialRole::Guest, "sip:carol@terminals.example", DialProtocol::Sip)).await?;
        let uuid = r.participant_uuids.first().cloned().ok_or_else(|| Error::other("dial answered no participant"))?;
        until(&mut events, &mut roster, "the dialled participant", |_, r| r.get(&uuid).is_some()).await?;
        Ok(((), format!("Carol joined as {uuid}; roster has {}", roster.len())))
    })
    .await;
    f.step("message", async {
        session.conference().message_with(MessageRequest::new("Hello from confctl tour")).await?;
        until(
            &mut events,
            &mut roster,
            "the message event",
            |e, _| matches!(e, Event::Message(m) if m.payload.as_deref() == Some("Hello from confctl tour")),
        )
        .await?;
        Ok(((), "message event received".to_string()))
    })
    .await;
    f.step("mute participant", async {
        session.participant().mute_with(ParticipantMuteRequest::new(alice.clone())).await?;
        until(&mut events, &mut roster, "Alice muted", |_, r| r.get(&alice).is_some_and(|p| p.is_muted == Some(true))).await?;
        Ok(((), "Alice muted (participant_update)".to_string()))
    })
    .await;
    f.step("unlock", async {
        session.conference().unlock_with(UnlockRequest::new()).await?;
        let s = session.conference().service_status_with(ServiceStatusRequest::new()).await?;
        Ok(((), format!("locked={}", s.locked.unwrap_or(true))))
    })
    .await;
    drop(events);
    f.step("end_session", async {
        session.close().await?;
        let live = emu.live_sessions();
        if live != 0 {
            return Err(Error::other(format!("{live} sessions still live on the node")));
        }
        Ok(((), "token released".to_string()))
    })
    .await;
    f
}
