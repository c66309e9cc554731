//! OAuth: the 声网灵隼 token, cached and refreshed single-flight: a conf-core identity resolver ([`LingsunAuth`]) and its [`BearerSigner`].
//!
//! `POST /agoralink/{region}/api/oauth/rest-token` with a JSON body: `grant_type`
//! `password` (username, password) or `client_credentials`, `scope` `read`,
//! `client_id`, `client_secret`. The token is cached until `expires_in` minus a
//! margin; then it is renewed with the `refresh_token` grant and, if that fails, with
//! a new full grant. Concurrent callers share one renewal. A 401 on a call
//! invalidates the token; conf-core then renews it and replays the call once.

use std::sync::Arc;
use std::time::Duration;

use conf_core::store::{CredentialCodec, SharedStore, StoreError, StoreKey};
use conf_core::{
    AttemptParts, Body, CachedCredential, Client, CredentialCache, Error, ExposeSecret, Identity, IdentityResolver, Loaded, Operation,
    Rejection, SecretString, Signer,
};
use futures_util::future::BoxFuture;
use serde::Deserialize;

/// Path of the token endpoint below `/agoralink/{region}`.
pub const TOKEN_PATH: &str = "/api/oauth/rest-token";

/// Shortest token lifetime the cache believes (`expires_in` of 0 or below counts as 1 s).
pub const MIN_TOKEN_LIFETIME: Duration = Duration::from_secs(1);

/// Longest token lifetime the cache believes (30 days): a larger `expires_in`
/// (up to `u64::MAX`) is clamped to it, so no arithmetic on it can overflow.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);

/// How the client obtains a token from scratch.
#[derive(Clone)]
#[non_exhaustive]
pub enum Grant {
    /// `grant_type=password` with a user's name and password.
    Password {
        /// `username`.
        username: String,
        /// `password`.
        password: SecretString,
    },
    /// `grant_type=client_credentials`.
    ClientCredentials,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Password { username, .. } => f.debug_struct("Password").field("username", username).finish_non_exhaustive(),
            Self::ClientCredentials => f.write_str("ClientCredentials"),
        }
    }
}

/// OAuth client credentials and grant (set by [`crate::LingsunClient::builder`]).
#[derive(Clone, Debug)]
pub(crate) struct OAuthConfig {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: SecretString,
    /// The full grant.
    pub grant: Grant,
    /// Renew this long before the token expires.
    pub margin: Duration,
    /// Plus up to this much, drawn per token (spreads renewals of many clients).
    pub jitter: Duration,
    /// Fleet mode: the store the token is shared through.
    pub store: Option<SharedStore>,
}

impl OAuthConfig {
    /// Client credentials with the given grant, a 60 s margin and 30 s jitter.
    pub(crate) fn new(client_id: impl Into<String>, client_secret: SecretString, grant: Grant) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
            grant,
            margin: Duration::from_secs(60),
            jitter: Duration::from_secs(30),
            store: None,
        }
    }
}

