//! Authentication: a trait each vendor implements, and the single-flight
//! credential cache vendors build it from.
//!
//! The auth layer asks the authenticator to [`prepare`](Authenticator::prepare)
//! a credential once per call (this may refresh it, single-flight), the retry
//! layer has it [`apply`](Authenticator::apply) the credential to *each attempt*
//! (so per-attempt signatures get a fresh timestamp), and when the server rejects
//! the credential the auth layer [`invalidate`](Authenticator::invalidate)s it,
//! prepares a new one and replays the call once.

mod cache;

use std::any::Any;
use std::sync::Arc;

use futures_util::future::BoxFuture;

pub use cache::{CachedCredential, CredentialCache, Loaded};

use crate::error::Error;
use crate::request::AttemptParts;

/// A prepared credential: opaque to the core, downcast by the vendor's authenticator.
#[derive(Clone)]
pub struct AuthState {
    /// Generation of the credential; a rejection invalidates only this generation.
    pub generation: u64,
    value: Arc<dyn Any + Send + Sync>,
}

impl AuthState {
    /// Wrap a credential value.
    pub fn new<T: Any + Send + Sync>(generation: u64, value: Arc<T>) -> Self {
        Self { generation, value }
    }

    /// The credential as the vendor's type.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.value.downcast_ref::<T>()
    }
}

impl std::fmt::Debug for AuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthState").field("generation", &self.generation).finish_non_exhaustive()
    }
}

/// Puts credentials on requests and recognises their rejection.
pub trait Authenticator: Send + Sync + 'static {
    /// Obtain a valid credential (cached; refreshed single-flight when expired).
    fn prepare(&self) -> BoxFuture<'_, Result<AuthState, Error>>;

    /// Put the credential on one attempt (headers, query, form field, signature).
    fn apply(&self, state: &AuthState, request: &mut AttemptParts) -> Result<(), Error>;

    /// Whether `error` says the server rejected the credential (401, a vendor code...).
    fn is_rejected(&self, error: &Error) -> bool;

    /// Forget the credential of `state`'s generation so the next `prepare` renews it.
    fn invalidate(&self, state: &AuthState);
}
