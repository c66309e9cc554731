//! The lingsun client: region, hosts, OAuth, and the `call` every generated method uses.

use std::sync::Arc;
use std::time::Duration;

use conf_core::{Client, ClientConfig, EnvVars, Error, RetryPolicy, SecretString, UserLayers};
use serde_json::{Value, json};

use crate::domains::{Area, Hosts};
use crate::envelope::LingsunEnvelope;
use crate::failover::FailoverResolver;
use crate::oauth::{Grant, LingsunAuth, OAuthConfig};

/// The region segment of every path (`/agoralink/cn/...`, `/agoralink/na/...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Region {
    /// Mainland China (`cn`).
    Cn,
    /// North America (`na`).
    Na,
}

impl Region {
    /// The path segment.
    pub fn segment(self) -> &'static str {
        match self {
            Self::Cn => "cn",
            Self::Na => "na",
        }
    }
}

/// The retry policy lingsun clients start with: five attempts (primary, primary again,
/// other primary, two regional hosts), backing off from 250 ms up to 2 s.
pub fn default_retry() -> RetryPolicy {
    RetryPolicy::default().max_attempts(5).initial_backoff(Duration::from_millis(250)).max_backoff(Duration::from_secs(2))
}

/// The transport settings lingsun clients start with, for `base`: [`default_retry`], and
/// short attempts in a bounded call (10 s per attempt, 30 s per call) so a dead host does
/// not eat the whole call. Start from it to change one setting with
/// [`LingsunClientBuilder::config`].
pub fn default_config(base: url::Url) -> ClientConfig {
    ClientConfig::new(base).retry(default_retry()).attempt_timeout(Duration::from_secs(10)).operation_deadline(Duration::from_secs(30))
}

/// A 声网灵隼 RESTful API client. Cheap to clone.
#[derive(Clone)]
pub struct LingsunClient {
    inner: Client,
    auth: Arc<LingsunAuth>,
    resolver: Arc<FailoverResolver>,
    region: Region,
}

impl std::fmt::Debug for LingsunClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LingsunClient").field("region", &self.region).field("resolver", &self.resolver).finish_non_exhaustive()
    }
}

/// Builds a [`LingsunClient`]: `LingsunClient::builder(client_id, client_secret, grant)`,
/// then `.base_url(..)` (default: the document's failover domains), `.config(..)`,
/// `.layer(..)`, the lingsun options, `.build()`.
pub struct LingsunClientBuilder {
    oauth: OAuthConfig,
    base_url: Option<String>,
    config: Option<ClientConfig>,
    layers: UserLayers,
    region: Region,
    hosts: Option<Hosts>,
    area: Area,
    home_region: Option<String>,
    host_memory: Duration,
}

impl std::fmt::Debug for LingsunClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LingsunClientBuilder")
            .field("oauth", &self.oauth)
            .field("base_url", &self.base_url)
            .field("config", &self.config)
            .field("layers", &self.layers)
            .field("region", &self.region)
            .field("hosts", &self.hosts)
            .field("area", &self.area)
            .finish_non_exhaustive()
    }
}

impl LingsunClientBuilder {
    conf_core::common_builder_setters! {
        /// Send everything to one base URL (an emulator, a proxy): no failover. Checked by
        /// [`build`](Self::build). [`hosts`](Self::hosts) wins over it.
        base_url;
        /// Transport settings (timeouts, TLS, retry, limits), replacing lingsun's defaults
        /// ([`default_config`]). Its base URL is used as the
        /// only host unless [`base_url`](Self::base_url) or [`hosts`](Self::hosts) is set: to
        /// keep the failover plan with your own settings, set `.hosts(Hosts::for_area(..)?)` too.
        config;
        /// Add a tower layer around every call, token requests included (it sees each
        /// [`conf_core::layers::Call`] once, whatever the retries).
        layer;
        /// Add a tower layer around every attempt, token requests included (it sees each
        /// request as sent).
        attempt_layer;
    }

    /// The region segment (default `cn`).
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// Where the business server is: picks the primary domain (default: mainland China).
    pub fn area(mut self, area: Area) -> Self {
        self.area = area;
        self
    }

    /// The region the primary domain resolves to from the server (`eu-central-1`):
    /// its neighbours are the regional fallbacks.
    pub fn home_region(mut self, id: impl Into<String>) -> Self {
        self.home_region = Some(id.into());
        self
    }

    /// Replace the host list (private routing, emulators, tests).
    pub fn hosts(mut self, hosts: Hosts) -> Self {
        self.hosts = Some(hosts);
        self
    }

    /// How long the host that last answered is preferred (default 30 s).
    pub fn host_memory(mut self, d: Duration) -> Self {
        self.host_memory = d;
        self
    }

    /// Renew a token this long before it expires, plus up to `jitter` drawn per token
    /// (spreads the renewals of many clients). Default 60 s and 30 s.
    pub fn token_renewal(mut self, margin: Duration, jitter: Duration) -> Self {
        self.oauth.margin = margin;
        self.oauth.jitter = jitter;
        self
    }

    /// Fleet mode: share the OAuth token with every other process using the same
    /// store (e.g. `conf_redis::RedisStore::shared()`): one of them requests or
    /// renews it, the others use it. See `docs/fleet.md`.
    pub fn credential_store(mut self, store: conf_core::store::SharedStore) -> Self {
        self.oauth.store = Some(store);
        self
    }

