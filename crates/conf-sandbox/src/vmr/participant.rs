//! Participant commands (`participants/<uuid>/<command>`): disconnect, mute, unmute,
//! allowrxpresentation, denyrxpresentation, spotlighton, spotlightoff, unlock, dtmf, role,
//! transfer, calls.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use uuid::Uuid;

use super::config::Deployment;
use super::http::{Req, bool_result, failed, host_required, success, text, unsupported};
use super::media::sdp_answer;
use super::model::{Role, ServiceType, VmrCall};
use super::state::{PinCheck, Shared, State, unix_now};

/// Participant commands and their HTTP method (all POST).
pub(crate) const COMMANDS: &[&str] = &[
    "disconnect",
    "mute",
    "unmute",
    "allowrxpresentation",
    "denyrxpresentation",
    "spotlighton",
    "spotlightoff",
    "unlock",
    "dtmf",
    "role",
    "transfer",
    "calls",
];

/// Commands an enterprise cloud does not support.
const ENTERPRISE_UNSUPPORTED: &[&str] = &["spotlighton", "spotlightoff", "unlock", "role", "transfer"];

/// Runs one participant command for an authenticated session. `command` is one of
/// [`COMMANDS`]. An unknown participant (or one in another room) is answered with a
/// `false` result, the document's "否则返回 false".
pub(crate) fn run(shared: &Shared, st: &mut State, room: usize, session: u64, uuid: &str, command: &str, req: &Req) -> Response {
    if st.cfg.deployment == Deployment::Enterprise && ENTERPRISE_UNSUPPORTED.contains(&command) {
        return unsupported(command);
    }
    let caller = st.sessions.get(&session).map(|s| (s.role, s.participant));
    let Some((caller_role, caller_id)) = caller else {
        return super::http::invalid_token();
    };
    let target = Uuid::parse_str(uuid.trim()).ok().filter(|id| st.where_is.get(id) == Some(&room));
    let is_self = target == Some(caller_id);
    let allowed = caller_role == Role::Chair || (is_self && matches!(command, "calls" | "disconnect" | "dtmf"));
    if !allowed {
        return host_required();
    }
    let Some(id) = target else {
        return bool_result(shared, command, false);
    };
    match command {
        "disconnect" => {
            st.remove_participant(id, Some("API initiated participant disconnect"));
            bool_result(shared, command, true)
        }
        "mute" | "unmute" => {
            st.update_participant(id, |p| p.muted = command == "mute");
            bool_result(shared, command, true)
        }
        "allowrxpresentation" | "denyrxpresentation" => {
            st.update_participant(id, |p| p.rx_presentation = command == "allowrxpresentation");
            bool_result(shared, command, true)
        }
        "spotlighton" | "spotlightoff" => {
            let at = if command == "spotlighton" { unix_now() } else { 0 };
            st.update_participant(id, |p| p.spotlight = at);
            st.rooms[room].layout_event();
            bool_result(shared, command, true)
        }
        "unlock" => {
            st.update_participant(id, |p| {
                if p.service_type == ServiceType::WaitingRoom {
                    p.service_type = ServiceType::Conference;
                }
            });
            bool_result(shared, command, true)
        }
        "dtmf" => dtmf(shared, st, id, req),
        "role" => role(shared, st, id, req),
        "transfer" => transfer(shared, st, id, req),
        "calls" => calls(st, id, req),
        _ => super::http::not_found_node(),
    }
}

fn dtmf(shared: &Shared, st: &mut State, id: Uuid, req: &Req) -> Response {
    let body = match req.json() {
        Ok(body) => body,
        Err(response) => return response,
    };
    let digits = ["digits", "dtmf", "dtmf_sequence", "sequence"].iter().find_map(|k| text(&body, k)).unwrap_or_default();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D' | ',')) {
        return failed(StatusCode::BAD_REQUEST, "digits must be a DTMF sequence (0-9, *, #, A-D)");
    }
    let room = st.where_is[&id];
    if let Some(p) = st.rooms[room].participants.get_mut(&id) {
        p.dtmf.push_str(&digits);
    }
    bool_result(shared, "dtmf", true)
}

fn role(shared: &Shared, st: &mut State, id: Uuid, req: &Req) -> Response {
    let body = match req.json() {
        Ok(body) => body,
        Err(response) => return response,
    };
    let Some(role) = text(&body, "role").as_deref().and_then(Role::parse) else {
        return failed(StatusCode::BAD_REQUEST, "role must be chair or guest");
    };
    st.update_participant(id, |p| p.role = role);
    st.set_session_role(id, role);
    bool_result(shared, "role", true)
}

