//! One construction convention for the five vendor clients: `XClient::builder(..)` with
//! `.layer(..)` (a user tower layer sees the vendor's requests), and `XClient::from_env()`
//! reading the variables `confctl` reads (a missing one is `InvalidInput` naming it; a
//! secret never shows in the error).
//!
//! `from_env_with` takes the lookup function, so no test mutates the process environment.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use conf_core::layers::Call;
use conf_core::secret::secret;
use conf_core::{Error, RawResponse};
use conf_sandbox::lingsun::{LingsunConfig, LingsunEmulator};
use conf_sandbox::moyun::{MoyunConfig, MoyunEmulator};
use conf_sandbox::vmr::{VmrConfig, VmrEmulator};
use conf_sandbox::webapi::{WebApiConfig, WebApiEmulator};
use conf_sandbox::ytx::{YtxConfig, YtxEmulator};
use lingsun_rest::{GetAllPackagesRequest, Grant, LingsunClient};
use moyun_api::{MoyunClient, VcListConfsRequest};
use vmr_rest::{CheckJoinRequest, ServiceStatusRequest, SessionOptions, VmrClient};
use webapi::{MeetingCreateRequest, WebApiClient};
use ytx_telemeeting::{CreateMeetingRequest, YtxClient};

/// A user tower layer that records `vendor:operation` of every call it sees.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Recorder {
    fn seen(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl<S> tower::Layer<S> for Recorder {
    type Service = Recorded<S>;
    fn layer(&self, inner: S) -> Recorded<S> {
        Recorded { inner, seen: self.clone() }
    }
}

#[derive(Clone)]
struct Recorded<S> {
    inner: S,
    seen: Recorder,
}

impl<S: tower::Service<Call, Response = RawResponse, Error = Error>> tower::Service<Call> for Recorded<S> {
    type Response = RawResponse;
    type Error = Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, call: Call) -> Self::Future {
        self.seen.0.lock().unwrap().push(format!("{}:{}", call.op.vendor, call.op.name));
        self.inner.call(call)
    }
}

/// A user attempt layer (on `conf_core::AttemptRequest`s) that counts the attempts it sees.
#[derive(Clone, Default)]
struct AttemptCounter(Arc<Mutex<Vec<String>>>);

impl<S> tower::Layer<S> for AttemptCounter {
    type Service = Counted<S>;
    fn layer(&self, inner: S) -> Counted<S> {
        Counted { inner, seen: self.clone() }
    }
}

#[derive(Clone)]
struct Counted<S> {
    inner: S,
    seen: AttemptCounter,
}

impl<S: tower::Service<conf_core::AttemptRequest>> tower::Service<conf_core::AttemptRequest> for Counted<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: conf_core::AttemptRequest) -> Self::Future {
        self.seen.0.lock().unwrap().push(request.url().path().to_owned());
        self.inner.call(request)
    }
}

/// A lookup over `vars`.
fn lookup<'a>(vars: &'a HashMap<&'static str, String>) -> impl Fn(&str) -> Option<String> + 'a {
    |name| vars.get(name).cloned()
}

