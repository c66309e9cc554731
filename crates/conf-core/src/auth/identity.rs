//! Identities: a typed credential and the resolver that obtains it.

use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::Rejection;
use super::cache::CachedCredential;
use crate::error::Error;

/// A credential of type `C` with its generation (which load produced it).
pub struct Identity<C> {
    generation: u64,
    credential: Arc<C>,
}

impl<C> Identity<C> {
    /// The credential `credential` of generation `generation`.
    pub fn new(generation: u64, credential: Arc<C>) -> Self {
        Self { generation, credential }
    }

    /// The generation (a rejection invalidates only this generation).
    pub const fn generation(&self) -> u64 {
        self.generation
    }

    /// The credential.
    pub fn credential(&self) -> &C {
        &self.credential
    }
}

impl<C> Clone for Identity<C> {
    fn clone(&self) -> Self {
        Self { generation: self.generation, credential: self.credential.clone() }
    }
}

impl<C> std::fmt::Debug for Identity<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The credential itself may be a secret: only its generation is shown.
        f.debug_struct("Identity").field("generation", &self.generation).finish_non_exhaustive()
    }
}

impl<C> From<CachedCredential<C>> for Identity<C> {
    fn from(c: CachedCredential<C>) -> Self {
        Self { generation: c.generation, credential: c.value }
    }
}

/// Obtains the identity calls are made with, and recognises its rejection.
pub trait IdentityResolver: Send + Sync + 'static {
    /// The credential's type (a token, a login, `()` when the signer needs none).
    type Credential: Send + Sync + 'static;

    /// A valid identity (cached; refreshed single-flight when expired).
    fn resolve(&self) -> BoxFuture<'_, Result<Identity<Self::Credential>, Error>>;

    /// Whether `error`, answered to a call made with `identity`, says the server
    /// rejected the credential (401, a vendor code...), and what to renew. Pure: the
    /// auth layer may classify an error without invalidating. Default: never.
    fn classify(&self, error: &Error, identity: &Identity<Self::Credential>) -> Option<Rejection> {
        let _ = (error, identity);
        None
    }

    /// Forget the rejected credential so the next `resolve` renews it; a no-op when a
    /// newer generation than the rejected one is already cached. Default: nothing to forget.
    fn invalidate(&self, rejection: Rejection) {
        let _ = rejection;
    }
}

impl<R: IdentityResolver> IdentityResolver for Arc<R> {
    type Credential = R::Credential;

    fn resolve(&self) -> BoxFuture<'_, Result<Identity<Self::Credential>, Error>> {
        (**self).resolve()
    }

    fn classify(&self, error: &Error, identity: &Identity<Self::Credential>) -> Option<Rejection> {
        (**self).classify(error, identity)
    }

    fn invalidate(&self, rejection: Rejection) {
        (**self).invalidate(rejection);
    }
}

/// The resolver of signers that hold their own secret (a static key, a per-attempt
/// signature): the identity is `()`, generation 0, never rejected.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoIdentity;

impl IdentityResolver for NoIdentity {
    type Credential = ();

    fn resolve(&self) -> BoxFuture<'_, Result<Identity<()>, Error>> {
        Box::pin(std::future::ready(Ok(Identity::new(0, Arc::new(())))))
    }
}
