//! The emulator's state machine: rooms, participants, sessions and tokens, and the event
//! each change emits. One mutex guards everything; every critical section is short and
//! never awaits. Events are sent on a per-room broadcast bus while the lock is held, so a
//! stream that subscribes under the lock sees a roster snapshot and then every later change
//! exactly once.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::sync::broadcast;
use tokio::time::Instant;
use uuid::Uuid;

use crate::harness::sse::StreamControl;

use super::config::{Deployment, RoomConfig, VmrConfig};
use super::model::{CallDirection, Role, ServiceType, VmrMessage, VmrParticipant, VmrStats};

/// One event on a room's bus.
#[derive(Debug)]
pub(crate) struct Event {
    /// `None`: every stream of the room; `Some(uuid)`: only the streams of that participant.
    pub target: Option<Uuid>,
    /// SSE event name; empty with `close` means "end the stream silently".
    pub name: Cow<'static, str>,
    /// JSON data (one line).
    pub data: String,
    /// The stream ends after this event.
    pub close: bool,
}

/// A REST session (one current token; the previous one during the refresh grace).
#[derive(Debug)]
pub(crate) struct Session {
    pub room: usize,
    pub participant: Uuid,
    pub token: Box<str>,
    pub expires: Instant,
    pub role: Role,
    /// The token replaced by the last refresh and until when it is still accepted.
    pub previous: Option<(Box<str>, Instant)>,
}

impl Session {
    /// Whether `token` (the current or the previous one) is valid at `now`.
    fn accepts(&self, token: &str, now: Instant) -> bool {
        if now >= self.expires {
            return false;
        }
        &*self.token == token || self.previous.as_ref().is_some_and(|(t, until)| &**t == token && now < *until)
    }
}

/// One room and its running conference.
pub(crate) struct Room {
    pub cfg: RoomConfig,
    pub locked: bool,
    pub guests_muted: bool,
    pub started: bool,
    pub participants: HashMap<Uuid, VmrParticipant>,
    next_seq: u64,
    pub layouts: Vec<Value>,
    pub presenter: Option<Uuid>,
    pub messages: Vec<VmrMessage>,
    pub disconnects: u64,
    pub bus: broadcast::Sender<Arc<Event>>,
    deployment: Deployment,
}

impl Room {
    fn new(cfg: RoomConfig, deployment: Deployment, buffer: usize) -> Self {
        let (bus, _) = broadcast::channel(buffer.max(16));
        Self {
            locked: cfg.locked,
            guests_muted: cfg.guests_muted,
            started: cfg.started,
            cfg,
            participants: HashMap::new(),
            next_seq: 0,
            layouts: Vec::new(),
            presenter: None,
            messages: Vec::new(),
            disconnects: 0,
            bus,
            deployment,
        }
    }

    /// Sends an event to the room's streams, applying the deployment's event table
    /// (enterprise: `participant_create` is announced as `participant_update`, and
    /// `presentation_frame` is never sent).
    pub fn emit(&self, target: Option<Uuid>, name: &'static str, data: String, close: bool) {
        let name = match (self.deployment, name) {
            (Deployment::Enterprise, "participant_create") => "participant_update",
            (Deployment::Enterprise, "presentation_frame") => return,
            _ => name,
        };
        self.send(Event { target, name: Cow::Borrowed(name), data, close });
    }

    /// Sends an event as is (no deployment table).
    pub fn send(&self, event: Event) {
        if self.bus.receiver_count() > 0 {
            // A receiver gone meanwhile is not an error.
            let _ = self.bus.send(Arc::new(event));
        }
    }

    /// Sends `participant_create` / `participant_update` for a visible participant.
    pub fn announce(&self, p: &VmrParticipant, create: bool) {
        if !p.hidden && self.bus.receiver_count() > 0 {
            let name = if create { "participant_create" } else { "participant_update" };
            self.emit(None, name, p.to_json().to_string(), false);
        }
    }

    /// `service_update`.
    pub fn service_update(&self) {
        let data = json!({"locked": self.locked, "guests_muted": self.guests_muted, "started": self.started});
        self.emit(None, "service_update", data.to_string(), false);
    }

