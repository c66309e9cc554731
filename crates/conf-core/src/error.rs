//! The one error type of conf-sdk.
//!
//! Every variant says what happened, which request it concerned (operation
//! name, method and *path template*, never a rendered path or query that could
//! carry a credential) and, through [`Error::is_retryable`], whether trying
//! again can help.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Longest body excerpt an error keeps, in bytes.
pub const EXCERPT_LIMIT: usize = 512;

/// What was sent: enough to find the call in a log, never a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestInfo {
    /// Vendor crate that built the request (`moyun`, `vmr`, ...).
    pub vendor: &'static str,
    /// Operation name from the vendor spec (`vc.add_mts`, `new_session`, ...).
    pub operation: &'static str,
    /// HTTP method.
    pub method: http::Method,
    /// Path *template* (`/api/v1/vc/confs/{conf_id}/mts`): parameters are not rendered,
    /// so a token in a path can never leak through an error.
    pub path: &'static str,
    /// Attempts made so far (0 when nothing was sent).
    pub attempts: u32,
}

impl RequestInfo {
    /// A request description used before any operation exists (e.g. config errors).
    pub fn none(vendor: &'static str, operation: &'static str) -> Self {
        Self { vendor, operation, method: http::Method::GET, path: "", attempts: 0 }
    }
}

impl fmt::Display for RequestInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.vendor, self.operation)?;
        if !self.path.is_empty() {
            write!(f, " ({} {})", self.method, self.path)?;
        }
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        Ok(())
    }
}

impl fmt::Debug for RequestInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// How a transport failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// The name did not resolve.
    Dns,
    /// No connection could be made (refused, unreachable, TLS handshake).
    Connect,
    /// The connection broke while the request or response was in flight.
    Io,
    /// Anything else the HTTP stack reported.
    Other,
}

/// Which clock ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutKind {
    /// One attempt exceeded the per-attempt timeout.
    Attempt(Duration),
    /// The whole operation (all attempts and waits) exceeded its deadline.
    Deadline(Duration),
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Attempt(d) => write!(f, "attempt timeout of {} ms", d.as_millis()),
            Self::Deadline(d) => write!(f, "operation deadline of {} ms", d.as_millis()),
        }
    }
}

/// The error type of every conf-sdk crate.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The network failed. `sent` tells whether any byte of the request may have reached the server.
    #[error("{request}: transport error ({kind:?}{}): {message}", if *sent { ", request may have been sent" } else { ", nothing sent" })]
    Transport {
        /// What was sent.
        request: RequestInfo,
        /// Failure class.
        kind: TransportKind,
        /// The underlying message.
        message: String,
        /// Whether the request may have reached the server.
        sent: bool,
    },
    /// A clock ran out.
    #[error("{request}: timed out ({kind})")]
    Timeout {
        /// What was sent.
        request: RequestInfo,
        /// Which clock.
        kind: TimeoutKind,
    },
    /// The server answered with an HTTP error status (including proxy HTML pages).
    #[error("{request}: HTTP {status}{}: {body_excerpt}", retry_after.map(|d| format!(" (retry after {} s)", d.as_secs())).unwrap_or_default())]
    HttpStatus {
        /// What was sent.
        request: RequestInfo,
        /// Status code.
        status: u16,
        /// Start of the body (capped at [`EXCERPT_LIMIT`]; HTML reduced to its title).
        body_excerpt: String,
        /// `Retry-After`, when the server sent one.
        retry_after: Option<Duration>,
    },
    /// The vendor's envelope reported a failure.
    #[error("{request}: {vendor} error {code}: {message}")]
    Vendor {
        /// What was sent.
        request: RequestInfo,
        /// Vendor name.
        vendor: &'static str,
        /// The vendor's code, as the vendor spells it (`10002`, `-205`, `4007`).
        code: String,
        /// The vendor's message, with the SDK's explanation where it knows one.
        message: String,
        /// Whether the vendor documents this code as transient.
        retryable: bool,
    },
    /// The response could not be decoded into the expected shape.
    #[error("{request}: could not decode response: {message}; body starts: {excerpt}")]
    Decode {
        /// What was sent.
        request: RequestInfo,
        /// Start of the body (capped; redacted for credential endpoints).
        excerpt: String,
        /// The decoder's message.
        message: String,
    },
    /// Authentication failed (credentials rejected, refresh failed).
    #[error("{request}: authentication failed: {message}")]
    Auth {
        /// What was sent.
        request: RequestInfo,
        /// What went wrong.
        message: String,
        /// The error that caused it, when there was one.
        source: Option<Box<Error>>,
    },
    /// The platform lacks what the operation needs; nothing was sent.
    #[error("{operation} is not supported: needs {needs}, platform has {platform}")]
    Unsupported {
        /// Operation name.
        operation: String,
        /// What it needs (`API-Level 3 of mc`, `PublicCloud deployment`).
        needs: String,
        /// What the platform offers.
        platform: String,
    },
    /// The caller's input is invalid; nothing was sent.
    #[error("invalid input for `{field}`: {reason}")]
    InvalidInput {
        /// The offending field, as named in the API.
        field: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A non-idempotent request may or may not have taken effect; it was not replayed.
    #[error("{request}: outcome unknown, the request may have taken effect and was not replayed: {cause}")]
    OutcomeUnknown {
        /// What was sent.
        request: RequestInfo,
        /// The failure that left the outcome unknown.
        cause: Box<Error>,
    },
    /// Something else (a background task failed, a configuration error).
    #[error("{0}")]
    Other(Arc<str>),
}

