//! Sessions: a token from `new_session`, refreshed in the background, released on close.
//!
//! The token lives in a [`conf_core::CredentialCache`] (single-flight loads). A
//! [`SessionAuth`] puts it in the `token` header of every call through conf-core's auth
//! layer; a 403 makes the layer renew the token and replay the call once. A background
//! task refreshes the token at half its lifetime (jittered earlier, so thousands of
//! sessions spread their refreshes). A refresh answered 403, or a token already expired,
//! starts a new session with the stored PIN instead, once, logged at `info`; calls made
//! meanwhile wait for it and then succeed; the replaced session is ended (end_session,
//! best effort, in the background).
//!
//! The node's `expires` is clamped to [`LIFETIME_RANGE`] (1 s ..= 24 h): `0` or an absurd
//! value (`18446744073709551615`) never panics and never schedules a refresh in the past or
//! in the far future; every clamp is logged at `warn` and counted
//! ([`SessionStats::clamped_lifetimes`]). Consecutive renewals (new sessions without a
//! successful refresh between them) back off, from 500 ms doubling to at most 30 s
//! ([`SessionStats::renewal_backoffs`]), so a node that refuses every token cannot make the
//! session open new sessions in a tight loop.
//!
//! Fleet mode ([`SessionOptions::credential_store`]): the processes that open a session
//! on the same room with the same display name share one token (one participant).

mod fleet;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use conf_core::store::SharedStore;
use conf_core::{
    AttemptParts, Authenticator, CredentialCache, Error, ExposeSecret, Identity, IdentityResolver, Loaded, Rejection, SecretString, Signer,
};

use crate::client::Room;
use crate::events::{EventOptions, EventStream};
use crate::generated::{EndSessionRequest, NewSession, NewSessionRequest, RefreshSessionRequest};
use crate::wire::PinError;

/// Token lifetime assumed when the node sends no `expires` (the document's two minutes).
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(120);

/// The range a node's `expires` is clamped to: at least 1 s, at most 24 h.
pub const LIFETIME_RANGE: std::ops::RangeInclusive<Duration> = Duration::from_secs(1)..=Duration::from_secs(24 * 3600);

/// First wait before a renewal that follows another renewal; doubled per consecutive one.
const RENEWAL_BACKOFF: Duration = Duration::from_millis(500);
/// Longest wait between consecutive renewals.
const MAX_RENEWAL_BACKOFF: Duration = Duration::from_secs(30);

/// The lifetime of a token whose answer said `expires` (seconds), clamped to [`LIFETIME_RANGE`].
/// Returns the lifetime and whether it was clamped.
pub(crate) fn lifetime_of(expires: Option<u64>) -> (Duration, bool) {
    let Some(secs) = expires else { return (DEFAULT_LIFETIME, false) };
    let asked = Duration::from_secs(secs);
    let clamped = asked.clamp(*LIFETIME_RANGE.start(), *LIFETIME_RANGE.end());
    (clamped, clamped != asked)
}

/// When tokens are refreshed: `RefreshPolicy::default()` and the setters.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RefreshPolicy {
    /// Refresh no later than half the lifetime, and no later than this before expiry
    /// (when the lifetime allows both). Default 10 s.
    pub min_lead: Duration,
    /// Fraction of that delay drawn at random and subtracted, per refresh (0.0..=0.9).
    /// Default 0.3: a 120 s token is refreshed between 42 s and 60 s.
    pub jitter: f64,
    /// Longest wait between retries of a failed background refresh. Default 5 s.
    pub max_retry_backoff: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self { min_lead: Duration::from_secs(10), jitter: 0.3, max_retry_backoff: Duration::from_secs(5) }
    }
}

impl RefreshPolicy {
    /// Set the latest refresh before expiry.
    #[must_use]
    pub fn min_lead(mut self, d: Duration) -> Self {
        self.min_lead = d;
        self
    }

