//! The conf-core request path end to end, against loopback servers.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::{Scripted, Step, closed_port};
use conf_core::auth::Rejection;
use conf_core::{
    AttemptOutcome, AttemptParts, Authenticator, Body, Client, ClientConfig, CredentialCache, EndpointResolver, Error, ExposeSecret,
    Loaded, Negotiator, Operation, RetryPolicy, SecretString, TimeoutKind,
};
use conf_core::{AuthScheme, Identity, IdentityResolver, Signer};
use futures_util::future::BoxFuture;
use http::Method;

fn config(url: &str) -> ClientConfig {
    ClientConfig::parse(url).unwrap().proxy_from_env(false).attempt_timeout(Duration::from_millis(400)).retry(
        RetryPolicy::default()
            .max_attempts(3)
            .initial_backoff(Duration::from_millis(10))
            .max_backoff(Duration::from_millis(40))
            .max_retry_after(Duration::from_secs(2)),
    )
}

fn get(path: &'static str) -> Operation {
    Operation::new("test", "get", Method::GET, path, path)
}

fn post(path: &'static str) -> Operation {
    Operation::new("test", "create", Method::POST, path, path).body(Body::Form(vec![("name".into(), "x".into())]))
}

// ---------- retry matrix ----------

#[tokio::test]
async fn idempotent_get_recovers_from_503() {
    let srv = Scripted::start(vec![Step::json(503, "{}"), Step::ok()]).await;
    let client = Client::builder(config(&srv.url())).build().unwrap();
    let raw = client.execute(get("/r")).await.unwrap();
    assert_eq!(raw.status, 200);
    assert_eq!(srv.hits("/r"), 2);
}

#[tokio::test]
async fn every_retryable_status_is_retried_for_reads() {
    for status in [429u16, 502, 503, 504] {
        let srv = Scripted::start(vec![Step::json(status, "{}"), Step::ok()]).await;
        let client = Client::builder(config(&srv.url())).build().unwrap();
        client.execute(get("/r")).await.unwrap();
        assert_eq!(srv.hits("/r"), 2, "status {status}");
    }
    let srv = Scripted::start(vec![Step::json(500, "{}"), Step::ok()]).await;
    let client = Client::builder(config(&srv.url())).build().unwrap();
    let e = client.execute(get("/r")).await.unwrap_err();
    assert_eq!(e.http_status(), Some(500));
    assert_eq!(srv.hits("/r"), 1, "500 is not retried");
}

#[tokio::test]
async fn non_idempotent_post_is_not_replayed_after_a_server_answer() {
    let srv = Scripted::start(vec![Step::json(503, "{}"), Step::ok()]).await;
    let client = Client::builder(config(&srv.url())).build().unwrap();
    let e = client.execute(post("/create")).await.unwrap_err();
    assert_eq!(e.http_status(), Some(503));
    assert_eq!(srv.hits("/create"), 1);
}

#[tokio::test]
async fn post_declared_idempotent_is_retried() {
    let srv = Scripted::start(vec![Step::json(503, "{}"), Step::ok()]).await;
    let client = Client::builder(config(&srv.url())).build().unwrap();
    client.execute(post("/query").idempotent(true)).await.unwrap();
    assert_eq!(srv.hits("/query"), 2);
}

#[tokio::test]
async fn post_that_timed_out_after_sending_is_outcome_unknown() {
    let srv = Scripted::start(vec![Step::Delay(Duration::from_millis(1500), Box::new(Step::ok()))]).await;
    let client = Client::builder(config(&srv.url())).build().unwrap();
    let e = client.execute(post("/create")).await.unwrap_err();
    assert!(
        matches!(&e, Error::OutcomeUnknown { cause, .. } if matches!(**cause, Error::Timeout { kind: TimeoutKind::Attempt(_), .. })),
        "{e}"
    );
    assert!(!e.is_retryable());
    assert!(e.to_string().contains("outcome unknown"));
    assert_eq!(srv.hits("/create"), 1);
}

