//! Configuration of the vmr emulator: deployment, rooms, token lifetime, answer spellings.

use std::time::Duration;

/// Which cloud the emulator behaves as (the document's support table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Deployment {
    /// 公有云: every command and event of the document.
    #[default]
    Public,
    /// 企业专属云: no start_service effect, no override_layout, spotlight, participant
    /// unlock, role or transfer; never emits `presentation_frame` or `participant_create`;
    /// `new_session` omits the public-only fields; `service_status` adds
    /// `live_status` / `record_status`.
    Enterprise,
}

/// How a boolean `result` is spelled in `{"status":"success","result":...}` answers.
///
/// The document shows `'true'` (single quotes, not valid JSON) for most commands and
/// `"true"` for `message`; the emulator sends `'true'` as the JSON string `"'true'"` so
/// the body stays valid JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResultSpelling {
    /// `"result": true`
    Bool,
    /// `"result": "true"`
    QuotedString,
    /// `"result": "'true'"`
    SingleQuoted,
    /// The spelling the document shows for each command (`message`: `"true"`, the others
    /// `'true'`, `end_session`: `true`).
    AsDocumented,
    /// Cycle through `true`, `"true"`, `"'true'"` answer by answer, so clients meet all three.
    #[default]
    Rotate,
}

/// Where `checkJoin`'s `mcuHost` points.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum McuHost {
    /// This emulator's own base URL with scheme (`http://127.0.0.1:PORT`): the server's base
    /// once started, else taken from the request's `Host` header.
    #[default]
    SameServerUrl,
    /// This emulator's `host:port` without scheme, the document's spelling.
    SameServerHostPort,
    /// A fixed value, sent as is.
    Fixed(String),
}

/// What happens to a participant created by `dial`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialOutcome {
    /// The callee answers after the delay: `connecting` becomes `conference`.
    Answer(Duration),
    /// The callee rejects after the delay: the participant is deleted.
    Reject(Duration),
    /// Stays `connecting` until a test calls [`super::VmrEmulator::answer_dial`] or
    /// [`super::VmrEmulator::reject_dial`].
    Manual,
}

impl Default for DialOutcome {
    fn default() -> Self {
        Self::Answer(Duration::from_millis(50))
    }
}

/// One virtual meeting room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomConfig {
    /// Email-form address (`meet@vmr.example`), matched case-insensitively.
    pub alias: String,
    /// All-digit conference number (`1061`).
    pub id: String,
    /// Display name (`conferenceName` of checkJoin).
    pub name: String,
    /// Host PIN; `None`: a room without PIN where everyone joins as host.
    pub host_pin: Option<String>,
    /// Guest PIN; `None` with `allow_guests`: guests join with the PIN `none`.
    pub guest_pin: Option<String>,
    /// Whether guests may join at all.
    pub allow_guests: bool,
    /// Locked when the conference starts.
    pub locked: bool,
    /// Guests muted when the conference starts.
    pub guests_muted: bool,
    /// The conference counts as started from the beginning (otherwise it starts when a chair
    /// with media joins or on `start_service`; guests with media wait until then).
    pub started: bool,
    /// `whiteboard` of service_status (with a `wb_url`).
    pub whiteboard: bool,
    /// checkJoin's `companyId`.
    pub company_id: i64,
    /// checkJoin's `isRecord`.
    pub is_record: bool,
    /// checkJoin's `isLive`.
    pub is_live: bool,
}

impl RoomConfig {
    /// A room with the given alias and numeric id, no PIN, guests allowed, started.
    pub fn new(alias: impl Into<String>, id: impl Into<String>) -> Self {
        let alias = alias.into();
        Self {
            name: alias.split('@').next().unwrap_or_default().to_owned(),
            alias,
            id: id.into(),
            host_pin: None,
            guest_pin: None,
            allow_guests: true,
            locked: false,
            guests_muted: false,
            started: true,
            whiteboard: false,
            company_id: 1,
            is_record: true,
            is_live: true,
        }
    }

    /// Sets the host PIN.
    pub fn host_pin(mut self, pin: impl Into<String>) -> Self {
        self.host_pin = Some(pin.into());
        self
    }

    /// Sets the guest PIN (and allows guests).
    pub fn guest_pin(mut self, pin: impl Into<String>) -> Self {
        self.guest_pin = Some(pin.into());
        self.allow_guests = true;
        self
    }

    /// Allows or refuses guests.
    pub fn allow_guests(mut self, allow: bool) -> Self {
        self.allow_guests = allow;
        self
    }

