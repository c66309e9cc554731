//! A small incremental parser for `text/event-stream` (server-sent events).
//!
//! Feed it chunks as they arrive ([`SseParser::push`]) and take complete events
//! ([`SseParser::next_event`]). It handles `\n`, `\r\n` and `\r` line endings (also
//! split across chunks), multi-line `data`, comments, `id`, `retry`, a UTF-8 BOM and
//! chunks cut anywhere, including inside a multi-byte character.
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

/// Incremental SSE parser.
#[derive(Debug, Default)]
pub struct SseParser {
    buf: Vec<u8>,
    /// Bytes of `buf` already consumed as complete lines.
    start: usize,
    /// A `\r` ended the previous line: skip a `\n` that follows.
    skip_lf: bool,
    bom_checked: bool,
    event: String,
    data: String,
    has_data: bool,
    last_id: Option<String>,
    retry: Option<u64>,
    ready: VecDeque<SseEvent>,
    comments: u64,
    bytes: u64,
}

impl SseParser {
    /// A new parser.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed one chunk of the stream; complete events become available through [`Self::next_event`].
    pub fn push(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        self.buf.extend_from_slice(chunk);
        if !self.bom_checked {
            if self.buf.len() < 3 && b"\xEF\xBB\xBF".starts_with(&self.buf) {
                return;
            }
            if self.buf.starts_with(b"\xEF\xBB\xBF") {
                self.start = 3;
            }
            self.bom_checked = true;
        }
        self.scan();
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

    /// Bytes fed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The last event id seen.
    pub fn last_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    /// Forget any partial event (after a reconnect); the last id is kept.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.start = 0;
        self.skip_lf = false;
        self.bom_checked = false;
        self.event.clear();
        self.data.clear();
        self.has_data = false;
    }

    fn scan(&mut self) {
        let mut pos = self.start;
        loop {
            if self.skip_lf && pos < self.buf.len() {
                if self.buf[pos] == b'\n' {
                    pos += 1;
                }
                self.skip_lf = false;
            }
            let rest = &self.buf[pos..];
            let Some(i) = rest.iter().position(|&b| b == b'\n' || b == b'\r') else { break };
            let cr = rest[i] == b'\r';
            let line_end = pos + i;
            // Take the line out of the buffer without copying it twice.
            let line = std::mem::take(&mut self.buf);
            self.line(&line[pos..line_end]);
            self.buf = line;
            pos = line_end + 1;
            if cr {
                self.skip_lf = true;
            }
        }
        // Compact: drop consumed bytes once they dominate the buffer.
        if pos == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if pos > 4096 && pos * 2 > self.buf.len() {
            self.buf.drain(..pos);
            self.start = 0;
        } else {
            self.start = pos;
        }
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
}
