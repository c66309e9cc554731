//! Client configuration: where to connect, how long to wait, how to trust TLS.

use std::time::Duration;

use url::Url;

use crate::error::Error;
use crate::retry::RetryPolicy;

/// The SDK's `User-Agent`.
pub const USER_AGENT: &str = concat!("conf-sdk/", env!("CARGO_PKG_VERSION"));

/// Configuration shared by every vendor client.
#[derive(Clone)]
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
        }
    }

    /// Parse `base_url` and use the defaults; a bad URL is [`Error::InvalidInput`].
    pub fn parse(base_url: &str) -> Result<Self, Error> {
        let url = Url::parse(base_url).map_err(|e| Error::invalid_input("base_url", e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::invalid_input("base_url", "scheme must be http or https"));
        }
        Ok(Self::new(url))
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
    pub fn http_builder(&self) -> Result<reqwest::ClientBuilder, Error> {
        let mut b = reqwest::Client::builder()
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
    pub fn build_http(&self) -> Result<reqwest::Client, Error> {
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
    fn user_agent_names_sdk() {
        assert!(USER_AGENT.starts_with("conf-sdk/"));
    }
}