    /// Visible participants in joining order.
    pub fn listed(&self) -> Vec<&VmrParticipant> {
        let mut list: Vec<&VmrParticipant> = self.participants.values().filter(|p| !p.hidden).collect();
        list.sort_by_key(|p| p.seq);
        list
    }

    /// Where a newly joining participant lands.
    pub fn join_service_type(&self, role: Role) -> ServiceType {
        if role == Role::Guest && (self.locked || !self.started) { ServiceType::WaitingRoom } else { ServiceType::Conference }
    }

    /// Whether muteguests applies to this participant (public: guests; enterprise: everyone
    /// but chairs and the current presenter).
    pub fn guest_mute_applies(&self, p: &VmrParticipant) -> bool {
        match self.deployment {
            Deployment::Public => p.role == Role::Guest,
            Deployment::Enterprise => p.role != Role::Chair && !p.presenting,
        }
    }

    /// Admits every waiting participant when the conference is started and unlocked.
    pub fn admit_waiting(&mut self) {
        if !self.started || self.locked {
            return;
        }
        let mut changed = Vec::new();
        for p in self.participants.values_mut() {
            if p.service_type == ServiceType::WaitingRoom {
                p.service_type = ServiceType::Conference;
                changed.push(p.uuid.clone());
            }
        }
        self.announce_changed(&changed);
    }

    /// Sends `participant_update` for the given uuids.
    pub fn announce_changed(&self, uuids: &[String]) {
        for uuid in uuids {
            if let Some(p) = Uuid::parse_str(uuid).ok().and_then(|id| self.participants.get(&id)) {
                self.announce(p, false);
            }
        }
    }

    /// A chair with media has joined: the conference starts.
    pub fn chair_joined(&mut self) {
        if !self.started {
            self.started = true;
            self.service_update();
            self.admit_waiting();
        }
    }

    /// `layout`: the view of the last override (default `1:7`) and the participants on
    /// screen: the override's actors, else spotlit participants first, then everyone in the
    /// conference in joining order.
    pub fn layout_event(&self) {
        let first = self.layouts.first();
        let view = first.and_then(|l| l.get("layout")).and_then(Value::as_str).unwrap_or("1:7").to_owned();
        let actors: Vec<Value> = first.and_then(|l| l.get("actors")).and_then(Value::as_array).cloned().unwrap_or_default();
        let participants = if actors.is_empty() {
            let mut on_screen: Vec<&VmrParticipant> =
                self.listed().into_iter().filter(|p| p.service_type == ServiceType::Conference && p.has_media).collect();
            on_screen.sort_by_key(|p| (p.spotlight == 0, p.spotlight, p.seq));
            on_screen.into_iter().map(|p| Value::String(p.uuid.clone())).collect()
        } else {
            actors
        };
        self.emit(None, "layout", json!({"view": view, "participants": participants}).to_string(), false);
    }

    fn reset(&mut self) {
        self.locked = self.cfg.locked;
        self.guests_muted = self.cfg.guests_muted;
        self.started = self.cfg.started;
        self.layouts.clear();
        self.presenter = None;
    }
}

/// Outcome of a PIN check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PinCheck {
    Granted(Role),
    /// No (usable) PIN given: the answer names what is required.
    Required {
        guest_pin_required: bool,
    },
    Invalid,
}