    /// Sets the display name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Starts locked.
    pub fn locked(mut self, locked: bool) -> Self {
        self.locked = locked;
        self
    }

    /// Whether the conference is started from the beginning.
    pub fn started(mut self, started: bool) -> Self {
        self.started = started;
        self
    }

    /// Enables the whiteboard flag.
    pub fn whiteboard(mut self, on: bool) -> Self {
        self.whiteboard = on;
        self
    }
}

/// Configuration of a [`super::VmrEmulator`].
#[derive(Debug, Clone)]
pub struct VmrConfig {
    /// Token lifetime (`expires`, whole seconds on the wire, at least 1). Default 120 s.
    pub token_lifetime: Duration,
    /// Public or enterprise cloud.
    pub deployment: Deployment,
    /// The rooms served.
    pub rooms: Vec<RoomConfig>,
    /// Spelling of boolean results.
    pub result_spelling: ResultSpelling,
    /// Send `expires` as a JSON number instead of the document's string.
    pub expires_as_number: bool,
    /// Where checkJoin's `mcuHost` points.
    pub mcu_host: McuHost,
    /// Interval of SSE keep-alive comments (`: keepalive`).
    pub keepalive_interval: Duration,
    /// What a dialled callee does.
    pub dial_outcome: DialOutcome,
    /// Participants created by one dial (the document's fork calls); at least 1.
    pub dial_fork: usize,
    /// Token style: `true` (default) for the document's shape (base64 with `/` and
    /// percent-escaped `%2B` / `%3D`), `false` for plain alphanumeric tokens.
    pub document_like_tokens: bool,
    /// How long the token replaced by refresh_session stays valid (never beyond its own
    /// expiry). Default zero: the old token is refused at once.
    pub refresh_grace: Duration,
    /// Buffer of each room's event bus; a stream that falls further behind is closed (the
    /// client reconnects and gets the sync bracket again).
    pub event_buffer: usize,
}

impl Default for VmrConfig {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::from_secs(120),
            deployment: Deployment::Public,
            rooms: vec![RoomConfig::new("meet@vmr.example", "1061").name("Demo room").host_pin("123456").guest_pin("4321")],
            result_spelling: ResultSpelling::default(),
            expires_as_number: false,
            mcu_host: McuHost::default(),
            keepalive_interval: Duration::from_secs(15),
            dial_outcome: DialOutcome::default(),
            dial_fork: 1,
            document_like_tokens: true,
            refresh_grace: Duration::ZERO,
            event_buffer: 1024,
        }
    }
}

impl VmrConfig {
    /// The default configuration: one room `meet@vmr.example` / `1061`, host PIN `123456`,
    /// guest PIN `4321`, public cloud, 120 s tokens.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the token lifetime.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// Sets the deployment.
    pub fn deployment(mut self, deployment: Deployment) -> Self {
        self.deployment = deployment;
        self
    }

    /// Replaces the rooms.
    pub fn rooms(mut self, rooms: Vec<RoomConfig>) -> Self {
        self.rooms = rooms;
        self
    }

    /// Adds a room.
    pub fn room(mut self, room: RoomConfig) -> Self {
        self.rooms.push(room);
        self
    }

    /// Sets the result spelling.
    pub fn result_spelling(mut self, spelling: ResultSpelling) -> Self {
        self.result_spelling = spelling;
        self
    }

    /// Sets where `mcuHost` points.
    pub fn mcu_host(mut self, host: McuHost) -> Self {
        self.mcu_host = host;
        self
    }

    /// Sets the SSE keep-alive interval.
    pub fn keepalive_interval(mut self, interval: Duration) -> Self {
        self.keepalive_interval = interval;
        self
    }

    /// Sets what dialled callees do.
    pub fn dial_outcome(mut self, outcome: DialOutcome) -> Self {
        self.dial_outcome = outcome;
        self
    }

    /// Keeps a replaced token valid this long after refresh_session.
    pub fn refresh_grace(mut self, grace: Duration) -> Self {
        self.refresh_grace = grace;
        self
    }

    /// `expires` as a JSON number.
    pub fn expires_as_number(mut self, yes: bool) -> Self {
        self.expires_as_number = yes;
        self
    }

    /// The `expires` value on the wire: whole seconds, at least 1.
    pub(crate) fn expires_secs(&self) -> u64 {
        self.token_lifetime.as_secs().max(1)
    }
}
