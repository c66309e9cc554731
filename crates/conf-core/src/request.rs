//! The request of one attempt, and the response the core hands back.

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use url::Url;

use crate::body::Body;

/// One attempt's request while it is being assembled: the authenticator and any
/// attempt hook may change it before it becomes a `reqwest::Request`.
#[derive(Debug, Clone)]
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
pub struct RawResponse {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl RawResponse {
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
