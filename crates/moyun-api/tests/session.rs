//! The login session against the emulator: token and cookie placement, self-healing
//! after 10002/10102, single-flight renewal, heartbeats, API-Level negotiation.

use conf_core::ClientHandle;
use std::time::Duration;

use conf_core::{Body, Error, Operation, RetryPolicy};
use conf_sandbox::harness::{Fault, FaultRule, Server};
use conf_sandbox::moyun::{MoyunConfig as EmuConfig, MoyunEmulator};
use http::Method;
use moyun_api::{MoyunClient, MoyunClientBuilder};
use serde_json::Value;

async fn emulator(cfg: EmuConfig) -> (MoyunEmulator, Server) {
    MoyunEmulator::start(cfg).await.expect("emulator starts")
}

fn config(server: &Server) -> MoyunClientBuilder {
    let core = conf_core::ClientConfig::parse(&server.base_url())
        .expect("config")
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(5)).max_backoff(Duration::from_millis(20)))
        .proxy_from_env(false);
    MoyunClient::builder("key", "12345678", "name", "888888").config(core).heartbeat_interval(None)
}

fn client(server: &Server) -> MoyunClient {
    config(server).build().expect("client")
}

fn list_confs() -> Operation {
    Operation::new("moyun", "vc.list_confs", Method::GET, "/api/v1/vc/confs", "/api/v1/vc/confs").min_level("vc", 1)
}

fn create_conf(name: &str) -> Operation {
    let params = serde_json::json!({"create_type": 1, "name": name, "duration": 60, "bitrate": 2048});
    Operation::new("moyun", "mc.create_conf", Method::POST, "/api/v1/mc/confs", "/api/v1/mc/confs")
        .min_level("mc", 1)
        .body(Body::Form(vec![("params".into(), params.to_string())]))
}

#[tokio::test]
async fn every_call_carries_token_cookie_and_api_level() {
    let (emu, server) = emulator(EmuConfig::default()).await;
    assert!(emu.config().cookie_path.is_none(), "the emulator's Set-Cookie has no Path, as in the document");
    let client = client(&server);
    let _: Value = client.send(moyun_api::custom(list_confs())).await.unwrap();
    let created: Value = client.send(moyun_api::custom(create_conf("weekly"))).await.unwrap();
    assert!(created["conf_id"].is_string(), "{created}");

    let log = server.log().entries();
    let token = log
        .iter()
        .find(|r| r.path == "/api/v1/system/login")
        .and_then(|r| form_urlencoded::parse(&r.body).find(|(k, _)| k == "account_token").map(|(_, v)| v.into_owned()));
    let token = token.expect("login carried the account_token");
    // Credential requests: form fields as in the document, API-Level too.
    let login = log.iter().find(|r| r.path == "/api/v1/system/login").unwrap();
    assert_eq!(login.body_text(), format!("password=888888&username=name&account_token={token}"));
    let tok = log.iter().find(|r| r.path == "/api/v1/system/token").unwrap();
    assert_eq!(tok.body_text(), "oauth_consumer_key=key&oauth_consumer_secret=12345678");
    for r in &log {
        assert_eq!(r.header("API-Level"), Some("1"), "{} {} lacks API-Level", r.method, r.path);
    }
    // GET: token in the query string, cookie, no body.
    let get = log.iter().find(|r| r.method == "GET" && r.path == "/api/v1/vc/confs").unwrap();
    assert_eq!(get.query_param("account_token").as_deref(), Some(token.as_str()));
    let cookie = get.header("cookie").expect("cookie on /api/v1/vc although Set-Cookie had no Path");
    assert!(cookie.starts_with("SSO_COOKIE_KEY="), "{cookie}");
    // POST: form body, `params=` first then account_token, same cookie.
    let post = log.iter().find(|r| r.method == "POST" && r.path == "/api/v1/mc/confs").unwrap();
    let body = post.body_text();
    assert!(body.starts_with("params=%7B%22bitrate%22%3A+2048%2C+"), "params in the reference client's JSON style: {body}");
    assert!(body.ends_with(&format!("&account_token={token}")), "{body}");
    assert!(post.query.is_none(), "no token in the query of a POST");
    assert_eq!(post.header("cookie"), Some(cookie));
    assert_eq!(emu.counters().tokens_issued, 1);
    assert_eq!(emu.counters().logins_ok, 1);
}