/// An access token (with its refresh token).
#[derive(Clone)]
#[non_exhaustive]
pub struct AccessToken {
    /// `access_token`.
    pub access_token: SecretString,
    /// `token_type` (`bearer`).
    pub token_type: String,
    /// `refresh_token`, when granted.
    pub refresh_token: Option<SecretString>,
    /// `expires_in` in seconds, clamped to [`MIN_TOKEN_LIFETIME`]..=[`MAX_TOKEN_LIFETIME`].
    pub expires_in: Option<u64>,
    /// `scope`.
    pub scope: Option<String>,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl AccessToken {
    /// The `Authorization` header value for this token per its `token_type`
    /// (`bearer` -> `Bearer <token>`; an unknown type is sent as given).
    pub fn authorization(&self) -> String {
        let t = self.token_type.trim();
        let scheme = if t.is_empty() || t.eq_ignore_ascii_case("bearer") { "Bearer" } else { t };
        format!("{scheme} {}", self.access_token.expose_secret())
    }
}

#[derive(Deserialize)]
struct TokenReply {
    data: TokenData,
}

#[derive(Deserialize)]
struct TokenData {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    /// Read as any JSON value: a negative, fractional or absurd lifetime is clamped, not refused.
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    scope: Option<String>,
}

/// `expires_in` in whole seconds, clamped to [`MIN_TOKEN_LIFETIME`]..=[`MAX_TOKEN_LIFETIME`]
/// (a number or a numeric string; anything else is "unknown").
fn lifetime_secs(v: &serde_json::Value) -> Option<u64> {
    let (min, max) = (MIN_TOKEN_LIFETIME.as_secs(), MAX_TOKEN_LIFETIME.as_secs());
    let clamp_f = |f: f64| -> Option<u64> {
        if f.is_nan() {
            None
        } else if f <= min as f64 {
            Some(min)
        } else if f >= max as f64 {
            Some(max)
        } else {
            // In range (checked above): the cast cannot truncate.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Some(f.ceil() as u64)
        }
    };
    match v {
        serde_json::Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Some(u.clamp(min, max)),
            (None, Some(_)) => Some(min), // negative: already expired
            (None, None) => n.as_f64().and_then(clamp_f),
        },
        serde_json::Value::String(s) => {
            let s = s.trim();
            match s.parse::<i128>() {
                Ok(i) => Some(u64::try_from(i.clamp(i128::from(min), i128::from(max))).unwrap_or(max)),
                Err(_) => s.parse::<f64>().ok().and_then(clamp_f),
            }
        }
        _ => None,
    }
}

/// The lifetime handed to the cache. A token that lives no longer than the renewal
/// margin (plus jitter) would be renewed on every call: it is renewed at about half
/// its lifetime instead.
fn cache_lifetime(lifetime: Duration, margin: Duration, jitter: Duration) -> Duration {
    let lead = margin.saturating_add(jitter);
    if lifetime > lead { lifetime } else { lead.saturating_add(lifetime / 2) }
}

/// The token endpoint, shared by the loader.
struct TokenSource {
    client: Client,
    region_prefix: String,
    config: OAuthConfig,
}

impl TokenSource {
    async fn request(&self, grant_type: &'static str, refresh: Option<&SecretString>) -> Result<Loaded<AccessToken>, Error> {
        let mut body = serde_json::Map::new();
        body.insert("grant_type".into(), grant_type.into());
        if let (Grant::Password { username, password }, None) = (&self.config.grant, refresh) {
            body.insert("username".into(), username.clone().into());
            body.insert("password".into(), password.expose_secret().into());
        }
        if let Some(r) = refresh {
            body.insert("refresh_token".into(), r.expose_secret().into());
        }
        body.insert("scope".into(), "read".into());
        body.insert("client_id".into(), self.config.client_id.clone().into());
        body.insert("client_secret".into(), self.config.client_secret.expose_secret().into());
        let op = Operation::new(
            "lingsun",
            "oauth.rest_token",
            http::Method::POST,
            "/agoralink/{region}/api/oauth/rest-token",
            format!("{}{TOKEN_PATH}", self.region_prefix),
        )
        .body(Body::Json { bytes: serde_json::to_vec(&body).map_err(|e| Error::other(e.to_string()))?.into(), content_type: None })
        .idempotent(true)
        .auth(conf_core::AuthMode::None)
        .sensitive();
        let info = op.info(1);
        let raw = self.client.execute(op).await?;
        let reply: TokenReply = conf_core::envelope::decode_json(&info, &raw.body, true)?;
        let d = reply.data;
        if d.access_token.is_empty() {
            return Err(conf_core::envelope::decode_error(&info, &raw.body, true, "empty access_token"));
        }
        let expires_in = d.expires_in.as_ref().and_then(lifetime_secs);
        if d.expires_in.as_ref().is_some_and(|v| !v.is_null() && !v.is_string() && v.as_u64() != expires_in) {
            tracing::warn!(expires_in = ?expires_in, "lingsun: token lifetime out of range or malformed: clamped");
        }
        Ok(Loaded {
            expires_in: expires_in.map(|secs| cache_lifetime(Duration::from_secs(secs), self.config.margin, self.config.jitter)),
            value: AccessToken {
                access_token: SecretString::from(d.access_token),
                token_type: d.token_type.unwrap_or_else(|| "bearer".into()),
                refresh_token: d.refresh_token.filter(|r| !r.is_empty()).map(SecretString::from),
                expires_in,
                scope: d.scope,
            },
        })
    }

