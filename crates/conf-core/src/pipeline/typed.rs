//! Typed operations: a request type with its serializer and deserializer, run end to
//! end by the client ([`Client::send`]).
//!
//! Generated vendor code implements [`TypedOperation`] for every request type and
//! [`ClientHandle`] for every vendor client type (which conf-core client to use, and
//! per-call options such as a session's credential); a generated method is then just
//! [`ClientHandle::send`]. Vendor behaviour lives in [hooks](crate::hooks)
//! registered on the conf-core client, so every path through it applies them.

use std::future::Future;

use futures_util::FutureExt;
use futures_util::future::Either;

use serde::de::DeserializeOwned;
use url::Url;

use crate::client::Client;
use crate::codegen::PageLimits;
use crate::error::Error;
use crate::operation::{AuthMode, Operation};
use crate::request::RawResponse;

impl Client {
    /// Run a typed operation through the whole pipeline: serialize, hooks, gate,
    /// identity, signing, send (retry, timeout, resolver), envelope, deserialize.
    pub fn send<T: TypedOperation>(&self, request: T) -> impl Future<Output = Result<T::Output, Error>> + Send + '_ {
        self.send_with(request, CallOptions::default())
    }

    /// [`send`](Self::send) with per-call options (another base URL, other credentials).
    pub fn send_with<T: TypedOperation>(
        &self,
        request: T,
        options: CallOptions,
    ) -> impl Future<Output = Result<T::Output, Error>> + Send + '_ {
        self.send_sized(request, options).map(|r| r.map(|(out, _)| out))
    }

    /// [`send_with`](Self::send_with), also answering the size of the body the output
    /// was read from.
    pub fn send_sized<T: TypedOperation>(
        &self,
        request: T,
        options: CallOptions,
    ) -> impl Future<Output = Result<(T::Output, usize), Error>> + Send + '_ {
        let deserialize = request.deserializer();
        let op = request.serialize().map(|mut op| {
            options.apply(&mut op);
            op
        });
        let running = match op {
            Ok(op) => Either::Left(self.start(op)),
            Err(e) => Either::Right(std::future::ready(Err(e))),
        };
        let hooks = self.hook_list();
        running.map(move |r| {
            let (op, raw) = r?;
            let size = raw.body.len();
            let out = deserialize(&op, &raw);
            if !hooks.is_empty() {
                hooks.read_after_deserialization(&op, out.as_ref().map(|o| o as &(dyn std::any::Any + Send)));
            }
            out.map(|o| (o, size))
        })
    }
}

/// An operation's deserializer: reads the final answer (it passed the envelope and
/// the hooks) into the output or a typed error.
pub type Deserializer<T> = fn(&Operation, &RawResponse) -> Result<T, Error>;

/// A request type that knows how to become an HTTP call and how to read the answer.
pub trait TypedOperation: Send + Sized + 'static {
    /// What a successful call answers.
    type Output: Send + 'static;

    /// Validate (bad input is [`Error::InvalidInput`], before anything is sent) and
    /// describe the call.
    fn serialize(self) -> Result<Operation, Error>;

    /// How the answer is read.
    fn deserializer(&self) -> Deserializer<Self::Output>;
}

/// Per-call options a client handle adds to every operation it sends.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CallOptions {
    /// Send to this base URL instead of the client's (a vmr room on its node).
    pub base: Option<Url>,
    /// Use these credentials instead of the client's (one vmr session among many).
    pub auth: Option<AuthMode>,
}

impl CallOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Send to `base` instead of the client's base URL.
    #[must_use]
    pub fn base(mut self, base: Url) -> Self {
        self.base = Some(base);
        self
    }

    /// Use `auth` instead of the client's credentials.
    #[must_use]
    pub fn auth(mut self, auth: AuthMode) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Put these options on `op`.
    pub fn apply(&self, op: &mut Operation) {
        if let Some(b) = &self.base {
            op.base_override = Some(b.clone());
        }
        // An operation that needs no credential (a login) keeps needing none.
        if let (Some(a), false) = (&self.auth, matches!(op.auth, AuthMode::None)) {
            op.auth = a.clone();
        }
    }
}

/// A vendor client type generated methods are called on: which conf-core client sends,
/// with which per-call options. `send` runs any typed operation through it.
pub trait ClientHandle {
    /// The conf-core client (its hooks, credentials, layers).
    fn core(&self) -> &Client;

    /// Options added to every operation sent through this handle (default: none).
    fn call_options(&self) -> CallOptions {
        CallOptions::default()
    }

    /// Send `request` through this handle's client with its options: the whole
    /// pipeline (a generated request type, or a hand-built operation in [`Custom`]).
    fn send<T: TypedOperation>(&self, request: T) -> impl Future<Output = Result<T::Output, Error>> + Send + '_ {
        self.core().send_with(request, self.call_options())
    }

    /// Bounds of the paginators started through this handle (default: [`PageLimits::default`]).
    fn page_limits(&self) -> PageLimits {
        PageLimits::default()
    }

    /// [`send`](Self::send), also answering the size of the body the output was read
    /// from (page walkers bound the bytes they receive).
    fn send_sized<T: TypedOperation>(&self, request: T) -> impl Future<Output = Result<(T::Output, usize), Error>> + Send + '_ {
        self.core().send_sized(request, self.call_options())
    }
}

/// A borrowed handle is a handle (fluent builders of ungrouped clients hold `&Client`).
impl<T: ClientHandle + ?Sized> ClientHandle for &T {
    fn core(&self) -> &Client {
        (**self).core()
    }

    fn call_options(&self) -> CallOptions {
        (**self).call_options()
    }

    fn page_limits(&self) -> PageLimits {
        (**self).page_limits()
    }

    fn send<O: TypedOperation>(&self, request: O) -> impl Future<Output = Result<O::Output, Error>> + Send + '_ {
        (**self).send(request)
    }

    fn send_sized<O: TypedOperation>(&self, request: O) -> impl Future<Output = Result<(O::Output, usize), Error>> + Send + '_ {
        (**self).send_sized(request)
    }
}

impl ClientHandle for Client {
    fn core(&self) -> &Client {
        self
    }
}

/// A hand-built [`Operation`] (an endpoint no spec describes) sent as a typed one:
/// its answer is read by `decode` (a vendor crate's `custom` gives its own
/// deserializer, so the vendor's envelope and payload rules apply).
pub struct Custom<T> {
    op: Operation,
    decode: Deserializer<T>,
}

impl<T> std::fmt::Debug for Custom<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Custom").field("op", &self.op).finish_non_exhaustive()
    }
}

impl<T> Custom<T> {
    /// `op`, whose answer `decode` reads.
    pub fn new(op: Operation, decode: Deserializer<T>) -> Self {
        Self { op, decode }
    }
}

impl<T: DeserializeOwned + Send + 'static> Custom<T> {
    /// `op`, whose whole answer is read as JSON.
    pub fn json(op: Operation) -> Self {
        Self::new(op, decode_json::<T>)
    }
}

impl<T: Send + 'static> TypedOperation for Custom<T> {
    type Output = T;

    fn serialize(self) -> Result<Operation, Error> {
        Ok(self.op)
    }

    fn deserializer(&self) -> Deserializer<T> {
        self.decode
    }
}

/// The default deserializer: the whole body as JSON into `T`.
pub fn decode_json<T: DeserializeOwned>(op: &Operation, response: &RawResponse) -> Result<T, Error> {
    crate::envelope::decode_json(&op.info(1), &response.body, op.sensitive_response)
}
