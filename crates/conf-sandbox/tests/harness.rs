//! The harness seen from a real HTTP client: every fault, rule counting, the request log,
//! refusal and re-binding, streaming passthrough and stream control.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use conf_sandbox::harness::sse::{Hub, SseEvent, sse_response};
use conf_sandbox::harness::{MALFORMED_JSON_BODY, nginx_error_page};
use conf_sandbox::{Fault, FaultRule, Server};
use http::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The tiny emulator under the harness: a counter, a JSON document, an SSE stream.
#[derive(Clone)]
struct Toy {
    handled: Arc<AtomicUsize>,
    hub: Hub<SseEvent>,
}

const DOC: &str = r#"{"code":0,"data":{"meetings":[{"id":"1","subject":"weekly"},{"id":"2","subject":"board"}]}}"#;

impl Toy {
    fn new() -> Self {
        Self { handled: Arc::new(AtomicUsize::new(0)), hub: Hub::new(16) }
    }

    fn handled(&self) -> usize {
        self.handled.load(Ordering::SeqCst)
    }

    fn router(&self) -> Router {
        Router::new()
            .route(
                "/count",
                post(|State(toy): State<Toy>, body: String| async move {
                    let n = toy.handled.fetch_add(1, Ordering::SeqCst) + 1;
                    axum::Json(serde_json::json!({ "n": n, "echo": body }))
                }),
            )
            .route(
                "/doc",
                get(|State(toy): State<Toy>| async move {
                    toy.handled.fetch_add(1, Ordering::SeqCst);
                    ([(http::header::CONTENT_TYPE, "application/json")], DOC)
                }),
            )
            .route(
                "/events",
                get(|State(toy): State<Toy>| async move {
                    sse_response(
                        toy.hub.control(),
                        toy.hub.stream(),
                        Some(Duration::from_millis(20)),
                    )
                }),
            )
            .with_state(self.clone())
    }

    fn start(&self) -> Server {
        Server::start(self.router()).expect("server starts")
    }
}

/// A client with fresh connections per request (unless said otherwise) and no proxy.
fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).build().unwrap()
}

fn pooled_client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn post_count(server: &Server, body: &str) -> reqwest::Result<reqwest::Response> {
    client().post(server.url("/count")).body(body.to_owned()).send().await
}

#[tokio::test]
async fn ready_when_start_returns() {
    let toy = Toy::new();
    let started = Instant::now();
    let server = toy.start();
    let start_time = started.elapsed();
    // connect immediately, before the accept task had any chance to run
    let raw = std::net::TcpStream::connect(server.addr()).expect("connect right after start");
    drop(raw);
    let response = post_count(&server, "hi").await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(server.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(server.base_url(), format!("http://{}", server.addr()));
    eprintln!("measured: Server::start took {start_time:?}");
}

#[tokio::test]
async fn log_records_every_request_in_order() {
    let toy = Toy::new();
    let server = toy.start();
    let c = client();
    c.post(server.url("/count?x=1&name=a%20b")).header("X-Trace", "t1").body("first body").send().await.unwrap();
    c.get(server.url("/doc")).send().await.unwrap();
    c.post(server.url("/count")).body(vec![0u8, 159, 146, 150]).send().await.unwrap();
    c.get(server.url("/nowhere?q")).send().await.unwrap();

    let log = server.log();
    assert_eq!(log.len(), 4);
    let entries = log.entries();
    let first = &entries[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, "/count");
    assert_eq!(first.query.as_deref(), Some("x=1&name=a%20b"));
    assert_eq!(first.query_param("name").as_deref(), Some("a b"));
    assert_eq!(first.header("x-trace"), Some("t1"));
    assert_eq!(first.body.as_ref(), b"first body");
    assert_eq!(first.fault, None);
    assert_eq!(entries[1].path, "/doc");
    assert_eq!(entries[1].query, None);
    assert_eq!(entries[2].body.as_ref(), &[0u8, 159, 146, 150]);
    assert_eq!(entries[3].query.as_deref(), Some("q"));

    assert_eq!(log.count("POST", "/count"), 2);
    assert_eq!(log.count("post", "/count"), 2);
    assert_eq!(log.count("GET", "/count"), 0);
    assert_eq!(log.count("GET", "/nowhere"), 1);
    assert_eq!(log.count_matching(|r| r.method == "GET"), 2);
    assert_eq!(log.last().unwrap().path, "/nowhere");
    log.clear();
    assert!(log.is_empty());
    c.get(server.url("/doc")).send().await.unwrap();
    assert_eq!(log.count("GET", "/doc"), 1);
}

#[tokio::test]
async fn short_delay_then_normal_handling() {
    let toy = Toy::new();
    let server = toy.start();
    server.faults().always(Fault::Delay(Duration::from_millis(80)));
    let started = Instant::now();
    let response = post_count(&server, "x").await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(80));
    assert_eq!(response.status(), 200);
    assert_eq!(toy.handled(), 1);
    assert_eq!(server.log().entries()[0].fault.as_deref(), Some("Delay(80ms)"));
}

