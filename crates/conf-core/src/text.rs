//! Text a server sent, made safe for a terminal, a log line or an error message.
//!
//! A server (or a proxy in front of it) controls vendor messages, HTML titles, status
//! text and names. Printed raw, its control characters move the cursor, ring the bell,
//! rewrite the line (`CR`), change colours or set the terminal title (`ESC ]`), and a
//! one-megabyte line floods the screen. [`sanitize`] escapes every control character
//! (C0, `DEL`, C1) and the bidirectional overrides that reorder text on screen, and caps
//! the length with an ellipsis. Every [`Error`](crate::Error) `Display` goes through it;
//! CLIs use it for table cells.

use std::borrow::Cow;
use std::fmt::{self, Write};

/// Default cap of [`sanitize`], in characters (escapes count as what they print).
pub const SANITIZE_LIMIT: usize = 200;

/// Whether `c` must not reach a terminal raw: C0/C1 controls, `DEL`, bidi controls.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with control characters escaped (`\n`, `\r`, `\t`, `\u{1b}`, ...) and at most
/// [`SANITIZE_LIMIT`] characters (a longer text ends with `…`).
///
/// ```
/// assert_eq!(conf_core::sanitize("bad\x1b]0;owned\x07 name\r\n"), "bad\\u{1b}]0;owned\\u{7} name\\r\\n");
/// assert_eq!(conf_core::sanitize(&"x".repeat(500)).chars().count(), 201);
/// ```
pub fn sanitize(text: &str) -> Cow<'_, str> {
    sanitize_to(text, SANITIZE_LIMIT)
}

/// [`sanitize`] with a cap of `max_chars` characters (`usize::MAX`: escape only).
pub fn sanitize_to(text: &str, max_chars: usize) -> Cow<'_, str> {
    // Fast path: nothing to escape and short enough (counting chars only when the bytes could exceed).
    if !text.chars().any(is_unsafe) && (text.len() <= max_chars || text.chars().count() <= max_chars) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_mul(4)).saturating_add(8));
    let _ = write_sanitized(&mut out, text, max_chars);
    Cow::Owned(out)
}

/// Write `text` sanitised (see [`sanitize_to`]) without allocating.
pub fn write_sanitized(out: &mut impl Write, text: &str, max_chars: usize) -> fmt::Result {
    let mut written = 0usize;
    for c in text.chars() {
        let (short, len) = match c {
            '\n' => (Some("\\n"), 2),
            '\r' => (Some("\\r"), 2),
            '\t' => (Some("\\t"), 2),
            // `\u{` + hex digits + `}`
            c if is_unsafe(c) => (None, 4 + (32 - (c as u32 | 1).leading_zeros()).div_ceil(4) as usize),
            _ => (None, 1),
        };
        if written.saturating_add(len) > max_chars {
            return out.write_char('…');
        }
        match short {
            Some(s) => out.write_str(s)?,
            None if len > 1 => write!(out, "\\u{{{:x}}}", c as u32)?,
            None => out.write_char(c)?,
        }
        written += len;
    }
    Ok(())
}

/// Displays a string sanitised with [`SANITIZE_LIMIT`] (no allocation).
#[derive(Debug, Clone, Copy)]
pub struct Sanitized<'a>(pub &'a str);

impl fmt::Display for Sanitized<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_sanitized(f, self.0, SANITIZE_LIMIT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_control_and_bidi_character() {
        for (raw, shown) in [
            ("\u{1b}[31mred", "\\u{1b}[31mred"),
            ("bell\u{7}", "bell\\u{7}"),
            ("a\rb", "a\\rb"),
            ("nul\0", "nul\\u{0}"),
            ("del\u{7f}", "del\\u{7f}"),
            ("csi\u{9b}2J", "csi\\u{9b}2J"),
            ("rtl\u{202e}txt", "rtl\\u{202e}txt"),
            ("tab\tnl\n", "tab\\tnl\\n"),
            ("会议室 A", "会议室 A"),
        ] {
            assert_eq!(sanitize(raw), shown, "{raw:?}");
        }
        assert!(matches!(sanitize("plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn caps_length_with_an_ellipsis() {
        let long = "我".repeat(1_000_000);
        let s = sanitize(&long);
        assert_eq!(s.chars().count(), SANITIZE_LIMIT + 1);
        assert!(s.ends_with('…'));
        // An escape is never cut in half.
        let esc = "\u{1b}".repeat(100);
        let s = sanitize_to(&esc, 20);
        assert_eq!(s, format!("{}…", "\\u{1b}".repeat(3)));
        assert_eq!(sanitize_to("abc", usize::MAX), "abc");
        assert_eq!(Sanitized("x\u{7}").to_string(), "x\\u{7}");
    }
}
