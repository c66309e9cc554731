//! Secret types: every credential in conf-sdk is one of these.
//!
//! [`SecretString`] (from `secrecy`) never shows its value in `Debug`; reading it
//! requires an explicit [`ExposeSecret::expose_secret`] call, which is easy to
//! audit. [`redact`] masks a value for the rare message that must hint at one.

pub use secrecy::{ExposeSecret, SecretBox, SecretString};

/// Build a [`SecretString`] from anything string-like.
pub fn secret(value: impl Into<String>) -> SecretString {
    SecretString::from(value.into())
}

/// A masked form for messages: length only, never characters.
pub fn redact(value: &str) -> String {
    format!("<redacted {} chars>", value.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_value() {
        let s = secret("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose_secret(), "hunter2");
        assert!(!redact("hunter2").contains("hunter2"));
    }
}
