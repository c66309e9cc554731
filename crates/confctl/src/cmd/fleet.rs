//! `--credential-store`: the shared credential store of fleet mode (conf-redis).

use conf_core::Error;
use conf_core::store::SharedStore;
use conf_redis::{EncryptionKey, RedisStore};

use crate::cli::FleetArgs;

/// The store `--credential-store` names, if any. A missing or malformed key, a URL
/// that is not `redis://` or `rediss://`, or an unreadable `--credential-store-ca` is
/// a usage error (nothing is sent). Connects lazily: an
/// unreachable Redis does not fail the command (it runs with its own credentials).
pub fn store(args: &FleetArgs) -> Result<Option<SharedStore>, Error> {
    let Some(url) = args.credential_store.as_deref().map(str::trim).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    if !url.starts_with("redis://") && !url.starts_with("rediss://") {
        return Err(Error::invalid_input("--credential-store", "must be a redis:// or rediss:// URL (redis://[:password@]host:port[/db])"));
    }
    let key = args
        .credential_key
        .as_deref()
        .filter(|k| !k.trim().is_empty())
        .ok_or_else(|| Error::invalid_input("--credential-key", "is required with --credential-store (or CONFCTL_CREDENTIAL_KEY)"))?;
    let key = EncryptionKey::parse(key).map_err(|e| Error::invalid_input("--credential-key", e.message))?;
    let mut builder = RedisStore::builder(url, key);
    if let Some(path) = &args.credential_store_ca {
        let pem = std::fs::read(path)
            .map_err(|e| Error::invalid_input("--credential-store-ca", format!("cannot read {}: {}", path.display(), e.kind())))?;
        if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
            return Err(Error::invalid_input("--credential-store-ca", format!("{} holds no PEM certificate", path.display())));
        }
        builder = builder.tls_root_cert_pem(pem);
    }
    let store = builder.build().map_err(|e| Error::invalid_input("--credential-store", e.message))?;
    Ok(Some(store.shared()))
}

/// For vendors without a session (ytx, webapi): check the flags, share nothing.
pub fn check_unused(args: &FleetArgs, vendor: &str) -> Result<(), Error> {
    if store(args)?.is_some() {
        tracing::debug!(vendor, "--credential-store: this vendor holds no session; nothing to share");
    }
    Ok(())
}