/// Everything behind the lock.
pub(crate) struct State {
    pub cfg: VmrConfig,
    pub rooms: Vec<Room>,
    index: HashMap<String, usize>,
    pub sessions: HashMap<u64, Session>,
    pub tokens: HashMap<Box<str>, u64>,
    by_participant: HashMap<Uuid, u64>,
    next_session: u64,
    pub where_is: HashMap<Uuid, usize>,
    /// call uuid -> owning participant
    pub calls: HashMap<String, Uuid>,
    pub counters: HashMap<String, u64>,
    pub stats: VmrStats,
    /// Bodies of every dial request, as received.
    pub dial_requests: Vec<Value>,
    next_sweep: Instant,
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

impl State {
    pub fn new(cfg: VmrConfig) -> Self {
        let mut index = HashMap::new();
        let rooms: Vec<Room> = cfg
            .rooms
            .iter()
            .enumerate()
            .map(|(i, r)| {
                index.insert(r.alias.to_ascii_lowercase(), i);
                index.insert(r.id.to_ascii_lowercase(), i);
                Room::new(r.clone(), cfg.deployment, cfg.event_buffer)
            })
            .collect();
        Self {
            cfg,
            rooms,
            index,
            sessions: HashMap::new(),
            tokens: HashMap::new(),
            by_participant: HashMap::new(),
            next_session: 1,
            where_is: HashMap::new(),
            calls: HashMap::new(),
            counters: HashMap::new(),
            stats: VmrStats::default(),
            dial_requests: Vec::new(),
            next_sweep: Instant::now(),
        }
    }

    /// Counts one received request for a command.
    pub fn count(&mut self, command: &str) {
        if let Some(n) = self.counters.get_mut(command) {
            *n += 1;
        } else {
            self.counters.insert(command.to_owned(), 1);
        }
    }

    /// The room by alias (case-insensitive) or numeric id.
    pub fn room_index(&self, name: &str) -> Option<usize> {
        self.index.get(&name.trim().to_ascii_lowercase()).copied()
    }

    /// Checks a new_session PIN.
    pub fn check_pin(&self, room: usize, pin: Option<&str>) -> PinCheck {
        let cfg = &self.rooms[room].cfg;
        let Some(host_pin) = cfg.host_pin.as_deref() else {
            return PinCheck::Granted(Role::Chair);
        };
        let guests_pinless = cfg.allow_guests && cfg.guest_pin.is_none();
        let required = PinCheck::Required { guest_pin_required: !guests_pinless };
        let pin = pin.map(str::trim).unwrap_or_default();
        if pin.is_empty() {
            return required;
        }
        if pin.eq_ignore_ascii_case("none") {
            return if guests_pinless { PinCheck::Granted(Role::Guest) } else { required };
        }
        if pin == host_pin {
            return PinCheck::Granted(Role::Chair);
        }
        if cfg.allow_guests && cfg.guest_pin.as_deref() == Some(pin) {
            return PinCheck::Granted(Role::Guest);
        }
        PinCheck::Invalid
    }

    /// The session of a token valid for this room now (counting a rejection otherwise).
    pub fn authenticate(&mut self, room: usize, token: Option<&str>) -> Option<u64> {
        let found = token.and_then(|t| self.lookup(room, t));
        if found.is_none() {
            self.stats.token_rejections += 1;
        }
        found
    }

    /// The session of a token valid for this room now.
    pub fn lookup(&self, room: usize, token: &str) -> Option<u64> {
        let now = Instant::now();
        self.tokens.get(token).copied().filter(|id| self.sessions.get(id).is_some_and(|s| s.room == room && s.accepts(token, now)))
    }

    /// A dialled participant answers (`connecting` -> `conference`) or rejects (deleted).
    pub fn finish_dial(&mut self, id: Uuid, answer: bool) -> bool {
        let Some((room, p)) = self.find(id) else { return false };
        if p.service_type != ServiceType::Connecting {
            return false;
        }
        let starts = p.role == Role::Chair && p.has_media;
        if answer {
            self.update_participant(id, |p| p.service_type = ServiceType::Conference);
            if starts {
                self.rooms[room].chair_joined();
            }
        } else {
            self.remove_participant(id, None);
        }
        true
    }

    /// Creates a participant in a room (assigning its join order), applies the mute rules
    /// and announces it.
    pub fn add_participant(&mut self, room: usize, mut p: VmrParticipant) -> Uuid {
        let id = Uuid::parse_str(&p.uuid).unwrap_or_else(|_| Uuid::new_v4());
        p.uuid = id.to_string();
        let r = &mut self.rooms[room];
        p.seq = r.next_seq;
        r.next_seq += 1;
        if r.guests_muted && r.guest_mute_applies(&p) {
            p.muted = true;
        }
        r.announce(&p, true);
        let starts = p.role == Role::Chair && p.has_media && p.service_type == ServiceType::Conference;
        r.participants.insert(id, p);
        self.where_is.insert(id, room);
        if starts {
            self.rooms[room].chair_joined();
        }
        id
    }

