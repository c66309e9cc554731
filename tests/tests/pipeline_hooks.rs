//! The vendor rules are hooks on the conf-core client, so every path through it applies
//! them: a hand-built operation sent with `client.core().execute(op)` (no vendor code on
//! the way) gets the same vendor treatment as a generated call. A user hook registered
//! on the vendor builder runs after the vendor's and sees the request the signer gets.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use conf_core::{AttemptParts, Body, ClientHandle, Error, Hook, Operation, RawResponse, RequestInfo};
use conf_sandbox::lingsun::{LingsunConfig, LingsunEmulator};
use conf_sandbox::moyun::{MoyunConfig, MoyunEmulator};
use conf_sandbox::vmr::{VmrConfig, VmrEmulator};
use conf_sandbox::webapi::{WebApiConfig, WebApiEmulator};
use conf_sandbox::ytx::{YtxConfig, YtxEmulator};
use http::Method;
use serde_json::{Value, json};

/// What a user hook saw of each attempt, just before signing.
#[derive(Debug, Clone)]
struct Attempt {
    path: String,
    body: String,
    content_type: String,
}

/// A user hook: records attempts (before signing), counts classified answers and
/// deserialized outcomes.
#[derive(Clone, Default)]
struct Seen {
    attempts: Arc<Mutex<Vec<Attempt>>>,
    answers: Arc<Mutex<u32>>,
    outcomes: Arc<Mutex<Vec<bool>>>,
}

impl Seen {
    fn last(&self) -> Attempt {
        self.attempts.lock().unwrap().last().cloned().expect("an attempt")
    }
}

impl Hook for Seen {
    fn name(&self) -> &'static str {
        "test.seen"
    }

    fn modify_before_signing(&self, _op: &Operation, request: &mut AttemptParts) -> Result<(), Error> {
        let body = match &request.body {
            Body::Json { bytes, .. } => String::from_utf8_lossy(bytes).into_owned(),
            Body::Form(fields) => Body::encode_form(fields),
            Body::Multipart(parts) => parts.iter().map(|p| p.name.clone()).collect::<Vec<_>>().join(","),
            _ => String::new(),
        };
        let content_type = request.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        self.attempts.lock().unwrap().push(Attempt { path: request.url.path().to_owned(), body, content_type });
        Ok(())
    }

    fn classify_response(&self, _request: &RequestInfo, _response: &RawResponse) -> Result<(), Error> {
        *self.answers.lock().unwrap() += 1;
        Ok(())
    }

    fn read_after_deserialization(&self, _op: &Operation, outcome: Result<&(dyn std::any::Any + Send), &Error>) {
        self.outcomes.lock().unwrap().push(outcome.is_ok());
    }
}

fn json_body(v: Value) -> Body {
    Body::Json { bytes: Bytes::from(v.to_string()), content_type: None }
}

#[tokio::test]
async fn moyun_core_path_applies_the_form_rules() {
    let config = MoyunConfig::default();
    let (_emu, server) = MoyunEmulator::start(config.clone()).await.unwrap();
    let seen = Seen::default();
    let client = moyun_api::MoyunClient::builder(&config.app_key, config.app_secret.clone(), "name", config.users["name"].clone())
        .base_url(server.base_url())
        .heartbeat_interval(None)
        .hook(seen.clone())
        .build()
        .unwrap();
    assert_eq!(client.core().hooks(), ["moyun.forms", "test.seen"], "vendor hooks first, then the user's");
    let params = json!({"create_type": 1, "name": "周会", "duration": 60, "bitrate": 2048});
    let op = Operation::new("moyun", "mc.create_conf", Method::POST, "/api/v1/mc/confs", "/api/v1/mc/confs")
        .min_level("mc", 1)
        .body(Body::Form(vec![("params".into(), params.to_string())]));
    let raw = client.core().execute(op).await.unwrap();
    assert!(raw.status.is_success());
    let last = seen.last();
    assert_eq!(last.content_type, moyun_api::FORM_CONTENT_TYPE, "the document's charset, added by the vendor hook");
    // `params` in the reference client's JSON style (`": "` and `", "`), before the token.
    let decoded: Vec<(String, String)> = form_urlencoded::parse(last.body.as_bytes()).into_owned().collect();
    assert!(decoded[0].1.contains("\"create_type\": 1, "), "{decoded:?}");
    assert!(*seen.answers.lock().unwrap() >= 1);
}

#[tokio::test]
async fn vmr_core_path_applies_the_deployment_rules() {
    use vmr_rest::{CheckJoinRequest, Deployment, SessionOptions, VmrClient};
    let config = VmrConfig::new().deployment(conf_sandbox::vmr::Deployment::Enterprise);
    let (_emu, server) = VmrEmulator::start(config).await.unwrap();
    let seen = Seen::default();
    let vmr = VmrClient::builder().base_url(server.base_url()).deployment(Deployment::EnterpriseCloud).hook(seen.clone()).build().unwrap();
    let session = vmr.join(CheckJoinRequest::new("1061", "Robot").join_pwd("123456"), SessionOptions::new("Robot")).await.unwrap();
    assert_eq!(session.core().hooks(), ["vmr.deployment", "test.seen"]);
    // start_service on an enterprise node: sent, and answered as "did not act".
    let mut op = Operation::new("vmr", "start_service", Method::POST, "/start_service", "/start_service").idempotent(true);
    session.call_options().apply(&mut op);
    let raw = session.core().execute(op.clone()).await.unwrap();
    let v: Value = serde_json::from_slice(&raw.body).unwrap();
    assert_eq!(v["result"], json!({"acted": false}), "{v}");
    let typed: Value = session.send(vmr_rest::custom(op)).await.unwrap();
    assert_eq!(typed, json!({"acted": false}));
    assert_eq!(seen.outcomes.lock().unwrap().last(), Some(&true), "read after deserialization");
    // A command the enterprise deployment lacks fails before anything is sent.
    let before = seen.attempts.lock().unwrap().len();
    let mut denied =
        Operation::new("vmr", "override_layout", Method::POST, "/override_layout", "/override_layout").needs(&["deployment:public"]);
    session.call_options().apply(&mut denied);
    let e = session.core().execute(denied).await.unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e}");
    assert_eq!(seen.attempts.lock().unwrap().len(), before, "nothing sent");
    session.close().await.unwrap();
}