    /// Set the fraction of the delay drawn at random and subtracted (0.0..=0.9).
    #[must_use]
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = fraction;
        self
    }

    /// Set the longest wait between retries of a failed background refresh.
    #[must_use]
    pub fn max_retry_backoff(mut self, d: Duration) -> Self {
        self.max_retry_backoff = d;
        self
    }

    /// The delay after which a token valid for `lifetime` is refreshed.
    pub fn refresh_delay(&self, lifetime: Duration) -> Duration {
        let half = lifetime / 2;
        let base = if lifetime > self.min_lead * 2 { half.min(lifetime - self.min_lead) } else { half };
        let jitter = base.mul_f64(self.jitter.clamp(0.0, 0.9) * rand::random::<f64>());
        (base - jitter).max(Duration::from_millis(50))
    }
}

/// How to open a session: [`SessionOptions::new`] and the setters.
#[derive(Clone)]
#[non_exhaustive]
pub struct SessionOptions {
    /// Participant name (`display_name`).
    pub display_name: String,
    /// Host or guest PIN (`none` is sent when absent or empty).
    pub pin: Option<SecretString>,
    /// Hide this participant from the participant list (`hideme`).
    pub hideme: Option<bool>,
    /// Refresh timing.
    pub refresh: RefreshPolicy,
    /// Fleet mode: share the session with every process opening one on the same room
    /// with the same display name through this store (one participant in the room).
    pub credential_store: Option<SharedStore>,
}

impl std::fmt::Debug for SessionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionOptions")
            .field("display_name", &self.display_name)
            .field("pin", &self.pin.as_ref().map(|_| "<redacted>"))
            .field("hideme", &self.hideme)
            .field("refresh", &self.refresh)
            .field("credential_store", &self.credential_store)
            .finish()
    }
}

impl SessionOptions {
    /// Options with a display name, no PIN.
    pub fn new(display_name: impl Into<String>) -> Self {
        Self { display_name: display_name.into(), pin: None, hideme: None, refresh: RefreshPolicy::default(), credential_store: None }
    }

    /// Set the participant name.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = name.into();
        self
    }

    /// Set the PIN.
    pub fn pin(mut self, pin: impl Into<SecretString>) -> Self {
        self.pin = Some(pin.into());
        self
    }

    /// Hide (or show) this participant in the participant list.
    pub fn hideme(mut self, hide: bool) -> Self {
        self.hideme = Some(hide);
        self
    }

    /// Set the refresh policy.
    pub fn refresh(mut self, policy: RefreshPolicy) -> Self {
        self.refresh = policy;
        self
    }

    /// Fleet mode: share the session through `store` (e.g. `conf_redis::RedisStore::shared()`)
    /// with every process that opens one on the same room with the same display name: one
    /// participant, one token, refreshed by one of them, taken over when a process dies.
    /// Closing (or dropping) a shared session does not end it: the others keep using it.
    /// See `docs/fleet.md`.
    pub fn credential_store(mut self, store: SharedStore) -> Self {
        self.credential_store = Some(store);
        self
    }
}

/// Counters of one session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionStats {
    /// Successful `refresh_session` calls.
    pub refreshes: u64,
    /// New sessions started because a refresh was refused or the token had expired.
    pub renewals: u64,
    /// Failed refresh attempts (each retried).
    pub refresh_failures: u64,
    /// Node lifetimes (`expires`) outside [`LIFETIME_RANGE`] that were clamped.
    pub clamped_lifetimes: u64,
    /// Renewals that waited because the previous load was a renewal too.
    pub renewal_backoffs: u64,
    /// Replaced sessions ended with `end_session` after a renewal (sent, answer ignored).
    pub ended_replaced: u64,
}

/// A session's token (sent in the `token` header) and when it expires.
pub struct Token {
    pub(crate) token: SecretString,
    pub(crate) expires_at: Instant,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token").field("token", &self.token).field("expires_at", &self.expires_at).finish()
    }
}

#[derive(Default)]
struct Counters {
    refreshes: AtomicU64,
    renewals: AtomicU64,
    refresh_failures: AtomicU64,
    clamped_lifetimes: AtomicU64,
    renewal_backoffs: AtomicU64,
    ended_replaced: AtomicU64,
    /// Renewals since the last successful refresh.
    consecutive_renewals: AtomicU64,
}

