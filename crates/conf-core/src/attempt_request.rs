//! The request of one attempt as the attempt-level layers see it: assembled,
//! signed, ready to send. It owns the HTTP library's request privately, so the
//! stack hands it down without copying and the public API names no HTTP library.

use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use url::Url;

/// One attempt's HTTP request as sent (credentials included): what a user attempt layer
/// ([`ClientBuilder::attempt_layer`](crate::ClientBuilder::attempt_layer)) receives.
///
/// Opaque: read and change it through its methods. Headers holding credentials are
/// marked sensitive ([`HeaderValue::is_sensitive`]); a layer that logs headers should
/// honour that.
#[repr(transparent)]
pub struct AttemptRequest {
    inner: reqwest::Request,
}

impl std::fmt::Debug for AttemptRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither the query nor header values: either can carry a credential.
        let url = self.inner.url();
        let names: Vec<&str> = self.inner.headers().keys().map(HeaderName::as_str).collect();
        f.debug_struct("AttemptRequest")
            .field("method", self.inner.method())
            .field("url", &format_args!("{}{}", crate::error::origin(url), url.path()))
            .field("headers", &names)
            .field("has_body", &self.has_body())
            .finish()
    }
}

impl AttemptRequest {
    /// A request without headers or body (e.g. to drive an attempt layer in a test).
    pub fn new(method: Method, url: Url) -> Self {
        Self { inner: reqwest::Request::new(method, url) }
    }

    /// A request with `body` as its whole body.
    pub fn with_body(method: Method, url: Url, body: bytes::Bytes) -> Self {
        let mut inner = reqwest::Request::new(method, url);
        *inner.body_mut() = Some(reqwest::Body::from(body));
        Self { inner }
    }

    /// The method.
    pub fn method(&self) -> &Method {
        self.inner.method()
    }

    /// The full URL, query included (it can carry a credential: do not log it as is).
    pub fn url(&self) -> &Url {
        self.inner.url()
    }

    /// The URL, to change (e.g. append a query parameter).
    pub fn url_mut(&mut self) -> &mut Url {
        self.inner.url_mut()
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    /// The headers, to change.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        self.inner.headers_mut()
    }

    /// Set (replace) a header; a value that is not a valid header value is
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) naming the header.
    pub fn set_header(&mut self, name: HeaderName, value: &str) -> Result<(), crate::Error> {
        let v = HeaderValue::from_str(value).map_err(|_| crate::Error::invalid_input(name.as_str(), "not a valid header value"))?;
        self.inner.headers_mut().insert(name, v);
        Ok(())
    }

    /// The body, when it is held in memory (`None` without a body, or for a body streamed
    /// from a file, as a multipart upload of a path is).
    pub fn body_bytes(&self) -> Option<&[u8]> {
        self.inner.body().and_then(reqwest::Body::as_bytes)
    }

    /// Whether the request has a body.
    pub fn has_body(&self) -> bool {
        self.inner.body().is_some()
    }

    /// The HTTP library's own timeout for this request, if one is set. The stack's
    /// attempt timeout is enforced around the attempt layers, so it is normally `None`.
    pub fn timeout(&self) -> Option<Duration> {
        self.inner.timeout().copied()
    }

    /// Set a timeout for this request below the attempt layers (on top of the stack's
    /// attempt timeout, which still applies): it counts until the response head arrives.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        if timeout.is_some() || self.inner.timeout().is_some() {
            *self.inner.timeout_mut() = timeout;
        }
    }

    /// A copy of the request, when its body can be copied (`None` for a streamed body).
    pub fn try_clone(&self) -> Option<Self> {
        self.inner.try_clone().map(Self::from_reqwest)
    }

    pub(crate) fn from_reqwest(inner: reqwest::Request) -> Self {
        Self { inner }
    }

    pub(crate) fn into_reqwest(self) -> reqwest::Request {
        self.inner
    }

    pub(crate) fn as_reqwest(&self) -> &reqwest::Request {
        &self.inner
    }

    /// Take the library timeout off the request (`timeout_mut` allocates: only touched when set).
    pub(crate) fn take_timeout(&mut self) -> Option<Duration> {
        if self.inner.timeout().is_some() { self.inner.timeout_mut().take() } else { None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_read_and_change_the_request() {
        let url = Url::parse("http://h.example/x?a=1").unwrap();
        let mut r = AttemptRequest::with_body(Method::POST, url, bytes::Bytes::from_static(b"{}"));
        assert_eq!((r.method(), r.url().as_str()), (&Method::POST, "http://h.example/x?a=1"));
        assert_eq!(r.body_bytes(), Some(&b"{}"[..]));
        assert!(r.has_body());
        r.set_header(HeaderName::from_static("x-stamp"), "1").unwrap();
        assert!(r.set_header(HeaderName::from_static("x-bad"), "a\nb").is_err());
        r.url_mut().query_pairs_mut().append_pair("b", "2");
        let copy = r.try_clone().unwrap();
        assert_eq!(copy.headers()["x-stamp"], "1");
        assert_eq!(copy.url().query(), Some("a=1&b=2"));
        assert_eq!(r.timeout(), None);
        r.set_timeout(Some(Duration::from_secs(2)));
        assert_eq!(r.timeout(), Some(Duration::from_secs(2)));
        assert_eq!(r.take_timeout(), Some(Duration::from_secs(2)));
        assert_eq!(r.timeout(), None);
        let shown = format!("{r:?}");
        assert!(shown.contains("h.example") && shown.contains("/x") && shown.contains("x-stamp") && !shown.contains("a=1"), "{shown}");
        let empty = AttemptRequest::new(Method::GET, Url::parse("http://h.example/").unwrap());
        assert!(!empty.has_body() && empty.body_bytes().is_none());
    }
}
