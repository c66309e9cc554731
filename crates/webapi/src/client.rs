//! The WebAPI client: configuration, the company-key authenticator and the `call`
//! every generated method uses.

use conf_core::{
    AttemptParts, AuthScheme, Body, Client, ClientConfig, EnvVars, Error, ExposeSecret, Identity, NoIdentity, Part, SecretString, Signer,
    UserLayers,
};
use http::Method;
use url::Url;

use crate::envelope::WebApiEnvelope;
use crate::links::{JoinLinks, resolve_path};

/// Name of the company-key field on every call.
pub const KEY_FIELD: &str = "key";

/// Puts the company id `key` (企业 ID) on every attempt: first multipart part of a
/// POST, query parameter of a GET. The key cannot be renewed, so a rejection
/// (4101/4102) is reported, not retried.
pub struct KeyAuthenticator {
    key: SecretString,
}

impl KeyAuthenticator {
    /// An authenticator for `key`.
    pub fn new(key: SecretString) -> Self {
        Self { key }
    }
}

impl std::fmt::Debug for KeyAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyAuthenticator(<redacted>)")
    }
}

impl Signer<()> for KeyAuthenticator {
    fn sign(&self, _identity: &Identity<()>, request: &mut AttemptParts) -> Result<(), Error> {
        let key = self.key.expose_secret();
        match &mut request.body {
            Body::Multipart(parts) => parts.insert(0, Part::text(KEY_FIELD, key)),
            Body::Form(fields) => fields.insert(0, (KEY_FIELD.to_owned(), key.to_owned())),
            _ if request.method == Method::GET => request.push_query(KEY_FIELD, key),
            Body::Empty => request.body = Body::Multipart(vec![Part::text(KEY_FIELD, key)]),
            _ => request.push_query(KEY_FIELD, key),
        }
        Ok(())
    }
}

/// A Meeting WebAPI client. Cheap to clone.
#[derive(Clone)]
pub struct WebApiClient {
    inner: Client,
    record_base: Url,
    file_base: Url,
}

impl std::fmt::Debug for WebApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebApiClient")
            .field("config", self.inner.config())
            .field("record_base", &self.record_base.as_str())
            .field("file_base", &self.file_base.as_str())
            .finish_non_exhaustive()
    }
}

/// Builds a [`WebApiClient`]: `WebApiClient::builder(key)`, then `.base_url(..)`
/// (required), `.config(..)`, `.layer(..)`, the WebAPI options, `.build()`.
pub struct WebApiClientBuilder {
    key: SecretString,
    base_url: Option<String>,
    config: Option<ClientConfig>,
    layers: UserLayers,
    record_base: Option<String>,
    file_base: Option<String>,
}

impl std::fmt::Debug for WebApiClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebApiClientBuilder")
            .field("base_url", &self.base_url)
            .field("config", &self.config)
            .field("layers", &self.layers)
            .field("record_base", &self.record_base)
            .field("file_base", &self.file_base)
            .finish_non_exhaustive()
    }
}

impl WebApiClientBuilder {
    conf_core::common_builder_setters! {
        /// The server's base URL (`https://host`; the API is below `/WebAPI/`). Checked by
        /// [`build`](Self::build).
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

    /// Resolve `recordpath` / `filepath` against this recording server (default: the API base URL).
    pub fn record_base(mut self, url: impl Into<String>) -> Self {
        self.record_base = Some(url.into());
        self
    }

    /// Resolve `downloadpath` / `picPath` against this file server (default: the API base URL).
    pub fn file_base(mut self, url: impl Into<String>) -> Self {
        self.file_base = Some(url.into());
        self
    }

    /// Build the client; a missing or bad URL or an empty key is [`Error::InvalidInput`].
    pub fn build(self) -> Result<WebApiClient, Error> {
        if self.key.expose_secret().trim().is_empty() {
            return Err(Error::invalid_input("key", "must not be empty"));
        }
        let config = conf_core::vendor_builder::base_config(self.base_url.as_deref(), self.config, None, |c| c)?;
        let parse_base = |field: &str, u: Option<String>| -> Result<Url, Error> {
            match u {
                Some(u) => ClientConfig::parse(&u).map(|c| c.base_url).map_err(|e| match e {
                    Error::InvalidInput { reason, .. } => Error::invalid_input(field, reason),
                    e => e,
                }),
                None => Ok(config.base_url.clone()),
            }
        };
        let record_base = parse_base("record_base", self.record_base)?;
        let file_base = parse_base("file_base", self.file_base)?;
        let builder = Client::builder(config)
            .envelope(WebApiEnvelope)
            .authenticator(AuthScheme::new(NoIdentity, KeyAuthenticator::new(self.key)).into_dyn())
            .hook(std::sync::Arc::new(crate::pipeline::TimeOrder));
        Ok(WebApiClient { inner: self.layers.apply(builder).build()?, record_base, file_base })
    }
}

/// The variables [`WebApiClient::from_env`] reads (the names `confctl webapi` reads).
pub mod env {
    /// The server's base URL (required).
    pub const BASE_URL: &str = "CONFCTL_WEBAPI_BASE_URL";
    /// The company id `key` (企业 ID; required).
    pub const KEY: &str = "CONFCTL_WEBAPI_KEY";
}

impl WebApiClient {
    /// Start building a client with the company id `key` (企业 ID). See [`WebApiClientBuilder`].
    pub fn builder(key: impl Into<SecretString>) -> WebApiClientBuilder {
        WebApiClientBuilder { key: key.into(), base_url: None, config: None, layers: UserLayers::new(), record_base: None, file_base: None }
    }

    /// A client with default settings from the environment: `CONFCTL_WEBAPI_BASE_URL` and
    /// `CONFCTL_WEBAPI_KEY` (both required; see [`env`](mod@env)). A missing one is
    /// [`Error::InvalidInput`] naming it.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) reading the variables through `lookup`.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let vars = EnvVars::new(lookup);
        let base_url = vars.required(env::BASE_URL)?;
        Self::builder(vars.secret(env::KEY)?).base_url(base_url).build()
    }

    /// The conf-core client underneath.
    pub fn core(&self) -> &Client {
        &self.inner
    }

    /// Join links on this server's web front end.
    pub fn join_links(&self) -> JoinLinks {
        JoinLinks::new(self.inner.config().base_url.clone())
    }

    /// Resolve a `recordpath` (meetingcreate) or `filepath` (getRoomRecord) against the recording server.
    pub fn resolve_record_path(&self, path: &str) -> Result<Url, Error> {
        resolve_path(&self.record_base, path)
    }

    /// Resolve a `downloadpath` (getmeetingfile) or `picPath` (uploadRoomPic) against the file server.
    pub fn resolve_file_path(&self, path: &str) -> Result<Url, Error> {
        resolve_path(&self.file_base, path)
    }
}
