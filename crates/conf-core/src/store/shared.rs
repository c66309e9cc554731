//! [`SharedStore`]: a credential store and the timing of the shared single flight.

use std::sync::Arc;
use std::time::Duration;

use super::CredentialStore;

/// Timing of the shared single flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SharedOptions {
    /// How long a refresh lease lasts: a holder that dies loses it after this long
    /// and another process refreshes (default 15 s). A live holder renews it every
    /// third of this while its load runs, so a slower login is not repeated.
    pub lease_ttl: Duration,
    /// How often a waiter re-reads the store when no notification arrives (default 250 ms).
    pub poll_interval: Duration,
    /// How long a caller waits for other processes before loading on its own (default 45 s).
    pub max_wait: Duration,
}

impl Default for SharedOptions {
    fn default() -> Self {
        Self { lease_ttl: Duration::from_secs(15), poll_interval: Duration::from_millis(250), max_wait: Duration::from_secs(45) }
    }
}

impl SharedOptions {
    /// The lease TTL.
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl;
        self
    }

    /// The polling interval.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// The longest wait for another process.
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }
}

/// A shared credential store with its timing: what vendor clients take to share
/// their credentials (`credential_store(..)` on their builders). Cheap to clone.
#[derive(Clone)]
pub struct SharedStore {
    store: Arc<dyn CredentialStore>,
    options: SharedOptions,
}

impl std::fmt::Debug for SharedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedStore").field("store", &self.store.name()).field("options", &self.options).finish()
    }
}

impl SharedStore {
    /// `store` with the default [`SharedOptions`].
    pub fn new(store: Arc<dyn CredentialStore>) -> Self {
        Self { store, options: SharedOptions::default() }
    }

    /// Other timing.
    pub fn with_options(mut self, options: SharedOptions) -> Self {
        self.options = options;
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn CredentialStore> {
        &self.store
    }

    /// The timing.
    pub fn options(&self) -> &SharedOptions {
        &self.options
    }
}
