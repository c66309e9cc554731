//! # conf-redis
//!
//! Fleet mode for conf-sdk: the replicas of a service share their vendor
//! credentials and sessions on Redis instead of each logging in on its own.
//!
//! [`RedisStore`] implements conf-core's
//! [`CredentialStore`](conf_core::store::CredentialStore): one process refreshes
//! a credential under a short lease (`SET NX PX`, fenced by a generation number
//! so a holder whose lease ran out cannot overwrite a newer credential), the
//! others wait for the published result (pub/sub, with polling as fallback).
//! Values are sealed with AES-256-GCM under the user's [`EncryptionKey`]; key
//! names carry the vendor and kind in clear and a keyed hash of account and base
//! URL. When Redis is unreachable, every call goes on with its process's own
//! credentials (logged, counted in [`RedisStore::errors`]); sharing resumes when
//! Redis is back. See `docs/fleet.md`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use conf_redis::{EncryptionKey, RedisStore};
//! let key = EncryptionKey::parse(&std::env::var("CONF_CREDENTIAL_KEY")?)?;
//! let store = RedisStore::builder("redis://127.0.0.1:6379/", key).prefix("meet-svc").build()?;
//! let shared = store.shared(); // give this to a vendor client builder: .credential_store(shared)
//! # let _ = shared; Ok(()) }
//! ```

mod key;
mod layout;
mod notify;
mod scripts;
mod seal;
mod store;
pub mod testing;

pub use key::EncryptionKey;
pub use store::{RedisStore, RedisStoreBuilder};
