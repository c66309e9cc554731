//! Retry layer: runs the attempts of one call.
//!
//! Each attempt: resolve the base URL, build the request from the operation,
//! add negotiated headers, apply the credential (fresh per attempt), send it
//! through the attempt stack, run the vendor's envelope check, and classify a
//! failure. Retries wait with full-jitter backoff (or the server's
//! `Retry-After`), spend the shared budget, never pass the deadline, and never
//! replay a non-idempotent request that may have reached the server.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use tokio::time::Instant;
use tower::{Layer, Service};

use super::timeout::AttemptTimeout;
use super::{AttemptHandler, AttemptService, Call, CallHandler, CallService};
use crate::attempt::Shared;
use crate::endpoint::AttemptOutcome;
use crate::error::{Error, RequestInfo, TimeoutKind, TransportCause, TransportKind};
use crate::request::{AttemptRequest, RawResponse};
use crate::retry::{Decision, classify_with};

/// Runs attempts with retries.
#[derive(Clone)]
pub struct RetryLayer {
    pub(crate) shared: Arc<Shared>,
}

impl Layer<AttemptService> for RetryLayer {
    type Service = CallService;
    fn layer(&self, inner: AttemptService) -> CallService {
        CallService::new(Retry { inner, shared: self.shared.clone() })
    }
}

/// Service of [`RetryLayer`].
#[derive(Clone)]
pub struct Retry<S = AttemptService> {
    pub(crate) inner: S,
    shared: Arc<Shared>,
}

impl<S> Retry<S> {
    /// Retries over a concrete attempt service.
    pub(crate) fn new(shared: Arc<Shared>, inner: S) -> Self {
        Self { inner, shared }
    }
}

impl<S: AttemptHandler> CallHandler for Retry<S> {
    fn handle(&self, call: Call) -> impl Future<Output = Result<RawResponse, Error>> + Send + '_ {
        run(&self.shared, &self.inner, call)
    }
}

impl<S: AttemptHandler + Clone + 'static> Service<Call> for Retry<S> {
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

async fn run<S: AttemptHandler>(shared: &Shared, inner: &S, call: Call) -> Result<RawResponse, Error> {
    let op = &call.op;
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        if !super::trace::unobservable() {
            tracing::Span::current().record("attempts", attempt);
        }
        let now = Instant::now();
        if now >= call.deadline {
            return Err(Error::Timeout { request: op.info(attempt - 1), kind: TimeoutKind::Deadline(shared.config.operation_deadline) });
        }
        let limit = op.attempt_timeout.unwrap_or(shared.config.attempt_timeout).min(call.deadline - now);
        // A reference in the common case; a resolved base is boxed (this future keeps a pointer).
        let resolved: Box<url::Url>;
        let base: &url::Url = match (&op.base_override, &shared.fixed_base) {
            (Some(u), _) | (None, Some(u)) => u,
            (None, None) => {
                resolved = Box::new(shared.resolver.resolve(op, attempt)?);
                &resolved
            }
        };
        // Assembled outside this future, except when files must be opened (that rare
        // future lives on the heap). The attempt's future (reqwest's, the timer) is the
        // bulk of the call's: on the heap (< 1 KiB: no consolidation) it is not copied
        // through every layer's future. The block ends the request's storage before the await.
        let attempt_future = {
            let request = if crate::attempt::needs_io(&op.body) {
                Box::pin(build_with_io(shared, &call, base, attempt)).await?
            } else {
                build(shared, &call, base, attempt)?
            };
            Box::pin(inner.send_within(request, limit))
        };
        let sent = attempt_future.await;
        // Judged outside this future, so the error and request description are not kept in it.
        let wait = match settle(shared, &call, base, attempt, limit, sent) {
            Settled::Done(result) => return result,
            Settled::RetryAfter(wait) => wait,
        };
        // Backing off is rare: the timer lives on the heap, not in this future.
        Box::pin(tokio::time::sleep(wait)).await;
    }
}

