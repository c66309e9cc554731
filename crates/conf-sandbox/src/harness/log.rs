//! The request log: every request a [`Server`](super::Server) received, in arrival order.

use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use http::HeaderMap;
use tokio::sync::Notify;

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    /// HTTP method, upper case (`"GET"`, `"POST"`, ...).
    pub method: String,
    /// Path without the query string, exactly as sent (not percent-decoded).
    pub path: String,
    /// Raw query string (without `?`), if the request had one.
    pub query: Option<String>,
    /// All request headers.
    pub headers: HeaderMap,
    /// The full request body. Empty when a fault closed the connection before the body was read.
    pub body: Bytes,
    /// Name of the fault applied to this request (see [`Fault::name`](super::Fault::name)), if any.
    pub fault: Option<String>,
}

impl LoggedRequest {
    /// Value of a header as text (`None` when absent or not visible ASCII).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as UTF-8 text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// Value of a query parameter (first occurrence, percent-decoded; `+` is a space).
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k) == name).then(|| decode(v))
        })
    }
}

/// Minimal `application/x-www-form-urlencoded` decoding for [`LoggedRequest::query_param`].
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Thread-safe, cheaply cloneable log of the requests a server received, in arrival order.
///
/// A request is recorded when its head arrives; its body is filled in once read.
#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    entries: Arc<Mutex<Vec<LoggedRequest>>>,
    changed: Arc<Notify>,
}

impl RequestLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<LoggedRequest>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends a request and returns its index (used to fill in the body later).
    pub(crate) fn push(&self, request: LoggedRequest) -> usize {
        let index = {
            let mut entries = self.lock();
            entries.push(request);
            entries.len() - 1
        };
        self.changed.notify_waiters();
        index
    }

    /// Sets the body (and, when decided only now, the fault) of the entry at `index` (a no-op if
    /// the log was cleared meanwhile).
    pub(crate) fn set_body(&self, index: usize, body: Bytes, fault: Option<String>) {
        if let Some(entry) = self.lock().get_mut(index) {
            entry.body = body;
            if fault.is_some() {
                entry.fault = fault;
            }
        }
        self.changed.notify_waiters();
    }

    /// A copy of all entries, in arrival order.
    pub fn entries(&self) -> Vec<LoggedRequest> {
        self.lock().clone()
    }

    /// The most recent entry, if any.
    pub fn last(&self) -> Option<LoggedRequest> {
        self.lock().last().cloned()
    }

    /// Number of requests with this method (case-insensitive) and exactly this path (no query).
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.count_matching(|r| r.method.eq_ignore_ascii_case(method) && r.path == path)
    }

    /// Number of requests for which `predicate` holds.
    pub fn count_matching(&self, predicate: impl Fn(&LoggedRequest) -> bool) -> usize {
        self.lock().iter().filter(|r| predicate(r)).count()
    }

    /// Copies of the entries for which `predicate` holds, in arrival order.
    pub fn filter(&self, predicate: impl Fn(&LoggedRequest) -> bool) -> Vec<LoggedRequest> {
        self.lock().iter().filter(|r| predicate(r)).cloned().collect()
    }

    /// Waits until at least `n` logged requests satisfy `predicate` (checked again on every
    /// arrival and once each body is read), e.g. until a background heartbeat arrived twice.
    /// Wrap it in a timeout.
    pub async fn wait_for(&self, n: usize, predicate: impl Fn(&LoggedRequest) -> bool) {
        loop {
            let mut changed = std::pin::pin!(self.changed.notified());
            changed.as_mut().enable();
            if self.count_matching(&predicate) >= n {
                return;
            }
            changed.await;
        }
    }

    /// Total number of requests logged.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no request was logged.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Forgets all entries.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_form_encoding() {
        assert_eq!(decode("a+b%20c%2Fd"), "a b c/d");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz"), "%zz");
        assert_eq!(decode("%e4%b8%ad"), "中");
    }
}
