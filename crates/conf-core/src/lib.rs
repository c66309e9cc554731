//! # conf-core
//!
//! The shared transport under every conf-sdk vendor crate: a tower stack over
//! `reqwest` (tracing, API-Level negotiation, auth with single-flight refresh,
//! retry with backoff, jitter and a budget, per-attempt timeouts), one error
//! type, envelope decoding and secret types. It knows nothing of any vendor:
//! vendor crates describe each call as an [`Operation`] and plug in their
//! [`Envelope`], [`Hook`]s, [`IdentityResolver`] and [`Signer`], and [`Negotiator`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), conf_core::Error> {
//! use conf_core::{Client, ClientConfig, Operation};
//! let client = Client::builder(ClientConfig::parse("https://meet.example.com")?).build()?;
//! let op = Operation::new("demo", "status", http::Method::GET, "/status", "/status");
//! let status: serde_json::Value = client.execute_json(op).await?;
//! # Ok(()) }
//! ```

mod attempt;
mod attempt_request;
pub mod auth;
mod body;
mod call;
mod client;
pub mod codegen;
pub mod config;
mod cookies;
mod datetime;
pub mod de;
pub mod endpoint;
pub mod envelope;
pub mod error;
pub mod hooks;
pub mod layers;
pub mod negotiate;
pub mod operation;
pub mod pipeline;
pub mod reconnect;
mod redirect;
pub mod request;
pub mod retry;
pub mod secret;
pub mod store;
pub mod stream;
pub mod tasks;
pub mod text;
pub mod vendor_builder;
pub mod vendor_code;

pub use auth::{
    AuthScheme, AuthState, Authenticator, CacheStats, CachedCredential, CredentialCache, Identity, IdentityResolver, Loaded, NoIdentity,
    Rejection, Signer,
};
pub use client::{Client, ClientBuilder, WeakClient};
pub use config::{ClientConfig, RedirectPolicy, USER_AGENT};
pub use cookies::CookieJar;
pub use datetime::DateTime;
pub use endpoint::{AttemptOutcome, EndpointResolver, StaticEndpoint};
pub use envelope::{Envelope, HttpStatusEnvelope};
pub use error::{Error, RequestInfo, Result, TimeoutKind, TransportCause, TransportKind};
pub use hooks::Hook;
pub use negotiate::{Discovery, Negotiator};
pub use operation::{AuthMode, Body, FileSource, Operation, Part, PartKind};
pub use pipeline::typed::{CallOptions, ClientHandle, Custom, Deserializer, TypedOperation};
pub use reconnect::{ReconnectPolicy, ReconnectingStream, StreamItem};
pub use request::{AttemptParts, AttemptRequest, RawResponse};
pub use retry::{RetryBudget, RetryPolicy};
pub use secret::{ExposeSecret, SecretString};
pub use stream::StreamResponse;
pub use text::sanitize;
pub use vendor_builder::{AttemptLayer, CallLayer, EnvVars, UserLayers};
pub use vendor_code::VendorCode;

/// Re-exports generated code relies on, so vendor crates need not name them.
#[doc(hidden)]
pub mod __private {
    pub use bytes;
    pub use http;
    pub use serde;
    pub use serde_json;
}
