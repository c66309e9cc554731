//! Push: a CometD/Bayeux long-polling client for `/api/v1/publish`.
//!
//! The platform pushes conference changes over CometD. After the REST login the
//! client handshakes with the session cookie; the handshake reply's
//! `ext.user_domain_moid` names the user's domain, and every channel lives under
//! `/userdomains/{domain_id}` (`/confs/{conf_id}`, `/confs/{conf_id}/cascades/{cascade_id}/mts/{mt_id}`,
//! `/confs/{conf_id}/speaker`, ...; wildcards `*` and `**` only as the last segment).
//! Messages carry `{"method": "update" | "delete" | "notify", ...}` and arrive as
//! typed [`PushMessage`]s.
//!
//! The connection keeps itself alive: `/meta/connect` long polls follow the
//! server's advice; a watchdog treats a poll silent beyond the advised timeout
//! plus a margin as dropped; after a drop, a `402::Unknown client`, a
//! `reconnect: handshake` advice or a new REST login, the client handshakes again
//! and re-subscribes every channel it holds. The session's HTTP heartbeats (see
//! [`MoyunClientBuilder::heartbeat_interval`](crate::MoyunClientBuilder::heartbeat_interval)) keep the cookie the handshake needs alive.
//!
//! Every read is bounded ([`PushConfig`]): a reply body of at most 8 MiB (an error answer:
//! 64 KiB, never parsed), at most 1,000 messages of at most 1 MiB each per reply, parsed in
//! one linear pass; advised timeouts and intervals are clamped to 10 minutes. The stream
//! ends, with the reason in [`PushStream::ended`], after 10 failed reconnects in a row or
//! when the platform rejects the credentials themselves.
//!
//! ```no_run
//! # async fn demo(client: moyun_api::MoyunClient) -> conf_core::Result<()> {
//! use moyun_api::push::{PushEvent, StreamExt, Topic};
//! let mut push = client.push().subscribe("/confs/**").connect().await?;
//! while let Some(event) = push.next().await {
//!     if let PushEvent::Message(m) = event {
//!         if let Topic::Mt { conf_id, mt_id, .. } = &m.topic {
//!             println!("terminal {mt_id} of {conf_id}: {:?}", m.kind);
//!         }
//!     }
//! }
//! # Ok(()) }
//! ```

mod bayeux;
mod message;

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use conf_core::Error;
use futures_util::Stream;
use tokio::sync::{mpsc, watch};

pub use bayeux::{PUBLISH_PATH, validate_channel};
/// The extension trait that consumes a [`PushStream`] (`.next()`, `.take(n)`, ...):
/// `futures-util`'s `StreamExt`, re-exported so that no extra dependency is needed (the
/// module example above uses it).
pub use futures_util::StreamExt;
pub use message::{MessageKind, Notify, NotifyMt, NotifySource, PushMessage, Topic};

use crate::MoyunClient;

/// What a [`PushStream`] yields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PushEvent {
    /// Handshake done and every channel (re)subscribed.
    Connected {
        /// The user's domain (`ext.user_domain_moid`).
        domain_id: String,
        /// Channels subscribed, in full (`/userdomains/{domain_id}/...`).
        channels: Vec<String>,
        /// 1 for the first connection, then counts every re-handshake.
        handshakes: u64,
    },
    /// A message on a subscribed channel.
    Message(PushMessage),
    /// The server refused a subscription.
    SubscribeFailed {
        /// The channel.
        channel: String,
        /// The server's error.
        error: String,
    },
    /// The connection dropped; the client handshakes again after a pause.
    Disconnected {
        /// What happened.
        reason: String,
    },
}

