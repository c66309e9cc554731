//! Redirects to another host never carry a credential there (issue 12, item 1).
//!
//! Each vendor's client talks to server A, a front for the vendor's emulator. A answers
//! some requests with a 302 or 307 to server B (on another port, so another origin) and
//! passes the others to the emulator. Two scenarios per vendor: the credential request
//! itself is redirected (moyun `oauth_consumer_secret`, lingsun `client_secret` and
//! `password`, vmr `pin`, ytx signature, webapi `key`), and a call after logging in
//! that carries the acquired credential (moyun `account_token`, vmr `token`, lingsun
//! bearer token). B must receive no request at all, the error must name both origins
//! (no path, no query), and no request may carry `Referer`.

use std::error::Error as _;
use std::time::Duration;

use conf_core::{ClientConfig, Error};
use conf_sandbox::Server;
use conf_sdk_tests::hostile::{HostileServer, forward};
use conf_sdk_tests::matrix::core_config;

/// A scenario: what is redirected, and which requests (by target).
type Scenario = (&'static str, fn(&str) -> bool);

/// The servers of one scenario.
struct Front {
    a: HostileServer,
    b: HostileServer,
}

/// A front for `emulator` that redirects (with `status`) every request whose target
/// `redirect` selects, to B.
async fn front(emulator: &Server, status: u16, redirect: fn(&str) -> bool) -> Front {
    let b = HostileServer::start(|_, mut resp| async move {
        let _ = resp.json(r#"{"success":1}"#).await;
    })
    .await;
    let upstream = emulator.addr().to_string();
    let location = format!("{}/elsewhere?stolen=1", b.url());
    let a = HostileServer::start(move |req, mut resp| {
        let (upstream, location) = (upstream.clone(), location.clone());
        async move {
            if redirect(req.target()) {
                let _ = resp.respond(status, &[("location", &location)], b"").await;
            } else {
                let _ = forward(&req, &upstream, &mut resp).await;
            }
        }
    })
    .await;
    Front { a, b }
}

/// The error and its sources, as one text.
fn chain(e: &Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(" <- ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

fn check(front: &Front, result: Result<(), Error>, what: &str) {
    let e = result.expect_err(what);
    assert!(front.b.requests().is_empty(), "{what}: the other host received {:?}", front.b.requests());
    let text = chain(&e);
    assert!(text.contains(&front.a.url()) && text.contains(&front.b.url()), "{what}: both origins named: {text}");
    assert!(!text.contains("stolen") && !text.contains("/elsewhere"), "{what}: no path or query of the Location: {text}");
    assert!(!front.a.requests().is_empty(), "{what}: the client never reached A");
    for r in front.a.requests() {
        assert!(r.header("referer").is_none(), "{what}: Referer sent: {}", r.head);
    }
}

fn config(front: &Front) -> ClientConfig {
    core_config(ClientConfig::parse(&front.a.url()).unwrap()).attempt_timeout(Duration::from_secs(5))
}

#[tokio::test]
async fn moyun_credentials_stay_home() {
    use conf_sandbox::moyun::{MoyunConfig as EmuConfig, MoyunEmulator};
    use moyun_api::{MoyunClient, VcListConfsRequest};
    let emu_config = EmuConfig::default();
    let (_emu, server) = MoyunEmulator::start(emu_config.clone()).await.unwrap();
    let password = emu_config.users.get("name").unwrap().clone();
    let scenarios: [Scenario; 2] =
        [("token request (oauth_consumer_secret)", |_| true), ("call after login (account_token)", |t| !t.contains("/system/"))];
    for status in [302, 307] {
        for (what, redirect) in scenarios {
            let front = front(&server, status, redirect).await;
            let client = MoyunClient::builder(emu_config.app_key.clone(), emu_config.app_secret.clone(), "name", password.clone())
                .config(config(&front))
                .heartbeat_interval(None)
                .build()
                .unwrap();
            let result = client.vc().list_confs_with(VcListConfsRequest::new()).await.map(drop);
            check(&front, result, &format!("moyun {status} {what}"));
        }
    }
}

#[tokio::test]
async fn vmr_token_and_pin_stay_home() {
    use conf_sandbox::vmr::{VmrConfig, VmrEmulator};
    use vmr_rest::{ServiceStatusRequest, SessionOptions, VmrClient};
    let (_emu, server) = VmrEmulator::start(VmrConfig::new()).await.unwrap();
    for status in [302, 307] {
        // new_session carries the PIN.
        let front1 = front(&server, status, |_| true).await;
        let mcu = VmrClient::builder().config(config(&front1)).build().unwrap().mcu(&front1.a.url()).unwrap();
        let result = mcu.session("meet@vmr.example", SessionOptions::new("Robot").pin("123456")).await.map(drop);
        check(&front1, result, &format!("vmr {status} new_session (pin)"));
        // Calls after it carry the session `token` header.
        let front2 = front(&server, status, |t| t.contains("service_status")).await;
        let mcu = VmrClient::builder().config(config(&front2)).build().unwrap().mcu(&front2.a.url()).unwrap();
        let session = mcu.session("meet@vmr.example", SessionOptions::new("Robot").pin("123456")).await.unwrap();
        let result = session.conference().service_status_with(ServiceStatusRequest::new()).await.map(drop);
        check(&front2, result, &format!("vmr {status} service_status (token)"));
    }
}

#[tokio::test]
async fn lingsun_client_secret_and_password_stay_home() {
    use conf_sandbox::lingsun::{LingsunConfig, LingsunEmulator};
    use lingsun_rest::{GetAllPackagesRequest, Grant, LingsunClient};
    let emu_config = LingsunConfig::default();
    let (_emu, server) = LingsunEmulator::start(emu_config.clone()).await.unwrap();
    let scenarios: [Scenario; 2] =
        [("token request (client_secret, password)", |_| true), ("call with the bearer token", |t| !t.contains("oauth"))];
    for status in [302, 307] {
        for (what, redirect) in scenarios {
            let front = front(&server, status, redirect).await;
            let grant = Grant::Password {
                username: emu_config.users[0].0.clone(),
                password: conf_core::secret::secret(emu_config.users[0].1.clone()),
            };
            let client =
                LingsunClient::builder(emu_config.client_id.clone(), conf_core::secret::secret(emu_config.client_secret.clone()), grant)
                    .config(config(&front))
                    .build()
                    .unwrap();
            let result = client.get_all_packages_with(GetAllPackagesRequest::new()).await.map(drop);
            check(&front, result, &format!("lingsun {status} {what}"));
        }
    }
}

#[tokio::test]
async fn ytx_signature_stays_home() {
    use conf_sandbox::ytx::{YtxConfig, YtxEmulator};
    use ytx_telemeeting::{CreateMeetingRequest, YtxClient};
    let emu_config = YtxConfig::default();
    let (_emu, server) = YtxEmulator::start(emu_config.clone()).await.unwrap();
    for status in [302, 307] {
        let front = front(&server, status, |_| true).await;
        let cfg = config(&front);
        let client = YtxClient::builder(
            emu_config.account_sid.clone(),
            conf_core::secret::secret(emu_config.auth_token.clone()),
            emu_config.app_id.clone(),
        )
        .config(cfg)
        .build()
        .unwrap();
        let result = client.create_meeting_with(CreateMeetingRequest::new("13100001314")).await.map(drop);
        check(&front, result, &format!("ytx {status} createMeeting (signature)"));
    }
}

#[tokio::test]
async fn webapi_key_stays_home() {
    use conf_sandbox::webapi::{WebApiConfig, WebApiEmulator};
    use std::time::SystemTime;
    use webapi::{MeetingCreateRequest, WebApiClient};
    let emu_config = WebApiConfig { key: "redirect-company-key-77aa".into(), ..WebApiConfig::default() };
    let (_emu, server) = WebApiEmulator::start(emu_config.clone()).await.unwrap();
    for status in [302, 307] {
        let front = front(&server, status, |_| true).await;
        let cfg = config(&front);
        let client = WebApiClient::builder(conf_core::secret::secret(emu_config.key.clone())).config(cfg).build().unwrap();
        let start = SystemTime::now();
        let request = MeetingCreateRequest::new("Weekly", start, "8888").end_time(start + Duration::from_secs(3600));
        let result = client.meeting_create_with(request).await.map(drop);
        check(&front, result, &format!("webapi {status} meeting_create (key)"));
    }
}
