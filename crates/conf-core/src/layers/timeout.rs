//! Per-attempt timeout, read from the request's own timeout (set by the retry
//! layer to the smaller of the attempt timeout and what is left of the deadline).

use std::future::Future;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tower::{BoxError, Layer, Service};

use super::{AttemptHandler, AttemptService};
use crate::request::{AttemptRequest, RawResponse};

/// The error of an attempt that ran out of time.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("attempt timed out after {} ms", .0.as_millis())]
pub struct AttemptTimeout(pub Duration);

/// Enforces each attempt's timeout, response body included.
#[derive(Clone, Debug)]
pub struct TimeoutLayer {
    /// Used when a request carries no timeout.
    pub default: Duration,
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;
    fn layer(&self, inner: S) -> Timeout<S> {
        Timeout { inner, default: self.default }
    }
}

/// Service of [`TimeoutLayer`].
#[derive(Clone)]
pub struct Timeout<S = AttemptService> {
    pub(crate) inner: S,
    default: Duration,
}

impl<S: AttemptHandler> AttemptHandler for Timeout<S> {
    #[inline]
    fn send(&self, mut req: AttemptRequest) -> impl Future<Output = Result<RawResponse, BoxError>> + Send + '_ {
        // Take the limit off the request so reqwest does not arm a second timer.
        let limit = req.take_timeout();
        self.timed(req, limit.unwrap_or(self.default))
    }

    #[inline]
    fn send_within(&self, mut req: AttemptRequest, limit: Duration) -> impl Future<Output = Result<RawResponse, BoxError>> + Send + '_ {
        let limit = req.take_timeout().map_or(limit, |t| t.min(limit));
        self.timed(req, limit)
    }
}

impl<S: AttemptHandler> Timeout<S> {
    #[inline]
    fn timed(&self, req: AttemptRequest, limit: Duration) -> impl Future<Output = Result<RawResponse, BoxError>> + Send + '_ {
        // A combinator, not an `async` block: the inner future is stored once.
        tokio::time::timeout(limit, self.inner.send(req)).map(move |r| match r {
            Ok(r) => r,
            Err(_) => Err(Box::new(AttemptTimeout(limit)) as BoxError),
        })
    }
}

impl<S: AttemptHandler + Clone + 'static> Service<AttemptRequest> for Timeout<S> {
    type Response = RawResponse;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<RawResponse, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: AttemptRequest) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.send(req).await })
    }
}
