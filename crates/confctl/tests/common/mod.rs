//! What every confctl integration test shares.

use std::process::Command;

/// The confctl binary with a clean environment: no `CONFCTL_*` credential or endpoint and
/// no proxy variable from the machine running the tests reaches it.
pub fn confctl_command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_confctl"));
    for (k, _) in std::env::vars() {
        if k.starts_with("CONFCTL_") || k.ends_with("_proxy") || k.ends_with("_PROXY") {
            c.env_remove(k);
        }
    }
    c
}