#[tokio::test]
async fn post_whose_connection_dropped_after_sending_is_outcome_unknown() {
    let srv = Scripted::start(vec![Step::Drop, Step::ok()]).await;
    let client = Client::builder(config(&srv.url())).build().unwrap();
    let e = client.execute(post("/create")).await.unwrap_err();
    assert!(matches!(e, Error::OutcomeUnknown { .. }), "{e}");
    assert_eq!(srv.hits("/create"), 1);
}

#[tokio::test]
async fn get_whose_connection_dropped_is_retried() {
    let srv = Scripted::start(vec![Step::Drop, Step::ok()]).await;
    let client = Client::builder(config(&srv.url())).build().unwrap();
    client.execute(get("/r")).await.unwrap();
    assert_eq!(srv.hits("/r"), 2);
}

#[tokio::test]
async fn get_timeouts_are_retried_up_to_max_attempts() {
    let srv = Scripted::start(vec![Step::Delay(Duration::from_millis(1500), Box::new(Step::ok()))]).await;
    let client = Client::builder(config(&srv.url()).operation_deadline(Duration::from_secs(10))).build().unwrap();
    let e = client.execute(get("/slow")).await.unwrap_err();
    assert!(matches!(e, Error::Timeout { kind: TimeoutKind::Attempt(_), .. }), "{e}");
    assert!(e.is_retryable());
    assert_eq!(srv.hits("/slow"), 3);
}

#[tokio::test]
async fn connect_failures_are_replayed_even_for_posts_since_nothing_was_sent() {
    let addr = closed_port().await;
    let client = Client::builder(config(&format!("http://{addr}"))).build().unwrap();
    let e = client.execute(post("/create")).await.unwrap_err();
    assert!(matches!(&e, Error::Transport { sent: false, .. }), "{e}");
    assert!(e.nothing_sent());
    assert_eq!(e.request().unwrap().attempts, 3, "{e}");
}

#[tokio::test]
async fn retry_after_seconds_is_honoured() {
    let srv = Scripted::start(vec![Step::Answer(429, vec![("retry-after", "1".into())], "{}".into()), Step::ok()]).await;
    let client = Client::builder(config(&srv.url())).build().unwrap();
    let start = std::time::Instant::now();
    client.execute(get("/r")).await.unwrap();
    assert!(start.elapsed() >= Duration::from_millis(950), "waited {:?}", start.elapsed());
    assert_eq!(srv.hits("/r"), 2);
}

#[tokio::test]
async fn retry_after_beyond_the_cap_ends_retrying() {
    let srv = Scripted::start(vec![Step::Answer(503, vec![("retry-after", "3600".into())], "busy".into()), Step::ok()]).await;
    let client = Client::builder(config(&srv.url())).build().unwrap();
    let e = client.execute(get("/r")).await.unwrap_err();
    assert!(matches!(e, Error::HttpStatus { status: 503, retry_after: Some(d), .. } if d == Duration::from_secs(3600)), "{e}");
    assert_eq!(srv.hits("/r"), 1);
}

#[tokio::test]
async fn exhausted_budget_stops_retries() {
    let srv = Scripted::start(vec![Step::json(503, "{}")]).await;
    let mut cfg = config(&srv.url());
    cfg.retry.max_attempts = 5;
    cfg.retry_budget = 7; // one retry costs 5
    let client = Client::builder(cfg).build().unwrap();
    let e = client.execute(get("/r")).await.unwrap_err();
    assert_eq!(e.http_status(), Some(503));
    assert_eq!(srv.hits("/r"), 2, "first attempt + one budgeted retry");
    assert_eq!(client.retry_budget().available(), 2);
}

