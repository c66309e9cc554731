//! Conference commands: dial, service_status, lock/unlock, start_service,
//! muteguests/unmuteguests, disconnect, message, participants, override_layout.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use uuid::Uuid;

use super::config::Deployment;
use super::http::{Req, bool_result, failed, field, flag, host_required, success, text, unsupported};
use super::model::{CallDirection, Role, ServiceType, VmrMessage};
use super::state::{Shared, State};

/// Protocols `dial` accepts.
const PROTOCOLS: &[&str] = &["sip", "h323", "rtmp", "mssip", "rtsp", "phone", "auto"];
/// Layouts `override_layout` accepts.
pub(crate) const LAYOUTS: &[&str] = &["1:0", "4:0", "1:7", "1:21", "2:21"];

fn is_host(st: &State, session: u64) -> bool {
    st.sessions.get(&session).is_some_and(|s| s.role == Role::Chair)
}

/// `POST dial`: creates `connecting` participants; their uuids go to `dialled` so the caller
/// can schedule the answer after releasing the lock.
pub(crate) fn dial(st: &mut State, room: usize, session: u64, req: &Req, dialled: &mut Vec<Uuid>) -> Response {
    if !is_host(st, session) {
        return host_required();
    }
    let body = match req.json() {
        Ok(body) => body,
        Err(response) => return response,
    };
    st.dial_requests.push(Value::Object(body.clone()));
    let Some(destination) = text(&body, "destination").filter(|d| !d.trim().is_empty()) else {
        return failed(StatusCode::BAD_REQUEST, "destination is required");
    };
    let protocol = text(&body, "protocol").unwrap_or_else(|| "auto".into()).to_ascii_lowercase();
    if !PROTOCOLS.contains(&protocol.as_str()) {
        return failed(StatusCode::BAD_REQUEST, &format!("unknown protocol {protocol:?}"));
    }
    let role = match text(&body, "role") {
        None => Role::Guest,
        Some(r) => match Role::parse(&r) {
            Some(role) => role,
            None => return failed(StatusCode::BAD_REQUEST, &format!("unknown role {r:?}")),
        },
    };
    let call_type = text(&body, "call_type").unwrap_or_else(|| "video".into()).to_ascii_lowercase();
    if !matches!(call_type.as_str(), "video" | "video-only" | "audio") {
        return failed(StatusCode::BAD_REQUEST, &format!("unknown call_type {call_type:?}"));
    }
    if let Some(keep) = text(&body, "keep_conference_alive") {
        if !matches!(keep.as_str(), "keep_conference_alive" | "keep_conference_alive_if_multiple" | "keep_conference_alive_never") {
            return failed(StatusCode::BAD_REQUEST, &format!("unknown keep_conference_alive {keep:?}"));
        }
    }
    let name = text(&body, "remote_display_name").filter(|n| !n.is_empty()).unwrap_or_else(|| destination.clone());
    let streaming = flag(&body, "streaming").unwrap_or(false);
    let dtmf = text(&body, "dtmf_sequence").unwrap_or_default();
    let mut uuids = Vec::new();
    for _ in 0..st.cfg.dial_fork.max(1) {
        let mut p = st.new_participant(room, name.clone(), role, protocol.clone());
        p.call_direction = CallDirection::Out;
        p.service_type = ServiceType::Connecting;
        p.uri.clone_from(&destination);
        p.vendor = "conf-sandbox dialled endpoint".into();
        p.audio_only = call_type == "audio";
        p.video = call_type != "audio";
        p.presentation_supported = call_type == "video";
        p.streaming = streaming;
        p.dtmf.clone_from(&dtmf);
        let id = st.add_participant(room, p);
        dialled.push(id);
        uuids.push(Value::String(id.to_string()));
    }
    success(Value::Array(uuids))
}

/// `GET service_status`.
pub(crate) fn service_status(st: &State, room: usize) -> Response {
    let r = &st.rooms[room];
    let mut result = json!({"guests_muted": r.guests_muted, "locked": r.locked, "started": r.started, "whiteboard": r.cfg.whiteboard});
    if r.cfg.whiteboard {
        result["wb_url"] = Value::String(format!("https://wb.vmr.example/{}", r.cfg.id));
    }
    if st.cfg.deployment == Deployment::Enterprise {
        result["live_status"] = Value::Bool(false);
        result["record_status"] = Value::Bool(false);
    }
    success(result)
}

/// `POST lock` / `POST unlock`.
pub(crate) fn lock(shared: &Shared, st: &mut State, room: usize, session: u64, locked: bool) -> Response {
    if !is_host(st, session) {
        return host_required();
    }
    let r = &mut st.rooms[room];
    if r.locked != locked {
        r.locked = locked;
        r.service_update();
        r.admit_waiting();
    }
    bool_result(shared, if locked { "lock" } else { "unlock" }, true)
}

