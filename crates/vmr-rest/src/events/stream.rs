//! The reconnecting event stream.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use conf_core::{AuthMode, Error, ExposeSecret, Operation, RequestInfo};

use super::Event;
use super::sse::{SseLimits, SseParser};
use crate::client::Room;
use crate::session::SessionAuth;

/// Options of an [`EventStream`]: `EventOptions::default()` and the setters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventOptions {
    /// A connection without a complete line (event, field or keep-alive comment) for this
    /// long is treated as dropped; bytes that never finish a line do not count. Default 60 s.
    pub silence_timeout: Duration,
    /// A connection that delivers no event for this long is treated as dropped (keep-alive
    /// comments alone do not keep it). Every connection starts with the participant sync
    /// bracket, so a live node is never cut for a quiet room more than once per this
    /// period. Default 5 min.
    pub event_timeout: Duration,
    /// First wait before reconnecting after a failure; doubled per consecutive failure. Default 250 ms.
    pub initial_backoff: Duration,
    /// Longest wait between two connection attempts. Default 5 s.
    pub max_backoff: Duration,
    /// Consecutive failed connections (refused, broken, or ended without an event) after
    /// which the stream gives up and ends with [`EventStream::error`]; `None`: never.
    /// Default 30 (about two minutes of a node that is down).
    pub max_failures: Option<u32>,
    /// Line and event size limits of the SSE parser (default 64 KiB per line, 1 MiB per event).
    pub limits: SseLimits,
    /// Events buffered for a slow consumer. Default 256.
    pub buffer: usize,
}

impl Default for EventOptions {
    fn default() -> Self {
        Self {
            silence_timeout: Duration::from_secs(60),
            event_timeout: Duration::from_secs(300),
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(5),
            max_failures: Some(30),
            limits: SseLimits::default(),
            buffer: 256,
        }
    }
}

impl EventOptions {
    /// Set the silence watchdog.
    pub fn silence_timeout(mut self, d: Duration) -> Self {
        self.silence_timeout = d;
        self
    }

    /// Set the no-event watchdog.
    pub fn event_timeout(mut self, d: Duration) -> Self {
        self.event_timeout = d;
        self
    }

    /// Set the first wait before reconnecting (doubled per consecutive failure).
    pub fn initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// Set the longest wait between two connection attempts.
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// Set how many events are buffered for a slow consumer.
    pub fn buffer(mut self, events: usize) -> Self {
        self.buffer = events;
        self
    }

    /// Set the backoff bounds.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Set how many consecutive failed connections end the stream (`None`: never).
    pub fn max_failures(mut self, n: Option<u32>) -> Self {
        self.max_failures = n;
        self
    }

    /// Set the SSE line and event limits.
    pub fn limits(mut self, limits: SseLimits) -> Self {
        self.limits = limits;
        self
    }

    fn delay(&self, failures: u32) -> Duration {
        let d = self.initial_backoff.saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(16)));
        d.min(self.max_backoff)
    }
}

/// Counters of an [`EventStream`].
#[derive(Debug, Default)]
pub struct StreamStats {
    connects: AtomicU64,
    drops: AtomicU64,
    silences: AtomicU64,
    events: AtomicU64,
    failed_connects: AtomicU64,
    refusals: AtomicU64,
    bytes: AtomicU64,
    scanned: AtomicU64,
    peak_buffered: AtomicU64,
    oversized_lines: AtomicU64,
    dropped_events: AtomicU64,
}