/// For each required variable: without it, `build` answers `InvalidInput` naming it, and
/// the error shows none of the secret values.
fn check_missing<T: std::fmt::Debug>(
    vars: &HashMap<&'static str, String>,
    required: &[&'static str],
    secrets: &[&str],
    build: impl Fn(&dyn Fn(&str) -> Option<String>) -> Result<T, Error>,
) {
    for name in required {
        let mut less = vars.clone();
        less.remove(name);
        let err = build(&|n: &str| less.get(n).cloned()).unwrap_err();
        match &err {
            Error::InvalidInput { field, .. } => assert_eq!(field, name, "{err}"),
            other => panic!("{name} missing: {other}"),
        }
        let shown = format!("{err} {err:?}");
        for s in secrets {
            assert!(!shown.contains(s), "{shown}");
        }
        // Blank is missing too.
        let mut blank = vars.clone();
        blank.insert(name, "  ".into());
        assert!(matches!(build(&|n: &str| blank.get(n).cloned()), Err(Error::InvalidInput { field, .. }) if field == *name));
    }
}

#[test]
fn env_names_are_the_ones_confctl_reads() {
    let cli = include_str!("../../crates/confctl/src/cli.rs");
    let names = [
        moyun_api::env::BASE_URL,
        moyun_api::env::APP_KEY,
        moyun_api::env::APP_SECRET,
        moyun_api::env::USERNAME,
        moyun_api::env::PASSWORD,
        vmr_rest::env::API_SERVER,
        webapi::env::BASE_URL,
        webapi::env::KEY,
        ytx_telemeeting::env::BASE_URL,
        ytx_telemeeting::env::ACCOUNT_SID,
        ytx_telemeeting::env::AUTH_TOKEN,
        ytx_telemeeting::env::APP_ID,
        lingsun_rest::env::BASE_URL,
        lingsun_rest::env::CLIENT_ID,
        lingsun_rest::env::CLIENT_SECRET,
        lingsun_rest::env::USERNAME,
        lingsun_rest::env::PASSWORD,
    ];
    for name in names {
        assert!(cli.contains(&format!("env = \"{name}\"")), "confctl reads no `{name}`");
    }
}

// ---------------------------------------------------------------- moyun

async fn moyun() -> (MoyunEmulator, conf_sandbox::Server, HashMap<&'static str, String>) {
    let config = MoyunConfig::default();
    let (emu, server) = MoyunEmulator::start(config.clone()).await.unwrap();
    let password = config.users.get("name").unwrap().clone();
    let vars = HashMap::from([
        (moyun_api::env::BASE_URL, server.base_url()),
        (moyun_api::env::APP_KEY, config.app_key.clone()),
        (moyun_api::env::APP_SECRET, config.app_secret.clone()),
        (moyun_api::env::USERNAME, "name".to_owned()),
        (moyun_api::env::PASSWORD, password),
    ]);
    (emu, server, vars)
}

#[tokio::test]
async fn moyun_from_env() {
    let (emu, _server, vars) = moyun().await;
    let client = MoyunClient::from_env_with(lookup(&vars)).unwrap();
    client.login().await.unwrap();
    assert_eq!(emu.counters().logins_ok, 1);
    let secrets = [vars[moyun_api::env::APP_SECRET].as_str(), vars[moyun_api::env::PASSWORD].as_str()];
    assert!(!format!("{client:?}").contains(secrets[1]));
    let required =
        [moyun_api::env::BASE_URL, moyun_api::env::APP_KEY, moyun_api::env::APP_SECRET, moyun_api::env::USERNAME, moyun_api::env::PASSWORD];
    check_missing(&vars, &required, &secrets, |f| MoyunClient::from_env_with(f));
}

#[tokio::test]
async fn moyun_layers_see_every_call() {
    let (_emu, server, vars) = moyun().await;
    let (calls, attempts) = (Recorder::default(), AttemptCounter::default());
    let client = MoyunClient::builder(
        vars[moyun_api::env::APP_KEY].clone(),
        vars[moyun_api::env::APP_SECRET].clone(),
        "name",
        vars[moyun_api::env::PASSWORD].clone(),
    )
    .base_url(server.base_url())
    .layer(calls.clone())
    .attempt_layer(attempts.clone())
    .heartbeat_interval(None)
    .build()
    .unwrap();
    client.vc().list_confs_with(VcListConfsRequest::new()).await.unwrap();
    let seen = calls.seen();
    // The session's token and login requests go through the same stack as the call.
    assert!(seen.iter().any(|s| s.contains("token")), "{seen:?}");
    assert!(seen.iter().any(|s| s.contains("login")), "{seen:?}");
    assert!(seen.iter().any(|s| s.ends_with("vc_list_confs")), "{seen:?}");
    assert!(attempts.0.lock().unwrap().iter().any(|p| p == "/api/v1/vc/confs"), "{:?}", attempts.0.lock().unwrap());
}

// ---------------------------------------------------------------- vmr

#[tokio::test]
async fn vmr_from_env() {
    let (_emu, server) = VmrEmulator::start(VmrConfig::new()).await.unwrap();
    let vars = HashMap::from([(vmr_rest::env::API_SERVER, server.base_url())]);
    let vmr = VmrClient::from_env_with(lookup(&vars)).unwrap();
    let info = vmr.check_join_with(CheckJoinRequest::new("1061", "Robot").join_pwd("123456")).await.unwrap();
    assert!(info.mcu_host.is_some());
    check_missing(&vars, &[vmr_rest::env::API_SERVER], &[], |f| VmrClient::from_env_with(f));
}

#[tokio::test]
async fn vmr_layers_see_the_api_server_and_every_node() {
    let (_emu, server) = VmrEmulator::start(VmrConfig::new()).await.unwrap();
    let (calls, attempts) = (Recorder::default(), AttemptCounter::default());
    let vmr = VmrClient::builder().base_url(server.base_url()).layer(calls.clone()).attempt_layer(attempts.clone()).build().unwrap();
    let session = vmr.join(CheckJoinRequest::new("1061", "Robot").join_pwd("123456"), SessionOptions::new("Robot")).await.unwrap();
    session.conference().service_status_with(ServiceStatusRequest::new()).await.unwrap();
    session.close().await.unwrap();
    let seen = calls.seen();
    for op in ["vmr:checkJoin", "vmr:new_session", "vmr:service_status", "vmr:end_session"] {
        assert!(seen.iter().any(|s| s == op), "{op} not in {seen:?}");
    }
    let paths = attempts.0.lock().unwrap().clone();
    assert!(paths.iter().any(|p| p.ends_with("/service_status")), "{paths:?}");
}

// ---------------------------------------------------------------- webapi

async fn webapi() -> (WebApiEmulator, conf_sandbox::Server, HashMap<&'static str, String>) {
    let config = WebApiConfig { key: "builder-company-key-77".into(), ..WebApiConfig::default() };
    let (emu, server) = WebApiEmulator::start(config.clone()).await.unwrap();
    let vars = HashMap::from([(webapi::env::BASE_URL, server.base_url()), (webapi::env::KEY, config.key.clone())]);
    (emu, server, vars)
}

fn meeting() -> MeetingCreateRequest {
    let start = SystemTime::now() + Duration::from_secs(600);
    MeetingCreateRequest::new("Weekly", start, "8888").end_time(start + Duration::from_secs(3600))
}

#[tokio::test]
async fn webapi_from_env() {
    let (_emu, _server, vars) = webapi().await;
    let client = WebApiClient::from_env_with(lookup(&vars)).unwrap();
    assert!(client.meeting_create_with(meeting()).await.unwrap().serial.is_some());
    assert!(!format!("{client:?}").contains("builder-company-key-77"));
    check_missing(&vars, &[webapi::env::BASE_URL, webapi::env::KEY], &["builder-company-key-77"], |f| WebApiClient::from_env_with(f));
}

#[tokio::test]
async fn webapi_layers_see_every_call() {
    let (_emu, server, vars) = webapi().await;
    let (calls, attempts) = (Recorder::default(), AttemptCounter::default());
    let client = WebApiClient::builder(secret(vars[webapi::env::KEY].clone()))
        .base_url(server.base_url())
        .layer(calls.clone())
        .attempt_layer(attempts.clone())
        .build()
        .unwrap();
    client.meeting_create_with(meeting()).await.unwrap();
    assert_eq!(calls.seen(), ["webapi:meetingcreate"]);
    assert_eq!(attempts.0.lock().unwrap().len(), 1);
}

// ---------------------------------------------------------------- ytx

async fn ytx() -> (YtxEmulator, conf_sandbox::Server, HashMap<&'static str, String>) {
    let config = YtxConfig::default();
    let (emu, server) = YtxEmulator::start(config.clone()).await.unwrap();
    let vars = HashMap::from([
        (ytx_telemeeting::env::BASE_URL, server.base_url()),
        (ytx_telemeeting::env::ACCOUNT_SID, config.account_sid.clone()),
        (ytx_telemeeting::env::AUTH_TOKEN, config.auth_token.clone()),
        (ytx_telemeeting::env::APP_ID, config.app_id.clone()),
    ]);
    (emu, server, vars)
}

#[tokio::test]
async fn ytx_from_env() {
    let (_emu, _server, vars) = ytx().await;
    let client = YtxClient::from_env_with(lookup(&vars)).unwrap();
    client.create_meeting_with(CreateMeetingRequest::new("13100001314")).await.unwrap();
    let token = vars[ytx_telemeeting::env::AUTH_TOKEN].as_str();
    assert!(!format!("{client:?}").contains(token));
    let required = [ytx_telemeeting::env::ACCOUNT_SID, ytx_telemeeting::env::AUTH_TOKEN, ytx_telemeeting::env::APP_ID];
    check_missing(&vars, &required, &[token], |f| YtxClient::from_env_with(f));
    // The base URL is optional: production when unset.
    let mut without = vars.clone();
    without.remove(ytx_telemeeting::env::BASE_URL);
    let production = YtxClient::from_env_with(lookup(&without)).unwrap();
    assert_eq!(production.core().config().base_url.as_str(), "http://api.ytx.net/");
}

#[tokio::test]
async fn ytx_layers_see_every_call() {
    let (_emu, server, vars) = ytx().await;
    let (calls, attempts) = (Recorder::default(), AttemptCounter::default());
    let client = YtxClient::builder(
        vars[ytx_telemeeting::env::ACCOUNT_SID].clone(),
        vars[ytx_telemeeting::env::AUTH_TOKEN].clone(),
        vars[ytx_telemeeting::env::APP_ID].clone(),
    )
    .base_url(server.base_url())
    .layer(calls.clone())
    .attempt_layer(attempts.clone())
    .build()
    .unwrap();
    client.create_meeting_with(CreateMeetingRequest::new("13100001314")).await.unwrap();
    assert_eq!(calls.seen(), ["ytx:createMeeting"]);
    let paths = attempts.0.lock().unwrap().clone();
    assert!(paths.len() == 1 && paths[0].ends_with("/call/TeleMeeting.wx"), "{paths:?}");
}

// ---------------------------------------------------------------- lingsun

async fn lingsun() -> (LingsunEmulator, conf_sandbox::Server, HashMap<&'static str, String>) {
    let config = LingsunConfig::default();
    let (emu, server) = LingsunEmulator::start(config.clone()).await.unwrap();
    let vars = HashMap::from([
        (lingsun_rest::env::BASE_URL, server.base_url()),
        (lingsun_rest::env::CLIENT_ID, config.client_id.clone()),
        (lingsun_rest::env::CLIENT_SECRET, config.client_secret.clone()),
        (lingsun_rest::env::USERNAME, config.users[0].0.clone()),
        (lingsun_rest::env::PASSWORD, config.users[0].1.clone()),
    ]);
    (emu, server, vars)
}

#[tokio::test]
async fn lingsun_from_env() {
    let (emu, _server, vars) = lingsun().await;
    let client = LingsunClient::from_env_with(lookup(&vars)).unwrap();
    client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap();
    assert_eq!(emu.grants("password"), 1, "a user name in the environment means the password grant");
    let secrets = [vars[lingsun_rest::env::CLIENT_SECRET].as_str(), vars[lingsun_rest::env::PASSWORD].as_str()];
    assert!(!format!("{client:?}").contains(secrets[0]));
    let required = [lingsun_rest::env::CLIENT_ID, lingsun_rest::env::CLIENT_SECRET, lingsun_rest::env::PASSWORD];
    check_missing(&vars, &required, &secrets, |f| LingsunClient::from_env_with(f));
    // A comma-separated list is an ordered failover list: the first host is tried twice.
    let mut listed = vars.clone();
    listed.insert(lingsun_rest::env::BASE_URL, format!("{}, http://127.0.0.1:9", vars[lingsun_rest::env::BASE_URL]));
    let client = LingsunClient::from_env_with(lookup(&listed)).unwrap();
    let hosts = client.resolver().hosts();
    assert_eq!((hosts.primary.as_str(), hosts.regional.len()), (hosts.secondary.as_str(), 1));
    // A bad URL names the variable.
    listed.insert(lingsun_rest::env::BASE_URL, "no-scheme.example".into());
    assert!(
        matches!(LingsunClient::from_env_with(lookup(&listed)), Err(Error::InvalidInput { field, .. }) if field == lingsun_rest::env::BASE_URL)
    );
}

#[tokio::test]
async fn lingsun_layers_see_token_requests_and_calls() {
    let (_emu, server, vars) = lingsun().await;
    let (calls, attempts) = (Recorder::default(), AttemptCounter::default());
    let client = LingsunClient::builder(
        vars[lingsun_rest::env::CLIENT_ID].clone(),
        vars[lingsun_rest::env::CLIENT_SECRET].clone(),
        Grant::ClientCredentials,
    )
    .base_url(server.base_url())
    .layer(calls.clone())
    .attempt_layer(attempts.clone())
    .build()
    .unwrap();
    client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap();
    let seen = calls.seen();
    // The call enters the layer first; its credential is then fetched by the token client,
    // which carries the same layers.
    assert_eq!(seen, ["lingsun:cloud-record-package/v1/getAll", "lingsun:oauth.rest_token"]);
    assert_eq!(attempts.0.lock().unwrap().len(), 2);
}
