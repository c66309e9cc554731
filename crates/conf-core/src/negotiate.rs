//! API-Level and capability negotiation.
//!
//! A vendor supplies a [`Negotiator`]: the headers announcing the SDK's own level,
//! a call that discovers the platform's level per app, and the platform's
//! capabilities (e.g. the deployment kind). The API-Level layer discovers levels
//! lazily (single-flight per app), caches them, and refuses an operation whose
//! minimum level or capability the platform lacks **before anything is sent**.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use http::{HeaderName, HeaderValue};

use crate::auth::{CachedCredential, CredentialCache, Loaded};
use crate::client::Client;
use crate::error::Error;
use crate::operation::Operation;

/// A vendor's negotiation rules.
pub trait Negotiator: Send + Sync + 'static {
    /// Headers sent on every request (e.g. `API-Level: 1`).
    fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        Vec::new()
    }

    /// Discover the platform's level of `app` (e.g. `GET /api/{app}/version`).
    fn discover(&self, client: Client, app: &'static str) -> BoxFuture<'static, Result<u32, Error>>;

    /// Whether the platform has `capability` (operations list what they need).
    fn has_capability(&self, _capability: &str) -> bool {
        true
    }

    /// How to describe the platform's capabilities in an `Unsupported` error.
    fn describe_platform(&self) -> String {
        "this platform".to_string()
    }
}

/// Per-app level cache with single-flight discovery.
#[derive(Default)]
pub struct LevelCache {
    apps: Mutex<HashMap<&'static str, CredentialCache<u32>>>,
}

impl std::fmt::Debug for LevelCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LevelCache").finish_non_exhaustive()
    }
}

impl LevelCache {
    /// The platform's level of `app`, discovered on first use.
    pub async fn level(&self, negotiator: &Arc<dyn Negotiator>, client: &Client, app: &'static str) -> Result<u32, Error> {
        let cache = {
            let mut apps = self.apps.lock().expect("level cache poisoned");
            apps.entry(app)
                .or_insert_with(|| {
                    let n = negotiator.clone();
                    let c = client.downgrade();
                    CredentialCache::new(std::time::Duration::ZERO, std::time::Duration::ZERO, move |_| {
                        let n = n.clone();
                        let c = c.clone();
                        async move {
                            let client = c.upgrade().ok_or_else(|| Error::other("client dropped during API-Level discovery"))?;
                            Ok(Loaded { value: n.discover(client, app).await?, expires_in: None })
                        }
                    })
                })
                .clone()
        };
        cache.get().await.map(|c: CachedCredential<u32>| *c.value)
    }

    /// Forget every discovered level (e.g. after the platform was upgraded).
    pub fn reset(&self) {
        self.apps.lock().expect("level cache poisoned").clear();
    }

    /// A level already known, without discovering it.
    pub fn known(&self, app: &str) -> Option<u32> {
        self.apps.lock().expect("level cache poisoned").get(app).and_then(|c| c.peek()).map(|c| *c.value)
    }

    /// Record a level learnt some other way.
    pub fn set(&self, app: &'static str, level: u32) {
        let apps = self.apps.lock().expect("level cache poisoned");
        if let Some(c) = apps.get(app) {
            c.set(level, None);
        }
    }
}

/// Refuse `op` if the platform lacks one of its capabilities.
pub fn check_capabilities(negotiator: &dyn Negotiator, op: &Operation) -> Result<(), Error> {
    for need in op.needs {
        if !negotiator.has_capability(need) {
            return Err(Error::Unsupported {
                operation: format!("{}.{}", op.vendor, op.name),
                needs: (*need).to_string(),
                platform: negotiator.describe_platform(),
            });
        }
    }
    Ok(())
}
