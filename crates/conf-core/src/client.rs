//! The client: assembles the tower stack and runs operations through it.

use std::future::Future;
use std::sync::{Arc, Weak};

use futures_util::FutureExt;
use futures_util::future::Either;
use tower::{Layer, ServiceExt};

use crate::attempt::{Shared, build_request};
use crate::auth::Authenticator;
use crate::call::Call;
use crate::config::ClientConfig;
use crate::cookies::CookieJar;
use crate::endpoint::{EndpointResolver, StaticEndpoint};
use crate::envelope::{Envelope, HttpStatusEnvelope, check_http_status};
use crate::error::Error;
use crate::hooks::{Hook, Hooks};
use crate::layers::api_level::ApiLevelLayer;
use crate::layers::auth::AuthLayer;
use crate::layers::http::HttpService;
use crate::layers::retry::{Retry, attempt_error};
use crate::layers::timeout::TimeoutLayer;
use crate::layers::trace::TraceLayer;
use crate::layers::{AttemptInner, AttemptService, CallHandler, CallService, ClientStack};
use crate::negotiate::{Discovery, LevelCache, Negotiator};
use crate::operation::{AuthMode, Operation};
use crate::request::{AttemptRequest, RawResponse};
use crate::retry::RetryBudget;
use crate::stream::StreamResponse;
use crate::tasks::BackgroundTasks;

pub(crate) struct ClientInner {
    shared: Arc<Shared>,
    service: ClientStack,
    tasks: BackgroundTasks,
}

/// A conf-sdk HTTP client: one per platform endpoint and credential set.
/// Cheap to clone; background tasks stop when the last clone is dropped.
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("config", &self.inner.shared.config).finish_non_exhaustive()
    }
}

/// A weak handle for background tasks: it does not keep the client alive.
#[derive(Clone, Debug)]
pub struct WeakClient(Weak<ClientInner>);

impl std::fmt::Debug for ClientInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientInner")
    }
}

impl WeakClient {
    /// The client, if it still exists.
    pub fn upgrade(&self) -> Option<Client> {
        self.0.upgrade().map(|inner| Client { inner })
    }

    /// [`Client::open_stream`] from a background task that must not keep the client alive:
    /// the client is held only while the request is prepared and an error answer judged,
    /// not while waiting for the answer (a long poll held by the server). Fails with
    /// [`Error::Other`] when the client is gone.
    pub async fn open_stream(&self, op: Operation) -> Result<StreamResponse, Error> {
        let weak = self.0.clone();
        open_stream(move || weak.upgrade().map(|inner| inner.shared.clone()).ok_or_else(|| Error::other("client is gone")), op).await
    }
}

/// The stream path of [`Client::open_stream`] and [`WeakClient::open_stream`]: `shared`
/// gives the client's state; it is not held while the answer is awaited.
/// One `conf.stream` span per stream connection (opening it, renewal included).
async fn open_stream(shared: impl Fn() -> Result<Arc<Shared>, Error>, op: Operation) -> Result<StreamResponse, Error> {
    use tracing::Instrument;
    let span =
        tracing::info_span!("conf.stream.open", vendor = op.vendor, operation = op.name, method = %op.method, path = op.path_template);
    open_stream_traced(shared, op).instrument(span).await
}

