//! [`MoyunClient`]: one platform, one user session.

use std::sync::Arc;
use std::time::Duration;

use conf_core::codegen::PageLimits;
use conf_core::negotiate::LevelCache;
use conf_core::{ClientConfig, Envelope, Error, Operation, SecretString};
use serde::de::DeserializeOwned;

use crate::envelope::{MoyunEnvelope, python_style_params};
use crate::form::with_form_charset;
use crate::negotiate::MoyunNegotiator;
use crate::push::PushBuilder;
use crate::session::cookies::SessionCookieJar;
use crate::session::{Credentials, Session, spawn_heartbeats};

/// Default heartbeat interval (the platform expires idle sessions after 30 minutes).
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// The API level this SDK speaks (every endpoint of the V6 documentation needs level 1).
pub const SDK_API_LEVEL: u32 = 1;

/// Configuration of a [`MoyunClient`]. `Debug` never shows the secrets.
#[derive(Clone)]
pub struct MoyunConfig {
    /// Transport settings (base URL `http://{domain|ip}`, timeouts, TLS, retries).
    pub core: ClientConfig,
    /// The application's key (`oauth_consumer_key`).
    pub app_key: String,
    /// The application's secret (`oauth_consumer_secret`).
    pub app_secret: SecretString,
    /// User name.
    pub username: String,
    /// Password.
    pub password: SecretString,
    /// Heartbeat interval; `None` disables heartbeats (default 5 minutes).
    pub heartbeat_interval: Option<Duration>,
    /// Failed heartbeats in a row after which the session logs in again (default 3).
    pub heartbeat_max_failures: u32,
    /// The level sent in `API-Level` (default [`SDK_API_LEVEL`]).
    pub api_level: u32,
    /// Bounds of the `all_*` page walkers (default 1,000 pages and 64 MiB per walk).
    pub page_limits: PageLimits,
}

impl std::fmt::Debug for MoyunConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MoyunConfig")
            .field("core", &self.core)
            .field("app_key", &self.app_key)
            .field("username", &self.username)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("heartbeat_max_failures", &self.heartbeat_max_failures)
            .field("api_level", &self.api_level)
            .field("page_limits", &self.page_limits)
            .finish_non_exhaustive()
    }
}

impl MoyunConfig {
    /// A configuration with defaults; a bad `base_url` is [`Error::InvalidInput`].
    pub fn new(
        base_url: &str,
        app_key: impl Into<String>,
        app_secret: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Result<Self, Error> {
        Ok(Self::with_core(ClientConfig::parse(base_url)?, app_key, app_secret, username, password))
    }

    /// A configuration over an existing transport configuration.
    pub fn with_core(
        core: ClientConfig,
        app_key: impl Into<String>,
        app_secret: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self {
            core,
            app_key: app_key.into(),
            app_secret: SecretString::from(app_secret.into()),
            username: username.into(),
            password: SecretString::from(password.into()),
            heartbeat_interval: Some(DEFAULT_HEARTBEAT_INTERVAL),
            heartbeat_max_failures: 3,
            api_level: SDK_API_LEVEL,
            page_limits: PageLimits::default(),
        }
    }

    /// Set the bounds of the `all_*` page walkers.
    pub fn page_limits(mut self, limits: PageLimits) -> Self {
        self.page_limits = limits;
        self
    }

    /// Set the heartbeat interval (`None` disables heartbeats).
    pub fn heartbeat_interval(mut self, interval: Option<Duration>) -> Self {
        self.heartbeat_interval = interval;
        self
    }

    /// Set how many failed heartbeats in a row trigger a new login.
    pub fn heartbeat_max_failures(mut self, n: u32) -> Self {
        self.heartbeat_max_failures = n;
        self
    }

    /// Set the level sent in `API-Level`.
    pub fn api_level(mut self, level: u32) -> Self {
        self.api_level = level;
        self
    }

    /// Change the transport settings.
    pub fn map_core(mut self, f: impl FnOnce(ClientConfig) -> ClientConfig) -> Self {
        self.core = f(self.core);
        self
    }

    fn validate(&self) -> Result<(), Error> {
        use conf_core::ExposeSecret;
        // Paths start at `/api/v1`: a base URL carrying it would double it.
        self.core.require_bare_host("moyun", "/api/v1")?;
        for (field, value) in [
            ("app_key", self.app_key.as_str()),
            ("app_secret", self.app_secret.expose_secret()),
            ("username", self.username.as_str()),
            ("password", self.password.expose_secret()),
        ] {
            if value.is_empty() {
                return Err(Error::invalid_input(field, "must not be empty"));
            }
        }
        if self.heartbeat_interval.is_some_and(|d| d.is_zero()) {
            return Err(Error::invalid_input("heartbeat_interval", "must be positive (use None to disable heartbeats)"));
        }
        Ok(())
    }
}

/// A client of one Moyun platform, logged in as one user. Cheap to clone; the
/// heartbeat task and push connections stop when the last clone is dropped.
///
/// Every generated endpoint method (`client.vc_confs_list(..)`, ...) goes through
/// [`call`](Self::call): API-Level gate, session (token + cookie, renewed and
/// replayed once when the platform rejects it), retries, envelope check.
#[derive(Clone)]
pub struct MoyunClient {
    core: conf_core::Client,
    session: Session,
    cookies: Arc<SessionCookieJar>,
    negotiator: Arc<dyn conf_core::Negotiator>,
    page_limits: PageLimits,
}

impl std::fmt::Debug for MoyunClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MoyunClient").field("core", &self.core).field("session", &self.session).finish()
    }
}

