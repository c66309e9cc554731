//! # moyun-api
//!
//! A Rust client for the Kedacom Moyun (摩云) conferencing platform API:
//! login session with cookie jar, API-Level negotiation per app
//! (`system`, `mc`, `vc`, `nms`, `amc`, `vrs`), the 204 documented endpoints
//! generated from `spec/*.toml`, validate-only debug mode and CometD push.
//!
//! Every endpoint is a method named `<app>_<verb>_<resource>` (`vc_add_mts`,
//! `mc_create_conf`, `vc_list_confs`, ...) taking a typed `<Method>Request` and
//! answering a tolerant `<Method>Response`; list endpoints also have an `all_<method>`
//! page walker. The endpoint table is in `docs/endpoints/moyun-api.md`.
//! Platform errors are [`conf_core::Error::Vendor`] with the code's meaning from
//! [`ErrorCode`]; codes 20001-20004 (MCU busy) are retryable.
//!
//! ```no_run
//! # async fn demo() -> conf_core::Result<()> {
//! use moyun_api::{AccountType, MoyunClient, MtSpec, Protocol, VcAddMtsRequest, VcListConfsRequest};
//! let client = MoyunClient::builder("app-key", "app-secret", "user", "password").base_url("http://10.0.0.1").build()?;
//! for conf in client.all_vc_list_confs(VcListConfsRequest::new()).await? {
//!     println!("{:?} {:?}", conf.conf_id, conf.name);
//! }
//! let mt = MtSpec { account_type: AccountType::E164, account: "2322231".into(), bitrate: 2048, protocol: Protocol::H323, ..MtSpec::default() };
//! let added = client.vc_add_mts(VcAddMtsRequest::new("1118986", vec![mt])).await?;
//! println!("{:?}", added.mts);
//! # Ok(()) }
//! ```

mod client; // partner: MoyunClient (wraps conf_core::Client), `call`, `call_bytes`
mod codes; // typed vendor codes (conf_core::VendorCode for ErrorCode)
pub mod debug; // spec owner: validate-only calls (`debug=1`)
mod envelope; // spec owner: MoyunEnvelope + error table
mod form; // the document's form content type (`charset=utf-8`)
pub mod generated; // spec owner: generator output (never hand-edited)
pub mod negotiate; // partner: Negotiator (API-Level header, /api/{app}/version)
mod presets;
pub mod push; // partner: CometD client
pub mod session; // partner: login session + Authenticator + cookie jar

pub use client::{DEFAULT_HEARTBEAT_INTERVAL, MoyunClient, MoyunClientBuilder, SDK_API_LEVEL, env};
pub use conf_core::codegen::PageLimits;
pub use envelope::MoyunEnvelope;
pub use form::FORM_CONTENT_TYPE;
pub use generated::*;
pub use session::Session;
pub use session::cookies::SessionCookieJar;
