//! # moyun-api
//!
//! A Rust client for the Kedacom Moyun (摩云) conferencing platform API:
//! login session with cookie jar, API-Level negotiation per app
//! (`system`, `mc`, `vc`, `nms`, `amc`, `vrs`), the 204 documented endpoints
//! generated from `spec/*.toml`, validate-only debug mode and CometD push.
//!
//! Every endpoint is a fluent builder on its app's handle (`client.vc().add_mts()`,
//! `client.mc().create_conf()`, ...): set the fields, then `.send()` (a missing required
//! field is `InvalidInput` before anything is sent); `<op>_with(request)` sends a
//! `<Method>Request` built elsewhere. Paged listings have `.into_paginator()` (a lazy
//! stream of pages; `.items()` of items). The endpoint table is in
//! `docs/endpoints/moyun-api.md`.
//! Platform errors are [`conf_core::Error::Vendor`] with the code's meaning from
//! [`ErrorCode`]; codes 20001-20004 (MCU busy) are retryable.
//!
//! ```no_run
//! # async fn demo() -> conf_core::Result<()> {
//! use moyun_api::{AccountType, MoyunClient, MtSpec, Protocol, VcAddMtsRequest};
//! let client = MoyunClient::builder("app-key", "app-secret", "user", "password").base_url("http://10.0.0.1").build()?;
//! let mut confs = client.vc().list_confs().into_paginator().items();
//! while let Some(conf) = confs.next().await {
//!     let conf = conf?;
//!     println!("{:?} {:?}", conf.conf_id, conf.name);
//! }
//! let mt = MtSpec { account_type: AccountType::E164, account: "2322231".into(), bitrate: 2048, protocol: Protocol::H323, ..MtSpec::default() };
//! let added = client.vc().add_mts_with(VcAddMtsRequest::new("1118986", vec![mt])).await?;
//! println!("{:?}", added.mts);
//! # Ok(()) }
//! ```

mod client; // partner: MoyunClient (wraps conf_core::Client)
mod codes; // typed vendor codes (conf_core::VendorCode for ErrorCode)
pub mod debug; // spec owner: validate-only calls (`debug=1`)
mod envelope; // spec owner: MoyunEnvelope + error table
mod form; // the document's form content type (`charset=utf-8`)
pub mod generated; // spec owner: generator output (never hand-edited)
pub mod negotiate; // partner: Negotiator (API-Level header, /api/{app}/version)
mod pipeline; // what moyun plugs into the conf-core pipeline: hooks, deserializer, client handle
mod presets;
pub mod push; // partner: CometD client
pub mod session; // partner: login session + Authenticator + cookie jar

pub use client::{DEFAULT_HEARTBEAT_INTERVAL, MoyunClient, MoyunClientBuilder, SDK_API_LEVEL, env};
pub use conf_core::codegen::PageLimits;
pub use envelope::MoyunEnvelope;
pub use form::FORM_CONTENT_TYPE;
pub use generated::*;
pub use pipeline::{custom, decode};
pub use session::Session;
pub use session::cookies::SessionCookieJar;