/// Settings of a push connection: `PushConfig::default()` and the setters (one per
/// field), e.g. `PushConfig::default().channels(vec!["/confs/**".into()]).max_failures(None)`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PushConfig {
    /// Channels relative to the user domain (`/confs/**`) or absolute (`/userdomains/...`).
    pub channels: Vec<String>,
    /// Path of the CometD endpoint (default [`PUBLISH_PATH`]).
    pub path: String,
    /// Long-poll hold time assumed until the server advises one (default 30 s).
    pub default_timeout: Duration,
    /// Margin over the advised timeout after which a silent long poll counts as dropped (default 10 s).
    pub watchdog_margin: Duration,
    /// First pause before reconnecting after a failure (default 500 ms), doubled up to `max_backoff`.
    pub min_backoff: Duration,
    /// Longest pause between reconnection attempts (default 30 s).
    pub max_backoff: Duration,
    /// Events buffered for a slow consumer before the connection waits (default 256).
    pub buffer: usize,
    /// Largest reply body read from the CometD endpoint (default 8 MiB); a longer reply is
    /// not read further and counts as a failed poll. Error answers (non-2xx) are read up to
    /// the client's `max_error_body_bytes` only (default 64 KiB), and never parsed.
    pub max_reply_bytes: usize,
    /// Most messages accepted in one reply batch (default 1,000).
    pub max_messages: usize,
    /// Largest single message of a batch, in bytes of JSON (default 1 MiB).
    pub max_message_bytes: usize,
    /// Consecutive failed reconnects (handshakes, polls and refusals, without one good
    /// poll in between) after which the stream ends with [`PushEnd::TooManyFailures`]
    /// (default 10; `None`: retry forever).
    pub max_failures: Option<u32>,
}

impl Default for PushConfig {
    fn default() -> Self {
        Self {
            channels: Vec::new(),
            path: PUBLISH_PATH.to_string(),
            default_timeout: Duration::from_secs(30),
            watchdog_margin: Duration::from_secs(10),
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            buffer: 256,
            max_reply_bytes: 8 * 1024 * 1024,
            max_messages: 1_000,
            max_message_bytes: 1024 * 1024,
            max_failures: Some(10),
        }
    }
}

impl PushConfig {
    /// Set the channels (relative to the user domain, or absolute).
    #[must_use]
    pub fn channels(mut self, channels: Vec<String>) -> Self {
        self.channels = channels;
        self
    }

    /// Set the path of the CometD endpoint.
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Set the long-poll hold time assumed until the server advises one.
    #[must_use]
    pub fn default_timeout(mut self, default_timeout: Duration) -> Self {
        self.default_timeout = default_timeout;
        self
    }

    /// Set the margin over the advised timeout after which a silent long poll counts as dropped.
    #[must_use]
    pub fn watchdog_margin(mut self, watchdog_margin: Duration) -> Self {
        self.watchdog_margin = watchdog_margin;
        self
    }

    /// Set the first pause before reconnecting after a failure.
    #[must_use]
    pub fn min_backoff(mut self, min_backoff: Duration) -> Self {
        self.min_backoff = min_backoff;
        self
    }

    /// Set the longest pause between reconnection attempts.
    #[must_use]
    pub fn max_backoff(mut self, max_backoff: Duration) -> Self {
        self.max_backoff = max_backoff;
        self
    }

    /// Set how many events are buffered for a slow consumer.
    #[must_use]
    pub fn buffer(mut self, buffer: usize) -> Self {
        self.buffer = buffer;
        self
    }

    /// Set the largest reply body read.
    #[must_use]
    pub fn max_reply_bytes(mut self, max_reply_bytes: usize) -> Self {
        self.max_reply_bytes = max_reply_bytes;
        self
    }

    /// Set the most messages accepted in one reply batch.
    #[must_use]
    pub fn max_messages(mut self, max_messages: usize) -> Self {
        self.max_messages = max_messages;
        self
    }

    /// Set the largest single message of a batch.
    #[must_use]
    pub fn max_message_bytes(mut self, max_message_bytes: usize) -> Self {
        self.max_message_bytes = max_message_bytes;
        self
    }

    /// Set how many reconnects in a row may fail before the stream ends (`None`: never).
    #[must_use]
    pub fn max_failures(mut self, max_failures: Option<u32>) -> Self {
        self.max_failures = max_failures;
        self
    }
}

/// Configures and opens a push connection (see [`MoyunClient::push`]).
#[derive(Debug)]
pub struct PushBuilder {
    client: MoyunClient,
    config: PushConfig,
}

impl PushBuilder {
    pub(crate) fn new(client: MoyunClient) -> Self {
        Self { client, config: PushConfig::default() }
    }

    /// Subscribe to a channel (relative to the user domain, e.g. `/confs/**` or
    /// `/confs/1118986/cascades/0/mts/*`).
    pub fn subscribe(mut self, channel: impl Into<String>) -> Self {
        self.config.channels.push(channel.into());
        self
    }

