//! One [`Flow`](crate::matrix::Flow) per vendor: its core flow against its emulator.

pub mod lingsun;
pub mod moyun;
pub mod vmr;
pub mod webapi;
pub mod ytx;
