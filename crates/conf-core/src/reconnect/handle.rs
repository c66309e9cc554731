//! [`ReconnectingStream`], the consumer's side, and its [`ReconnectBuilder`].

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::sync::mpsc;
use tracing::Instrument;

use super::driver::{Driver, Random};
use super::item::{StreamEnd, StreamItem};
use super::policy::ReconnectPolicy;
use super::source::Source;
use crate::error::Error;

/// The task that runs a [`ReconnectingStream`]: spawn it (see [`ReconnectBuilder::start`]).
pub type DriverFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A stream that reconnects by itself (see the [module docs](super)): a
/// [`Stream`](futures_util::Stream) of `Result<StreamItem<E>, Error>`, with [`Self::next_item`] and
/// [`Self::next_event`] to consume it without any extension trait.
///
/// Dropping it stops the connection (the source says goodbye to the server).
pub struct ReconnectingStream<E> {
    items: mpsc::Receiver<Result<StreamItem<E>, Error>>,
    end: Arc<Mutex<Option<StreamEnd>>>,
}

impl<E> std::fmt::Debug for ReconnectingStream<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReconnectingStream").field("end", &self.end()).finish_non_exhaustive()
    }
}

impl<E> ReconnectingStream<E> {
    /// The next item (lifecycle or event); `None` once the stream has ended. When it gave
    /// up, the last item is the `Err` saying why.
    pub async fn next_item(&mut self) -> Option<Result<StreamItem<E>, Error>> {
        self.items.recv().await
    }

    /// The next event, skipping lifecycle items; `None` once the stream has ended. When
    /// it gave up, the last item is the `Err` saying why.
    pub async fn next_event(&mut self) -> Option<Result<E, Error>> {
        loop {
            match self.items.recv().await? {
                Ok(StreamItem::Event(e)) => return Some(Ok(e)),
                Ok(_) => {}
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// Why the stream ended with an error (after it yielded that error); `None` while it
    /// runs and after a normal end.
    pub fn end(&self) -> Option<StreamEnd> {
        self.end.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

impl<E> futures_util::Stream for ReconnectingStream<E> {
    type Item = Result<StreamItem<E>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.items.poll_recv(cx)
    }
}

/// Configures and starts a [`ReconnectingStream`]: `ReconnectBuilder::new(policy)`, the
/// setters, then [`Self::spawn`] or [`Self::start`].
#[must_use]
pub struct ReconnectBuilder {
    policy: ReconnectPolicy,
    buffer: usize,
    random: Random,
    connected: bool,
}

impl std::fmt::Debug for ReconnectBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReconnectBuilder").field("policy", &self.policy).field("buffer", &self.buffer).finish_non_exhaustive()
    }
}

impl ReconnectBuilder {
    /// Start configuring a stream with `policy`.
    pub fn new(policy: ReconnectPolicy) -> Self {
        Self { policy, buffer: 256, random: Box::new(rand::random::<f64>), connected: false }
    }

    /// Items buffered for a slow consumer before the connection waits (default 256).
    pub fn buffer(mut self, items: usize) -> Self {
        self.buffer = items.max(1);
        self
    }

    /// The randomness of the backoff jitter (numbers in `[0, 1)`; default `rand`'s).
    pub fn random(mut self, random: impl FnMut() -> f64 + Send + 'static) -> Self {
        self.random = Box::new(random);
        self
    }

    /// The source's first connection is already open (the caller opened it to report its
    /// failure directly): the stream starts with `Connected` and reads it.
    pub fn already_connected(mut self) -> Self {
        self.connected = true;
        self
    }

    /// The stream and the task that runs it, for the caller to spawn (e.g. as a client's
    /// background task, so that it stops with the client).
    pub fn start<S: Source>(self, source: S) -> (ReconnectingStream<S::Event>, DriverFuture) {
        let (tx, rx) = mpsc::channel(self.buffer);
        let end = Arc::new(Mutex::new(None));
        let request = source.request();
        let span = tracing::info_span!("conf.stream", vendor = request.vendor, operation = request.operation);
        let driver = Driver { source, policy: self.policy, random: self.random, items: tx, end: end.clone(), connected: self.connected };
        (ReconnectingStream { items: rx, end }, Box::pin(driver.run().instrument(span)))
    }

    /// Start the stream on its own tokio task.
    pub fn spawn<S: Source>(self, source: S) -> ReconnectingStream<S::Event> {
        let (stream, driver) = self.start(source);
        tokio::spawn(driver);
        stream
    }
}
