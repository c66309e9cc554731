//! A small incremental parser for `text/event-stream` (server-sent events).
//!
//! Feed it chunks as they arrive ([`SseParser::push`]) and take complete events
//! ([`SseParser::next_event`]). It handles `\n`, `\r\n` and `\r` line endings (also
//! split across chunks), multi-line `data`, comments, `id`, `retry`, a UTF-8 BOM and
//! chunks cut anywhere, including inside a multi-byte character.
//!
//! Bounded and linear, whatever the server sends:
//! - only the unfinished line is kept between chunks, and every byte is searched for a line
//!   end once ([`SseParser::scanned`] never exceeds the bytes fed): a line without a newline
//!   arriving in a million chunks is not rescanned from its start each time;
//! - a line longer than [`SseLimits::max_line`] (default 64 KiB) is dropped as it arrives
//!   (its bytes are not kept) together with the event it belongs to;
//! - an event whose data grows beyond [`SseLimits::max_event`] (default 1 MiB) is dropped;
//! - both are counted ([`SseParser::oversized_lines`], [`SseParser::dropped_events`]).
//!
//! Deviation from the WHATWG algorithm, on purpose: an event that names itself with
//! `event:` but carries no `data:` line is still dispatched (with empty data), because
//! the vmr document lists events without a body (`presentation_stop`, `presentation_frame`).

use std::collections::VecDeque;

/// One dispatched server-sent event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// Event type (`message` when the server named none).
    pub event: String,
    /// Data lines joined with `\n`.
    pub data: String,
    /// The last event id seen, if any.
    pub id: Option<String>,
    /// Reconnection time the server asked for, in milliseconds.
    pub retry: Option<u64>,
}

/// Size limits of an [`SseParser`]: `SseLimits::default()` and the setters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SseLimits {
    /// Longest line kept, in bytes (without its line end). Default 64 KiB.
    pub max_line: usize,
    /// Most data bytes of one event. Default 1 MiB.
    pub max_event: usize,
}

impl SseLimits {
    /// Default longest line: 64 KiB.
    pub const DEFAULT_MAX_LINE: usize = 64 * 1024;
    /// Default most data of one event: 1 MiB.
    pub const DEFAULT_MAX_EVENT: usize = 1024 * 1024;

    /// Set the longest line kept, in bytes.
    #[must_use]
    pub fn max_line(mut self, bytes: usize) -> Self {
        self.max_line = bytes;
        self
    }

    /// Set the most data bytes of one event.
    #[must_use]
    pub fn max_event(mut self, bytes: usize) -> Self {
        self.max_event = bytes;
        self
    }
}

impl Default for SseLimits {
    fn default() -> Self {
        Self { max_line: Self::DEFAULT_MAX_LINE, max_event: Self::DEFAULT_MAX_EVENT }
    }
}

/// Incremental SSE parser.
#[derive(Debug, Default)]
pub struct SseParser {
    /// The unfinished line (every byte of it already searched for a line end).
    buf: Vec<u8>,
    /// A `\r` ended the previous line: skip a `\n` that follows.
    skip_lf: bool,
    bom_checked: bool,
    /// The current line is over the limit: drop bytes until its end.
    discard_line: bool,
    /// The current event is over a limit: drop it at its blank line.
    discard_event: bool,
    event: String,
    data: String,
    has_data: bool,
    last_id: Option<String>,
    retry: Option<u64>,
    ready: VecDeque<SseEvent>,
    limits: SseLimits,
    comments: u64,
    lines: u64,
    bytes: u64,
    scanned: u64,
    oversized_lines: u64,
    dropped_events: u64,
}

impl SseParser {
    /// A new parser with the default [`SseLimits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A new parser with explicit limits (each at least 1 byte).
    pub fn with_limits(limits: SseLimits) -> Self {
        Self { limits: SseLimits { max_line: limits.max_line.max(1), max_event: limits.max_event.max(1) }, ..Self::default() }
    }

    /// The limits.
    pub fn limits(&self) -> SseLimits {
        self.limits
    }

    /// Feed one chunk of the stream; complete events become available through [`Self::next_event`].
    pub fn push(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        let mut chunk = chunk;
        if !self.bom_checked {
            const BOM: &[u8] = b"\xEF\xBB\xBF";
            let have = self.buf.len();
            let take = chunk.len().min(3 - have.min(3));
            let mut head = self.buf.clone();
            head.extend_from_slice(&chunk[..take]);
            if head.len() < 3 && BOM.starts_with(&head) {
                self.buf = head;
                return;
            }
            self.bom_checked = true;
            if head.starts_with(BOM) {
                self.buf.clear();
                chunk = &chunk[take..];
            }
        }
        self.scan(chunk);
    }