async fn open_stream_traced(shared: impl Fn() -> Result<Arc<Shared>, Error>, mut op: Operation) -> Result<StreamResponse, Error> {
    let (authn, deadline) = {
        let shared = shared()?;
        shared.hooks.modify_operation(&mut op)?;
        if let Some(n) = &shared.negotiator {
            crate::negotiate::check_capabilities(n.as_ref(), &op)?;
        }
        let authn = match &op.auth {
            AuthMode::None => None,
            AuthMode::Client => shared.auth.clone(),
            AuthMode::With(a) => Some(a.clone()),
        };
        (authn, tokio::time::Instant::now() + shared.config.operation_deadline)
    };
    let op = Arc::new(op);
    let mut renewed = false;
    loop {
        let mut call = Call { op: op.clone(), deadline, auth: None };
        if let Some(a) = &authn {
            call.auth = Some((a.clone(), a.prepare().await?));
        }
        let (http, request, info, connect_limit, redirects, error_limit) = {
            let shared = shared()?;
            let base = match &op.base_override {
                Some(u) => u.clone(),
                None => shared.resolver.resolve(&op, 1)?,
            };
            let parts = shared.attempt_parts(&call, &base, 1)?;
            let request = build_request(&shared.http, parts).await?;
            let connect_limit = op.attempt_timeout.unwrap_or(shared.config.attempt_timeout);
            // The error answer is read with the error-body cap, and not parsed beyond it.
            let error_limit = shared.config.max_error_body_bytes.min(shared.config.max_body_bytes);
            (shared.http.clone(), request, op.info(1).at(&base), connect_limit, shared.config.redirects, error_limit)
        };
        let sending = crate::redirect::send(&http, request, redirects);
        let resp = match tokio::time::timeout(connect_limit, sending).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(attempt_error(&info, e.as_ref(), connect_limit)),
            Err(_) => return Err(Error::Timeout { request: info, kind: crate::error::TimeoutKind::Attempt(connect_limit) }),
        };
        if resp.status().is_success() {
            return Ok(StreamResponse::new(resp, info, connect_limit));
        }
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = match tokio::time::timeout(connect_limit, crate::layers::http::read_capped(resp, error_limit)).await {
            Ok(Ok((body, true))) => body,
            Ok(Ok((start, false))) => {
                let e = crate::layers::http::error_too_large(status, &headers, start, error_limit);
                return Err(crate::layers::retry::scrub(attempt_error(&info, &e, connect_limit), op.sensitive_response));
            }
            _ => bytes::Bytes::new(),
        };
        let raw = RawResponse { status, headers, body };
        let err = shared()?
            .envelope
            .check(&info, &raw)
            .err()
            .unwrap_or_else(|| check_http_status(&info, &raw, op.sensitive_response).unwrap_err());
        let rejection = match (&authn, &call.auth) {
            (Some(a), Some((_, state))) if !renewed => state.classify(&err).map(|r| (a, r)),
            _ => None,
        };
        let Some((a, rejection)) = rejection else { return Err(err) };
        tracing::info!(error = %err, "stream credentials rejected: renewing and reopening once");
        a.invalidate(rejection);
        renewed = true;
    }
}

impl Client {
    /// Start building a client.
    pub fn builder(config: ClientConfig) -> ClientBuilder {
        ClientBuilder::new(config)
    }

