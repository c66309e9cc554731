//! The HTTP server emulators run in: hyper connections served by hand, so that faults can act
//! on the connection itself.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::poll_fn;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpStream as StdTcpStream};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use super::fault::{Decision, Fault, Faults, MALFORMED_JSON_BODY, nginx_error_page};
use super::log::{LoggedRequest, RequestLog};

type Hook = Arc<dyn Fn() + Send + Sync>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A running emulator server on a loopback port.
///
/// Every request is logged ([`log`](Server::log)), checked against the fault rules
/// ([`faults`](Server::faults)) and, unless a fault says otherwise, handed to the router.
/// Responses are streamed through unbuffered (SSE and long polls work), except under
/// [`Fault::TruncatedJson`].
///
/// Connections speak HTTP/1.1 with keep-alive. Dropping the server stops it like
/// [`shutdown`](Server::shutdown), without waiting: keep it in a named binding
/// (`let (emu, _server) = ...`), since `let (emu, _) = ...` drops it at once.
pub struct Server {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.shared.addr)
            .field("refusing", &self.shared.refusing.load(Ordering::SeqCst))
            .field("connections", &self.connection_count())
            .finish()
    }
}

struct Shared {
    addr: SocketAddr,
    router: Router,
    log: RequestLog,
    faults: Faults,
    hook: Mutex<Option<Hook>>,
    runtime: tokio::runtime::Handle,
    listener: Mutex<ListenerSlot>,
    conns: Mutex<HashMap<u64, ConnEntry>>,
    conns_changed: Notify,
    next_conn: AtomicU64,
    refusing: AtomicBool,
    stopped: AtomicBool,
}

#[derive(Default)]
struct ListenerSlot {
    listener: Option<TcpListener>,
    epoch: u64,
    task: Option<JoinHandle<()>>,
}

struct ConnEntry {
    /// A duplicate of the connection's socket, to shut it down synchronously.
    socket: StdTcpStream,
    ctl: Arc<ConnCtl>,
}

#[derive(Default)]
struct ConnCtl {
    /// Requests in flight on this connection (until their response body is dropped).
    busy: AtomicUsize,
    /// Drop the connection now, without a response.
    close: Notify,
    /// Finish the current response, then close (idle: close now).
    graceful: Notify,
}

impl Server {
    /// Starts serving `router` on `127.0.0.1:0` (a free port).
    ///
    /// The socket is listening when this returns: connecting right away succeeds. Must be
    /// called within a tokio runtime.
    pub fn start(router: Router) -> io::Result<Server> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), router)
    }

    /// Starts serving `router` on `addr` (port 0: a free port).
    pub fn start_on(addr: SocketAddr, router: Router) -> io::Result<Server> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| io::Error::other(format!("conf-sandbox server needs a tokio runtime: {e}")))?;
        let listener = bind(addr, &runtime)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            addr,
            router,
            log: RequestLog::new(),
            faults: Faults::new(),
            hook: Mutex::new(None),
            runtime,
            listener: Mutex::new(ListenerSlot::default()),
            conns: Mutex::new(HashMap::new()),
            conns_changed: Notify::new(),
            next_conn: AtomicU64::new(0),
            refusing: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
        });
        shared.install_listener(listener);
        tracing::debug!(%addr, "conf-sandbox server listening");
        Ok(Server { shared })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    /// `base_url()` followed by `path` (which should start with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.shared.addr)
    }

    /// Every request received, in arrival order.
    pub fn log(&self) -> &RequestLog {
        &self.shared.log
    }

    /// The fault rules applied to incoming requests.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Registers the hook [`Fault::ExpireCredentials`] runs (replacing any previous one).
    /// Emulators register one that expires their issued tokens/sessions.
    pub fn on_expire_credentials(&self, hook: impl Fn() + Send + Sync + 'static) {
        *lock(&self.shared.hook) = Some(Arc::new(hook));
    }

    /// Runs the credential-expiry hook now (as [`Fault::ExpireCredentials`] would).
    pub fn expire_credentials(&self) {
        self.shared.run_hook();
    }

    /// `true`: close the listening socket (new connections get `ECONNREFUSED`), close idle
    /// kept-alive connections at once and busy ones after their current response; requests
    /// still arriving on an old connection are dropped unanswered and not logged.
    /// `false`: listen again on the same port.
    ///
    /// Panics if the port cannot be bound again; see [`try_set_refusing`](Server::try_set_refusing).
    pub fn set_refusing(&self, refusing: bool) {
        if let Err(e) = self.try_set_refusing(refusing) {
            panic!("conf-sandbox: cannot listen again on {}: {e}", self.shared.addr);
        }
    }

    /// [`set_refusing`](Server::set_refusing), reporting a failure to bind the port again.
    pub fn try_set_refusing(&self, refusing: bool) -> io::Result<()> {
        let shared = &self.shared;
        if refusing {
            shared.refusing.store(true, Ordering::SeqCst);
            shared.close_listener();
            for entry in lock(&shared.conns).values() {
                if entry.ctl.busy.load(Ordering::SeqCst) == 0 {
                    let _ = entry.socket.shutdown(Shutdown::Both);
                }
                entry.ctl.graceful.notify_one();
            }
            Ok(())
        } else {
            if shared.stopped.load(Ordering::SeqCst) {
                return Ok(());
            }
            let has_listener = lock(&shared.listener).listener.is_some();
            if !has_listener {
                let listener = bind(shared.addr, &shared.runtime)?;
                shared.install_listener(listener);
            }
            shared.refusing.store(false, Ordering::SeqCst);
            Ok(())
        }
    }

    /// Whether the server is currently refusing connections.
    pub fn is_refusing(&self) -> bool {
        self.shared.refusing.load(Ordering::SeqCst)
    }

    /// Number of open client connections.
    pub fn connection_count(&self) -> usize {
        lock(&self.shared.conns).len()
    }

    /// Stops accepting, closes every connection (open streams included) and waits until all
    /// connection tasks have ended.
    pub async fn shutdown(self) {
        self.shared.stop();
        loop {
            let mut changed = pin!(self.shared.conns_changed.notified());
            changed.as_mut().enable();
            if lock(&self.shared.conns).is_empty() {
                break;
            }
            changed.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stop();
    }
}

