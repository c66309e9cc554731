//! # vmr-rest
//!
//! In-meeting control of a virtual meeting room (vmr) for conf-sdk: the join check at the
//! API server, sessions with automatic token refresh, every conference and participant
//! command of the vendor document, and the live event stream.
//!
//! ```no_run
//! # async fn demo() -> Result<(), conf_core::Error> {
//! use vmr_rest::{CheckJoinRequest, LockRequest, SessionOptions, VmrClient};
//! let vmr = VmrClient::builder().base_url("https://api.example.com").build()?;
//! let session = vmr
//!     .join(CheckJoinRequest::new("1061", "Robot").join_pwd("123456"), SessionOptions::new("Robot"))
//!     .await?;
//! session.conference().lock_with(LockRequest::new()).await?;
//! session.close().await?;
//! # Ok(()) }
//! ```
//!
//! Layout: [`VmrClient`] talks to the API server and hands out one shared [`Mcu`] per
//! conference node; [`Room`] is the base `https://<mcuHost>/api/services/<room>/` where a
//! session is opened; [`VmrSession`] holds the token and has every conference and
//! participant command (generated from `spec/*.toml`: they exist only on the session type,
//! so a command without a session does not compile); [`events`] and [`Roster`] follow the
//! room live.
//! See `docs/vmr-rest.md` for the lifecycle and the deployment differences.

mod client;
mod codes;
pub mod deployment;
pub mod events;
#[allow(missing_docs, clippy::all, clippy::pedantic)]
mod generated;
mod pipeline;
mod roster;
mod session;
pub mod wire;

pub use client::{Mcu, Room, VmrClient, VmrClientBuilder, env, mcu_base};
pub use codes::ErrorCode;
pub use deployment::{Deployment, DeploymentProfile, VmrNegotiator};
pub use events::{Event, EventOptions, EventStream};
pub use generated::*;
pub use pipeline::{custom, decode_api, decode_node};
pub use roster::Roster;
pub use session::{DEFAULT_LIFETIME, LIFETIME_RANGE, RefreshPolicy, SessionAuth, SessionOptions, SessionStats, VmrSession};
pub use wire::PinError;
