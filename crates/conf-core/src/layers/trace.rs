//! Outermost layer: one tracing span per call. (The operation deadline is
//! enforced by the retry layer, which caps every attempt and every wait by it.)

use std::future::Future;
use std::task::{Context, Poll};

use futures_util::future::{BoxFuture, Either};
use tower::{Layer, Service};
use tracing::Instrument;

use super::{Call, CallHandler, CallService};
use crate::error::Error;
use crate::request::RawResponse;

/// Adds the `conf.call` span.
#[derive(Clone, Debug, Default)]
pub struct TraceLayer;

impl<S> Layer<S> for TraceLayer {
    type Service = Trace<S>;
    fn layer(&self, inner: S) -> Trace<S> {
        Trace { inner }
    }
}

/// Service of [`TraceLayer`].
#[derive(Clone)]
pub struct Trace<S = CallService> {
    pub(crate) inner: S,
}

impl<S: CallHandler> CallHandler for Trace<S> {
    fn handle(&self, call: Call) -> impl Future<Output = Result<RawResponse, Error>> + Send + '_ {
        if unobservable() {
            // No subscriber and no `log` logger: the span could not be seen by anyone.
            return Either::Left(self.inner.handle(call));
        }
        let op = &call.op;
        let span = tracing::info_span!(
            "conf.call",
            vendor = op.vendor,
            operation = op.name,
            method = %op.method,
            path = op.path_template,
            attempts = tracing::field::Empty,
            status = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        if span.is_disabled() && log::max_level() == log::LevelFilter::Off {
            // Nothing can observe the span (no subscriber wants it, no `log` logger):
            // skip entering and leaving it on every poll.
            Either::Left(self.inner.handle(call))
        } else {
            Either::Right(traced(&self.inner, call).instrument(span))
        }
    }
}

/// Whether no tracing output can be observed at all: no dispatcher was ever set
/// (global or scoped) and the `log` crate (tracing's fallback) is off.
pub(crate) fn unobservable() -> bool {
    !tracing::dispatcher::has_been_set() && log::max_level() == log::LevelFilter::Off
}

async fn traced<S: CallHandler>(inner: &S, call: Call) -> Result<RawResponse, Error> {
    let start = tokio::time::Instant::now();
    let result = inner.handle(call).await;
    let span = tracing::Span::current();
    span.record("elapsed_ms", start.elapsed().as_millis() as u64);
    match &result {
        Ok(r) => {
            span.record("status", r.status.as_u16());
            span.record("outcome", "ok");
            tracing::debug!("call succeeded");
        }
        Err(e) => {
            if let Some(s) = e.http_status() {
                span.record("status", s);
            }
            if let Some(r) = e.request() {
                span.record("attempts", r.attempts);
            }
            span.record("outcome", "error");
            tracing::debug!(error = %e, retryable = e.is_retryable(), "call failed");
        }
    }
    result
}

impl<S: CallHandler + Clone + 'static> Service<Call> for Trace<S> {
    type Response = RawResponse;
    type Error = Error;
    type Future = BoxFuture<'static, Result<RawResponse, Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, call: Call) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.handle(call).await })
    }
}
