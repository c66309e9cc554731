//! The lingsun client: region, hosts, OAuth, and the `call` every generated method uses.

use std::sync::Arc;
use std::time::Duration;

use conf_core::{Body, Client, ClientConfig, Error, Operation, RetryPolicy};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::domains::{Area, Hosts};
use crate::envelope::LingsunEnvelope;
use crate::failover::FailoverResolver;
use crate::oauth::{LingsunAuth, OAuthConfig};

/// The region segment of every path (`/agoralink/cn/...`, `/agoralink/na/...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    RetryPolicy {
        max_attempts: 5,
        initial_backoff: Duration::from_millis(250),
        max_backoff: Duration::from_secs(2),
        ..RetryPolicy::default()
    }
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

/// Builds a [`LingsunClient`].
pub struct LingsunClientBuilder {
    oauth: OAuthConfig,
    region: Region,
    hosts: Option<Hosts>,
    area: Area,
    home_region: Option<String>,
    host_memory: Duration,
    configure: Vec<Box<dyn FnOnce(ClientConfig) -> ClientConfig + Send>>,
}

impl std::fmt::Debug for LingsunClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LingsunClientBuilder")
            .field("oauth", &self.oauth)
            .field("region", &self.region)
            .field("hosts", &self.hosts)
            .field("area", &self.area)
            .finish_non_exhaustive()
    }
}

impl LingsunClientBuilder {
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

    /// Send everything to one base URL (an emulator or a proxy); no failover.
    pub fn base_url(mut self, url: &str) -> Result<Self, Error> {
        self.hosts = Some(Hosts::single(ClientConfig::parse(url)?.base_url));
        Ok(self)
    }

    /// How long the host that last answered is preferred (default 30 s).
    pub fn host_memory(mut self, d: Duration) -> Self {
        self.host_memory = d;
        self
    }

    /// Adjust the transport configuration (timeouts, retry policy, TLS).
    pub fn configure(mut self, f: impl FnOnce(ClientConfig) -> ClientConfig + Send + 'static) -> Self {
        self.configure.push(Box::new(f));
        self
    }

    /// Build the client.
    pub fn build(self) -> Result<LingsunClient, Error> {
        use conf_core::ExposeSecret;
        if self.oauth.client_id.trim().is_empty() {
            return Err(Error::invalid_input("client_id", "must not be empty"));
        }
        if self.oauth.client_secret.expose_secret().is_empty() {
            return Err(Error::invalid_input("client_secret", "must not be empty"));
        }
        let hosts = match self.hosts {
            Some(h) => h,
            None => Hosts::for_area(self.area, self.home_region.as_deref())?,
        };
        // A dead host must not eat the whole call: short attempts, a bounded call.
        let mut config = ClientConfig::new(hosts.primary.clone())
            .retry(default_retry())
            .attempt_timeout(Duration::from_secs(10))
            .operation_deadline(Duration::from_secs(30));
        for f in self.configure {
            config = f(config);
        }
        let http = config.build_http()?;
        let resolver = Arc::new(FailoverResolver::with_memory(hosts, self.host_memory));
        let prefix = format!("/agoralink/{}", self.region.segment());
        let token_client =
            Client::builder(config.clone()).http_client(http.clone()).envelope(LingsunEnvelope).resolver(resolver.clone()).build()?;
        let auth = Arc::new(LingsunAuth::new(token_client, prefix, self.oauth));
        let inner = Client::builder(config)
            .http_client(http)
            .envelope(LingsunEnvelope)
            .resolver(resolver.clone())
            .authenticator(auth.clone())
            .build()?;
        Ok(LingsunClient { inner, auth, resolver, region: self.region })
    }
}

impl LingsunClient {
    /// Start building a client with these OAuth credentials.
    pub fn builder(oauth: OAuthConfig) -> LingsunClientBuilder {
        LingsunClientBuilder {
            oauth,
            region: Region::Cn,
            hosts: None,
            area: Area::ChinaMainland,
            home_region: None,
            host_memory: crate::failover::HOST_MEMORY,
            configure: Vec::new(),
        }
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

    /// Run one operation: put `/agoralink/{region}` in front of the path, add the
    /// `header { traceId, timestamp }` the cloud-recorder calls carry, send, and decode
    /// the whole reply.
    pub async fn call<T: DeserializeOwned>(&self, mut op: Operation) -> Result<T, Error> {
        op.path = format!("/agoralink/{}{}", self.region.segment(), op.path);
        if op.path_template.contains("/cloud-recorder/") {
            let mut body = match &op.body {
                Body::Json { bytes, .. } => match serde_json::from_slice::<Value>(bytes) {
                    Ok(Value::Object(m)) => m,
                    _ => return Err(Error::invalid_input("body", "a lingsun body must be a JSON object")),
                },
                Body::Empty => serde_json::Map::new(),
                _ => return Err(Error::invalid_input("body", "a lingsun body must be JSON")),
            };
            body.insert("header".into(), request_header());
            let bytes = serde_json::to_vec(&body).map_err(|e| Error::invalid_input("body", e.to_string()))?;
            op.body = Body::Json { bytes: bytes.into(), content_type: None };
        } else if matches!(op.body, Body::Empty) {
            op.body = Body::Json { bytes: bytes::Bytes::from_static(b"{}"), content_type: None };
        }
        let sensitive = op.sensitive_response;
        let info = op.info(1);
        let raw = self.inner.execute(op).await?;
        conf_core::envelope::decode_json(&info, &raw.body, sensitive)
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
