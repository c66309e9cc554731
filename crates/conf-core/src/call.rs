//! The unit of work of the call-level layers (re-exported as `layers::Call`).
//!
//! Its own module so that the client, the layers and the attempt assembly can
//! all name it without importing one another.

use std::sync::Arc;

use tokio::time::Instant;

use crate::auth::{AuthState, Authenticator};
use crate::operation::Operation;

/// One call travelling through the call-level layers.
#[derive(Clone)]
#[non_exhaustive]
pub struct Call {
    /// The operation (shared by every attempt).
    pub op: Arc<Operation>,
    /// When the whole operation must be done.
    pub deadline: Instant,
    /// The credential prepared by the auth layer.
    pub auth: Option<(Arc<dyn Authenticator>, AuthState)>,
}

impl Call {
    /// A call of `op` that must be done by `deadline`, its credential not yet prepared
    /// (e.g. to drive a call layer in a test).
    pub fn new(op: Arc<Operation>, deadline: Instant) -> Self {
        Self { op, deadline, auth: None }
    }
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call").field("op", &self.op).field("deadline", &self.deadline).finish_non_exhaustive()
    }
}
