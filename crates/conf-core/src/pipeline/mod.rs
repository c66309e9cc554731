//! The typed pipeline: operations with their serializer and deserializer
//! ([`typed`]) and lazy paginators ([`paginator`]). The named points where vendors
//! and users hook into a call are [`crate::hooks`].

pub mod paginator;
pub mod typed;
