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
//! plus a margin ([`ReconnectPolicy::silence_timeout`], default 10 s) as dropped; after a
//! drop, a `402::Unknown client`, a `reconnect: handshake` advice or a new REST login,
//! the client handshakes again and re-subscribes every channel it holds.
//!
//! [`PushStream`] is a [`conf_core::ReconnectingStream`] like every conf-sdk stream (vmr
//! events included): it yields `Result<`[`StreamItem`]`<`[`PushEvent`]`>, Error>`, i.e.
//! `Connected`, `Reconnecting { reason, attempt, delay }` after a drop, and the events;
//! [`PushStream::next_event`] skips the lifecycle items. The session's HTTP heartbeats (see
//! [`MoyunClientBuilder::heartbeat_interval`](crate::MoyunClientBuilder::heartbeat_interval)) keep the cookie the handshake needs alive.
//!
//! Every read is bounded ([`PushConfig`]): a reply body of at most 8 MiB (an error answer:
//! 64 KiB, never parsed), at most 1,000 messages of at most 1 MiB each per reply, parsed in
//! one linear pass; advised timeouts and intervals are clamped to 10 minutes. The stream
//! ends with an `Err` item (then `None`; [`PushStream::end`] keeps why) after 10 failed
//! reconnects in a row, when the handshake is refused again right after a fresh login,
//! or when the platform rejects the credentials themselves (wrong key or password).
//!
//! ```no_run
//! # async fn demo(client: moyun_api::MoyunClient) -> conf_core::Result<()> {
//! use moyun_api::push::{PushEvent, Topic};
//! let mut push = client.push().subscribe("/confs/**").connect().await?;
//! while let Some(event) = push.next_event().await {
//!     if let PushEvent::Message(m) = event? {
//!         if let Topic::Mt { conf_id, mt_id, .. } = &m.topic {
//!             println!("terminal {mt_id} of {conf_id}: {:?}", m.kind);
//!         }
//!     }
//! }
//! # Ok(()) }
//! ```

mod bayeux;
mod connection;
mod message;

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use conf_core::reconnect::ReconnectBuilder;
use conf_core::{Error, ReconnectingStream};
use futures_util::Stream;
use tokio::sync::{mpsc, watch};

pub use bayeux::{PUBLISH_PATH, validate_channel};
/// The lifecycle items and reconnection settings, shared with every conf-sdk stream.
pub use conf_core::reconnect::{DropReason, ReconnectPolicy, StreamEnd, StreamItem};
/// `futures-util`'s `StreamExt` (`.next()`, `.take(n)`, ...), re-exported for combinators;
/// [`PushStream::next_event`] and [`PushStream::next_item`] need no trait.
pub use futures_util::StreamExt;
pub use message::{MessageKind, Notify, NotifyMt, NotifySource, PushMessage, Topic};

use crate::MoyunClient;

/// The events of a [`PushStream`] (inside [`StreamItem::Event`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PushEvent {
    /// Every channel (re)subscribed: the first event of each connection, right after
    /// [`StreamItem::Connected`].
    Subscribed {
        /// The user's domain (`ext.user_domain_moid`).
        domain_id: String,
        /// Channels subscribed, in full (`/userdomains/{domain_id}/...`).
        channels: Vec<String>,
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
    /// Backoff, silence watchdog and failure budget, shared with every conf-sdk stream.
    /// Its `silence_timeout` is the margin over the advised long-poll hold time after which
    /// a silent poll counts as dropped (default 10 s); backoff 500 ms doubling up to 30 s;
    /// `max_failures`: consecutive failed reconnects (handshakes, polls and refusals,
    /// without one good poll in between) after which the stream ends (default 10).
    pub reconnect: ReconnectPolicy,
    /// Items buffered for a slow consumer before the connection waits (default 256).
    pub buffer: usize,
    /// Largest reply body read from the CometD endpoint (default 8 MiB); a longer reply is
    /// not read further and counts as a failed poll. Error answers (non-2xx) are read up to
    /// the client's `max_error_body_bytes` only (default 64 KiB), and never parsed.
    pub max_reply_bytes: usize,
    /// Most messages accepted in one reply batch (default 1,000).
    pub max_messages: usize,
    /// Largest single message of a batch, in bytes of JSON (default 1 MiB).
    pub max_message_bytes: usize,
}

