//! The emulator's view of participants, calls, messages and counters (for inspection by
//! tests), and the participant JSON of the document's `participant_create` event.

use serde_json::{Value, json};

/// A participant's role (`chair` / `guest` on the wire, `HOST` / `GUEST` in new_session).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// 主持人.
    Chair,
    /// 访客.
    Guest,
}

impl Role {
    /// `chair` / `guest`.
    pub fn wire(self) -> &'static str {
        match self {
            Self::Chair => "chair",
            Self::Guest => "guest",
        }
    }

    /// `HOST` / `GUEST` (new_session, refresh_session).
    pub fn session_wire(self) -> &'static str {
        match self {
            Self::Chair => "HOST",
            Self::Guest => "GUEST",
        }
    }

    /// Parses `chair`/`host` and `guest` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "chair" | "host" => Some(Self::Chair),
            "guest" => Some(Self::Guest),
            _ => None,
        }
    }
}

/// A participant's `service_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceType {
    /// Being dialled out (`connecting`).
    Connecting,
    /// Waiting for a host or behind the lock (`waiting_room`).
    WaitingRoom,
    /// Waiting to enter a PIN (`ivr`).
    Ivr,
    /// In the conference (`conference`).
    Conference,
    /// Point-to-point call (`gateway`).
    Gateway,
}

impl ServiceType {
    /// The wire spelling.
    pub fn wire(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::WaitingRoom => "waiting_room",
            Self::Ivr => "ivr",
            Self::Conference => "conference",
            Self::Gateway => "gateway",
        }
    }
}

/// `in` (dialled in, or an API session) or `out` (dialled by `dial`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallDirection {
    /// 呼入.
    In,
    /// 呼出.
    Out,
}

/// A sub-call added by the participant `calls` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmrCall {
    /// `call_uuid` of the answer.
    pub call_uuid: String,
    /// `WEBRTC` or `RTMP`.
    pub call_type: String,
    /// RTMP `present` (`send` / `receive`), if given.
    pub present: Option<String>,
    /// RTMP `streaming`.
    pub streaming: bool,
    /// RTMP `bandwidth`, if given.
    pub bandwidth: Option<u64>,
    /// Acknowledged with `calls/<call_uuid>/ack` (WebRTC media starts only after it).
    pub acked: bool,
}

/// A participant as the emulator holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmrParticipant {
    /// `uuid`.
    pub uuid: String,
    /// `display_name` (and `overlay_text`).
    pub display_name: String,
    /// `role`.
    pub role: Role,
    /// `protocol` (`api` for a REST session, `sip`, `h323`, `rtmp`, ...).
    pub protocol: String,
    /// `call_direction`.
    pub call_direction: CallDirection,
    /// `service_type`.
    pub service_type: ServiceType,
    /// `is_muted`.
    pub muted: bool,
    /// `is_presenting`.
    pub presenting: bool,
    /// `rx_presentation_policy` is `ALLOW`.
    pub rx_presentation: bool,
    /// `spotlight`: UNIX seconds when spotlit, 0 when not.
    pub spotlight: u64,
    /// `start_time` (UNIX seconds).
    pub start_time: u64,
    /// `has_media`.
    pub has_media: bool,
    /// `is_audio_only_call`.
    pub audio_only: bool,
    /// `is_video_call`.
    pub video: bool,
    /// `is_streaming_conference`.
    pub streaming: bool,
    /// `is_external`.
    pub external: bool,
    /// `encryption` is `On`.
    pub encrypted: bool,
    /// `presentation_supported`.
    pub presentation_supported: bool,
    /// `uri`.
    pub uri: String,
    /// `vendor`.
    pub vendor: String,
    /// `local_alias`.
    pub local_alias: String,
    /// Hidden by `hideme` (not listed, no events).
    pub hidden: bool,
    /// Whether this participant is a REST session (new_session).
    pub is_session: bool,
    /// DTMF digits received by the `dtmf` command, concatenated.
    pub dtmf: String,
    /// Sub-calls added by `calls`.
    pub calls: Vec<VmrCall>,
    /// Order of joining (for listing).
    pub(crate) seq: u64,
}

