//! # vmr-rest
//!
//! In-meeting control of a virtual meeting room (vmr) for conf-sdk: the join check at the
//! API server, sessions with automatic token refresh, every conference and participant
//! command of the vendor document, and the live event stream.
//!
//! ```no_run
//! # async fn demo() -> Result<(), conf_core::Error> {
//! use vmr_rest::{CheckJoinRequest, LockRequest, SessionOptions, VmrClient};
//! let vmr = VmrClient::new("https://api.example.com")?;
//! let session = vmr
//!     .join(CheckJoinRequest::new("1061", "Robot").join_pwd("123456"), SessionOptions::new("Robot"))
//!     .await?;
//! session.lock(LockRequest::new()).await?;
//! session.close().await?;
//! # Ok(()) }
//! ```
//!
//! Layout: [`VmrClient`] talks to the API server and hands out one shared [`Mcu`] per
//! conference node; [`Room`] is the base `https://<mcuHost>/api/services/<room>/` of every
//! command (generated from `spec/*.toml`); [`VmrSession`] holds the token and
//! dereferences to its room; [`events`] and [`Roster`] follow the room live.
//! See `docs/vmr-rest.md` for the lifecycle and the deployment differences.

mod client;
pub mod deployment;
pub mod events;
#[allow(missing_docs, clippy::all, clippy::pedantic)]
mod generated;
mod roster;
mod session;
pub mod wire;

pub use client::{Mcu, Room, VmrClient, mcu_base};
pub use deployment::{Deployment, DeploymentProfile, VmrNegotiator};
pub use events::{Event, EventOptions, EventStream};
pub use generated::*;
pub use roster::Roster;
pub use session::{DEFAULT_LIFETIME, LIFETIME_RANGE, RefreshPolicy, SessionAuth, SessionOptions, SessionStats, VmrSession};
pub use wire::PinError;
