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
//!                     └─ http       reqwest::Client as a tower Service; reads the body
//! ```
//!
//! The upper four work on [`Call`]s, the lower ones on `reqwest::Request`s.

pub mod api_level;
pub mod auth;
pub mod http;
pub mod retry;
pub mod timeout;
pub mod trace;

use std::sync::Arc;

use tokio::time::Instant;
use tower::BoxError;
use tower::util::BoxCloneSyncService;

use crate::auth::{AuthState, Authenticator};
use crate::error::Error;
use crate::operation::Operation;
use crate::request::RawResponse;

/// One call travelling through the call-level layers.
#[derive(Clone)]
pub struct Call {
    /// The operation (shared by every attempt).
    pub op: Arc<Operation>,
    /// When the whole operation must be done.
    pub deadline: Instant,
    /// The credential prepared by the auth layer.
    pub auth: Option<(Arc<dyn Authenticator>, AuthState)>,
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call").field("op", &self.op).field("deadline", &self.deadline).finish_non_exhaustive()
    }
}

/// A type-erased call-level service.
pub type CallService = BoxCloneSyncService<Call, RawResponse, Error>;

/// A type-erased attempt-level service (what user attempt layers wrap).
pub type AttemptService = BoxCloneSyncService<reqwest::Request, RawResponse, BoxError>;
