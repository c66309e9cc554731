//! # conf-sdk
//!
//! The umbrella crate: conf-core's configuration and error types, and one module per vendor feature.

pub use conf_core::{Client, ClientConfig, Error, Result, RetryPolicy, SecretString};
