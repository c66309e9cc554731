//! Fault injection: what the server does instead of (or around) the emulator.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http::Method;

/// A misbehaviour the server applies to a matching request.
///
/// Faults are matched per request by [`FaultRule`]s registered in [`Faults`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Wait this long (after reading the body), then handle the request normally. A client's
    /// attempt timeout fires first when the delay is longer; if the client closes the connection
    /// meanwhile, the request may still be handled when the delay ends (do not count on either).
    Delay(Duration),
    /// Close the connection before reading the request body; no response.
    DropBeforeBody,
    /// Read the whole request body, do not pass it to the emulator, close without a response.
    DropAfterBody,
    /// Pass the request to the emulator (its state changes), discard the response and close the
    /// connection: the client cannot know whether the call took effect.
    DropAfterHandling,
    /// Answer this status (emulator not called).
    Status {
        /// HTTP status code.
        status: u16,
        /// Value of a `Retry-After` header, if any.
        retry_after: Option<String>,
        /// Response body.
        body: String,
        /// `Content-Type` of the body.
        content_type: String,
    },
    /// The real nginx error page for this status (`Content-Type: text/html`, `Server: nginx`).
    NginxHtml(u16),
    /// 200 with `Content-Type: application/json` and a body that is not JSON.
    MalformedJson,
    /// Handle the request normally, then send only the first half of the emulator's body (with a
    /// matching `Content-Length`, so the client sees a complete but cut document).
    TruncatedJson,
    /// Any canned answer (emulator not called).
    Body {
        /// HTTP status code.
        status: u16,
        /// `Content-Type` of the body.
        content_type: String,
        /// Response body.
        body: String,
    },
    /// Run the hook registered with
    /// [`Server::on_expire_credentials`](super::Server::on_expire_credentials), then handle the
    /// request normally.
    ExpireCredentials,
}

/// The body [`Fault::MalformedJson`] sends.
pub const MALFORMED_JSON_BODY: &str = "{\"success\": 1, \"data\": [{\"id\": \"1\", <!-- upstream -->";

impl Fault {
    /// `status` with an empty `text/plain` body.
    pub fn status(status: u16) -> Self {
        Fault::Status { status, retry_after: None, body: String::new(), content_type: "text/plain".to_owned() }
    }

    /// `status` with a `Retry-After: retry_after` header and an empty body.
    pub fn retry_after(status: u16, retry_after: impl Into<String>) -> Self {
        Fault::Status { status, retry_after: Some(retry_after.into()), body: String::new(), content_type: "text/plain".to_owned() }
    }

    /// A canned `application/json` answer.
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Fault::Body { status, content_type: "application/json".to_owned(), body: body.into() }
    }

    /// Short name recorded in [`LoggedRequest::fault`](super::LoggedRequest::fault), e.g.
    /// `"Status(503)"`, `"DropAfterHandling"`, `"Delay(250ms)"`.
    pub fn name(&self) -> String {
        match self {
            Fault::Delay(d) => format!("Delay({d:?})"),
            Fault::DropBeforeBody => "DropBeforeBody".to_owned(),
            Fault::DropAfterBody => "DropAfterBody".to_owned(),
            Fault::DropAfterHandling => "DropAfterHandling".to_owned(),
            Fault::Status { status, .. } => format!("Status({status})"),
            Fault::NginxHtml(status) => format!("NginxHtml({status})"),
            Fault::MalformedJson => "MalformedJson".to_owned(),
            Fault::TruncatedJson => "TruncatedJson".to_owned(),
            Fault::Body { status, .. } => format!("Body({status})"),
            Fault::ExpireCredentials => "ExpireCredentials".to_owned(),
        }
    }
}

