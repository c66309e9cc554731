//! The emulator harness: a loopback HTTP [`Server`] around an axum [`Router`](axum::Router),
//! with a [`RequestLog`], [`Faults`] injected per request, connection refusal, and [`sse`]
//! helpers for streaming endpoints.

mod fault;
mod log;
mod server;
pub mod sse;

pub use fault::{Fault, FaultRule, Faults, MALFORMED_JSON_BODY, nginx_error_page};
pub use log::{LoggedRequest, RequestLog};
pub use server::Server;
