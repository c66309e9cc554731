//! What a reconnecting stream yields: [`StreamItem`]s, and why a connection dropped
//! ([`DropReason`]).

use std::time::Duration;

use crate::error::Error;

/// One item of a reconnecting stream: a lifecycle change or an event.
///
/// A stream yields `Connected`, then its events; after a drop `Reconnecting` (once per
/// failed attempt), then `Connected` again, and so on. It ends with `None` after a normal
/// end, or with one `Err` (then `None`) when it gives up.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum StreamItem<E> {
    /// A connection is open (and, where the protocol has them, every subscription is in place).
    Connected {
        /// 1 for the first connection, then counts every reconnection.
        connection: u64,
    },
    /// The connection dropped (or an attempt failed); the next attempt starts after `delay`.
    Reconnecting {
        /// Why.
        reason: DropReason,
        /// Consecutive failures so far (1 after a connection that had worked).
        attempt: u32,
        /// The wait before the next attempt.
        delay: Duration,
    },
    /// An event.
    Event(E),
}

impl<E> StreamItem<E> {
    /// The event, if this is one.
    pub fn into_event(self) -> Option<E> {
        match self {
            Self::Event(e) => Some(e),
            _ => None,
        }
    }
}

/// Why a connection dropped or an attempt failed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DropReason {
    /// No sign of life for this long (the silence watchdog).
    SilenceTimeout {
        /// The limit that passed.
        after: Duration,
    },
    /// The server ended the connection.
    ServerClosed,
    /// The connection could not be opened.
    ConnectFailed(Error),
    /// The open connection broke or answered something unusable.
    Broken(Error),
    /// The server refused the protocol session (e.g. a CometD `402::Unknown client`): a
    /// new one is set up.
    Refused(Error),
    /// The server rejected the credential; it was renewed for the next attempt.
    CredentialRejected(Error),
    /// The credential was renewed elsewhere (e.g. a new login): the connection is set up again with it.
    CredentialRenewed,
}

impl DropReason {
    /// A short, stable name of the reason, for logs, metrics and tests: `silence_timeout`,
    /// `server_closed`, `connect_failed`, `broken`, `refused`, `credential_rejected` or
    /// `credential_renewed` (the same for every vendor's stream).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::SilenceTimeout { .. } => "silence_timeout",
            Self::ServerClosed => "server_closed",
            Self::ConnectFailed(_) => "connect_failed",
            Self::Broken(_) => "broken",
            Self::Refused(_) => "refused",
            Self::CredentialRejected(_) => "credential_rejected",
            Self::CredentialRenewed => "credential_renewed",
        }
    }

    /// The error behind this reason, if there is one.
    pub fn error(&self) -> Option<&Error> {
        match self {
            Self::ConnectFailed(e) | Self::Broken(e) | Self::Refused(e) | Self::CredentialRejected(e) => Some(e),
            Self::SilenceTimeout { .. } | Self::ServerClosed | Self::CredentialRenewed => None,
        }
    }
}

impl std::fmt::Display for DropReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SilenceTimeout { after } => write!(f, "the connection stayed silent for {} ms", after.as_millis()),
            Self::ServerClosed => f.write_str("the server closed the connection"),
            Self::ConnectFailed(e) => write!(f, "the connection could not be opened: {e}"),
            Self::Broken(e) => write!(f, "the connection broke: {e}"),
            Self::Refused(e) => write!(f, "the server refused the session: {e}"),
            Self::CredentialRejected(e) => write!(f, "the credential was rejected (renewed for the next attempt): {e}"),
            Self::CredentialRenewed => f.write_str("the credential was renewed: connecting again with it"),
        }
    }
}

/// Why a reconnecting stream ended on its own with an error (see
/// [`ReconnectingStream::end`](super::ReconnectingStream::end)).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum StreamEnd {
    /// The failure budget ([`ReconnectPolicy::max_failures`](super::ReconnectPolicy::max_failures)) is spent.
    TooManyFailures {
        /// Consecutive failures.
        failures: u32,
        /// The last one.
        last: DropReason,
        /// The error the stream yielded.
        error: Error,
    },
    /// The credential was rejected again right after it was renewed: retrying cannot help.
    CredentialRejected(Error),
    /// A failure the source reported as final (e.g. a wrong password).
    Fatal(Error),
}

impl StreamEnd {
    /// The error the stream yielded as its last item.
    pub fn error(&self) -> &Error {
        match self {
            Self::TooManyFailures { error, .. } | Self::CredentialRejected(error) | Self::Fatal(error) => error,
        }
    }
}

impl std::fmt::Display for StreamEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.error(), f)
    }
}