    /// Opens a REST session for a new participant; returns the token.
    pub fn open_session(&mut self, room: usize, participant: Uuid, role: Role, token: String) -> &Session {
        let id = self.next_session;
        self.next_session += 1;
        let token: Box<str> = token.into_boxed_str();
        self.tokens.insert(token.clone(), id);
        self.by_participant.insert(participant, id);
        self.stats.tokens_issued += 1;
        let expires = Instant::now() + self.cfg.token_lifetime;
        self.sessions.entry(id).or_insert(Session { room, participant, token, expires, role, previous: None })
    }

    /// Replaces a session's token; the old one stays valid for the configured grace.
    pub fn refresh_session(&mut self, session: u64, token: String) -> Option<&Session> {
        let (lifetime, grace) = (self.cfg.token_lifetime, self.cfg.refresh_grace);
        let now = Instant::now();
        let s = self.sessions.get_mut(&session)?;
        if let Some((previous, _)) = s.previous.take() {
            self.tokens.remove(&previous);
        }
        let old = std::mem::replace(&mut s.token, token.into_boxed_str());
        if grace.is_zero() {
            self.tokens.remove(&old);
        } else {
            s.previous = Some((old, (now + grace).min(s.expires)));
        }
        s.expires = now + lifetime;
        self.tokens.insert(s.token.clone(), session);
        self.stats.tokens_refreshed += 1;
        Some(s)
    }

    /// The role of a participant's session follows its participant's role.
    pub fn set_session_role(&mut self, participant: Uuid, role: Role) {
        if let Some(s) = self.by_participant.get(&participant).and_then(|id| self.sessions.get_mut(id)) {
            s.role = role;
        }
    }

    /// Drops a session and its token (not its participant).
    fn drop_session(&mut self, session: u64) -> Option<Session> {
        let s = self.sessions.remove(&session)?;
        self.tokens.remove(&s.token);
        if let Some((previous, _)) = &s.previous {
            self.tokens.remove(previous);
        }
        self.by_participant.remove(&s.participant);
        Some(s)
    }

    /// end_session: the session's participant leaves, its streams end.
    pub fn end_session(&mut self, session: u64) {
        if let Some(s) = self.drop_session(session) {
            self.stats.sessions_ended += 1;
            self.remove_participant(s.participant, None);
        }
    }

    /// A participant leaves: its calls are disconnected, its session (if any) ends, its
    /// streams receive `disconnect` (when `reason` is given) and end, the others see
    /// `participant_delete`.
    pub fn remove_participant(&mut self, id: Uuid, reason: Option<&str>) -> Option<VmrParticipant> {
        let room = self.where_is.remove(&id)?;
        if let Some(session) = self.by_participant.get(&id).copied() {
            self.drop_session(session);
        }
        let r = &mut self.rooms[room];
        let p = r.participants.remove(&id)?;
        for call in &p.calls {
            self.calls.remove(&call.call_uuid);
            let data = json!({"call_uuid": call.call_uuid, "reason": reason.unwrap_or("Participant disconnected")});
            r.emit(Some(id), "call_disconnected", data.to_string(), false);
        }
        match reason {
            Some(reason) => r.emit(Some(id), "disconnect", json!({ "reason": reason }).to_string(), true),
            None => r.emit(Some(id), "", String::new(), true),
        }
        if !p.hidden {
            r.emit(None, "participant_delete", json!({"uuid": p.uuid}).to_string(), false);
        }
        if r.presenter == Some(id) {
            r.presenter = None;
            r.emit(None, "presentation_stop", "{}".into(), false);
        }
        Some(p)
    }

