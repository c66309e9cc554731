//! Capture everything a process logs: a TRACE-level tracing subscriber (with the `log`
//! bridge, so reqwest's and hyper's records come too) writing into a shared buffer.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use tracing_subscriber::fmt::MakeWriter;

/// A shared, growable log buffer.
#[derive(Clone, Default)]
pub struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    /// Everything written so far, as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A writer into a [`Buffer`].
pub struct BufferWriter(Buffer);

impl Write for BufferWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = BufferWriter;

    fn make_writer(&'a self) -> Self::Writer {
        BufferWriter(self.clone())
    }
}

/// Install a global TRACE subscriber (all targets, span events included) writing into the
/// returned buffer. Fails if a global subscriber is already set.
pub fn install() -> Result<Buffer, String> {
    let buffer = Buffer::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(buffer.clone())
        .try_init()
        .map_err(|e| e.to_string())?;
    Ok(buffer)
}

/// Every secret of `secrets` (at least 4 characters) found in `haystack`, with the context
/// of its first occurrence (the secret itself masked).
pub fn find_secrets(haystack: &str, secrets: &[String]) -> Vec<String> {
    let mut hits = Vec::new();
    for s in secrets {
        if s.len() < 4 {
            continue;
        }
        if let Some(at) = haystack.find(s.as_str()) {
            let mut start = at.saturating_sub(80);
            while !haystack.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (at + s.len() + 80).min(haystack.len());
            while !haystack.is_char_boundary(end) {
                end += 1;
            }
            let context = haystack[start..end].replace(s.as_str(), "<SECRET>");
            hits.push(format!("secret of {} chars found: ...{context}...", s.len()));
        }
    }
    hits
}
