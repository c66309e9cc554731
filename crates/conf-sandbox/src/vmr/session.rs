//! The join check at the API server and the access-control commands (new_session,
//! refresh_session, end_session).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::config::{Deployment, McuHost};
use super::http::{Req, bool_result, expires, failed, flag, invalid_token, json_response, success, text};
use super::model::{Role, ServiceType};
use super::state::{PinCheck, Shared, State, new_token, unix_now};

/// `POST /api/v3/meet/checkJoin.shtml`.
pub(crate) fn check_join(shared: &Shared, req: &Req) -> Response {
    let mut st = shared.lock();
    st.count("checkJoin");
    let answer =
        |code: &str, message: &str| json_response(StatusCode::OK, &json!({"code": code, "timeStamp": timestamp(), "msg": message}));
    // The document: every REST request body is `application/json` unless stated otherwise.
    if req.is_form() {
        return answer("400", "the request body must be JSON (application/json), not a form");
    }
    let body = match req.json() {
        Ok(body) => body,
        Err(_) => return answer("400", "malformed request body: a JSON object is expected"),
    };
    let account = text(&body, "joinAccount").unwrap_or_default();
    let name = text(&body, "participantName").unwrap_or_default();
    let pwd = text(&body, "joinPwd").unwrap_or_default();
    if account.trim().is_empty() || name.trim().is_empty() {
        return answer("400", "joinAccount and participantName are required");
    }
    let Some(room) = st.room_index(&account) else {
        return answer("404", "no such meeting room");
    };
    let cfg = &st.rooms[room].cfg;
    let role = match cfg.host_pin.as_deref() {
        None => Some(Role::Chair),
        Some(host) if pwd == host => Some(Role::Chair),
        Some(_) if cfg.allow_guests && (cfg.guest_pin.as_deref() == Some(pwd.as_str()) || (cfg.guest_pin.is_none() && pwd.is_empty())) => {
            Some(Role::Guest)
        }
        Some(_) => None,
    };
    let Some(role) = role else {
        return answer("403", "wrong meeting password");
    };
    let results = json!({
        "isDot": false,
        "sipkey": cfg.id,
        "alias": cfg.alias,
        "password": pwd,
        "participantName": name,
        "roleType": if role == Role::Chair { "host" } else { "guest" },
        "mcuHost": mcu_host(shared, req),
        "companyId": cfg.company_id,
        "isRecord": cfg.is_record,
        "isLive": cfg.is_live,
        "conferenceName": cfg.name,
        "allowGuest": if cfg.allow_guests { "yes" } else { "no" },
    });
    drop(st);
    json_response(StatusCode::OK, &json!({"code": "200", "timeStamp": timestamp(), "results": results}))
}

fn mcu_host(shared: &Shared, req: &Req) -> String {
    let base = shared
        .base_url
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
        .unwrap_or_else(|| format!("http://{}", req.header("host").unwrap_or("127.0.0.1")));
    match &shared.cfg.mcu_host {
        McuHost::SameServerUrl => base,
        McuHost::SameServerHostPort => base.split("://").nth(1).unwrap_or(&base).trim_end_matches('/').to_owned(),
        McuHost::Fixed(fixed) => fixed.clone(),
    }
}

/// `timeStamp`: `YYYY-MM-DD HH:MM:SS` in Beijing time.
fn timestamp() -> String {
    let secs = unix_now() + 8 * 3600;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// `POST new_session` (header `pin`, body display_name / hideme).
pub(crate) fn new_session(shared: &Shared, st: &mut State, room: usize, req: &Req) -> Response {
    let body = match req.json() {
        Ok(body) => body,
        Err(response) => return response,
    };
    let role = match st.check_pin(room, req.header("pin")) {
        PinCheck::Granted(role) => role,
        PinCheck::Required { guest_pin_required } => {
            st.stats.pin_rejections += 1;
            let guest_pin = if guest_pin_required { "required" } else { "none" };
            return json_response(
                StatusCode::FORBIDDEN,
                &json!({"status": "success", "result": {"pin": "required", "guest_pin": guest_pin}}),
            );
        }
        PinCheck::Invalid => {
            st.stats.pin_rejections += 1;
            return failed(StatusCode::FORBIDDEN, "Invalid PIN");
        }
    };
    let display_name = text(&body, "display_name").filter(|n| !n.trim().is_empty()).unwrap_or_else(|| "API".to_owned());
    let hidden = flag(&body, "hideme").unwrap_or(false);
    let mut p = st.new_participant(room, display_name.clone(), role, "api".to_owned());
    p.has_media = false;
    p.video = false;
    p.presentation_supported = false;
    p.service_type = st.rooms[room].join_service_type(role);
    p.hidden = hidden;
    p.is_session = true;
    p.uri = format!("api:{}", display_name.replace(' ', "_"));
    p.vendor = req.header("user-agent").unwrap_or("unknown").chars().take(96).collect();
    let service = p.service_type;
    let id = st.add_participant(room, p);
    let token = new_token(shared.cfg.document_like_tokens);
    st.open_session(room, id, role, token.clone());
    let mut result = json!({
        "token": token,
        "expires": expires(shared),
        "participant_uuid": id.to_string(),
        "version": {"pseudo_version": "22112.0.0", "version_id": "3"},
        "role": role.session_wire(),
        "chat_enabled": true,
        "service_type": "conference",
        "stun": [{"url": "stun:stun.vmr.example:3478"}],
        "display_name": display_name,
        "analytics_enabled": false,
        "current_service_type": if service == ServiceType::WaitingRoom { "waiting_room" } else { "conference" },
    });
    if shared.cfg.deployment == Deployment::Public {
        let extra = json!({
            "allow_1080p": true,
            "bandwidth_in": 512,
            "bandwidth_out": 512,
            "call_type": "video",
            "fecc_enabled": true,
            "guests_can_present": true,
            "owner": "127.0.0.1",
            "rtmp_enabled": true,
            "rtsp_enabled": true,
        });
        if let (Value::Object(result), Value::Object(extra)) = (&mut result, extra) {
            result.extend(extra);
        }
    }
    success(result)
}

/// `POST refresh_session`: a new token; the old one is invalid from now on.
pub(crate) fn refresh_session(shared: &Shared, st: &mut State, session: u64) -> Response {
    let token = new_token(shared.cfg.document_like_tokens);
    let Some(s) = st.refresh_session(session, token.clone()) else {
        return invalid_token();
    };
    let role = s.role;
    success(json!({"token": token, "expires": expires(shared), "role": role.session_wire()}))
}

/// `POST end_session`: the token is released, the session's participant leaves.
pub(crate) fn end_session(shared: &Shared, st: &mut State, session: u64) -> Response {
    st.end_session(session);
    bool_result(shared, "end_session", true)
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamp_has_the_documented_shape() {
        let t = super::timestamp();
        assert_eq!(t.len(), 19, "{t}");
        assert_eq!(&t[4..5], "-");
        assert_eq!(&t[10..11], " ");
        assert!(t.starts_with("20"), "{t}");
    }
}