#[tokio::test]
async fn a_narrow_cookie_path_still_reaches_every_path() {
    let (_emu, server) = emulator(EmuConfig { cookie_path: Some("/api/v1/system".into()), ..EmuConfig::default() }).await;
    let client = client(&server);
    let _: Value = client.send(moyun_api::custom(list_confs())).await.unwrap();
    let get = server.log().filter(|r| r.path == "/api/v1/vc/confs").pop().unwrap();
    assert!(get.header("cookie").is_some_and(|c| c.starts_with("SSO_COOKIE_KEY=")));
}

#[tokio::test]
async fn expired_session_heals_with_one_login_and_no_new_token() {
    let (emu, server) = emulator(EmuConfig::default()).await;
    let client = client(&server);
    let _: Value = client.send(moyun_api::custom(list_confs())).await.unwrap();
    emu.expire_sessions();
    let _: Value = client.send(moyun_api::custom(create_conf("after expiry"))).await.unwrap();
    let c = emu.counters();
    assert_eq!(c.session_rejections, 1, "one 10102");
    assert_eq!((c.tokens_issued, c.logins_ok), (1, 2), "10102 -> login again with the same token");
    assert_eq!(emu.conferences().len(), 1, "the POST was replayed once");
    assert_eq!((client.session().token_requests(), client.session().logins()), (1, 2));
}

#[tokio::test]
async fn rejected_token_gets_a_new_token_and_login() {
    let (emu, server) = emulator(EmuConfig::default()).await;
    let client = client(&server);
    let _: Value = client.send(moyun_api::custom(list_confs())).await.unwrap();
    emu.expire_tokens();
    let _: Value = client.send(moyun_api::custom(list_confs())).await.unwrap();
    let c = emu.counters();
    assert_eq!(c.token_rejections, 1);
    assert_eq!((c.tokens_issued, c.logins_ok), (2, 2), "10002 -> new token and login");
}

#[tokio::test]
async fn hundred_concurrent_calls_through_an_expiry_share_one_renewal() {
    let (emu, server) = emulator(EmuConfig::default()).await;
    let client = client(&server);
    client.login().await.unwrap();
    emu.expire_all();
    let calls = (0..100).map(|_| {
        let c = client.clone();
        tokio::spawn(async move { c.send(moyun_api::custom::<Value>(list_confs())).await })
    });
    for r in futures_util::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    let c = emu.counters();
    assert_eq!(c.token_requests, 2, "one token request after the expiry");
    assert_eq!(c.logins, 2, "one login after the expiry");
    assert_eq!(c.authenticated_calls, 100);
}

#[tokio::test]
async fn harness_expire_credentials_fault_heals() {
    let (emu, server) = emulator(EmuConfig::default()).await;
    let client = client(&server);
    let _: Value = client.send(moyun_api::custom(list_confs())).await.unwrap();
    server.faults().add(FaultRule::new(Fault::ExpireCredentials).path_prefix("/api/v1/vc/confs").once());
    let _: Value = client.send(moyun_api::custom(list_confs())).await.unwrap();
    let c = emu.counters();
    assert_eq!((c.tokens_issued, c.logins_ok), (2, 2));
}

#[tokio::test]
async fn a_session_rejected_again_after_renewal_is_an_auth_error() {
    let (emu, server) = emulator(EmuConfig::default()).await;
    let client = client(&server);
    client.login().await.unwrap();
    emu.fail_next(10102, "/api/v1/vc/confs", 2);
    let err = client.send(moyun_api::custom::<Value>(list_confs())).await.unwrap_err();
    assert!(matches!(&err, Error::Auth { .. }), "{err:?}");
    assert_eq!(err.vendor_code(), Some("10102"));
    assert_eq!(emu.counters().logins_ok, 2, "renewed once, replayed once, then gave up");
}

#[tokio::test]
async fn bad_credentials_fail_without_quoting_them() {
    let (_emu, server) = emulator(EmuConfig::default()).await;
    let cfg = MoyunClient::builder("key", "12345678", "name", "wrong-pass-4711").base_url(server.base_url()).heartbeat_interval(None);
    assert!(!format!("{cfg:?}").contains("wrong-pass-4711") && !format!("{cfg:?}").contains("12345678"));
    let client = cfg.build().unwrap();
    let err = client.login().await.unwrap_err();
    assert_eq!(err.vendor_code(), Some("10101"), "{err}");
    assert!(!err.to_string().contains("wrong-pass-4711"));
    let client = MoyunClient::builder("key", "bad-secret-0815", "name", "888888")
        .base_url(server.base_url())
        .heartbeat_interval(None)
        .build()
        .unwrap();
    let err = client.send(moyun_api::custom::<Value>(list_confs())).await.unwrap_err();
    assert_eq!(err.vendor_code(), Some("10001"), "{err}");
    assert!(!err.to_string().contains("bad-secret-0815"));
    assert!(!format!("{client:?}").contains("bad-secret-0815"));
    assert!(matches!(MoyunClient::builder("key", "s", "name", "").base_url(server.base_url()).build(), Err(Error::InvalidInput { .. })));
}