impl VmrParticipant {
    /// The document's participant object (`participant_create` / `participants`).
    pub fn to_json(&self) -> Value {
        let yes = |b: bool| if b { "YES" } else { "NO" };
        json!({
            "api_url": format!("/participants/{}", self.uuid),
            "call_direction": match self.call_direction { CallDirection::In => "in", CallDirection::Out => "out" },
            "display_name": self.display_name,
            "encryption": if self.encrypted { "On" } else { "Off" },
            "has_media": self.has_media,
            "is_audio_only_call": yes(self.audio_only),
            "is_external": self.external,
            "is_muted": yes(self.muted),
            "is_presenting": yes(self.presenting),
            "is_streaming_conference": self.streaming,
            "is_video_call": yes(self.video),
            "local_alias": self.local_alias,
            "overlay_text": self.display_name,
            "presentation_supported": yes(self.presentation_supported),
            "protocol": self.protocol,
            "role": self.role.wire(),
            "rx_presentation_policy": if self.rx_presentation { "ALLOW" } else { "DENY" },
            "service_type": self.service_type.wire(),
            "spotlight": self.spotlight,
            "start_time": self.start_time,
            "uri": self.uri,
            "uuid": self.uuid,
            "vendor": self.vendor,
        })
    }
}

/// A participant a test lets dial in (see [`super::VmrEmulator::add_participant`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialIn {
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Protocol (`sip` by default).
    pub protocol: String,
    /// Audio only.
    pub audio_only: bool,
    /// Address (`uri`).
    pub uri: String,
    /// Vendor string.
    pub vendor: String,
}

impl DialIn {
    /// A guest video participant over SIP.
    pub fn guest(display_name: impl Into<String>) -> Self {
        let display_name = display_name.into();
        Self {
            uri: format!("sip:{}@terminals.example", display_name.to_ascii_lowercase().replace(' ', ".")),
            display_name,
            role: Role::Guest,
            protocol: "sip".into(),
            audio_only: false,
            vendor: "conf-sandbox terminal".into(),
        }
    }

    /// A chair video participant over SIP.
    pub fn chair(display_name: impl Into<String>) -> Self {
        Self { role: Role::Chair, ..Self::guest(display_name) }
    }

    /// Sets the protocol.
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocol = protocol.into();
        self
    }

    /// Audio only.
    pub fn audio_only(mut self) -> Self {
        self.audio_only = true;
        self
    }
}

/// A chat message received by the `message` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmrMessage {
    /// Sender's display name (`origin`).
    pub origin: String,
    /// Sender's participant uuid.
    pub uuid: String,
    /// MIME type.
    pub content_type: String,
    /// Text.
    pub payload: String,
}

/// A room's conference state.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomStatus {
    /// Locked.
    pub locked: bool,
    /// Guests muted.
    pub guests_muted: bool,
    /// Started.
    pub started: bool,
    /// The last override_layout `layouts` (as received).
    pub layouts: Vec<Value>,
    /// uuid of the current presenter.
    pub presenter: Option<String>,
    /// Number of conference disconnects (`disconnect` command) so far.
    pub disconnects: u64,
}

/// Counters of the emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VmrStats {
    /// Tokens issued by new_session.
    pub tokens_issued: u64,
    /// Tokens issued by refresh_session.
    pub tokens_refreshed: u64,
    /// Sessions released by end_session.
    pub sessions_ended: u64,
    /// Sessions removed because their token expired.
    pub sessions_expired: u64,
    /// Requests refused with 403 because of a missing, unknown or expired token.
    pub token_rejections: u64,
    /// new_session requests refused for a missing or wrong PIN.
    pub pin_rejections: u64,
    /// Sessions whose token is valid now.
    pub live_sessions: u64,
    /// Event streams opened.
    pub streams_opened: u64,
    /// Event streams open now.
    pub live_streams: u64,
    /// Sub-call commands (`ack`, `disconnect`) naming a call uuid this emulator did not
    /// issue to that participant (or one already ended): answered `false`.
    pub unknown_call_uuids: u64,
}
