//! Streaming helpers for emulators: an SSE event writer, a broadcast [`Hub`], and a
//! [`StreamControl`] with which a test cuts, stalls or aborts every open stream (SSE bodies
//! and long polls alike).
//!
//! ```
//! use std::time::Duration;
//! use axum::{Router, routing::get};
//! use conf_sandbox::harness::sse::{Hub, SseEvent, sse_response};
//!
//! let hub: Hub<SseEvent> = Hub::new(64);
//! let events = hub.clone();
//! let router: Router = Router::new().route(
//!     "/events",
//!     get(move || {
//!         let hub = events.clone();
//!         async move { sse_response(hub.control(), hub.stream(), Some(Duration::from_secs(15))) }
//!     }),
//! );
//! // later, from the emulator or a test:
//! hub.publish(SseEvent::json("participant_joined", &serde_json::json!({"id": 7})));
//! hub.control().cut_streams();
//! # let _ = router;
//! ```

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use futures_util::{Stream, StreamExt, stream};
use http::{HeaderValue, header};
use tokio::sync::{Notify, broadcast, watch};

/// The keep-alive comment [`sse_body`] sends after a quiet period.
pub const KEEP_ALIVE: &str = ": keep-alive\n\n";

/// One Server-Sent Event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// `event:` field (event name), if any.
    pub event: Option<String>,
    /// `data:` payload (multi-line data is sent as several `data:` lines).
    pub data: String,
    /// `id:` field, if any.
    pub id: Option<String>,
    /// `retry:` field in milliseconds, if any.
    pub retry: Option<u64>,
}

impl SseEvent {
    /// A named event with this data.
    pub fn new(event: impl Into<String>, data: impl Into<String>) -> Self {
        Self { event: Some(event.into()), data: data.into(), id: None, retry: None }
    }

    /// A named event whose data is `value` as compact JSON.
    pub fn json(event: impl Into<String>, value: &serde_json::Value) -> Self {
        Self::new(event, value.to_string())
    }

    /// An unnamed event (`message` for the client) with this data.
    pub fn data(data: impl Into<String>) -> Self {
        Self { event: None, data: data.into(), id: None, retry: None }
    }

    /// Sets the `id:` field.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the `retry:` field (milliseconds).
    pub fn with_retry(mut self, millis: u64) -> Self {
        self.retry = Some(millis);
        self
    }

    /// The wire form: `event: name\ndata: json\n\n` (fields present only when set).
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(self.data.len() + 32);
        if let Some(event) = &self.event {
            out.push_str("event: ");
            out.push_str(event);
            out.push('\n');
        }
        if let Some(id) = &self.id {
            out.push_str("id: ");
            out.push_str(id);
            out.push('\n');
        }
        if let Some(retry) = self.retry {
            out.push_str(&format!("retry: {retry}\n"));
        }
        for line in self.data.split('\n') {
            out.push_str("data: ");
            out.push_str(line.strip_suffix('\r').unwrap_or(line));
            out.push('\n');
        }
        out.push('\n');
        out
    }
}

/// An SSE comment (`: text\n\n`), ignored by clients; used as keep-alive.
pub fn comment(text: &str) -> String {
    format!(": {text}\n\n")
}

/// Why a controlled stream or long poll was interrupted by its [`StreamControl`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    /// [`StreamControl::cut_streams`]: end cleanly now.
    Cut,
    /// [`StreamControl::abort_streams`]: break the connection mid-body.
    Abort,
}

/// The body error a stream ends with after [`StreamControl::abort_streams`]: hyper then closes
/// the connection without finishing the body (no terminating chunk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamAborted;

impl std::fmt::Display for StreamAborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stream aborted by the test")
    }
}

impl std::error::Error for StreamAborted {}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ControlState {
    cut: u64,
    abort: u64,
    stalled: bool,
}

/// Test steering of an emulator's open streams; cheap to clone (all clones act together).
///
/// Cuts and aborts affect the streams open at that moment; streams opened later are normal.
/// A stall lasts until [`resume`](StreamControl::resume) and affects streams opened meanwhile.
#[derive(Debug, Clone)]
pub struct StreamControl {
    tx: Arc<watch::Sender<ControlState>>,
}

impl Default for StreamControl {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamControl {
    /// A control with no stream attached.
    pub fn new() -> Self {
        Self { tx: Arc::new(watch::Sender::new(ControlState::default())) }
    }

    /// Ends every open stream now: bodies finish cleanly, pending long polls return
    /// [`Interrupt::Cut`].
    pub fn cut_streams(&self) {
        self.tx.send_modify(|s| s.cut += 1);
    }