#[tokio::test]
async fn mcu_busy_is_retried_for_idempotent_calls_only() {
    let (emu, server) = emulator(EmuConfig::default()).await;
    let client = client(&server);
    emu.fail_next(20001, "/api/v1/vc/confs", 1);
    let _: Value = client.send(moyun_api::custom(list_confs())).await.unwrap();
    assert_eq!(emu.counters().injected_errors, 1);
    emu.fail_next(20001, "/api/v1/mc/confs", 1);
    let err = client.send(moyun_api::custom::<Value>(create_conf("x"))).await.unwrap_err();
    assert!(matches!(&err, Error::Vendor { code, retryable: true, .. } if code == "20001"), "{err:?}");
    assert!(emu.conferences().is_empty());
}

#[tokio::test]
async fn unsupported_endpoints_send_nothing_until_rediscovered() {
    let (emu, server) = emulator(EmuConfig::default()).await;
    let client = client(&server);
    client.login().await.unwrap();
    let needs_3 = || {
        Operation::new("moyun", "mc.list_personal_templates", Method::GET, "/api/v1/mc/personal_templates", "/api/v1/mc/personal_templates")
            .min_level("mc", 3)
    };
    let before = server.log().len();
    let err = client.send(moyun_api::custom::<Value>(needs_3())).await.unwrap_err();
    assert!(matches!(&err, Error::Unsupported { .. }) && err.nothing_sent(), "{err:?}");
    assert_eq!(server.log().count("GET", "/api/v1/mc/personal_templates"), 0, "nothing sent");
    assert_eq!(server.log().len(), before + 1, "only the version discovery");
    assert_eq!(server.log().count("GET", "/api/mc/version"), 1);
    // Cached: a second refusal does not ask again.
    client.send(moyun_api::custom::<Value>(needs_3())).await.unwrap_err();
    assert_eq!(server.log().count("GET", "/api/mc/version"), 1);
    assert_eq!(client.api_level("mc").await.unwrap(), 1);
    // The platform is upgraded: re-discover.
    emu.set_level("mc", 3);
    client.levels().reset();
    let _: Value = client.send(moyun_api::custom(needs_3())).await.unwrap();
    assert_eq!(server.log().count("GET", "/api/mc/version"), 2);
    assert_eq!(client.levels().known("mc"), Some(3));
}

/// Waits until `cond` holds, for at most 10 s of tokio time. The heartbeat tests pause
/// tokio's clock (the client's timers and the emulator's expiry both read it), so each poll
/// step advances virtual time deterministically instead of waiting on the wall clock.
async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
}

/// Lets the (paused) tokio clock run forward by `d` while every task, the emulator's
/// included, runs to idle: a virtual-time step, not a wall-clock wait.
async fn run_for(d: Duration) {
    tokio::time::sleep(d).await;
}

#[tokio::test(start_paused = true)]
async fn heartbeats_run_and_stop_with_the_client() {
    let (emu, server) = emulator(EmuConfig::default()).await;
    let interval = Duration::from_millis(50);
    let client = config(&server).heartbeat_interval(Some(interval)).build().unwrap();
    run_for(interval * 3).await;
    assert_eq!(emu.counters().user_heartbeats, 0, "nothing to keep alive before the first login");
    client.login().await.unwrap();
    wait_for("three rounds of heartbeats", || {
        let c = emu.counters();
        c.token_heartbeats >= 3 && c.user_heartbeats >= 3
    })
    .await;
    let tok = server.log().filter(|r| r.path.ends_with("/heartbeat") && r.path.starts_with("/api/v1/system/token/")).pop().unwrap();
    assert_eq!(tok.method, "POST");
    let user = server.log().filter(|r| r.path == "/api/v1/system/heartbeat").pop().unwrap();
    assert!(user.body_text().starts_with("account_token="), "{}", user.body_text());
    assert!(user.header("cookie").is_some_and(|c| c.starts_with("SSO_COOKIE_KEY=")));
    assert_eq!(client.core().background_tasks(), 1);
    drop(client);
    run_for(interval * 2).await;
    let settled = emu.counters();
    run_for(interval * 6).await;
    let later = emu.counters();
    assert_eq!(
        (later.token_heartbeats, later.user_heartbeats),
        (settled.token_heartbeats, settled.user_heartbeats),
        "heartbeats stop with the client"
    );
}

