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
//! | `moyun` | [`moyun`] | 摩云视讯平台 API: login session, API-Level, 204 endpoints, push |
//! | `vmr` | [`vmr`] | 会中管理: VMR sessions, commands, live events |
//! | `webapi` | [`webapi`] | meeting WebAPI, join URLs and tokens |
//! | `ytx` | [`ytx`] | 云讯 TeleMeeting phone meetings |
//! | `lingsun` | [`lingsun`] | 声网灵隼 Agora Link: OAuth, cloud storage, domain failover |
//!
//! Every vendor client runs on [`conf_core`]: the same configuration ([`ClientConfig`]),
//! retry policy, secret types and one [`Error`] type whose [`Error::is_retryable`] says
//! whether trying again can help.

pub use conf_core;
pub use conf_core::{ClientConfig, Error, ExposeSecret, Result, RetryPolicy, SecretString};

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

/// The README's code blocks, compiled as doctests so the front page cannot rot.
#[cfg(all(doctest, feature = "ytx"))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
