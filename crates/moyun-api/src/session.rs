//! The login session: `account_token` + `SSO_COOKIE_KEY`, self-healing, heartbeats.
//!
//! Lifecycle, as the platform document describes it:
//!
//! 1. `POST /api/v1/system/token` (`oauth_consumer_key`, `oauth_consumer_secret`)
//!    answers an `account_token` (the application's licence);
//! 2. `POST /api/v1/system/login` (`password`, `username`, `account_token`) answers
//!    the `SSO_COOKIE_KEY` cookie (the user's session), kept in the client's
//!    [`SessionCookieJar`](cookies::SessionCookieJar);
//! 3. every later call carries the `account_token` (query string on GET/DELETE,
//!    form field on POST/PUT, next to `params=`) and the cookie.
//!
//! Both expire after 30 idle minutes. The platform answers `10002` when the token
//! is rejected (the session gets a new token *and* logs in again) and `10102`
//! when the user session is gone (it logs in again with the same token). conf-core's
//! auth layer then replays the call once. Renewals are single-flight
//! ([`CredentialCache`]): a hundred calls that hit an expired session share one
//! token request and one login. Heartbeats keep both alive in the background.

pub mod cookies;
mod fleet;
mod heartbeat;

use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use conf_core::envelope::decode_json;
use conf_core::{
    AttemptParts, AuthMode, Body, CachedCredential, Client, CredentialCache, Error, ExposeSecret, Identity, IdentityResolver, Loaded,
    Operation, Rejection, SecretString, Signer, WeakClient,
};
use futures_util::future::BoxFuture;
use http::Method;
use serde::Deserialize;
use tokio::sync::watch;

pub(crate) use fleet::Fleet;
pub(crate) use heartbeat::spawn_heartbeats;

/// Platform code: the `account_token` was rejected (get a new one, then log in).
pub const CODE_TOKEN_REJECTED: &str = "10002";
/// Platform code: the user session timed out or does not exist (log in again).
pub const CODE_NOT_LOGGED_IN: &str = "10102";

/// [`Rejection::kind`] of a refused login session (`10102`): the rejection's
/// generation is the login's; the session logs in again with the same token.
pub const REJECTED_LOGIN: u8 = Rejection::CREDENTIAL;
/// [`Rejection::kind`] of a refused `account_token` (`10002`): the rejection's
/// generation is the token's; the session gets a new token, and every login made
/// with the refused one is renewed too.
pub const REJECTED_TOKEN: u8 = 1;

/// Credentials of a session.
pub(crate) struct Credentials {
    pub(crate) app_key: String,
    pub(crate) app_secret: SecretString,
    pub(crate) username: String,
    pub(crate) password: SecretString,
}

/// An application token (`account_token`).
pub(crate) struct Token(pub(crate) SecretString);

/// A logged-in session: the token it was made with (the cookie lives in the jar).
pub struct Login {
    token: Arc<Token>,
    token_generation: u64,
    /// User name the platform answered.
    username: Option<String>,
    /// `SSO_COOKIE_KEY` (kept only in fleet mode, to share it).
    cookie: Option<SecretString>,
    /// Store generation of the token (fleet mode).
    token_shared: Option<u64>,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login").field("token_generation", &self.token_generation).field("username", &self.username).finish_non_exhaustive()
    }
}

impl Login {
    /// The `account_token` of this session.
    pub fn account_token(&self) -> &SecretString {
        &self.token.0
    }

    /// The user name the login reply carried.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }
}

#[derive(Deserialize)]
struct TokenReply {
    account_token: String,
}

#[derive(Deserialize)]
struct LoginReply {
    #[serde(default, deserialize_with = "conf_core::de::opt_string_lenient")]
    username: Option<String>,
}

pub(crate) struct SessionInner {
    creds: Credentials,
    client: OnceLock<WeakClient>,
    tokens: CredentialCache<Token>,
    logins: CredentialCache<Login>,
    login_events: watch::Sender<u64>,
    fleet: Option<Fleet>,
}