    fn full_grant_type(&self) -> &'static str {
        match self.config.grant {
            Grant::Password { .. } => "password",
            Grant::ClientCredentials => "client_credentials",
        }
    }

    async fn load(self: Arc<Self>, prev: Option<Arc<AccessToken>>) -> Result<Loaded<AccessToken>, Error> {
        if let Some(refresh) = prev.as_ref().and_then(|p| p.refresh_token.clone()) {
            match self.request("refresh_token", Some(&refresh)).await {
                Ok(t) => return Ok(t),
                Err(e) => tracing::info!(error = %e, "refresh_token grant failed: requesting a new token"),
            }
        }
        self.request(self.full_grant_type(), None).await.map_err(|e| match e {
            e @ (Error::Vendor { .. } | Error::HttpStatus { .. }) => Error::Auth {
                request: e.request().cloned().unwrap_or_else(|| conf_core::RequestInfo::none("lingsun", "oauth.rest_token")),
                message: "token request refused".into(),
                source: Some(Box::new(e)),
            },
            other => other,
        })
    }
}

/// An [`AccessToken`] as bytes for a shared store (JSON; the store encrypts it).
struct TokenCodec;

#[derive(serde::Serialize, Deserialize)]
struct StoredToken {
    access_token: String,
    token_type: String,
    refresh_token: Option<String>,
    expires_in: Option<u64>,
    scope: Option<String>,
}

impl CredentialCodec<AccessToken> for TokenCodec {
    fn encode(&self, t: &AccessToken) -> Result<Vec<u8>, StoreError> {
        let stored = StoredToken {
            access_token: t.access_token.expose_secret().to_string(),
            token_type: t.token_type.clone(),
            refresh_token: t.refresh_token.as_ref().map(|r| r.expose_secret().to_string()),
            expires_in: t.expires_in,
            scope: t.scope.clone(),
        };
        serde_json::to_vec(&stored).map_err(|e| StoreError::new(format!("lingsun token: {e}")))
    }

    fn decode(&self, bytes: &[u8]) -> Result<AccessToken, StoreError> {
        let s: StoredToken = serde_json::from_slice(bytes).map_err(|_| StoreError::new("lingsun token: malformed"))?;
        Ok(AccessToken {
            access_token: SecretString::from(s.access_token),
            token_type: s.token_type,
            refresh_token: s.refresh_token.map(SecretString::from),
            expires_in: s.expires_in,
            scope: s.scope,
        })
    }
}

/// The lingsun authenticator: a single-flight token cache.
pub struct LingsunAuth {
    cache: CredentialCache<AccessToken>,
}

impl std::fmt::Debug for LingsunAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LingsunAuth").field("cache", &self.cache).finish()
    }
}

