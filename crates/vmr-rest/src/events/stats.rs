//! [`StreamStats`]: counters of an event stream.

use std::sync::atomic::{AtomicU64, Ordering};

use super::sse::SseParser;

/// Counters of an [`EventStream`](super::EventStream).
#[derive(Debug, Default)]
pub struct StreamStats {
    pub(super) connects: AtomicU64,
    pub(super) drops: AtomicU64,
    pub(super) silences: AtomicU64,
    pub(super) events: AtomicU64,
    pub(super) failed_connects: AtomicU64,
    pub(super) refusals: AtomicU64,
    pub(super) bytes: AtomicU64,
    pub(super) scanned: AtomicU64,
    pub(super) peak_buffered: AtomicU64,
    pub(super) oversized_lines: AtomicU64,
    pub(super) dropped_events: AtomicU64,
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

    pub(super) fn record(&self, parser: &SseParser, before: (u64, u64, u64, u64)) {
        self.bytes.fetch_add(parser.bytes() - before.0, Ordering::Relaxed);
        self.scanned.fetch_add(parser.scanned() - before.1, Ordering::Relaxed);
        self.oversized_lines.fetch_add(parser.oversized_lines() - before.2, Ordering::Relaxed);
        self.dropped_events.fetch_add(parser.dropped_events() - before.3, Ordering::Relaxed);
        self.peak_buffered.fetch_max(parser.buffered() as u64, Ordering::Relaxed);
    }
}