fn bind(addr: SocketAddr, runtime: &tokio::runtime::Handle) -> io::Result<TcpListener> {
    let std_listener = std::net::TcpListener::bind(addr)?;
    std_listener.set_nonblocking(true)?;
    let _enter = runtime.enter();
    TcpListener::from_std(std_listener)
}

impl Shared {
    fn install_listener(self: &Arc<Self>, listener: TcpListener) {
        let mut slot = lock(&self.listener);
        slot.epoch += 1;
        slot.listener = Some(listener);
        let epoch = slot.epoch;
        slot.task = Some(self.runtime.spawn(accept_loop(Arc::clone(self), epoch)));
    }

    /// Drops the listening socket now (the fd is closed synchronously).
    fn close_listener(&self) {
        let mut slot = lock(&self.listener);
        slot.listener = None;
        if let Some(task) = slot.task.take() {
            task.abort();
        }
    }

    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.close_listener();
        for entry in lock(&self.conns).values() {
            let _ = entry.socket.shutdown(Shutdown::Both);
            entry.ctl.close.notify_one();
        }
    }

    fn run_hook(&self) {
        let hook = lock(&self.hook).clone();
        if let Some(hook) = hook {
            hook();
        } else {
            tracing::warn!("ExpireCredentials fault without a registered hook");
        }
    }

    fn spawn_connection(self: &Arc<Self>, stream: TcpStream) -> io::Result<()> {
        let _ = stream.set_nodelay(true);
        let std_stream = stream.into_std()?;
        let socket = std_stream.try_clone()?;
        let stream = {
            let _enter = self.runtime.enter();
            TcpStream::from_std(std_stream)?
        };
        let id = self.next_conn.fetch_add(1, Ordering::SeqCst);
        let ctl = Arc::new(ConnCtl::default());
        {
            let mut conns = lock(&self.conns);
            if self.stopped.load(Ordering::SeqCst) || self.refusing.load(Ordering::SeqCst) {
                let _ = socket.shutdown(Shutdown::Both);
                return Ok(());
            }
            conns.insert(id, ConnEntry { socket, ctl: Arc::clone(&ctl) });
        }
        self.runtime.spawn(serve_connection(Arc::clone(self), id, ctl, stream));
        Ok(())
    }

    fn remove_connection(&self, id: u64) {
        lock(&self.conns).remove(&id);
        self.conns_changed.notify_waiters();
    }
}

async fn accept_loop(shared: Arc<Shared>, epoch: u64) {
    loop {
        let accepted = poll_fn(|cx| {
            let slot = lock(&shared.listener);
            match &slot.listener {
                Some(listener) if slot.epoch == epoch => listener.poll_accept(cx).map(Some),
                _ => Poll::Ready(None),
            }
        })
        .await;
        match accepted {
            None => return,
            Some(Ok((stream, _peer))) => {
                if let Err(e) = shared.spawn_connection(stream) {
                    tracing::debug!(error = %e, "conf-sandbox: could not set up a connection");
                }
            }
            Some(Err(e)) => {
                tracing::debug!(error = %e, "conf-sandbox: accept failed");
                tokio::task::yield_now().await;
            }
        }
    }
}

