//! Fleet mode: the session shared by every process of a fleet through a
//! [`SharedStore`] (e.g. conf-redis).
//!
//! The `account_token` and the login (token, user name and `SSO_COOKIE_KEY`) are
//! stored under `moyun:token` (per application) and `moyun:login` (per application
//! and user) for the platform's base URL: one process requests the token and logs
//! in, the others adopt the result (the cookie goes into their jar, and their push
//! clients handshake again on it). Only the
//! owner of `moyun:heartbeat` sends heartbeats and heals a rejected session.

use std::sync::{Arc, Weak};
use std::time::Duration;

use conf_core::store::{CredentialCodec, SharedStore, StoreError, StoreKey, random_holder};
use conf_core::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

use super::cookies::{SESSION_COOKIE, SessionCookieJar};
use super::{Login, SessionInner, Token};

/// A session's link to the fleet.
pub(crate) struct Fleet {
    pub(crate) store: SharedStore,
    pub(crate) jar: Arc<SessionCookieJar>,
    pub(crate) url: Url,
    pub(crate) token_key: StoreKey,
    pub(crate) login_key: StoreKey,
    pub(crate) heartbeat_key: StoreKey,
    holder: String,
}

impl Fleet {
    pub(crate) fn new(store: SharedStore, jar: Arc<SessionCookieJar>, url: Url, app_key: &str, username: &str) -> Self {
        let base = url.as_str().trim_end_matches('/').to_string();
        let token_key = StoreKey::new("moyun", "token", app_key, &base);
        let login_key = StoreKey::new("moyun", "login", format!("{app_key}\n{username}"), &base);
        let heartbeat_key = login_key.with_kind("heartbeat");
        Self { store, jar, url, token_key, login_key, heartbeat_key, holder: random_holder() }
    }

    /// Whether this process sends the heartbeats now (it owns `moyun:heartbeat` for
    /// three intervals, renewed at every tick). When the store is unreachable every
    /// process keeps its own session alive.
    pub(crate) async fn owns_heartbeats(&self, interval: Duration) -> bool {
        match self.store.store().claim(&self.heartbeat_key, &self.holder, interval.saturating_mul(3)).await {
            Ok(owned) => owned,
            Err(e) => {
                tracing::warn!(error = %e, "moyun: credential store unreachable: this process sends its own heartbeats");
                true
            }
        }
    }

    /// The session cookie the jar holds for the platform.
    pub(crate) fn cookie(&self) -> Option<SecretString> {
        let header = self.jar.header_for(&self.url)?;
        header.split("; ").find_map(|kv| kv.strip_prefix(SESSION_COOKIE)?.strip_prefix('=')).map(|v| SecretString::from(v.to_string()))
    }

    fn adopt_cookie(&self, cookie: &str) {
        self.jar.store_set_cookie(&format!("{SESSION_COOKIE}={cookie}"), &self.url);
    }
}

/// `account_token` as bytes.
pub(crate) struct TokenCodec;

impl CredentialCodec<Token> for TokenCodec {
    fn encode(&self, value: &Token) -> Result<Vec<u8>, StoreError> {
        Ok(value.0.expose_secret().as_bytes().to_vec())
    }

    fn decode(&self, bytes: &[u8]) -> Result<Token, StoreError> {
        let s = std::str::from_utf8(bytes).map_err(|_| StoreError::new("moyun token: not UTF-8"))?;
        Ok(Token(SecretString::from(s.to_string())))
    }
}

#[derive(Serialize, Deserialize)]
struct StoredLogin {
    token: String,
    token_generation: Option<u64>,
    username: Option<String>,
    cookie: Option<String>,
}

/// A login as bytes; decoding adopts its token into the session's token cache and
/// its cookie into the client's jar.
pub(crate) struct LoginCodec(pub(crate) Weak<SessionInner>);

impl CredentialCodec<Login> for LoginCodec {
    fn encode(&self, value: &Login) -> Result<Vec<u8>, StoreError> {
        let stored = StoredLogin {
            token: value.token.0.expose_secret().to_string(),
            token_generation: value.token_shared,
            username: value.username.clone(),
            cookie: value.cookie.as_ref().map(|c| c.expose_secret().to_string()),
        };
        serde_json::to_vec(&stored).map_err(|e| StoreError::new(format!("moyun login: {e}")))
    }

    fn decode(&self, bytes: &[u8]) -> Result<Login, StoreError> {
        let stored: StoredLogin = serde_json::from_slice(bytes).map_err(|_| StoreError::new("moyun login: malformed"))?;
        let inner = self.0.upgrade().ok_or_else(|| StoreError::new("moyun session dropped"))?;
        let token = match inner.tokens.peek() {
            Some(t) if t.value.0.expose_secret() == stored.token => t,
            _ => match stored.token_generation {
                Some(g) => inner.tokens.set_shared(Token(SecretString::from(stored.token)), None, g),
                None => inner.tokens.set(Token(SecretString::from(stored.token)), None),
            },
        };
        if let (Some(fleet), Some(cookie)) = (inner.fleet.as_ref(), stored.cookie.as_deref()) {
            let changed = fleet.cookie().is_none_or(|c| c.expose_secret() != cookie);
            fleet.adopt_cookie(cookie);
            if changed {
                // Another process's login: this process's push client handshakes again
                // on it, as after a login of its own.
                tracing::info!("moyun: session taken from the fleet");
                inner.login_events.send_modify(|n| *n += 1);
            }
        }
        Ok(Login {
            token: token.value,
            token_generation: token.generation,
            username: stored.username,
            cookie: stored.cookie.map(SecretString::from),
            token_shared: stored.token_generation,
        })
    }
}
