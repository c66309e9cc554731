//! The ytx client: environments, configuration and the `call` every generated method uses.

use std::sync::Arc;

use conf_core::{Client, ClientConfig, EnvVars, Error, SecretString, UserLayers};
use url::Url;

use crate::envelope::YtxEnvelope;
use crate::sign::{Clock, YtxSigner, system_clock};

/// Content type ytx expects on request bodies.
pub const JSON_UTF8: &str = "application/json;charset=utf-8";

/// API version of TeleMeeting.wx.
pub const API_VERSION: &str = "201612";

/// Where the API lives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// `http://api.ytx.net`: applications you created (once live).
    Production,
    /// `http://sandbox.ytx.net`: the trial application.
    Sandbox,
    /// Any other base URL (an emulator, a proxy).
    Custom(Url),
}

impl Environment {
    /// The base URL.
    pub fn base_url(&self) -> Url {
        match self {
            Self::Production => Url::parse("http://api.ytx.net").expect("static URL"),
            Self::Sandbox => Url::parse("http://sandbox.ytx.net").expect("static URL"),
            Self::Custom(u) => u.clone(),
        }
    }
}

/// A ytx phone-meeting client. Cheap to clone.
#[derive(Clone)]
pub struct YtxClient {
    inner: Client,
    account_sid: Arc<str>,
    app_id: Arc<str>,
}

impl std::fmt::Debug for YtxClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YtxClient")
            .field("account_sid", &self.account_sid)
            .field("app_id", &self.app_id)
            .field("base_url", &self.inner.config().base_url.as_str())
            .finish_non_exhaustive()
    }
}

/// Builds a [`YtxClient`]: `YtxClient::builder(account_sid, auth_token, app_id)`, then
/// `.base_url(..)` (default: production, `http://api.ytx.net`), `.config(..)`,
/// `.layer(..)`, the ytx options, `.build()`.
pub struct YtxClientBuilder {
    account_sid: String,
    auth_token: SecretString,
    app_id: String,
    base_url: Option<String>,
    config: Option<ClientConfig>,
    layers: UserLayers,
    version: String,
    clock: Clock,
}

impl std::fmt::Debug for YtxClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YtxClientBuilder")
            .field("account_sid", &self.account_sid)
            .field("app_id", &self.app_id)
            .field("base_url", &self.base_url)
            .field("config", &self.config)
            .field("layers", &self.layers)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl YtxClientBuilder {
    conf_core::common_builder_setters! {
        /// The API's base URL (`http://api.ytx.net`, `http://sandbox.ytx.net`, an emulator, a
        /// proxy). Checked by [`build`](Self::build). Default: production.
        base_url;
        /// Transport settings (timeouts, TLS, retry, limits). Its base URL is used unless
        /// [`base_url`](Self::base_url) (or [`environment`](Self::environment)) is set.
        config;
        /// Add a tower layer around every call (it sees each [`conf_core::layers::Call`] once,
        /// whatever the retries).
        layer;
        /// Add a tower layer around every attempt (it sees each request as sent, signed).
        attempt_layer;
    }

    /// Use this environment's base URL: the same as [`base_url`](Self::base_url) with
    /// [`Environment::base_url`].
    pub fn environment(self, env: Environment) -> Self {
        self.base_url(env.base_url().as_str())
    }

    /// Use another API version in the path (default [`API_VERSION`]).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Read the time from `clock` (tests; the default is the system clock).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Build the client; a bad base URL or an empty credential is [`Error::InvalidInput`].
    pub fn build(self) -> Result<YtxClient, Error> {
        use conf_core::ExposeSecret;
        if self.account_sid.trim().is_empty() {
            return Err(Error::invalid_input("account_sid", "must not be empty"));
        }
        if self.auth_token.expose_secret().is_empty() {
            return Err(Error::invalid_input("auth_token", "must not be empty"));
        }
        if self.app_id.trim().is_empty() {
            return Err(Error::invalid_input("app_id", "must not be empty"));
        }
        let production = Environment::Production.base_url();
        let config = conf_core::vendor_builder::base_config(self.base_url.as_deref(), self.config, Some(production.as_str()), |c| c)?;
        let signer = YtxSigner::new(self.account_sid.clone(), self.auth_token, self.clock);
        let account = crate::pipeline::Account::new(&self.version, &self.account_sid, &self.app_id);
        let builder = Client::builder(config)
            .envelope(YtxEnvelope)
            .authenticator(conf_core::AuthScheme::new(conf_core::NoIdentity, signer).into_dyn())
            .hook(Arc::new(account));
        Ok(YtxClient { inner: self.layers.apply(builder).build()?, account_sid: self.account_sid.into(), app_id: self.app_id.into() })
    }
}

/// The variables [`YtxClient::from_env`] reads (the names `confctl ytx` reads).
pub mod env {
    /// The API's base URL (optional: production when unset).
    pub const BASE_URL: &str = "CONFCTL_YTX_BASE_URL";
    /// The account id, `accountSID` (required).
    pub const ACCOUNT_SID: &str = "CONFCTL_YTX_ACCOUNT_SID";
    /// The account token, `authToken` (required).
    pub const AUTH_TOKEN: &str = "CONFCTL_YTX_AUTH_TOKEN";
    /// The application id, `appid` (required).
    pub const APP_ID: &str = "CONFCTL_YTX_APP_ID";
}

impl YtxClient {
    /// Start building a client for an account (`accountSID`, `authToken`) and application
    /// (`appid`). See [`YtxClientBuilder`].
    pub fn builder(account_sid: impl Into<String>, auth_token: impl Into<SecretString>, app_id: impl Into<String>) -> YtxClientBuilder {
        YtxClientBuilder {
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            app_id: app_id.into(),
            base_url: None,
            config: None,
            layers: UserLayers::new(),
            version: API_VERSION.to_string(),
            clock: system_clock(),
        }
    }

    /// A client with default settings from the environment: `CONFCTL_YTX_ACCOUNT_SID`,
    /// `CONFCTL_YTX_AUTH_TOKEN`, `CONFCTL_YTX_APP_ID` (required) and
    /// `CONFCTL_YTX_BASE_URL` (optional; production when unset); see [`env`](mod@env). A missing
    /// one is [`Error::InvalidInput`] naming it.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) reading the variables through `lookup`.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let vars = EnvVars::new(lookup);
        let mut builder = Self::builder(vars.required(env::ACCOUNT_SID)?, vars.secret(env::AUTH_TOKEN)?, vars.required(env::APP_ID)?);
        if let Some(url) = vars.optional(env::BASE_URL) {
            builder = builder.base_url(url);
        }
        builder.build()
    }

    /// The conf-core client underneath.
    pub fn core(&self) -> &Client {
        &self.inner
    }

    /// The application id sent as `appid`.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }
}