    /// Breaks every open stream: bodies end with an error (the connection is closed mid-body),
    /// pending long polls return [`Interrupt::Abort`].
    pub fn abort_streams(&self) {
        self.tx.send_modify(|s| s.abort += 1);
    }

    /// Keeps streams open but sends nothing, not even keep-alives, and holds long-poll answers,
    /// until [`resume`](StreamControl::resume).
    pub fn stall_streams(&self) {
        self.tx.send_modify(|s| s.stalled = true);
    }

    /// Ends a stall: held events and answers flow again.
    pub fn resume(&self) {
        self.tx.send_modify(|s| s.stalled = false);
    }

    /// Whether streams are stalled.
    pub fn is_stalled(&self) -> bool {
        self.tx.borrow().stalled
    }

    /// How many times [`cut_streams`](StreamControl::cut_streams) was called.
    pub fn cut_count(&self) -> u64 {
        self.tx.borrow().cut
    }

    /// A watcher for one stream or long poll, starting now.
    pub fn watch(&self) -> StreamWatch {
        let rx = self.tx.subscribe();
        let start = *rx.borrow();
        StreamWatch { rx, start, _control: self.clone() }
    }
}

/// The view of a [`StreamControl`] from one stream or long poll (see [`StreamControl::watch`]).
#[derive(Debug)]
pub struct StreamWatch {
    rx: watch::Receiver<ControlState>,
    start: ControlState,
    _control: StreamControl,
}

impl StreamWatch {
    /// Whether a cut or abort happened since this watch was made (abort wins).
    pub fn interrupted(&self) -> Option<Interrupt> {
        let now = *self.rx.borrow();
        if now.abort != self.start.abort {
            Some(Interrupt::Abort)
        } else if now.cut != self.start.cut {
            Some(Interrupt::Cut)
        } else {
            None
        }
    }

    /// Whether streams are stalled right now.
    pub fn is_stalled(&self) -> bool {
        self.rx.borrow().stalled
    }

    async fn changed(&mut self) {
        // The sender lives as long as `_control`, so this never fails.
        let _ = self.rx.changed().await;
    }

    /// Waits until this stream is cut or aborted.
    pub async fn interruption(&mut self) -> Interrupt {
        loop {
            if let Some(i) = self.interrupted() {
                return i;
            }
            self.changed().await;
        }
    }

    /// Waits while streams are stalled; `Err` if the stream is interrupted meanwhile.
    pub async fn unstalled(&mut self) -> Result<(), Interrupt> {
        loop {
            if let Some(i) = self.interrupted() {
                return Err(i);
            }
            if !self.is_stalled() {
                return Ok(());
            }
            self.changed().await;
        }
    }