    /// Run an operation through the stack; the response passed the envelope check.
    ///
    /// The operation deadline starts when this is called.
    ///
    /// Runs the client's hooks like every other path: the operation is modified
    /// ([`Hook::modify_operation`](crate::Hook::modify_operation)), each attempt
    /// before signing, each answer classified, and the final answer modified before it
    /// is returned ([`Hook::modify_before_deserialization`](crate::Hook::modify_before_deserialization)).
    pub fn execute(&self, op: Operation) -> impl Future<Output = Result<RawResponse, Error>> + Send + '_ {
        self.start(op).map(|r| r.map(|(_, raw)| raw))
    }

    /// Run an operation and decode the body as JSON into `T`.
    pub fn execute_json<T: serde::de::DeserializeOwned>(&self, op: Operation) -> impl Future<Output = Result<T, Error>> + Send + '_ {
        // A combinator, not an `async` block: the call's future is stored once, not copied again.
        self.start(op).map(move |r| {
            let (op, raw) = r?;
            crate::envelope::decode_json(&op.info(1), &raw.body, op.sensitive_response)
        })
    }

    /// The stack's future for `op`: hooks modify it, it is moved into its `Arc`, and the
    /// final answer goes through the hooks before deserialization.
    #[inline]
    pub(crate) fn start(&self, mut op: Operation) -> impl Future<Output = Result<(Arc<Operation>, RawResponse), Error>> + Send + '_ {
        let hooks = &self.inner.shared.hooks;
        if let Err(e) = hooks.modify_operation(&mut op) {
            return Either::Right(std::future::ready(Err(e)));
        }
        let deadline = tokio::time::Instant::now() + self.inner.shared.config.operation_deadline;
        let op = Arc::new(op);
        let call = Call { op: op.clone(), deadline, auth: None };
        let running = match &self.inner.service {
            ClientStack::Direct(s) => Either::Left(s.handle(call)),
            ClientStack::Layered(s) => Either::Right(s.clone().oneshot(call)),
        };
        Either::Left(running.map(move |r| {
            let mut raw = r?;
            if !hooks.is_empty() {
                hooks.modify_before_deserialization(&op, &mut raw)?;
            }
            Ok((op, raw))
        }))
    }

    /// The client's hooks (for the typed path in `pipeline::typed`).
    pub(crate) fn hook_list(&self) -> &Hooks {
        &self.inner.shared.hooks
    }

    /// The names of the client's hooks, in the order they run.
    pub fn hooks(&self) -> Vec<&'static str> {
        self.inner.shared.hooks.names()
    }

    /// Open a streaming response (server-sent events, long polls): capability gate,
    /// credential, one attempt, status checked; on a rejected credential it renews
    /// and reopens once. The body is left for the caller to read from the
    /// [`StreamResponse`]. The answer's head must arrive within the operation's
    /// [`attempt_timeout`](Operation::attempt_timeout), else the client's.
    pub async fn open_stream(&self, op: Operation) -> Result<StreamResponse, Error> {
        let shared = self.inner.shared.clone();
        open_stream(|| Ok(shared.clone()), op).await
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.shared.config
    }

    /// The underlying reqwest client (shares the connection pool and cookie store).
    ///
    /// The one escape hatch of conf-core's API to its HTTP library, for a request the SDK
    /// does not describe (e.g. opening a join link it returned). What is sent this way
    /// bypasses the whole stack: no envelope, credential, retry, timeout, redirect rule or
    /// trace span, and its errors are reqwest's. It ties your code to conf-core's reqwest
    /// version.
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.shared.http
    }

    /// The API levels discovered so far (reset to re-discover).
    pub fn levels(&self) -> &LevelCache {
        &self.inner.shared.levels
    }

    /// A [`Discovery`] path through this client's whole stack, for discovering a level
    /// outside an operation (`client.levels().level(&negotiator, &client.discovery(), app)`).
    /// It holds the client only while in use: the level cache keeps no handle to it.
    pub fn discovery(&self) -> Discovery {
        let client = self.clone();
        Discovery::new(move |op| {
            let client = client.clone();
            async move { client.execute(op).await }
        })
    }

    /// The retry budget.
    pub fn retry_budget(&self) -> &RetryBudget {
        &self.inner.shared.budget
    }

    /// The client's default authenticator.
    pub fn authenticator(&self) -> Option<&Arc<dyn Authenticator>> {
        self.inner.shared.auth.as_ref()
    }

    /// Spawn a background task that is aborted when the client is dropped.
    /// The task should hold a [`WeakClient`], not a `Client`.
    pub fn spawn_background<F: Future<Output = ()> + Send + 'static>(&self, fut: F) {
        self.inner.tasks.spawn(fut);
    }

    /// Background tasks still running.
    pub fn background_tasks(&self) -> usize {
        self.inner.tasks.len()
    }

    /// A weak handle.
    pub fn downgrade(&self) -> WeakClient {
        WeakClient(Arc::downgrade(&self.inner))
    }
}

type CallLayerFn = Box<dyn FnOnce(CallService) -> CallService + Send>;
type AttemptLayerFn = Box<dyn FnOnce(AttemptService) -> AttemptService + Send>;