#[tokio::test]
async fn webapi_core_path_applies_the_time_order_rule() {
    let config = WebApiConfig { key: "hooks-company-key".into(), ..WebApiConfig::default() };
    let (_emu, server) = WebApiEmulator::start(config.clone()).await.unwrap();
    let seen = Seen::default();
    let client = webapi::WebApiClient::builder(config.key.clone()).base_url(server.base_url()).hook(seen.clone()).build().unwrap();
    let op = Operation::new("webapi", "meetingcreate", Method::POST, "/WebAPI/meetingcreate", "/WebAPI/meetingcreate").body(
        Body::Multipart(vec![
            conf_core::Part::text("meetingname", "Weekly"),
            conf_core::Part::text("starttime", "2000"),
            conf_core::Part::text("endtime", "1000"),
        ]),
    );
    let e = client.core().execute(op).await.unwrap_err();
    assert!(matches!(&e, Error::InvalidInput { field, .. } if field == "endtime"), "{e}");
    assert!(seen.attempts.lock().unwrap().is_empty(), "nothing sent");
}

#[tokio::test]
async fn ytx_core_path_applies_the_account_rules() {
    let config = YtxConfig::default();
    let (_emu, server) = YtxEmulator::start(config.clone()).await.unwrap();
    let seen = Seen::default();
    let client = ytx_telemeeting::YtxClient::builder(&config.account_sid, config.auth_token.clone(), &config.app_id)
        .base_url(server.base_url())
        .hook(seen.clone())
        .build()
        .unwrap();
    let op = Operation::new("ytx", "createMeeting", Method::POST, "/call/TeleMeeting.wx", "/call/TeleMeeting.wx")
        .body(json_body(json!({"action": "createMeeting", "creator": "13100001314"})));
    let created: Value = client.send(ytx_telemeeting::custom(op.clone())).await.unwrap();
    assert!(created["meid"].as_str().is_some_and(|m| !m.is_empty()), "{created}");
    let last = seen.last();
    assert_eq!(last.path, format!("/201612/sid/{}/call/TeleMeeting.wx", config.account_sid));
    let body: Value = serde_json::from_str(&last.body).unwrap();
    assert_eq!(body["appid"], json!(config.app_id), "{body}");
    assert_eq!(body["creator"], "13100001314");
    // The same through the core, with no vendor code on the way.
    let raw = client.core().execute(op).await.unwrap();
    assert!(raw.status.is_success());
    assert_eq!(seen.last().path, format!("/201612/sid/{}/call/TeleMeeting.wx", config.account_sid));
    // `action` must match the operation; `appid` is the client's.
    let wrong = Operation::new("ytx", "lockMeeting", Method::POST, "/call/TeleMeeting.wx", "/call/TeleMeeting.wx")
        .body(json_body(json!({"action": "destroyMeeting"})));
    assert!(matches!(client.core().execute(wrong).await, Err(Error::InvalidInput { field, .. }) if field == "action"));
    let own = Operation::new("ytx", "meetingState", Method::POST, "/call/TeleMeeting.wx", "/call/TeleMeeting.wx")
        .body(json_body(json!({"action": "meetingState", "appid": "other"})));
    assert!(matches!(client.core().execute(own).await, Err(Error::InvalidInput { field, .. }) if field == "appid"));
}

#[tokio::test]
async fn lingsun_core_path_applies_the_region_rules() {
    let config = LingsunConfig::default();
    let (_emu, server) = LingsunEmulator::start(config.clone()).await.unwrap();
    let seen = Seen::default();
    let grant = lingsun_rest::Grant::Password { username: config.users[0].0.clone(), password: config.users[0].1.clone().into() };
    let client = lingsun_rest::LingsunClient::builder(&config.client_id, config.client_secret.clone(), grant)
        .base_url(server.base_url())
        .hook(seen.clone())
        .build()
        .unwrap();
    let path = "/api/cloud-recorder/cloud-record-package/v1/getAll";
    let op = Operation::new("lingsun", "cloud-record-package/v1/getAll", Method::POST, path, path).idempotent(true);
    let raw = client.core().execute(op).await.unwrap();
    assert!(raw.status.is_success());
    let last = seen.last();
    assert!(last.path.starts_with("/agoralink/cn/") && last.path.ends_with(path), "{}", last.path);
    let body: Value = serde_json::from_str(&last.body).unwrap();
    assert!(body["header"]["traceId"].as_str().is_some_and(|t| t.len() == 36), "{body}");
    assert!(body["header"]["timestamp"].is_u64(), "{body}");
}
