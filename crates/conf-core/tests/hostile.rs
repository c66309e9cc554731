//! conf-core against hostile or broken servers on loopback: redirects, oversized and
//! endless error bodies, control characters, absurd numbers; and errors that name the
//! origin they went to.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Scripted, Seen, Step, closed_port};
use conf_core::{Body, Client, ClientConfig, Error, Negotiator, Operation, RedirectPolicy, RetryPolicy};
use futures_util::future::BoxFuture;
use http::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn config(url: &str) -> ClientConfig {
    ClientConfig::parse(url).unwrap().proxy_from_env(false).attempt_timeout(Duration::from_secs(5)).retry(RetryPolicy::disabled())
}

fn get(path: &'static str) -> Operation {
    Operation::new("test", "get", Method::GET, path, path).query("account_token", "s3cret-token")
}

fn post(path: &'static str) -> Operation {
    Operation::new("test", "create", Method::POST, path, path).body(Body::Form(vec![("password".into(), "s3cret-pw".into())]))
}

fn redirect_to(status: u16, location: String) -> Step {
    Step::Answer(status, vec![("location", location)], String::new())
}

fn no_referer(requests: &[Seen]) {
    for r in requests {
        assert!(r.header("referer").is_none(), "Referer sent: {r:?}");
    }
}

#[tokio::test]
async fn cross_host_redirects_are_refused_and_the_other_host_hears_nothing() {
    let b = Scripted::start(vec![Step::ok()]).await;
    for policy in [RedirectPolicy::Refuse, RedirectPolicy::SameOrigin { max_hops: 3 }] {
        for status in [301u16, 302, 303, 307, 308] {
            let target = format!("{}/steal?account_token=s3cret-token", b.url());
            let a = Scripted::start(vec![redirect_to(status, target)]).await;
            let client = Client::builder(config(&a.url()).redirects(policy)).build().unwrap();
            for op in [get("/r"), post("/r")] {
                let e = client.execute(op).await.unwrap_err();
                let Error::Redirect { status: s, from, to, .. } = &e else { panic!("{e:?}") };
                assert_eq!((*s, from.as_str(), to.as_str()), (status, a.url().as_str(), b.url().as_str()));
                let shown = e.to_string();
                assert!(shown.contains(&a.url()) && shown.contains(&b.url()), "{shown}");
                assert!(!shown.contains("s3cret") && !shown.contains("/steal"), "{shown}");
                assert!(!e.is_retryable());
            }
            no_referer(&a.requests());
        }
    }
    assert!(b.requests().is_empty(), "the second host received {:?}", b.requests());
}

#[tokio::test]
async fn same_origin_redirects_are_followed_only_when_allowed_and_without_a_body() {
    let a = Scripted::route(|seen, _| match seen.path() {
        "/old" => redirect_to(302, "/new?x=1".into()),
        "/post" => redirect_to(307, "/post2".into()),
        "/loop" => redirect_to(302, "/loop".into()),
        _ => Step::ok(),
    })
    .await;
    // Default: not followed, even on the same origin.
    let refuse = Client::builder(config(&a.url())).build().unwrap();
    let e = refuse.execute(get("/old")).await.unwrap_err();
    assert!(matches!(&e, Error::Redirect { reason, .. } if reason.contains("follow no redirect")), "{e}");
    assert_eq!(a.hits("/new"), 0);
    // Opt-in: a GET follows, keeping its credentials on the same origin, with no Referer.
    let follow = Client::builder(config(&a.url()).redirects(RedirectPolicy::SameOrigin { max_hops: 2 })).build().unwrap();
    let op = get("/old").header("token", "hdr-secret").unwrap();
    assert_eq!(follow.execute(op).await.unwrap().status, 200);
    let second = a.requests().into_iter().find(|r| r.path() == "/new").unwrap();
    assert_eq!(second.header("token"), Some("hdr-secret"));
    no_referer(&a.requests());
    // A body is never resent: 307 on a POST is an error, the target hears nothing.
    let e = follow.execute(post("/post")).await.unwrap_err();
    assert!(matches!(&e, Error::Redirect { status: 307, reason, .. } if reason.contains("body")), "{e}");
    assert_eq!(a.hits("/post2"), 0);
    // A loop ends after the hop limit.
    let e = follow.execute(get("/loop")).await.unwrap_err();
    assert!(matches!(&e, Error::Redirect { reason, .. } if reason.contains("more than 2")), "{e}");
    assert_eq!(a.hits("/loop"), 3);
}

