//! The one error type of conf-sdk.
//!
//! Every variant says what happened, which request it concerned (operation
//! name, method, *path template* and the origin `scheme://host:port` it went to,
//! never a rendered path, query or body that could carry a credential) and,
//! through [`Error::is_retryable`], whether trying again can help. Text that came
//! from a server is [sanitised](crate::text::sanitize) when an error is displayed:
//! control characters escaped, length capped.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::text::Sanitized;

/// Cap of messages the SDK composes around server text (vendor messages with their
/// explanation, transport chains, reasons), in characters; server-only text (codes,
/// body excerpts, HTML titles) is capped at [`SANITIZE_LIMIT`](crate::text::SANITIZE_LIMIT).
pub const MESSAGE_LIMIT: usize = 500;

/// Displays a composed message sanitised and capped at [`MESSAGE_LIMIT`].
struct Msg<'a>(&'a str);

impl fmt::Display for Msg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::text::write_sanitized(f, self.0, MESSAGE_LIMIT)
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Longest body excerpt an error keeps, in bytes.
pub const EXCERPT_LIMIT: usize = 512;

/// What was sent: enough to find the call in a log, never a secret.
///
/// Build it with [`RequestInfo::new`] (or [`Operation::info`](crate::Operation::info)).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// Where the (last) attempt went: `scheme://host:port`, never a path, query or userinfo.
    /// `None` before an endpoint was chosen.
    pub origin: Option<Arc<str>>,
}

impl RequestInfo {
    /// A request of `vendor`'s `operation`, sent as `method` to the path template `path`;
    /// no attempt made yet and no origin chosen (see [`Self::attempts`], [`Self::at`]).
    pub fn new(vendor: &'static str, operation: &'static str, method: http::Method, path: &'static str) -> Self {
        Self { vendor, operation, method, path, attempts: 0, origin: None }
    }

    /// This description with `attempts` attempts made.
    #[must_use]
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// A request description used before any operation exists (e.g. config errors).
    pub fn none(vendor: &'static str, operation: &'static str) -> Self {
        Self { vendor, operation, method: http::Method::GET, path: "", attempts: 0, origin: None }
    }

    /// This description, naming the origin of `url` (see [`origin`]).
    #[must_use]
    pub fn at(mut self, url: &url::Url) -> Self {
        self.origin = Some(Arc::from(origin(url)));
        self
    }
}

/// `scheme://host:port` of `url` (port always written, userinfo, path and query never).
pub fn origin(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port_or_known_default() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

impl fmt::Display for RequestInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.vendor, self.operation)?;
        match (self.path.is_empty(), &self.origin) {
            (false, Some(o)) => write!(f, " ({} {} at {o})", self.method, self.path)?,
            (false, None) => write!(f, " ({} {})", self.method, self.path)?,
            (true, Some(o)) => write!(f, " (at {o})")?,
            (true, None) => {}
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
#[non_exhaustive]
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

/// One level of the cause chain of an [`Error::Transport`], captured from the HTTP stack's
/// error (reqwest, hyper, rustls, `std::io`) as owned, sanitised text.
///
/// Each level keeps its message (control characters escaped, capped at [`MESSAGE_LIMIT`],
/// every `scheme://...` URL cut to its origin so no path, query or userinfo — which can carry
/// a token — survives), the [`std::io::ErrorKind`] when that level was an I/O error, and the
/// next level as its [`source`](std::error::Error::source). Walk it like any error chain:
///
/// ```
/// use std::error::Error as _;
/// let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused by https://h/x?token=secret");
/// let cause = conf_core::error::TransportCause::capture(&io);
/// assert_eq!(cause.to_string(), "refused by https://h:443");
/// assert_eq!(cause.io_kind(), Some(std::io::ErrorKind::ConnectionRefused));
/// assert!(cause.source().is_none());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TransportCause {
    message: Box<str>,
    io_kind: Option<std::io::ErrorKind>,
    source: Option<Box<TransportCause>>,
}

/// Most levels a [`TransportCause`] keeps (a deeper chain is cut there).
const CAUSE_DEPTH: usize = 16;

