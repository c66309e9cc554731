//! Reconnecting streams: one implementation of capped backoff with jitter, a silence
//! watchdog, a consecutive-failure budget, credential renewal on rejection and
//! observable lifecycle items, shared by every vendor's live stream (vmr server-sent
//! events, moyun CometD push).
//!
//! A vendor implements [`Source`] (open one connection, read it); a
//! [`ReconnectingStream`] drives it and yields `Result<`[`StreamItem`]`<E>, Error>`:
//! `Connected`, then events, after a drop `Reconnecting { reason, attempt, delay }`, then
//! `Connected` again. It ends with `None` after a normal end, or with one `Err` (then
//! `None`) when the failure budget is spent, the credential is rejected again right
//! after its renewal, or the source reports a final failure ([`ReconnectingStream::end`]
//! says which).
//!
//! ```no_run
//! # async fn demo<E: std::fmt::Debug + Send + 'static>(mut stream: conf_core::reconnect::ReconnectingStream<E>) {
//! use conf_core::reconnect::StreamItem;
//! while let Some(item) = stream.next_item().await {
//!     match item {
//!         Ok(StreamItem::Event(e)) => println!("{e:?}"),
//!         Ok(StreamItem::Reconnecting { reason, attempt, delay }) => eprintln!("drop #{attempt} ({reason}); again in {delay:?}"),
//!         Ok(_) => {}
//!         Err(e) => eprintln!("gave up: {e}"),
//!     }
//! }
//! # }
//! ```

mod driver;
mod handle;
mod item;
mod policy;
mod source;

pub use handle::{DriverFuture, ReconnectBuilder, ReconnectingStream};
pub use item::{DropReason, StreamEnd, StreamItem};
pub use policy::ReconnectPolicy;
pub use source::{ConnectError, Signal, Source};
