//! Cross-crate proof of conf-sdk's reliability: the fault matrix (every vendor's core flow
//! against its emulator, once per injected fault) and the helpers of the secret audit.
//!
//! The tests live in `tests/tests/`: `fault_matrix.rs` runs [`matrix::run_all`] and asserts
//! every cell; `secret_audit.rs` runs the same flows (and `confctl tour`) with TRACE logging
//! captured by [`capture`] and searches the output for every secret used.

pub mod capture;
pub mod flows;
pub mod hostile;
pub mod matrix;
