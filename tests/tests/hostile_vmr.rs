//! Hostile servers against vmr-rest (issue 12 #2, #3, #6, #8): absurd token lifetimes,
//! huge error answers on the event stream, endless SSE lines and events, streams that never
//! deliver, a token refused forever, and an array where the status object belongs. One
//! test per scenario: the error kind, no panic, and the bytes the client held, bounded
//! through counters (never through wall-clock time).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use conf_core::{ClientConfig, Error, RetryPolicy};
use conf_sdk_tests::hostile::{HostileServer, RecordedRequest, Responder};
use vmr_rest::events::SseLimits;
use vmr_rest::{Event, EventOptions, EventStream, ServiceStatusRequest, SessionOptions, VmrClient, VmrSession};

const ROOM: &str = "1061";
const MIB: u64 = 1024 * 1024;

/// What the node does besides the session commands.
type Scenario = Arc<dyn Fn(RecordedRequest, Responder) -> futures_util::future::BoxFuture<'static, ()> + Send + Sync>;

/// A node answering new_session (with `expires`), refresh_session (or 403 when
/// `refuse_refresh`) and end_session; every other request goes to `scenario`.
async fn node(expires: &'static str, refuse_refresh: bool, scenario: Scenario) -> HostileServer {
    let tokens = Arc::new(AtomicU64::new(0));
    HostileServer::start(move |req: RecordedRequest, mut resp: Responder| {
        let (tokens, scenario) = (tokens.clone(), scenario.clone());
        async move {
            let target = req.target().to_string();
            if target.ends_with("/new_session") || (target.ends_with("/refresh_session") && !refuse_refresh) {
                let n = tokens.fetch_add(1, Ordering::Relaxed);
                let body = format!(
                    r#"{{"status":"success","result":{{"token":"hostile-token-{n}","expires":{expires},"participant_uuid":"u-{n}","role":"HOST"}}}}"#
                );
                let _ = resp.json(&body).await;
            } else if target.ends_with("/refresh_session") {
                let _ = resp.respond(403, &[("content-type", "application/json")], br#"{"status":"failed","result":"Invalid token"}"#).await;
            } else if target.ends_with("/end_session") {
                let _ = resp.json(r#"{"status":"success","result":true}"#).await;
            } else {
                scenario(req, resp).await;
            }
        }
    })
    .await
}

fn scenario<F, Fut>(f: F) -> Scenario
where
    F: Fn(RecordedRequest, Responder) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    Arc::new(move |req, resp| Box::pin(f(req, resp)))
}

async fn session(server: &HostileServer) -> VmrSession {
    let config = ClientConfig::parse(&server.url()).unwrap().retry(RetryPolicy::disabled()).proxy_from_env(false);
    let mcu = VmrClient::builder().config(config).build().unwrap().mcu(&server.url()).unwrap();
    mcu.session(ROOM, SessionOptions::new("hostile")).await.expect("session opens")
}

fn count(server: &HostileServer, suffix: &str) -> usize {
    server.requests().iter().filter(|r| r.target().split('?').next().unwrap_or("").ends_with(suffix)).count()
}

/// Fast reconnects and a small failure budget, so a scenario ends quickly.
fn quick() -> EventOptions {
    EventOptions::default().backoff(Duration::from_millis(1), Duration::from_millis(2)).max_failures(Some(3))
}

/// Next event, or `None` when the stream ended; bounded (virtual time in paused tests).
async fn next(events: &mut EventStream) -> Option<Event> {
    // An `Err` is the stream giving up: the end (`events.error()` keeps it).
    tokio::time::timeout(Duration::from_secs(600), events.next_event())
        .await
        .expect("the stream neither delivered nor ended")
        .and_then(Result::ok)
}

/// Drains the stream until it ends; returns the events delivered.
async fn until_end(events: &mut EventStream) -> Vec<Event> {
    let mut out = Vec::new();
    while let Some(e) = next(events).await {
        out.push(e);
    }
    out
}

#[tokio::test]
async fn an_absurd_expires_is_clamped_and_the_session_still_ends() {
    for expires in [r#""18446744073709551615""#, "18446744073709551615", "1e300", r#""0""#] {
        let server = node(
            expires,
            false,
            scenario(|_, mut resp| async move {
                let _ = resp.json(r#"{"status":"success","result":{"locked":false}}"#).await;
            }),
        )
        .await;
        let config = ClientConfig::parse(&server.url()).unwrap().retry(RetryPolicy::disabled()).proxy_from_env(false);
        let mcu = VmrClient::builder().config(config).build().unwrap().mcu(&server.url()).unwrap();
        match mcu.session(ROOM, SessionOptions::new("hostile")).await {
            Ok(s) => {
                assert!(s.stats().clamped_lifetimes >= 1, "{expires}: clamped and counted");
                s.conference().service_status_with(ServiceStatusRequest::new()).await.unwrap();
                s.close().await.unwrap();
                assert_eq!(count(&server, "/end_session"), 1, "{expires}: the session was ended");
            }
            // A lifetime that is not a number at all may be refused, as a typed error.
            Err(e) => assert!(matches!(e, Error::Decode { .. }), "{expires}: {e}"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_zero_lifetime_refused_at_refresh_backs_off_and_ends_the_replaced_sessions() {
    let server = node(
        r#""0""#,
        true,
        scenario(|_, mut resp| async move {
            let _ = resp.json(r#"{"status":"success","result":true}"#).await;
        }),
    )
    .await;
    let s = session(&server).await;
    // One virtual minute: without a back-off, a new session every ~0.5 s (120), or every
    // ~55 ms before lifetimes were clamped (over 1000).
    tokio::time::sleep(Duration::from_secs(60)).await;
    let stats = s.stats();
    let opened = count(&server, "/new_session");
    assert!(opened <= 12, "{opened} new sessions in a minute: {stats:?}");
    assert!(stats.renewals >= 3 && stats.renewal_backoffs >= 2, "{stats:?}");
    assert!(stats.clamped_lifetimes >= 3, "{stats:?}");
    // Every replaced session was ended.
    assert!(stats.ended_replaced >= stats.renewals - 1, "{stats:?}");
    assert!(count(&server, "/end_session") as u64 >= stats.renewals - 1);
    s.close().await.unwrap();
}

#[tokio::test]
async fn a_huge_error_answer_to_events_is_read_only_up_to_the_cap() {
    let server = node(
        "120",
        false,
        scenario(|_, mut resp| async move {
            if resp.open_body(500, &[("content-type", "application/json")]).await.is_ok() {
                let mut chunk = b"[".to_vec();
                chunk.extend(std::iter::repeat_n(b'1', 64 * 1024 - 1));
                resp.stream_repeat(&chunk, 256 * MIB).await;
            }
        }),
    )
    .await;
    let s = session(&server).await;
    let mut events = s.events_with(quick());
    assert!(until_end(&mut events).await.is_empty());
    let e = events.error().expect("the stream gives up with an error");
    assert!(e.to_string().contains("gave up after 3"), "{e}");
    assert_eq!(count(&server, "/events"), 3);
    // 3 x 256 MiB offered; the client read at most the error-body cap of each (socket buffers aside).
    let sent = server.bytes_sent();
    assert!(sent < 64 * MIB, "{sent} bytes sent: the error answers were read whole");
    s.close().await.unwrap();
}

#[tokio::test]
async fn an_endless_line_is_dropped_at_the_line_limit_in_linear_time() {
    let server = node(
        "120",
        false,
        scenario(|_, mut resp| async move {
            if resp.open_body(200, &[("content-type", "text/event-stream")]).await.is_ok() {
                let _ = resp.write(b"event: message\ndata: ").await;
                resp.stream_repeat(&[b'x'; 16 * 1024], 32 * MIB).await;
                let _ = resp.write(b"\n\nevent: message\ndata: {\"payload\":\"after\"}\n\n").await;
                std::future::pending::<()>().await;
            }
        }),
    )
    .await;
    let s = session(&server).await;
    let limits = SseLimits::default().max_line(64 * 1024).max_event(MIB as usize);
    let mut events = s.events_with(quick().limits(limits));
    let Some(Event::Message(m)) = next(&mut events).await else { panic!("the event after the long line") };
    assert_eq!(m.payload.as_deref(), Some("after"));
    let st = events.stats();
    assert!(st.bytes() >= 32 * MIB, "{}", st.bytes());
    assert!(st.peak_buffered() <= limits.max_line as u64, "held {} bytes", st.peak_buffered());
    assert!(st.scanned() <= st.bytes(), "each byte searched once: {} of {}", st.scanned(), st.bytes());
    assert_eq!((st.oversized_lines(), st.dropped_events()), (1, 1));
    s.close().await.unwrap();
}

#[tokio::test]
async fn data_lines_without_a_blank_line_are_dropped_at_the_event_limit() {
    let server = node(
        "120",
        false,
        scenario(|_, mut resp| async move {
            if resp.open_body(200, &[("content-type", "text/event-stream")]).await.is_ok() {
                let mut line = b"data: ".to_vec();
                line.extend(std::iter::repeat_n(b'y', 1000));
                line.push(b'\n');
                let chunk = line.repeat(16);
                // Whole lines only (about 40 MiB), so the blank line below ends the endless event.
                resp.stream_repeat(&chunk, chunk.len() as u64 * 2600).await;
                let _ = resp.write(b"\nevent: message\ndata: {\"payload\":\"after\"}\n\n").await;
                std::future::pending::<()>().await;
            }
        }),
    )
    .await;
    let s = session(&server).await;
    let mut events = s.events_with(quick());
    let Some(Event::Message(m)) = next(&mut events).await else { panic!("the event after the endless one") };
    assert_eq!(m.payload.as_deref(), Some("after"));
    let st = events.stats();
    let bound = (SseLimits::DEFAULT_MAX_EVENT + SseLimits::DEFAULT_MAX_LINE) as u64;
    assert!(st.peak_buffered() <= bound, "held {} bytes", st.peak_buffered());
    assert_eq!(st.dropped_events(), 1);
    s.close().await.unwrap();
}

#[tokio::test]
async fn a_node_closing_every_stream_exhausts_the_reconnect_budget() {
    let server = node(
        "120",
        false,
        scenario(|_, mut resp| async move {
            let _ = resp.respond(200, &[("content-type", "text/event-stream")], b"").await;
        }),
    )
    .await;
    let s = session(&server).await;
    let mut events = s.events_with(quick());
    assert!(until_end(&mut events).await.is_empty());
    let e = events.error().expect("gave up");
    assert!(e.to_string().contains("3 consecutive failed connections"), "{e}");
    assert_eq!(count(&server, "/events"), 3);
    s.close().await.unwrap();
}

#[tokio::test]
async fn a_token_refused_forever_ends_the_stream() {
    let server = node(
        "120",
        false,
        scenario(|_, mut resp| async move {
            let _ = resp.respond(403, &[("content-type", "application/json")], br#"{"status":"failed","result":"Invalid token"}"#).await;
        }),
    )
    .await;
    let s = session(&server).await;
    let mut events = s.events_with(EventOptions::default().backoff(Duration::from_millis(1), Duration::from_millis(2)));
    assert!(until_end(&mut events).await.is_empty());
    let e = events.error().expect("ended with an error");
    assert!(matches!(e, Error::Auth { .. }), "{e}");
    assert!(!e.to_string().contains("hostile-token"), "no token in the error: {e}");
    // Refused, token renewed, refused again: then it stops.
    assert_eq!(count(&server, "/events"), 2);
    s.close().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn comments_only_or_trickled_bytes_do_not_keep_a_stream_alive() {
    for trickle in [false, true] {
        let server = node(
            "120",
            false,
            scenario(move |_, mut resp| async move {
                if resp.open_body(200, &[("content-type", "text/event-stream")]).await.is_err() {
                    return;
                }
                loop {
                    let bytes: &[u8] = if trickle { b"x" } else { b": keepalive\n\n" };
                    if resp.write(bytes).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }),
        )
        .await;
        let s = session(&server).await;
        let options = quick().silence_timeout(Duration::from_secs(5)).event_timeout(Duration::from_secs(30));
        let mut events = s.events_with(options);
        assert!(until_end(&mut events).await.is_empty(), "trickle {trickle}");
        assert!(events.error().is_some(), "trickle {trickle}");
        assert_eq!(events.stats().silences(), 3, "trickle {trickle}");
        assert_eq!(count(&server, "/events"), 3, "trickle {trickle}");
        s.close().await.unwrap();
    }
}

#[tokio::test]
async fn an_array_for_the_status_object_is_a_decode_error() {
    let server = node(
        "120",
        false,
        scenario(|_, mut resp| async move {
            let _ = resp.json(r#"{"status":"success","result":[true,true,true,true]}"#).await;
        }),
    )
    .await;
    let s = session(&server).await;
    let e = s.conference().service_status_with(ServiceStatusRequest::new()).await.unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e}");
    s.close().await.unwrap();
}
