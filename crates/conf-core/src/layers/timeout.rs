//! Per-attempt timeout, read from the request's own timeout (set by the retry
//! layer to the smaller of the attempt timeout and what is left of the deadline).

use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tower::{BoxError, Layer, Service, ServiceExt};

use super::AttemptService;
use crate::request::RawResponse;

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

impl Layer<AttemptService> for TimeoutLayer {
    type Service = Timeout;
    fn layer(&self, inner: AttemptService) -> Timeout {
        Timeout { inner, default: self.default }
    }
}

/// Service of [`TimeoutLayer`].
#[derive(Clone)]
pub struct Timeout {
    inner: AttemptService,
    default: Duration,
}

impl Service<reqwest::Request> for Timeout {
    type Response = RawResponse;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<RawResponse, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: reqwest::Request) -> Self::Future {
        // Take the limit off the request so reqwest does not arm a second timer.
        let limit = req.timeout_mut().take().unwrap_or(self.default);
        let inner = self.inner.clone();
        Box::pin(async move {
            match tokio::time::timeout(limit, inner.oneshot(req)).await {
                Ok(r) => r,
                Err(_) => Err(Box::new(AttemptTimeout(limit)) as BoxError),
            }
        })
    }
}
