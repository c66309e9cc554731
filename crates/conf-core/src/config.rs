//! Client configuration: where to connect, how long to wait, how to trust TLS.

use std::time::Duration;

use url::Url;

use crate::error::Error;
use crate::retry::RetryPolicy;

/// The SDK's `User-Agent`.
pub const USER_AGENT: &str = concat!("conf-sdk/", env!("CARGO_PKG_VERSION"));

/// Configuration shared by every vendor client.
///
/// Build it with [`ClientConfig::parse`] or [`ClientConfig::new`] and change it with the
/// setters (one per field); it is `#[non_exhaustive]` so new settings are not breaking.
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Base URL of the platform (scheme, host, port and optional path prefix).
    pub base_url: Url,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Timeout of one attempt, until the whole response body has arrived.
    pub attempt_timeout: Duration,
    /// Deadline of a whole operation: every attempt and every wait between them.
    pub operation_deadline: Duration,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Use `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY` from the environment.
    pub proxy_from_env: bool,
    /// Extra root certificates (PEM), e.g. a private deployment's CA.
    pub extra_root_pem: Vec<Vec<u8>>,
    /// Accept any certificate. Only for private deployments with self-signed
    /// certificates that cannot be given a CA; it disables server authentication.
    pub danger_accept_invalid_certs: bool,
    /// Speak HTTP/1.1 only.
    pub http1_only: bool,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Retry budget capacity (tokens); a retry costs 5, one after a timeout 10, a success returns 1.
    pub retry_budget: u32,
    /// Largest response body read into memory, in bytes.
    pub max_body_bytes: usize,
    /// Largest body of an error answer (non-2xx) read, in bytes (and never more than
    /// `max_body_bytes`): a longer one is not parsed, the error quotes its start.
    pub max_error_body_bytes: usize,
    /// What to do with HTTP redirects (default: never follow; see [`RedirectPolicy`]).
    pub redirects: RedirectPolicy,
}

/// What the client does with a redirect (301, 302, 303, 307, 308) answering an API call.
///
/// The vendors' APIs do not redirect, and a redirect is how a hostile or broken proxy
/// would send credentials elsewhere: by default none is followed, and the 3xx becomes
/// [`Error::Redirect`] naming both origins. Whatever the policy, reqwest never follows a
/// redirect itself and never sends `Referer`; a credential never goes to a host other
/// than the one the request was addressed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RedirectPolicy {
    /// Follow no redirect (the default).
    #[default]
    Refuse,
    /// Follow at most `max_hops` redirects that stay on the same origin (same scheme,
    /// host and port; so never from https to http), only for requests without a body
    /// (a body is never resent, nor a POST turned into a GET). Anything else is
    /// [`Error::Redirect`].
    SameOrigin {
        /// Most redirects followed for one attempt.
        max_hops: u8,
    },
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut base = self.base_url.clone();
        // A base URL may carry userinfo: never print it.
        let _ = base.set_username("");
        let _ = base.set_password(None);
        f.debug_struct("ClientConfig")
            .field("base_url", &base.as_str())
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("operation_deadline", &self.operation_deadline)
            .field("user_agent", &self.user_agent)
            .field("proxy_from_env", &self.proxy_from_env)
            .field("extra_root_certs", &self.extra_root_pem.len())
            .field("danger_accept_invalid_certs", &self.danger_accept_invalid_certs)
            .field("http1_only", &self.http1_only)
            .field("retry", &self.retry)
            .field("retry_budget", &self.retry_budget)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_error_body_bytes", &self.max_error_body_bytes)
            .field("redirects", &self.redirects)
            .finish()
    }
}

impl ClientConfig {
    /// Defaults for `base_url`: 5 s connect, 30 s per attempt, 60 s per operation,
    /// 3 attempts, proxy from the environment, certificates verified.
    pub fn new(base_url: Url) -> Self {
        Self {
            base_url,
            connect_timeout: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(30),
            operation_deadline: Duration::from_secs(60),
            user_agent: USER_AGENT.to_string(),
            proxy_from_env: true,
            extra_root_pem: Vec::new(),
            danger_accept_invalid_certs: false,
            http1_only: false,
            retry: RetryPolicy::default(),
            retry_budget: 500,
            max_body_bytes: 64 * 1024 * 1024,
            max_error_body_bytes: 64 * 1024,
            redirects: RedirectPolicy::Refuse,
        }
    }

