//! Emulator of the VMR in-meeting control REST API (vendor document 001, "会中管理 API").
//!
//! One emulator serves both the API server's join check and the meeting node:
//!
//! - `POST /api/v3/meet/checkJoin.shtml` (joinAccount, joinPwd, participantName; a JSON
//!   body, as the document prescribes for every request; a form is refused with code
//!   `"400"`) answers `{"code": "200", "timeStamp": "...", "results": {...}}` whose `mcuHost`
//!   points back at this server (see [`McuHost`]). Refusals keep HTTP 200 and carry
//!   `code` `"400"` (missing field), `"404"` (unknown account) or `"403"` (wrong password)
//!   with a `msg`.
//! - `/api/services/<room>/<command>` and
//!   `/api/services/<room>/participants/<uuid>/<command>`, the room given as alias (email
//!   form, percent-decoded, any case) or numeric id.
//!
//! # Answers (choices where the document is silent)
//!
//! - Success: `{"status": "success", "result": ...}`. Boolean results are spelled per
//!   [`ResultSpelling`] (default: rotating `true`, `"true"`, `"'true'"`); the document's
//!   `'true'` is sent as the JSON string `"'true'"`. `expires` is the string `"120"` (a
//!   number with [`VmrConfig::expires_as_number`]).
//! - new_session PINs (header `pin`): a room without host PIN admits everyone as `HOST`.
//!   Otherwise a missing/blank PIN (or `none` where guests need a PIN) is answered
//!   `403 {"status":"success","result":{"pin":"required","guest_pin":"required"|"none"}}`
//!   (`guest_pin` is `none` when guests may join with the PIN `none`); a wrong PIN is
//!   `403 {"status":"failed","result":"Invalid PIN"}`.
//! - A missing, unknown, expired or replaced token: `403 {"status":"failed","result":"Invalid token"}`.
//!   After refresh_session the old token is invalid at once (or after
//!   [`VmrConfig::refresh_grace`]).
//! - A guest calling a host command: `403 {"status":"failed","result":"Permission denied: host role required"}`.
//! - Unknown room: `404` with a JSON body (`"Conference not found"`); unknown command or
//!   path: `404` with an HTML body (no such resource on the node); wrong method: `405`.
//! - Malformed body or invalid field: `400 {"status":"failed","result":"<why>"}`.
//! - A participant command for an unknown uuid: `200` with a `false` result (the
//!   document's "否则返回 false").
//! - override_layout answers the participant list, as the document shows.
//! - `presentation.jpeg` answers [`PRESENTATION_JPEG`] (an 8×8 JPEG) to any valid token,
//!   given in the `token` header or the query.
//! - Sessions: new_session creates a participant with protocol `api` and no media (hidden
//!   with `hideme: "yes"`); end_session, a participant `disconnect`, a conference
//!   `disconnect` or token expiry (swept at most a quarter lifetime later) remove it.
//! - The conference: a guest joining a locked or not yet started room waits in
//!   `waiting_room` (new_session answers `current_service_type: waiting_room`); unlock,
//!   start_service or a chair with media joining admits them. muteguests mutes the guests
//!   present and those joining later (enterprise: everyone but chairs and the presenter).
//!   `dial` creates `connecting` participants that answer or reject per [`DialOutcome`].
//!   A `calls` sub-call with `present: send` makes its participant the presenter; a
//!   presenter taking over cuts the previous presentation call (`call_disconnected`).
//!   `participants/<uuid>/calls/<call_uuid>/ack` acknowledges a WebRTC answer (the
//!   document: media starts after the ack) and `.../calls/<call_uuid>/disconnect` ends the
//!   sub-call; only call uuids the emulator issued to that participant are known, any other
//!   is answered with a `false` result (counted in [`VmrStats::unknown_call_uuids`]).
//! - Enterprise deployment: override_layout, spotlighton/off, participant unlock, role and
//!   transfer are refused with `400 {"status":"failed","result":"<cmd> is not supported on
//!   enterprise cloud"}`; start_service answers success without effect (the table's note
//!   "视通先返回200 OK"); `participant_create` is announced as `participant_update` (also
//!   inside the sync bracket) and `presentation_frame` is never sent.
//!
//! # Events
//!
//! `GET events?token=...` (token percent-decoded or raw) opens an SSE stream: the
//! `participant_sync_begin` / `participant_create`... / `participant_sync_end` bracket, then
//! every change; `disconnect` (and the end of the stream) when the session's participant is
//! kicked or the conference disconnected; the stream ends silently on end_session or token
//! expiry. Keep-alive comments (`:keepalive`) every [`VmrConfig::keepalive_interval`].
//! Payload-less events carry `data: {}`.

