//! [`MoyunClient`]: one platform, one user session.

use std::sync::Arc;
use std::time::Duration;

use conf_core::codegen::PageLimits;
use conf_core::negotiate::LevelCache;
use conf_core::{ClientConfig, EnvVars, Error, SecretString, UserLayers};

use crate::envelope::MoyunEnvelope;
use crate::negotiate::MoyunNegotiator;
use crate::push::PushBuilder;
use crate::session::cookies::SessionCookieJar;
use crate::session::{Credentials, Fleet, Session, spawn_heartbeats};

/// Default heartbeat interval (the platform expires idle sessions after 30 minutes).
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// The API level this SDK speaks (every endpoint of the V6 documentation needs level 1).
pub const SDK_API_LEVEL: u32 = 1;

/// Builds a [`MoyunClient`]: `MoyunClient::builder(app_key, app_secret, username, password)`,
/// then `.base_url(..)` (required: `http://{domain|ip}`, a bare host), `.config(..)`,
/// `.layer(..)`, the moyun options, `.build()`. `Debug` never shows the secrets.
pub struct MoyunClientBuilder {
    app_key: String,
    app_secret: SecretString,
    username: String,
    password: SecretString,
    base_url: Option<String>,
    config: Option<ClientConfig>,
    layers: UserLayers,
    heartbeat_interval: Option<Duration>,
    heartbeat_max_failures: u32,
    api_level: u32,
    page_limits: PageLimits,
    credential_store: Option<conf_core::store::SharedStore>,
}

impl std::fmt::Debug for MoyunClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MoyunClientBuilder")
            .field("app_key", &self.app_key)
            .field("username", &self.username)
            .field("base_url", &self.base_url)
            .field("config", &self.config)
            .field("layers", &self.layers)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("heartbeat_max_failures", &self.heartbeat_max_failures)
            .field("api_level", &self.api_level)
            .field("page_limits", &self.page_limits)
            .field("credential_store", &self.credential_store)
            .finish_non_exhaustive()
    }
}

impl MoyunClientBuilder {
    conf_core::common_builder_setters! {
        /// The platform's base URL, a bare host (`http://10.0.0.1`, `https://moyun.example.com`):
        /// the SDK adds `/api/v1/...` itself. Checked by [`build`](Self::build).
        base_url;
        /// Transport settings (timeouts, TLS, retry, limits). Its base URL is used unless
        /// [`base_url`](Self::base_url) is set.
        config;
        /// Add a tower layer around every call (it sees each [`conf_core::layers::Call`] once,
        /// whatever the retries).
        layer;
        /// Add a tower layer around every attempt (it sees each request as sent).
        attempt_layer;
    }

    /// Set the heartbeat interval (`None` disables heartbeats; default 5 minutes).
    pub fn heartbeat_interval(mut self, interval: Option<Duration>) -> Self {
        self.heartbeat_interval = interval;
        self
    }

    /// Set how many failed heartbeats in a row trigger a new login (default 3).
    pub fn heartbeat_max_failures(mut self, n: u32) -> Self {
        self.heartbeat_max_failures = n;
        self
    }

    /// Set the level sent in `API-Level` (default [`SDK_API_LEVEL`]).
    pub fn api_level(mut self, level: u32) -> Self {
        self.api_level = level;
        self
    }

    /// Set the bounds of the `all_*` page walkers (default 1,000 pages and 64 MiB per walk).
    pub fn page_limits(mut self, limits: PageLimits) -> Self {
        self.page_limits = limits;
        self
    }

    /// Fleet mode: share the `account_token` and the login session with every other
    /// process using the same store (e.g. `conf_redis::RedisStore::shared()`): one of
    /// them logs in, the others adopt its session, and only one sends heartbeats.
    /// See `docs/fleet.md`.
    pub fn credential_store(mut self, store: conf_core::store::SharedStore) -> Self {
        self.credential_store = Some(store);
        self
    }

