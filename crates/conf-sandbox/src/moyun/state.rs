//! The emulated platform's state: tokens, user sessions, conferences, templates,
//! push clients and counters.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::time::Instant;

/// A terminal in a conference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminal {
    /// Terminal number in the conference.
    pub mt_id: String,
    /// E164, IP or phone number it was called with.
    pub account: String,
    /// 1 moid, 4..8 per the document (5 E164, 6 phone, 7 IP).
    pub account_type: i64,
    /// Call bitrate.
    pub bitrate: i64,
    /// 0 H.323, 1 SIP.
    pub protocol: i64,
    /// Online.
    pub online: bool,
    /// Muted (哑音: its microphone).
    pub mute: bool,
    /// Silenced (静音: its speaker).
    pub silence: bool,
}

impl Terminal {
    pub(crate) fn to_json(&self) -> Value {
        let ip = if self.account_type == 7 { self.account.clone() } else { String::new() };
        let e164 = if self.account_type == 5 { self.account.clone() } else { String::new() };
        json!({
            "alias": self.account, "mt_id": self.mt_id, "ip": ip, "online": i32::from(self.online), "e164": e164,
            "type": 1, "bitrate": self.bitrate, "silence": i32::from(self.silence), "mute": i32::from(self.mute),
            "dual": 0, "mix": 0, "vmp": 0, "inspection": 0, "rec": 0, "poll": 0, "upload": 0,
            "protocol": self.protocol, "call_mode": 0,
        })
    }
}

/// A running conference.
#[derive(Debug, Clone, PartialEq)]
pub struct Conference {
    /// Conference number.
    pub conf_id: String,
    /// Name.
    pub name: String,
    /// Duration in minutes (0: permanent).
    pub duration: i64,
    /// Bitrate.
    pub bitrate: i64,
    /// `create_type` it was created with.
    pub create_type: i64,
    /// Terminals, in the order they were added.
    pub terminals: Vec<Terminal>,
    /// Chairman terminal (`""`: none).
    pub chairman: String,
    /// Speaker terminal (`""`: none).
    pub speaker: String,
    /// Conference-wide mute.
    pub mute: bool,
    /// Conference-wide silence.
    pub silence: bool,
    /// The whole `params` JSON it was created with.
    pub params: Value,
    pub(crate) next_mt: u64,
}

impl Conference {
    pub(crate) fn to_json(&self, domain: &str) -> Value {
        json!({
            "name": self.name, "conf_id": self.conf_id, "user_domain_moid": domain, "user_domain_name": "emulated domain",
            "meeting_room_name": "", "conf_level": 3, "conf_type": 0, "start_time": "2026-01-01T09:00:00+08:00",
            "end_time": "", "duration": self.duration, "bitrate": self.bitrate, "closed_conf": 0, "safe_conf": 0,
            "encrypted_type": 0, "mute": i32::from(self.mute), "silence": i32::from(self.silence),
            "voice_activity_detection": 0, "vacinterval": 5, "create_type": self.create_type,
            "chairman": {"mt_id": self.chairman}, "speaker": {"mt_id": self.speaker},
        })
    }

    pub(crate) fn terminal_mut(&mut self, mt_id: &str) -> Option<&mut Terminal> {
        self.terminals.iter_mut().find(|t| t.mt_id == mt_id)
    }
}

/// A personal template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// Id.
    pub template_id: String,
    /// Name.
    pub name: String,
    /// The `params` JSON it was created with.
    pub params: Value,
}

