//! Authentication, in two parts (identity resolved apart from signing):
//!
//! - an [`IdentityResolver`] obtains a typed credential (an [`Identity`]), usually from
//!   the single-flight [`CredentialCache`], recognises its rejection and forgets it;
//! - a [`Signer`] puts an identity on one attempt (a header, a form field, a signature
//!   with a fresh timestamp).
//!
//! [`AuthScheme::new(resolver, signer)`](AuthScheme::new) pairs them into the
//! [`Authenticator`] the transport runs: the auth layer resolves an identity once per
//! call (this may refresh it, single-flight), the retry layer signs *each attempt*
//! with it, and when the server rejects it the resolver
//! [`classify`](IdentityResolver::classify)s the error into a [`Rejection`] value
//! (pure: no side effects), the auth layer hands that value to
//! [`invalidate`](IdentityResolver::invalidate), resolves again and replays the call
//! once. A rejection names the generation it was seen with, so invalidating it never
//! discards a newer credential obtained meanwhile by another call or an unrelated
//! renewal. The credential keeps its type from resolver to signer: nothing is
//! downcast.

mod cache;
mod identity;
mod scheme;

use futures_util::future::BoxFuture;

pub use cache::{CacheStats, CachedCredential, CredentialCache, Loaded};
pub use identity::{Identity, IdentityResolver, NoIdentity};
pub use scheme::{AuthScheme, AuthState, Signer};

use crate::error::Error;

/// What a credential rejection asks to renew: a value computed by
/// [`IdentityResolver::classify`] and consumed by [`IdentityResolver::invalidate`].
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
    /// The default kind: the credential an [`Identity`] carries.
    pub const CREDENTIAL: u8 = 0;

    /// The credential `identity` was rejected (kind [`Rejection::CREDENTIAL`]).
    #[must_use]
    pub const fn of<C>(identity: &Identity<C>) -> Self {
        Self { generation: identity.generation(), kind: Self::CREDENTIAL }
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

/// What the transport runs: an identity resolver and its signer, type-erased
/// (see [`AuthScheme`], its implementation; implement [`IdentityResolver`] and
/// [`Signer`] rather than this).
pub trait Authenticator: Send + Sync + 'static {
    /// Obtain a valid identity (cached; refreshed single-flight when expired), bound
    /// to the signer that puts it on requests.
    fn prepare(&self) -> BoxFuture<'_, Result<AuthState, Error>>;

    /// Forget the rejected credential so the next `prepare` renews it; a no-op when
    /// a newer generation than the rejected one is already cached.
    fn invalidate(&self, rejection: Rejection);
}
