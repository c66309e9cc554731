//! A scripted loopback HTTP/1.1 server for transport tests: every connection
//! serves one request and answers with the next step of the script (the last
//! step repeats), so tests control status codes, delays and dropped connections.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Step {
    /// Answer with status, extra headers and a body.
    Answer(u16, Vec<(&'static str, String)>, String),
    /// Wait, then do the inner step.
    Delay(Duration, Box<Step>),
    /// Close the connection after reading the request, without answering.
    Drop,
}

impl Step {
    pub fn json(status: u16, body: &str) -> Self {
        Step::Answer(status, vec![("content-type", "application/json".into())], body.to_string())
    }
    pub fn ok() -> Self {
        Step::json(200, r#"{"ok":true}"#)
    }
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

type Router = Arc<dyn Fn(&Seen, usize) -> Step + Send + Sync>;

pub struct Scripted {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    /// Answer the n-th request with `steps[n]` (the last step repeats).
    pub async fn start(steps: Vec<Step>) -> Self {
        Self::route(move |_, n| steps[n.min(steps.len() - 1)].clone()).await
    }

    /// Decide per request (`n` = index among requests with the same path).
    pub async fn route(f: impl Fn(&Seen, usize) -> Step + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let router: Router = Arc::new(f);
        let s = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else { return };
                let s = s.clone();
                let router = router.clone();
                tokio::spawn(async move { serve(sock, s, router).await });
            }
        });
        Self { addr, seen }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn hits(&self, path: &str) -> usize {
        self.seen.lock().unwrap().iter().filter(|r| r.path() == path).count()
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve(mut sock: TcpStream, seen: Arc<Mutex<Vec<Seen>>>, router: Router) {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match sock.read(&mut tmp).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let target = first.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())).collect();
    let len: usize = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        match sock.read(&mut tmp).await {
            Ok(0) | Err(_) => return,
            Ok(n) => body.extend_from_slice(&tmp[..n]),
        }
    }
    let req = Seen { method, target, headers, body };
    let n = {
        let mut s = seen.lock().unwrap();
        let n = s.iter().filter(|r| r.path() == req.path()).count();
        s.push(req.clone());
        n
    };
    let mut step = router(&req, n);
    loop {
        match step {
            Step::Delay(d, inner) => {
                tokio::time::sleep(d).await;
                step = *inner;
            }
            Step::Drop => return,
            Step::Answer(status, headers, body) => {
                let mut out = format!("HTTP/1.1 {status} X\r\nconnection: close\r\ncontent-length: {}\r\n", body.len());
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                out.push_str(&body);
                let _ = sock.write_all(out.as_bytes()).await;
                let _ = sock.shutdown().await;
                return;
            }
        }
    }
}

/// A loopback port with nothing listening (connection refused).
pub async fn closed_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    drop(l);
    a
}
