//! The vendor commands: each builds the vendor's real client from flags or
//! `CONFCTL_<VENDOR>_<FLAG>` variables, runs one call and prints the result.

pub mod fleet;
pub mod lingsun;
pub mod moyun;
pub mod vmr;
pub mod webapi;
pub mod ytx;

use conf_core::{ClientConfig, Error};
use serde::Serialize;
use serde_json::Value;

/// Transport settings for a real server: defaults, plus `--insecure`.
pub fn core_config(base_url: &str, insecure: bool) -> Result<ClientConfig, Error> {
    Ok(ClientConfig::parse(base_url)?.danger_accept_invalid_certs(insecure))
}

/// A required option that clap cannot require (it is optional for other subcommands).
pub fn required<'a>(value: Option<&'a str>, flag: &str) -> Result<&'a str, Error> {
    match value.map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(Error::invalid_input(flag, "is required for this command (flag or environment variable)")),
    }
}

/// A value as JSON (`null` when it cannot be serialized).
pub fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// `Some` text or empty.
pub fn text(v: Option<impl ToString>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}