/// The session authenticator of a [`MoyunClient`](crate::MoyunClient). Cheap to clone.
#[derive(Clone)]
pub struct Session {
    inner: Arc<SessionInner>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("username", &self.inner.creds.username)
            .field("token_requests", &self.token_requests())
            .field("logins", &self.logins())
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(creds: Credentials, fleet: Option<Fleet>) -> Self {
        let inner = Arc::new_cyclic(|weak: &Weak<SessionInner>| {
            let w = weak.clone();
            let tokens = CredentialCache::new(Duration::ZERO, Duration::ZERO, move |_prev| {
                let w = w.clone();
                async move {
                    let inner = w.upgrade().ok_or_else(|| Error::other("moyun session dropped"))?;
                    inner.request_token().await
                }
            });
            let w = weak.clone();
            let logins = CredentialCache::new(Duration::ZERO, Duration::ZERO, move |_prev| {
                let w = w.clone();
                async move {
                    let inner = w.upgrade().ok_or_else(|| Error::other("moyun session dropped"))?;
                    inner.login().await
                }
            });
            let (tokens, logins) = match &fleet {
                Some(f) => (
                    tokens.shared(&f.store, f.token_key.clone(), fleet::TokenCodec),
                    logins.shared(&f.store, f.login_key.clone(), fleet::LoginCodec(weak.clone())),
                ),
                None => (tokens, logins),
            };
            SessionInner { creds, client: OnceLock::new(), tokens, logins, login_events: watch::channel(0).0, fleet }
        });
        Self { inner }
    }

    pub(crate) fn attach(&self, client: &Client) {
        let _ = self.inner.client.set(client.downgrade());
    }

    /// A valid session: the current one, or a new login (single-flight).
    pub async fn ensure(&self) -> Result<CachedCredential<Login>, Error> {
        self.inner.logins.get().await
    }

    /// Drop the current session and log in again (a new token too when `new_token`).
    pub async fn relogin(&self, new_token: bool) -> Result<CachedCredential<Login>, Error> {
        match self.inner.logins.peek() {
            Some(cur) => self.renew(&cur, new_token).await,
            None => self.inner.logins.get().await,
        }
    }

    /// Renew the session `seen` was refused with: a no-op when a newer one already
    /// exists (concurrent renewals share one login).
    pub(crate) async fn renew(&self, seen: &CachedCredential<Login>, new_token: bool) -> Result<CachedCredential<Login>, Error> {
        self.inner.logins.invalidate(seen.generation);
        if new_token {
            self.inner.reject(Rejection::new(seen.value.token_generation, REJECTED_TOKEN));
        }
        self.inner.logins.get().await
    }

    /// The current session without logging in.
    pub fn current(&self) -> Option<CachedCredential<Login>> {
        self.inner.logins.peek()
    }

    /// Token requests made so far (`POST /api/v1/system/token`).
    pub fn token_requests(&self) -> u64 {
        self.inner.tokens.loads()
    }

    /// Logins made so far (`POST /api/v1/system/login`), failed ones included.
    pub fn logins(&self) -> u64 {
        self.inner.logins.loads()
    }

    /// Counters of the login cache: logins made here, logins taken from the fleet's
    /// store, store failures (fleet mode; see `credential_store` on the builder).
    pub fn login_stats(&self) -> conf_core::CacheStats {
        self.inner.logins.stats()
    }

    /// Counters of the `account_token` cache (as [`login_stats`](Self::login_stats)).
    pub fn token_stats(&self) -> conf_core::CacheStats {
        self.inner.tokens.stats()
    }

    /// A receiver that changes after every successful login (the push client re-handshakes).
    pub fn login_events(&self) -> watch::Receiver<u64> {
        self.inner.login_events.subscribe()
    }

    pub(crate) fn weak(&self) -> Weak<SessionInner> {
        Arc::downgrade(&self.inner)
    }

    pub(crate) fn from_inner(inner: Arc<SessionInner>) -> Self {
        Self { inner }
    }
}

/// Put the `account_token` where the document wants it: the query string of a
/// GET/DELETE, a form field of a POST/PUT (after `params=`, as in the overview).
pub(crate) fn place_token(parts: &mut AttemptParts, token: &str) {
    let in_body = !matches!(parts.method, Method::GET | Method::DELETE | Method::HEAD)
        && matches!(parts.body, Body::Empty | Body::Form(_) | Body::Multipart(_));
    if in_body {
        parts.body.push_field("account_token", token);
        crate::form::set_form_charset(parts);
    } else {
        parts.push_query("account_token", token);
    }
}

