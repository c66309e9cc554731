//! The innermost service: the HTTP client (reqwest, itself a tower `Service`), the
//! redirect rule, and reading the whole body with a size cap (a smaller one for
//! error answers, whose body is never read or parsed beyond it).

use std::future::Future;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use tower::{BoxError, Service};

use super::AttemptHandler;
use crate::config::RedirectPolicy;
use crate::request::{AttemptRequest, RawResponse};

/// The body exceeded the configured cap.
#[derive(Debug, thiserror::Error)]
#[error("response body larger than {0} bytes")]
pub struct BodyTooLarge(pub usize);

/// An error answer (non-2xx) whose body exceeded the error-body cap: only its start was
/// read, and it is never parsed. Becomes [`Error::HttpStatus`](crate::Error::HttpStatus).
#[derive(Debug, thiserror::Error)]
#[error("HTTP {status} with a body larger than {limit} bytes")]
#[non_exhaustive]
pub struct ErrorBodyTooLarge {
    /// The status.
    pub status: u16,
    /// The cap.
    pub limit: usize,
    /// The first bytes of the body (at most the cap).
    pub start: bytes::Bytes,
    /// `Retry-After`, when the server sent one.
    pub retry_after: Option<std::time::Duration>,
}

/// Sends a request with reqwest (redirects per [`RedirectPolicy`]) and reads the full
/// response: a success body up to `max_body`, an error body up to `max_error_body`.
#[derive(Clone, Debug)]
pub struct HttpService {
    client: reqwest::Client,
    max_body: usize,
    max_error_body: usize,
    redirects: RedirectPolicy,
}

impl HttpService {
    /// Wrap a reqwest client (error bodies capped at 64 KiB, redirects refused).
    pub(crate) fn new(client: reqwest::Client, max_body: usize) -> Self {
        Self { client, max_body, max_error_body: 64 * 1024, redirects: RedirectPolicy::Refuse }
    }

    /// Cap error bodies at `bytes` (never above the success cap).
    #[must_use]
    pub fn max_error_body(mut self, bytes: usize) -> Self {
        self.max_error_body = bytes;
        self
    }

    /// The redirect policy.
    #[must_use]
    pub fn redirects(mut self, policy: RedirectPolicy) -> Self {
        self.redirects = policy;
        self
    }
}

impl AttemptHandler for HttpService {
    #[inline]
    fn send(&self, req: AttemptRequest) -> impl Future<Output = Result<RawResponse, BoxError>> + Send + '_ {
        fetch(self, req)
    }
}

fn fetch(svc: &HttpService, req: AttemptRequest) -> impl Future<Output = Result<RawResponse, BoxError>> + Send + '_ {
    // Sent before the future is polled: the future does not keep the request.
    let replay = crate::redirect::replay_of(svc.redirects, &req);
    let pending = svc.client.execute(req.into_reqwest());
    async move {
        let resp = pending.await?;
        let mut resp = if crate::redirect::is_redirect(resp.status()) {
            // Rare: the redirect rule's future lives on the heap.
            Box::pin(crate::redirect::follow(&svc.client, resp, replay)).await?
        } else {
            resp
        };
        let status = resp.status();
        // The response is consumed below: take its headers rather than copying them.
        let headers = std::mem::take(resp.headers_mut());
        if !status.is_success() {
            // Rare: an error answer is read with its own (small) cap, on the heap.
            return Box::pin(read_error(resp, status, headers, svc.max_error_body.min(svc.max_body))).await;
        }
        let max = svc.max_body;
        match resp.content_length() {
            Some(n) if n > max as u64 => return Err(Box::new(BodyTooLarge(max)) as BoxError),
            // Known length within the cap: let hyper collect it (no extra copy for one chunk).
            Some(_) => {
                let body = resp.bytes().await?;
                return Ok(RawResponse { status, headers, body });
            }
            None => {}
        }
        // Unknown length: stream with the cap; this branch's future lives on the heap.
        match Box::pin(read_capped(resp, max)).await? {
            (body, true) => Ok(RawResponse { status, headers, body }),
            (_, false) => Err(Box::new(BodyTooLarge(max)) as BoxError),
        }
    }
}

/// Read an error answer's body up to `limit` bytes; a longer body is [`ErrorBodyTooLarge`].
async fn read_error(
    resp: reqwest::Response,
    status: http::StatusCode,
    headers: http::HeaderMap,
    limit: usize,
) -> Result<RawResponse, BoxError> {
    match read_capped(resp, limit).await? {
        (body, true) => Ok(RawResponse { status, headers, body }),
        (start, false) => Err(Box::new(error_too_large(status, &headers, start, limit)) as BoxError),
    }
}

pub(crate) fn error_too_large(status: http::StatusCode, headers: &http::HeaderMap, start: bytes::Bytes, limit: usize) -> ErrorBodyTooLarge {
    let retry_after = headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| crate::retry::parse_retry_after(v, std::time::SystemTime::now()));
    ErrorBodyTooLarge { status: status.as_u16(), limit, start, retry_after }
}

/// Read at most `limit` bytes of `resp`'s body: `(body, true)` when it ended within the
/// limit, `(first limit bytes, false)` when there was more (the rest is not read).
pub(crate) async fn read_capped(mut resp: reqwest::Response, limit: usize) -> Result<(bytes::Bytes, bool), reqwest::Error> {
    if resp.content_length().is_some_and(|n| n <= limit as u64) {
        return Ok((resp.bytes().await?, true));
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = limit - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body.freeze(), false));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body.freeze(), true))
}

impl Service<AttemptRequest> for HttpService {
    type Response = RawResponse;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<RawResponse, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: AttemptRequest) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { fetch(&this, req).await })
    }
}