#[tokio::test(start_paused = true)]
async fn a_rejected_heartbeat_logs_in_again() {
    let (emu, server) = emulator(EmuConfig::default()).await;
    let client = config(&server).heartbeat_interval(Some(Duration::from_millis(40))).build().unwrap();
    client.login().await.unwrap();
    emu.expire_sessions();
    wait_for("a new login after the 10102 heartbeat", || emu.counters().logins_ok == 2).await;
    assert_eq!(emu.counters().tokens_issued, 1);
    emu.expire_tokens();
    wait_for("a new token after the 10002 heartbeat", || emu.counters().tokens_issued == 2).await;
    wait_for("the login with it", || emu.counters().logins_ok == 3).await;
}

#[tokio::test(start_paused = true)]
async fn failing_heartbeats_log_in_again_after_the_limit() {
    let (emu, server) = emulator(EmuConfig::default()).await;
    let client = config(&server).heartbeat_interval(Some(Duration::from_millis(40))).heartbeat_max_failures(3).build().unwrap();
    client.login().await.unwrap();
    server.faults().add(FaultRule::new(Fault::status(500)).path_exact("/api/v1/system/heartbeat").times(3));
    wait_for("a login after three failed heartbeats", || emu.counters().logins_ok == 2).await;
    assert_eq!(server.log().count_matching(|r| r.path == "/api/v1/system/heartbeat" && r.fault.is_some()), 3);
    drop(client);
}

/// A `MakeWriter` that keeps everything logged.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_reaches_the_logs() {
    let captured = Captured::default();
    let subscriber =
        tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(captured.clone()).with_ansi(false).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let users = std::collections::BTreeMap::from([("operator".to_string(), "pa55-w0rd-77".to_string())]);
    let (emu, server) = emulator(EmuConfig { app_secret: "app-s3cr3t-99".into(), users, ..EmuConfig::default() }).await;
    let client = MoyunClient::builder("key", "app-s3cr3t-99", "operator", "pa55-w0rd-77")
        .base_url(server.base_url())
        .heartbeat_interval(Some(Duration::from_millis(30)))
        .build()
        .unwrap();
    let _: Value = client.send(moyun_api::custom(list_confs())).await.unwrap();
    emu.expire_all();
    let _: Value = client.send(moyun_api::custom(create_conf("logged"))).await.unwrap();
    wait_for("a heartbeat", || emu.counters().user_heartbeats >= 1).await;
    let mut push = client.push().subscribe("/confs/**").connect().await.unwrap();
    let _ = push.next_item().await;
    let bad = MoyunClient::builder("key", "app-s3cr3t-99", "operator", "wrong-pa55-13")
        .base_url(server.base_url())
        .heartbeat_interval(None)
        .build()
        .unwrap();
    bad.login().await.unwrap_err();
    drop((push, client, bad));

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("moyun"), "the test captured the SDK's logs");
    let mut secrets = vec!["app-s3cr3t-99".to_string(), "pa55-w0rd-77".to_string(), "wrong-pa55-13".to_string()];
    for r in server.log().entries() {
        if let Some(t) = r.query_param("account_token") {
            secrets.push(t);
        }
        if let Some(c) = r.header("cookie") {
            secrets.push(c.trim_start_matches("SSO_COOKIE_KEY=").to_string());
        }
    }
    assert!(secrets.len() > 4, "tokens and cookies collected");
    for s in &secrets {
        assert!(!logs.contains(s.as_str()), "a secret reached the logs");
    }
}

/// A platform answer `code` as the client would see it (vendor error of moyun).
fn platform_error(code: &str) -> Error {
    Error::vendor(list_confs().info(1), "moyun", code, "rejected", false)
}