    /// Feed one chunk and call `f` with every event it completes.
    pub fn feed(&mut self, chunk: &[u8], mut f: impl FnMut(SseEvent)) {
        self.push(chunk);
        while let Some(e) = self.ready.pop_front() {
            f(e);
        }
    }

    /// The next complete event, if any.
    pub fn next_event(&mut self) -> Option<SseEvent> {
        self.ready.pop_front()
    }

    /// Comment lines seen so far (keep-alives).
    pub fn comments(&self) -> u64 {
        self.comments
    }

    /// Complete lines seen so far (comments, fields and blank lines).
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Bytes fed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Bytes searched for a line end so far: never more than [`Self::bytes`] (linear work).
    pub fn scanned(&self) -> u64 {
        self.scanned
    }

    /// Bytes held now: the unfinished line, the current event's name and data, and
    /// events not yet taken.
    pub fn buffered(&self) -> usize {
        self.buf.len() + self.event.len() + self.data.len() + self.ready.iter().map(|e| e.event.len() + e.data.len()).sum::<usize>()
    }

    /// Lines dropped for exceeding [`SseLimits::max_line`].
    pub fn oversized_lines(&self) -> u64 {
        self.oversized_lines
    }

    /// Events dropped for exceeding a limit (an oversized line or too much data).
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events
    }

    /// The last event id seen.
    pub fn last_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    /// Forget any partial event (after a reconnect); the last id and the counters are kept.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.skip_lf = false;
        self.bom_checked = false;
        self.discard_line = false;
        self.discard_event = false;
        self.event.clear();
        self.data.clear();
        self.has_data = false;
    }

    fn scan(&mut self, mut chunk: &[u8]) {
        loop {
            if self.skip_lf && !chunk.is_empty() {
                if chunk[0] == b'\n' {
                    chunk = &chunk[1..];
                }
                self.skip_lf = false;
            }
            let Some(i) = chunk.iter().position(|&b| b == b'\n' || b == b'\r') else {
                self.scanned += chunk.len() as u64;
                break;
            };
            self.scanned += i as u64 + 1;
            let cr = chunk[i] == b'\r';
            let part = &chunk[..i];
            chunk = &chunk[i + 1..];
            self.skip_lf = cr;
            self.lines += 1;
            if std::mem::take(&mut self.discard_line) {
                continue; // the end of an oversized line
            }
            if self.buf.len() + part.len() > self.limits.max_line {
                self.buf.clear();
                self.oversized();
                continue;
            }
            if self.buf.is_empty() {
                self.line(part);
            } else {
                let mut line = std::mem::take(&mut self.buf);
                line.extend_from_slice(part);
                self.line(&line);
                line.clear();
                self.buf = line; // keep the allocation
            }
        }
        // The unfinished rest of the chunk: kept, unless the line is over the limit.
        if self.discard_line {
            return;
        }
        if self.buf.len() + chunk.len() > self.limits.max_line {
            self.buf = Vec::new();
            self.discard_line = true;
            self.oversized();
        } else {
            self.buf.extend_from_slice(chunk);
        }
    }

    /// A line over the limit: dropped, and the event it belongs to with it.
    fn oversized(&mut self) {
        self.oversized_lines += 1;
        self.drop_event();
    }

    fn drop_event(&mut self) {
        if !self.discard_event {
            self.discard_event = true;
            self.dropped_events += 1;
        }
        self.data = String::new();
        self.has_data = false;
    }

    fn line(&mut self, line: &[u8]) {
        if line.is_empty() {
            self.dispatch();
            return;
        }
        if line[0] == b':' {
            self.comments += 1;
            return;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(c) => {
                let v = &line[c + 1..];
                (&line[..c], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        match name {
            b"data" => {
                if self.discard_event {
                    return;
                }
                if self.data.len() + value.len() + 1 > self.limits.max_event {
                    self.drop_event();
                    return;
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&String::from_utf8_lossy(value));
                self.has_data = true;
            }
            b"event" => {
                self.event.clear();
                self.event.push_str(&String::from_utf8_lossy(value));
            }
            b"id" if !value.contains(&0) => {
                self.last_id = Some(String::from_utf8_lossy(value).into_owned());
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                self.retry = std::str::from_utf8(value).ok().and_then(|s| s.parse().ok());
            }
            _ => {}
        }
    }

    fn dispatch(&mut self) {
        if std::mem::take(&mut self.discard_event) {
            self.event.clear();
            self.data.clear();
            self.has_data = false;
            self.retry = None;
            return;
        }
        if !self.has_data && self.event.is_empty() {
            return;
        }
        let event = if self.event.is_empty() { "message".to_string() } else { std::mem::take(&mut self.event) };
        self.ready.push_back(SseEvent { event, data: std::mem::take(&mut self.data), id: self.last_id.clone(), retry: self.retry.take() });
        self.has_data = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c, |e| out.push(e));
        }
        out
    }

    fn ev(event: &str, data: &str) -> SseEvent {
        SseEvent { event: event.into(), data: data.into(), id: None, retry: None }
    }

    #[test]
    fn lf_crlf_cr_and_multiline() {
        let text = b"event: a\ndata: 1\n\nevent: b\r\ndata: x\r\ndata: y\r\n\r\nevent: c\rdata:z\r\r";
        assert_eq!(all(&[text]), vec![ev("a", "1"), ev("b", "x\ny"), ev("c", "z")]);
    }

    #[test]
    fn every_split_point_gives_the_same_events() {
        let text =
            "\u{feff}: keepalive\r\nevent: message\r\ndata: {\"payload\":\"你好\"}\r\n\r\nid: 7\nevent: layout\ndata: {}\n\n".as_bytes();
        let whole = all(&[text]);
        assert_eq!(whole.len(), 2);
        assert_eq!(whole[0], ev("message", "{\"payload\":\"你好\"}"));
        assert_eq!(whole[1].id.as_deref(), Some("7"));
        for i in 0..text.len() {
            assert_eq!(all(&[&text[..i], &text[i..]]), whole, "split at {i}");
        }
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(all(&bytes), whole);
    }

    #[test]
    fn comments_and_unnamed_events() {
        let mut p = SseParser::new();
        p.push(b": ping\n\ndata: hi\n\n: ping\n");
        assert_eq!(p.comments(), 2);
        assert_eq!(p.next_event(), Some(ev("message", "hi")));
        assert_eq!(p.next_event(), None);
    }

    #[test]
    fn event_without_data_is_dispatched_and_partial_is_kept() {
        let mut p = SseParser::new();
        p.push(b"event: presentation_stop\n\nevent: layout\ndata: {\"view\"");
        assert_eq!(p.next_event(), Some(ev("presentation_stop", "")));
        assert_eq!(p.next_event(), None);
        p.push(b":\"1:7\"}\n\n");
        assert_eq!(p.next_event(), Some(ev("layout", "{\"view\":\"1:7\"}")));
    }

    #[test]
    fn retry_and_field_without_colon() {
        let mut p = SseParser::new();
        p.push(b"retry: 3000\ndata\nevent: x\n\n");
        let e = p.next_event().unwrap();
        assert_eq!((e.event.as_str(), e.data.as_str(), e.retry), ("x", "", Some(3000)));
    }

    #[test]
    fn a_long_line_in_many_chunks_is_bounded_and_scanned_once() {
        let limits = SseLimits { max_line: 4096, max_event: 16 * 1024 };
        let mut p = SseParser::with_limits(limits);
        p.push(b"event: layout\ndata: ");
        let chunk = [b'x'; 100];
        let mut max_buffered = 0;
        for _ in 0..100_000 {
            p.push(&chunk);
            max_buffered = max_buffered.max(p.buffered());
        }
        // 10 MB without a newline: never more than one line's worth held, every byte searched once.
        assert!(max_buffered <= limits.max_line, "{max_buffered}");
        assert!(p.scanned() <= p.bytes(), "{} > {}", p.scanned(), p.bytes());
        assert_eq!(p.oversized_lines(), 1);
        assert_eq!(p.dropped_events(), 1);
        // The oversized line ends; its event is dropped; the stream goes on.
        p.push(b"\n\nevent: message\ndata: ok\n\n");
        assert_eq!(p.next_event(), Some(ev("message", "ok")));
        assert_eq!(p.next_event(), None);
        assert!(p.buffered() < 64);
    }

    #[test]
    fn one_byte_chunks_are_linear() {
        let mut p = SseParser::new();
        for _ in 0..200_000 {
            p.push(b"y");
        }
        assert_eq!(p.scanned(), 200_000);
        assert!(p.buffered() <= SseLimits::DEFAULT_MAX_LINE);
        assert_eq!(p.oversized_lines(), 1);
    }

    #[test]
    fn too_much_data_drops_the_event() {
        let mut p = SseParser::with_limits(SseLimits { max_line: 1024, max_event: 2048 });
        for _ in 0..100 {
            p.push(b"data: 0123456789012345678901234567890123456789\n");
            assert!(p.buffered() <= 2048, "{}", p.buffered());
        }
        p.push(b"\ndata: next\n\n");
        assert_eq!(p.dropped_events(), 1);
        assert_eq!(p.oversized_lines(), 0);
        assert_eq!(p.next_event(), Some(ev("message", "next")));
        // A complete line over the limit inside one chunk is dropped too.
        let mut big = b"data: ".to_vec();
        big.extend(std::iter::repeat_n(b'z', 5000));
        big.extend_from_slice(b"\n\ndata: after\n\n");
        p.push(&big);
        assert_eq!(p.oversized_lines(), 1);
        assert_eq!(p.next_event(), Some(ev("message", "after")));
    }
}
