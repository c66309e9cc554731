//! `confctl vmr`: in-meeting control. Every command opens a session (new_session) and
//! closes it (end_session) before exiting, also on Ctrl-C.

use conf_core::secret::secret;
use std::time::Duration;

use conf_core::{ClientConfig, Error, RequestInfo, TimeoutKind};
use serde_json::{Value, json};
use vmr_rest::{
    CheckJoinRequest, Deployment, Event, LockRequest, MessageRequest, MuteGuestsRequest, ParticipantMuteRequest, ParticipantsRequest,
    ServiceStatusRequest, SessionOptions, UnlockRequest, UnmuteGuestsRequest, VmrClient, VmrSession,
};

use super::{core_config, required, text, to_json};
use crate::cli::{Deployment as CliDeployment, VmrArgs, VmrCommand};
use crate::exit;
use crate::output::{Output, Table};

/// How the meeting node is found.
enum Target {
    /// `--base-url` + `--room`.
    Node { config: ClientConfig, room: String },
    /// `--api-server` + join check.
    JoinCheck { config: ClientConfig, request: CheckJoinRequest },
}

/// Run a `vmr` command.
pub async fn run(args: VmrArgs, out: Output) -> Result<u8, Error> {
    let deployment = match args.deployment {
        CliDeployment::Public => Deployment::PublicCloud,
        CliDeployment::Enterprise => Deployment::EnterpriseCloud,
    };
    // Check every input before anything is sent.
    match &args.command {
        VmrCommand::Message { text } if text.trim().is_empty() => return Err(Error::invalid_input("TEXT", "must not be empty")),
        VmrCommand::Mute { participant } if participant.trim().is_empty() => {
            return Err(Error::invalid_input("--participant", "must not be empty"));
        }
        VmrCommand::Events { count: 0, .. } => return Err(Error::invalid_input("--count", "must be at least 1")),
        VmrCommand::Events { timeout: 0, .. } => return Err(Error::invalid_input("--timeout", "must be at least 1 second")),
        _ => {}
    }
    if args.display_name.trim().is_empty() {
        return Err(Error::invalid_input("--display-name", "must not be empty"));
    }
    let target = if let Some(api) = args.api_server.as_deref() {
        let account = required(args.join_account.as_deref(), "--join-account")?;
        let name = required(args.participant_name.as_deref(), "--participant-name")?;
        let mut request = CheckJoinRequest::new(account, name);
        if let Some(pin) = args.pin.as_deref().filter(|p| !p.is_empty()) {
            request = request.join_pwd(secret(pin));
        }
        request.validate()?;
        Target::JoinCheck { config: core_config(api, args.insecure)?, request }
    } else {
        let base = required(args.base_url.as_deref(), "--base-url (or --api-server)")?;
        let room = required(args.room.as_deref(), "--room")?.to_string();
        Target::Node { config: core_config(base, args.insecure)?, room }
    };
    let mut options = SessionOptions::new(args.display_name.clone());
    if let Some(store) = super::fleet::store(&args.fleet)? {
        options = options.credential_store(store);
    }
    if let Some(pin) = args.pin.as_deref().filter(|p| !p.is_empty()) {
        options = options.pin(secret(pin));
    }

    // Opening is interruptible too; a session that opened is always closed.
    let open = async {
        match target {
            Target::Node { config, room } => {
                let node = config.base_url.to_string();
                VmrClient::builder().config(config).deployment(deployment).build()?.mcu(&node)?.session(&room, options).await
            }
            Target::JoinCheck { config, request } => {
                VmrClient::builder().config(config).deployment(deployment).build()?.join(request, options).await
            }
        }
    };
    let session = tokio::select! {
        s = open => s?,
        _ = tokio::signal::ctrl_c() => return Err(Error::other("interrupted before the session opened")),
    };
    let result = tokio::select! {
        r = command(&session, args.command, out) => r,
        _ = tokio::signal::ctrl_c() => Err(Error::other("interrupted (the session was closed)")),
    };
    let closed = session.close().await;
    result?;
    closed?;
    Ok(exit::OK)
}