/// Builds a [`Client`].
pub struct ClientBuilder {
    config: ClientConfig,
    http: Option<reqwest::Client>,
    cookie_jar: Option<Arc<dyn CookieJar>>,
    envelope: Arc<dyn Envelope>,
    auth: Option<Arc<dyn Authenticator>>,
    negotiator: Option<Arc<dyn Negotiator>>,
    resolver: Option<Arc<dyn EndpointResolver>>,
    call_layers: Vec<CallLayerFn>,
    attempt_layers: Vec<AttemptLayerFn>,
    hooks: Vec<Arc<dyn Hook>>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder").field("config", &self.config).finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// A builder with the plain-HTTP envelope, no auth, no negotiation.
    pub fn new(config: ClientConfig) -> Self {
        Self {
            config,
            http: None,
            cookie_jar: None,
            envelope: Arc::new(HttpStatusEnvelope),
            auth: None,
            negotiator: None,
            resolver: None,
            call_layers: Vec::new(),
            attempt_layers: Vec::new(),
            hooks: Vec::new(),
        }
    }

    /// Keep cookies in `jar`: the client stores what answers set there and sends its
    /// `Cookie` header with every request (calls, streams, redirect hops). Without a jar
    /// the client keeps no cookies.
    #[cfg(feature = "cookies")]
    pub fn cookie_jar(mut self, jar: Arc<dyn CookieJar>) -> Self {
        self.cookie_jar = Some(jar);
        self
    }

    /// Send through `other`'s connection pool (e.g. a token client and the client it
    /// serves): connections are reused across both. The transport settings then are
    /// `other`'s (TLS trust, connect timeout, proxy, user agent, HTTP/1.1 only, and its
    /// cookie jar); this builder's config still rules everything else (timeouts, body
    /// caps, redirects, retry). Combined with [`cookie_jar`](Self::cookie_jar), building
    /// fails with [`Error::InvalidInput`].
    pub fn share_connections(mut self, other: &Client) -> Self {
        self.http = Some(other.inner.shared.http.clone());
        self
    }

    /// The vendor's envelope.
    pub fn envelope(mut self, envelope: impl Envelope) -> Self {
        self.envelope = Arc::new(envelope);
        self
    }

    /// The default authenticator.
    pub fn authenticator(mut self, auth: Arc<dyn Authenticator>) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The negotiator (API-Level header, discovery, capabilities).
    pub fn negotiator(mut self, n: Arc<dyn Negotiator>) -> Self {
        self.negotiator = Some(n);
        self
    }

    /// The endpoint resolver (default: the config's base URL).
    pub fn resolver(mut self, r: Arc<dyn EndpointResolver>) -> Self {
        self.resolver = Some(r);
        self
    }

    /// Add a hook (see [`Hook`]); hooks run in the order they were added.
    pub fn hook(mut self, hook: Arc<dyn Hook>) -> Self {
        self.hooks.push(hook);
        self
    }

    /// Add a tower layer around every call (outermost; sees whole calls).
    pub fn call_layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<CallService> + Send + 'static,
        L::Service: tower::Service<Call, Response = RawResponse, Error = Error> + Clone + Send + Sync + 'static,
        <L::Service as tower::Service<Call>>::Future: Send + 'static,
    {
        self.call_layers.push(Box::new(move |s| CallService::new(layer.layer(s))));
        self
    }

    /// Add a tower layer around every attempt (sees each [`AttemptRequest`] as sent, credentials included).
    pub fn attempt_layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<AttemptService> + Send + 'static,
        L::Service: tower::Service<AttemptRequest, Response = RawResponse, Error = tower::BoxError> + Clone + Send + Sync + 'static,
        <L::Service as tower::Service<AttemptRequest>>::Future: Send + 'static,
    {
        self.attempt_layers.push(Box::new(move |s| AttemptService::new(layer.layer(s))));
        self
    }

