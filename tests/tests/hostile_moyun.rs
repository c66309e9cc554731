//! Hostile servers against moyun-api, issue 12 #2, #3, #4 and #6: endless paging, an endless
//! or oversized CometD reply, error answers with endless bodies, and a push stream whose
//! credentials are refused or whose every reconnect fails. Each test asserts the error kind,
//! that nothing panics, and that the bytes the client took in stay bounded (server counters).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use conf_core::Error;
use conf_sdk_tests::hostile::{HostileServer, RecordedRequest, Responder};
use moyun_api::push::{DropReason, PushConfig, PushEvent, PushStream, StreamEnd, StreamItem};
use moyun_api::{MoyunClient, PageLimits};

const MIB: u64 = 1024 * 1024;

/// The session calls every scenario shares; `None` for anything else.
fn platform_reply(target: &str) -> Option<&'static str> {
    if target.starts_with("/api/v1/system/token") {
        Some(r#"{"success":1,"account_token":"tok-0123456789"}"#)
    } else if target.starts_with("/api/v1/system/login") {
        Some(r#"{"success":1,"username":"name"}"#)
    } else if target.ends_with("/version") {
        Some(r#"{"success":1,"version":"6.0.0.0.0.20190603","api_level":1}"#)
    } else {
        None
    }
}

async fn answer_platform(target: &str, resp: &mut Responder) -> bool {
    let Some(body) = platform_reply(target) else { return false };
    let mut headers = vec![("content-type", "application/json")];
    if target.starts_with("/api/v1/system/login") {
        headers.push(("set-cookie", "SSO_COOKIE_KEY=890db118-9033-4317-8fe5-7456913d5793;"));
    }
    let _ = resp.respond(200, &headers, body.as_bytes()).await;
    true
}

fn client(server: &HostileServer, limits: PageLimits) -> MoyunClient {
    MoyunClient::builder("key", "12345678", "name", "888888")
        .config(
            conf_core::ClientConfig::parse(&server.url()).expect("config").proxy_from_env(false).attempt_timeout(Duration::from_secs(10)),
        )
        .heartbeat_interval(None)
        .page_limits(limits)
        .build()
        .expect("client")
}

/// A full page of `n` conferences and a `total` that never arrives.
fn full_page(n: usize) -> String {
    let confs: Vec<String> = (0..n).map(|i| format!(r#"{{"conf_id":"{i}","name":"会议{i}","bitrate":2048}}"#)).collect();
    format!(r#"{{"success":1,"total":1000000000,"confs":[{}]}}"#, confs.join(","))
}

/// A server that answers every page of `/api/v1/vc/confs` with a full one.
async fn endless_pages() -> HostileServer {
    let page = Arc::new(full_page(100));
    HostileServer::start(move |req: RecordedRequest, mut resp: Responder| {
        let page = page.clone();
        async move {
            if !answer_platform(req.target(), &mut resp).await {
                let _ = resp.json(&page).await;
            }
        }
    })
    .await
}

fn pages_requested(server: &HostileServer) -> usize {
    server.requests().iter().filter(|r| r.target().starts_with("/api/v1/vc/confs")).count()
}

#[tokio::test]
async fn endless_paging_stops_at_the_page_limit() {
    let server = endless_pages().await;
    let client = client(&server, PageLimits::default().max_pages(25));
    let e = client.vc().list_confs().into_paginator().items().collect_all().await.unwrap_err();
    assert!(matches!(e, Error::LimitExceeded { what: "pages", limit: 25, .. }), "{e}");
    assert_eq!(pages_requested(&server), 25, "not one page more than the limit");
    assert!(e.to_string().contains("moyun.vc_list_confs"), "the error names the walk: {e}");
}

#[tokio::test]
async fn endless_paging_stops_at_the_byte_limit() {
    let server = endless_pages().await;
    let page_len = full_page(100).len() as u64;
    let max_bytes = 256 * 1024;
    let client = client(&server, PageLimits::default().max_pages(100_000).max_bytes(max_bytes));
    let e = client.vc().list_confs().into_paginator().items().collect_all().await.unwrap_err();
    assert!(matches!(e, Error::LimitExceeded { what: "bytes", limit, .. } if limit == max_bytes), "{e}");
    let pages = pages_requested(&server) as u64;
    assert_eq!(pages, max_bytes / page_len + 1, "stopped at the first page past {max_bytes} bytes ({page_len} per page)");
    // Everything the server sent: the pages plus the session calls and the response heads.
    assert!(server.bytes_sent() < max_bytes + page_len + 16 * 1024, "{} bytes sent", server.bytes_sent());
}

#[tokio::test]
async fn the_default_page_limit_is_a_thousand_pages() {
    let limits = PageLimits::default();
    assert_eq!((limits.max_pages, limits.max_bytes), (1_000, 64 * MIB));
}

// ------------------------------------------------------------------ CometD

const HANDSHAKE: &str = r#"[{"channel":"/meta/handshake","successful":true,"clientId":"c1","version":"1.0","supportedConnectionTypes":["long-polling"],"ext":{"user_domain_moid":"d1"},"advice":{"timeout":30000,"interval":0,"reconnect":"retry"}}]"#;

/// Which Bayeux meta channel a request is for.
fn meta(req: &RecordedRequest) -> &'static str {
    let body = String::from_utf8_lossy(&req.body);
    ["/meta/handshake", "/meta/subscribe", "/meta/connect", "/meta/disconnect"]
        .into_iter()
        .find(|m| body.contains(&format!("\"{m}\"")))
        .unwrap_or("")
}

fn push_config(max_reply_bytes: usize, max_failures: u32) -> PushConfig {
    PushConfig::default()
        .max_reply_bytes(max_reply_bytes)
        .max_failures(Some(max_failures))
        .min_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(5))
}

/// Drain a stream to its end (bounded), answering the items it yielded before its final error.
async fn drain(push: &mut PushStream) -> Vec<StreamItem<PushEvent>> {
    let mut items = Vec::new();
    while let Some(item) = tokio::time::timeout(Duration::from_secs(30), push.next_item()).await.expect("the stream ends within 30 s") {
        match item {
            Ok(item) => items.push(item),
            Err(e) => assert_eq!(Some(e.to_string()), push.end().map(|end| end.error().to_string()), "the final error is the end's"),
        }
    }
    items
}

/// Why each connection dropped, as text.
fn drops(items: &[StreamItem<PushEvent>]) -> Vec<String> {
    items
        .iter()
        .filter_map(|e| match e {
            StreamItem::Reconnecting { reason, .. } => Some(reason.to_string()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn an_endless_cometd_reply_is_cut_at_the_cap_and_the_stream_gives_up() {
    let server = HostileServer::start(|req: RecordedRequest, mut resp: Responder| async move {
        if answer_platform(req.target(), &mut resp).await {
            return;
        }
        match meta(&req) {
            "/meta/handshake" => drop(resp.json(HANDSHAKE).await),
            "/meta/connect" => {
                // A batch that never ends: one message after another, 256 MiB offered.
                if resp.open_body(200, &[("content-type", "application/json")]).await.is_ok() && resp.write(b"[").await.is_ok() {
                    resp.stream_repeat(br#"{"channel":"/userdomains/d1/confs/1","data":{"method":"update","name":"x"}},"#, 256 * MIB).await;
                }
            }
            _ => drop(resp.json("[]").await),
        }
    })
    .await;
    let client = client(&server, PageLimits::default());
    let mut push = client.push().config(push_config(256 * 1024, 3)).connect().await.expect("first handshake");
    let items = drain(&mut push).await;
    let drops = drops(&items);
    assert!(drops.iter().any(|r| r.contains("larger than 262144 bytes")), "{drops:?}");
    match push.end() {
        Some(StreamEnd::TooManyFailures { failures: 3, last, .. }) => {
            assert!(matches!(last, DropReason::Broken(Error::Transport { .. })), "{last}");
        }
        other => panic!("expected TooManyFailures after 3, got {other:?}"),
    }
    let polls = server.requests().iter().filter(|r| meta(r) == "/meta/connect").count();
    assert_eq!(polls, 3, "three long polls, then it gave up");
    // 768 MiB were offered; the client stopped reading each reply at 256 KiB (the rest is
    // what the kernel's socket buffers took before the connection closed).
    eprintln!("endless CometD reply: {} bytes sent over {polls} polls (768 MiB offered)", server.bytes_sent());
    assert!(server.bytes_sent() < 3 * 8 * MIB, "{} bytes sent", server.bytes_sent());
}

#[tokio::test]
async fn an_error_answer_with_an_endless_body_is_read_only_for_its_excerpt() {
    let server = HostileServer::start(|req: RecordedRequest, mut resp: Responder| async move {
        if answer_platform(req.target(), &mut resp).await {
            return;
        }
        if resp.open_body(503, &[("content-type", "application/json")]).await.is_ok() {
            resp.stream_repeat(br#"{"error":"overloaded","pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},"#, 256 * MIB).await;
        }
    })
    .await;
    let client = client(&server, PageLimits::default());
    let e = client.push().subscribe("/confs/**").connect().await.unwrap_err();
    assert!(matches!(&e, Error::HttpStatus { status: 503, body_excerpt, .. } if body_excerpt.contains("not read further")), "{e}");
    eprintln!("endless error body: {} bytes sent (256 MiB offered)", server.bytes_sent());
    assert!(server.bytes_sent() < 8 * MIB, "{} bytes sent", server.bytes_sent());
}

#[tokio::test]
async fn a_batch_of_too_many_messages_is_refused() {
    let server = HostileServer::start(|req: RecordedRequest, mut resp: Responder| async move {
        if answer_platform(req.target(), &mut resp).await {
            return;
        }
        let body = match meta(&req) {
            "/meta/handshake" => HANDSHAKE.to_owned(),
            "/meta/connect" => format!("[{}]", vec![r#"{"channel":"/x","data":{}}"#; 5_000].join(",")),
            _ => "[]".to_owned(),
        };
        let _ = resp.json(&body).await;
    })
    .await;
    let client = client(&server, PageLimits::default());
    let mut push = client.push().config(push_config(8 * 1024 * 1024, 2)).connect().await.expect("first handshake");
    let drops = drops(&drain(&mut push).await);
    assert!(drops.iter().any(|r| r.contains("5000 CometD messages in one reply (limit 1000)")), "{drops:?}");
    assert!(
        matches!(push.end(), Some(StreamEnd::TooManyFailures { last: DropReason::Broken(Error::Decode { .. }), .. })),
        "{:?}",
        push.end()
    );
}

#[tokio::test]
async fn a_permanently_rejected_credential_ends_the_push_stream() {
    let logins = Arc::new(AtomicU64::new(0));
    let handshakes = Arc::new(AtomicU64::new(0));
    let (l, h) = (logins.clone(), handshakes.clone());
    let server = HostileServer::start(move |req: RecordedRequest, mut resp: Responder| {
        let (logins, handshakes) = (l.clone(), h.clone());
        async move {
            let target = req.target().to_owned();
            if target.starts_with("/api/v1/system/login") && logins.fetch_add(1, Ordering::SeqCst) > 0 {
                // The password was changed after the first login.
                let _ = resp.json(r#"{"success":0,"error_code":10101}"#).await;
                return;
            }
            if answer_platform(&target, &mut resp).await {
                return;
            }
            match meta(&req) {
                "/meta/handshake" if handshakes.fetch_add(1, Ordering::SeqCst) == 0 => drop(resp.json(HANDSHAKE).await),
                "/meta/handshake" => drop(resp.respond(401, &[], b"unauthorized").await),
                "/meta/connect" => {
                    let refused = r#"[{"channel":"/meta/connect","successful":false,"error":"402::Unknown client","advice":{"reconnect":"handshake"}}]"#;
                    drop(resp.json(refused).await);
                }
                _ => drop(resp.json("[]").await),
            }
        }
    })
    .await;
    let client = client(&server, PageLimits::default());
    let mut push = client.push().config(push_config(MIB as usize, 1_000)).connect().await.expect("first handshake");
    drain(&mut push).await;
    match push.end() {
        // A wrong password is final: no retry.
        Some(StreamEnd::Fatal(e)) => assert_eq!(e.vendor_code(), Some("10101"), "{e}"),
        other => panic!("expected Fatal, got {other:?}"),
    }
    assert_eq!(logins.load(Ordering::SeqCst), 2, "one refused login ended it: no loop");
    assert_eq!(handshakes.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_server_that_closes_every_reconnect_is_given_up_on() {
    let server = HostileServer::start(|req: RecordedRequest, mut resp: Responder| async move {
        if answer_platform(req.target(), &mut resp).await {
            return;
        }
        match meta(&req) {
            "/meta/handshake" => drop(resp.json(HANDSHAKE).await),
            // The long poll: the connection closes without an answer.
            "/meta/connect" => drop(resp),
            _ => drop(resp.json("[]").await),
        }
    })
    .await;
    let client = client(&server, PageLimits::default());
    let mut push = client.push().config(push_config(MIB as usize, 5)).connect().await.expect("first handshake");
    drain(&mut push).await;
    let ended = push.end().expect("the stream ended on its own");
    assert!(matches!(&ended, StreamEnd::TooManyFailures { failures: 5, last: DropReason::Broken(Error::Transport { .. }), .. }), "{ended}");
    assert!(ended.to_string().contains("gave up after 5 consecutive failed connections"), "{ended}");
}