#[tokio::test]
async fn long_delay_trips_the_client_timeout() {
    let toy = Toy::new();
    let server = toy.start();
    server.faults().always(Fault::Delay(Duration::from_secs(30)));
    let err = client().post(server.url("/count")).timeout(Duration::from_millis(100)).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(toy.handled(), 0);
    assert_eq!(server.log().count("POST", "/count"), 1);
}

#[tokio::test]
async fn drop_before_body_closes_without_reading() {
    let toy = Toy::new();
    let server = toy.start();
    server.faults().always(Fault::DropBeforeBody);
    let err = post_count(&server, "never read").await.unwrap_err();
    assert!(err.is_request() || err.is_connect() || err.is_body(), "{err:?}");
    assert_eq!(toy.handled(), 0);
    let entry = server.log().last().unwrap();
    assert_eq!(entry.fault.as_deref(), Some("DropBeforeBody"));
    assert!(entry.body.is_empty());
}

#[tokio::test]
async fn drop_after_body_reads_but_does_not_handle() {
    let toy = Toy::new();
    let server = toy.start();
    server.faults().always(Fault::DropAfterBody);
    assert!(post_count(&server, "read, not handled").await.is_err());
    assert_eq!(toy.handled(), 0);
    let entry = server.log().last().unwrap();
    assert_eq!(entry.fault.as_deref(), Some("DropAfterBody"));
    assert_eq!(entry.body.as_ref(), b"read, not handled");
}

#[tokio::test]
async fn drop_after_handling_changes_state_but_answers_nothing() {
    let toy = Toy::new();
    let server = toy.start();
    server.faults().always(Fault::DropAfterHandling);
    assert!(post_count(&server, "handled").await.is_err());
    assert_eq!(toy.handled(), 1, "the emulator ran");
    assert!(post_count(&server, "again").await.is_err());
    assert_eq!(toy.handled(), 2);
    assert_eq!(server.log().count("POST", "/count"), 2);
}

#[tokio::test]
async fn dropped_connection_seen_on_a_raw_socket() {
    // no response bytes at all: the socket reads EOF (or a reset)
    let toy = Toy::new();
    let server = toy.start();
    server.faults().always(Fault::DropAfterHandling);
    let mut raw = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    raw.write_all(b"POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi").await.unwrap();
    let mut buf = Vec::new();
    let read = raw.read_to_end(&mut buf).await;
    assert!(read.is_err() || buf.is_empty(), "got {:?}", String::from_utf8_lossy(&buf));
    assert_eq!(toy.handled(), 1);
}

#[tokio::test]
async fn status_faults_answer_without_the_emulator() {
    let toy = Toy::new();
    let server = toy.start();
    let id = server.faults().always(Fault::retry_after(429, "1"));
    let response = post_count(&server, "x").await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    assert!(response.text().await.unwrap().is_empty());
    server.faults().remove(id);

    server.faults().always(Fault::Status {
        status: 500,
        retry_after: None,
        body: "{\"code\":500}".into(),
        content_type: "application/json".into(),
    });
    let response = post_count(&server, "x").await.unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(response.headers().get("retry-after").is_none());
    assert_eq!(response.text().await.unwrap(), "{\"code\":500}");
    assert_eq!(toy.handled(), 0);
    server.faults().clear();

    server.faults().always(Fault::status(503));
    assert_eq!(post_count(&server, "x").await.unwrap().status(), 503);
    assert_eq!(toy.handled(), 0);
    assert_eq!(server.log().last().unwrap().fault.as_deref(), Some("Status(503)"));
}

