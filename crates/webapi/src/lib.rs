//! # webapi
//!
//! The classroom/meeting **Web 服务器 API**: book, change and delete meetings, bind
//! documents, upload backgrounds, read the login log, recordings and live streams, and
//! hand out join links, including the single-parameter link with an encrypted join
//! token that is byte-exact with the vendor's Java and PHP reference code.
//!
//! - Endpoints are generated from `spec/webapi.toml` ([`generated`]); POST endpoints send
//!   `multipart/form-data`, GET endpoints a query string.
//! - The company id `key` is a secret added to every attempt by [`KeyAuthenticator`].
//! - Replies are checked by [`WebApiEnvelope`]: a non-zero `result` / `code` is
//!   [`conf_core::Error::Vendor`]; [`error_code`] gives the typed [`ErrorCode`].
//! - Invalid input (empty name, chairman password outside 4..=20 characters, end not
//!   after start) is [`conf_core::Error::InvalidInput`] and nothing is sent.
//! - `meetingcreate` is never replayed once it may have reached the server: a lost reply
//!   is [`conf_core::Error::OutcomeUnknown`].
//! - [`token`]: join tokens (Java and PHP flavours) and [`TokenKey::inspect`];
//!   [`links`]: join URLs and record/file path resolution.
//!
//! ```no_run
//! # async fn demo() -> Result<(), conf_core::Error> {
//! use std::time::{Duration, SystemTime};
//! use webapi::{MeetingCreateRequest, WebApiClient};
//! let client = WebApiClient::builder("COMPANY_KEY").base_url("https://meet.example.com").build()?;
//! let start = SystemTime::now() + Duration::from_secs(600);
//! let meeting = client
//!     .meeting_create_with(MeetingCreateRequest::new("周会", start, "8888").end_time(start + Duration::from_secs(3600)))
//!     .await?;
//! println!("meeting {}", meeting.serial.unwrap_or_default());
//! # Ok(()) }
//! ```

mod client;
mod codes;
mod envelope;
pub mod generated;
pub mod links;
mod pipeline;
pub mod token;

pub use client::{KEY_FIELD, KeyAuthenticator, WebApiClient, WebApiClientBuilder, env};
pub use envelope::{WebApiEnvelope, error_code, vendor_error};
pub use generated::*;
pub use links::{JoinLinks, JoinParams, resolve_path};
pub use pipeline::{custom, decode};
pub use token::{InspectedToken, JoinPayload, JoinRole, TokenFlavour, TokenKey};