/// What the loader needs; no reference back to the session.
struct Ctx {
    room: Room,
    display_name: String,
    hideme: Option<bool>,
    pin: Option<SecretString>,
    policy: RefreshPolicy,
    counters: Counters,
    info: Mutex<Arc<NewSession>>,
}

impl Ctx {
    fn request(&self) -> NewSessionRequest {
        let mut req = NewSessionRequest::new(self.display_name.clone());
        req.hideme = self.hideme;
        req.pin.clone_from(&self.pin);
        req
    }

    async fn new_session(&self) -> Result<Loaded<Token>, Error> {
        let answer = self.room.new_session_with(self.request()).await.map_err(|e| match PinError::from_error(&e) {
            // The node says "PIN required" although we sent one: the PIN is wrong.
            Some(PinError::Required { .. }) if self.pin.is_some() => {
                PinError::Invalid.into_error(e.request().cloned().unwrap_or_else(|| conf_core::RequestInfo::none("vmr", "new_session")))
            }
            _ => e,
        })?;
        let mut answer = answer;
        let token = answer.token.take().filter(|t| !t.expose_secret().is_empty()).ok_or_else(|| Error::Auth {
            request: conf_core::RequestInfo::none("vmr", "new_session"),
            message: "new_session answered no token".into(),
            source: None,
        })?;
        let lifetime = self.lifetime("new_session", answer.expires);
        *self.info.lock().expect("session info poisoned") = Arc::new(answer);
        Ok(self.loaded(token, lifetime))
    }

    /// The clamped lifetime of an answer, logged and counted when clamped.
    fn lifetime(&self, operation: &str, expires: Option<u64>) -> Duration {
        let (lifetime, clamped) = lifetime_of(expires);
        if clamped {
            self.counters.clamped_lifetimes.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                operation,
                expires = expires.unwrap_or_default(),
                used_secs = lifetime.as_secs(),
                "vmr: the node's token lifetime is out of range (1 s ..= 24 h): clamped"
            );
        }
        lifetime
    }

    /// End a session a renewal replaced (best effort, in the background; the answer is ignored).
    fn end_replaced(self: &Arc<Self>, token: SecretString) {
        let ctx = self.clone();
        tokio::spawn(async move {
            let r = ctx.room.end_session_with(EndSessionRequest::new(token)).await;
            ctx.counters.ended_replaced.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(ok = r.is_ok(), "vmr: the session replaced by a renewal was ended");
        });
    }

    fn loaded(&self, token: SecretString, lifetime: Duration) -> Loaded<Token> {
        Loaded { value: Token { token, expires_at: Instant::now() + lifetime }, expires_in: Some(self.policy.refresh_delay(lifetime)) }
    }

    async fn load(self: Arc<Self>, prev: Option<Arc<Token>>) -> Result<Loaded<Token>, Error> {
        if let Some(prev) = prev {
            if prev.expires_at > Instant::now() + Duration::from_millis(200) {
                match self.room.refresh_session_with(RefreshSessionRequest::new(prev.token.clone())).await {
                    Ok(mut r) => {
                        if let Some(token) = r.token.take().filter(|t| !t.expose_secret().is_empty()) {
                            self.counters.refreshes.fetch_add(1, Ordering::Relaxed);
                            self.counters.consecutive_renewals.store(0, Ordering::Relaxed);
                            let lifetime = self.lifetime("refresh_session", r.expires);
                            return Ok(self.loaded(token, lifetime));
                        }
                        tracing::info!("vmr refresh_session answered no token: starting a new session");
                    }
                    Err(e) if e.http_status() == Some(403) => {
                        tracing::info!("vmr token refused on refresh: starting a new session with the stored PIN");
                    }
                    Err(e) => {
                        self.counters.refresh_failures.fetch_add(1, Ordering::Relaxed);
                        return Err(e);
                    }
                }
            } else {
                tracing::info!("vmr token expired before it could be refreshed: starting a new session with the stored PIN");
            }
            let previous = self.counters.consecutive_renewals.fetch_add(1, Ordering::Relaxed);
            if previous > 0 {
                let exp = u32::try_from(previous - 1).unwrap_or(u32::MAX).min(16);
                let wait = RENEWAL_BACKOFF.saturating_mul(2u32.saturating_pow(exp)).min(MAX_RENEWAL_BACKOFF);
                self.counters.renewal_backoffs.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    consecutive = previous + 1,
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    "vmr: renewal after renewal (the node refuses or expires every token at once): backing off"
                );
                tokio::time::sleep(wait).await;
            }
            let loaded = self.new_session().await.inspect_err(|_| {
                self.counters.refresh_failures.fetch_add(1, Ordering::Relaxed);
            })?;
            self.counters.renewals.fetch_add(1, Ordering::Relaxed);
            self.end_replaced(prev.token.clone());
            return Ok(loaded);
        }
        self.new_session().await
    }
}

