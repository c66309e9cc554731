//! Operations: how a vendor crate describes one call to the core.
//!
//! Generated code turns a typed request into an [`Operation`]; the core turns the
//! operation into HTTP attempts. An operation is immutable and shared by every
//! attempt, so a retry always sends the same request.

use std::sync::Arc;

use http::{HeaderMap, HeaderName, HeaderValue, Method};

use crate::auth::Authenticator;
pub use crate::body::{Body, FileSource, Part, PartKind};
use crate::error::{Error, RequestInfo};

/// One call, fully described: [`Operation::new`], then the setters.
#[derive(Clone)]
#[non_exhaustive]
pub struct Operation {
    /// Vendor crate name (`moyun`, `vmr`, `webapi`, `ytx`, `lingsun`).
    pub vendor: &'static str,
    /// Operation name from the spec.
    pub name: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Path template as in the spec, used in logs and errors.
    pub path_template: &'static str,
    /// Rendered, percent-encoded path (starts with `/`), appended to the base URL.
    pub path: String,
    /// Query parameters (already in wire order).
    pub query: Vec<(String, String)>,
    /// Extra headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Body,
    /// Whether replaying this request after it may have reached the server is safe.
    pub idempotent: bool,
    /// Minimum platform API level, per app.
    pub min_level: Option<LevelRequirement>,
    /// Capabilities the platform must have (e.g. `deployment:public`).
    pub needs: &'static [&'static str],
    /// Which credentials go on the request.
    pub auth: AuthMode,
    /// Absolute base URL for this call, replacing the client's endpoint resolver.
    pub base_override: Option<url::Url>,
    /// Whether the response body carries credentials: errors then never quote it.
    pub sensitive_response: bool,
    /// Time limit of each attempt of this operation, replacing the client's
    /// [`attempt_timeout`](crate::ClientConfig::attempt_timeout) (e.g. a long poll the
    /// server holds open); still bounded by the operation deadline in `execute`.
    pub attempt_timeout: Option<std::time::Duration>,
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values (query, headers, body) may carry credentials: show only their shape.
        f.debug_struct("Operation")
            .field("vendor", &self.vendor)
            .field("name", &self.name)
            .field("method", &self.method)
            .field("path", &self.path_template)
            .field("query_keys", &self.query.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>())
            .field("body", &self.body.kind())
            .field("idempotent", &self.idempotent)
            .finish_non_exhaustive()
    }
}

impl Operation {
    /// A new operation with no query, headers or body. Idempotency follows the
    /// method (GET, HEAD, PUT, DELETE, OPTIONS are idempotent); auth defaults to the client's.
    pub fn new(vendor: &'static str, name: &'static str, method: Method, path_template: &'static str, path: impl Into<String>) -> Self {
        let idempotent = matches!(method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS);
        Self {
            vendor,
            name,
            method,
            path_template,
            path: path.into(),
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: Body::Empty,
            idempotent,
            min_level: None,
            needs: &[],
            auth: AuthMode::Client,
            base_override: None,
            sensitive_response: false,
            attempt_timeout: None,
        }
    }

    /// Describe this operation for errors and logs.
    pub fn info(&self, attempts: u32) -> RequestInfo {
        RequestInfo {
            vendor: self.vendor,
            operation: self.name,
            method: self.method.clone(),
            path: self.path_template,
            attempts,
            origin: None,
        }
    }

    /// Add a query parameter.
    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// Add a header; invalid names or values become [`Error::InvalidInput`].
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, Error> {
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|e| Error::invalid_input(name, e.to_string()))?;
        let v = HeaderValue::from_str(value).map_err(|_| Error::invalid_input(name, "not a valid header value"))?;
        self.headers.append(n, v);
        Ok(self)
    }

    /// Set the body.
    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    /// Declare idempotency explicitly (e.g. a read done with POST).
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// Give each attempt of this operation `limit` instead of the client's attempt timeout.
    pub fn attempt_timeout(mut self, limit: std::time::Duration) -> Self {
        self.attempt_timeout = Some(limit);
        self
    }

    /// Require an API level of an app.
    pub fn min_level(mut self, app: &'static str, level: u32) -> Self {
        self.min_level = Some(LevelRequirement { app, level });
        self
    }

    /// Require capabilities.
    pub fn needs(mut self, needs: &'static [&'static str]) -> Self {
        self.needs = needs;
        self
    }

    /// Choose the credentials.
    pub fn auth(mut self, auth: AuthMode) -> Self {
        self.auth = auth;
        self
    }

    /// Send to this base URL instead of the client's.
    pub fn base(mut self, base: url::Url) -> Self {
        self.base_override = Some(base);
        self
    }

    /// Mark the response as carrying credentials.
    pub fn sensitive(mut self) -> Self {
        self.sensitive_response = true;
        self
    }
}

/// A minimum API level of one platform app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LevelRequirement {
    /// App (`mc`, `vc`, `system`, ...).
    pub app: &'static str,
    /// Minimum level.
    pub level: u32,
}

impl LevelRequirement {
    /// Level `level` of app `app`.
    pub fn new(app: &'static str, level: u32) -> Self {
        Self { app, level }
    }
}

/// Which credentials an operation carries.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum AuthMode {
    /// None (login calls, public endpoints).
    None,
    /// The client's authenticator.
    #[default]
    Client,
    /// A specific authenticator (e.g. one VMR session among many sharing a client).
    With(Arc<dyn Authenticator>),
}

impl std::fmt::Debug for AuthMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::None => "None",
            Self::Client => "Client",
            Self::With(_) => "With(..)",
        })
    }
}

/// Percent-encode one path segment (everything but RFC 3986 unreserved characters).
pub fn encode_path_segment(segment: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    percent_encoding::utf8_percent_encode(segment, SET).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(encode_path_segment("zjvmr@myvmr.cn"), "zjvmr%40myvmr.cn");
        assert_eq!(encode_path_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(encode_path_segment("1061"), "1061");
    }

    #[test]
    fn idempotency_follows_method() {
        assert!(Operation::new("t", "a", Method::GET, "/", "/").idempotent);
        assert!(!Operation::new("t", "a", Method::POST, "/", "/").idempotent);
        assert!(Operation::new("t", "a", Method::POST, "/", "/").idempotent(true).idempotent);
    }

    #[test]
    fn debug_hides_values() {
        let op = Operation::new("t", "a", Method::GET, "/", "/").query("account_token", "s3cr3t");
        assert!(!format!("{op:?}").contains("s3cr3t"));
    }

    #[test]
    fn push_field_extends_forms() {
        let mut b = Body::Empty;
        b.push_field("account_token", "x");
        b.push_field("k", "a b&c");
        let Body::Form(f) = &b else { panic!() };
        assert_eq!(Body::encode_form(f), "account_token=x&k=a+b%26c");
    }
}
