//! Local emulators of the conferencing platforms conf-sdk speaks to, with fault injection.
//!
//! Each vendor emulator is a module behind the cargo feature named after the vendor (`moyun`,
//! `vmr`, `webapi`, `ytx`, `lingsun`). Emulators are written from the vendor documents, never
//! from the client crates, and share one [`harness`]:
//!
//! - [`Server`] serves an [`axum::Router`] on `127.0.0.1:0`, ready when `start` returns. It
//!   logs every request ([`RequestLog`]: method, path, query, headers, body, applied fault),
//!   applies [`Fault`]s chosen by [`FaultRule`]s (delays, dropped connections before or after
//!   handling, error statuses, nginx pages, malformed or truncated JSON, canned bodies,
//!   credential expiry), and can refuse connections and listen again on the same port.
//! - [`harness::sse`] has an SSE event writer, a broadcast [`Hub`](harness::sse::Hub) and a
//!   [`StreamControl`](harness::sse::StreamControl) with which a test cuts, stalls or aborts
//!   every open stream or long poll.
//!
//! # How an emulator plugs in
//!
//! An emulator is a `Clone` value around shared state with `new(config)`, `router()` and
//! `async fn start(config) -> std::io::Result<(Self, Server)>`, which starts a [`Server`] on its
//! router and registers the credential-expiry hook. Tests then steer both:
//!
//! ```
//! use std::sync::{Arc, atomic::{AtomicU64, Ordering}};
//! use axum::{Router, extract::State, routing::post};
//! use conf_sandbox::{Fault, FaultRule, Server};
//!
//! /// A toy emulator: counts meetings, issues tokens with a generation number.
//! #[derive(Clone, Default)]
//! struct CounterEmulator {
//!     meetings: Arc<AtomicU64>,
//!     token_generation: Arc<AtomicU64>,
//! }
//!
//! impl CounterEmulator {
//!     fn router(&self) -> Router {
//!         Router::new()
//!             .route("/meetings", post(|State(emu): State<CounterEmulator>| async move {
//!                 let n = emu.meetings.fetch_add(1, Ordering::SeqCst) + 1;
//!                 axum::Json(serde_json::json!({ "code": 0, "data": { "id": n } }))
//!             }))
//!             .with_state(self.clone())
//!     }
//!
//!     async fn start() -> std::io::Result<(Self, Server)> {
//!         let emu = Self::default();
//!         let server = Server::start(emu.router())?;
//!         let hook = emu.clone();
//!         server.on_expire_credentials(move || {
//!             hook.token_generation.fetch_add(1, Ordering::SeqCst);
//!         });
//!         Ok((emu, server))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let (emu, server) = CounterEmulator::start().await?;
//! // the first POST is answered with 503 and Retry-After: 1; the emulator is not called
//! server.faults().add(
//!     FaultRule::new(Fault::retry_after(503, "1"))
//!         .method(http::Method::POST)
//!         .path_exact("/meetings")
//!         .once(),
//! );
//! // the client under test would now call server.base_url() + "/meetings" ...
//! # let _ = (emu, server.base_url());
//! assert_eq!(server.log().count("POST", "/meetings"), 0);
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! A runnable version with a real client is `examples/harness.rs`.

pub mod harness;

#[cfg(feature = "lingsun")]
pub mod lingsun;
#[cfg(feature = "moyun")]
pub mod moyun;
#[cfg(feature = "vmr")]
pub mod vmr;
#[cfg(feature = "webapi")]
pub mod webapi;
#[cfg(feature = "ytx")]
pub mod ytx;

pub use harness::{Fault, FaultRule, Faults, LoggedRequest, RequestLog, Server};
