//! Signing, and the pairing of a resolver with its signer that the transport runs.

use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::{Authenticator, Identity, IdentityResolver, Rejection};
use crate::error::Error;
use crate::request::AttemptParts;

/// Puts an identity on one attempt (headers, query, form field, signature).
pub trait Signer<C>: Send + Sync + 'static {
    /// Sign one attempt's request with `identity` (called again for each attempt).
    fn sign(&self, identity: &Identity<C>, request: &mut AttemptParts) -> Result<(), Error>;
}

impl<C, S: Signer<C>> Signer<C> for Arc<S> {
    fn sign(&self, identity: &Identity<C>, request: &mut AttemptParts) -> Result<(), Error> {
        (**self).sign(identity, request)
    }
}

/// A resolver and the signer of its identities: the [`Authenticator`] a client runs.
pub struct AuthScheme<R, S> {
    parts: Arc<(R, S)>,
}

impl<R, S> Clone for AuthScheme<R, S> {
    fn clone(&self) -> Self {
        Self { parts: self.parts.clone() }
    }
}

impl<R, S> std::fmt::Debug for AuthScheme<R, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthScheme").finish_non_exhaustive()
    }
}

impl<R: IdentityResolver, S: Signer<R::Credential>> AuthScheme<R, S> {
    /// Pair `resolver` with `signer`.
    pub fn new(resolver: R, signer: S) -> Self {
        Self { parts: Arc::new((resolver, signer)) }
    }

    /// As the transport takes it.
    pub fn into_dyn(self) -> Arc<dyn Authenticator> {
        Arc::new(self)
    }

    /// The resolver.
    pub fn resolver(&self) -> &R {
        &self.parts.0
    }
}

impl<R: IdentityResolver, S: Signer<R::Credential>> Authenticator for AuthScheme<R, S> {
    fn prepare(&self) -> BoxFuture<'_, Result<AuthState, Error>> {
        let parts = self.parts.clone();
        self.parts.0.resolve().map(move |identity| Ok(AuthState { bound: Arc::new(Bound { parts, identity: identity? }) })).boxed()
    }

    fn invalidate(&self, rejection: Rejection) {
        self.parts.0.invalidate(rejection);
    }
}

/// An identity bound to its scheme: what a call carries from the auth layer to each
/// attempt. Its credential keeps its type inside; the transport only asks it to sign
/// a request and to judge an error.
#[derive(Clone)]
pub struct AuthState {
    bound: Arc<dyn BoundIdentity>,
}

impl AuthState {
    /// Generation of the credential.
    pub fn generation(&self) -> u64 {
        self.bound.generation()
    }

    /// Sign one attempt's request.
    pub fn sign(&self, request: &mut AttemptParts) -> Result<(), Error> {
        self.bound.sign(request)
    }

    /// Whether `error`, answered to a call made with this identity, rejects it.
    pub fn classify(&self, error: &Error) -> Option<Rejection> {
        self.bound.classify(error)
    }
}

impl std::fmt::Debug for AuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthState").field("generation", &self.generation()).finish_non_exhaustive()
    }
}

trait BoundIdentity: Send + Sync {
    fn generation(&self) -> u64;
    fn sign(&self, request: &mut AttemptParts) -> Result<(), Error>;
    fn classify(&self, error: &Error) -> Option<Rejection>;
}

struct Bound<R: IdentityResolver, S> {
    parts: Arc<(R, S)>,
    identity: Identity<R::Credential>,
}

impl<R: IdentityResolver, S: Signer<R::Credential>> BoundIdentity for Bound<R, S> {
    fn generation(&self) -> u64 {
        self.identity.generation()
    }

    fn sign(&self, request: &mut AttemptParts) -> Result<(), Error> {
        self.parts.1.sign(&self.identity, request)
    }

    fn classify(&self, error: &Error) -> Option<Rejection> {
        self.parts.0.classify(error, &self.identity)
    }
}