    /// Build the client; an empty credential or a bad URL is [`Error::InvalidInput`].
    pub fn build(self) -> Result<LingsunClient, Error> {
        use conf_core::ExposeSecret;
        if self.oauth.client_id.trim().is_empty() {
            return Err(Error::invalid_input("client_id", "must not be empty"));
        }
        if self.oauth.client_secret.expose_secret().is_empty() {
            return Err(Error::invalid_input("client_secret", "must not be empty"));
        }
        let defaults = |c: ClientConfig| default_config(c.base_url);
        let hosts = match (self.hosts, self.base_url.is_some() || self.config.is_some()) {
            (Some(h), _) => Some(h),
            (None, true) => None,
            (None, false) => Some(Hosts::for_area(self.area, self.home_region.as_deref())?),
        };
        let default_base = hosts.as_ref().map(|h| h.primary.to_string());
        let config = conf_core::vendor_builder::base_config(self.base_url.as_deref(), self.config, default_base.as_deref(), defaults)?;
        let hosts = hosts.unwrap_or_else(|| Hosts::single(config.base_url.clone()));
        let resolver = Arc::new(FailoverResolver::with_memory(hosts, self.host_memory));
        let prefix = format!("/agoralink/{}", self.region.segment());
        let token_builder = Client::builder(config.clone()).envelope(LingsunEnvelope).resolver(resolver.clone());
        let token_client = self.layers.apply(token_builder).build()?;
        // The token client and the main client share one connection pool.
        let builder = Client::builder(config.clone()).share_connections(&token_client);
        let auth = Arc::new(LingsunAuth::new(token_client, prefix, self.oauth, config.base_url.as_str()));
        let builder = builder
            .envelope(LingsunEnvelope)
            .resolver(resolver.clone())
            .authenticator(conf_core::AuthScheme::new(auth.clone(), crate::oauth::BearerSigner).into_dyn())
            .hook(Arc::new(crate::pipeline::RegionPaths::new(self.region)));
        let inner = self.layers.apply(builder).build()?;
        Ok(LingsunClient { inner, auth, resolver, region: self.region })
    }
}

/// The variables [`LingsunClient::from_env`] reads (the names `confctl lingsun` reads).
pub mod env {
    /// Base URL, or a comma-separated ordered failover list (optional: the document's
    /// domains for mainland China when unset); see [`crate::Hosts::ordered`].
    pub const BASE_URL: &str = "CONFCTL_LINGSUN_BASE_URL";
    /// OAuth `client_id` (required).
    pub const CLIENT_ID: &str = "CONFCTL_LINGSUN_CLIENT_ID";
    /// OAuth `client_secret` (required).
    pub const CLIENT_SECRET: &str = "CONFCTL_LINGSUN_CLIENT_SECRET";
    /// User name of the `password` grant (optional: `client_credentials` when unset).
    pub const USERNAME: &str = "CONFCTL_LINGSUN_USERNAME";
    /// Password of the `password` grant (required when the user name is set).
    pub const PASSWORD: &str = "CONFCTL_LINGSUN_PASSWORD";
}

impl LingsunClient {
    /// Start building a client with the OAuth client credentials and grant. See
    /// [`LingsunClientBuilder`].
    pub fn builder(client_id: impl Into<String>, client_secret: impl Into<SecretString>, grant: Grant) -> LingsunClientBuilder {
        LingsunClientBuilder {
            oauth: OAuthConfig::new(client_id, client_secret.into(), grant),
            base_url: None,
            config: None,
            layers: UserLayers::new(),
            region: Region::Cn,
            hosts: None,
            area: Area::ChinaMainland,
            home_region: None,
            host_memory: crate::failover::HOST_MEMORY,
        }
    }

    /// A client with default settings from the environment: `CONFCTL_LINGSUN_CLIENT_ID`
    /// and `CONFCTL_LINGSUN_CLIENT_SECRET` (required), `CONFCTL_LINGSUN_USERNAME` with
    /// `CONFCTL_LINGSUN_PASSWORD` (the `password` grant; `client_credentials` without a
    /// user name) and `CONFCTL_LINGSUN_BASE_URL` (optional, a comma-separated failover
    /// list); see [`env`](mod@env). A missing one is [`Error::InvalidInput`] naming it.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) reading the variables through `lookup`.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let vars = EnvVars::new(lookup);
        let client_id = vars.required(env::CLIENT_ID)?;
        let client_secret = vars.secret(env::CLIENT_SECRET)?;
        let grant = match vars.optional(env::USERNAME) {
            Some(username) => Grant::Password { username, password: vars.secret(env::PASSWORD)? },
            None => Grant::ClientCredentials,
        };
        let mut builder = Self::builder(client_id, client_secret, grant);
        if let Some(list) = vars.optional(env::BASE_URL) {
            let urls: Vec<&str> = list.split(',').collect();
            if let Some(hosts) = Hosts::ordered(&urls).map_err(|e| match e {
                Error::InvalidInput { reason, .. } => Error::invalid_input(env::BASE_URL, reason),
                e => e,
            })? {
                builder = builder.hosts(hosts);
            }
        }
        builder.build()
    }

    /// The conf-core client underneath.
    pub fn core(&self) -> &Client {
        &self.inner
    }

    /// The authenticator (token cache).
    pub fn auth(&self) -> &LingsunAuth {
        &self.auth
    }

    /// The failover resolver (hosts, remembered host).
    pub fn resolver(&self) -> &FailoverResolver {
        &self.resolver
    }

    /// The region.
    pub fn region(&self) -> Region {
        self.region
    }
}

/// `header { traceId: <fresh UUID>, timestamp: <Unix ms> }`.
pub fn request_header() -> Value {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    // A version-4 UUID from `rand` (already in the tree): uuid's own `v4` feature would pull
    // a second `getrandom` into every user's build.
    let trace_id = uuid::Builder::from_random_bytes(rand::random::<[u8; 16]>()).into_uuid();
    json!({ "traceId": trace_id.to_string(), "timestamp": ms })
}