/// What to do after an attempt.
enum Settled {
    /// Return this.
    Done(Result<RawResponse, Error>),
    /// Wait this long, then try again.
    RetryAfter(std::time::Duration),
}

/// Check an attempt's outcome (envelope, error translation, resolver report) and
/// decide: return it, or retry after a wait (attempts, budget, `Retry-After`, deadline).
fn settle(
    shared: &Shared,
    call: &Call,
    base: &url::Url,
    attempt: u32,
    limit: std::time::Duration,
    sent: Result<RawResponse, tower::BoxError>,
) -> Settled {
    let op = &call.op;
    let policy = &shared.config.retry;
    let mut info = op.info(attempt);
    // Errors name the origin the attempt went to (computed once for a fixed base).
    info.origin = Some(match (&op.base_override, &shared.fixed_origin) {
        (None, Some(o)) => o.clone(),
        _ => std::sync::Arc::from(crate::error::origin(base)),
    });
    let result = match sent {
        Ok(raw) => {
            shared.resolver.report(base, AttemptOutcome::Answered);
            match shared.envelope.check(&info, &raw).and_then(|()| shared.hooks.classify_response(&info, &raw)) {
                Ok(()) => Ok(raw),
                Err(e) => Err(scrub(e, op.sensitive_response)),
            }
        }
        Err(err) => {
            let e = scrub(attempt_error(&info, err.as_ref(), limit), op.sensitive_response);
            shared.resolver.report(
                base,
                match &e {
                    Error::Transport { kind: TransportKind::Dns, .. } => AttemptOutcome::DnsFailure,
                    Error::HttpStatus { .. } | Error::Redirect { .. } => AttemptOutcome::Answered,
                    _ => AttemptOutcome::NetworkFailure,
                },
            );
            Err(e)
        }
    };
    let e = match result {
        Ok(raw) => {
            shared.budget.on_success();
            return Settled::Done(Ok(raw));
        }
        Err(e) => e,
    };
    let retryable =
        if shared.hooks.is_empty() { e.is_retryable() } else { shared.hooks.classify_retry(op, &e).unwrap_or_else(|| e.is_retryable()) };
    match classify_with(&e, op.idempotent, retryable) {
        Decision::Fail => Settled::Done(Err(e)),
        Decision::OutcomeUnknown => {
            tracing::warn!(error = %e, "non-idempotent request may have taken effect: not replayed");
            Settled::Done(Err(Error::OutcomeUnknown { request: info, cause: Box::new(e) }))
        }
        Decision::Retry => {
            if attempt >= policy.max_attempts {
                return Settled::Done(Err(e));
            }
            if !shared.budget.try_acquire(matches!(e, Error::Timeout { .. })) {
                tracing::warn!(error = %e, "retry budget exhausted: not retrying");
                return Settled::Done(Err(e));
            }
            let retry_after = match &e {
                Error::HttpStatus { retry_after, .. } => *retry_after,
                _ => None,
            };
            let Some(wait) = policy.wait(attempt + 1, retry_after) else {
                tracing::debug!(error = %e, "Retry-After beyond the cap: not retrying");
                return Settled::Done(Err(e));
            };
            if Instant::now() + wait >= call.deadline {
                return Settled::Done(Err(e));
            }
            tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, error = %e, "retrying");
            Settled::RetryAfter(wait)
        }
    }
}

/// One attempt's request, for a body that needs no I/O.
fn build(shared: &Shared, call: &Call, base: &url::Url, attempt: u32) -> Result<AttemptRequest, Error> {
    let parts = shared.attempt_parts(call, base, attempt)?;
    crate::attempt::build_request_with(&shared.http, parts, Vec::new()).map_err(|e| e.with_attempts(attempt))
}