impl TransportCause {
    /// Capture `err` and its sources (at most 16 levels), each level's text sanitised and
    /// stripped of URL paths and queries.
    pub fn capture(err: &(dyn std::error::Error + 'static)) -> Self {
        let io_kind = err.downcast_ref::<std::io::Error>().map(std::io::Error::kind);
        let mut top = Self::with_sources(&err.to_string(), err.source());
        top.io_kind = io_kind;
        top
    }

    /// A chain whose first level reads `message`, followed by `source` and its sources
    /// captured as by [`Self::capture`] (`message` is cleaned the same way).
    pub fn with_sources(message: &str, source: Option<&(dyn std::error::Error + 'static)>) -> Self {
        let mut levels: Vec<(Box<str>, Option<std::io::ErrorKind>)> = vec![(clean(message).into(), None)];
        let mut cur: Option<&(dyn std::error::Error + 'static)> = source;
        while let Some(e) = cur {
            if levels.len() == CAUSE_DEPTH {
                break;
            }
            let io_kind = e.downcast_ref::<std::io::Error>().map(std::io::Error::kind);
            levels.push((clean(&e.to_string()).into(), io_kind));
            cur = e.source();
        }
        let mut out: Option<Self> = None;
        for (message, io_kind) in levels.into_iter().rev() {
            out = Some(Self { message, io_kind, source: out.map(Box::new) });
        }
        out.unwrap_or_else(|| Self { message: Box::from(""), io_kind: None, source: None })
    }

    /// The [`std::io::ErrorKind`] of this level, when it was an I/O error.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        self.io_kind
    }

    /// The first [`std::io::ErrorKind`] along the chain from this level down.
    pub fn find_io_kind(&self) -> Option<std::io::ErrorKind> {
        self.io_kind.or_else(|| self.source.as_ref().and_then(|s| s.find_io_kind()))
    }
}

/// `text` with every URL cut to its origin, then sanitised and capped at [`MESSAGE_LIMIT`].
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        // The scheme: the letters (and `+-.`) right before `://`.
        let head = &rest[..i];
        let start = head
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            .last()
            .map_or(i, |(j, _)| j);
        let tail = &rest[i..];
        let len = tail.find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '>' | ']' | ',')).unwrap_or(tail.len());
        let end = i + len;
        out.push_str(&rest[..start]);
        match url::Url::parse(&rest[start..end]) {
            Ok(u) if start < i => out.push_str(&origin(&u)),
            _ => out.push_str("[url]"),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    crate::text::sanitize_to(&out, MESSAGE_LIMIT).into_owned()
}

impl fmt::Display for TransportCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for TransportCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TransportCause");
        d.field("message", &self.message);
        if let Some(k) = self.io_kind {
            d.field("io_kind", &k);
        }
        d.field("source", &self.source).finish()
    }
}

impl std::error::Error for TransportCause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// Which clock ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
    #[error("{request}: transport error ({kind:?}{}): {}", if *sent { ", request may have been sent" } else { ", nothing sent" }, Msg(message))]
    Transport {
        /// What was sent.
        request: RequestInfo,
        /// Failure class.
        kind: TransportKind,
        /// The underlying message.
        message: String,
        /// Whether the request may have reached the server.
        sent: bool,
        /// The cause as the HTTP stack reported it, level by level (see [`TransportCause`]);
        /// `None` when the SDK itself detected the failure. Reached through
        /// [`std::error::Error::source`].
        source: Option<TransportCause>,
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
    #[error("{request}: HTTP {status}{}: {}", retry_after.map(|d| format!(" (retry after {} s)", d.as_secs())).unwrap_or_default(), Sanitized(body_excerpt))]
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
    #[error("{request}: {vendor} error {}: {}{}", Sanitized(code), Msg(message), request_id.as_deref().map(|id| format!(" (requestId {})", Sanitized(id))).unwrap_or_default())]
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
        /// The vendor's id of the failed request (ytx `requestId`), for support tickets.
        request_id: Option<String>,
    },
    /// The response could not be decoded into the expected shape.
    #[error("{request}: could not decode response: {}; body starts: {}", Sanitized(message), Sanitized(excerpt))]
    Decode {
        /// What was sent.
        request: RequestInfo,
        /// Start of the body (capped; redacted for credential endpoints).
        excerpt: String,
        /// The decoder's message.
        message: String,
    },
    /// Authentication failed (credentials rejected, refresh failed).
    #[error("{request}: authentication failed: {}", Msg(message))]
    Auth {
        /// What was sent.
        request: RequestInfo,
        /// What went wrong.
        message: String,
        /// The error that caused it, when there was one.
        source: Option<Box<Error>>,
    },
    /// The platform lacks what the operation needs; nothing was sent.
    #[error("{operation} is not supported: needs {needs}, platform has {}", Sanitized(platform))]
    Unsupported {
        /// Operation name.
        operation: String,
        /// What it needs (`API-Level 3 of mc`, `PublicCloud deployment`).
        needs: String,
        /// What the platform offers.
        platform: String,
    },
    /// The caller's input is invalid; nothing was sent.
    #[error("invalid input for `{}`: {}", Sanitized(field), Msg(reason))]
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
    /// The server answered with a redirect that was not followed (see
    /// [`RedirectPolicy`](crate::config::RedirectPolicy)): nothing was sent to `to`.
    #[error("{request}: HTTP {status} redirect from {from} to {to} not followed: {reason}")]
    Redirect {
        /// What was sent.
        request: RequestInfo,
        /// The 3xx status.
        status: u16,
        /// Origin (`scheme://host:port`) that answered with the redirect.
        from: String,
        /// Origin of the `Location` (never its path or query), or why there is none.
        to: String,
        /// Why it was not followed.
        reason: String,
    },
    /// Discovering the platform's API-Level of `app`, which the operation needed, failed;
    /// the operation itself was not sent. `cause` is the discovery call's error.
    #[error("{request}: API-Level discovery of app `{app}` failed: {}", discovery_detail(cause, app))]
    Discovery {
        /// The operation the caller called.
        request: RequestInfo,
        /// The app whose level was being discovered.
        app: &'static str,
        /// The discovery call's error.
        cause: Box<Error>,
    },
    /// A bound on what a server can make the client do was reached (pages walked, bytes
    /// received); the walk stopped there. Raise the limit if the data really is that large.
    #[error("{request}: stopped at the {what} limit of {limit}")]
    LimitExceeded {
        /// The call that reached it (the page walker's operation).
        request: RequestInfo,
        /// Which limit (`pages`, `bytes`).
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// Something else (a background task failed, a configuration error).
    #[error("{}", Msg(_0))]
    Other(Arc<str>),
}