async fn serve_connection(shared: Arc<Shared>, id: u64, ctl: Arc<ConnCtl>, stream: TcpStream) {
    let service = {
        let shared = Arc::clone(&shared);
        let ctl = Arc::clone(&ctl);
        hyper::service::service_fn(move |request| {
            let shared = Arc::clone(&shared);
            let ctl = Arc::clone(&ctl);
            async move { Ok::<_, Infallible>(handle(&shared, &ctl, request).await) }
        })
    };
    // the connection (and its socket) is dropped at the end of this block
    {
        let conn = hyper::server::conn::http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service);
        let mut conn = pin!(conn);
        let mut graceful = false;
        loop {
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::trace!(error = %e, "conf-sandbox: connection ended with an error");
                    }
                    break;
                }
                () = ctl.close.notified() => break,
                () = ctl.graceful.notified(), if !graceful => {
                    graceful = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
    shared.remove_connection(id);
}

/// Closes the connection without a response: the connection task drops the connection
/// (and with it this future).
async fn close_connection(ctl: &ConnCtl) -> Response<GuardedBody> {
    ctl.close.notify_one();
    std::future::pending().await
}

async fn call(router: &Router, request: Request<Body>) -> Response<Body> {
    match router.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

fn canned(status: u16, content_type: &str, body: impl Into<Body>) -> Response<Body> {
    let mut response = Response::new(body.into());
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    response
}

async fn handle(shared: &Shared, ctl: &Arc<ConnCtl>, request: Request<Incoming>) -> Response<GuardedBody> {
    let guard = BusyGuard::new(ctl);
    if shared.refusing.load(Ordering::SeqCst) || shared.stopped.load(Ordering::SeqCst) {
        return close_connection(ctl).await;
    }
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(ToOwned::to_owned);
    let (mut fault, needs_body) = match shared.faults.decide(&parts.method, &path, query.as_deref(), None, 0) {
        Decision::Fault(fault) => (Some(fault), None),
        Decision::Pass => (None, None),
        Decision::NeedsBody(from) => (None, Some(from)),
    };
    let index = shared.log.push(LoggedRequest {
        method: parts.method.as_str().to_owned(),
        path: path.clone(),
        query: query.clone(),
        headers: parts.headers.clone(),
        body: Bytes::new(),
        fault: fault.as_ref().map(Fault::name),
    });
    if fault == Some(Fault::DropBeforeBody) {
        tracing::debug!(method = %parts.method, path = %path, "conf-sandbox: fault DropBeforeBody");
        return close_connection(ctl).await;
    }
    let Ok(collected) = body.collect().await else {
        return close_connection(ctl).await;
    };
    let bytes = collected.to_bytes();
    let mut late_fault_name = None;
    if let Some(from) = needs_body {
        fault = shared.faults.decide(&parts.method, &path, query.as_deref(), Some(&bytes), from).into_fault();
        late_fault_name = fault.as_ref().map(Fault::name);
    }
    shared.log.set_body(index, bytes.clone(), late_fault_name);
    if let Some(fault) = &fault {
        tracing::debug!(fault = %fault.name(), method = %parts.method, path = %path, "conf-sandbox: fault");
    }
    let request = Request::from_parts(parts, Body::from(bytes));

    let response = match fault {
        None => call(&shared.router, request).await,
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            call(&shared.router, request).await
        }
        Some(Fault::ExpireCredentials) => {
            shared.run_hook();
            call(&shared.router, request).await
        }
        Some(Fault::DropBeforeBody | Fault::DropAfterBody) => return close_connection(ctl).await,
        Some(Fault::DropAfterHandling) => {
            drop(call(&shared.router, request).await);
            return close_connection(ctl).await;
        }
        Some(Fault::Status { status, retry_after, body, content_type }) => {
            let mut response = canned(status, &content_type, body);
            if let Some(v) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            response
        }
        Some(Fault::NginxHtml(status)) => {
            let mut response = canned(status, "text/html", nginx_error_page(status));
            response.headers_mut().insert(header::SERVER, HeaderValue::from_static("nginx"));
            response
        }
        Some(Fault::MalformedJson) => canned(200, "application/json", MALFORMED_JSON_BODY),
        Some(Fault::Body { status, content_type, body }) => canned(status, &content_type, body),
        Some(Fault::TruncatedJson) => {
            let (mut parts, body) = call(&shared.router, request).await.into_parts();
            let Ok(full) = body.collect().await else {
                return close_connection(ctl).await;
            };
            let full = full.to_bytes();
            let half = full.slice(..full.len() / 2);
            parts.headers.remove(header::TRANSFER_ENCODING);
            parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(half.len()));
            Response::from_parts(parts, Body::from(half))
        }
    };
    response.map(|inner| GuardedBody { inner, _guard: guard })
}

/// Counts a request as in flight until its response body is dropped.
struct BusyGuard(Arc<ConnCtl>);

impl BusyGuard {
    fn new(ctl: &Arc<ConnCtl>) -> Self {
        ctl.busy.fetch_add(1, Ordering::SeqCst);
        BusyGuard(Arc::clone(ctl))
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The emulator's response body, passed through frame by frame (never buffered).
struct GuardedBody {
    inner: Body,
    _guard: BusyGuard,
}

impl HttpBody for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
