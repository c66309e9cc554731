//! The reconnecting event stream.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

use conf_core::{AuthMode, Error, ExposeSecret, Operation};

use super::Event;
use super::sse::SseParser;
use crate::client::Room;
use crate::session::SessionAuth;

/// Options of an [`EventStream`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventOptions {
    /// A connection without any byte (event or keep-alive comment) for this long is
    /// treated as dropped. Default 60 s.
    pub silence_timeout: Duration,
    /// First wait before reconnecting after a failure; doubled per consecutive failure. Default 250 ms.
    pub initial_backoff: Duration,
    /// Longest wait between two connection attempts. Default 5 s.
    pub max_backoff: Duration,
    /// Events buffered for a slow consumer. Default 256.
    pub buffer: usize,
}

impl Default for EventOptions {
    fn default() -> Self {
        Self {
            silence_timeout: Duration::from_secs(60),
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(5),
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

    /// Set the backoff bounds.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
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
    /// Drops caused by the silence watchdog.
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
}

/// A live, reconnecting stream of a room's [`Event`]s (see the [module docs](super)).
///
/// Dropping it stops the background connection.
pub struct EventStream {
    rx: mpsc::Receiver<Event>,
    stats: Arc<StreamStats>,
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
        let task = tokio::spawn(run(room, auth, closed, options, tx, stats.clone())).abort_handle();
        Self { rx, stats, task }
    }

    /// Connection counters.
    pub fn stats(&self) -> &StreamStats {
        &self.stats
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

async fn run(
    room: Room,
    auth: Arc<SessionAuth>,
    mut closed: watch::Receiver<bool>,
    options: EventOptions,
    tx: mpsc::Sender<Event>,
    stats: Arc<StreamStats>,
) {
    let mut failures: u32 = 0;
    let mut parser = SseParser::new();
    loop {
        if failures > 0 {
            let delay = options.delay(failures);
            if guarded(&mut closed, &tx, tokio::time::sleep(delay)).await.is_none() {
                return;
            }
        }
        if auth.is_closed() {
            return;
        }
        let Some(token) = guarded(&mut closed, &tx, auth.token()).await else { return };
        let (token, generation) = match token {
            Ok(t) => t,
            Err(e) => {
                failures += 1;
                stats.failed_connects.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "vmr events: no token; retrying");
                continue;
            }
        };
        let op = Operation::new("vmr", "events", http::Method::GET, "/events", "/events")
            .query("token", token.token.expose_secret())
            .auth(AuthMode::None);
        let op = match room.prepare(op) {
            Ok(op) => op,
            Err(e) => {
                tracing::warn!(error = %e, "vmr events: cannot build the request; stream ends");
                return;
            }
        };
        drop(token);
        let Some(opened) = guarded(&mut closed, &tx, room.mcu().client().open_stream(op)).await else { return };
        let mut resp = match opened {
            Ok(r) => r,
            Err(e) => {
                failures += 1;
                stats.failed_connects.fetch_add(1, Ordering::Relaxed);
                if is_refused(&e) {
                    auth.refused(generation);
                }
                tracing::warn!(error = %e, failures, "vmr events: connection failed; reconnecting");
                continue;
            }
        };
        stats.connects.fetch_add(1, Ordering::Relaxed);
        parser.reset();
        let mut delivered = false;
        loop {
            let Some(next) = guarded(&mut closed, &tx, tokio::time::timeout(options.silence_timeout, resp.chunk())).await else { return };
            match next {
                Err(_) => {
                    stats.silences.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(silence_ms = options.silence_timeout.as_millis() as u64, "vmr events: connection silent; reconnecting");
                    break;
                }
                Ok(Ok(Some(bytes))) => {
                    parser.push(&bytes);
                    while let Some(sse) = parser.next_event() {
                        let event = Event::decode(&sse.event, &sse.data);
                        let end = matches!(event, Event::Disconnect { .. });
                        delivered = true;
                        stats.events.fetch_add(1, Ordering::Relaxed);
                        if tx.send(event).await.is_err() || end {
                            return;
                        }
                    }
                }
                Ok(Ok(None)) => {
                    tracing::info!("vmr events: the node closed the stream; reconnecting");
                    break;
                }
                Ok(Err(e)) => {
                    tracing::info!(error = %e.without_url(), "vmr events: connection broke; reconnecting");
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