impl Error {
    /// Shortcut for [`Error::InvalidInput`].
    pub fn invalid_input(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidInput { field: field.into(), reason: reason.into() }
    }

    /// Shortcut for [`Error::Transport`] without a [cause](TransportCause) (add one with
    /// [`Error::with_transport_cause`]).
    pub fn transport(request: RequestInfo, kind: TransportKind, message: impl Into<String>, sent: bool) -> Self {
        Self::Transport { request, kind, message: message.into(), sent, source: None }
    }

    /// Attach `cause` to an [`Error::Transport`] (other variants are returned unchanged).
    #[must_use]
    pub fn with_transport_cause(mut self, cause: TransportCause) -> Self {
        if let Self::Transport { source, .. } = &mut self {
            *source = Some(cause);
        }
        self
    }

    /// Shortcut for [`Error::Vendor`] without a vendor request id (add one with
    /// [`Error::with_request_id`]).
    pub fn vendor(
        request: RequestInfo,
        vendor: &'static str,
        code: impl Into<String>,
        message: impl Into<String>,
        retryable: bool,
    ) -> Self {
        Self::Vendor { request, vendor, code: code.into(), message: message.into(), retryable, request_id: None }
    }

    /// Attach the vendor's request id to an [`Error::Vendor`] (an empty id is ignored;
    /// other variants are returned unchanged).
    #[must_use]
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        let id = id.into();
        if let Self::Vendor { request_id, .. } = &mut self {
            if !id.trim().is_empty() {
                *request_id = Some(id);
            }
        }
        self
    }

    /// The vendor's id of the failed request, for [`Error::Vendor`] (also when wrapped in
    /// auth / outcome errors): quote it in a support ticket.
    pub fn vendor_request_id(&self) -> Option<&str> {
        match self {
            Self::Vendor { request_id, .. } => request_id.as_deref(),
            Self::Auth { source: Some(e), .. } | Self::OutcomeUnknown { cause: e, .. } | Self::Discovery { cause: e, .. } => {
                e.vendor_request_id()
            }
            _ => None,
        }
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
            Self::Discovery { cause, .. } => cause.is_retryable(),
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
            | Self::Redirect { request, .. }
            | Self::Discovery { request, .. }
            | Self::LimitExceeded { request, .. }
            | Self::OutcomeUnknown { request, .. } => Some(request),
            _ => None,
        }
    }

    /// The vendor code, for [`Error::Vendor`] (also when wrapped in auth / outcome errors).
    pub fn vendor_code(&self) -> Option<&str> {
        match self {
            Self::Vendor { code, .. } => Some(code),
            Self::Auth { source: Some(e), .. } | Self::OutcomeUnknown { cause: e, .. } | Self::Discovery { cause: e, .. } => {
                e.vendor_code()
            }
            _ => None,
        }
    }

    /// The HTTP status, for [`Error::HttpStatus`] (also when wrapped).
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::HttpStatus { status, .. } => Some(*status),
            Self::Auth { source: Some(e), .. } | Self::OutcomeUnknown { cause: e, .. } | Self::Discovery { cause: e, .. } => {
                e.http_status()
            }
            _ => None,
        }
    }

    /// Whether nothing reached the server (input, capability and connect failures).
    pub fn nothing_sent(&self) -> bool {
        match self {
            // Discovery runs before the caller's operation: whatever happened to the
            // discovery call, the operation itself was never sent.
            Self::InvalidInput { .. } | Self::Unsupported { .. } | Self::Discovery { .. } => true,
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
            | Self::Redirect { request, .. }
            | Self::Discovery { request, .. }
            | Self::OutcomeUnknown { request, .. } => request.attempts = attempts,
            _ => {}
        }
        self
    }
}

