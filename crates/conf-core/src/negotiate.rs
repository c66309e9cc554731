//! API-Level and capability negotiation.
//!
//! A vendor supplies a [`Negotiator`]: the headers announcing the SDK's own level,
//! a call that discovers the platform's level per app, and the platform's
//! capabilities (e.g. the deployment kind). The API-Level layer discovers levels
//! lazily (single-flight per app), caches them, and refuses an operation whose
//! minimum level or capability the platform lacks **before anything is sent**.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use http::{HeaderName, HeaderValue};
use tokio::sync::OnceCell;

use crate::error::Error;
use crate::operation::Operation;
use crate::request::RawResponse;

/// A vendor's negotiation rules.
pub trait Negotiator: Send + Sync + 'static {
    /// Headers sent on every request (e.g. `API-Level: 1`).
    fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        Vec::new()
    }

    /// Discover the platform's level of `app` (e.g. `GET /api/{app}/version`), sending the
    /// discovery operation through `via`.
    fn discover(&self, via: Discovery, app: &'static str) -> BoxFuture<'static, Result<u32, Error>>;

    /// Whether the platform has `capability` (operations list what they need).
    fn has_capability(&self, _capability: &str) -> bool {
        true
    }

    /// How to describe the platform's capabilities in an `Unsupported` error.
    fn describe_platform(&self) -> String {
        "this platform".to_string()
    }
}

type SendFn = dyn Fn(Operation) -> BoxFuture<'static, Result<RawResponse, Error>> + Send + Sync;

/// The client's stack below the API-Level gate (credential, retry, timeout, resolver, HTTP,
/// envelope check), handed to [`Negotiator::discover`] to send the discovery operation.
///
/// It holds no handle to the client: a discovery cannot re-enter the gate (no recursion),
/// and a client dropped meanwhile is not kept alive by a level cache.
#[derive(Clone)]
pub struct Discovery {
    send: Arc<SendFn>,
}

impl std::fmt::Debug for Discovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Discovery").finish_non_exhaustive()
    }
}

impl Discovery {
    /// A discovery path that sends each operation with `send`.
    pub fn new<F, Fut>(send: F) -> Self
    where
        F: Fn(Operation) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<RawResponse, Error>> + Send + 'static,
    {
        Self { send: Arc::new(move |op| Box::pin(send(op))) }
    }

    /// Send `op`; the response passed the envelope check.
    pub fn execute(&self, op: Operation) -> BoxFuture<'static, Result<RawResponse, Error>> {
        (self.send)(op)
    }

    /// Send `op` and decode the body as JSON into `T`.
    pub async fn execute_json<T: serde::de::DeserializeOwned>(&self, op: Operation) -> Result<T, Error> {
        let sensitive = op.sensitive_response;
        let info = op.info(1);
        let raw = self.execute(op).await?;
        crate::envelope::decode_json(&info, &raw.body, sensitive)
    }
}

/// Per-app level cache with single-flight discovery.
#[derive(Default)]
pub struct LevelCache {
    apps: Mutex<HashMap<&'static str, Arc<OnceCell<u32>>>>,
}

impl std::fmt::Debug for LevelCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LevelCache").finish_non_exhaustive()
    }
}

impl LevelCache {
    /// The platform's level of `app`, discovered through `via` on first use: concurrent
    /// callers share one discovery; a failed one is not cached (the next caller retries).
    pub async fn level(&self, negotiator: &Arc<dyn Negotiator>, via: &Discovery, app: &'static str) -> Result<u32, Error> {
        let cell = self.apps.lock().expect("level cache poisoned").entry(app).or_default().clone();
        cell.get_or_try_init(|| negotiator.discover(via.clone(), app)).await.copied()
    }

    /// Forget every discovered level (e.g. after the platform was upgraded).
    pub fn reset(&self) {
        self.apps.lock().expect("level cache poisoned").clear();
    }

    /// A level already known, without discovering it.
    pub fn known(&self, app: &str) -> Option<u32> {
        self.apps.lock().expect("level cache poisoned").get(app).and_then(|c| c.get().copied())
    }

    /// Record a level learnt some other way (replacing one discovered before).
    pub fn set(&self, app: &'static str, level: u32) {
        self.apps.lock().expect("level cache poisoned").insert(app, Arc::new(OnceCell::new_with(Some(level))));
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