    /// Replace the whole configuration (keeps the channels given so far unless it has some).
    pub fn config(mut self, mut config: PushConfig) -> Self {
        if config.channels.is_empty() {
            config.channels = std::mem::take(&mut self.config.channels);
        }
        self.config = config;
        self
    }

    /// Set the watchdog margin.
    pub fn watchdog_margin(mut self, margin: Duration) -> Self {
        self.config.watchdog_margin = margin;
        self
    }

    /// Set the reconnection backoff bounds.
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.config.min_backoff = min;
        self.config.max_backoff = max.max(min);
        self
    }

    /// Set how many reconnects in a row may fail before the stream ends (`None`: never).
    pub fn max_failures(mut self, n: Option<u32>) -> Self {
        self.config.max_failures = n;
        self
    }

    /// Log in if needed, handshake, subscribe, and start long polling in the
    /// background. Fails when the first login or handshake fails; later failures
    /// are reported as [`PushEvent::Disconnected`] and healed.
    pub async fn connect(self) -> Result<PushStream, Error> {
        for c in &self.config.channels {
            validate_channel(c)?;
        }
        let (events_tx, events_rx) = mpsc::channel(self.config.buffer.max(1));
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (domain_tx, domain_rx) = watch::channel(None);
        let ended = Arc::new(Mutex::new(None));
        let mut conn = bayeux::Connection::new(&self.client, self.config, events_tx, cmd_rx, domain_tx, ended.clone());
        conn.first_handshake().await?;
        self.client.core().spawn_background(conn.run());
        Ok(PushStream { events: events_rx, commands: cmd_tx, domain: domain_rx, ended })
    }
}

/// Why a [`PushStream`] ended on its own (see [`PushStream::ended`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PushEnd {
    /// [`PushConfig::max_failures`] reconnects in a row failed.
    TooManyFailures {
        /// Failures in a row.
        failures: u32,
        /// The last one.
        last: Error,
    },
    /// The platform refused the credentials themselves (wrong app key or password, or the
    /// handshake refused right after a fresh login): retrying cannot help.
    CredentialsRejected(Error),
}

impl PushEnd {
    /// The error that ended the stream.
    pub fn error(&self) -> &Error {
        match self {
            Self::TooManyFailures { last, .. } | Self::CredentialsRejected(last) => last,
        }
    }
}

impl std::fmt::Display for PushEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooManyFailures { failures, last } => {
                write!(f, "moyun push gave up after {failures} failed reconnects in a row; last error: {last}")
            }
            Self::CredentialsRejected(e) => write!(f, "moyun push ended: the platform rejected the credentials: {e}"),
        }
    }
}

/// Commands from the stream handle to the connection task.
#[derive(Debug)]
pub(crate) enum Command {
    Subscribe(String),
    Unsubscribe(String),
}

/// A live push connection: a `Stream` of [`PushEvent`]s. Dropping it (or the
/// client) disconnects.
#[derive(Debug)]
pub struct PushStream {
    events: mpsc::Receiver<PushEvent>,
    commands: mpsc::UnboundedSender<Command>,
    domain: watch::Receiver<Option<String>>,
    ended: Arc<Mutex<Option<PushEnd>>>,
}

impl PushStream {
    /// Why the stream ended on its own (after it yielded `None`): too many failed
    /// reconnects in a row, or credentials the platform rejects. `None` while it runs.
    pub fn ended(&self) -> Option<PushEnd> {
        self.ended.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Subscribe to one more channel (kept across reconnections).
    pub fn subscribe(&self, channel: impl Into<String>) -> Result<(), Error> {
        let channel = channel.into();
        validate_channel(&channel)?;
        self.commands.send(Command::Subscribe(channel)).map_err(|_| Error::other("push connection closed"))
    }

    /// Stop receiving a channel.
    pub fn unsubscribe(&self, channel: impl Into<String>) -> Result<(), Error> {
        self.commands.send(Command::Unsubscribe(channel.into())).map_err(|_| Error::other("push connection closed"))
    }

    /// The user domain of the current connection.
    pub fn domain_id(&self) -> Option<String> {
        self.domain.borrow().clone()
    }
}

impl Stream for PushStream {
    type Item = PushEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<PushEvent>> {
        self.events.poll_recv(cx)
    }
}
