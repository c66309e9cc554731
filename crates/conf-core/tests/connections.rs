//! What a client is built with below the stack, through conf-core's own API: a cookie
//! jar, a connection pool shared with another client, and user attempt layers seeing
//! the request as sent. Against a keep-alive loopback hyper server that counts the
//! connections it accepts.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use conf_core::layers::AttemptService;
use conf_core::{AttemptRequest, Body, Client, ClientConfig, CookieJar, Error, Operation};
use http::{HeaderValue, Method};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use url::Url;

/// The server: `/login` sets a cookie; every path answers `{"cookie": <Cookie header or null>}`.
struct Server {
    url: String,
    accepted: Arc<AtomicUsize>,
}

async fn serve() -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        loop {
            let (sock, _) = listener.accept().await.unwrap();
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let svc = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                    let cookie = req.headers().get("cookie").map(|v| v.to_str().unwrap().to_owned());
                    let login = req.uri().path() == "/login";
                    let _ = req.into_body().collect().await;
                    let mut resp = hyper::Response::builder().header("content-type", "application/json");
                    if login {
                        resp = resp.header("set-cookie", "session=s3cret-cookie");
                    }
                    let body = serde_json::json!({ "cookie": cookie }).to_string();
                    Ok::<_, Infallible>(resp.body(Full::new(Bytes::from(body))).unwrap())
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(sock), svc).await;
            });
        }
    });
    Server { url, accepted }
}

fn config(url: &str) -> ClientConfig {
    ClientConfig::parse(url).unwrap().proxy_from_env(false)
}

fn get(path: &'static str) -> Operation {
    Operation::new("test", "get", Method::GET, path, path)
}

async fn cookie_seen(client: &Client, path: &'static str) -> Option<String> {
    let v: serde_json::Value = client.execute_json(get(path)).await.unwrap();
    v["cookie"].as_str().map(str::to_owned)
}

/// A jar keeping every cookie for every URL, recording where cookies came from.
#[derive(Default)]
struct Jar {
    cookies: Mutex<Vec<String>>,
    set_from: Mutex<Vec<String>>,
}

impl CookieJar for Jar {
    fn set_cookies(&self, set_cookie: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        for v in set_cookie {
            self.cookies.lock().unwrap().push(v.to_str().unwrap().to_owned());
            self.set_from.lock().unwrap().push(url.path().to_owned());
        }
    }

    fn cookies(&self, _url: &Url) -> Option<HeaderValue> {
        let cookies = self.cookies.lock().unwrap();
        (!cookies.is_empty()).then(|| HeaderValue::from_str(&cookies.join("; ")).unwrap())
    }
}

#[tokio::test]
async fn a_cookie_jar_keeps_what_answers_set_and_sends_it() {
    let srv = serve().await;
    let jar = Arc::new(Jar::default());
    let client = Client::builder(config(&srv.url)).cookie_jar(jar.clone()).build().unwrap();
    assert_eq!(cookie_seen(&client, "/login").await, None);
    assert_eq!(cookie_seen(&client, "/rooms").await.as_deref(), Some("session=s3cret-cookie"));
    assert_eq!(*jar.set_from.lock().unwrap(), ["/login"]);
    // Without a jar, no cookie is kept.
    let plain = Client::builder(config(&srv.url)).build().unwrap();
    assert_eq!(cookie_seen(&plain, "/login").await, None);
    assert_eq!(cookie_seen(&plain, "/rooms").await, None);
}

#[tokio::test]
async fn shared_connections_reuse_one_pool_and_its_cookie_jar() {
    let srv = serve().await;
    let jar = Arc::new(Jar::default());
    let first = Client::builder(config(&srv.url)).cookie_jar(jar).build().unwrap();
    let second = Client::builder(config(&srv.url)).share_connections(&first).build().unwrap();
    cookie_seen(&first, "/login").await;
    for _ in 0..3 {
        assert_eq!(cookie_seen(&second, "/rooms").await.as_deref(), Some("session=s3cret-cookie"));
        cookie_seen(&first, "/rooms").await;
    }
    assert_eq!(srv.accepted.load(Ordering::SeqCst), 1, "one keep-alive connection serves both clients");
    // A client of its own opens its own connection.
    let own = Client::builder(config(&srv.url)).build().unwrap();
    assert_eq!(cookie_seen(&own, "/rooms").await, None);
    assert_eq!(srv.accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_jar_and_shared_connections_do_not_combine() {
    let srv = serve().await;
    let first = Client::builder(config(&srv.url)).build().unwrap();
    let e = Client::builder(config(&srv.url)).share_connections(&first).cookie_jar(Arc::new(Jar::default())).build().unwrap_err();
    assert!(matches!(&e, Error::InvalidInput { field, .. } if field == "cookie_jar"), "{e}");
}

/// What an attempt layer saw: method, path, body, whether the signature header was sensitive.
type Seen = (Method, String, Option<Vec<u8>>, bool);

/// Records what each attempt carried, as sent.
#[derive(Clone, Default)]
struct Record(Arc<Mutex<Vec<Seen>>>);

impl tower::Layer<AttemptService> for Record {
    type Service = AttemptService;
    fn layer(&self, inner: AttemptService) -> AttemptService {
        let seen = self.0.clone();
        AttemptService::new(tower::util::MapRequest::new(inner, move |req: AttemptRequest| {
            let signed = req.headers().get("x-sig").is_some_and(HeaderValue::is_sensitive);
            seen.lock().unwrap().push((req.method().clone(), req.url().path().to_owned(), req.body_bytes().map(<[u8]>::to_vec), signed));
            req
        }))
    }
}

/// Signs every attempt with a sensitive header.
struct Sign;

impl conf_core::Hook for Sign {
    fn name(&self) -> &'static str {
        "sign"
    }
    fn modify_before_signing(&self, _op: &Operation, parts: &mut conf_core::AttemptParts) -> Result<(), Error> {
        parts.set_secret_header("x-sig", "s3cret")
    }
}

#[tokio::test]
async fn attempt_layers_see_the_request_as_sent() {
    let srv = serve().await;
    let record = Record::default();
    let client = Client::builder(config(&srv.url)).hook(Arc::new(Sign)).attempt_layer(record.clone()).build().unwrap();
    let op = Operation::new("test", "create", Method::POST, "/create", "/create")
        .body(Body::Json { bytes: Bytes::from_static(br#"{"a":1}"#), content_type: None });
    client.execute(op).await.unwrap();
    let seen = record.0.lock().unwrap().clone();
    assert_eq!(seen, [(Method::POST, "/create".to_owned(), Some(br#"{"a":1}"#.to_vec()), true)]);
}