mod conference;
mod config;
mod events;
mod http;
mod media;
mod model;
mod participant;
mod session;
mod state;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use futures_util::StreamExt;
use serde_json::{Value, json};
use uuid::Uuid;

pub use config::{Deployment, DialOutcome, McuHost, ResultSpelling, RoomConfig, VmrConfig};
pub use media::PRESENTATION_JPEG;
pub use model::{CallDirection, DialIn, Role, RoomStatus, ServiceType, VmrCall, VmrMessage, VmrParticipant, VmrStats};

use crate::harness::Server;
use crate::harness::sse::{StreamControl, controlled};
use http::{Req, invalid_token, method_not_allowed, no_conference, not_found_node};
use state::{Event, Shared};

/// Conference-level commands and their method.
const CONFERENCE_COMMANDS: &[(&str, Method)] = &[
    ("new_session", Method::POST),
    ("refresh_session", Method::POST),
    ("end_session", Method::POST),
    ("dial", Method::POST),
    ("service_status", Method::GET),
    ("lock", Method::POST),
    ("unlock", Method::POST),
    ("start_service", Method::POST),
    ("muteguests", Method::POST),
    ("unmuteguests", Method::POST),
    ("disconnect", Method::POST),
    ("message", Method::POST),
    ("participants", Method::GET),
    ("override_layout", Method::POST),
    ("events", Method::GET),
    ("presentation.jpeg", Method::GET),
];

/// The vmr emulator. Clones share one state.
#[derive(Clone)]
pub struct VmrEmulator {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for VmrEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VmrEmulator").field("deployment", &self.shared.cfg.deployment).finish_non_exhaustive()
    }
}

impl VmrEmulator {
    /// An emulator with this configuration (not serving yet; see [`Self::router`] and
    /// [`Self::start`]).
    pub fn new(config: VmrConfig) -> Self {
        Self { shared: Arc::new(Shared::new(config)) }
    }

    /// Starts a server on `127.0.0.1:0` with this emulator, points `mcuHost` at it and
    /// registers [`Self::expire_tokens`] as the server's credential-expiry hook.
    pub async fn start(config: VmrConfig) -> std::io::Result<(Self, Server)> {
        let emulator = Self::new(config);
        let server = Server::start(emulator.router())?;
        emulator.set_base_url(server.base_url());
        let hook = emulator.clone();
        server.on_expire_credentials(move || hook.expire_tokens());
        Ok((emulator, server))
    }

    /// The configuration.
    pub fn config(&self) -> &VmrConfig {
        &self.shared.cfg
    }

