//! Transport errors keep their cause chain (`std::error::Error::source`), and no level of it
//! shows the URL's path, query or a secret.

mod common;

use std::error::Error as _;
use std::time::Duration;

use common::closed_port;
use conf_core::{Client, ClientConfig, Error, Operation, RetryPolicy, TransportKind};
use http::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const SECRET: &str = "s3cr3t-t0ken";

fn client(base: &str) -> Client {
    let config = ClientConfig::parse(base)
        .unwrap()
        .proxy_from_env(false)
        .attempt_timeout(Duration::from_secs(5))
        .retry(RetryPolicy::default().max_attempts(1));
    Client::builder(config).build().unwrap()
}

fn op() -> Operation {
    Operation::new("test", "get", Method::GET, "/private/{token}", format!("/private/{SECRET}")).query("token", SECRET)
}

/// A loopback server that reads a little and answers every connection with `reply`, then closes.
async fn garbage_server(reply: &'static [u8]) -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(reply).await;
                let _ = s.shutdown().await;
            });
        }
    });
    addr
}

/// Every level of `e`'s source chain, as displayed; asserts none shows the secret, a query or a path.
fn chain(e: &Error) -> Vec<String> {
    let mut levels = Vec::new();
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        let debug = format!("{s:?}");
        for shown in [&text, &debug] {
            assert!(!shown.contains(SECRET), "secret in cause level: {shown}");
            assert!(!shown.contains("token="), "query in cause level: {shown}");
            assert!(!shown.contains('?'), "query in cause level: {shown}");
            assert!(!shown.contains("/private"), "path in cause level: {shown}");
        }
        levels.push(text);
        cur = s.source();
    }
    assert!(!e.to_string().contains(SECRET), "{e}");
    assert!(!format!("{e:?}").contains(SECRET), "{e:?}");
    levels
}

#[tokio::test]
async fn connection_refused_keeps_its_io_cause() {
    let addr = closed_port().await;
    let e = client(&format!("http://{addr}")).execute(op()).await.unwrap_err();
    assert!(matches!(&e, Error::Transport { kind: TransportKind::Connect, sent: false, .. }), "{e:?}");
    let levels = chain(&e);
    assert!(!levels.is_empty(), "{e:?}");
    let Error::Transport { source: Some(cause), .. } = &e else { panic!("no cause: {e:?}") };
    assert_eq!(cause.find_io_kind(), Some(std::io::ErrorKind::ConnectionRefused), "{levels:?}");
}

#[tokio::test]
async fn tls_handshake_failure_keeps_its_cause() {
    // A plain-text server where TLS was expected: the handshake fails.
    let addr = garbage_server(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n").await;
    let e = client(&format!("https://{addr}")).execute(op()).await.unwrap_err();
    assert!(matches!(&e, Error::Transport { .. }), "{e:?}");
    let levels = chain(&e);
    assert!(levels.len() >= 2, "{levels:?}");
}

#[tokio::test]
async fn protocol_garbage_keeps_its_cause() {
    let addr = garbage_server(b"NOT-HTTP garbage\r\n\r\n").await;
    let e = client(&format!("http://{addr}")).execute(op()).await.unwrap_err();
    assert!(matches!(&e, Error::Transport { sent: true, .. }), "{e:?}");
    let levels = chain(&e);
    assert!(!levels.is_empty(), "{e:?}");
}

#[test]
fn urls_below_are_cut_to_their_origin() {
    let io = std::io::Error::other(format!("failed at https://user:pw@h.example:8443/a/b?token={SECRET}#f, then http://x/y?q=1"));
    let cause = conf_core::TransportCause::capture(&io);
    assert_eq!(cause.to_string(), "failed at https://h.example:8443, then http://x:80");
    assert_eq!(cause.io_kind(), Some(std::io::ErrorKind::Other));
    let e = Error::transport(conf_core::RequestInfo::none("t", "op"), TransportKind::Io, "reset", true).with_transport_cause(cause);
    assert_eq!(e.source().map(ToString::to_string).as_deref(), Some("failed at https://h.example:8443, then http://x:80"));
}
