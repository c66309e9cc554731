//! # lingsun-rest
//!
//! The 声网灵隼 (Agora Link) RESTful API: cloud-storage packages and orders, and
//! third-party account registration, login and removal.
//!
//! - **OAuth** ([`oauth`]): the token from `/agoralink/{region}/api/oauth/rest-token`
//!   (`password` or `client_credentials` grant) is cached until it nearly expires,
//!   renewed single-flight with the `refresh_token` grant (a new full grant if that
//!   fails), and sent as `Authorization: Bearer <token>`; a 401 renews it and replays
//!   the call once.
//! - **Domain failover** ([`failover`], [`domains`]): primary domain by area, the same
//!   domain once more, the other primary, then the regional domains next to the one in
//!   use; the host that last answered is preferred for 30 s.
//!
//! ```no_run
//! # async fn demo() -> Result<(), conf_core::Error> {
//! use lingsun_rest::{Grant, LingsunClient};
//! let client = LingsunClient::builder("CLIENT_ID", "CLIENT_SECRET", Grant::ClientCredentials).build()?;
//! let packages = client.get_all_packages_with(lingsun_rest::GetAllPackagesRequest::new()).await?;
//! println!("{} packages", packages.data.unwrap_or_default().len());
//! # Ok(()) }
//! ```

mod client;
mod codes;
pub mod domains;
mod envelope;
pub mod failover;
pub mod generated;
pub mod oauth;
mod pipeline;
mod types;

pub use client::{LingsunClient, LingsunClientBuilder, Region, default_config, default_retry, env, request_header};
pub use domains::{Area, Hosts, PrimaryDomain, REGIONS, RegionInfo};
pub use envelope::LingsunEnvelope;
pub use failover::{FailoverResolver, HOST_MEMORY};
pub use generated::*;
pub use oauth::{AccessToken, BearerSigner, Grant, LingsunAuth, MAX_TOKEN_LIFETIME, MIN_TOKEN_LIFETIME};
pub use pipeline::custom;
