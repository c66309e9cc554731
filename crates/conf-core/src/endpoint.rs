//! Endpoint resolution: which base URL an attempt goes to.
//!
//! The default is one fixed base URL. A vendor with several hosts (domain
//! failover) implements [`EndpointResolver`] and is told how each attempt went.

use url::Url;

use crate::error::Error;
use crate::operation::Operation;

/// How an attempt against a base URL ended, as seen by the resolver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The server answered (whatever the status).
    Answered,
    /// The name did not resolve.
    DnsFailure,
    /// Connecting or exchanging bytes failed, or the attempt timed out.
    NetworkFailure,
}

/// Chooses the base URL of each attempt.
pub trait EndpointResolver: Send + Sync + 'static {
    /// Base URL for `attempt` (1-based) of `op`.
    fn resolve(&self, op: &Operation, attempt: u32) -> Result<Url, Error>;

    /// Learn how an attempt went.
    fn report(&self, _base: &Url, _outcome: AttemptOutcome) {}
}

/// One fixed base URL.
#[derive(Debug, Clone)]
pub struct StaticEndpoint(pub Url);

impl EndpointResolver for StaticEndpoint {
    fn resolve(&self, _op: &Operation, _attempt: u32) -> Result<Url, Error> {
        Ok(self.0.clone())
    }
}

/// Join a base URL (which may carry a path prefix) and an operation path.
pub fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    let (p, q) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let p = p.trim_start_matches('/');
    url.set_path(&format!("{prefix}/{p}"));
    url.set_query(q);
    url.set_fragment(None);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_keeps_prefix() {
        let b = Url::parse("https://x.com/WebAPI/").unwrap();
        assert_eq!(join(&b, "/meetingcreate").as_str(), "https://x.com/WebAPI/meetingcreate");
        let b = Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(join(&b, "/api/v1/vc/confs").as_str(), "http://127.0.0.1:8080/api/v1/vc/confs");
        assert_eq!(join(&b, "/a/zjvmr%40myvmr.cn/x").as_str(), "http://127.0.0.1:8080/a/zjvmr%40myvmr.cn/x");
    }
}