impl StreamStats {
    /// Connections opened (the first one included).
    pub fn connects(&self) -> u64 {
        self.connects.load(Ordering::Relaxed)
    }
    /// Connections that ended without the stream ending (closed by the node, broken, silent).
    pub fn drops(&self) -> u64 {
        self.drops.load(Ordering::Relaxed)
    }
    /// Drops caused by the silence or no-event watchdog.
    pub fn silences(&self) -> u64 {
        self.silences.load(Ordering::Relaxed)
    }
    /// Events delivered.
    pub fn events(&self) -> u64 {
        self.events.load(Ordering::Relaxed)
    }
    /// Connection attempts that failed.
    pub fn failed_connects(&self) -> u64 {
        self.failed_connects.load(Ordering::Relaxed)
    }
    /// Connection attempts the node refused with 403 (the token was renewed after each).
    pub fn refusals(&self) -> u64 {
        self.refusals.load(Ordering::Relaxed)
    }
    /// Stream bytes received, all connections.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
    /// Bytes the SSE parser searched for line ends (at most [`Self::bytes`]: linear work).
    pub fn scanned(&self) -> u64 {
        self.scanned.load(Ordering::Relaxed)
    }
    /// Most bytes the SSE parser held at once (unfinished line, event being built, events not yet taken).
    pub fn peak_buffered(&self) -> u64 {
        self.peak_buffered.load(Ordering::Relaxed)
    }
    /// Lines dropped for exceeding the line limit.
    pub fn oversized_lines(&self) -> u64 {
        self.oversized_lines.load(Ordering::Relaxed)
    }
    /// Events dropped for exceeding a limit.
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events.load(Ordering::Relaxed)
    }

    fn record(&self, parser: &SseParser, before: (u64, u64, u64, u64)) {
        self.bytes.fetch_add(parser.bytes() - before.0, Ordering::Relaxed);
        self.scanned.fetch_add(parser.scanned() - before.1, Ordering::Relaxed);
        self.oversized_lines.fetch_add(parser.oversized_lines() - before.2, Ordering::Relaxed);
        self.dropped_events.fetch_add(parser.dropped_events() - before.3, Ordering::Relaxed);
        self.peak_buffered.fetch_max(parser.buffered() as u64, Ordering::Relaxed);
    }
}

/// A live, reconnecting stream of a room's [`Event`]s (see the [module docs](super)).
///
/// Dropping it stops the background connection. When the stream ends (`None`) because it
/// gave up, [`Self::error`] says why.
pub struct EventStream {
    rx: mpsc::Receiver<Event>,
    stats: Arc<StreamStats>,
    error: Arc<Mutex<Option<Error>>>,
    task: AbortHandle,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream").field("stats", &self.stats).finish_non_exhaustive()
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl EventStream {
    pub(crate) fn start(room: Room, auth: Arc<SessionAuth>, closed: watch::Receiver<bool>, options: EventOptions) -> Self {
        let (tx, rx) = mpsc::channel(options.buffer.max(1));
        let stats = Arc::new(StreamStats::default());
        let error = Arc::new(Mutex::new(None));
        let task = {
            let (stats, error) = (stats.clone(), error.clone());
            tokio::spawn(async move {
                if let Err(e) = run(room, auth, closed, options, tx.clone(), stats).await {
                    tracing::warn!(error = %e, "vmr events: the stream gives up");
                    *error.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e);
                }
                drop(tx);
            })
            .abort_handle()
        };
        Self { rx, stats, error, task }
    }

    /// Connection counters.
    pub fn stats(&self) -> &StreamStats {
        &self.stats
    }

    /// Why the stream ended, when it gave up: too many consecutive failed connections
    /// ([`EventOptions::max_failures`]), or a token the node refused again after renewal
    /// ([`Error::Auth`]). `None` while it runs and after a normal end (a `disconnect`
    /// event, the session closed).
    pub fn error(&self) -> Option<Error> {
        self.error.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The next event; `None` once the stream has ended.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.rx.recv().await
    }
}

impl futures_core::Stream for EventStream {
    type Item = Event;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.rx.poll_recv(cx)
    }
}

async fn wait_closed(rx: &mut watch::Receiver<bool>) {
    loop {
        if *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            return; // the session is gone
        }
    }
}

/// Run `f` unless the session closes or the consumer goes away first.
async fn guarded<F: Future>(closed: &mut watch::Receiver<bool>, tx: &mpsc::Sender<Event>, f: F) -> Option<F::Output> {
    tokio::select! {
        biased;
        () = wait_closed(closed) => None,
        () = tx.closed() => None,
        v = f => Some(v),
    }
}

fn request() -> RequestInfo {
    RequestInfo::none(crate::wire::VENDOR, "events")
}

/// The error that ends the stream after `failures` consecutive failed connections.
fn gave_up(failures: u32, last: &str) -> Error {
    Error::transport(
        request(),
        conf_core::TransportKind::Other,
        format!("gave up after {failures} consecutive failed connections (EventOptions::max_failures); last: {last}"),
        true,
    )
}

