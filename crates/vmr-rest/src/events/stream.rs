//! The reconnecting event stream: [`EventOptions`] and [`EventStream`], a
//! [`conf_core::ReconnectingStream`] over the SSE source (`source.rs`).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use conf_core::reconnect::{ReconnectBuilder, StreamEnd, StreamItem};
use conf_core::{Error, ReconnectPolicy, ReconnectingStream};
use futures_core::Stream;
use tokio::sync::watch;

use super::Event;
use super::source::SseSource;
use super::sse::SseLimits;
use super::stats::StreamStats;
use crate::client::Room;
use crate::session::SessionAuth;

/// Options of an [`EventStream`]: `EventOptions::default()` and the setters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventOptions {
    /// Backoff, silence watchdog and failure budget, shared with every conf-sdk stream.
    /// The silence watchdog counts complete lines (event, field or keep-alive comment);
    /// bytes that never finish a line do not count. Defaults: 250 ms doubling up to 5 s,
    /// 60 s of silence, 30 consecutive failed connections (refused, broken, or ended
    /// without delivering an event; about two minutes of a node that is down).
    pub reconnect: ReconnectPolicy,
    /// A connection that delivers no event for this long is treated as dropped (keep-alive
    /// comments alone do not keep it). Every connection starts with the participant sync
    /// bracket, so a live node is never cut for a quiet room more than once per this
    /// period. Default 5 min.
    pub event_timeout: Duration,
    /// Line and event size limits of the SSE parser (default 64 KiB per line, 1 MiB per event).
    pub limits: SseLimits,
    /// Items buffered for a slow consumer. Default 256.
    pub buffer: usize,
}

impl Default for EventOptions {
    fn default() -> Self {
        Self { reconnect: ReconnectPolicy::default(), event_timeout: Duration::from_secs(300), limits: SseLimits::default(), buffer: 256 }
    }
}

impl EventOptions {
    /// Set the reconnection policy (backoff, silence watchdog, failure budget).
    pub fn reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.reconnect = policy;
        self
    }

    /// Set the silence watchdog.
    pub fn silence_timeout(mut self, d: Duration) -> Self {
        self.reconnect = self.reconnect.silence_timeout(d);
        self
    }

    /// Set the no-event watchdog.
    pub fn event_timeout(mut self, d: Duration) -> Self {
        self.event_timeout = d;
        self
    }

    /// Set the first wait before reconnecting (doubled per consecutive failure).
    pub fn initial_backoff(mut self, d: Duration) -> Self {
        self.reconnect = self.reconnect.initial_backoff(d);
        self
    }

    /// Set the longest wait between two connection attempts.
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.reconnect = self.reconnect.max_backoff(d);
        self
    }

    /// Set how many items are buffered for a slow consumer.
    pub fn buffer(mut self, items: usize) -> Self {
        self.buffer = items;
        self
    }

    /// Set the backoff bounds.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.reconnect = self.reconnect.backoff(initial, max);
        self
    }

    /// Set how many consecutive failed connections end the stream (`None`: never).
    pub fn max_failures(mut self, n: Option<u32>) -> Self {
        self.reconnect = self.reconnect.max_failures(n);
        self
    }

    /// Set the SSE line and event limits.
    pub fn limits(mut self, limits: SseLimits) -> Self {
        self.limits = limits;
        self
    }
}

/// A live, reconnecting stream of a room's [`Event`]s (see the [module docs](super)): a
/// [`futures_core::Stream`] of `Result<`[`StreamItem`]`<Event>, Error>`, the same
/// lifecycle items as every conf-sdk stream (moyun push included).
///
/// Dropping it stops the background connection. When the stream gives up, its last item
/// is the `Err` saying why ([`Self::error`] keeps it).
pub struct EventStream {
    inner: ReconnectingStream<Event>,
    stats: Arc<StreamStats>,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream").field("stats", &self.stats).finish_non_exhaustive()
    }
}

impl EventStream {
    pub(crate) fn start(room: Room, auth: Arc<SessionAuth>, closed: watch::Receiver<bool>, options: EventOptions) -> Self {
        let stats = Arc::new(StreamStats::default());
        let source = SseSource::new(room, auth, closed, options, stats.clone());
        let inner = ReconnectBuilder::new(options.reconnect).buffer(options.buffer).spawn(source);
        Self { inner, stats }
    }

    /// Connection counters.
    pub fn stats(&self) -> &StreamStats {
        &self.stats
    }

    /// Why the stream ended, when it gave up: too many consecutive failed connections
    /// ([`ReconnectPolicy::max_failures`]), or a token the node refused again after renewal
    /// ([`Error::Auth`]). `None` while it runs and after a normal end (a `disconnect`
    /// event, the session closed).
    pub fn error(&self) -> Option<Error> {
        self.inner.end().map(|e| e.error().clone())
    }

    /// Why the stream gave up, in detail (see [`Self::error`]).
    pub fn end(&self) -> Option<StreamEnd> {
        self.inner.end()
    }

    /// The next event, skipping lifecycle items; `None` once the stream has ended, an
    /// `Err` as the last item when it gave up.
    pub async fn next_event(&mut self) -> Option<Result<Event, Error>> {
        self.inner.next_event().await
    }

    /// The next item: `Connected`, `Reconnecting { reason, .. }` or an event.
    pub async fn next_item(&mut self) -> Option<Result<StreamItem<Event>, Error>> {
        self.inner.next_item().await
    }
}

impl Stream for EventStream {
    type Item = Result<StreamItem<Event>, Error>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.inner).poll_next(cx)
    }
}
