//! [`Source`]: the protocol side of a reconnecting stream (open one connection, read it).

use std::future::Future;
use std::time::Duration;

use super::item::DropReason;
use crate::error::{Error, RequestInfo};

/// What one read of an open connection gave.
#[derive(Debug)]
#[non_exhaustive]
pub enum Signal<E> {
    /// An event: delivered, proves the connection healthy (resets the failure count when
    /// the connection drops later) and feeds the silence watchdog.
    Event(E),
    /// An event that does not prove the connection healthy (e.g. a subscription report
    /// right after connecting): delivered, feeds the watchdog only.
    Notice(E),
    /// A sign of life without an event (a keep-alive line): feeds the watchdog only.
    KeepAlive,
    /// A sign the connection works (e.g. a successful long poll): resets the failure
    /// count when it drops later, and feeds the watchdog.
    Healthy,
    /// The connection dropped: the stream reconnects.
    Dropped(DropReason),
    /// The stream is over (e.g. the server said goodbye, the session was closed): it ends
    /// without an error.
    Finished,
}

/// Why [`Source::connect`] failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectError {
    /// A failure worth retrying (network, server error, timeout).
    Failed(Error),
    /// The server rejected the credential, which the source has renewed (e.g. through
    /// [`Client::open_stream`](crate::Client::open_stream), which renews once). The stream retries;
    /// a second rejection in a row ends it with [`Error::Auth`].
    Rejected(Error),
    /// A failure retrying cannot help: the stream ends with it.
    Fatal(Error),
    /// The source is gone (its session closed, its client dropped): the stream ends
    /// without an error.
    Closed,
}

/// The protocol side of a [`ReconnectingStream`](super::ReconnectingStream): it opens one
/// connection at a time and reads it. Backoff, the silence watchdog, the failure budget
/// and the lifecycle items are the stream's.
pub trait Source: Send + 'static {
    /// The events.
    type Event: Send + 'static;

    /// Open a connection (after the previous one dropped, if any).
    fn connect(&mut self) -> impl Future<Output = Result<(), ConnectError>> + Send;

    /// Read the open connection. Cancel safe: it may be dropped when the watchdog fires
    /// or the consumer goes away.
    fn next(&mut self) -> impl Future<Output = Signal<Self::Event>> + Send;

    /// The silence limit of the current connection, given the policy's: by default the
    /// policy's (a long-polling protocol adds the hold time its server advised).
    fn silence_timeout(&self, policy: Duration) -> Duration {
        policy
    }

    /// The open connection dropped for `reason` (told before the wait and the next
    /// [`Self::connect`]): forget it. By default nothing.
    fn dropped(&mut self, reason: &DropReason) {
        let _ = reason;
    }

    /// Resolves when the source is gone (its session closed): ends a wait between attempts.
    /// By default never.
    fn closed(&mut self) -> impl Future<Output = ()> + Send {
        std::future::pending()
    }

    /// Say goodbye to the server (best effort) when the stream stops. By default nothing.
    fn close(&mut self) -> impl Future<Output = ()> + Send {
        std::future::ready(())
    }

    /// What the credential is called in errors (e.g. "session's token"). By default "credential".
    fn credential_name(&self) -> &'static str {
        "credential"
    }

    /// What the errors the stream itself makes (budget spent, credential rejected) name.
    fn request(&self) -> RequestInfo;
}
