//! `Client::open_stream` and its `StreamResponse`: bounded pieces, conf-core errors (never
//! an HTTP library's), a capped whole-body read, and the per-operation attempt timeout.

use std::time::Duration;

use conf_core::stream::MAX_CHUNK;
use conf_core::{Client, ClientConfig, Error, Operation, RetryPolicy, TimeoutKind, TransportKind};
use http::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A one-shot server per connection: reads the request head, writes `head`, then `body`
/// `repeats` times, then closes (or, with `hang`, keeps the connection open unanswered).
async fn server(head: &'static str, body: Vec<u8>, repeats: usize, hang: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                if hang {
                    // Never answer; hold the connection until the client gives up.
                    let _ = sock.read(&mut buf).await;
                    return;
                }
                let _ = sock.write_all(head.as_bytes()).await;
                for _ in 0..repeats {
                    if sock.write_all(&body).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

fn client(url: &str, attempt_timeout: Duration) -> Client {
    let config = ClientConfig::parse(url).unwrap().proxy_from_env(false).attempt_timeout(attempt_timeout).retry(RetryPolicy::disabled());
    Client::builder(config).build().unwrap()
}

fn events() -> Operation {
    Operation::new("test", "events", Method::GET, "/events", "/events")
}

#[tokio::test]
async fn pieces_are_bounded_and_the_body_is_whole() {
    let url =
        server("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n", vec![b'x'; 300 * 1024], 1, false).await;
    let mut resp = client(&url, Duration::from_secs(10)).open_stream(events()).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    assert_eq!(resp.request().operation, "events");
    let mut total = 0;
    while let Some(piece) = resp.chunk().await.unwrap() {
        assert!(!piece.is_empty() && piece.len() <= MAX_CHUNK, "{} bytes", piece.len());
        total += piece.len();
    }
    assert_eq!(total, 300 * 1024);
}

#[tokio::test]
async fn a_broken_body_is_a_conf_core_transport_error() {
    // 1,000 bytes declared, 10 sent, then the connection closes.
    let url = server("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n", b"0123456789".to_vec(), 1, false).await;
    let resp = client(&url, Duration::from_secs(10)).open_stream(events()).await.unwrap();
    let mut stream = std::pin::pin!(resp.bytes_stream());
    let mut got = Vec::new();
    let err = loop {
        match futures_util::StreamExt::next(&mut stream).await {
            Some(Ok(piece)) => got.extend_from_slice(&piece),
            Some(Err(e)) => break e,
            None => panic!("the body ended without an error after {} bytes", got.len()),
        }
    };
    assert!(matches!(&err, Error::Transport { kind: TransportKind::Io, sent: true, .. }), "{err:?}");
    assert_eq!(err.request().map(|r| r.operation), Some("events"));
    assert!(futures_util::StreamExt::next(&mut stream).await.is_none(), "the stream ends after its error");
}

#[tokio::test]
async fn read_capped_stops_at_its_limit() {
    let url = server("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n", vec![b'['; 64 * 1024], 1024, false).await;
    let client = client(&url, Duration::from_secs(10));
    let (body, complete) = client.open_stream(events()).await.unwrap().read_capped(4096).await.unwrap();
    assert_eq!((body.len(), complete), (4096, false));
    let url = server("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n", b"[1,2]".to_vec(), 1, false).await;
    let (body, complete) =
        self::client(&url, Duration::from_secs(10)).open_stream(events()).await.unwrap().read_capped(4096).await.unwrap();
    assert_eq!((&body[..], complete), (&b"[1,2]"[..], true));
}

#[tokio::test]
async fn an_operation_attempt_timeout_replaces_the_clients() {
    // The client would wait a minute; the operation says 100 ms. Bounded so a regression
    // fails instead of hanging.
    let url = server("", Vec::new(), 0, true).await;
    let client = client(&url, Duration::from_secs(60));
    let limit = Duration::from_millis(100);
    let bound = Duration::from_secs(20);
    let e = tokio::time::timeout(bound, client.open_stream(events().attempt_timeout(limit))).await.expect("bounded").unwrap_err();
    assert!(matches!(e, Error::Timeout { kind: TimeoutKind::Attempt(d), .. } if d == limit), "{e:?}");
    let e = tokio::time::timeout(bound, client.execute(events().attempt_timeout(limit))).await.expect("bounded").unwrap_err();
    assert!(matches!(e, Error::Timeout { kind: TimeoutKind::Attempt(d), .. } if d == limit), "{e:?}");
}