/// Runs the stream; `Ok` on a normal end, `Err` when it gives up.
async fn run(
    room: Room,
    auth: Arc<SessionAuth>,
    mut closed: watch::Receiver<bool>,
    options: EventOptions,
    tx: mpsc::Sender<Event>,
    stats: Arc<StreamStats>,
) -> Result<(), Error> {
    let mut failures: u32 = 0;
    let mut refusals: u32 = 0;
    let mut last_failure = String::new();
    let mut parser = SseParser::with_limits(options.limits);
    loop {
        if failures > 0 {
            if options.max_failures.is_some_and(|max| failures >= max) {
                return Err(gave_up(failures, &last_failure));
            }
            let delay = options.delay(failures);
            if guarded(&mut closed, &tx, tokio::time::sleep(delay)).await.is_none() {
                return Ok(());
            }
        }
        if auth.is_closed() {
            return Ok(());
        }
        let Some(token) = guarded(&mut closed, &tx, auth.token()).await else { return Ok(()) };
        let (token, generation) = match token {
            Ok(t) => t,
            Err(e) => {
                failures += 1;
                stats.failed_connects.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "vmr events: no token; retrying");
                last_failure = e.to_string();
                continue;
            }
        };
        let op = Operation::new("vmr", "events", http::Method::GET, "/events", "/events")
            .query("token", token.token.expose_secret())
            .auth(AuthMode::None);
        let op = match room.prepare(op, None) {
            Ok(op) => op,
            Err(e) => {
                tracing::warn!(error = %e, "vmr events: cannot build the request; stream ends");
                return Err(e);
            }
        };
        drop(token);
        let Some(opened) = guarded(&mut closed, &tx, room.mcu().client().open_stream(op)).await else { return Ok(()) };
        let mut resp = match opened {
            Ok(r) => r,
            Err(e) => {
                failures += 1;
                stats.failed_connects.fetch_add(1, Ordering::Relaxed);
                if is_refused(&e) {
                    refusals += 1;
                    stats.refusals.fetch_add(1, Ordering::Relaxed);
                    if refusals >= 2 {
                        // Refused, renewed, refused again: the credential is rejected for good.
                        return Err(Error::Auth {
                            request: request(),
                            message: format!(
                                "the node refused the session's token for the event stream {refusals} times in a row, also after renewing it"
                            ),
                            source: Some(Box::new(e)),
                        });
                    }
                    auth.refused(generation);
                }
                tracing::warn!(error = %e, failures, "vmr events: connection failed; reconnecting");
                last_failure = e.to_string();
                continue;
            }
        };
        refusals = 0;
        stats.connects.fetch_add(1, Ordering::Relaxed);
        parser.reset();
        let mut delivered = false;
        let opened_at = Instant::now();
        let (mut last_line, mut last_event) = (opened_at, opened_at);
        loop {
            // Lines (keep-alives included) feed the silence watchdog; only events feed the other.
            let deadline = (last_line + options.silence_timeout).min(last_event + options.event_timeout);
            let Some(next) = guarded(&mut closed, &tx, tokio::time::timeout_at(deadline, resp.chunk())).await else { return Ok(()) };
            match next {
                Err(_) => {
                    stats.silences.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        silence_ms = u64::try_from(last_line.elapsed().as_millis()).unwrap_or(u64::MAX),
                        no_event_ms = u64::try_from(last_event.elapsed().as_millis()).unwrap_or(u64::MAX),
                        "vmr events: connection silent (no complete line or no event for too long); reconnecting"
                    );
                    last_failure = "the connection stayed silent".into();
                    break;
                }
                Ok(Ok(Some(bytes))) => {
                    let before = (parser.bytes(), parser.scanned(), parser.oversized_lines(), parser.dropped_events());
                    let lines = parser.lines();
                    parser.push(&bytes);
                    stats.record(&parser, before);
                    let now = Instant::now();
                    if parser.lines() != lines {
                        last_line = now;
                    }
                    while let Some(sse) = parser.next_event() {
                        let event = Event::decode(&sse.event, &sse.data);
                        let end = matches!(event, Event::Disconnect { .. });
                        delivered = true;
                        last_event = now;
                        stats.events.fetch_add(1, Ordering::Relaxed);
                        if tx.send(event).await.is_err() || end {
                            return Ok(());
                        }
                    }
                }
                Ok(Ok(None)) => {
                    tracing::info!("vmr events: the node closed the stream; reconnecting");
                    last_failure = "the node closed the stream".into();
                    break;
                }
                Ok(Err(e)) => {
                    tracing::info!(error = %e, "vmr events: connection broke; reconnecting");
                    last_failure = format!("the connection broke: {e}");
                    break;
                }
            }
        }
        stats.drops.fetch_add(1, Ordering::Relaxed);
        failures = if delivered { 1 } else { failures + 1 };
    }
}

fn is_refused(e: &Error) -> bool {
    e.http_status() == Some(403)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped() {
        let o = EventOptions::default();
        assert_eq!(o.delay(1), Duration::from_millis(250));
        assert_eq!(o.delay(2), Duration::from_millis(500));
        assert_eq!(o.delay(30), Duration::from_secs(5));
    }
}
