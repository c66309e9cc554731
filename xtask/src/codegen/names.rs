//! Turning spec names into valid, lint-clean Rust identifiers.

use proc_macro2::{Ident, Span};

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn", "for", "if", "impl",
    "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait",
    "true", "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro", "override", "priv",
    "try", "typeof", "unsized", "virtual", "yield",
];

/// Split a name into lowercase words at `_`, `-`, spaces, punctuation and case changes
/// (`accountToken` -> `account`, `token`; `HTTPServer` -> `http`, `server`).
pub fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase() || (prev.is_ascii_uppercase() && next_lower) || prev.is_ascii_digit() && next_lower {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// `meeting_create` -> `MeetingCreate`.
pub fn pascal(name: &str) -> String {
    let mut out: String = words(name)
        .iter()
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// `accountToken` -> `account_token`.
pub fn snake(name: &str) -> String {
    let mut out = words(name).join("_");
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "f_");
    }
    out
}

/// A type or variant name as written in the spec, kept when it is already a clean
/// UpperCamelCase identifier, normalised otherwise (`SIP` -> `Sip`, `meeting-info` -> `MeetingInfo`).
pub fn type_name(name: &str) -> String {
    let clean = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
        && !(name.chars().filter(char::is_ascii_alphabetic).count() > 1
            && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    if clean { name.to_owned() } else { pascal(name) }
}

/// A field or method name: snake_case; `type` -> `r#type`.
pub fn ident(name: &str) -> Ident {
    let s = snake(name);
    raw_ident(&s)
}

/// An identifier, raw when it is a keyword.
pub fn raw_ident(s: &str) -> Ident {
    match s {
        "self" | "Self" | "super" | "crate" | "_" => Ident::new(&format!("{s}_"), Span::call_site()),
        _ if KEYWORDS.contains(&s) => Ident::new_raw(s, Span::call_site()),
        _ => Ident::new(s, Span::call_site()),
    }
}

/// An UpperCamelCase identifier.
pub fn type_ident(name: &str) -> Ident {
    let s = type_name(name);
    raw_ident(&s)
}

/// Names unique within one scope: a repeated name gets `2`, `3`, ... appended.
#[derive(Default)]
pub struct Deduper(std::collections::BTreeSet<String>);

impl Deduper {
    /// Reserve a name that must not be handed out.
    pub fn reserve(&mut self, name: &str) {
        self.0.insert(name.to_owned());
    }

    /// Whether `name` is taken.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }

    /// `name`, or `name2`, `name3`, ... if taken.
    pub fn unique(&mut self, name: &str) -> String {
        let mut candidate = name.to_owned();
        let mut n = 2;
        while self.0.contains(&candidate) {
            candidate = format!("{name}{n}");
            n += 1;
        }
        self.0.insert(candidate.clone());
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_conversions() {
        assert_eq!(snake("accountToken"), "account_token");
        assert_eq!(snake("meeting_create"), "meeting_create");
        assert_eq!(snake("fileidarr[]"), "fileidarr");
        assert_eq!(snake("HTTPServer"), "http_server");
        assert_eq!(snake("e164"), "e164");
        assert_eq!(snake("2fa"), "f_2fa");
        assert_eq!(pascal("meeting_create"), "MeetingCreate");
        assert_eq!(pascal("vc.add-mts"), "VcAddMts");
        assert_eq!(pascal("-2"), "V2");
        assert_eq!(type_name("E164"), "E164");
        assert_eq!(type_name("SIP"), "Sip");
        assert_eq!(type_name("H323"), "H323");
        assert_eq!(type_name("MeetingNotFound"), "MeetingNotFound");
        assert_eq!(type_name("meeting not found"), "MeetingNotFound");
    }

    #[test]
    fn keywords_become_raw() {
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("self").to_string(), "self_");
        assert_eq!(ident("Self").to_string(), "self_");
        assert_eq!(type_ident("Self").to_string(), "Self_");
    }

    #[test]
    fn dedupe() {
        let mut d = Deduper::default();
        d.reserve("Unknown");
        assert_eq!(d.unique("A"), "A");
        assert_eq!(d.unique("A"), "A2");
        assert_eq!(d.unique("Unknown"), "Unknown2");
    }
}
