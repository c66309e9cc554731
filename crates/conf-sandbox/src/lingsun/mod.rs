//! Emulator of the 声网灵隼 (Agora Link) RESTful API.
//!
//! Written from the vendor document (`004_d7db0978e3335f5f.txt`), not from the
//! client crate. Routes exist under both region segments, `/agoralink/cn/...` and
//! `/agoralink/na/...`:
//!
//! - `POST /agoralink/{region}/api/oauth/rest-token`: grants `password`,
//!   `client_credentials` and `refresh_token`; scope must be `read`; the client
//!   id/secret must match. Access tokens expire after [`LingsunConfig::token_ttl`];
//!   refresh tokens can be revoked or refused ([`LingsunEmulator::reject_refresh`]).
//! - `cloud-recorder/cloud-record-package/v1/getAll` and `getById`,
//!   `cloud-recorder/cloud-record-order/v1/open`: need `Authorization: Bearer <token>`
//!   and a body `header { traceId, timestamp }`.
//! - `oauth/third-party/register`, `login`, `removeAccount`.
//!
//! Replies use the document's envelope `{ code, msg, timestamp, data, success }`.
//! A missing, unknown or expired access token is answered with HTTP 401 and
//! `{"code":401,"msg":"invalid_token",...,"success":false}`; a refused grant with
//! HTTP 400 and `invalid_grant` (the document's wording).

mod api;
mod oauth;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use crate::harness::Server;

/// Emulator configuration.
#[derive(Clone, Debug)]
pub struct LingsunConfig {
    /// `client_id` accepted by the token endpoint and third-party login.
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: String,
    /// Users for the `password` grant: (username, password).
    pub users: Vec<(String, String)>,
    /// Lifetime of an access token (`expires_in` is this in whole seconds, rounded up).
    pub token_ttl: Duration,
}

impl Default for LingsunConfig {
    fn default() -> Self {
        Self {
            client_id: "111bXXXXXXXXXXXXXXX22".into(),
            client_secret: "1CXXXXXXXXXXXXXXXXXXXI91".into(),
            users: vec![("qwXXXXX11".into(), "1XXXXXXX1".into())],
            token_ttl: Duration::from_secs(31_969),
        }
    }
}

/// A cloud-storage package (`cloudRecordPackageId`...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    /// `cloudRecordPackageId`.
    pub id: i64,
    /// `packageName`.
    pub name: String,
    /// `packageType`.
    pub package_type: String,
    /// `lifeCycle`.
    pub life_cycle: String,
    /// `preDir`.
    pub pre_dir: String,
}

/// An opened cloud-storage order.
#[derive(Clone, Debug, PartialEq)]
pub struct Order {
    /// The id returned as `data`.
    pub id: String,
    /// The request's `payload`, as sent.
    pub payload: Value,
}

/// A registered third-party account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThirdPartyAccount {
    /// `projectId`.
    pub project_id: String,
    /// `thirdPartyAccount`.
    pub account: String,
    /// `data.userId`.
    pub user_id: String,
    /// `data.token`.
    pub token: String,
}

/// Counters of what the emulator did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LingsunCounters {
    /// Successful grants by `grant_type`.
    pub grants: BTreeMap<String, u64>,
    /// Refused grants by `grant_type`.
    pub refused_grants: BTreeMap<String, u64>,
    /// API calls answered 401 for their token.
    pub unauthorized: u64,
    /// `header.traceId` values seen, in order.
    pub trace_ids: Vec<String>,
}

pub(crate) struct TokenInfo {
    pub(crate) expires_at: Instant,
}

pub(crate) struct Inner {
    pub(crate) config: LingsunConfig,
    pub(crate) access: HashMap<String, TokenInfo>,
    pub(crate) refresh: HashSet<String>,
    pub(crate) reject_refresh: bool,
    pub(crate) packages: Vec<Package>,
    pub(crate) orders: Vec<Order>,
    pub(crate) accounts: Vec<ThirdPartyAccount>,
    pub(crate) counters: LingsunCounters,
    pub(crate) serial: u64,
}

impl Inner {
    pub(crate) fn next(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }
}

/// The lingsun emulator (cheap to clone, shared state).
#[derive(Clone)]
pub struct LingsunEmulator {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for LingsunEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LingsunEmulator").finish_non_exhaustive()
    }
}

