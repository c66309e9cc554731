//! # conf-sdk
//!
//! One SDK for the conferencing platforms Chinese enterprises run. Enable only the
//! vendors you need (all five by default):
//!
//! ```toml
//! conf-sdk = { version = "0.1", default-features = false, features = ["ytx", "webapi"] }
//! ```
//!
//! | feature | module | vendor |
//! |---|---|---|
#![cfg_attr(feature = "moyun", doc = "| `moyun` | [`moyun`] | 摩云视讯平台 API: login session, API-Level, 204 endpoints, push |")]
#![cfg_attr(
    not(feature = "moyun"),
    doc = "| `moyun` | `moyun` (crate `moyun-api`; feature off in this build) | 摩云视讯平台 API: login session, API-Level, 204 endpoints, push |"
)]
#![cfg_attr(feature = "vmr", doc = "| `vmr` | [`vmr`] | 会中管理: VMR sessions, commands, live events |")]
#![cfg_attr(
    not(feature = "vmr"),
    doc = "| `vmr` | `vmr` (crate `vmr-rest`; feature off in this build) | 会中管理: VMR sessions, commands, live events |"
)]
#![cfg_attr(feature = "webapi", doc = "| `webapi` | [`webapi`] | meeting WebAPI, join URLs and tokens |")]
#![cfg_attr(
    not(feature = "webapi"),
    doc = "| `webapi` | `webapi` (crate `webapi`; feature off in this build) | meeting WebAPI, join URLs and tokens |"
)]
#![cfg_attr(feature = "ytx", doc = "| `ytx` | [`ytx`] | 云讯 TeleMeeting phone meetings |")]
#![cfg_attr(
    not(feature = "ytx"),
    doc = "| `ytx` | `ytx` (crate `ytx-telemeeting`; feature off in this build) | 云讯 TeleMeeting phone meetings |"
)]
#![cfg_attr(feature = "lingsun", doc = "| `lingsun` | [`lingsun`] | 声网灵隼 Agora Link: OAuth, cloud storage, domain failover |")]
#![cfg_attr(
    not(feature = "lingsun"),
    doc = "| `lingsun` | `lingsun` (crate `lingsun-rest`; feature off in this build) | 声网灵隼 Agora Link: OAuth, cloud storage, domain failover |"
)]
//!
//! Every vendor client runs on [`conf_core`]: the same configuration ([`ClientConfig`]),
//! retry policy, secret types and one [`Error`] type whose [`Error::is_retryable`] says
//! whether trying again can help.
//!
//! Every vendor client (and moyun's app groups, vmr's sessions) is a [`ClientHandle`]: with
//! it in scope, `client.send(request)` sends any typed request, including a hand-built
//! operation wrapped by the vendor's `custom(op)`. [`Hook`]s added with `.hook(..)` on a
//! vendor builder run at the pipeline's named points of every call.
//!
//! The live streams (vmr events, moyun push) are `futures` streams; [`StreamExt`] (from
//! `futures-util`) is re-exported here and from each stream module, so consuming them needs
//! no extra dependency: `use conf_sdk::StreamExt;` brings `.next()` and the other adapters.

pub use conf_core;
pub use conf_core::{ClientConfig, ClientHandle, DateTime, Error, ExposeSecret, Hook, Result, RetryPolicy, SecretString};

/// The `futures-util` extension trait that consumes the SDK's live streams (`.next()`,
/// `.take(n)`, ...), re-exported so that no `futures-util` dependency is needed (it is the same
/// trait as `futures_util::StreamExt` / `futures::StreamExt`).
///
/// ```no_run
/// # #[cfg(feature = "vmr")]
/// # async fn demo(session: conf_sdk::vmr::VmrSession) {
/// use conf_sdk::StreamExt;
///
/// let mut events = session.events();
/// // Items: `Connected`, `Reconnecting { reason, .. }`, `Event(..)`, or the final error.
/// while let Some(Ok(item)) = events.next().await {
///     if let conf_sdk::vmr::events::StreamItem::Event(event) = item {
///         println!("{}", event.name());
///     }
/// }
/// # }
/// ```
pub use futures_util::StreamExt;

/// 摩云视讯平台 API (crate `moyun-api`).
#[cfg(feature = "moyun")]
pub use moyun_api as moyun;

/// In-meeting control of virtual meeting rooms (crate `vmr-rest`).
#[cfg(feature = "vmr")]
pub use vmr_rest as vmr;

/// Meeting WebAPI, join URLs and join tokens (crate `webapi`).
#[cfg(feature = "webapi")]
pub use webapi;

/// ytx TeleMeeting phone meetings (crate `ytx-telemeeting`).
#[cfg(feature = "ytx")]
pub use ytx_telemeeting as ytx;

/// 声网灵隼 Agora Link (crate `lingsun-rest`).
#[cfg(feature = "lingsun")]
pub use lingsun_rest as lingsun;

/// Fleet mode: credentials and sessions shared across processes on Redis (conf-redis; see `docs/fleet.md`).
#[cfg(feature = "redis")]
pub use conf_redis as redis;

/// The README's code blocks, compiled as doctests so the front page cannot rot.
#[cfg(all(doctest, feature = "ytx"))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