    /// The conference ends: everyone is disconnected (one `disconnect` to every stream),
    /// every session of the room ends, the room returns to its configured state.
    pub fn disconnect_all(&mut self, room: usize, reason: &str) {
        let ids: Vec<Uuid> = self.rooms[room].participants.keys().copied().collect();
        for id in ids {
            self.where_is.remove(&id);
            if let Some(session) = self.by_participant.get(&id).copied() {
                self.drop_session(session);
            }
        }
        let r = &mut self.rooms[room];
        for p in r.participants.values() {
            for call in &p.calls {
                self.calls.remove(&call.call_uuid);
            }
        }
        r.participants.clear();
        r.disconnects += 1;
        r.reset();
        r.emit(None, "disconnect", json!({ "reason": reason }).to_string(), true);
    }

    /// Changes a participant and announces the change; `None` when unknown.
    pub fn update_participant<T>(&mut self, id: Uuid, f: impl FnOnce(&mut VmrParticipant) -> T) -> Option<T> {
        let room = *self.where_is.get(&id)?;
        let r = &mut self.rooms[room];
        let p = r.participants.get_mut(&id)?;
        let out = f(p);
        r.announce(&r.participants[&id], false);
        Some(out)
    }

    /// A sub-call ends: `call_disconnected` to its participant's streams (and
    /// `presentation_stop` when it carried the presentation). `false` when unknown.
    pub fn end_call(&mut self, call_uuid: &str, reason: &str) -> bool {
        let Some(owner) = self.calls.remove(call_uuid) else { return false };
        let Some((room, _)) = self.find(owner) else { return false };
        self.rooms[room].emit(Some(owner), "call_disconnected", json!({"call_uuid": call_uuid, "reason": reason}).to_string(), false);
        let was_presenting = self
            .update_participant(owner, |p| {
                let sending = p
                    .calls
                    .iter()
                    .any(|c| c.call_uuid == call_uuid && c.present.as_deref().is_some_and(|v| v.eq_ignore_ascii_case("send")));
                p.calls.retain(|c| c.call_uuid != call_uuid);
                sending
            })
            .unwrap_or(false);
        if was_presenting && self.rooms[room].presenter == Some(owner) {
            self.stop_presentation(room);
        }
        true
    }

    /// A participant starts presenting (see `VmrEmulator::start_presentation`).
    pub fn start_presentation(&mut self, id: Uuid) -> bool {
        let Some((room, p)) = self.find(id) else { return false };
        let data = json!({"presenter_name": p.display_name, "presenter_uri": p.uri}).to_string();
        if let Some(previous) = self.rooms[room].presenter.filter(|prev| *prev != id) {
            let mut taken = Vec::new();
            self.update_participant(previous, |p| {
                p.presenting = false;
                p.calls.retain(|c| {
                    let sending = c.present.as_deref().is_some_and(|v| v.eq_ignore_ascii_case("send"));
                    if sending {
                        taken.push(c.call_uuid.clone());
                    }
                    !sending
                });
            });
            for call in taken {
                self.calls.remove(&call);
                let data = json!({"call_uuid": call, "reason": "Presentation taken over by another participant"});
                self.rooms[room].emit(Some(previous), "call_disconnected", data.to_string(), false);
            }
        }
        self.rooms[room].presenter = Some(id);
        self.rooms[room].emit(None, "presentation_start", data, false);
        self.update_participant(id, |p| p.presenting = true);
        true
    }

    /// The presentation of a room stops.
    pub fn stop_presentation(&mut self, room: usize) -> bool {
        let Some(presenter) = self.rooms[room].presenter.take() else { return false };
        self.rooms[room].emit(None, "presentation_stop", "{}".into(), false);
        self.update_participant(presenter, |p| p.presenting = false);
        true
    }

    /// The room a participant is in and the participant.
    pub fn find(&self, id: Uuid) -> Option<(usize, &VmrParticipant)> {
        let room = *self.where_is.get(&id)?;
        self.rooms[room].participants.get(&id).map(|p| (room, p))
    }

    /// The participant behind a session.
    pub fn session_participant(&self, session: u64) -> Option<&VmrParticipant> {
        let s = self.sessions.get(&session)?;
        self.rooms[s.room].participants.get(&s.participant)
    }