/// The identity of one session ([`conf_core::IdentityResolver`]): the `token`, renewed through the cache.
pub struct SessionAuth {
    cache: CredentialCache<Token>,
    ctx: Arc<Ctx>,
    closed: AtomicBool,
    /// Shared with other processes: closing must not end it.
    shared: bool,
}

impl std::fmt::Debug for SessionAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionAuth").field("closed", &self.closed.load(Ordering::Relaxed)).finish_non_exhaustive()
    }
}

impl SessionAuth {
    /// The current token (loading a new one when due), with its generation.
    pub(crate) async fn token(&self) -> Result<(Arc<Token>, u64), Error> {
        if self.closed.load(Ordering::Acquire) {
            return Err(closed_error());
        }
        let c = self.cache.get().await?;
        Ok((c.value, c.generation))
    }

    /// Forget a token the node refused.
    pub(crate) fn refused(&self, generation: u64) {
        self.cache.invalidate(generation);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

/// A call on a closed session: a usage error (nothing is sent), not an authentication failure.
fn closed_error() -> Error {
    Error::invalid_input("session", "the vmr session is closed (VmrSession::close was called): open a new session for more calls")
}

impl IdentityResolver for SessionAuth {
    type Credential = Token;

    fn resolve(&self) -> BoxFuture<'_, Result<Identity<Token>, Error>> {
        Box::pin(async move {
            let (token, generation) = self.token().await?;
            Ok(Identity::new(generation, token))
        })
    }

    fn classify(&self, error: &Error, identity: &Identity<Token>) -> Option<Rejection> {
        // On every call but new_session a 403 means the token is no longer valid.
        matches!(error, Error::HttpStatus { status: 403, .. }).then(|| Rejection::of(identity))
    }

    fn invalidate(&self, rejection: Rejection) {
        self.cache.invalidate(rejection.generation());
    }
}

/// Puts the session token in the `token` header of each attempt.
#[derive(Debug, Clone, Copy, Default)]
struct TokenHeader;

impl Signer<Token> for TokenHeader {
    fn sign(&self, identity: &Identity<Token>, request: &mut AttemptParts) -> Result<(), Error> {
        request.set_secret_header("token", identity.credential().token.expose_secret())
    }
}

struct SessionInner {
    room: Room,
    auth: Arc<SessionAuth>,
    /// `auth` as the transport takes it.
    authn: Arc<dyn Authenticator>,
    refresher: Mutex<Option<AbortHandle>>,
    closed_tx: tokio::sync::watch::Sender<bool>,
}

impl Drop for SessionInner {
    fn drop(&mut self) {
        if let Some(h) = self.refresher.lock().map_or(None, |mut g| g.take()) {
            h.abort();
        }
        if self.auth.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        let _ = self.closed_tx.send(true);
        if self.auth.shared {
            return; // the other processes of the fleet keep using it
        }
        // Dropped without close(): release the token in the background, best effort.
        let Some(token) = self.auth.cache.peek() else { return };
        let Ok(rt) = tokio::runtime::Handle::try_current() else { return };
        let room = self.auth.ctx.room.clone();
        rt.spawn(async move {
            let r = room.end_session_with(EndSessionRequest::new(token.value.token.clone())).await;
            tracing::debug!(ok = r.is_ok(), "vmr session dropped without close(): token released in the background");
        });
    }
}

/// A live session on a room: every conference and participant command of the room
/// (`session.lock(..)`, `session.dial(..)`, ...; generated from `spec/*.toml`), sent with
/// the session's token. These commands exist only on this type, not on [`Room`]. Cheap to
/// clone; the session ends when
/// [`close`](Self::close) is called or the last clone is dropped (then the token is
/// released in the background, best effort).
#[derive(Clone)]
pub struct VmrSession {
    inner: Arc<SessionInner>,
}

impl std::fmt::Debug for VmrSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VmrSession")
            .field("room", &self.inner.room)
            .field("participant_uuid", &self.participant_uuid())
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

impl VmrSession {
    /// Request a token on `room` (new_session) and start refreshing it.
    ///
    /// A 403 naming the PIN becomes [`Error::Auth`]; [`PinError::from_error`] tells
    /// whether the PIN was missing or wrong.
    pub async fn open(room: Room, options: SessionOptions) -> Result<Self, Error> {
        let pin = options.pin.filter(|p| !p.expose_secret().trim().is_empty());
        let ctx = Arc::new(Ctx {
            room,
            display_name: options.display_name,
            hideme: options.hideme,
            pin,
            policy: options.refresh,
            counters: Counters::default(),
            info: Mutex::new(Arc::new(NewSession::default())),
        });
        let loader_ctx = ctx.clone();
        let cache = CredentialCache::new(Duration::ZERO, Duration::ZERO, move |prev| loader_ctx.clone().load(prev));
        let shared = options.credential_store.is_some();
        let cache = if let Some(store) = &options.credential_store {
            // Adopt the room's shared session, or open it under the store's lease.
            let cache = cache.shared(store, fleet::key(&ctx.room, &ctx.display_name), fleet::TokenCodec(Arc::downgrade(&ctx)));
            cache.get().await?;
            cache
        } else {
            let first = ctx.new_session().await?;
            cache.set(first.value, first.expires_in);
            cache
        };
        let auth = Arc::new(SessionAuth { cache, ctx: ctx.clone(), closed: AtomicBool::new(false), shared });
        let room = ctx.room.clone();
        let authn = conf_core::AuthScheme::new(auth.clone(), TokenHeader).into_dyn();
        let (closed_tx, _) = tokio::sync::watch::channel(false);
        let handle = tokio::spawn(refresh_loop(Arc::downgrade(&auth))).abort_handle();
        Ok(Self { inner: Arc::new(SessionInner { room, auth, authn, refresher: Mutex::new(Some(handle)), closed_tx }) })
    }