/// Counters tests assert on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// `POST /api/v1/system/token` answered with a token.
    pub tokens_issued: u64,
    /// `POST /api/v1/system/token` requests.
    pub token_requests: u64,
    /// `POST /api/v1/system/login` requests.
    pub logins: u64,
    /// Successful logins.
    pub logins_ok: u64,
    /// Token heartbeats received.
    pub token_heartbeats: u64,
    /// User heartbeats received.
    pub user_heartbeats: u64,
    /// Answers `10002`.
    pub token_rejections: u64,
    /// Answers `10102`.
    pub session_rejections: u64,
    /// `/api/{app}/version` requests.
    pub version_requests: u64,
    /// Platform calls that passed authentication (credential endpoints excluded).
    pub authenticated_calls: u64,
    /// Injected error answers.
    pub injected_errors: u64,
    /// CometD handshakes accepted.
    pub handshakes: u64,
    /// CometD subscriptions accepted.
    pub subscribes: u64,
    /// CometD `/meta/connect` requests.
    pub connects: u64,
    /// Push messages queued for clients.
    pub published: u64,
}

/// An injected platform error.
#[derive(Debug, Clone)]
pub(crate) struct Injection {
    pub(crate) code: u32,
    pub(crate) path_prefix: String,
    pub(crate) remaining: usize,
}

/// A CometD client.
#[derive(Debug)]
pub(crate) struct PushClient {
    pub(crate) session: String,
    pub(crate) subscriptions: Vec<String>,
    pub(crate) queue: VecDeque<Value>,
    pub(crate) wake: Arc<Notify>,
}

/// Everything, behind one lock.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) tokens: HashMap<String, Instant>,
    pub(crate) sessions: HashMap<String, (String, Instant)>,
    pub(crate) confs: BTreeMap<String, Conference>,
    pub(crate) templates: BTreeMap<String, Template>,
    pub(crate) levels: BTreeMap<String, u32>,
    pub(crate) injections: Vec<Injection>,
    pub(crate) push: HashMap<String, PushClient>,
    pub(crate) counters: Counters,
    pub(crate) api_levels_seen: Vec<Option<String>>,
    pub(crate) next_id: u64,
}

impl State {
    pub(crate) fn new() -> Self {
        Self {
            tokens: HashMap::new(),
            sessions: HashMap::new(),
            confs: BTreeMap::new(),
            templates: BTreeMap::new(),
            levels: BTreeMap::new(),
            injections: Vec::new(),
            push: HashMap::new(),
            counters: Counters::default(),
            api_levels_seen: Vec::new(),
            next_id: 0,
        }
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Queue `data` on `channel` (absolute) for every client subscribed to it.
    pub(crate) fn publish(&mut self, channel: &str, data: &Value) {
        for client in self.push.values_mut() {
            if client.subscriptions.iter().any(|s| channel_matches(s, channel)) {
                client.queue.push_back(json!({"channel": channel, "data": data}));
                client.wake.notify_one();
                self.counters.published += 1;
            }
        }
    }
}

/// Bayeux channel matching: `*` matches one last segment, `**` one or more.
pub fn channel_matches(pattern: &str, channel: &str) -> bool {
    if let Some(prefix) = pattern.strip_suffix("/**") {
        return channel.len() > prefix.len() + 1 && channel.starts_with(prefix) && channel.as_bytes()[prefix.len()] == b'/';
    }
    if let Some(prefix) = pattern.strip_suffix("/*") {
        return channel
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|seg| !seg.is_empty() && !seg.contains('/'));
    }
    pattern == channel
}

#[cfg(test)]
mod tests {
    use super::channel_matches;

    #[test]
    fn wildcards() {
        assert!(channel_matches("/u/d/confs/**", "/u/d/confs/1"));
        assert!(channel_matches("/u/d/confs/**", "/u/d/confs/1/cascades/0/mts/2"));
        assert!(!channel_matches("/u/d/confs/**", "/u/d/confs"));
        assert!(channel_matches("/u/d/confs/1/cascades/0/mts/*", "/u/d/confs/1/cascades/0/mts/2"));
        assert!(!channel_matches("/u/d/confs/*", "/u/d/confs/1/speaker"));
        assert!(channel_matches("/u/d/confs/1", "/u/d/confs/1"));
        assert!(!channel_matches("/u/d/confs/1", "/u/d/confs/12"));
    }
}
