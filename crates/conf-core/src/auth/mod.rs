//! Authentication: a trait each vendor implements, and the single-flight
//! credential cache vendors build it from.
//!
//! The auth layer asks the authenticator to [`prepare`](Authenticator::prepare)
//! a credential once per call (this may refresh it, single-flight), the retry
//! layer has it [`apply`](Authenticator::apply) the credential to *each attempt*
//! (so per-attempt signatures get a fresh timestamp), and when the server rejects
//! the credential the authenticator [`classify`](Authenticator::classify)s the
//! error into a [`Rejection`] value (pure: no side effects), the auth layer hands
//! that value to [`invalidate`](Authenticator::invalidate), prepares a new
//! credential and replays the call once. A rejection names the generation it was
//! seen with, so invalidating it never discards a newer credential obtained
//! meanwhile by another call or an unrelated renewal.

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

/// What a credential rejection asks to renew: a value computed by
/// [`Authenticator::classify`] and consumed by [`Authenticator::invalidate`].
///
/// `kind` is vendor-defined (e.g. moyun tells its application token from its login
/// session); `generation` is the generation of the credential that `kind` names, as
/// seen by the rejected call. Invalidating an older generation than the cached one
/// is a no-op, so a late rejection never discards a fresher credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rejection {
    generation: u64,
    kind: u8,
}

impl Rejection {
    /// The default kind: the credential an [`AuthState`] carries.
    pub const CREDENTIAL: u8 = 0;

    /// The credential `state` was rejected (kind [`Rejection::CREDENTIAL`]).
    #[must_use]
    pub const fn of(state: &AuthState) -> Self {
        Self { generation: state.generation, kind: Self::CREDENTIAL }
    }

    /// A rejection of a vendor-defined `kind` of credential, of `generation`.
    #[must_use]
    pub const fn new(generation: u64, kind: u8) -> Self {
        Self { generation, kind }
    }

    /// Generation of the rejected credential.
    #[must_use]
    pub const fn generation(&self) -> u64 {
        self.generation
    }

    /// The vendor-defined kind of the rejected credential.
    #[must_use]
    pub const fn kind(&self) -> u8 {
        self.kind
    }
}

/// Puts credentials on requests and recognises their rejection.
pub trait Authenticator: Send + Sync + 'static {
    /// Obtain a valid credential (cached; refreshed single-flight when expired).
    fn prepare(&self) -> BoxFuture<'_, Result<AuthState, Error>>;

    /// Put the credential on one attempt (headers, query, form field, signature).
    fn apply(&self, state: &AuthState, request: &mut AttemptParts) -> Result<(), Error>;

    /// Whether `error`, answered to a call made with `state`, says the server
    /// rejected the credential (401, a vendor code...), and what to renew.
    ///
    /// Must be pure: the auth layer may classify an error without invalidating.
    fn classify(&self, error: &Error, state: &AuthState) -> Option<Rejection>;

    /// Forget the rejected credential so the next `prepare` renews it; a no-op when
    /// a newer generation than the rejected one is already cached.
    fn invalidate(&self, rejection: Rejection);
}