impl MoyunClient {
    /// Build a client. Nothing is sent until the first call (or [`login`](Self::login)).
    /// Must run inside a Tokio runtime when heartbeats are enabled.
    pub fn new(config: MoyunConfig) -> Result<Self, Error> {
        config.validate()?;
        if config.heartbeat_interval.is_some() && tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::other("MoyunClient::new must run inside a Tokio runtime (heartbeats run in the background)"));
        }
        let cookies = Arc::new(SessionCookieJar::default());
        let http = config
            .core
            .http_builder()?
            .cookie_provider(cookies.clone())
            .build()
            .map_err(|e| Error::other(format!("cannot build HTTP client: {e}")))?;
        let session = Session::new(Credentials {
            app_key: config.app_key.clone(),
            app_secret: config.app_secret.clone(),
            username: config.username.clone(),
            password: config.password.clone(),
        });
        let negotiator: Arc<dyn conf_core::Negotiator> = Arc::new(MoyunNegotiator::new(config.api_level));
        let core = conf_core::Client::builder(config.core.clone())
            .http_client(http)
            .envelope(MoyunEnvelope)
            .authenticator(Arc::new(session.clone()))
            .negotiator(negotiator.clone())
            .build()?;
        session.attach(&core);
        if let Some(interval) = config.heartbeat_interval {
            spawn_heartbeats(&core, &session, interval, config.heartbeat_max_failures);
        }
        Ok(Self { core, session, cookies, negotiator, page_limits: config.page_limits })
    }

    /// Run one operation and decode its payload (the envelope's `payload`). The
    /// `params` form field is re-serialized in the reference client's JSON style.
    pub async fn call<T: DeserializeOwned>(&self, op: Operation) -> conf_core::Result<T> {
        let op = with_form_charset(python_style_params(op));
        let info = op.info(1);
        let raw = self.core.execute(op).await?;
        MoyunEnvelope.payload(&info, &raw)
    }

    /// [`call`](Self::call), also answering the body's size (for the page walkers' byte limit).
    pub(crate) async fn call_sized<T: DeserializeOwned>(&self, op: Operation) -> conf_core::Result<(T, usize)> {
        let op = with_form_charset(python_style_params(op));
        let info = op.info(1);
        let raw = self.core.execute(op).await?;
        Ok((MoyunEnvelope.payload(&info, &raw)?, raw.body.len()))
    }

    /// The bounds of the `all_*` page walkers.
    pub fn page_limits(&self) -> PageLimits {
        self.page_limits
    }

    /// Run one operation and return the raw body (downloads, exports).
    pub async fn call_bytes(&self, op: Operation) -> conf_core::Result<bytes::Bytes> {
        Ok(self.core.execute(with_form_charset(python_style_params(op))).await?.body)
    }

    /// Log in now (token + login) unless a session exists. Calls log in on their own;
    /// this is for failing early on bad credentials.
    pub async fn login(&self) -> conf_core::Result<()> {
        self.session.ensure().await.map(|_| ())
    }

    /// The login session (counters, current token, forced re-login).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The client's cookie jar (holds `SSO_COOKIE_KEY`).
    pub fn cookies(&self) -> &SessionCookieJar {
        &self.cookies
    }

    /// The platform API levels discovered so far; `levels().reset()` re-discovers them.
    pub fn levels(&self) -> &LevelCache {
        self.core.levels()
    }

    /// The platform's API level of `app` (`system`, `mc`, `vc`, `nms`, `amc`, `vrs`),
    /// discovered with `GET /api/{app}/version` and cached.
    pub async fn api_level(&self, app: &'static str) -> conf_core::Result<u32> {
        self.core.levels().level(&self.negotiator, &self.core, app).await
    }

    /// The headers the negotiator puts on every request (`API-Level`).
    pub(crate) fn negotiated_headers(&self) -> Vec<(http::HeaderName, http::HeaderValue)> {
        self.negotiator.headers()
    }

    /// The underlying conf-core client.
    pub fn core(&self) -> &conf_core::Client {
        &self.core
    }

    /// Start configuring a push (CometD) connection.
    pub fn push(&self) -> PushBuilder {
        PushBuilder::new(self.clone())
    }
}