impl LingsunEmulator {
    /// A new emulator with the document's two sample packages.
    pub fn new(config: LingsunConfig) -> Self {
        let packages = vec![
            Package {
                id: 1, name: "包年365-1天".into(), package_type: "YEAR".into(), life_cycle: "ONE".into(), pre_dir: "iot-one".into()
            },
            Package {
                id: 2,
                name: "包年365-3天".into(),
                package_type: "YEAR".into(),
                life_cycle: "THREE".into(),
                pre_dir: "iot-three".into(),
            },
        ];
        Self {
            inner: Arc::new(Mutex::new(Inner {
                config,
                access: HashMap::new(),
                refresh: HashSet::new(),
                reject_refresh: false,
                packages,
                orders: Vec::new(),
                accounts: Vec::new(),
                counters: LingsunCounters::default(),
                serial: 0,
            })),
        }
    }

    /// Start a server on loopback with this emulator; the harness's
    /// `ExpireCredentials` fault expires every access token.
    pub async fn start(config: LingsunConfig) -> std::io::Result<(Self, Server)> {
        let emu = Self::new(config);
        let server = Server::start(emu.router())?;
        let hook = emu.clone();
        server.on_expire_credentials(move || hook.expire_tokens());
        Ok((emu, server))
    }

    /// The axum router (both regions).
    pub fn router(&self) -> Router {
        Router::new()
            .route("/agoralink/{region}/api/oauth/rest-token", post(oauth::token))
            .route("/agoralink/{region}/api/cloud-recorder/cloud-record-package/v1/getAll", post(api::get_all))
            .route("/agoralink/{region}/api/cloud-recorder/cloud-record-package/v1/getById", post(api::get_by_id))
            .route("/agoralink/{region}/api/cloud-recorder/cloud-record-order/v1/open", post(api::open_order))
            .route("/agoralink/{region}/api/oauth/third-party/register", post(api::register))
            .route("/agoralink/{region}/api/oauth/third-party/login", post(api::login))
            .route("/agoralink/{region}/api/oauth/third-party/removeAccount", post(api::remove_account))
            .with_state(self.clone())
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Expire every access token now (refresh tokens stay valid).
    pub fn expire_tokens(&self) {
        let now = Instant::now();
        for t in self.lock().access.values_mut() {
            t.expires_at = now;
        }
    }

    /// Revoke every refresh token issued so far.
    pub fn revoke_refresh_tokens(&self) {
        self.lock().refresh.clear();
    }

    /// Refuse (or accept again) every `refresh_token` grant.
    pub fn reject_refresh(&self, reject: bool) {
        self.lock().reject_refresh = reject;
    }

    /// Change the lifetime of tokens granted from now on.
    pub fn set_token_ttl(&self, ttl: Duration) {
        self.lock().config.token_ttl = ttl;
    }

    /// What the emulator did so far.
    pub fn counters(&self) -> LingsunCounters {
        self.lock().counters.clone()
    }

    /// Successful grants of one `grant_type`.
    pub fn grants(&self, grant_type: &str) -> u64 {
        self.lock().counters.grants.get(grant_type).copied().unwrap_or(0)
    }

    /// Orders opened so far.
    pub fn orders(&self) -> Vec<Order> {
        self.lock().orders.clone()
    }

    /// Registered third-party accounts.
    pub fn accounts(&self) -> Vec<ThirdPartyAccount> {
        self.lock().accounts.clone()
    }

    /// The packages offered.
    pub fn packages(&self) -> Vec<Package> {
        self.lock().packages.clone()
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

pub(crate) fn success(data: Option<Value>) -> Response {
    let mut body = json!({ "code": 0, "msg": "SUCCESS", "timestamp": now_ms(), "success": true });
    if let (Some(d), Value::Object(o)) = (data, &mut body) {
        o.insert("data".into(), d);
    }
    axum::Json(body).into_response()
}

pub(crate) fn failure(status: StatusCode, code: i64, msg: &str) -> Response {
    (status, axum::Json(json!({ "code": code, "msg": msg, "timestamp": now_ms(), "success": false }))).into_response()
}

pub(crate) fn region_ok(region: &str) -> bool {
    matches!(region, "cn" | "na")
}