async fn command(session: &VmrSession, command: VmrCommand, out: Output) -> Result<(), Error> {
    let done = |name: &str, extra: Value| {
        let mut v = json!({ "command": name, "ok": true });
        if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
            m.extend(e);
        }
        out.result(&v, &Table::kv([("command", name.to_string()), ("result", "ok".to_string())]));
    };
    match command {
        VmrCommand::Status => {
            let s = session.conference().service_status_with(ServiceStatusRequest::new()).await?;
            let table = Table::kv([
                ("locked", text(s.locked)),
                ("guests_muted", text(s.guests_muted)),
                ("started", text(s.started)),
                ("whiteboard", text(s.whiteboard)),
            ]);
            out.result(&to_json(&s), &table);
        }
        VmrCommand::Participants => {
            let list = session.conference().participants_with(ParticipantsRequest::new()).await?;
            let mut table = Table::new(["uuid", "display_name", "role", "muted", "protocol"]);
            for p in &list.participants {
                table.row([
                    p.uuid.clone(),
                    text(p.display_name.as_ref()),
                    text(p.role.as_ref()),
                    text(p.is_muted),
                    text(p.protocol.as_ref()),
                ]);
            }
            out.result(&to_json(&list), &table);
        }
        VmrCommand::Lock => {
            session.conference().lock_with(LockRequest::new()).await?;
            done("lock", json!({}));
        }
        VmrCommand::Unlock => {
            session.conference().unlock_with(UnlockRequest::new()).await?;
            done("unlock", json!({}));
        }
        VmrCommand::MuteGuests => {
            session.conference().mute_guests_with(MuteGuestsRequest::new()).await?;
            done("mute-guests", json!({}));
        }
        VmrCommand::UnmuteGuests => {
            session.conference().unmute_guests_with(UnmuteGuestsRequest::new()).await?;
            done("unmute-guests", json!({}));
        }
        VmrCommand::Message { text } => {
            session.conference().message_with(MessageRequest::new(text.clone())).await?;
            done("message", json!({ "text": text }));
        }
        VmrCommand::Mute { participant } => {
            session.participant().mute_with(ParticipantMuteRequest::new(participant.clone())).await?;
            done("mute", json!({ "participant": participant }));
        }
        VmrCommand::Events { count, timeout } => {
            let mut events = session.events();
            let mut seen = 0;
            let limit = Duration::from_secs(timeout);
            let deadline = tokio::time::Instant::now().checked_add(limit);
            while seen < count {
                let next = match deadline {
                    Some(at) => tokio::time::timeout_at(at, events.next_event()).await,
                    None => Ok(events.next_event().await),
                };
                let Ok(next) = next else {
                    // Exit 4, like every timeout: fewer than N events within --timeout.
                    return Err(Error::Timeout { request: RequestInfo::none("vmr", "events"), kind: TimeoutKind::Deadline(limit) });
                };
                let Some(event) = next else {
                    return Err(Error::other(format!("the event stream ended after {seen} of {count} events")));
                };
                // The stream gave up (failure budget, token refused again): its error.
                let event = event?;
                // JSON lines, whatever --json says: the documented format of this command.
                crate::output::Output { json: true }.event(&event_json(&event), event.name());
                seen += 1;
            }
        }
    }
    Ok(())
}

/// One event as a JSON object: `{"event": name, ...fields}`.
pub fn event_json(e: &Event) -> Value {
    let data = match e {
        Event::PresentationStart(p) => json!({ "presenter_name": p.presenter_name, "presenter_uri": p.presenter_uri }),
        Event::ParticipantCreate(p) | Event::ParticipantUpdate(p) => to_json(p),
        Event::ParticipantDelete { uuid } => json!({ "uuid": uuid }),
        Event::ServiceUpdate(s) => json!({ "locked": s.locked, "guests_muted": s.guests_muted }),
        Event::Layout(l) => json!({ "view": l.view.as_ref().map(|v| v.value().to_string()), "participants": l.participants }),
        Event::Message(m) => json!({ "origin": m.origin, "uuid": m.uuid, "type": m.mime_type, "payload": m.payload }),
        Event::Stage(s) => Value::Array(
            s.iter().map(|x| json!({ "stage_index": x.stage_index, "participant_uuid": x.participant_uuid, "vad": x.vad })).collect(),
        ),
        Event::CallDisconnected { call_uuid, reason } => json!({ "call_uuid": call_uuid, "reason": reason }),
        Event::Disconnect { reason } => json!({ "reason": reason }),
        Event::Unknown { data, .. } => serde_json::from_str(data).unwrap_or_else(|_| Value::String(data.clone())),
        _ => Value::Null,
    };
    json!({ "event": e.name(), "data": data })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_as_json_lines() {
        let v = event_json(&Event::decode("service_update", r#"{"locked": "true", "guests_muted": false}"#));
        assert_eq!(v, json!({ "event": "service_update", "data": { "locked": true, "guests_muted": false } }));
        let v = event_json(&Event::decode("participant_create", r#"{"uuid": "u1", "display_name": "Alice", "is_muted": "YES"}"#));
        assert_eq!(
            (v["event"].as_str(), v["data"]["uuid"].as_str(), v["data"]["is_muted"].as_bool()),
            (Some("participant_create"), Some("u1"), Some(true))
        );
        let v = event_json(&Event::decode("refer", r#"{"to": "x"}"#));
        assert_eq!(v, json!({ "event": "refer", "data": { "to": "x" } }));
        let v = event_json(&Event::decode("participant_sync_end", ""));
        assert_eq!(v, json!({ "event": "participant_sync_end", "data": null }));
    }
}
