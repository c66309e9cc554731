//! Small adversarial HTTP/1.1 servers on loopback for the hostile-server suite
//! (`tests/tests/hostile_*.rs`).
//!
//! A [`HostileServer`] accepts connections on `127.0.0.1:0`, reads one request per
//! connection (head and body, both capped), records it, and hands a [`Responder`] to the test's
//! handler, which writes whatever raw bytes the scenario needs: a redirect to another server, an
//! endless body, an SSE stream without newlines. The server counts every byte it sends, so a
//! test can bound what a client buffered against what it was sent, without timing anything.

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Most of a request head the server keeps.
const MAX_HEAD: usize = 64 * 1024;
/// Most of a request body the server keeps.
const MAX_BODY: usize = 1024 * 1024;

/// One request as the server received it.
#[derive(Debug, Clone, Default)]
pub struct RecordedRequest {
    /// Request line and headers, as sent (lossy UTF-8).
    pub head: String,
    /// The body (up to 1 MiB).
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The request line, e.g. `GET /api/v1/x HTTP/1.1`.
    pub fn request_line(&self) -> &str {
        self.head.lines().next().unwrap_or("")
    }

    /// The path with query, from the request line.
    pub fn target(&self) -> &str {
        self.request_line().split(' ').nth(1).unwrap_or("")
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// Whether `needle` occurs anywhere in the head or the body.
    pub fn contains(&self, needle: &str) -> bool {
        self.head.contains(needle) || String::from_utf8_lossy(&self.body).contains(needle)
    }
}

/// The write side of one connection, handed to the scenario's handler.
pub struct Responder {
    stream: TcpStream,
    sent: Arc<AtomicU64>,
}

impl Responder {
    /// Writes raw bytes; an error means the client went away.
    pub async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.sent.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Writes a complete response with `Content-Length` and `Connection: close`.
    pub async fn respond(&mut self, status: u16, headers: &[(&str, &str)], body: &[u8]) -> io::Result<()> {
        let mut head = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        self.write(head.as_bytes()).await?;
        self.write(body).await?;
        self.stream.flush().await
    }

    /// Writes a JSON response with status 200.
    pub async fn json(&mut self, body: &str) -> io::Result<()> {
        self.respond(200, &[("content-type", "application/json")], body.as_bytes()).await
    }

    /// Writes a response head without a length (the body runs until the connection closes).
    pub async fn open_body(&mut self, status: u16, headers: &[(&str, &str)]) -> io::Result<()> {
        let mut head = format!("HTTP/1.1 {status} X\r\nconnection: close\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        self.write(head.as_bytes()).await
    }

    /// Writes `chunk` repeatedly until `total` bytes are out or the client goes away.
    /// Returns the number of bytes written.
    pub async fn stream_repeat(&mut self, chunk: &[u8], total: u64) -> u64 {
        let mut written = 0u64;
        while written < total {
            let n = chunk.len().min((total - written) as usize);
            if self.write(&chunk[..n]).await.is_err() {
                break;
            }
            written += n as u64;
        }
        written
    }
}

/// Relays `request` to the server at `upstream` (`host:port`) with `Connection: close`, and
/// writes its whole answer back: a transparent front for an emulator, so a scenario can
/// misbehave on some requests (redirect them) and pass the others through.
pub async fn forward(request: &RecordedRequest, upstream: &str, resp: &mut Responder) -> io::Result<()> {
    let mut head = String::new();
    for (i, line) in request.head.split("\r\n").enumerate() {
        if i > 0 && line.split_once(':').is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case("connection")) {
            continue;
        }
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("connection: close\r\n\r\n");
    let mut up = TcpStream::connect(upstream).await?;
    up.write_all(head.as_bytes()).await?;
    up.write_all(&request.body).await?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).await?;
    resp.write(&answer).await?;
    resp.stream.flush().await
}

/// A loopback server whose every answer is written by the test.
pub struct HostileServer {
    addr: std::net::SocketAddr,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    sent: Arc<AtomicU64>,
    connections: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl HostileServer {
    /// Starts a server that calls `handler` for every request (one request per connection).
    pub async fn start<F, Fut>(handler: F) -> Self
    where
        F: Fn(RecordedRequest, Responder) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let sent = Arc::new(AtomicU64::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let handler = Arc::new(handler);
        let task = {
            let (requests, sent, connections) = (requests.clone(), sent.clone(), connections.clone());
            tokio::spawn(async move {
                while let Ok((mut stream, _)) = listener.accept().await {
                    connections.fetch_add(1, Ordering::Relaxed);
                    let (requests, sent, handler) = (requests.clone(), sent.clone(), handler.clone());
                    tokio::spawn(async move {
                        let Some(request) = read_request(&mut stream).await else { return };
                        requests.lock().unwrap().push(request.clone());
                        handler(request, Responder { stream, sent }).await;
                    });
                }
            })
        };
        Self { addr, requests, sent, connections, task }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().unwrap().clone()
    }

    /// Bytes written to clients so far.
    pub fn bytes_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<RecordedRequest> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(pos) = find(&buf, b"\r\n\r\n") {
            break pos;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut body = buf[head_end + 4..].to_vec();
    let mut request = RecordedRequest { head, body: Vec::new() };
    if let Some(len) = request.header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        let want = len.min(MAX_BODY);
        while body.len() < want {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        body.truncate(want);
    } else if request.header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        while find(&body, b"0\r\n\r\n").is_none() && body.len() < MAX_BODY {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    request.body = body;
    Some(request)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