/// `transfer` (role, conference_alias, pin): the participant leaves this room and joins the
/// target with the requested role when the PIN admits that role there; otherwise `false`.
fn transfer(shared: &Shared, st: &mut State, id: Uuid, req: &Req) -> Response {
    let body = match req.json() {
        Ok(body) => body,
        Err(response) => return response,
    };
    let role = text(&body, "role").as_deref().and_then(Role::parse).unwrap_or(Role::Guest);
    let Some(target) = text(&body, "conference_alias").and_then(|alias| st.room_index(&alias)) else {
        return bool_result(shared, "transfer", false);
    };
    let pin = text(&body, "pin");
    let admitted = match st.check_pin(target, Some(pin.as_deref().unwrap_or("none"))) {
        PinCheck::Granted(granted) => granted == Role::Chair || role == Role::Guest,
        _ => false,
    };
    if !admitted {
        return bool_result(shared, "transfer", false);
    }
    let Some(mut p) = st.remove_participant(id, Some("API initiated participant transfer")) else {
        return bool_result(shared, "transfer", false);
    };
    p.role = role;
    p.is_session = false;
    p.hidden = false;
    p.calls.clear();
    p.local_alias.clone_from(&st.rooms[target].cfg.alias);
    p.service_type = st.rooms[target].join_service_type(role);
    st.add_participant(target, p);
    bool_result(shared, "transfer", true)
}

/// Sub-call commands (`participants/<uuid>/calls/<call_uuid>/<command>`).
pub(crate) const CALL_COMMANDS: &[&str] = &["ack", "disconnect"];

/// `calls/<call_uuid>/ack` and `calls/<call_uuid>/disconnect` for an authenticated session.
/// Only call uuids this emulator issued to that participant are known: any other (unknown,
/// ended, or another participant's) is answered with a `false` result. Acking an RTMP call
/// is a 400 (the document asks an ack of WebRTC answers only). `disconnect` ends the
/// sub-call (`call_disconnected` to the participant's streams, `presentation_stop` when it
/// carried the presentation); the participant stays.
pub(crate) fn run_call(shared: &Shared, st: &mut State, room: usize, session: u64, uuid: &str, call_uuid: &str, command: &str) -> Response {
    let caller = st.sessions.get(&session).map(|s| (s.role, s.participant));
    let Some((caller_role, caller_id)) = caller else {
        return super::http::invalid_token();
    };
    let target = Uuid::parse_str(uuid.trim()).ok().filter(|id| st.where_is.get(id) == Some(&room));
    if !(caller_role == Role::Chair || target == Some(caller_id)) {
        return host_required();
    }
    let Some(id) = target.filter(|id| st.calls.get(call_uuid.trim()) == Some(id)) else {
        st.stats.unknown_call_uuids += 1;
        return bool_result(shared, command, false);
    };
    let call_uuid = call_uuid.trim();
    match command {
        "ack" => {
            let webrtc = st.rooms[room]
                .participants
                .get(&id)
                .and_then(|p| p.calls.iter().find(|c| c.call_uuid == call_uuid))
                .map(|c| c.call_type == "WEBRTC");
            if webrtc == Some(false) {
                return failed(StatusCode::BAD_REQUEST, "ack applies to WebRTC calls only");
            }
            if let Some(p) = st.rooms[room].participants.get_mut(&id) {
                if let Some(c) = p.calls.iter_mut().find(|c| c.call_uuid == call_uuid) {
                    c.acked = true;
                }
            }
            bool_result(shared, command, true)
        }
        _ => {
            st.end_call(call_uuid, "API initiated call disconnect");
            bool_result(shared, command, true)
        }
    }
}

/// `calls`: WebRTC (sdp -> SDP answer) or RTMP (present, streaming, bandwidth -> urls). A
/// call with `present: send` makes its participant the presenter.
fn calls(st: &mut State, id: Uuid, req: &Req) -> Response {
    let body = match req.json() {
        Ok(body) => body,
        Err(response) => return response,
    };
    let call_type = text(&body, "call_type").unwrap_or_default().to_ascii_uppercase();
    let call_uuid = Uuid::new_v4().to_string();
    let result = match call_type.as_str() {
        "WEBRTC" => {
            let Some(sdp) = text(&body, "sdp").filter(|s| !s.trim().is_empty()) else {
                return failed(StatusCode::BAD_REQUEST, "sdp is required for a WebRTC call");
            };
            json!({"call_uuid": call_uuid, "sdp": sdp_answer(&sdp, &call_uuid)})
        }
        "RTMP" => json!({
            "call_uuid": call_uuid,
            "url": format!("rtmp://127.0.0.1:40002/zjcloud/{call_uuid}"),
            "secure_url": format!("rtmps://127.0.0.1:40003/zjcloud/{call_uuid}"),
        }),
        _ => return failed(StatusCode::BAD_REQUEST, "call_type must be WEBRTC or RTMP"),
    };
    let call = VmrCall {
        call_uuid: call_uuid.clone(),
        call_type,
        present: text(&body, "present"),
        streaming: super::http::flag(&body, "streaming").unwrap_or(false),
        bandwidth: text(&body, "bandwidth").and_then(|b| b.trim().parse().ok()),
        acked: false,
    };
    let presents = call.present.as_deref().is_some_and(|v| v.eq_ignore_ascii_case("send"));
    st.calls.insert(call_uuid, id);
    st.update_participant(id, |p| {
        p.has_media = true;
        p.video = true;
        p.calls.push(call);
    });
    if presents {
        st.start_presentation(id);
    }
    success(result)
}
