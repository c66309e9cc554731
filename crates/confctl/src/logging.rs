//! The SDK's tracing output on stderr, made safe for a terminal.
//!
//! Log fields can carry server text (an event name, an error). tracing-subscriber escapes
//! ESC, BEL, BS, FF, DEL and C1 in field values, but not CR or the other C0 controls, which
//! can still rewrite a line. Every log line goes through [`escape_controls`] on its way to
//! stderr, and colours are used only when stderr is a terminal.

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};

/// Tracing to stderr at the `--log` level (a plain level or an `EnvFilter` directive).
/// The SDK never puts a secret in a span or event.
pub fn init(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(level).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let ansi = io::stderr().is_terminal();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(move || SafeStderr { ansi })
        .with_target(true)
        .try_init();
}

/// Stderr that escapes control bytes (see [`escape_controls`]).
struct SafeStderr {
    /// Whether ESC passes (the subscriber's own colours; values' ESC is escaped upstream).
    ansi: bool,
}

impl Write for SafeStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::stderr().lock().write_all(&escape_controls(buf, self.ansi))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

/// `bytes` with every C0 control but newline and tab (and ESC when `keep_esc`), and DEL,
/// written as `\xNN`. Multi-byte UTF-8 is untouched (C1 is escaped by the subscriber).
pub fn escape_controls(bytes: &[u8], keep_esc: bool) -> Cow<'_, [u8]> {
    let unsafe_byte = |b: u8| (b < 0x20 && b != b'\n' && b != b'\t' && !(keep_esc && b == 0x1b)) || b == 0x7f;
    if !bytes.iter().copied().any(unsafe_byte) {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() + 16);
    for &b in bytes {
        if unsafe_byte(b) {
            out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
        } else {
            out.push(b);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_carry_no_raw_control_but_newline_and_tab() {
        let line = "WARN vmr: event=\"a\rb\u{0}c\u{7f}\u{1b}[2J\" 会议\tok\n".as_bytes();
        assert_eq!(escape_controls(line, false).as_ref(), "WARN vmr: event=\"a\\x0db\\x00c\\x7f\\x1b[2J\" 会议\tok\n".as_bytes());
        assert_eq!(escape_controls(b"\x1b[33mWARN\x1b[0m x\r\n", true).as_ref(), b"\x1b[33mWARN\x1b[0m x\\x0d\n");
        assert!(matches!(escape_controls(b"plain line\n", false), Cow::Borrowed(_)));
    }
}
