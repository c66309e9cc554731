//! Emulator of the 摩云 (Moyun) platform API.
//!
//! Written from the vendor overview (`000_cca006321cfa8b49.txt`) and the reference
//! inventory, not from the client crate:
//!
//! - every form request must say `Content-Type: application/x-www-form-urlencoded;charset=utf-8`,
//!   as the document prescribes: a form without the charset is refused with HTTP 415;
//! - `POST /api/v1/system/token` (`oauth_consumer_key`, `oauth_consumer_secret`) answers
//!   `{"success": 1, "account_token": ...}` (`10001` for a wrong key or secret);
//! - `POST /api/v1/system/login` (`username`, `password`, `account_token`) answers the
//!   user name and `Set-Cookie: SSO_COOKIE_KEY=...;` with **no Path** (as in the document;
//!   [`MoyunConfig::cookie_path`] can add one); `10101` for a wrong password;
//! - every other platform call needs the `account_token` (query string or form field)
//!   and the cookie: `10002` when the token is missing, unknown or expired, `10102` when
//!   the user session is; every accepted request refreshes both (30 idle minutes by
//!   default, configurable: short in tests);
//! - heartbeats `POST /api/v1/system/token/{account_token}/heartbeat` and
//!   `POST /api/v1/system/heartbeat`;
//! - `GET /api/{app}/version` per app, with a steerable level ([`MoyunConfig::api_level`],
//!   [`MoyunEmulator::set_level`]); an endpoint whose minimum level is above its app's current
//!   level answers HTTP 404, as on a platform that does not have it yet;
//! - **all 204 endpoints of the vendor inventory** (`data/moyun/endpoints.json`, derived from the
//!   reference inventory, never from the client crate): the request's path and method must be an
//!   endpoint's (else HTTP 404 naming the path, or 405 listing the allowed methods, before any
//!   credential check), credentials and steered failures apply as below, and the endpoints not
//!   modelled here check their required parameters and types (query, form, multipart file and
//!   the `params` JSON, nested fields included) and answer a well-formed reply built from the
//!   inventory's reply fields (paged lists: an empty page); a problem answers [`BAD_PARAMS`]
//!   naming the parameter (`mts[1].bitrate`), or the problem list in debug mode;
//! - conferences (`POST /api/v1/mc/confs` with `params=` JSON, `GET /api/v1/vc/confs[/{conf_id}]`,
//!   `DELETE /api/v1/mc/confs/{conf_id}`), terminals (`/api/v1/vc/confs/{conf_id}/mts`
//!   list/add/remove, per-terminal `mute`/`silence`), conference `mute`/`silence`,
//!   `chairman`, `speaker`, personal templates (list, create, detail); `_method` overrides
//!   a POST into a PUT or DELETE;
//! - debug mode: `?debug=1` on a mutating call validates its `params` and answers the
//!   problems under `dubug_list` (the document's spelling; configurable) without acting;
//! - steerable failures: any platform code (e.g. `20001` MCU timeout) for the next calls;
//! - CometD at `/api/v1/publish` (long polling): handshake with the session cookie
//!   (`ext.user_domain_moid` names the domain), subscribe under `/userdomains/{domain}/`,
//!   `update`/`delete` messages for conferences, terminals, chairman and speaker;
//!   long polls can be cut, aborted or stalled through the harness's
//!   [`StreamControl`], and clients forgotten (`402::Unknown client`).

mod cometd;
mod generic;
mod inventory;
mod multipart;
mod rest;
mod state;
mod validate;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;

pub use state::{Conference, Counters, Template, Terminal, channel_matches};

use crate::harness::Server;
use crate::harness::sse::StreamControl;
use state::{Injection, State};

/// Platform code: software (app key/secret) authentication failed.
pub const APP_REJECTED: u32 = 10001;
/// Platform code: `account_token` rejected.
pub const TOKEN_REJECTED: u32 = 10002;
/// Platform code: wrong password.
pub const WRONG_PASSWORD: u32 = 10101;
/// Platform code: login timed out or not logged in.
pub const NOT_LOGGED_IN: u32 = 10102;
/// Platform code: conference does not exist.
pub const NO_SUCH_CONF: u32 = 12103;
/// Platform code: terminal does not exist.
pub const NO_SUCH_MT: u32 = 12104;
/// Platform code: MCU timed out.
pub const MCU_TIMEOUT: u32 = 20001;
/// Emulator's own: a parameter is missing or malformed outside debug mode (the vendor's code
/// tables list no general parameter code; the platform documents only debug mode for this).
pub const BAD_PARAMS: u32 = 10006;

/// Emulator configuration.
#[derive(Debug, Clone)]
pub struct MoyunConfig {
    /// Application key (`oauth_consumer_key`).
    pub app_key: String,
    /// Application secret (`oauth_consumer_secret`).
    pub app_secret: String,
    /// Users: name -> password.
    pub users: BTreeMap<String, String>,
    /// Idle lifetime of an `account_token` (the platform: 30 minutes).
    pub token_ttl: Duration,
    /// Idle lifetime of a user session (the platform: 30 minutes).
    pub session_ttl: Duration,
    /// API level of every app not listed in `levels`.
    pub default_level: u32,
    /// API level per app.
    pub levels: BTreeMap<String, u32>,
    /// The user domain (`user_domain_moid`).
    pub domain_id: String,
    /// How long a CometD long poll is held when nothing happens.
    pub long_poll: Duration,
    /// The key of the debug-mode problem list (`dubug_list`, `debug_list` or `debuglist`).
    pub debug_key: String,
    /// A `Path` attribute for the session cookie (the document sends none).
    pub cookie_path: Option<String>,
    /// The platform version string.
    pub version: String,
}

