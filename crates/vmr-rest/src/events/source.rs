//! The SSE side of the event stream: open `GET events?token=...` with the session's
//! current token, parse it within its limits, and report events and signs of life to the
//! conf-core reconnecting stream (which owns backoff, watchdog and failure budget).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use conf_core::reconnect::{ConnectError, DropReason, Signal, Source};
use conf_core::{AuthMode, ExposeSecret, Operation, RequestInfo, StreamResponse};
use tokio::sync::watch;
use tokio::time::Instant;

use super::Event;
use super::sse::SseParser;
use super::stats::StreamStats;
use super::stream::EventOptions;
use crate::client::Room;
use crate::session::SessionAuth;

pub(super) struct SseSource {
    room: Room,
    auth: Arc<SessionAuth>,
    closed: watch::Receiver<bool>,
    event_timeout: Duration,
    stats: Arc<StreamStats>,
    parser: SseParser,
    response: Option<StreamResponse>,
    last_event: Instant,
    /// A `disconnect` event was delivered: the stream ends.
    finished: bool,
}

impl SseSource {
    pub(super) fn new(
        room: Room,
        auth: Arc<SessionAuth>,
        closed: watch::Receiver<bool>,
        options: EventOptions,
        stats: Arc<StreamStats>,
    ) -> Self {
        Self {
            room,
            auth,
            closed,
            event_timeout: options.event_timeout,
            stats,
            parser: SseParser::with_limits(options.limits),
            response: None,
            last_event: Instant::now(),
            finished: false,
        }
    }

    fn is_closed(&self) -> bool {
        *self.closed.borrow() || self.auth.is_closed()
    }

    /// The next event the parser holds, counted.
    fn take_event(&mut self) -> Option<Event> {
        let sse = self.parser.next_event()?;
        let event = Event::decode(&sse.event, &sse.data);
        self.finished = matches!(event, Event::Disconnect { .. });
        self.last_event = Instant::now();
        self.stats.events.fetch_add(1, Ordering::Relaxed);
        Some(event)
    }

    /// Read until an event, a complete line or the end of the connection.
    async fn read(&mut self) -> Signal<Event> {
        if let Some(event) = self.take_event() {
            return Signal::Event(event);
        }
        loop {
            let deadline = self.last_event + self.event_timeout;
            let Some(response) = self.response.as_mut() else { return Signal::Dropped(DropReason::ServerClosed) };
            match tokio::time::timeout_at(deadline, response.chunk()).await {
                Err(_) => {
                    tracing::warn!(no_event_ms = self.event_timeout.as_millis() as u64, "vmr events: no event for too long");
                    return Signal::Dropped(DropReason::SilenceTimeout { after: self.event_timeout });
                }
                Ok(Ok(Some(bytes))) => {
                    let before = (self.parser.bytes(), self.parser.scanned(), self.parser.oversized_lines(), self.parser.dropped_events());
                    let lines = self.parser.lines();
                    self.parser.push(&bytes);
                    self.stats.record(&self.parser, before);
                    if let Some(event) = self.take_event() {
                        return Signal::Event(event);
                    }
                    // Only complete lines are signs of life: bytes that never finish one are not.
                    if self.parser.lines() != lines {
                        return Signal::KeepAlive;
                    }
                }
                Ok(Ok(None)) => return Signal::Dropped(DropReason::ServerClosed),
                Ok(Err(e)) => return Signal::Dropped(DropReason::Broken(e)),
            }
        }
    }

    async fn open(&mut self) -> Result<(), ConnectError> {
        let (token, generation) = match self.auth.token().await {
            Ok(t) => t,
            Err(e) => {
                self.stats.failed_connects.fetch_add(1, Ordering::Relaxed);
                return Err(ConnectError::Failed(e));
            }
        };
        let op = Operation::new("vmr", "events", http::Method::GET, "/events", "/events")
            .query("token", token.token.expose_secret())
            .auth(AuthMode::None);
        drop(token);
        // The room's base; the node's hooks (deployment rules) run in `open_stream`.
        let op = op.base(self.room.base_url().clone());
        match self.room.mcu().client().open_stream(op).await {
            Ok(response) => {
                self.stats.connects.fetch_add(1, Ordering::Relaxed);
                self.parser.reset();
                self.response = Some(response);
                self.last_event = Instant::now();
                Ok(())
            }
            Err(e) if e.http_status() == Some(403) => {
                // Renew the token for the next attempt; a second refusal in a row ends the stream.
                self.stats.failed_connects.fetch_add(1, Ordering::Relaxed);
                self.stats.refusals.fetch_add(1, Ordering::Relaxed);
                self.auth.refused(generation);
                Err(ConnectError::Rejected(e))
            }
            Err(e) => {
                self.stats.failed_connects.fetch_add(1, Ordering::Relaxed);
                Err(ConnectError::Failed(e))
            }
        }
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

impl Source for SseSource {
    type Event = Event;

    async fn connect(&mut self) -> Result<(), ConnectError> {
        if self.is_closed() {
            return Err(ConnectError::Closed);
        }
        let mut closed = self.closed.clone();
        tokio::select! {
            biased;
            () = wait_closed(&mut closed) => Err(ConnectError::Closed),
            r = self.open() => r,
        }
    }

    async fn next(&mut self) -> Signal<Event> {
        if self.finished {
            return Signal::Finished;
        }
        let mut closed = self.closed.clone();
        tokio::select! {
            biased;
            () = wait_closed(&mut closed) => Signal::Finished,
            s = self.read() => s,
        }
    }

    fn dropped(&mut self, reason: &DropReason) {
        if self.response.take().is_some() {
            self.stats.drops.fetch_add(1, Ordering::Relaxed);
            if matches!(reason, DropReason::SilenceTimeout { .. }) {
                self.stats.silences.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    async fn closed(&mut self) {
        wait_closed(&mut self.closed).await;
    }

    fn credential_name(&self) -> &'static str {
        "session's token"
    }

    fn request(&self) -> RequestInfo {
        RequestInfo::none(crate::wire::VENDOR, "events")
    }
}
