//! The request of one attempt, and the response the core hands back.

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use url::Url;

use crate::body::Body;

pub use crate::attempt_request::AttemptRequest;

/// One attempt's request while it is being assembled: the authenticator and any
/// attempt hook may change it before it becomes a `reqwest::Request`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AttemptParts {
    /// HTTP method.
    pub method: Method,
    /// Full URL, query included.
    pub url: Url,
    /// Headers.
    pub headers: HeaderMap,
    /// Body (a copy of the operation's).
    pub body: Body,
    /// 1-based attempt number.
    pub attempt: u32,
}

impl AttemptParts {
    /// Parts of attempt `attempt` (1-based) of a `method` request to `url`, without
    /// headers or body (e.g. to test a signer or a hook).
    pub fn new(method: Method, url: Url, attempt: u32) -> Self {
        Self { method, url, headers: HeaderMap::new(), body: Body::Empty, attempt }
    }

    /// With this body.
    #[must_use]
    pub fn with_body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    /// Append a query parameter.
    pub fn push_query(&mut self, key: &str, value: &str) {
        self.url.query_pairs_mut().append_pair(key, value);
    }

    /// Set a header; invalid values are rejected as invalid input.
    pub fn set_header(&mut self, name: &'static str, value: &str) -> Result<(), crate::Error> {
        let v = http::HeaderValue::from_str(value).map_err(|_| crate::Error::invalid_input(name, "not a valid header value"))?;
        self.headers.insert(http::HeaderName::from_static(name), v);
        Ok(())
    }

    /// Set a header holding a credential: marked sensitive so no HTTP layer logs it.
    pub fn set_secret_header(&mut self, name: &'static str, value: &str) -> Result<(), crate::Error> {
        let mut v = http::HeaderValue::from_str(value).map_err(|_| crate::Error::invalid_input(name, "not a valid header value"))?;
        v.set_sensitive(true);
        self.headers.insert(http::HeaderName::from_static(name), v);
        Ok(())
    }
}

/// A complete HTTP response (body read).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RawResponse {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl RawResponse {
    /// A response with this status, headers and body.
    pub fn new(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        Self { status, headers, body }
    }

    /// A response with this status and body and no header (e.g. to test an envelope).
    pub fn from_body(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Self { status, headers: HeaderMap::new(), body: body.into() }
    }

    /// Whether the body looks like HTML (a proxy error page).
    pub fn is_html(&self) -> bool {
        let ct = self.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if ct.contains("text/html") {
            return true;
        }
        let start = self.body.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
        self.body[start..].first() == Some(&b'<')
    }
}