#[tokio::test]
async fn a_token_rejection_heals_while_an_unrelated_renewal_runs() {
    // 100 calls answered 10002 while an explicit relogin (an unrelated renewal of the
    // same expiry) runs: every call succeeds, one new token, one successful login.
    let (emu, server) = emulator(EmuConfig::default()).await;
    let client = client(&server);
    client.login().await.unwrap();
    emu.expire_tokens();
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.send(moyun_api::custom::<Value>(list_confs())).await })
        })
        .collect();
    let session = client.session().clone();
    let renewal = tokio::spawn(async move { session.relogin(false).await });
    for r in futures_util::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    renewal.await.unwrap().unwrap();
    let c = emu.counters();
    assert_eq!(c.tokens_issued, 2, "one new token for the one token expiry");
    assert_eq!(c.logins_ok, 2, "one new login for the one expiry");
    assert_eq!(c.authenticated_calls, 100);
    // The fresh session is in use: a later call needs no renewal.
    let _: Value = client.send(moyun_api::custom(list_confs())).await.unwrap();
    assert_eq!((emu.counters().tokens_issued, emu.counters().logins_ok), (2, 2));
}

#[tokio::test]
async fn a_stale_rejection_never_discards_the_fresh_credential() {
    use conf_core::IdentityResolver;
    let (emu, server) = emulator(EmuConfig::default()).await;
    let client = client(&server);
    let session = client.session().clone();
    let old = session.resolve().await.unwrap();
    // The token expires; a call heals it (token 2, login 2).
    emu.expire_tokens();
    let _: Value = client.send(moyun_api::custom(list_confs())).await.unwrap();
    let fresh = session.resolve().await.unwrap();
    assert!(fresh.generation() > old.generation());
    assert_eq!((emu.counters().tokens_issued, emu.counters().logins_ok), (2, 2));

    // Late rejections of the old generation (a slow call, another renewal) change nothing.
    let stale_token = session.classify(&platform_error("10002"), &old).expect("10002 is a rejection");
    let stale_login = session.classify(&platform_error("10102"), &old).expect("10102 is a rejection");
    assert_eq!(session.classify(&platform_error("20001"), &old), None, "not a credential rejection");
    assert_ne!(stale_token.kind(), stale_login.kind(), "token and login rejections are told apart");
    session.invalidate(stale_token);
    session.invalidate(stale_login);
    assert_eq!(session.resolve().await.unwrap().generation(), fresh.generation(), "the fresh login is kept");
    let _: Value = client.send(moyun_api::custom(list_confs())).await.unwrap();
    assert_eq!((emu.counters().tokens_issued, emu.counters().logins_ok), (2, 2), "no renewal for a stale rejection");

    // A real token rejection of the fresh session, interleaved with a stale login
    // rejection classified in between (no hidden flag for it to consume): the token
    // is renewed once, with no wasted login on the refused token.
    emu.expire_tokens();
    let real = session.classify(&platform_error("10002"), &fresh).unwrap();
    let stale = session.classify(&platform_error("10102"), &old).unwrap();
    session.invalidate(stale);
    session.invalidate(real);
    let _: Value = client.send(moyun_api::custom(list_confs())).await.unwrap();
    let c = emu.counters();
    assert_eq!((c.tokens_issued, c.logins_ok), (3, 3), "one new token and one login for the second expiry");
    assert_eq!(c.logins, c.logins_ok, "no login was attempted with the refused token");
    assert_eq!(c.token_rejections, 1, "the call went out with the renewed token: only the first expiry was answered 10002");
}

#[tokio::test]
async fn an_unrelated_renewal_during_the_healing_costs_no_call() {
    // The token expires; a hundred calls heal it (10002: new token + login) while an
    // unrelated renewal (a forced re-login, as after failed heartbeats) runs at the same
    // time with the refused token. No call fails, and the session ends on one new token.
    let (emu, server) = emulator(EmuConfig::default()).await;
    let client = client(&server);
    client.login().await.unwrap();
    emu.expire_tokens();
    let session = client.session().clone();
    let renewal = tokio::spawn(async move { session.relogin(false).await.map(|_| ()) });
    let calls = (0..100).map(|_| {
        let c = client.clone();
        tokio::spawn(async move { c.send(moyun_api::custom::<Value>(list_confs())).await })
    });
    for r in futures_util::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    renewal.await.unwrap().unwrap();
    let c = emu.counters();
    assert_eq!(c.tokens_issued, 2, "one new token for the healing and the renewal together");
    assert!(c.logins_ok <= 3, "at most one login each for the healing and the renewal: {}", c.logins_ok);
    assert_eq!(c.authenticated_calls, 100);
    // The session kept is made with the new token: the next call needs no renewal.
    let before = emu.counters();
    let _: Value = client.send(moyun_api::custom(list_confs())).await.unwrap();
    let after = emu.counters();
    assert_eq!((after.tokens_issued, after.logins_ok), (before.tokens_issued, before.logins_ok));
}
