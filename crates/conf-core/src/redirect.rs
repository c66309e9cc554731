//! The redirect rule: reqwest follows nothing (see `ClientConfig::http_builder`);
//! conf-core decides here, per [`RedirectPolicy`], and never lets a request, its
//! credentials or its body leave the origin it was addressed to.

use std::future::Future;

use http::{HeaderMap, Method, StatusCode};
use tower::BoxError;
use url::Url;

use crate::config::RedirectPolicy;
use crate::error::origin;
use crate::request::AttemptRequest;

/// A redirect that was not followed; becomes [`Error::Redirect`](crate::Error::Redirect).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    pub(crate) status: u16,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) reason: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {} redirect from {} to {} not followed: {}", self.status, self.from, self.to, self.reason)
    }
}

impl std::error::Error for Refused {}

/// Whether `status` asks the client to go elsewhere.
pub(crate) fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

/// Decide on one redirect from `current`: the URL to go to next, or why not.
pub(crate) fn judge(
    policy: RedirectPolicy,
    current: &Url,
    status: StatusCode,
    headers: &HeaderMap,
    has_body: bool,
    hops: u8,
) -> Result<Url, Refused> {
    let refuse = |to: String, reason: &str| Refused { status: status.as_u16(), from: origin(current), to, reason: reason.to_string() };
    let location = headers.get(http::header::LOCATION).and_then(|v| v.to_str().ok()).map(str::trim).filter(|l| !l.is_empty());
    let Some(location) = location else {
        return Err(refuse("nowhere (no Location)".into(), "the redirect names no target"));
    };
    let Ok(next) = current.join(location) else {
        return Err(refuse("an unparseable Location".into(), "the redirect's target is not a URL"));
    };
    let to = origin(&next);
    if !same_origin(current, &next) {
        let reason = if current.scheme() == "https" && next.scheme() == "http" {
            "it would downgrade https to http; credentials never leave the configured host"
        } else {
            "cross-host redirect; credentials never leave the configured host"
        };
        return Err(refuse(to, reason));
    }
    match policy {
        RedirectPolicy::Refuse => {
            Err(refuse(to, "API calls follow no redirect (same-origin ones can be allowed with ClientConfig::redirects)"))
        }
        RedirectPolicy::SameOrigin { .. } if has_body => {
            Err(refuse(to, "the request has a body, and a body is never resent (nor a POST turned into a GET)"))
        }
        RedirectPolicy::SameOrigin { max_hops } if hops >= max_hops => Err(refuse(to, &format!("more than {max_hops} redirects"))),
        RedirectPolicy::SameOrigin { .. } => Ok(next),
    }
}

/// Send `req`, following redirects as `policy` allows; a refused redirect is a [`Refused`] error.
///
/// The request is handed to reqwest before the returned future is first polled, so
/// the future does not hold the request (it is small; the rare redirect loop is boxed).
pub(crate) fn send(
    client: &reqwest::Client,
    req: AttemptRequest,
    policy: RedirectPolicy,
) -> impl Future<Output = Result<reqwest::Response, BoxError>> + Send + '_ {
    let replay = replay_of(policy, &req);
    let pending = client.execute(req.into_reqwest());
    async move {
        let resp = pending.await?;
        if !is_redirect(resp.status()) {
            return Ok(resp);
        }
        Box::pin(follow(client, resp, replay)).await
    }
}

/// What a same-origin hop resends: method, headers (the body never), and whether there
/// was a body. `None` when the policy follows nothing.
pub(crate) fn replay_of(policy: RedirectPolicy, req: &AttemptRequest) -> Option<Box<Replay>> {
    let req = req.as_reqwest();
    match policy {
        RedirectPolicy::SameOrigin { max_hops } => Some(Box::new(Replay {
            method: req.method().clone(),
            headers: req.headers().clone(),
            has_body: req.body().is_some(),
            max_hops,
        })),
        RedirectPolicy::Refuse => None,
    }
}

/// What following a redirect needs of the original request.
pub(crate) struct Replay {
    method: Method,
    headers: HeaderMap,
    has_body: bool,
    max_hops: u8,
}

pub(crate) async fn follow(
    client: &reqwest::Client,
    mut resp: reqwest::Response,
    replay: Option<Box<Replay>>,
) -> Result<reqwest::Response, BoxError> {
    let mut hops = 0u8;
    while is_redirect(resp.status()) {
        let (policy, has_body) = match &replay {
            Some(r) => (RedirectPolicy::SameOrigin { max_hops: r.max_hops }, r.has_body),
            None => (RedirectPolicy::Refuse, false),
        };
        let next = judge(policy, resp.url(), resp.status(), resp.headers(), has_body, hops)?;
        let Some(replay) = &replay else { unreachable!("a refusing policy follows nothing") };
        tracing::debug!(status = resp.status().as_u16(), hop = hops + 1, "following a same-origin redirect");
        let mut req = reqwest::Request::new(replay.method.clone(), next);
        *req.headers_mut() = replay.headers.clone();
        hops += 1;
        resp = client.execute(req).await?;
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(l: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::LOCATION, http::HeaderValue::from_str(l).unwrap());
        h
    }

    #[test]
    fn rules() {
        let here = Url::parse("https://a.example:8443/api/x?token=s3cret").unwrap();
        let same = RedirectPolicy::SameOrigin { max_hops: 2 };
        let s302 = StatusCode::FOUND;
        // Same origin, no body: followed only when opted in.
        assert_eq!(
            judge(same, &here, s302, &loc("/api/y?token=s3cret"), false, 0).unwrap().as_str(),
            "https://a.example:8443/api/y?token=s3cret"
        );
        let r = judge(RedirectPolicy::Refuse, &here, s302, &loc("/api/y"), false, 0).unwrap_err();
        assert_eq!((r.from.as_str(), r.to.as_str()), ("https://a.example:8443", "https://a.example:8443"));
        // Never a body, never past the hop limit.
        assert!(judge(same, &here, StatusCode::TEMPORARY_REDIRECT, &loc("/y"), true, 0).unwrap_err().reason.contains("body"));
        assert!(judge(same, &here, s302, &loc("/y"), false, 2).unwrap_err().reason.contains("more than 2"));
        // Other host, other port, downgrade: refused, both origins named, no path or query.
        for (target, to) in [
            ("https://b.example:8443/steal?token=s3cret", "https://b.example:8443"),
            ("https://a.example:9443/x", "https://a.example:9443"),
            ("http://a.example:8443/x", "http://a.example:8443"),
        ] {
            let r = judge(same, &here, s302, &loc(target), false, 0).unwrap_err();
            assert_eq!(r.to, to);
            let shown = r.to_string();
            assert!(shown.contains("https://a.example:8443") && shown.contains(to) && !shown.contains("s3cret"), "{shown}");
        }
        assert!(judge(same, &here, s302, &loc("http://a.example:8443/x"), false, 0).unwrap_err().reason.contains("downgrade"));
        assert!(judge(same, &here, s302, &HeaderMap::new(), false, 0).unwrap_err().to.contains("no Location"));
    }
}