impl Default for PushConfig {
    fn default() -> Self {
        Self {
            channels: Vec::new(),
            path: PUBLISH_PATH.to_string(),
            default_timeout: Duration::from_secs(30),
            reconnect: ReconnectPolicy::default()
                .backoff(Duration::from_millis(500), Duration::from_secs(30))
                .silence_timeout(Duration::from_secs(10))
                .max_failures(Some(10)),
            buffer: 256,
            max_reply_bytes: 8 * 1024 * 1024,
            max_messages: 1_000,
            max_message_bytes: 1024 * 1024,
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
        self.reconnect = self.reconnect.silence_timeout(watchdog_margin);
        self
    }

    /// Set the reconnection policy (backoff, watchdog margin, failure budget).
    #[must_use]
    pub fn reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.reconnect = policy;
        self
    }

    /// Set the first pause before reconnecting after a failure.
    #[must_use]
    pub fn min_backoff(mut self, min_backoff: Duration) -> Self {
        self.reconnect = self.reconnect.initial_backoff(min_backoff);
        self
    }

    /// Set the longest pause between reconnection attempts.
    #[must_use]
    pub fn max_backoff(mut self, max_backoff: Duration) -> Self {
        self.reconnect = self.reconnect.max_backoff(max_backoff);
        self
    }

    /// Set how many items are buffered for a slow consumer.
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
        self.reconnect = self.reconnect.max_failures(max_failures);
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
        self.config = self.config.watchdog_margin(margin);
        self
    }

    /// Set the reconnection policy (backoff, watchdog margin, failure budget).
    pub fn reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.config.reconnect = policy;
        self
    }

    /// Set the reconnection backoff bounds.
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.config.reconnect = self.config.reconnect.backoff(min, max);
        self
    }

    /// Set how many reconnects in a row may fail before the stream ends (`None`: never).
    pub fn max_failures(mut self, n: Option<u32>) -> Self {
        self.config.reconnect = self.config.reconnect.max_failures(n);
        self
    }

    /// Log in if needed, handshake, subscribe, and start long polling in the
    /// background (a task of the client: it stops with the client). Fails when the first
    /// login or handshake fails; later drops are reported as
    /// [`StreamItem::Reconnecting`] and healed.
    pub async fn connect(self) -> Result<PushStream, Error> {
        for c in &self.config.channels {
            validate_channel(c)?;
        }
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (domain_tx, domain_rx) = watch::channel(None);
        let (policy, buffer) = (self.config.reconnect, self.config.buffer);
        let mut conn = connection::Connection::new(&self.client, self.config, cmd_rx, domain_tx);
        conn.handshake().await?;
        let (inner, driver) = ReconnectBuilder::new(policy).buffer(buffer).already_connected().start(conn);
        self.client.core().spawn_background(driver);
        Ok(PushStream { inner, commands: cmd_tx, domain: domain_rx })
    }
}

/// Commands from the stream handle to the connection task.
#[derive(Debug)]
pub(crate) enum Command {
    Subscribe(String),
    Unsubscribe(String),
}

/// A live push connection: a [`Stream`] of `Result<`[`StreamItem`]`<`[`PushEvent`]`>, Error>`
/// (the same lifecycle items as every conf-sdk stream). Dropping it (or the client)
/// disconnects.
#[derive(Debug)]
pub struct PushStream {
    inner: ReconnectingStream<PushEvent>,
    commands: mpsc::UnboundedSender<Command>,
    domain: watch::Receiver<Option<String>>,
}

impl PushStream {
    /// The next event, skipping lifecycle items; `None` once the stream has ended, an
    /// `Err` as the last item when it gave up.
    pub async fn next_event(&mut self) -> Option<Result<PushEvent, Error>> {
        self.inner.next_event().await
    }

    /// The next item: `Connected`, `Reconnecting { reason, .. }` or an event.
    pub async fn next_item(&mut self) -> Option<Result<StreamItem<PushEvent>, Error>> {
        self.inner.next_item().await
    }

    /// Why the stream gave up (after it yielded that error): too many failed reconnects in
    /// a row, the handshake refused again right after a fresh login, or credentials the
    /// platform rejects ([`StreamEnd::Fatal`]). `None` while it runs.
    pub fn end(&self) -> Option<StreamEnd> {
        self.inner.end()
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
    type Item = Result<StreamItem<PushEvent>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.inner).poll_next(cx)
    }
}
