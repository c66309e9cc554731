//! Emulator of the ytx (云通信) TeleMeeting.wx phone-meeting API.
//!
//! Written from the vendor document (`003_97369b955291a749.txt`), not from the
//! client crate. One route, `POST /{version}/sid/{accountSID}/call/TeleMeeting.wx?Sign=..`,
//! dispatching on the JSON body's `action` (`createMeeting`, `lockMeeting`,
//! `meetingState`, `destroyMeeting`).
//!
//! Every request is verified exactly as the document describes:
//! - `Authorization` is Base64(`accountSID|yyyyMMddHHmmss`), the account must match;
//! - the timestamp is China Standard Time (UTC+8) and valid for 24 hours (either side
//!   of the emulator's clock, which tests can move with [`YtxEmulator::set_clock`]);
//! - `Sign` is MD5(accountSID + authToken + timestamp) in hex (any case) with the
//!   *same* timestamp as `Authorization`;
//! - `appid` must be the configured application (`-205` otherwise);
//! - missing parameters answer `-2` (`缺少必要参数`).
//!
//! Codes the document does not list (signature errors, unknown meeting) are the
//! emulator's own and named by the constants below.

mod auth;
mod state;

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

pub use auth::{ytx_timestamp, ytx_timestamp_parse};
pub use state::{Meeting, Member};

use crate::harness::Server;

/// Success.
pub const OK: &str = "0";
/// A required parameter is missing or malformed (document).
pub const MISSING_PARAMETER: &str = "-2";
/// Application check failed: unknown appid, sandbox/production mismatch... (document).
pub const APP_CHECK_FAILED: &str = "-205";
/// Emulator's own: `Sign` does not match MD5(accountSID + authToken + timestamp).
pub const SIGN_MISMATCH: &str = "-100";
/// Emulator's own: `Authorization` missing, not Base64(`sid|timestamp`), or another account.
pub const BAD_AUTHORIZATION: &str = "-101";
/// Emulator's own: the timestamp is more than 24 hours away from the server's clock.
pub const TIMESTAMP_EXPIRED: &str = "-102";
/// Emulator's own: no meeting with this `confid`.
pub const NO_SUCH_MEETING: &str = "-103";
/// Emulator's own: unknown `action`.
pub const UNKNOWN_ACTION: &str = "-104";

/// Emulator configuration.
#[derive(Clone, Debug)]
pub struct YtxConfig {
    /// Account id (`accountSID`).
    pub account_sid: String,
    /// Account token (`authToken`).
    pub auth_token: String,
    /// The application id with the phone-meeting feature.
    pub app_id: String,
    /// API version in the path.
    pub version: String,
    /// How long a timestamp stays valid, either side of the server clock.
    pub freshness: std::time::Duration,
}

impl Default for YtxConfig {
    fn default() -> Self {
        Self {
            account_sid: "abcdefghijklmnopqrstuvwxyz012345".into(),
            auth_token: "0123456789abcdef0123456789abcdef".into(),
            app_id: "ff8080813fc70a7b013fc72312324213".into(),
            version: "201612".into(),
            freshness: std::time::Duration::from_secs(24 * 3600),
        }
    }
}

/// Counters of what the emulator saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct YtxCounters {
    /// Requests whose signature was accepted.
    pub accepted: u64,
    /// Requests rejected for their signature, Authorization or timestamp.
    pub rejected_auth: u64,
    /// Timestamps of accepted requests, in order.
    pub timestamps: Vec<String>,
    /// The `requestId` of every failure reply, in order (unique per emulator).
    pub failure_request_ids: Vec<String>,
}

pub(crate) struct Inner {
    pub(crate) config: YtxConfig,
    pub(crate) clock: Option<SystemTime>,
    pub(crate) meetings: state::Meetings,
    pub(crate) counters: YtxCounters,
}