/// The error page nginx serves for `status` (byte-exact, CRLF line ends).
pub fn nginx_error_page(status: u16) -> String {
    let reason = http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("Error");
    format!(
        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n\
         <center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n\
         </body>\r\n</html>\r\n"
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PathMatch {
    Any,
    Exact(String),
    Prefix(String),
}

/// When a [`Fault`] applies: method and path filters, how many matching requests to let
/// through first ([`skip`](FaultRule::skip)) and how many to fault ([`times`](FaultRule::times)).
///
/// ```
/// use std::time::Duration;
/// use conf_sandbox::harness::{Fault, FaultRule};
/// use http::Method;
///
/// // the 2nd and 3rd POST to /api/meetings answer 503, later ones pass
/// let rule = FaultRule::new(Fault::status(503))
///     .method(Method::POST)
///     .path_exact("/api/meetings")
///     .skip(1)
///     .times(2);
/// # let _ = rule;
/// ```
#[derive(Debug, Clone)]
pub struct FaultRule {
    fault: Fault,
    method: Option<Method>,
    path: PathMatch,
    query: Option<String>,
    body: Option<Vec<u8>>,
    skip: usize,
    times: Option<usize>,
}

impl FaultRule {
    /// A rule applying `fault` to every request, forever.
    pub fn new(fault: Fault) -> Self {
        Self { fault, method: None, path: PathMatch::Any, query: None, body: None, skip: 0, times: None }
    }

    /// Only requests with this method.
    pub fn method(mut self, method: Method) -> Self {
        self.method = Some(method);
        self
    }

    /// Only requests whose path (without query) is exactly `path`.
    pub fn path_exact(mut self, path: impl Into<String>) -> Self {
        self.path = PathMatch::Exact(path.into());
        self
    }

    /// Only requests whose path (without query) starts with `prefix`.
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.path = PathMatch::Prefix(prefix.into());
        self
    }

    /// Only requests whose raw query string contains `needle` (e.g. `"action=start"`).
    pub fn query_contains(mut self, needle: impl Into<String>) -> Self {
        self.query = Some(needle.into());
        self
    }

    /// Only requests whose body contains `needle` (e.g. `"\"action\":\"createMeeting\""` for an
    /// API that dispatches on a body field, or a CometD channel name).
    ///
    /// Such a rule can only be decided once the body has been read: with this filter,
    /// [`Fault::DropBeforeBody`] closes the connection right after reading the body.
    pub fn body_contains(mut self, needle: impl AsRef<[u8]>) -> Self {
        self.body = Some(needle.as_ref().to_vec());
        self
    }

    /// Let the first `n` matching requests through untouched (only requests that reach this
    /// rule count: one faulted by an earlier rule does not).
    pub fn skip(mut self, n: usize) -> Self {
        self.skip = n;
        self
    }

    /// Apply the fault to at most `n` requests (after the skipped ones); default: forever.
    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }

    /// Apply the fault to the next matching request only (`times(1)`).
    pub fn once(self) -> Self {
        self.times(1)
    }

    /// The fault this rule applies.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }

    fn matches_head(&self, method: &Method, path: &str, query: Option<&str>) -> bool {
        if self.method.as_ref().is_some_and(|m| m != method) {
            return false;
        }
        if let Some(needle) = &self.query {
            if !query.unwrap_or("").contains(needle.as_str()) {
                return false;
            }
        }
        match &self.path {
            PathMatch::Any => true,
            PathMatch::Exact(p) => p == path,
            PathMatch::Prefix(p) => path.starts_with(p.as_str()),
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// The outcome of matching a request against the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Apply this fault.
    Fault(Fault),
    /// No fault.
    Pass,
    /// A rule filters on the body: read it, then decide again starting at this rule id.
    NeedsBody(u64),
}

impl Decision {
    pub(crate) fn into_fault(self) -> Option<Fault> {
        match self {
            Decision::Fault(f) => Some(f),
            Decision::Pass | Decision::NeedsBody(_) => None,
        }
    }
}

#[derive(Debug)]
struct Entry {
    id: u64,
    rule: FaultRule,
    seen: usize,
    applied: usize,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    rules: Vec<Entry>,
}

/// The fault rules of a server: thread-safe and cheaply cloneable.
///
/// Rules are tried in insertion order. A rule that matches a request either counts it as
/// skipped (and the next rules are tried), or applies its fault (and no other rule is tried), or
/// is exhausted (its `times` were used up; the next rules are tried).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<Inner>>,
}

impl Faults {
    /// An empty rule set.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a rule after the existing ones; returns its id for [`remove`](Faults::remove).
    pub fn add(&self, rule: FaultRule) -> u64 {
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = inner.next_id;
        inner.rules.push(Entry { id, rule, seen: 0, applied: 0 });
        id
    }

    /// Adds `fault` for every request, forever (shorthand for `add(FaultRule::new(fault))`).
    pub fn always(&self, fault: Fault) -> u64 {
        self.add(FaultRule::new(fault))
    }

    /// Removes the rule with this id; returns whether it existed.
    pub fn remove(&self, id: u64) -> bool {
        let mut inner = self.lock();
        let before = inner.rules.len();
        inner.rules.retain(|e| e.id != id);
        inner.rules.len() != before
    }

    /// Removes all rules.
    pub fn clear(&self) {
        self.lock().rules.clear();
    }

    /// How many requests the rule with this id has faulted so far (`None`: no such rule).
    pub fn applied(&self, id: u64) -> Option<usize> {
        self.lock().rules.iter().find(|e| e.id == id).map(|e| e.applied)
    }

    /// Number of rules (exhausted ones included).
    pub fn len(&self) -> usize {
        self.lock().rules.len()
    }

    /// Whether there is no rule.
    pub fn is_empty(&self) -> bool {
        self.lock().rules.is_empty()
    }

    /// Decides the fault for one request and updates the rules' counters, trying the rules from
    /// id `from` on. Without `body`, stops at the first matching rule that filters on the body.
    pub(crate) fn decide(&self, method: &Method, path: &str, query: Option<&str>, body: Option<&[u8]>, from: u64) -> Decision {
        let mut inner = self.lock();
        for entry in inner.rules.iter_mut().filter(|e| e.id >= from) {
            if !entry.rule.matches_head(method, path, query) {
                continue;
            }
            if entry.rule.times.is_some_and(|t| entry.applied >= t) {
                continue;
            }
            if let Some(needle) = &entry.rule.body {
                match body {
                    None => return Decision::NeedsBody(entry.id),
                    Some(body) if !contains(body, needle) => continue,
                    Some(_) => {}
                }
            }
            entry.seen += 1;
            if entry.seen <= entry.rule.skip {
                continue;
            }
            entry.applied += 1;
            return Decision::Fault(entry.rule.fault.clone());
        }
        Decision::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_in_order_with_skip_and_times() {
        let faults = Faults::new();
        let a = faults.add(FaultRule::new(Fault::status(500)).method(Method::POST).path_exact("/a").skip(1).times(2));
        faults.add(FaultRule::new(Fault::status(502)).path_prefix("/a"));
        let take = |m: &Method, p: &str| faults.decide(m, p, None, None, 0).into_fault().map(|f| f.name());
        assert_eq!(take(&Method::POST, "/a").as_deref(), Some("Status(502)"));
        assert_eq!(take(&Method::POST, "/a").as_deref(), Some("Status(500)"));
        assert_eq!(take(&Method::GET, "/a/b").as_deref(), Some("Status(502)"));
        assert_eq!(take(&Method::POST, "/a").as_deref(), Some("Status(500)"));
        assert_eq!(take(&Method::POST, "/a").as_deref(), Some("Status(502)"));
        assert_eq!(take(&Method::POST, "/b"), None);
        assert_eq!(faults.applied(a), Some(2));
        assert!(faults.remove(a));
        assert!(!faults.remove(a));
        assert_eq!(faults.len(), 1);
        faults.clear();
        assert!(faults.is_empty());
        assert_eq!(take(&Method::POST, "/a"), None);
    }

    #[test]
    fn query_and_body_filters() {
        let faults = Faults::new();
        faults.add(FaultRule::new(Fault::status(500)).query_contains("action=start"));
        let body_rule = faults.add(FaultRule::new(Fault::status(502)).body_contains("createMeeting").once());
        faults.add(FaultRule::new(Fault::status(503)));
        let m = Method::POST;
        let name = |d: Decision| d.into_fault().map(|f| f.name());
        assert_eq!(name(faults.decide(&m, "/x", Some("a=1&action=start"), None, 0)).as_deref(), Some("Status(500)"));
        // the body rule needs the body: decide again from its id once read
        assert_eq!(faults.decide(&m, "/x", None, None, 0), Decision::NeedsBody(body_rule));
        let body = br#"{"action":"meetingState"}"#;
        assert_eq!(name(faults.decide(&m, "/x", None, Some(body), body_rule)).as_deref(), Some("Status(503)"));
        let body = br#"{"action":"createMeeting"}"#;
        assert_eq!(name(faults.decide(&m, "/x", None, Some(body), body_rule)).as_deref(), Some("Status(502)"));
        // used up: the head decision no longer needs the body
        assert_eq!(name(faults.decide(&m, "/x", None, None, 0)).as_deref(), Some("Status(503)"));
        assert!(contains(b"abc", b""));
        assert!(!contains(b"ab", b"abc"));
    }

    #[test]
    fn nginx_page_is_byte_exact() {
        assert_eq!(
            nginx_error_page(502),
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
        );
    }
}