    /// Parse `base_url` and use the defaults; a bad URL is [`Error::InvalidInput`]
    /// (a URL without a scheme, like `meet.example.com`, is told to add `http://` or `https://`).
    pub fn parse(base_url: &str) -> Result<Self, Error> {
        let text = base_url.trim();
        if !text.contains("://") {
            let shown = crate::text::sanitize(text);
            return Err(Error::invalid_input(
                "base_url",
                format!("`{shown}` has no scheme: add http:// or https:// (e.g. `https://{shown}`)"),
            ));
        }
        let url = Url::parse(text).map_err(|e| Error::invalid_input("base_url", e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::invalid_input("base_url", format!("scheme `{}` is not supported: use http:// or https://", url.scheme())));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Error::invalid_input("base_url", "has no host"));
        }
        Ok(Self::new(url))
    }

    /// Refuse a base URL that carries a path, for a vendor whose API paths start at the
    /// host's root (`vendor` and `example_path`, e.g. `"moyun"` and `"/api/v1"`, go into
    /// the message). `http://host/api/v1` would otherwise send `/api/v1/api/v1/...` and
    /// fail with a misleading answer. A query or fragment is refused as well.
    pub fn require_bare_host(&self, vendor: &str, example_path: &str) -> Result<(), Error> {
        let url = &self.base_url;
        let path = url.path().trim_end_matches('/');
        if !path.is_empty() || url.query().is_some() || url.fragment().is_some() {
            let bare = crate::error::origin(url);
            let extra = &url.as_str()[url[..url::Position::BeforePath].len()..];
            return Err(Error::invalid_input(
                "base_url",
                format!(
                    "{vendor} wants a bare host such as `{bare}`, without a path: remove `{}` (the SDK adds `{example_path}/...` itself)",
                    crate::text::sanitize(extra)
                ),
            ));
        }
        Ok(())
    }

    /// Set the base URL.
    pub fn base_url(mut self, url: Url) -> Self {
        self.base_url = url;
        self
    }

    /// Set the retry budget capacity in tokens (see the field of the same name).
    pub fn retry_budget(mut self, tokens: u32) -> Self {
        self.retry_budget = tokens;
        self
    }

    /// Set the largest error-answer body read (see the field of the same name).
    pub fn max_error_body_bytes(mut self, bytes: usize) -> Self {
        self.max_error_body_bytes = bytes;
        self
    }

    /// Set the redirect policy (see [`RedirectPolicy`]).
    pub fn redirects(mut self, policy: RedirectPolicy) -> Self {
        self.redirects = policy;
        self
    }

    /// Set the largest response body read into memory.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Set the connect timeout.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Set the per-attempt timeout.
    pub fn attempt_timeout(mut self, d: Duration) -> Self {
        self.attempt_timeout = d;
        self
    }

    /// Set the operation deadline.
    pub fn operation_deadline(mut self, d: Duration) -> Self {
        self.operation_deadline = d;
        self
    }

    /// Set the retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Add a root certificate in PEM form.
    pub fn add_root_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_root_pem.push(pem.into());
        self
    }

    /// Accept invalid certificates (self-signed private deployments). See the field's warning.
    pub fn danger_accept_invalid_certs(mut self, yes: bool) -> Self {
        self.danger_accept_invalid_certs = yes;
        self
    }

    /// Speak HTTP/1.1 only.
    pub fn http1_only(mut self, yes: bool) -> Self {
        self.http1_only = yes;
        self
    }

    /// Use or ignore proxies from the environment.
    pub fn proxy_from_env(mut self, yes: bool) -> Self {
        self.proxy_from_env = yes;
        self
    }

    /// Set the `User-Agent`.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// A `reqwest::ClientBuilder` carrying this configuration (rustls, timeouts, TLS trust).
    /// reqwest follows no redirect and sends no `Referer`: conf-core applies
    /// [`RedirectPolicy`] itself. Every HTTP client of the crate comes from here.
    pub(crate) fn http_builder(&self) -> Result<reqwest::ClientBuilder, Error> {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .use_rustls_tls()
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent.clone())
            .pool_idle_timeout(Duration::from_secs(50))
            .danger_accept_invalid_certs(self.danger_accept_invalid_certs);
        if !self.proxy_from_env {
            b = b.no_proxy();
        }
        if self.http1_only {
            b = b.http1_only();
        }
        for pem in &self.extra_root_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| Error::invalid_input("extra_root_pem", e.to_string()))?;
            if certs.is_empty() {
                return Err(Error::invalid_input("extra_root_pem", "no certificate found in PEM"));
            }
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        Ok(b)
    }

    /// Build the `reqwest::Client`.
    pub(crate) fn build_http(&self) -> Result<reqwest::Client, Error> {
        self.http_builder()?.build().map_err(|e| Error::other(format!("cannot build HTTP client: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_userinfo() {
        let c = ClientConfig::parse("https://admin:pa55word@meet.example.com/").unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("pa55word") && !d.contains("admin"), "{d}");
    }

    #[test]
    fn bad_inputs_are_invalid_input() {
        assert!(matches!(ClientConfig::parse("not a url"), Err(Error::InvalidInput { .. })));
        assert!(matches!(ClientConfig::parse("ftp://x"), Err(Error::InvalidInput { .. })));
        let c = ClientConfig::parse("https://x").unwrap().add_root_pem(b"garbage".to_vec());
        assert!(matches!(c.build_http(), Err(Error::InvalidInput { .. })));
    }

    #[test]
    fn base_url_without_scheme_says_how_to_fix_it() {
        for bad in ["meet.example.com", "localhost:8080", "10.0.0.1:80/api"] {
            let e = ClientConfig::parse(bad).unwrap_err().to_string();
            assert!(e.contains("add http:// or https://"), "{bad}: {e}");
        }
        let e = ClientConfig::parse("ftp://x").unwrap_err().to_string();
        assert!(e.contains("use http:// or https://"), "{e}");
    }

    #[test]
    fn bare_host_requirement() {
        let ok = ClientConfig::parse("http://10.0.0.1:8080/").unwrap();
        ok.require_bare_host("moyun", "/api/v1").unwrap();
        ClientConfig::parse("https://meet.example.com").unwrap().require_bare_host("moyun", "/api/v1").unwrap();
        let e = ClientConfig::parse("http://host/api/v1?x=1").unwrap().require_bare_host("moyun", "/api/v1").unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }));
        let e = e.to_string();
        assert!(e.contains("bare host such as `http://host:80`") && e.contains("remove `/api/v1?x=1`"), "{e}");
    }

    #[test]
    fn redirects_are_refused_by_default() {
        assert_eq!(ClientConfig::parse("https://x").unwrap().redirects, RedirectPolicy::Refuse);
    }

    #[test]
    fn user_agent_names_sdk() {
        assert!(USER_AGENT.starts_with("conf-sdk/"));
    }
}