    /// Expires every token now (the harness's `ExpireCredentials` fault).
    pub fn expire_all(&mut self) {
        let now = Instant::now();
        for s in self.sessions.values_mut() {
            s.expires = s.expires.min(now);
        }
        self.next_sweep = now;
    }

    /// Removes sessions whose token has expired (and their participants), at most every
    /// quarter lifetime (and at most every second).
    pub fn maybe_sweep(&mut self) {
        let now = Instant::now();
        if now < self.next_sweep {
            return;
        }
        let every = (self.cfg.token_lifetime / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
        self.next_sweep = now + every;
        let expired: Vec<u64> = self.sessions.iter().filter(|(_, s)| now >= s.expires).map(|(id, _)| *id).collect();
        for id in expired {
            if let Some(s) = self.drop_session(id) {
                self.stats.sessions_expired += 1;
                self.remove_participant(s.participant, None);
            }
        }
    }

    /// Sessions valid now.
    pub fn live_sessions(&self) -> u64 {
        let now = Instant::now();
        self.sessions.values().filter(|s| now < s.expires).count() as u64
    }

    /// Participant from a dial-out or dial-in description.
    pub fn new_participant(&self, room: usize, display_name: String, role: Role, protocol: String) -> VmrParticipant {
        VmrParticipant {
            uuid: Uuid::new_v4().to_string(),
            display_name,
            role,
            protocol,
            call_direction: CallDirection::In,
            service_type: ServiceType::Conference,
            muted: false,
            presenting: false,
            rx_presentation: true,
            spotlight: 0,
            start_time: unix_now(),
            has_media: true,
            audio_only: false,
            video: true,
            streaming: false,
            external: false,
            encrypted: true,
            presentation_supported: true,
            uri: String::new(),
            vendor: String::new(),
            local_alias: self.rooms[room].cfg.alias.clone(),
            hidden: false,
            is_session: false,
            dtmf: String::new(),
            calls: Vec::new(),
            seq: 0,
        }
    }
}

/// State shared by the emulator's clones and its handlers.
pub(crate) struct Shared {
    pub cfg: VmrConfig,
    state: Mutex<State>,
    pub base_url: Mutex<Option<String>>,
    pub rotate: AtomicUsize,
    pub streams_opened: AtomicU64,
    pub live_streams: AtomicU64,
    pub control: StreamControl,
}

impl Shared {
    pub fn new(cfg: VmrConfig) -> Self {
        Self {
            state: Mutex::new(State::new(cfg.clone())),
            cfg,
            base_url: Mutex::new(None),
            rotate: AtomicUsize::new(0),
            streams_opened: AtomicU64::new(0),
            live_streams: AtomicU64::new(0),
            control: StreamControl::new(),
        }
    }

    /// Locks the state (sweeping expired sessions when due).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        guard.maybe_sweep();
        guard
    }
}

/// A fresh token: the document's shape (base64 with `/`, `%2B` and a trailing `%3D`) or
/// plain hex.
pub(crate) fn new_token(document_like: bool) -> String {
    let mut bytes = Vec::with_capacity(48);
    for _ in 0..3 {
        bytes.extend_from_slice(Uuid::new_v4().as_bytes());
    }
    if !document_like {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        return bytes.iter().take(24).flat_map(|b| [HEX[usize::from(b >> 4)] as char, HEX[usize::from(b & 15)] as char]).collect();
    }
    bytes.truncate(47);
    let encoded = base64_std(&bytes);
    encoded.replace('+', "%2B").replace('=', "%3D")
}

fn base64_std(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_known_vectors() {
        assert_eq!(base64_std(b""), "");
        assert_eq!(base64_std(b"f"), "Zg==");
        assert_eq!(base64_std(b"fo"), "Zm8=");
        assert_eq!(base64_std(b"foo"), "Zm9v");
        assert_eq!(base64_std(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn document_like_tokens_have_the_documented_shape() {
        let t = new_token(true);
        assert!(t.ends_with("%3D"), "{t}");
        assert!(!t.contains('+') && !t.contains('='), "{t}");
        assert_ne!(t, new_token(true));
        let plain = new_token(false);
        assert_eq!(plain.len(), 48);
        assert!(plain.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