impl Default for MoyunConfig {
    fn default() -> Self {
        Self {
            app_key: "key".into(),
            app_secret: "12345678".into(),
            users: BTreeMap::from([("name".to_string(), "888888".to_string())]),
            token_ttl: Duration::from_secs(30 * 60),
            session_ttl: Duration::from_secs(30 * 60),
            default_level: 1,
            levels: BTreeMap::new(),
            domain_id: "e0b2fa3a-8df8-4b1d-a0e8-3c0c8e5a7d11".into(),
            long_poll: Duration::from_secs(30),
            debug_key: "dubug_list".into(),
            cookie_path: None,
            version: "6.0.0.3.0.20190826".into(),
        }
    }
}

pub(crate) struct Inner {
    pub(crate) config: MoyunConfig,
    pub(crate) state: Mutex<State>,
    /// Steering of CometD long polls (cut, abort = dropped connection, stall).
    pub(crate) streams: StreamControl,
}

/// The emulator: shared state behind a router. Cheap to clone.
#[derive(Clone)]
pub struct MoyunEmulator {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for MoyunEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MoyunEmulator").field("counters", &self.counters()).finish_non_exhaustive()
    }
}

impl MoyunConfig {
    /// Set the API level of one app (`system`, `mc`, `vc`, `nms`, `amc`, `vrs`): `0` makes every
    /// endpoint of the app unavailable (clients that negotiate the level refuse them as
    /// unsupported; a call sent anyway answers HTTP 404).
    #[must_use]
    pub fn api_level(mut self, app: &str, level: u32) -> Self {
        self.levels.insert(app.to_string(), level);
        self
    }
}

impl MoyunEmulator {
    /// A new emulator.
    pub fn new(config: MoyunConfig) -> Self {
        let mut state = State::new();
        state.levels.clone_from(&config.levels);
        Self { inner: Arc::new(Inner { config, state: Mutex::new(state), streams: StreamControl::new() }) }
    }

    /// The router (every path goes to one dispatcher).
    pub fn router(&self) -> Router {
        rest::router(self.clone())
    }

    /// Start a server on 127.0.0.1 with this emulator; the harness's
    /// [`Fault::ExpireCredentials`](crate::harness::Fault::ExpireCredentials) expires every
    /// token and session.
    pub async fn start(config: MoyunConfig) -> std::io::Result<(Self, Server)> {
        let emu = Self::new(config);
        let server = Server::start(emu.router())?;
        let hook = emu.clone();
        server.on_expire_credentials(move || hook.expire_all());
        Ok((emu, server))
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The configuration.
    pub fn config(&self) -> &MoyunConfig {
        &self.inner.config
    }

    /// Counters so far.
    pub fn counters(&self) -> Counters {
        self.state().counters.clone()
    }

    /// The `API-Level` header of every platform request so far, in order (`None`: absent).
    pub fn api_levels_seen(&self) -> Vec<Option<String>> {
        self.state().api_levels_seen.clone()
    }

    /// Expire every `account_token` (next calls: `10002`).
    pub fn expire_tokens(&self) {
        self.state().tokens.clear();
    }

    /// Expire every user session (next calls: `10102`); push clients of those sessions are forgotten.
    pub fn expire_sessions(&self) {
        self.state().sessions.clear();
        self.forget_push_clients();
    }

    /// Expire tokens and sessions.
    pub fn expire_all(&self) {
        self.expire_tokens();
        self.expire_sessions();
    }

    /// Set the API level of `app`.
    pub fn set_level(&self, app: &str, level: u32) {
        self.state().levels.insert(app.to_string(), level);
    }

    /// Answer `code` (with `success: 0`) to the next `times` authenticated calls whose path
    /// starts with `path_prefix` (`""`: any).
    pub fn fail_next(&self, code: u32, path_prefix: &str, times: usize) {
        self.state().injections.push(Injection { code, path_prefix: path_prefix.to_string(), remaining: times });
    }

    /// The running conferences.
    pub fn conferences(&self) -> Vec<Conference> {
        self.state().confs.values().cloned().collect()
    }

    /// One conference.
    pub fn conference(&self, conf_id: &str) -> Option<Conference> {
        self.state().confs.get(conf_id).cloned()
    }

    /// The personal templates.
    pub fn templates(&self) -> Vec<Template> {
        self.state().templates.values().cloned().collect()
    }

    /// Number of CometD clients currently known.
    pub fn push_clients(&self) -> usize {
        self.state().push.len()
    }

    /// Every subscription of every CometD client.
    pub fn push_subscriptions(&self) -> Vec<String> {
        let st = self.state();
        let mut v: Vec<String> = st.push.values().flat_map(|c| c.subscriptions.iter().cloned()).collect();
        v.sort();
        v
    }

    /// Forget every CometD client: their next `/meta/connect` answers `402::Unknown client`.
    pub fn forget_push_clients(&self) {
        let mut st = self.state();
        for c in st.push.values() {
            c.wake.notify_one();
        }
        st.push.clear();
    }

    /// The long-poll control: `abort_streams()` breaks every long poll in progress (a
    /// dropped connection), `cut_streams()` ends them with an empty answer,
    /// `stall_streams()` holds every answer until `resume()`.
    pub fn streams(&self) -> &StreamControl {
        &self.inner.streams
    }

    /// Publish a message on a channel relative to the domain (`/confs/1/alarm`).
    pub fn publish(&self, relative: &str, data: serde_json::Value) {
        let channel = format!("/userdomains/{}{relative}", self.inner.config.domain_id);
        self.state().publish(&channel, &data);
    }
}
