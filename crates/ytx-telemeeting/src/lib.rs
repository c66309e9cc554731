//! # ytx-telemeeting
//!
//! Phone-meeting control on the ytx (云通信) platform: the `TeleMeeting.wx`
//! function (`createMeeting`, `lockMeeting`, `meetingState`, `destroyMeeting`).
//!
//! Every request is signed per attempt ([`sign`]): a fresh China Standard Time
//! timestamp, `Sign` = MD5(accountSID + authToken + timestamp) in the query and
//! `Authorization` = Base64(accountSID|timestamp). Replies are checked by
//! [`YtxEnvelope`]: `statusCode` `"0"` is success; known failure codes
//! ([`ErrorCode`]) carry an explanation of what to fix.
//!
//! ```no_run
//! # async fn demo() -> Result<(), conf_core::Error> {
//! use ytx_telemeeting::{Environment, LockMeetingRequest, YtxClient};
//! let client = YtxClient::builder("ACCOUNT_SID", "AUTH_TOKEN", "APP_ID")
//!     .environment(Environment::Sandbox)
//!     .build()?;
//! client.lock_meeting_with(LockMeetingRequest::new("120", true)).await?;
//! # Ok(()) }
//! ```

mod client;
mod codes;
mod envelope;
pub mod generated;
mod pipeline;
pub mod sign;
mod types;

pub use client::{API_VERSION, Environment, JSON_UTF8, YtxClient, YtxClientBuilder, env};
pub use envelope::{YtxEnvelope, error_code};
pub use generated::*;
pub use pipeline::{custom, decode};
pub use sign::{Clock, YtxSigner};