/// `POST start_service` (enterprise: answered with success and no effect, as the
/// document's table notes).
pub(crate) fn start_service(shared: &Shared, st: &mut State, room: usize, session: u64) -> Response {
    if !is_host(st, session) {
        return host_required();
    }
    if st.cfg.deployment == Deployment::Public {
        let r = &mut st.rooms[room];
        if !r.started {
            r.started = true;
            r.service_update();
        }
        r.admit_waiting();
    }
    bool_result(shared, "start_service", true)
}

/// `POST muteguests` / `POST unmuteguests`.
pub(crate) fn mute_guests(shared: &Shared, st: &mut State, room: usize, session: u64, mute: bool) -> Response {
    if !is_host(st, session) {
        return host_required();
    }
    let r = &mut st.rooms[room];
    r.guests_muted = mute;
    let mut changed = Vec::new();
    let targets: Vec<Uuid> = r.participants.iter().filter(|(_, p)| r.guest_mute_applies(p) && p.muted != mute).map(|(id, _)| *id).collect();
    for id in targets {
        if let Some(p) = r.participants.get_mut(&id) {
            p.muted = mute;
            changed.push(p.uuid.clone());
        }
    }
    r.announce_changed(&changed);
    r.service_update();
    bool_result(shared, if mute { "muteguests" } else { "unmuteguests" }, true)
}

/// `POST disconnect`: everyone (the caller included) leaves.
pub(crate) fn disconnect(shared: &Shared, st: &mut State, room: usize, session: u64) -> Response {
    if !is_host(st, session) {
        return host_required();
    }
    st.disconnect_all(room, "API initiated conference disconnect");
    bool_result(shared, "disconnect", true)
}

/// `POST message` (type, payload): a `message` event to every stream.
pub(crate) fn message(shared: &Shared, st: &mut State, room: usize, session: u64, req: &Req) -> Response {
    let body = match req.json() {
        Ok(body) => body,
        Err(response) => return response,
    };
    let Some(payload) = text(&body, "payload") else {
        return failed(StatusCode::BAD_REQUEST, "payload is required");
    };
    let content_type = text(&body, "type").unwrap_or_else(|| "text/plain".into());
    let (origin, uuid) = st.session_participant(session).map(|p| (p.display_name.clone(), p.uuid.clone())).unwrap_or_default();
    let r = &mut st.rooms[room];
    let data = json!({"origin": origin, "type": content_type, "payload": payload, "uuid": uuid});
    r.emit(None, "message", data.to_string(), false);
    r.messages.push(VmrMessage { origin, uuid, content_type, payload });
    bool_result(shared, "message", true)
}

/// `GET participants`.
pub(crate) fn participants(st: &State, room: usize) -> Response {
    success(participant_list(st, room))
}

fn participant_list(st: &State, room: usize) -> Value {
    Value::Array(st.rooms[room].listed().into_iter().map(|p| p.to_json()).collect())
}

/// `POST override_layout` (`{"layouts": [...]}`): answered with the participant list, as
/// the document shows; a `layout` event follows.
pub(crate) fn override_layout(st: &mut State, room: usize, session: u64, req: &Req) -> Response {
    if st.cfg.deployment == Deployment::Enterprise {
        return unsupported("override_layout");
    }
    if !is_host(st, session) {
        return host_required();
    }
    let body = match req.json() {
        Ok(body) => body,
        Err(response) => return response,
    };
    let Some(Value::Array(layouts)) = field(&body, "layouts") else {
        return failed(StatusCode::BAD_REQUEST, "layouts must be an array");
    };
    for layout in layouts {
        let Value::Object(l) = layout else {
            return failed(StatusCode::BAD_REQUEST, "each layout must be an object");
        };
        let name = text(l, "layout").unwrap_or_default();
        if !LAYOUTS.contains(&name.as_str()) {
            return failed(StatusCode::BAD_REQUEST, &format!("unknown layout {name:?}"));
        }
        let audience = text(l, "audience").unwrap_or_default();
        if !matches!(audience.as_str(), "hosts" | "" | "guests") {
            return failed(StatusCode::BAD_REQUEST, &format!("unknown audience {audience:?}"));
        }
        if let Some(actors) = field(l, "actors") {
            if !actors.as_array().is_some_and(|a| a.iter().all(Value::is_string)) {
                return failed(StatusCode::BAD_REQUEST, "actors must be an array of uuids");
            }
        }
    }
    let r = &mut st.rooms[room];
    r.layouts.clone_from(layouts);
    r.layout_event();
    success(participant_list(st, room))
}