    /// The room of this session (its base URL, its node).
    pub fn room(&self) -> &Room {
        &self.inner.room
    }

    /// This session's credential as the transport takes it (the `token` header, renewed
    /// on refusal): what [`ClientHandle::call_options`](conf_core::ClientHandle::call_options) puts on its calls.
    pub fn authenticator(&self) -> &Arc<dyn Authenticator> {
        &self.inner.authn
    }

    /// What the latest `new_session` answered (participant uuid, role, node version...; the token removed).
    pub fn info(&self) -> Arc<NewSession> {
        self.inner.auth.ctx.info.lock().expect("session info poisoned").clone()
    }

    /// This session's participant uuid (changes when a new session replaced a refused token).
    pub fn participant_uuid(&self) -> Option<String> {
        self.info().participant_uuid.clone()
    }

    /// Counters of refreshes and renewals.
    pub fn stats(&self) -> SessionStats {
        let c = &self.inner.auth.ctx.counters;
        SessionStats {
            refreshes: c.refreshes.load(Ordering::Relaxed),
            renewals: c.renewals.load(Ordering::Relaxed),
            refresh_failures: c.refresh_failures.load(Ordering::Relaxed),
            clamped_lifetimes: c.clamped_lifetimes.load(Ordering::Relaxed),
            renewal_backoffs: c.renewal_backoffs.load(Ordering::Relaxed),
            ended_replaced: c.ended_replaced.load(Ordering::Relaxed),
        }
    }

    /// Generation of the current token (increments with every refresh or renewal).
    pub fn token_generation(&self) -> u64 {
        self.inner.auth.cache.peek().map_or(0, |c| c.generation)
    }