/// The discovery call's error without its own operation prefix: its method and path
/// with `{app}` filled in, then what went wrong.
fn discovery_detail(cause: &Error, app: &str) -> String {
    let text = cause.to_string();
    let Some(req) = cause.request() else { return text };
    let rest = text.strip_prefix(&format!("{req}: ")).unwrap_or(&text);
    if req.path.is_empty() {
        return rest.to_string();
    }
    format!("{} {}: {rest}", req.method, req.path.replace("{app}", app))
}

/// Cut `body` to an excerpt safe for messages: at most [`EXCERPT_LIMIT`] bytes on a char
/// boundary, control characters flattened, an HTML page reduced to its `<title>` (sanitised,
/// at most [`SANITIZE_LIMIT`](crate::text::SANITIZE_LIMIT) characters).
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    let lower_start: String = trimmed.chars().take(64).collect::<String>().to_ascii_lowercase();
    if lower_start.starts_with("<!doctype html") || lower_start.starts_with("<html") || lower_start.starts_with("<head") {
        let lower = trimmed.to_ascii_lowercase();
        if let (Some(s), Some(e)) = (lower.find("<title>"), lower.find("</title>")) {
            if s + 7 <= e && trimmed.is_char_boundary(s + 7) && trimmed.is_char_boundary(e) {
                return format!("HTML page: {}", crate::text::sanitize(trimmed[s + 7..e].trim()));
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
        RequestInfo { vendor: "t", operation: "op", method: http::Method::POST, path: "/x/{id}", attempts: 1, origin: None }
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
        let t = |sent| Error::transport(info(), TransportKind::Io, "reset", sent);
        assert!(t(false).is_retryable());
        assert!(!t(true).is_retryable());
        let s = |status| Error::HttpStatus { request: info(), status, body_excerpt: String::new(), retry_after: None };
        assert!(s(503).is_retryable());
        assert!(!s(500).is_retryable());
        let unknown = Error::OutcomeUnknown { request: info(), cause: Box::new(t(true)) };
        assert!(!unknown.is_retryable());
        assert!(Error::invalid_input("name", "empty").nothing_sent());
        // A failed discovery never sent the caller's operation, even when the discovery call was sent.
        let discovery = Error::Discovery { request: info(), app: "mc", cause: Box::new(t(true)) };
        assert!(discovery.nothing_sent());
    }

    #[test]
    fn display_names_operation_and_template() {
        let e = Error::Vendor {
            request: info(),
            vendor: "moyun",
            code: "10002".into(),
            message: "token rejected".into(),
            retryable: false,
            request_id: None,
        };
        assert_eq!(e.to_string(), "t.op (POST /x/{id}): moyun error 10002: token rejected");
        assert_eq!(e.vendor_request_id(), None);
        let e = e.with_request_id("r-42");
        assert_eq!(e.to_string(), "t.op (POST /x/{id}): moyun error 10002: token rejected (requestId r-42)");
        assert_eq!(e.vendor_request_id(), Some("r-42"));
        let wrapped = Error::OutcomeUnknown { request: info(), cause: Box::new(e) };
        assert_eq!(wrapped.vendor_request_id(), Some("r-42"));
        assert_eq!(Error::vendor(info(), "m", "1", "x", false).with_request_id("").vendor_request_id(), None);
    }
}
