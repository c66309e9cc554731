//! Endpoint resolution: which base URL an attempt goes to.
//!
//! The default is one fixed base URL. A vendor with several hosts (domain
//! failover) implements [`EndpointResolver`] and is told how each attempt went.

use url::Url;

use crate::error::Error;
use crate::operation::Operation;

/// How an attempt against a base URL ended, as seen by the resolver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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

/// [`join`] followed by appending `query` (already in wire order), in one pass
/// over the URL: the common case (base without a path prefix, path with one
/// leading `/` and no `?`) copies the base once and parses only the path.
pub fn join_with_query(base: &Url, path: &str, query: &[(String, String)]) -> Url {
    let prefix = base.path().trim_end_matches('/');
    let (p, q) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let mut url = base.clone();
    let trimmed = p.trim_start_matches('/');
    if prefix.is_empty() && trimmed.len() + 1 == p.len() {
        url.set_path(p);
    } else {
        let mut full = String::with_capacity(prefix.len() + 1 + trimmed.len());
        full.push_str(prefix);
        full.push('/');
        full.push_str(trimmed);
        url.set_path(&full);
    }
    if q.is_some() || url.query().is_some() {
        url.set_query(q);
    }
    if url.fragment().is_some() {
        url.set_fragment(None);
    }
    if !query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in query {
            pairs.append_pair(k, v);
        }
    }
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

    #[test]
    fn join_with_query_matches_join() {
        let q = vec![("a".to_string(), "x y".to_string()), ("b".to_string(), "&".to_string())];
        let bases = ["https://x.com/WebAPI/", "https://x.com/WebAPI", "http://127.0.0.1:8080", "http://h/?k=v#frag", "http://h/p/?k=v"];
        let paths = ["/meetingcreate", "meetingcreate", "//double", "/a/zjvmr%40myvmr.cn/x", "/q?x=1&y=2", "/", ""];
        for b in bases {
            let b = Url::parse(b).unwrap();
            for p in paths {
                let mut expected = join(&b, p);
                assert_eq!(join_with_query(&b, p, &[]), expected, "{b} {p}");
                {
                    let mut pairs = expected.query_pairs_mut();
                    for (k, v) in &q {
                        pairs.append_pair(k, v);
                    }
                }
                assert_eq!(join_with_query(&b, p, &q), expected, "{b} {p} with query");
            }
        }
    }
}