    /// When the next background refresh is due.
    pub fn refresh_due(&self) -> Option<Instant> {
        self.inner.auth.cache.refresh_at()
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.inner.auth.is_closed()
    }

    /// The live event stream of the room (see [`crate::events`]), with default options.
    pub fn events(&self) -> EventStream {
        self.events_with(EventOptions::default())
    }

    /// The live event stream with explicit options (silence watchdog, backoff).
    pub fn events_with(&self, options: EventOptions) -> EventStream {
        EventStream::start(self.inner.room.clone(), self.inner.auth.clone(), self.inner.closed_tx.subscribe(), options)
    }

    /// End the session: stop refreshing, end event streams, release the token (end_session,
    /// whose answer is ignored). Idempotent.
    pub async fn close(&self) -> Result<(), Error> {
        if self.inner.auth.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        if let Some(h) = self.inner.refresher.lock().expect("session poisoned").take() {
            h.abort();
        }
        let _ = self.inner.closed_tx.send(true);
        if self.inner.auth.shared {
            self.inner.auth.cache.clear();
            return Ok(()); // the other processes of the fleet keep using it
        }
        if let Some(token) = self.inner.auth.cache.peek() {
            if token.value.expires_at > Instant::now() {
                let r = self.inner.auth.ctx.room.end_session_with(EndSessionRequest::new(token.value.token.clone())).await;
                if let Err(e) = r {
                    tracing::debug!(error = %e, "vmr end_session failed (ignored, as the document says)");
                }
            }
        }
        self.inner.auth.cache.clear();
        Ok(())
    }
}

async fn refresh_loop(auth: Weak<SessionAuth>) {
    let mut failures: u32 = 0;
    loop {
        let due = match auth.upgrade() {
            Some(a) if !a.is_closed() => a.cache.refresh_at(),
            _ => return,
        };
        tokio::time::sleep_until(due.unwrap_or_else(|| Instant::now() + Duration::from_secs(1))).await;
        let Some(a) = auth.upgrade() else { return };
        if a.is_closed() {
            return;
        }
        if a.cache.refresh_at().is_some_and(|t| t > Instant::now()) {
            continue; // a caller refreshed it meanwhile
        }
        match a.cache.get().await {
            Ok(_) => failures = 0,
            Err(e) => {
                failures += 1;
                let backoff = (Duration::from_millis(250) * 2u32.saturating_pow(failures.min(8))).min(a.ctx.policy.max_retry_backoff);
                tracing::warn!(error = %e, failures, "vmr token refresh failed; retrying in {} ms", backoff.as_millis());
                drop(a);
                tokio::time::sleep(backoff).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_are_clamped() {
        assert_eq!(lifetime_of(None), (DEFAULT_LIFETIME, false));
        assert_eq!(lifetime_of(Some(120)), (Duration::from_secs(120), false));
        assert_eq!(lifetime_of(Some(0)), (Duration::from_secs(1), true));
        assert_eq!(lifetime_of(Some(u64::MAX)), (Duration::from_secs(24 * 3600), true));
        assert_eq!(lifetime_of(Some(24 * 3600 + 1)), (Duration::from_secs(24 * 3600), true));
        let p = RefreshPolicy::default();
        let _ = p.refresh_delay(lifetime_of(Some(u64::MAX)).0);
    }

    #[test]
    fn refresh_delay_rules() {
        let p = RefreshPolicy::default();
        for _ in 0..100 {
            let d = p.refresh_delay(Duration::from_secs(120));
            assert!(d <= Duration::from_secs(60) && d >= Duration::from_secs(42), "{d:?}");
            let d = p.refresh_delay(Duration::from_secs(24));
            assert!(d <= Duration::from_secs(12), "{d:?}");
            let d = p.refresh_delay(Duration::from_secs(2));
            assert!(d <= Duration::from_secs(1) && d >= Duration::from_millis(700), "{d:?}");
        }
        let fixed = RefreshPolicy { jitter: 0.0, ..p };
        assert_eq!(fixed.refresh_delay(Duration::from_secs(30)), Duration::from_secs(15));
        assert_eq!(fixed.refresh_delay(Duration::from_secs(21)), Duration::from_millis(10_500));
    }
}