#[tokio::test]
async fn nginx_error_page_is_the_real_one() {
    let toy = Toy::new();
    let server = toy.start();
    server.faults().always(Fault::NginxHtml(502));
    let response = client().get(server.url("/doc")).send().await.unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(response.headers()["content-type"], "text/html");
    assert_eq!(response.headers()["server"], "nginx");
    let body = response.text().await.unwrap();
    assert_eq!(
        body,
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    assert!(nginx_error_page(504).contains("<title>504 Gateway Timeout</title>"));
    assert_eq!(toy.handled(), 0);
}

#[tokio::test]
async fn malformed_json_is_200_and_not_json() {
    let toy = Toy::new();
    let server = toy.start();
    server.faults().always(Fault::MalformedJson);
    let response = client().get(server.url("/doc")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body = response.bytes().await.unwrap();
    assert_eq!(body.as_ref(), MALFORMED_JSON_BODY.as_bytes());
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());
    assert_eq!(toy.handled(), 0);
}

#[tokio::test]
async fn truncated_json_is_the_first_half_with_matching_length() {
    let toy = Toy::new();
    let server = toy.start();
    server.faults().always(Fault::TruncatedJson);
    let response = client().get(server.url("/doc")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let half = DOC.len() / 2;
    assert_eq!(response.content_length(), Some(half as u64));
    let body = response.bytes().await.unwrap();
    assert_eq!(body.as_ref(), &DOC.as_bytes()[..half]);
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());
    assert_eq!(toy.handled(), 1, "the emulator handled the request");
}

#[tokio::test]
async fn canned_body_replaces_the_answer() {
    let toy = Toy::new();
    let server = toy.start();
    server.faults().add(FaultRule::new(Fault::json(200, r#"{"code":0,"data":"surprise"}"#)).path_exact("/doc"));
    server.faults().add(FaultRule::new(Fault::Body {
        status: 202,
        content_type: "text/plain; charset=utf-8".into(),
        body: "plain".into(),
    }));
    let response = client().get(server.url("/doc")).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.text().await.unwrap(), r#"{"code":0,"data":"surprise"}"#);
    let response = post_count(&server, "x").await.unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(response.text().await.unwrap(), "plain");
    assert_eq!(toy.handled(), 0);
}

#[tokio::test]
async fn expire_credentials_runs_the_hook_then_handles() {
    let toy = Toy::new();
    let server = toy.start();
    let expired = Arc::new(AtomicUsize::new(0));
    let hook_count = Arc::clone(&expired);
    // the hook sees the state before the request is handled
    let seen_handled = Arc::new(AtomicUsize::new(usize::MAX));
    let (toy2, seen) = (toy.clone(), Arc::clone(&seen_handled));
    server.on_expire_credentials(move || {
        hook_count.fetch_add(1, Ordering::SeqCst);
        seen.store(toy2.handled(), Ordering::SeqCst);
    });
    server.faults().add(FaultRule::new(Fault::ExpireCredentials).path_exact("/count").skip(1).once());
    for _ in 0..3 {
        assert_eq!(post_count(&server, "x").await.unwrap().status(), 200);
    }
    assert_eq!(expired.load(Ordering::SeqCst), 1);
    assert_eq!(seen_handled.load(Ordering::SeqCst), 1, "hook ran before the 2nd request was handled");
    assert_eq!(toy.handled(), 3);
    let faults: Vec<_> = server.log().entries().into_iter().map(|e| e.fault).collect();
    assert_eq!(faults, vec![None, Some("ExpireCredentials".to_owned()), None]);
    server.expire_credentials();
    assert_eq!(expired.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn skip_times_method_and_prefix_matching() {
    let toy = Toy::new();
    let server = toy.start();
    let id = server.faults().add(FaultRule::new(Fault::status(503)).method(Method::POST).path_prefix("/co").skip(2).times(2));
    let c = client();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        // a GET on the same path never matches the POST rule
        assert_eq!(c.get(server.url("/doc")).send().await.unwrap().status(), 200);
        statuses.push(post_count(&server, "x").await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 503, 503, 200, 200]);
    assert_eq!(server.faults().applied(id), Some(2));
    assert_eq!(toy.handled(), 6 + 4);
    let faulted = server.log().count_matching(|r| r.fault.is_some());
    assert_eq!(faulted, 2);

    // exact path does not match a longer path
    server.faults().clear();
    server.faults().add(FaultRule::new(Fault::status(500)).path_exact("/do"));
    assert_eq!(c.get(server.url("/doc")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn refusing_closes_the_port_and_rebinds_it() {
    let toy = Toy::new();
    let server = toy.start();
    let addr = server.addr();
    assert_eq!(post_count(&server, "x").await.unwrap().status(), 200);

    server.set_refusing(true);
    assert!(server.is_refusing());
    let err = tokio::net::TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    let err = post_count(&server, "x").await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    // idempotent
    server.set_refusing(true);

    server.set_refusing(false);
    assert!(!server.is_refusing());
    assert_eq!(server.addr(), addr);
    assert_eq!(post_count(&server, "x").await.unwrap().status(), 200);
    assert_eq!(toy.handled(), 2);
    assert_eq!(server.log().count("POST", "/count"), 2);
    server.set_refusing(false);
    assert_eq!(post_count(&server, "x").await.unwrap().status(), 200);
}

#[tokio::test]
async fn refusing_closes_idle_kept_alive_connections() {
    let toy = Toy::new();
    let server = toy.start();
    let mut raw = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    raw.write_all(b"GET /doc HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    while !String::from_utf8_lossy(&got).contains("board") {
        let n = raw.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before the response");
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(server.connection_count(), 1);
    server.set_refusing(true);
    // the idle keep-alive connection is closed by the server: EOF
    let n =
        tokio::time::timeout(Duration::from_secs(5), raw.read(&mut buf)).await.expect("the server closes the idle connection").unwrap_or(0);
    assert_eq!(n, 0);

    // a pooled reqwest client recovers after re-binding
    server.set_refusing(false);
    let c = pooled_client();
    assert_eq!(c.get(server.url("/doc")).send().await.unwrap().status(), 200);
    server.set_refusing(true);
    assert!(c.get(server.url("/doc")).send().await.is_err());
    server.set_refusing(false);
    assert_eq!(c.get(server.url("/doc")).send().await.unwrap().status(), 200);
    assert_eq!(server.log().count("GET", "/doc"), 3);
}

/// Reads SSE chunks until `needle` has arrived; returns everything read.
async fn read_until(response: &mut reqwest::Response, needle: &str) -> String {
    let mut text = String::new();
    while !text.contains(needle) {
        let chunk = tokio::time::timeout(Duration::from_secs(5), response.chunk())
            .await
            .unwrap_or_else(|_| panic!("{needle:?} did not arrive; got {text:?}"))
            .unwrap()
            .expect("stream ended early");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}

#[tokio::test]
async fn sse_passes_through_unbuffered_and_can_be_cut() {
    let toy = Toy::new();
    let server = toy.start();
    let mut response = client().get(server.url("/events")).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    toy.hub.wait_for_subscribers(1).await;
    toy.hub.publish(SseEvent::json("joined", &serde_json::json!({"id": 1})));
    let text = read_until(&mut response, "\n\n").await;
    assert!(text.contains("event: joined\ndata: {\"id\":1}\n\n"), "{text:?}");
    // keep-alive comments flow while quiet
    read_until(&mut response, ": keep-alive").await;

    toy.hub.control().cut_streams();
    // the body ends cleanly (terminating chunk): no error
    while let Some(_chunk) = response.chunk().await.unwrap() {}
    assert_eq!(toy.hub.control().cut_count(), 1);

    // a stream opened after the cut is normal
    let mut response = client().get(server.url("/events")).send().await.unwrap();
    toy.hub.wait_for_subscribers(1).await;
    toy.hub.publish(SseEvent::data("again"));
    read_until(&mut response, "data: again\n\n").await;
}

#[tokio::test]
async fn sse_stall_sends_nothing_until_resumed_and_abort_breaks() {
    let toy = Toy::new();
    let server = toy.start();
    let mut response = client().get(server.url("/events")).send().await.unwrap();
    toy.hub.wait_for_subscribers(1).await;
    toy.hub.publish(SseEvent::new("a", "1"));
    read_until(&mut response, "data: 1\n\n").await;

    toy.hub.control().stall_streams();
    // let the stall take effect: drain what was in flight (at most a keep-alive)
    let _ = tokio::time::timeout(Duration::from_millis(50), response.chunk()).await;
    toy.hub.publish(SseEvent::new("b", "2"));
    // keep-alives are every 20 ms: 10 intervals of total silence
    let quiet = tokio::time::timeout(Duration::from_millis(200), response.chunk()).await;
    assert!(quiet.is_err(), "stalled stream sent {quiet:?}");

    toy.hub.control().resume();
    read_until(&mut response, "event: b\ndata: 2\n\n").await;

    toy.hub.control().abort_streams();
    let mut ended_with_error = false;
    loop {
        match response.chunk().await {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => {
                ended_with_error = true;
                break;
            }
        }
    }
    assert!(ended_with_error, "an aborted stream must not end cleanly");
}

#[tokio::test]
async fn shutdown_closes_streams_and_drop_stops_the_server() {
    let toy = Toy::new();
    let server = toy.start();
    let addr = server.addr();
    let mut response = client().get(server.url("/events")).send().await.unwrap();
    toy.hub.wait_for_subscribers(1).await;
    assert_eq!(server.connection_count(), 1);
    server.shutdown().await;
    while let Ok(Some(_)) = response.chunk().await {}
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    let server = toy.start();
    let addr = server.addr();
    drop(server);
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// A long poll under stream control, the way a CometD emulator uses it.
#[tokio::test]
async fn long_poll_is_answered_cut_and_held_by_a_stall() {
    use conf_sandbox::harness::sse::Interrupt;
    let hub: Hub<String> = Hub::new(8);
    let poll_hub = hub.clone();
    let router = Router::new().route(
        "/poll",
        get(move || {
            let hub = poll_hub.clone();
            async move {
                let mut rx = hub.subscribe();
                let mut watch = hub.control().watch();
                match watch.run(rx.recv()).await {
                    Ok(Ok(message)) => message,
                    Ok(Err(_)) => "closed".to_owned(),
                    Err(Interrupt::Cut) => "cut".to_owned(),
                    Err(Interrupt::Abort) => "abort".to_owned(),
                }
            }
        }),
    );
    let server = Server::start(router).unwrap();
    let c = client();

    let pending = tokio::spawn(c.get(server.url("/poll")).send());
    hub.wait_for_subscribers(1).await;
    hub.publish("event-1".to_owned());
    assert_eq!(pending.await.unwrap().unwrap().text().await.unwrap(), "event-1");

    let pending = tokio::spawn(c.get(server.url("/poll")).send());
    hub.wait_for_subscribers(1).await;
    hub.control().cut_streams();
    assert_eq!(pending.await.unwrap().unwrap().text().await.unwrap(), "cut");

    hub.control().stall_streams();
    let mut pending = tokio::spawn(c.get(server.url("/poll")).send());
    hub.wait_for_subscribers(1).await;
    hub.publish("event-2".to_owned());
    let held = tokio::time::timeout(Duration::from_millis(150), &mut pending).await;
    assert!(held.is_err(), "a stalled long poll answered");
    hub.control().resume();
    assert_eq!(pending.await.unwrap().unwrap().text().await.unwrap(), "event-2");
}

#[tokio::test]
async fn rules_can_filter_on_query_and_body() {
    let toy = Toy::new();
    let server = toy.start();
    // one path, dispatching on a body field: fault only the create call
    server.faults().add(FaultRule::new(Fault::DropAfterHandling).path_exact("/count").body_contains(r#""action":"create""#).once());
    server.faults().add(FaultRule::new(Fault::status(504)).query_contains("slow=1"));
    assert_eq!(post_count(&server, r#"{"action":"state"}"#).await.unwrap().status(), 200);
    assert!(post_count(&server, r#"{"action":"create"}"#).await.is_err());
    assert_eq!(post_count(&server, r#"{"action":"create"}"#).await.unwrap().status(), 200);
    assert_eq!(toy.handled(), 3, "the dropped create was handled");
    let faults: Vec<_> = server.log().entries().into_iter().map(|e| e.fault).collect();
    assert_eq!(faults, vec![None, Some("DropAfterHandling".to_owned()), None]);

    let c = client();
    assert_eq!(c.get(server.url("/doc?slow=1")).send().await.unwrap().status(), 504);
    assert_eq!(c.get(server.url("/doc?slow=0")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn wait_for_requests_in_the_log() {
    let toy = Toy::new();
    let server = toy.start();
    let url = server.url("/count");
    let background = tokio::spawn(async move {
        for i in 0..3 {
            client().post(&url).body(format!("beat {i}")).send().await.unwrap();
        }
    });
    tokio::time::timeout(Duration::from_secs(10), server.log().wait_for(1, |r| r.body.as_ref() == b"beat 2"))
        .await
        .expect("the third heartbeat arrives");
    assert_eq!(server.log().count("POST", "/count"), 3);
    background.await.unwrap();
    // a condition that never holds keeps waiting
    let never = tokio::time::timeout(Duration::from_millis(50), server.log().wait_for(4, |_| true)).await;
    assert!(never.is_err());
}