    /// Build the client.
    pub fn build(self) -> Result<Client, Error> {
        let http = match (self.http, self.cookie_jar) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid_input("cookie_jar", "a client sharing another's connections uses that client's cookie jar"));
            }
            (Some(h), None) => h,
            (None, None) => self.config.build_http()?,
            (None, Some(jar)) => crate::cookies::http_with(&self.config, jar)?,
        };
        let fixed_base = self.resolver.is_none().then(|| self.config.base_url.clone());
        let fixed_origin = fixed_base.as_ref().map(|u| Arc::from(crate::error::origin(u)));
        let resolver = self.resolver.unwrap_or_else(|| Arc::new(StaticEndpoint(self.config.base_url.clone())));
        let budget = RetryBudget::new(self.config.retry_budget, 5, 10);
        let shared = Arc::new(Shared {
            http: http.clone(),
            envelope: self.envelope,
            auth: self.auth,
            negotiator: self.negotiator,
            levels: LevelCache::default(),
            resolver,
            fixed_base,
            fixed_origin,
            budget,
            hooks: Hooks::new(self.hooks),
            config: self.config,
        });
        // The stack is one concrete type; it is type-erased only where user layers go.
        let http_service = HttpService::new(http, shared.config.max_body_bytes)
            .max_error_body(shared.config.max_error_body_bytes)
            .redirects(shared.config.redirects);
        let attempt = if self.attempt_layers.is_empty() {
            AttemptInner::Http(http_service)
        } else {
            let mut attempt = AttemptService::new(http_service);
            for l in self.attempt_layers {
                attempt = l(attempt);
            }
            AttemptInner::Layered(attempt)
        };
        let attempt = TimeoutLayer { default: shared.config.attempt_timeout }.layer(attempt);
        let stack = Retry::new(shared.clone(), attempt);
        let stack = AuthLayer { shared: shared.clone() }.layer(stack);
        let stack = ApiLevelLayer { shared: shared.clone() }.layer(stack);
        let stack = TraceLayer.layer(stack);
        let service = if self.call_layers.is_empty() {
            ClientStack::Direct(stack)
        } else {
            let mut service = CallService::new(stack);
            for l in self.call_layers {
                service = l(service);
            }
            ClientStack::Layered(service)
        };
        let inner = Arc::new(ClientInner { shared, service, tasks: BackgroundTasks::default() });
        Ok(Client { inner })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::AttemptHandler;
    use crate::operation::Body;
    use url::Url;

    fn op() -> Operation {
        Operation::new("t", "x", http::Method::POST, "/x", "/x")
            .body(Body::Json { bytes: bytes::Bytes::from_static(b"{}"), content_type: None })
    }

    /// The stack runs as one future that is moved a few times per call (memcpy):
    /// it must stay small (it was 4 KiB with boxed layers and copies of the request, 600 bytes now).
    #[tokio::test]
    async fn call_future_stays_small() {
        let client = Client::builder(ClientConfig::parse("http://127.0.0.1:1").unwrap()).build().unwrap();
        assert!(matches!(client.inner.service, ClientStack::Direct(_)), "no user layers: the stack is not type-erased");
        let size = std::mem::size_of_val(&client.execute(op()));
        assert!(size <= 1024, "execute future is {size} bytes");
        let size = std::mem::size_of_val(&client.execute_json::<serde_json::Value>(op()));
        assert!(size <= 1024, "execute_json future is {size} bytes");
        // The attempt's future is boxed once per attempt: below 1 KiB, where glibc
        // would consolidate its fast bins on every allocation.
        let ClientStack::Direct(stack) = &client.inner.service else { unreachable!() };
        let attempt = &stack.inner.inner.inner.inner;
        let request = AttemptRequest::new(http::Method::GET, Url::parse("http://127.0.0.1:1/").unwrap());
        let size = std::mem::size_of_val(&attempt.send_within(request, std::time::Duration::from_secs(1)));
        assert!(size < 1024, "attempt future is {size} bytes");
        let layered = Client::builder(ClientConfig::parse("http://127.0.0.1:1").unwrap())
            .call_layer(tower::layer::util::Identity::new())
            .build()
            .unwrap();
        assert!(matches!(layered.inner.service, ClientStack::Layered(_)));
    }
}