    fn validate(&self, core: &ClientConfig) -> Result<(), Error> {
        use conf_core::ExposeSecret;
        // Paths start at `/api/v1`: a base URL carrying it would double it.
        core.require_bare_host("moyun", "/api/v1")?;
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

    /// Build the client. Nothing is sent until the first call (or [`MoyunClient::login`]).
    /// Must run inside a Tokio runtime when heartbeats are enabled. A missing or bad base
    /// URL or an empty credential is [`Error::InvalidInput`].
    pub fn build(self) -> Result<MoyunClient, Error> {
        let core_config = conf_core::vendor_builder::base_config(self.base_url.as_deref(), self.config.clone(), None, |c| c)?;
        self.validate(&core_config)?;
        if self.heartbeat_interval.is_some() && tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::other("MoyunClientBuilder::build must run inside a Tokio runtime (heartbeats run in the background)"));
        }
        let cookies = Arc::new(SessionCookieJar::default());
        let fleet = self
            .credential_store
            .map(|store| Fleet::new(store, cookies.clone(), core_config.base_url.clone(), &self.app_key, &self.username));
        let session = Session::new(
            Credentials { app_key: self.app_key, app_secret: self.app_secret, username: self.username, password: self.password },
            fleet,
        );
        let negotiator: Arc<dyn conf_core::Negotiator> = Arc::new(MoyunNegotiator::new(self.api_level));
        let builder = conf_core::Client::builder(core_config)
            .cookie_jar(cookies.clone())
            .envelope(MoyunEnvelope)
            .hook(Arc::new(crate::pipeline::MoyunForms))
            .authenticator(conf_core::AuthScheme::new(session.clone(), crate::session::TokenSigner).into_dyn())
            .negotiator(negotiator.clone());
        let core = self.layers.apply(builder).build()?;
        session.attach(&core);
        if let Some(interval) = self.heartbeat_interval {
            spawn_heartbeats(&core, &session, interval, self.heartbeat_max_failures);
        }
        Ok(MoyunClient { core, session, cookies, negotiator, page_limits: self.page_limits })
    }
}

/// The variables [`MoyunClient::from_env`] reads (the names `confctl moyun` reads).
pub mod env {
    /// The platform's base URL (required).
    pub const BASE_URL: &str = "CONFCTL_MOYUN_BASE_URL";
    /// The application key, `oauth_consumer_key` (required).
    pub const APP_KEY: &str = "CONFCTL_MOYUN_APP_KEY";
    /// The application secret, `oauth_consumer_secret` (required).
    pub const APP_SECRET: &str = "CONFCTL_MOYUN_APP_SECRET";
    /// The user name (required).
    pub const USERNAME: &str = "CONFCTL_MOYUN_USERNAME";
    /// The password (required).
    pub const PASSWORD: &str = "CONFCTL_MOYUN_PASSWORD";
}

/// A client of one Moyun platform, logged in as one user. Cheap to clone; the
/// heartbeat task and push connections stop when the last clone is dropped.
///
/// Every generated call (`client.vc().list_confs()...send()`, ...) goes through the
/// conf-core pipeline with the moyun hooks: API-Level gate, session (token + cookie,
/// renewed and replayed once when the platform rejects it), retries, envelope check.
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
    /// Start building a client logged in as `username` with the application's key and
    /// secret (`oauth_consumer_key`, `oauth_consumer_secret`). See [`MoyunClientBuilder`].
    pub fn builder(
        app_key: impl Into<String>,
        app_secret: impl Into<SecretString>,
        username: impl Into<String>,
        password: impl Into<SecretString>,
    ) -> MoyunClientBuilder {
        MoyunClientBuilder {
            app_key: app_key.into(),
            app_secret: app_secret.into(),
            username: username.into(),
            password: password.into(),
            base_url: None,
            config: None,
            layers: UserLayers::new(),
            heartbeat_interval: Some(DEFAULT_HEARTBEAT_INTERVAL),
            heartbeat_max_failures: 3,
            api_level: SDK_API_LEVEL,
            page_limits: PageLimits::default(),
            credential_store: None,
        }
    }

    /// A client with default settings from the environment: `CONFCTL_MOYUN_BASE_URL`,
    /// `CONFCTL_MOYUN_APP_KEY`, `CONFCTL_MOYUN_APP_SECRET`, `CONFCTL_MOYUN_USERNAME`,
    /// `CONFCTL_MOYUN_PASSWORD` (all required; see [`env`](mod@env)). A missing one is
    /// [`Error::InvalidInput`] naming it.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) reading the variables through `lookup`.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let vars = EnvVars::new(lookup);
        let base_url = vars.required(env::BASE_URL)?;
        Self::builder(
            vars.required(env::APP_KEY)?,
            vars.secret(env::APP_SECRET)?,
            vars.required(env::USERNAME)?,
            vars.secret(env::PASSWORD)?,
        )
        .base_url(base_url)
        .build()
    }

    /// The bounds of the `all_*` page walkers.
    pub fn page_limits(&self) -> PageLimits {
        self.page_limits
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
        self.core.levels().level(&self.negotiator, &self.core.discovery(), app).await
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
