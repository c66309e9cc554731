//! Output: a human table by default, exactly one JSON document with `--json`
//! (JSON lines for event streams).

use std::io::Write;

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
            let _ = writeln!(out, "{}", serde_json::to_string(value).unwrap_or_else(|_| "null".into()));
        } else {
            let _ = write!(out, "{}", table.render());
        }
    }

    /// Print one event of a stream: a JSON line, or a short human line.
    pub fn event(&self, value: &Value, human: &str) {
        let mut out = std::io::stdout().lock();
        if self.json {
            let _ = writeln!(out, "{}", serde_json::to_string(value).unwrap_or_else(|_| "null".into()));
        } else {
            let _ = writeln!(out, "{human}");
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

    /// Add a row.
    pub fn row<I: IntoIterator<Item = S>, S: Into<String>>(&mut self, cells: I) -> &mut Self {
        self.rows.push(cells.into_iter().map(Into::into).collect());
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
}