    /// The routes of the API server and the meeting node.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/api/v3/meet/checkJoin.shtml", any(check_join))
            .route("/api/services/{room}/{command}", any(conference_route))
            .route("/api/services/{room}/participants/{uuid}/{command}", any(participant_route))
            .route("/api/services/{room}/participants/{uuid}/calls/{call_uuid}/{command}", any(call_route))
            .fallback(|| async { not_found_node() })
            .with_state(Arc::clone(&self.shared))
    }

    /// Sets the base URL `mcuHost` is derived from (done by [`Self::start`]).
    pub fn set_base_url(&self, base_url: impl Into<String>) {
        let base = base_url.into().trim_end_matches('/').to_owned();
        *self.shared.base_url.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(base);
    }

    // ---- inspection -------------------------------------------------------------------

    /// Visible participants of a room in joining order (empty for an unknown room).
    pub fn participants(&self, room: &str) -> Vec<VmrParticipant> {
        let st = self.shared.lock();
        st.room_index(room).map(|r| st.rooms[r].listed().into_iter().cloned().collect()).unwrap_or_default()
    }

    /// Any participant (hidden ones included) by uuid.
    pub fn participant(&self, uuid: &str) -> Option<VmrParticipant> {
        let st = self.shared.lock();
        let id = Uuid::parse_str(uuid).ok()?;
        st.find(id).map(|(_, p)| p.clone())
    }

    /// A room's conference state.
    pub fn room_status(&self, room: &str) -> Option<RoomStatus> {
        let st = self.shared.lock();
        let r = &st.rooms[st.room_index(room)?];
        Some(RoomStatus {
            locked: r.locked,
            guests_muted: r.guests_muted,
            started: r.started,
            layouts: r.layouts.clone(),
            presenter: r.presenter.map(|p| p.to_string()),
            disconnects: r.disconnects,
        })
    }

    /// Chat messages a room received.
    pub fn messages(&self, room: &str) -> Vec<VmrMessage> {
        let st = self.shared.lock();
        st.room_index(room).map(|r| st.rooms[r].messages.clone()).unwrap_or_default()
    }

    /// Bodies of every `dial` request received, as sent.
    pub fn dial_requests(&self) -> Vec<Value> {
        self.shared.lock().dial_requests.clone()
    }

    /// Requests received for a command (`checkJoin`, `new_session`, `dial`, `events`,
    /// `presentation.jpeg`, participant commands as `participants/<cmd>`, ...), whatever
    /// their outcome.
    pub fn command_count(&self, command: &str) -> u64 {
        self.shared.lock().counters.get(command).copied().unwrap_or_default()
    }

    /// All command counters.
    pub fn command_counts(&self) -> BTreeMap<String, u64> {
        self.shared.lock().counters.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }

    /// Token, session and stream counters.
    pub fn stats(&self) -> VmrStats {
        let st = self.shared.lock();
        VmrStats {
            live_sessions: st.live_sessions(),
            streams_opened: self.shared.streams_opened.load(std::sync::atomic::Ordering::Relaxed),
            live_streams: self.shared.live_streams.load(std::sync::atomic::Ordering::Relaxed),
            ..st.stats
        }
    }

    /// Sessions whose token is valid now.
    pub fn live_sessions(&self) -> u64 {
        self.shared.lock().live_sessions()
    }

    // ---- steering ---------------------------------------------------------------------

    /// The control of every event stream this emulator serves (cut, abort, stall, resume).
    pub fn stream_control(&self) -> &StreamControl {
        &self.shared.control
    }

    /// Ends every open event stream cleanly now (clients see the body end).
    pub fn cut_streams(&self) {
        self.shared.control.cut_streams();
    }

    /// Breaks every open event stream mid-body.
    pub fn abort_streams(&self) {
        self.shared.control.abort_streams();
    }

    /// Keeps event streams open but silent (no events, no keep-alives) until
    /// [`Self::resume_streams`].
    pub fn stall_streams(&self) {
        self.shared.control.stall_streams();
    }

    /// Ends a stall: held events flow again.
    pub fn resume_streams(&self) {
        self.shared.control.resume();
    }

    /// Expires every token now: the next call with any of them gets 403, and the sessions
    /// (with their participants and streams) are removed at the next sweep. Registered as
    /// the server's `on_expire_credentials` hook by [`Self::start`].
    pub fn expire_tokens(&self) {
        self.shared.lock().expire_all();
    }

    /// A participant dials in; returns its uuid. Guests wait (`waiting_room`) while the
    /// room is locked or not started; a chair starts the conference.
    ///
    /// # Panics
    /// On an unknown room.
    pub fn add_participant(&self, room: &str, who: DialIn) -> String {
        let mut st = self.shared.lock();
        let r = st.room_index(room).unwrap_or_else(|| panic!("no room {room:?} in the vmr emulator"));
        let mut p = st.new_participant(r, who.display_name, who.role, who.protocol);
        p.uri = who.uri;
        p.vendor = who.vendor;
        p.audio_only = who.audio_only;
        p.video = !who.audio_only;
        p.service_type = st.rooms[r].join_service_type(who.role);
        st.add_participant(r, p).to_string()
    }

    /// A participant hangs up (`participant_delete`; no `disconnect` event). `false` when
    /// unknown.
    pub fn remove_participant(&self, uuid: &str) -> bool {
        let Ok(id) = Uuid::parse_str(uuid) else { return false };
        self.shared.lock().remove_participant(id, None).is_some()
    }

    /// A dialled participant answers. `false` unless it is `connecting`.
    pub fn answer_dial(&self, uuid: &str) -> bool {
        Uuid::parse_str(uuid).is_ok_and(|id| self.shared.lock().finish_dial(id, true))
    }

    /// A dialled participant rejects the call (it is deleted). `false` unless it is
    /// `connecting`.
    pub fn reject_dial(&self, uuid: &str) -> bool {
        Uuid::parse_str(uuid).is_ok_and(|id| self.shared.lock().finish_dial(id, false))
    }

    /// A participant starts presenting: `presentation_start` and `participant_update`. A
    /// previous presenter stops; its presentation sub-call (a `calls` with `present: send`)
    /// gets `call_disconnected`.
    pub fn start_presentation(&self, uuid: &str) -> bool {
        Uuid::parse_str(uuid).is_ok_and(|id| self.shared.lock().start_presentation(id))
    }

    /// The presentation of a room stops: `presentation_stop` and `participant_update`.
    pub fn stop_presentation(&self, room: &str) -> bool {
        let mut st = self.shared.lock();
        st.room_index(room).is_some_and(|r| st.stop_presentation(r))
    }

    /// A new presentation frame (`presentation_frame`; never sent on enterprise cloud).
    pub fn presentation_frame(&self, room: &str) -> bool {
        let st = self.shared.lock();
        let Some(r) = st.room_index(room) else { return false };
        st.rooms[r].emit(None, "presentation_frame", "{}".into(), false);
        true
    }

    /// The speakers change: a `stage` event with these participants in order (with their
    /// `vad`, 0 or 100).
    pub fn set_stage(&self, room: &str, speakers: &[(&str, u8)]) -> bool {
        let st = self.shared.lock();
        let Some(r) = st.room_index(room) else { return false };
        let stage: Vec<Value> =
            speakers.iter().enumerate().map(|(i, (uuid, vad))| json!({"stage_index": i, "participant_uuid": uuid, "vad": vad})).collect();
        st.rooms[r].emit(None, "stage", Value::Array(stage).to_string(), false);
        true
    }

    /// A sub-call ends: `call_disconnected` to its participant's streams (and
    /// `presentation_stop` when it was the presentation call).
    pub fn disconnect_call(&self, call_uuid: &str, reason: &str) -> bool {
        self.shared.lock().end_call(call_uuid, reason)
    }

    /// Sends any event (e.g. ones outside the document: `refer`, `on_hold`,
    /// `refresh_token`) to every stream of a room.
    pub fn send_event(&self, room: &str, name: &str, data: &Value) -> bool {
        let st = self.shared.lock();
        let Some(r) = st.room_index(room) else { return false };
        st.rooms[r].send(Event { target: None, name: name.to_owned().into(), data: data.to_string(), close: false });
        true
    }
}