impl Error {
    /// Shortcut for [`Error::InvalidInput`].
    pub fn invalid_input(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidInput { field: field.into(), reason: reason.into() }
    }

    /// Shortcut for [`Error::Other`].
    pub fn other(message: impl Into<String>) -> Self {
        Self::Other(Arc::from(message.into()))
    }

    /// Whether trying the same call again can help.
    ///
    /// True for failures before anything was sent, timeouts, 429/502/503/504 and
    /// vendor codes documented as transient. False for an unknown outcome: the
    /// caller must first find out whether the first call took effect.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { sent, kind, .. } => !*sent || matches!(kind, TransportKind::Connect | TransportKind::Dns),
            Self::Timeout { .. } => true,
            Self::HttpStatus { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            Self::Vendor { retryable, .. } => *retryable,
            _ => false,
        }
    }

    /// The request this error concerns, when there was one.
    pub fn request(&self) -> Option<&RequestInfo> {
        match self {
            Self::Transport { request, .. }
            | Self::Timeout { request, .. }
            | Self::HttpStatus { request, .. }
            | Self::Vendor { request, .. }
            | Self::Decode { request, .. }
            | Self::Auth { request, .. }
            | Self::OutcomeUnknown { request, .. } => Some(request),
            _ => None,
        }
    }

    /// The vendor code, for [`Error::Vendor`] (also when wrapped in auth / outcome errors).
    pub fn vendor_code(&self) -> Option<&str> {
        match self {
            Self::Vendor { code, .. } => Some(code),
            Self::Auth { source: Some(e), .. } | Self::OutcomeUnknown { cause: e, .. } => e.vendor_code(),
            _ => None,
        }
    }

    /// The HTTP status, for [`Error::HttpStatus`] (also when wrapped).
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::HttpStatus { status, .. } => Some(*status),
            Self::Auth { source: Some(e), .. } | Self::OutcomeUnknown { cause: e, .. } => e.http_status(),
            _ => None,
        }
    }

    /// Whether nothing reached the server (input, capability and connect failures).
    pub fn nothing_sent(&self) -> bool {
        match self {
            Self::InvalidInput { .. } | Self::Unsupported { .. } => true,
            Self::Transport { sent, .. } => !*sent,
            _ => false,
        }
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        match &mut self {
            Self::Transport { request, .. }
            | Self::Timeout { request, .. }
            | Self::HttpStatus { request, .. }
            | Self::Vendor { request, .. }
            | Self::Decode { request, .. }
            | Self::Auth { request, .. }
            | Self::OutcomeUnknown { request, .. } => request.attempts = attempts,
            _ => {}
        }
        self
    }
}

/// Cut `body` to an excerpt safe for messages: at most [`EXCERPT_LIMIT`] bytes on a char
/// boundary, control characters flattened, an HTML page reduced to its `<title>`.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    let lower_start: String = trimmed.chars().take(64).collect::<String>().to_ascii_lowercase();
    if lower_start.starts_with("<!doctype html") || lower_start.starts_with("<html") || lower_start.starts_with("<head") {
        let lower = trimmed.to_ascii_lowercase();
        if let (Some(s), Some(e)) = (lower.find("<title>"), lower.find("</title>")) {
            if s + 7 <= e && trimmed.is_char_boundary(s + 7) && trimmed.is_char_boundary(e) {
                return format!("HTML page: {}", trimmed[s + 7..e].trim());
            }
        }
        return "HTML page".to_string();
    }
    let mut end = trimmed.len().min(EXCERPT_LIMIT);
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    let mut out: String = trimmed[..end].chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if end < trimmed.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> RequestInfo {
        RequestInfo { vendor: "t", operation: "op", method: http::Method::POST, path: "/x/{id}", attempts: 1 }
    }

    #[test]
    fn html_becomes_title() {
        let page = b"<html>\r\n<head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
        assert_eq!(excerpt(page), "HTML page: 502 Bad Gateway");
    }

    #[test]
    fn excerpt_is_capped_on_char_boundary() {
        let body = "我".repeat(400);
        let e = excerpt(body.as_bytes());
        assert!(e.len() <= EXCERPT_LIMIT + '…'.len_utf8());
        assert!(e.ends_with('…'));
    }

    #[test]
    fn retryability() {
        let t = |sent| Error::Transport { request: info(), kind: TransportKind::Io, message: "reset".into(), sent };
        assert!(t(false).is_retryable());
        assert!(!t(true).is_retryable());
        let s = |status| Error::HttpStatus { request: info(), status, body_excerpt: String::new(), retry_after: None };
        assert!(s(503).is_retryable());
        assert!(!s(500).is_retryable());
        let unknown = Error::OutcomeUnknown { request: info(), cause: Box::new(t(true)) };
        assert!(!unknown.is_retryable());
        assert!(Error::invalid_input("name", "empty").nothing_sent());
    }

    #[test]
    fn display_names_operation_and_template() {
        let e =
            Error::Vendor { request: info(), vendor: "moyun", code: "10002".into(), message: "token rejected".into(), retryable: false };
        assert_eq!(e.to_string(), "t.op (POST /x/{id}): moyun error 10002: token rejected");
    }
}