/// A server that answers every request with `head` and then `body_chunk` repeated
/// `repeats` times (no length: the body ends when the connection closes).
async fn streaming_server(head: &'static str, body_chunk: Vec<u8>, repeats: usize) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let chunk = Arc::new(body_chunk);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let chunk = chunk.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let _ = sock.write_all(head.as_bytes()).await;
                for _ in 0..repeats {
                    if sock.write_all(&chunk).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

#[tokio::test]
async fn error_bodies_are_read_up_to_their_cap_and_never_parsed() {
    // 64 MiB of JSON in a 500 (within the success cap): only the first 4 KiB are read.
    let url =
        streaming_server("HTTP/1.1 500 X\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n", vec![b'['; 64 * 1024], 1024)
            .await;
    let mut cfg = config(&url);
    cfg.max_error_body_bytes = 4096;
    let client = Client::builder(cfg.clone()).build().unwrap();
    let e = client.execute(get("/big")).await.unwrap_err();
    assert_eq!(e.http_status(), Some(500));
    assert!(e.to_string().contains("body over 4096 bytes: not read further"), "{e}");
    // The same on a stream's error answer.
    let e = client.open_stream(get("/events")).await.unwrap_err();
    assert!(e.to_string().contains("body over 4096 bytes: not read further"), "{e}");
    // A body within the cap is handed to the envelope as before.
    let small = Scripted::start(vec![Step::json(500, r#"{"error":"boom"}"#)]).await;
    let e = Client::builder(config(&small.url())).build().unwrap().open_stream(get("/x")).await.unwrap_err();
    assert!(e.to_string().contains("boom"), "{e}");
}

#[tokio::test]
async fn server_text_is_sanitised_in_every_message() {
    let title = format!("<html><head><title>evil\u{1b}]0;pwned\u{7}\r{}</title></head></html>", "x".repeat(1_000_000));
    let srv = Scripted::route(move |seen, _| match seen.path() {
        "/html" => Step::Answer(502, vec![("content-type", "text/html".into())], title.clone()),
        _ => Step::json(500, "{\"msg\":\"bell\u{7} esc\u{1b}[2J nul\u{0}\"}"),
    })
    .await;
    let mut cfg = config(&srv.url());
    cfg.max_error_body_bytes = 2 * 1024 * 1024;
    let client = Client::builder(cfg).build().unwrap();
    for path in ["/html", "/json"] {
        let op = Operation::new("test", "get", Method::GET, "/x", path);
        let shown = client.execute(op).await.unwrap_err().to_string();
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert!(shown.chars().count() < 400, "{} chars", shown.chars().count());
    }
    let vendor = Error::Vendor {
        request: conf_core::RequestInfo::none("t", "op"),
        vendor: "v",
        code: "\u{1b}[31m1".into(),
        message: format!("platform says: {}\u{7}", "y".repeat(10_000)),
        retryable: false,
        request_id: Some("id\r\n".into()),
    };
    let shown = vendor.to_string();
    assert!(!shown.chars().any(char::is_control) && shown.chars().count() < 800 && shown.contains('…'), "{shown:?}");
}

#[tokio::test]
async fn errors_name_the_origin_never_the_query() {
    let srv = Scripted::start(vec![Step::json(503, "{}")]).await;
    let client = Client::builder(config(&format!("{}/prefix", srv.url()))).build().unwrap();
    let e = client.execute(get("/r")).await.unwrap_err();
    assert_eq!(e.to_string(), format!("test.get (GET /r at {}): HTTP 503: {{}}", srv.url()));
    let dead = closed_port().await;
    let client = Client::builder(config(&format!("http://user:pw@{dead}"))).build().unwrap();
    let e = client.execute(get("/r")).await.unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e:?}");
    let shown = e.to_string();
    assert!(shown.starts_with(&format!("test.get (GET /r at http://{dead}): transport error")), "{shown}");
    assert!(!shown.contains("s3cret") && !shown.contains("pw@") && !shown.contains("account_token"), "{shown}");
    // A vendor error built by an envelope from the attempt's description names it too.
    struct Env;
    impl conf_core::Envelope for Env {
        fn check(&self, request: &conf_core::RequestInfo, _: &conf_core::RawResponse) -> Result<(), Error> {
            Err(Error::vendor(request.clone(), "v", "42", "no", false))
        }
    }
    let ok = Scripted::start(vec![Step::ok()]).await;
    let client = Client::builder(config(&ok.url())).envelope(Env).build().unwrap();
    let e = client.execute(get("/r")).await.unwrap_err();
    assert_eq!(e.to_string(), format!("test.get (GET /r at {}): v error 42: no", ok.url()));
    // An https origin carries its default port.
    let c = ClientConfig::parse("https://meet.example.com/x?token=1").unwrap();
    assert_eq!(conf_core::error::origin(&c.base_url), "https://meet.example.com:443");
}

struct Discover;

impl Negotiator for Discover {
    fn discover(&self, via: conf_core::negotiate::Discovery, app: &'static str) -> BoxFuture<'static, Result<u32, Error>> {
        Box::pin(async move {
            let op = Operation::new("test", "version", Method::GET, "/api/{app}/version", format!("/api/{app}/version"));
            let v: serde_json::Value = via.execute_json(op).await?;
            Ok(u32::try_from(v["level"].as_u64().unwrap_or(0)).unwrap_or(0))
        })
    }
}

#[tokio::test]
async fn a_failed_discovery_is_reported_under_the_callers_operation() {
    let srv = Scripted::route(|seen, _| if seen.path().ends_with("/version") { Step::json(404, "{}") } else { Step::ok() }).await;
    let client = Client::builder(config(&srv.url())).negotiator(Arc::new(Discover)).build().unwrap();
    let op = Operation::new("test", "list_confs", Method::GET, "/api/v1/mc/confs", "/api/v1/mc/confs").min_level("mc", 2);
    let e = client.execute(op).await.unwrap_err();
    assert!(matches!(&e, Error::Discovery { app: "mc", .. }), "{e:?}");
    assert_eq!(e.http_status(), Some(404));
    assert_eq!(
        e.to_string(),
        format!(
            "test.list_confs (GET /api/v1/mc/confs at {}): API-Level discovery of app `mc` failed: GET /api/mc/version: HTTP 404: {{}}",
            srv.url()
        )
    );
    assert_eq!(srv.hits("/api/v1/mc/confs"), 0);
}

#[tokio::test]
async fn absurd_retry_after_values_do_not_panic() {
    for value in ["18446744073709551615", "99999999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT", "-5", "1e30"] {
        let srv = Scripted::start(vec![Step::Answer(503, vec![("retry-after", value.to_string())], String::new()), Step::ok()]).await;
        let cfg = config(&srv.url()).retry(RetryPolicy::default().max_attempts(2));
        let client = Client::builder(cfg).build().unwrap();
        // Beyond the honoured maximum (or unparseable): no panic, the 503 or a retry.
        let _ = client.execute(get("/r")).await;
    }
}