impl SessionInner {
    /// Forget what `rejection` names, never a newer credential: a refused login
    /// generation, or a refused token generation and the logins made with it.
    fn reject(&self, rejection: Rejection) {
        if rejection.kind() == REJECTED_TOKEN {
            self.tokens.invalidate(rejection.generation());
            if let Some(login) = self.logins.peek() {
                if login.value.token_generation <= rejection.generation() {
                    self.logins.invalidate(login.generation);
                }
            }
        } else {
            self.logins.invalidate(rejection.generation());
        }
    }

    fn client(&self) -> Result<Client, Error> {
        self.client.get().and_then(WeakClient::upgrade).ok_or_else(|| Error::other("moyun client dropped"))
    }

    async fn request_token(&self) -> Result<Loaded<Token>, Error> {
        let client = self.client()?;
        let op = Operation::new("moyun", "system.token", Method::POST, "/api/v1/system/token", "/api/v1/system/token")
            .auth(AuthMode::None)
            .idempotent(true)
            .sensitive()
            .body(Body::Form(vec![
                ("oauth_consumer_key".into(), self.creds.app_key.clone()),
                ("oauth_consumer_secret".into(), self.creds.app_secret.expose_secret().to_string()),
            ]));
        let info = op.info(1);
        let raw = client.execute(op).await?;
        let reply: TokenReply = decode_json(&info, &raw.body, true)?;
        if reply.account_token.is_empty() {
            return Err(Error::Auth { request: info, message: "the platform answered an empty account_token".into(), source: None });
        }
        tracing::info!("moyun: new account_token obtained");
        Ok(Loaded { value: Token(SecretString::from(reply.account_token)), expires_in: None })
    }

    async fn login_with(&self, client: &Client, token: &CachedCredential<Token>) -> Result<Login, Error> {
        let op = Operation::new("moyun", "system.login", Method::POST, "/api/v1/system/login", "/api/v1/system/login")
            .auth(AuthMode::None)
            .idempotent(true)
            .sensitive()
            .body(Body::Form(vec![
                ("password".into(), self.creds.password.expose_secret().to_string()),
                ("username".into(), self.creds.username.clone()),
                ("account_token".into(), token.value.0.expose_secret().to_string()),
            ]));
        let info = op.info(1);
        let raw = client.execute(op).await?;
        let reply: LoginReply = decode_json(&info, &raw.body, true)?;
        let cookie = self.fleet.as_ref().and_then(Fleet::cookie);
        let token_shared = self.tokens.shared_generation(token.generation);
        Ok(Login { token: token.value.clone(), token_generation: token.generation, username: reply.username, cookie, token_shared })
    }

    async fn login(&self) -> Result<Loaded<Login>, Error> {
        let client = self.client()?;
        let token = self.tokens.get().await?;
        let login = match self.login_with(&client, &token).await {
            Err(e) if e.vendor_code() == Some(CODE_TOKEN_REJECTED) => {
                tracing::info!("moyun: token rejected at login: getting a new one");
                self.tokens.invalidate(token.generation);
                let token = self.tokens.get().await?;
                self.login_with(&client, &token).await?
            }
            other => other?,
        };
        tracing::info!(username = login.username.as_deref().unwrap_or(""), "moyun: logged in");
        self.login_events.send_modify(|n| *n += 1);
        Ok(Loaded { value: login, expires_in: None })
    }
}

impl IdentityResolver for Session {
    type Credential = Login;

    fn resolve(&self) -> BoxFuture<'_, Result<Identity<Login>, Error>> {
        Box::pin(async move { Ok(self.inner.logins.get().await?.into()) })
    }

    fn classify(&self, error: &Error, identity: &Identity<Login>) -> Option<Rejection> {
        match error.vendor_code() {
            Some(CODE_TOKEN_REJECTED) => Some(Rejection::new(identity.credential().token_generation, REJECTED_TOKEN)),
            Some(CODE_NOT_LOGGED_IN) => Some(Rejection::of(identity)),
            _ => None,
        }
    }

    fn invalidate(&self, rejection: Rejection) {
        self.inner.reject(rejection);
    }
}

/// Puts the login's `account_token` on each attempt (query on GET/DELETE, form field otherwise).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TokenSigner;

impl Signer<Login> for TokenSigner {
    fn sign(&self, identity: &Identity<Login>, request: &mut AttemptParts) -> Result<(), Error> {
        place_token(request, identity.credential().token.0.expose_secret());
        Ok(())
    }
}