/// One attempt's request, opening the files it streams.
async fn build_with_io(shared: &Shared, call: &Call, base: &url::Url, attempt: u32) -> Result<AttemptRequest, Error> {
    let parts = shared.attempt_parts(call, base, attempt)?;
    crate::attempt::build_request(&shared.http, parts).await.map_err(|e| e.with_attempts(attempt))
}

/// Replace body excerpts by their length when the response carries credentials.
pub(crate) fn scrub(e: Error, sensitive: bool) -> Error {
    if !sensitive {
        return e;
    }
    match e {
        Error::HttpStatus { request, status, body_excerpt, retry_after } => Error::HttpStatus {
            request,
            status,
            body_excerpt: format!("<{} chars, not shown: credential endpoint>", body_excerpt.len()),
            retry_after,
        },
        Error::Decode { request, excerpt, message } => {
            Error::Decode { request, excerpt: format!("<{} chars, not shown: credential endpoint>", excerpt.len()), message }
        }
        other => other,
    }
}

/// Translate an attempt-level failure into an [`Error`], deciding whether the request may have been sent.
pub(crate) fn attempt_error(
    info: &RequestInfo,
    err: &(dyn std::error::Error + Send + Sync + 'static),
    limit: std::time::Duration,
) -> Error {
    if let Some(t) = err.downcast_ref::<AttemptTimeout>() {
        return Error::Timeout { request: info.clone(), kind: TimeoutKind::Attempt(t.0) };
    }
    if let Some(r) = err.downcast_ref::<crate::redirect::Refused>() {
        return Error::Redirect {
            request: info.clone(),
            status: r.status,
            from: r.from.clone(),
            to: r.to.clone(),
            reason: r.reason.clone(),
        };
    }
    if let Some(big) = err.downcast_ref::<super::http::ErrorBodyTooLarge>() {
        return Error::HttpStatus {
            request: info.clone(),
            status: big.status,
            body_excerpt: format!("(body over {} bytes: not read further) {}", big.limit, crate::error::excerpt(&big.start)),
            retry_after: big.retry_after,
        };
    }
    if let Some(re) = err.downcast_ref::<reqwest::Error>() {
        let chain = error_chain(re);
        // The cause chain without the URL (which can carry a token): reqwest's own level is
        // shown as `without_url` would show it, `TransportCause` cuts any URL below to its origin.
        let cause = || {
            let text = re.to_string();
            let top = text.find(" for url (").map_or(text.as_str(), |i| &text[..i]);
            TransportCause::with_sources(top, std::error::Error::source(re))
        };
        if re.is_connect() {
            let dns = chain.contains("dns error") || chain.contains("failed to lookup address");
            let kind = if dns { TransportKind::Dns } else { TransportKind::Connect };
            return Error::transport(info.clone(), kind, chain, false).with_transport_cause(cause());
        }
        if re.is_timeout() {
            return Error::Timeout { request: info.clone(), kind: TimeoutKind::Attempt(limit) };
        }
        if re.is_builder() {
            return Error::transport(info.clone(), TransportKind::Other, chain, false).with_transport_cause(cause());
        }
        return Error::transport(info.clone(), TransportKind::Io, chain, true).with_transport_cause(cause());
    }
    Error::transport(info.clone(), TransportKind::Other, error_chain_dyn(err), true).with_transport_cause(TransportCause::capture(err))
}

/// The message of a reqwest error and its sources, without the URL (which can carry a token).
fn error_chain(e: &reqwest::Error) -> String {
    let mut out = String::new();
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    out.push_str(&kind_of(e));
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

fn kind_of(e: &reqwest::Error) -> String {
    let k = if e.is_connect() {
        "connect failed"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_body() {
        "body error"
    } else if e.is_decode() {
        "decode error"
    } else if e.is_request() {
        "request failed"
    } else {
        "http error"
    };
    k.to_string()
}

fn error_chain_dyn(e: &(dyn std::error::Error + Send + Sync + 'static)) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}