    /// Runs a long poll's wait (`fut`) under control: returns `Err` if the stream is cut or
    /// aborted first; while stalled, holds the result until resumed.
    pub async fn run<F: Future>(&mut self, fut: F) -> Result<F::Output, Interrupt> {
        let output = {
            let mut fut = pin!(fut);
            tokio::select! {
                biased;
                i = self.interruption() => return Err(i),
                output = &mut fut => output,
            }
        };
        self.unstalled().await?;
        Ok(output)
    }
}

/// Puts `inner` under `control`: it ends when cut, yields `Err(StreamAborted)` (then ends) when
/// aborted, and is not polled at all while stalled (so it produces nothing).
pub fn controlled<S>(control: &StreamControl, inner: S) -> impl Stream<Item = Result<S::Item, StreamAborted>> + Send + 'static
where
    S: Stream + Send + 'static,
    S::Item: Send,
{
    let state = Some((Box::pin(inner), control.watch()));
    stream::unfold(state, |state| async move {
        let (mut inner, mut watch) = state?;
        loop {
            match watch.interrupted() {
                Some(Interrupt::Cut) => return None,
                Some(Interrupt::Abort) => return Some((Err(StreamAborted), None)),
                None => {}
            }
            if watch.is_stalled() {
                watch.changed().await;
                continue;
            }
            tokio::select! {
                biased;
                () = watch.changed() => {}
                item = inner.next() => return item.map(|item| (Ok(item), Some((inner, watch)))),
            }
        }
    })
}

/// Interleaves `events` with [`KEEP_ALIVE`] comments after every `keep_alive` of silence.
fn with_keep_alive<S>(events: S, keep_alive: Option<Duration>) -> impl Stream<Item = Bytes> + Send
where
    S: Stream<Item = SseEvent> + Send + 'static,
{
    let events = Box::pin(events.map(|e| Bytes::from(e.encode())));
    stream::unfold(events, move |mut events| async move {
        match keep_alive {
            None => events.next().await.map(|b| (b, events)),
            Some(every) => tokio::select! {
                item = events.next() => item.map(|b| (b, events)),
                () = tokio::time::sleep(every) => Some((Bytes::from_static(KEEP_ALIVE.as_bytes()), events)),
            },
        }
    })
}

/// An SSE body: each event encoded and sent as soon as it is produced, keep-alive comments after
/// `keep_alive` of silence, all under `control` (see [`controlled`]).
pub fn sse_body<S>(control: &StreamControl, events: S, keep_alive: Option<Duration>) -> Body
where
    S: Stream<Item = SseEvent> + Send + 'static,
{
    Body::from_stream(controlled(control, with_keep_alive(events, keep_alive)))
}

/// A `200 text/event-stream` response (`Cache-Control: no-cache`) with [`sse_body`].
pub fn sse_response<S>(control: &StreamControl, events: S, keep_alive: Option<Duration>) -> Response
where
    S: Stream<Item = SseEvent> + Send + 'static,
{
    let mut response = Response::new(sse_body(control, events, keep_alive));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A broadcast hub: the emulator publishes, every open stream (or long poll) receives.
/// Cheap to clone; carries the [`StreamControl`] of its streams.
#[derive(Debug, Clone)]
pub struct Hub<T> {
    tx: broadcast::Sender<T>,
    control: StreamControl,
    subscribed: Arc<Notify>,
}

impl<T: Clone + Send + 'static> Hub<T> {
    /// A hub keeping up to `capacity` messages per slow subscriber (older ones are skipped).
    pub fn new(capacity: usize) -> Self {
        Self { tx: broadcast::channel(capacity.max(1)).0, control: StreamControl::new(), subscribed: Arc::new(Notify::new()) }
    }

    /// Sends `message` to every current subscriber; returns how many received it.
    pub fn publish(&self, message: T) -> usize {
        self.tx.send(message).unwrap_or(0)
    }

    /// A raw receiver (for long polls: combine with [`StreamWatch::run`]).
    pub fn subscribe(&self) -> broadcast::Receiver<T> {
        let rx = self.tx.subscribe();
        self.subscribed.notify_waiters();
        rx
    }

    /// The messages published from now on, as a stream (lagged messages are skipped). Not
    /// controlled by itself: wrap with [`controlled`] or pass to [`sse_response`].
    pub fn stream(&self) -> impl Stream<Item = T> + Send + 'static {
        stream::unfold(self.subscribe(), |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(message) => return Some((message, rx)),
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
    }

    /// Number of current subscribers (open streams and pending long polls).
    pub fn subscriber_count(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Waits until at least `n` subscribers are attached (tests: publish only once the client's
    /// stream is open).
    pub async fn wait_for_subscribers(&self, n: usize) {
        loop {
            let mut notified = pin!(self.subscribed.notified());
            notified.as_mut().enable();
            if self.tx.receiver_count() >= n {
                return;
            }
            notified.await;
        }
    }

    /// The control of this hub's streams.
    pub fn control(&self) -> &StreamControl {
        &self.control
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_events() {
        assert_eq!(SseEvent::json("joined", &serde_json::json!({"a": 1})).encode(), "event: joined\ndata: {\"a\":1}\n\n");
        assert_eq!(SseEvent::data("x\ny").with_id("7").with_retry(10).encode(), "id: 7\nretry: 10\ndata: x\ndata: y\n\n");
        assert_eq!(comment("hi"), ": hi\n\n");
    }

    #[tokio::test(start_paused = true)]
    async fn long_poll_is_cut_stalled_and_resumed() {
        let control = StreamControl::new();
        let mut watch = control.watch();
        let c = control.clone();
        let cut = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            c.cut_streams();
        });
        let r = watch.run(tokio::time::sleep(Duration::from_secs(30))).await;
        assert_eq!(r, Err(Interrupt::Cut));
        cut.await.unwrap();

        // a new watch is not affected by the earlier cut
        let mut watch = control.watch();
        control.stall_streams();
        let c = control.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            c.resume();
        });
        let start = tokio::time::Instant::now();
        assert_eq!(watch.run(async { 42 }).await, Ok(42));
        assert!(start.elapsed() >= Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn controlled_stream_stops_polling_when_stalled() {
        let control = StreamControl::new();
        let hub: Hub<u32> = Hub::new(8);
        let mut s = Box::pin(controlled(&control, hub.stream()));
        hub.publish(1);
        assert_eq!(s.next().await, Some(Ok(1)));
        control.stall_streams();
        hub.publish(2);
        let waited = tokio::time::timeout(Duration::from_secs(10), s.next()).await;
        assert!(waited.is_err(), "stalled stream produced {waited:?}");
        control.resume();
        assert_eq!(s.next().await, Some(Ok(2)));
        control.abort_streams();
        assert_eq!(s.next().await, Some(Err(StreamAborted)));
        assert_eq!(s.next().await, None);
    }
}
