//! The tower layers of the request path, outermost first:
//!
//! ```text
//! Client::execute(Operation)
//!   └─ trace      span per call: vendor, operation, method, path template, attempts, status, elapsed
//!      └─ api_level  capability + minimum API-Level gate (nothing sent when unsupported)
//!         └─ auth       prepare credential (single-flight refresh); on rejection renew + replay once
//!            └─ retry      attempts: build request, apply credential, envelope check, classify, back off
//!               └─ timeout    per-attempt timeout (capped by the operation deadline)
//!                  └─ [user attempt layers]
//!                     └─ http       the HTTP client (reqwest) as a tower Service; reads the body
//! ```
//!
//! The upper four work on [`Call`]s, the lower ones on [`AttemptRequest`]s.
//!
//! Each layer's service is generic over its inner service, so the stack the
//! client builds is one concrete type driven by one future: type erasure
//! ([`CallService`], [`AttemptService`]) happens only where user layers are
//! inserted. Every service is also a tower `Service` (boxing its future) for
//! use in user-assembled stacks.

pub mod api_level;
pub mod auth;
pub mod http;
pub mod retry;
pub mod timeout;
pub mod trace;

use std::future::Future;

use futures_util::future::Either;
use tower::util::BoxCloneSyncService;
use tower::{BoxError, ServiceExt};

use crate::error::Error;
use crate::request::{AttemptRequest, RawResponse};

pub use crate::call::Call;

/// A type-erased call-level service.
pub type CallService = BoxCloneSyncService<Call, RawResponse, Error>;

/// A type-erased attempt-level service (what user attempt layers wrap).
pub type AttemptService = BoxCloneSyncService<AttemptRequest, RawResponse, BoxError>;

mod handler {
    use std::future::Future;
    use std::time::Duration;

    use tower::BoxError;

    use super::Call;
    use crate::error::Error;
    use crate::request::{AttemptRequest, RawResponse};

    /// A call-level service driven by reference: the stack's own layers
    /// implement it without boxing or cloning per call. (Unnameable outside the crate.)
    pub trait CallHandler: Send + Sync {
        /// Run one call.
        fn handle(&self, call: Call) -> impl Future<Output = Result<RawResponse, Error>> + Send + '_;
    }

    /// An attempt-level service driven by reference (see [`CallHandler`]).
    pub trait AttemptHandler: Send + Sync {
        /// Send one attempt.
        fn send(&self, request: AttemptRequest) -> impl Future<Output = Result<RawResponse, BoxError>> + Send + '_;

        /// Send one attempt that must be done within `limit`: by default the limit
        /// travels as the request's timeout; the timeout layer takes it directly
        /// (reqwest keeps a request's timeout in an allocated extension map).
        fn send_within(
            &self,
            mut request: AttemptRequest,
            limit: Duration,
        ) -> impl Future<Output = Result<RawResponse, BoxError>> + Send + '_ {
            request.set_timeout(Some(limit));
            self.send(request)
        }
    }
}

pub(crate) use handler::{AttemptHandler, CallHandler};

impl CallHandler for CallService {
    fn handle(&self, call: Call) -> impl Future<Output = Result<RawResponse, Error>> + Send + '_ {
        self.clone().oneshot(call)
    }
}

impl AttemptHandler for AttemptService {
    fn send(&self, request: AttemptRequest) -> impl Future<Output = Result<RawResponse, BoxError>> + Send + '_ {
        self.clone().oneshot(request)
    }
}

/// The innermost attempt service of the client's stack: reqwest directly, or
/// the user's attempt layers (type-erased) around it.
#[derive(Clone)]
pub(crate) enum AttemptInner {
    /// No user attempt layers.
    Http(http::HttpService),
    /// User attempt layers around [`http::HttpService`].
    Layered(AttemptService),
}

impl AttemptHandler for AttemptInner {
    #[inline]
    fn send(&self, request: AttemptRequest) -> impl Future<Output = Result<RawResponse, BoxError>> + Send + '_ {
        // `Either`, not an `async` block: the request is not kept twice.
        match self {
            Self::Http(h) => Either::Left(h.send(request)),
            Self::Layered(s) => Either::Right(s.clone().oneshot(request)),
        }
    }
}

/// The client's standard call stack, concrete.
pub(crate) type Stack = trace::Trace<api_level::ApiLevel<auth::Auth<retry::Retry<timeout::Timeout<AttemptInner>>>>>;

/// What the client runs calls through: its standard stack, or user call layers around it.
pub(crate) enum ClientStack {
    /// No user call layers.
    Direct(Stack),
    /// User call layers around the standard stack (type-erased).
    Layered(CallService),
}