/// The ytx emulator (cheap to clone, shared state).
#[derive(Clone)]
pub struct YtxEmulator {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for YtxEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YtxEmulator").finish_non_exhaustive()
    }
}

impl YtxEmulator {
    /// A new emulator with no meetings.
    pub fn new(config: YtxConfig) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                config,
                clock: None,
                meetings: state::Meetings::default(),
                counters: YtxCounters::default(),
            })),
        }
    }

    /// Start a server on loopback with this emulator.
    pub async fn start(config: YtxConfig) -> std::io::Result<(Self, Server)> {
        let emu = Self::new(config);
        let server = Server::start(emu.router())?;
        Ok((emu, server))
    }

    /// The axum router.
    pub fn router(&self) -> Router {
        Router::new().route("/{version}/sid/{sid}/call/TeleMeeting.wx", post(handle)).with_state(self.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The configuration.
    pub fn config(&self) -> YtxConfig {
        self.lock().config.clone()
    }

    /// Replace the server clock (`None`: the system clock).
    pub fn set_clock(&self, now: Option<SystemTime>) {
        self.lock().clock = now;
    }

    /// What the emulator saw so far.
    pub fn counters(&self) -> YtxCounters {
        self.lock().counters.clone()
    }

    /// A meeting by id.
    pub fn meeting(&self, meid: &str) -> Option<Meeting> {
        self.lock().meetings.get(meid).cloned()
    }

    /// Ids of the live meetings.
    pub fn meeting_ids(&self) -> Vec<String> {
        self.lock().meetings.ids()
    }

    /// Change one member's state (online, muted), as a phone network would.
    /// Returns false when there is no such meeting or member.
    pub fn set_member_state(&self, meid: &str, phone: &str, online: bool, muted: bool) -> bool {
        self.lock().meetings.set_member(meid, phone, online, muted)
    }
}

/// A failure reply as the document's 异常示例 shows it (`statusCode`, `statusMsg`,
/// `requestId`), with a request id that is unique per emulator (the document's example
/// leaves it empty; the platform fills it for support enquiries).
fn error(inner: &mut Inner, code: &str, msg: &str) -> Response {
    let request_id = format!("emu-{:08x}", inner.counters.failure_request_ids.len() + 1);
    inner.counters.failure_request_ids.push(request_id.clone());
    axum::Json(json!({ "statusCode": code, "statusMsg": msg, "requestId": request_id })).into_response()
}

async fn handle(
    State(emu): State<YtxEmulator>,
    Path((version, sid)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut inner = emu.lock();
    let now = inner.clock.unwrap_or_else(SystemTime::now);
    if version != inner.config.version {
        return error(&mut inner, MISSING_PARAMETER, "不支持的版本");
    }
    if let Err((code, msg)) = auth::verify(&inner.config, now, &sid, query.as_deref(), &headers) {
        inner.counters.rejected_auth += 1;
        return error(&mut inner, code, msg);
    }
    let ts = auth::timestamp_of(&headers).unwrap_or_default();
    inner.counters.accepted += 1;
    inner.counters.timestamps.push(ts);
    let ct = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("application/json") {
        return error(&mut inner, MISSING_PARAMETER, "缺少必要参数");
    }
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&body) else {
        return error(&mut inner, MISSING_PARAMETER, "缺少必要参数");
    };
    let Some(action) = body.get("action").and_then(Value::as_str) else {
        return error(&mut inner, MISSING_PARAMETER, "缺少必要参数");
    };
    match body.get("appid").and_then(Value::as_str) {
        None | Some("") => return error(&mut inner, MISSING_PARAMETER, "缺少必要参数"),
        Some(a) if a != inner.config.app_id => return error(&mut inner, APP_CHECK_FAILED, "应用验证失败"),
        Some(_) => {}
    }
    let action = action.to_string();
    match state::dispatch(&mut inner.meetings, &action, &body) {
        Ok(resp) => resp,
        Err((code, msg)) => error(&mut inner, code, msg),
    }
}