// ---- routing --------------------------------------------------------------------------

async fn check_join(
    AxumState(shared): AxumState<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let req = Req { method, headers, query, body };
    if req.method != Method::POST {
        return method_not_allowed(&Method::POST);
    }
    session::check_join(&shared, &req)
}

async fn conference_route(
    AxumState(shared): AxumState<Arc<Shared>>,
    Path((room, command)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let req = Req { method, headers, query, body };
    let lower = command.to_ascii_lowercase();
    let Some((name, expected)) = CONFERENCE_COMMANDS.iter().find(|(n, _)| *n == lower) else {
        return not_found_node();
    };
    let mut dialled = Vec::new();
    let response = {
        let mut st = shared.lock();
        st.count(name);
        if req.method != expected {
            return method_not_allowed(expected);
        }
        let Some(room) = st.room_index(&room) else {
            return no_conference();
        };
        match *name {
            "new_session" => session::new_session(&shared, &mut st, room, &req),
            "events" => return events_response(&shared, &mut st, room, &req),
            "presentation.jpeg" => {
                let tokens = req.token().map(str::to_owned).into_iter().chain(req.query_tokens());
                if tokens.into_iter().any(|t| st.lookup(room, &t).is_some()) {
                    ([(header::CONTENT_TYPE, "image/jpeg")], PRESENTATION_JPEG).into_response()
                } else {
                    st.stats.token_rejections += 1;
                    invalid_token()
                }
            }
            _ => {
                let Some(session) = st.authenticate(room, req.token()) else {
                    return invalid_token();
                };
                match *name {
                    "refresh_session" => session::refresh_session(&shared, &mut st, session),
                    "end_session" => session::end_session(&shared, &mut st, session),
                    "dial" => conference::dial(&mut st, room, session, &req, &mut dialled),
                    "service_status" => conference::service_status(&st, room),
                    "lock" => conference::lock(&shared, &mut st, room, session, true),
                    "unlock" => conference::lock(&shared, &mut st, room, session, false),
                    "start_service" => conference::start_service(&shared, &mut st, room, session),
                    "muteguests" => conference::mute_guests(&shared, &mut st, room, session, true),
                    "unmuteguests" => conference::mute_guests(&shared, &mut st, room, session, false),
                    "disconnect" => conference::disconnect(&shared, &mut st, room, session),
                    "message" => conference::message(&shared, &mut st, room, session, &req),
                    "participants" => conference::participants(&st, room),
                    "override_layout" => conference::override_layout(&mut st, room, session, &req),
                    _ => not_found_node(),
                }
            }
        }
    };
    schedule_dials(&shared, dialled);
    response
}

async fn participant_route(
    AxumState(shared): AxumState<Arc<Shared>>,
    Path((room, uuid, command)): Path<(String, String, String)>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let req = Req { method, headers, query, body };
    let lower = command.to_ascii_lowercase();
    let Some(name) = participant::COMMANDS.iter().find(|n| **n == lower) else {
        return not_found_node();
    };
    let mut st = shared.lock();
    st.count(&format!("participants/{name}"));
    if req.method != Method::POST {
        return method_not_allowed(&Method::POST);
    }
    let Some(room) = st.room_index(&room) else {
        return no_conference();
    };
    let Some(session) = st.authenticate(room, req.token()) else {
        return invalid_token();
    };
    participant::run(&shared, &mut st, room, session, &uuid, name, &req)
}

async fn call_route(
    AxumState(shared): AxumState<Arc<Shared>>,
    Path((room, uuid, call_uuid, command)): Path<(String, String, String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let lower = command.to_ascii_lowercase();
    let Some(name) = participant::CALL_COMMANDS.iter().find(|n| **n == lower) else {
        return not_found_node();
    };
    let mut st = shared.lock();
    st.count(&format!("participants/calls/{name}"));
    if method != Method::POST {
        return method_not_allowed(&Method::POST);
    }
    let Some(room) = st.room_index(&room) else {
        return no_conference();
    };
    let req = Req { method, headers, query: None, body: Bytes::new() };
    let Some(session) = st.authenticate(room, req.token()) else {
        return invalid_token();
    };
    participant::run_call(&shared, &mut st, room, session, &uuid, &call_uuid, name)
}

fn events_response(shared: &Arc<Shared>, st: &mut state::State, room: usize, req: &Req) -> Response {
    let candidates = req.query_tokens().into_iter().chain(req.token().map(str::to_owned));
    let Some(session) = candidates.into_iter().find_map(|t| st.lookup(room, &t)) else {
        st.stats.token_rejections += 1;
        return invalid_token();
    };
    let me = st.sessions[&session].participant;
    let stream = events::open(shared, st, room, me, shared.cfg.keepalive_interval);
    let body = controlled(&shared.control, stream).map(|item| item.map(|Ok(bytes)| bytes));
    ([(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache")], Body::from_stream(body)).into_response()
}

fn schedule_dials(shared: &Arc<Shared>, dialled: Vec<Uuid>) {
    let (answer, delay) = match shared.cfg.dial_outcome {
        DialOutcome::Answer(delay) => (true, delay),
        DialOutcome::Reject(delay) => (false, delay),
        DialOutcome::Manual => return,
    };
    for id in dialled {
        let shared = Arc::clone(shared);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            shared.lock().finish_dial(id, answer);
        });
    }
}