impl LingsunAuth {
    /// An authenticator that requests tokens with `client` (no authenticator of its
    /// own; usually sharing the API client's hosts) under `/agoralink/{region}`.
    /// With a store in `config`, the token is shared under `base_url` + region, the
    /// client id and (password grant) the user name.
    pub(crate) fn new(client: Client, region_prefix: String, config: OAuthConfig, base_url: &str) -> Self {
        let (margin, jitter) = (config.margin, config.jitter);
        let fleet = config.store.clone().map(|store| {
            let user = match &config.grant {
                Grant::Password { username, .. } => username.as_str(),
                Grant::ClientCredentials => "",
            };
            let scope = format!("{}{region_prefix}", base_url.trim_end_matches('/'));
            (store, StoreKey::new("lingsun", "oauth", format!("{}\n{user}", config.client_id), scope))
        });
        let source = Arc::new(TokenSource { client, region_prefix, config });
        let cache = CredentialCache::new(margin, jitter, move |prev| source.clone().load(prev));
        let cache = match fleet {
            Some((store, key)) => cache.shared(&store, key, TokenCodec),
            None => cache,
        };
        Self { cache }
    }

    /// The current token, obtaining or renewing it if needed.
    pub async fn token(&self) -> Result<CachedCredential<AccessToken>, Error> {
        self.cache.get().await
    }

    /// The token cache (loads count, forced refresh, clearing).
    pub fn cache(&self) -> &CredentialCache<AccessToken> {
        &self.cache
    }
}

impl IdentityResolver for LingsunAuth {
    type Credential = AccessToken;

    fn resolve(&self) -> BoxFuture<'_, Result<Identity<AccessToken>, Error>> {
        Box::pin(async move { Ok(self.cache.get().await?.into()) })
    }

    fn classify(&self, error: &Error, identity: &Identity<AccessToken>) -> Option<Rejection> {
        let rejected = match error {
            Error::HttpStatus { status: 401, .. } => true,
            Error::Vendor { code, .. } => code == "401",
            _ => false,
        };
        rejected.then(|| Rejection::of(identity))
    }

    fn invalidate(&self, rejection: Rejection) {
        self.cache.invalidate(rejection.generation());
    }
}

/// Puts `Authorization: Bearer <access token>` on each attempt.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct BearerSigner;

impl Signer<AccessToken> for BearerSigner {
    fn sign(&self, identity: &Identity<AccessToken>, request: &mut AttemptParts) -> Result<(), Error> {
        request.set_secret_header("authorization", &identity.credential().authorization())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lifetimes_are_clamped_never_overflow() {
        let max = MAX_TOKEN_LIFETIME.as_secs();
        assert_eq!(lifetime_secs(&json!(43199)), Some(43199));
        assert_eq!(lifetime_secs(&json!(u64::MAX)), Some(max));
        assert_eq!(lifetime_secs(&json!(-5)), Some(1));
        assert_eq!(lifetime_secs(&json!(0)), Some(1));
        assert_eq!(lifetime_secs(&json!(1e300)), Some(max));
        assert_eq!(lifetime_secs(&json!(-1e300)), Some(1));
        assert_eq!(lifetime_secs(&json!(2.5)), Some(3));
        assert_eq!(lifetime_secs(&json!("31969")), Some(31969));
        assert_eq!(lifetime_secs(&json!("18446744073709551615999")), Some(max));
        assert_eq!(lifetime_secs(&json!("1".repeat(60))), Some(max));
        assert_eq!(lifetime_secs(&json!("-18446744073709551615")), Some(1));
        assert_eq!(lifetime_secs(&json!("soon")), None);
        assert_eq!(lifetime_secs(&json!(null)), None);
    }

    #[test]
    fn a_token_shorter_than_the_margin_is_renewed_at_half_life() {
        let (m, j) = (Duration::from_secs(60), Duration::from_secs(30));
        assert_eq!(cache_lifetime(Duration::from_secs(3600), m, j), Duration::from_secs(3600));
        // 10 s token, 60 s margin + up to 30 s jitter: renewed after 5..=35 s, not on every call.
        assert_eq!(cache_lifetime(Duration::from_secs(10), m, j), Duration::from_secs(95));
        assert_eq!(cache_lifetime(Duration::from_secs(1), Duration::ZERO, Duration::ZERO), Duration::from_secs(1));
    }
}