#[tokio::test]
async fn operation_deadline_bounds_all_attempts() {
    let srv = Scripted::start(vec![Step::Delay(Duration::from_millis(250), Box::new(Step::json(503, "{}")))]).await;
    let mut cfg = config(&srv.url()).operation_deadline(Duration::from_millis(600));
    cfg.retry.max_attempts = 10;
    let client = Client::builder(cfg).build().unwrap();
    let start = std::time::Instant::now();
    let e = client.execute(get("/r")).await.unwrap_err();
    assert!(start.elapsed() < Duration::from_millis(1200), "{:?}", start.elapsed());
    assert!(srv.hits("/r") <= 3, "{}", srv.hits("/r"));
    assert!(matches!(e, Error::HttpStatus { .. } | Error::Timeout { .. }), "{e}");
}

#[tokio::test]
async fn nginx_html_502_is_an_http_status_error() {
    let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    let srv = Scripted::start(vec![Step::Answer(502, vec![("content-type", "text/html".into())], page.into())]).await;
    let client = Client::builder(config(&srv.url()).retry(RetryPolicy::disabled())).build().unwrap();
    let e = client.execute_json::<serde_json::Value>(get("/r")).await.unwrap_err();
    match e {
        Error::HttpStatus { status: 502, body_excerpt, .. } => assert_eq!(body_excerpt, "HTML page: 502 Bad Gateway"),
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn undecodable_body_is_a_decode_error() {
    let srv = Scripted::start(vec![Step::json(200, r#"{"success": 1, "data": ["#)]).await;
    let client = Client::builder(config(&srv.url())).build().unwrap();
    let e = client.execute_json::<serde_json::Value>(get("/r")).await.unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e}");
}

// ---------- auth ----------

/// Bearer tokens from `POST /token`; a 401 means the token was rejected.
struct TokenAuth {
    cache: CredentialCache<SecretString>,
    /// Every rejection the auth layer handed to `invalidate`.
    rejections: std::sync::Mutex<Vec<Rejection>>,
}

impl TokenAuth {
    fn new(client_for_tokens: Client) -> Arc<Self> {
        let cache = CredentialCache::new(Duration::from_millis(0), Duration::ZERO, move |_prev| {
            let c = client_for_tokens.clone();
            async move {
                let op = Operation::new("test", "token", Method::POST, "/token", "/token").auth(conf_core::AuthMode::None).sensitive();
                let v: serde_json::Value = c.execute_json(op).await?;
                let tok = v["token"].as_str().unwrap_or_default().to_string();
                Ok(Loaded { value: SecretString::from(tok), expires_in: Some(Duration::from_secs(60)) })
            }
        });
        Arc::new(Self { cache, rejections: std::sync::Mutex::default() })
    }
}

impl IdentityResolver for TokenAuth {
    type Credential = SecretString;
    fn resolve(&self) -> BoxFuture<'_, Result<Identity<SecretString>, Error>> {
        Box::pin(async move { Ok(self.cache.get().await?.into()) })
    }
    fn classify(&self, error: &Error, identity: &Identity<SecretString>) -> Option<Rejection> {
        (error.http_status() == Some(401)).then(|| Rejection::of(identity))
    }
    fn invalidate(&self, rejection: Rejection) {
        self.rejections.lock().unwrap().push(rejection);
        self.cache.invalidate(rejection.generation());
    }
}

impl Signer<SecretString> for TokenAuth {
    fn sign(&self, identity: &Identity<SecretString>, request: &mut AttemptParts) -> Result<(), Error> {
        request.set_secret_header("authorization", &format!("Bearer {}", identity.credential().expose_secret()))
    }
}

/// The transport's view of a [`TokenAuth`].
fn scheme(auth: &Arc<TokenAuth>) -> Arc<dyn Authenticator> {
    AuthScheme::new(auth.clone(), auth.clone()).into_dyn()
}

/// Tokens are `t1`, `t2`, ...; only the newest is accepted by `/r`.
async fn token_server(token_delay: Duration) -> (Scripted, Arc<AtomicU32>) {
    let issued = Arc::new(AtomicU32::new(0));
    let i = issued.clone();
    let srv = Scripted::route(move |req, _| {
        if req.path() == "/token" {
            let n = i.fetch_add(1, Ordering::SeqCst) + 1;
            return Step::Delay(token_delay, Box::new(Step::json(200, &format!(r#"{{"token":"t{n}"}}"#))));
        }
        let current = format!("Bearer t{}", i.load(Ordering::SeqCst));
        if req.header("authorization") == Some(current.as_str()) { Step::ok() } else { Step::json(401, r#"{"error":"bad token"}"#) }
    })
    .await;
    (srv, issued)
}

#[tokio::test]
async fn hundred_concurrent_callers_cause_exactly_one_token_request() {
    let (srv, _) = token_server(Duration::from_millis(150)).await;
    let plain = Client::builder(config(&srv.url())).build().unwrap();
    let client = Client::builder(config(&srv.url())).authenticator(scheme(&TokenAuth::new(plain))).build().unwrap();
    let calls = (0..100).map(|_| client.execute(get("/r")));
    let results = futures_util::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok), "{:?}", results.iter().find(|r| r.is_err()));
    assert_eq!(srv.hits("/token"), 1);
    assert_eq!(srv.hits("/r"), 100);
}

#[tokio::test]
async fn rejected_credential_is_renewed_once_and_the_call_replayed() {
    let (srv, issued) = token_server(Duration::ZERO).await;
    let plain = Client::builder(config(&srv.url())).build().unwrap();
    let auth = TokenAuth::new(plain);
    let client = Client::builder(config(&srv.url())).authenticator(scheme(&auth)).build().unwrap();
    client.execute(get("/r")).await.unwrap();
    // The server rotates its token behind our back: the next call is rejected once, renewed, replayed.
    issued.fetch_add(1, Ordering::SeqCst);
    let results = futures_util::future::join_all((0..20).map(|_| client.execute(post("/create")))).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(srv.hits("/token"), 2, "one renewal for twenty rejected calls");
    // Each rejection is a value naming the generation the call was sent with (the
    // first token), never the renewed one: a late rejection cannot discard it.
    let rejections = auth.rejections.lock().unwrap().clone();
    assert!(!rejections.is_empty());
    assert!(rejections.iter().all(|r| r.generation() == 1 && r.kind() == Rejection::CREDENTIAL), "{rejections:?}");
}

#[tokio::test]
async fn failed_refresh_reaches_every_waiter() {
    let srv = Scripted::route(|req, _| {
        if req.path() == "/token" { Step::Delay(Duration::from_millis(100), Box::new(Step::json(403, "{}"))) } else { Step::ok() }
    })
    .await;
    let plain = Client::builder(config(&srv.url())).build().unwrap();
    let client = Client::builder(config(&srv.url())).authenticator(scheme(&TokenAuth::new(plain))).build().unwrap();
    let results = futures_util::future::join_all((0..10).map(|_| client.execute(get("/r")))).await;
    assert!(results.iter().all(|r| r.as_ref().err().and_then(Error::http_status) == Some(403)));
    assert_eq!(srv.hits("/token"), 1);
    assert_eq!(srv.hits("/r"), 0);
}

// ---------- API level and capabilities ----------

struct Levels {
    platform: u32,
    discoveries: AtomicU32,
}

impl Negotiator for Levels {
    fn headers(&self) -> Vec<(http::HeaderName, http::HeaderValue)> {
        vec![(http::HeaderName::from_static("api-level"), http::HeaderValue::from_static("1"))]
    }
    fn discover(&self, via: conf_core::negotiate::Discovery, app: &'static str) -> BoxFuture<'static, Result<u32, Error>> {
        self.discoveries.fetch_add(1, Ordering::SeqCst);
        let level = self.platform;
        Box::pin(async move {
            let op = Operation::new("test", "version", Method::GET, "/api/{app}/version", format!("/api/{app}/version"));
            via.execute(op).await?;
            Ok(level)
        })
    }
    fn has_capability(&self, capability: &str) -> bool {
        capability != "deployment:public"
    }
    fn describe_platform(&self) -> String {
        "EnterpriseCloud".into()
    }
}

#[tokio::test]
async fn api_level_gate_sends_nothing_and_discovers_once() {
    let srv = Scripted::start(vec![Step::ok()]).await;
    let n = Arc::new(Levels { platform: 2, discoveries: AtomicU32::new(0) });
    let client = Client::builder(config(&srv.url())).negotiator(n.clone()).build().unwrap();

    let too_new = get("/api/v1/mc/personal_templates").min_level("mc", 3);
    let e = client.execute(too_new).await.unwrap_err();
    assert!(matches!(&e, Error::Unsupported { needs, platform, .. } if needs.contains("API-Level 3") && platform.contains('2')), "{e}");
    assert_eq!(srv.hits("/api/v1/mc/personal_templates"), 0);

    let results = futures_util::future::join_all((0..20).map(|_| client.execute(get("/api/v1/mc/confs").min_level("mc", 1)))).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(srv.hits("/api/mc/version"), 1, "level discovered once and cached");
    assert_eq!(n.discoveries.load(Ordering::SeqCst), 1);
    assert!(srv.requests().iter().filter(|r| r.path() == "/api/v1/mc/confs").all(|r| r.header("api-level") == Some("1")));

    client.levels().reset();
    client.execute(get("/api/v1/mc/confs").min_level("mc", 1)).await.unwrap();
    assert_eq!(srv.hits("/api/mc/version"), 2, "re-discovered after reset");
}

#[tokio::test]
async fn capability_gate_sends_nothing() {
    let srv = Scripted::start(vec![Step::ok()]).await;
    let n = Arc::new(Levels { platform: 1, discoveries: AtomicU32::new(0) });
    let client = Client::builder(config(&srv.url())).negotiator(n).build().unwrap();
    let e = client.execute(post("/start_service").needs(&["deployment:public"])).await.unwrap_err();
    assert!(matches!(&e, Error::Unsupported { platform, .. } if platform == "EnterpriseCloud"), "{e}");
    assert!(e.nothing_sent());
    assert!(srv.requests().is_empty());
}

// ---------- endpoints, layers, bodies ----------

struct Failover {
    bases: Vec<url::Url>,
    reports: std::sync::Mutex<Vec<(String, AttemptOutcome)>>,
}

impl EndpointResolver for Failover {
    fn resolve(&self, _op: &Operation, attempt: u32) -> Result<url::Url, Error> {
        Ok(self.bases[(attempt as usize - 1).min(self.bases.len() - 1)].clone())
    }
    fn report(&self, base: &url::Url, outcome: AttemptOutcome) {
        self.reports.lock().unwrap().push((base.to_string(), outcome));
    }
}

#[tokio::test]
async fn resolver_moves_to_the_next_host_after_a_refused_connection() {
    let dead = closed_port().await;
    let srv = Scripted::start(vec![Step::ok()]).await;
    let r = Arc::new(Failover {
        bases: vec![format!("http://{dead}").parse().unwrap(), srv.url().parse().unwrap()],
        reports: Default::default(),
    });
    let client = Client::builder(config(&srv.url())).resolver(r.clone()).build().unwrap();
    client.execute(post("/create")).await.unwrap();
    let reports = r.reports.lock().unwrap().clone();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0].1, AttemptOutcome::NetworkFailure);
    assert_eq!(reports[1].1, AttemptOutcome::Answered);
    assert_eq!(srv.hits("/create"), 1);
}

#[derive(Clone)]
struct StampLayer;
impl tower::Layer<conf_core::layers::AttemptService> for StampLayer {
    type Service = conf_core::layers::AttemptService;
    fn layer(&self, inner: conf_core::layers::AttemptService) -> Self::Service {
        conf_core::layers::AttemptService::new(tower::util::MapRequest::new(inner, |mut req: conf_core::AttemptRequest| {
            req.headers_mut().insert("x-stamp", http::HeaderValue::from_static("yes"));
            req
        }))
    }
}

#[tokio::test]
async fn user_attempt_layers_see_every_attempt() {
    let srv = Scripted::start(vec![Step::json(503, "{}"), Step::ok()]).await;
    let client = Client::builder(config(&srv.url())).attempt_layer(StampLayer).build().unwrap();
    client.execute(get("/r")).await.unwrap();
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs.iter().all(|r| r.header("x-stamp") == Some("yes")));
    assert!(reqs.iter().all(|r| r.header("user-agent").is_some_and(|ua| ua.starts_with("conf-sdk/"))));
}

#[tokio::test]
async fn multipart_file_is_streamed_again_on_each_attempt() {
    let dir = std::env::temp_dir().join(format!("conf-core-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bg.png");
    std::fs::write(&path, b"\x89PNG fake image bytes").unwrap();
    let srv = Scripted::start(vec![Step::json(503, "{}"), Step::ok()]).await;
    let client = Client::builder(config(&srv.url())).build().unwrap();
    let op = Operation::new("test", "upload", Method::PUT, "/upload", "/upload").body(Body::Multipart(vec![
        conf_core::Part::text("serial", "123"),
        conf_core::Part::file_path("filedata", "bg.png", "image/png", &path),
    ]));
    client.execute(op).await.unwrap();
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 2);
    for r in reqs {
        let body = String::from_utf8_lossy(&r.body);
        assert!(r.header("content-type").unwrap().starts_with("multipart/form-data; boundary="));
        assert!(body.contains("name=\"filedata\"; filename=\"bg.png\""), "{body}");
        assert!(body.contains("PNG fake image bytes"));
        assert!(body.contains("name=\"serial\""));
    }
    let missing = Operation::new("test", "upload", Method::PUT, "/upload", "/upload")
        .body(Body::Multipart(vec![conf_core::Part::file_path("filedata", "x.png", "image/png", dir.join("missing.png"))]));
    let e = client.execute(missing).await.unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
}

// ---------- redaction ----------

#[tokio::test]
async fn no_secret_in_debug_errors_or_logs() {
    const SECRET: &str = "S3CRET-token-value";
    let addr = closed_port().await;
    let cfg = config(&format!("http://user:{SECRET}@{addr}")).retry(RetryPolicy::disabled());
    assert!(!format!("{cfg:?}").contains(SECRET));
    let client = Client::builder(cfg).build().unwrap();
    assert!(!format!("{client:?}").contains(SECRET));

    let op = Operation::new(
        "test",
        "heartbeat",
        Method::POST,
        "/api/v1/system/token/{account_token}/heartbeat",
        format!("/api/v1/system/token/{SECRET}/heartbeat"),
    )
    .query("account_token", SECRET)
    .header("token", SECRET)
    .unwrap()
    .body(Body::Form(vec![("password".into(), SECRET.into())]));
    assert!(!format!("{op:?}").contains(SECRET));

    let sink = Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let writer_sink = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || SinkWriter(writer_sink.clone()))
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let e = client.execute(op).await.unwrap_err();
    assert!(!e.to_string().contains(SECRET), "{e}");
    assert!(!format!("{e:?}").contains(SECRET), "{e:?}");
    let logs = String::from_utf8_lossy(&sink.lock().unwrap()).to_string();
    assert!(logs.contains("conf.call"), "tracing captured: {logs}");
    assert!(!logs.contains(SECRET), "{logs}");

    let secret = SecretString::from(SECRET.to_string());
    assert!(!format!("{secret:?}").contains(SECRET));
    let cache: CredentialCache<SecretString> =
        CredentialCache::new(Duration::ZERO, Duration::ZERO, |_| async { Err(Error::other("unused")) });
    cache.set(SecretString::from(SECRET.to_string()), None);
    assert!(!format!("{cache:?}").contains(SECRET));
    let identity = Identity::from(cache.peek().unwrap());
    assert!(!format!("{identity:?}").contains(SECRET));
    let auth = Arc::new(TokenAuth { cache: cache.clone(), rejections: std::sync::Mutex::default() });
    let state = scheme(&auth).prepare().await.unwrap();
    assert!(!format!("{state:?}").contains(SECRET));
}

#[derive(Clone)]
struct SinkWriter(Arc<std::sync::Mutex<Vec<u8>>>);
impl std::io::Write for SinkWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
