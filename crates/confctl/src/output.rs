//! Output: a human table by default, exactly one JSON document with `--json`
//! (JSON lines for event streams).
//!
//! Every text confctl prints may come from a server (names, vendor messages, HTML titles), so
//! nothing reaches the terminal raw: table cells, human lines and error lines go through
//! [`conf_core::text::sanitize_to`] (control characters and bidirectional overrides
//! escaped, length capped with `…`); JSON output escapes the same characters as `\uXXXX`.

use std::fmt::Write as _;
use std::io::Write;

use conf_core::text::sanitize_to;

use serde_json::Value;

/// How results are printed.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// Print JSON instead of tables.
    pub json: bool,
}

impl Output {
    /// Print a result: `value` as one JSON document, or `table` for humans.
    pub fn result(&self, value: &Value, table: &Table) {
        let mut out = std::io::stdout().lock();
        if self.json {
            let _ = writeln!(out, "{}", json_text(value));
        } else {
            let _ = write!(out, "{}", table.render());
        }
    }

    /// Print one event of a stream: a JSON line, or a short human line.
    pub fn event(&self, value: &Value, human: &str) {
        let mut out = std::io::stdout().lock();
        if self.json {
            let _ = writeln!(out, "{}", json_text(value));
        } else {
            let _ = writeln!(out, "{}", sanitize_to(human, LINE_LIMIT));
        }
        let _ = out.flush();
    }
}

/// A plain-text table with aligned columns.
#[derive(Debug, Clone, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(headers: I) -> Self {
        Self { headers: headers.into_iter().map(Into::into).collect(), rows: Vec::new() }
    }

    /// A two-column key/value table.
    pub fn kv<I: IntoIterator<Item = (K, V)>, K: Into<String>, V: Into<String>>(pairs: I) -> Self {
        let mut t = Self::new(["field", "value"]);
        for (k, v) in pairs {
            t.row([k.into(), v.into()]);
        }
        t
    }

    /// Add a row. Each cell is sanitised for the terminal and capped at [`CELL_LIMIT`]
    /// characters (longer cells end in `…`).
    pub fn row<I: IntoIterator<Item = S>, S: Into<String>>(&mut self, cells: I) -> &mut Self {
        self.rows.push(
            cells
                .into_iter()
                .map(|c| {
                    let c: String = c.into();
                    sanitize_to(&c, CELL_LIMIT).into_owned()
                })
                .collect(),
        );
        self
    }

    /// Render with two spaces between columns.
    pub fn render(&self) -> String {
        let cols = self.headers.len().max(self.rows.iter().map(Vec::len).max().unwrap_or(0));
        let mut widths = vec![0usize; cols];
        for row in std::iter::once(&self.headers).chain(&self.rows) {
            for (i, c) in row.iter().enumerate() {
                widths[i] = widths[i].max(display_width(c));
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.headers).chain(&self.rows) {
            let mut line = String::new();
            for (i, c) in row.iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                line.push_str(c);
                if i + 1 < row.len() {
                    line.push_str(&" ".repeat(widths[i] - display_width(c)));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Most characters of one table cell; a longer cell is cut and ends in `…`.
pub const CELL_LIMIT: usize = 120;
/// Most characters of one line on stderr (an error message) or of a human event line.
pub const LINE_LIMIT: usize = 2000;

/// Characters a terminal may interpret, for JSON output: controls and bidi overrides (the
/// set [`conf_core::text`] escapes for text), and the Unicode line separators.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// A value as one line of JSON whose strings carry no raw DEL, C1 or bidi control (serde
/// already escapes C0): those are written as `\uXXXX`, which is the same JSON value.
pub fn json_text(value: &Value) -> String {
    let raw = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    if !raw.chars().any(is_unsafe) {
        return raw;
    }
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        if is_unsafe(c) {
            // Compact JSON has no whitespace and only ASCII structure, and serde escapes
            // C0: every hit is a DEL, C1 or bidi character inside a string.
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// Terminal width of a string: CJK characters take two columns.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if ('\u{1100}'..='\u{FFEF}').contains(&c) && !('\u{2000}'..='\u{206F}').contains(&c) { 2 } else { 1 }).sum()
}

/// Render a JSON scalar for a table cell.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_columns_including_cjk() {
        let mut t = Table::new(["vendor", "result"]);
        t.row(["摩云", "ok"]).row(["webapi", "ok"]);
        assert_eq!(t.render(), "vendor  result\n摩云    ok\nwebapi  ok\n");
    }

    #[test]
    fn cells_are_escaped_and_capped() {
        let mut t = Table::new(["name", "id"]);
        t.row(["\u{1b}]0;owned\u{7}evil\r\nline\u{9b}2J\u{202e}", "1"]).row(["x".repeat(1_000_000), "2".to_string()]);
        let out = t.render();
        assert!(!out.chars().any(|c| c != '\n' && c.is_control()), "{out:?}");
        assert!(!out.contains('\u{202e}'), "{out:?}");
        assert!(out.contains("\\u{1b}]0;owned\\u{7}evil\\r\\nline\\u{9b}2J\\u{202e}"), "{out:?}");
        assert_eq!(out.lines().count(), 3, "one line per row: {out:?}");
        let long = out.lines().nth(2).unwrap();
        assert!(long.starts_with(&"x".repeat(CELL_LIMIT)) && long.contains('…') && long.chars().count() < CELL_LIMIT + 10, "{long}");
    }

    #[test]
    fn json_escapes_del_c1_and_bidi_without_changing_the_value() {
        let v = serde_json::json!({ "name": "a\u{1b}b\u{7f}c\u{9b}d\u{202e}e\u{2028}f\r", "n": 1 });
        let text = json_text(&v);
        assert!(text.is_ascii(), "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), v);
        assert_eq!(json_text(&serde_json::json!({ "name": "会议" })), r#"{"name":"会议"}"#);
    }
}
