//! The task behind a [`ReconnectingStream`](super::ReconnectingStream): connect, read with
//! the silence watchdog, back off, count failures, end.

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::item::{DropReason, StreamEnd, StreamItem};
use super::policy::ReconnectPolicy;
use super::source::{ConnectError, Signal, Source};
use crate::error::{Error, TransportKind};

/// The randomness of the backoff jitter: numbers in `[0, 1)`.
pub(crate) type Random = Box<dyn FnMut() -> f64 + Send>;

pub(crate) type Items<E> = mpsc::Sender<Result<StreamItem<E>, Error>>;

/// How the run stopped.
enum Stop {
    /// A normal end (the source finished or is gone).
    Done,
    /// The consumer went away.
    Gone,
    /// Gave up.
    Failed(StreamEnd),
}

/// The driver's state: the source, the settings and the consumer.
pub(crate) struct Driver<S: Source> {
    pub(crate) source: S,
    pub(crate) policy: ReconnectPolicy,
    pub(crate) random: Random,
    pub(crate) items: Items<S::Event>,
    pub(crate) end: Arc<Mutex<Option<StreamEnd>>>,
    /// The source's first connection is already open.
    pub(crate) connected: bool,
}

impl<S: Source> Driver<S> {
    /// Run until the stream ends; then say goodbye to the server.
    pub(crate) async fn run(mut self) {
        let stop = self.drive().await;
        if let Stop::Failed(end) = stop {
            tracing::warn!(error = %end, "stream gives up");
            let error = end.error().clone();
            *self.end.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(end);
            let _ = self.items.send(Err(error)).await;
        }
        self.source.close().await;
    }

    /// Run `f` unless the consumer goes away first.
    async fn guarded<F: Future>(items: &Items<S::Event>, f: F) -> Option<F::Output> {
        tokio::select! {
            biased;
            () = items.closed() => None,
            v = f => Some(v),
        }
    }

    async fn emit(items: &Items<S::Event>, item: StreamItem<S::Event>) -> Result<(), Stop> {
        items.send(Ok(item)).await.map_err(|_| Stop::Gone)
    }

    fn gave_up(&self, failures: u32, last: DropReason) -> StreamEnd {
        let error = Error::transport(
            self.source.request(),
            TransportKind::Other,
            format!("gave up after {failures} consecutive failed connections (ReconnectPolicy::max_failures); last: {last}"),
            true,
        );
        StreamEnd::TooManyFailures { failures, last, error }
    }

    async fn drive(&mut self) -> Stop {
        match self.drive_inner().await {
            Ok(()) => Stop::Done,
            Err(stop) => stop,
        }
    }

    async fn drive_inner(&mut self) -> Result<(), Stop> {
        let mut failures: u32 = 0;
        let mut rejections: u32 = 0;
        let mut connections: u64 = 0;
        let mut reason: Option<DropReason> = None;
        loop {
            if let Some(why) = reason.take() {
                if self.policy.max_failures.is_some_and(|max| failures >= max) {
                    return Err(Stop::Failed(self.gave_up(failures, why)));
                }
                let delay = self.policy.delay(failures, (self.random)());
                tracing::info!(kind = why.kind(), reason = %why, attempt = failures, delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), "stream dropped: reconnecting");
                Self::emit(&self.items, StreamItem::Reconnecting { reason: why, attempt: failures, delay }).await?;
                let wait = async {
                    tokio::select! {
                        biased;
                        () = self.source.closed() => false,
                        () = tokio::time::sleep(delay) => true,
                    }
                };
                match Self::guarded(&self.items, wait).await {
                    None => return Err(Stop::Gone),
                    Some(false) => return Ok(()),
                    Some(true) => {}
                }
            }
            if !std::mem::take(&mut self.connected) {
                match Self::guarded(&self.items, self.source.connect()).await.ok_or(Stop::Gone)? {
                    Ok(()) => {}
                    Err(ConnectError::Failed(e)) => {
                        tracing::warn!(error = %e, "stream connection failed");
                        failures = failures.saturating_add(1);
                        rejections = 0;
                        reason = Some(DropReason::ConnectFailed(e));
                        continue;
                    }
                    Err(ConnectError::Rejected(e)) => {
                        failures = failures.saturating_add(1);
                        rejections += 1;
                        if rejections >= 2 {
                            let error = Error::Auth {
                                request: self.source.request(),
                                message: format!(
                                    "the server refused the {} {rejections} times in a row for the stream, also right after renewing it",
                                    self.source.credential_name()
                                ),
                                source: Some(Box::new(e)),
                            };
                            return Err(Stop::Failed(StreamEnd::CredentialRejected(error)));
                        }
                        reason = Some(DropReason::CredentialRejected(e));
                        continue;
                    }
                    Err(ConnectError::Fatal(e)) => return Err(Stop::Failed(StreamEnd::Fatal(e))),
                    Err(ConnectError::Closed) => return Ok(()),
                }
            }
            rejections = 0;
            connections += 1;
            tracing::info!(connection = connections, "stream connected");
            Self::emit(&self.items, StreamItem::Connected { connection: connections }).await?;
            let (why, healthy) = self.read().await?;
            self.source.dropped(&why);
            failures = if healthy { 1 } else { failures.saturating_add(1) };
            reason = Some(why);
        }
    }

    /// Read the open connection until it drops: why, and whether it proved healthy.
    async fn read(&mut self) -> Result<(DropReason, bool), Stop> {
        let mut healthy = false;
        let mut last = Instant::now();
        loop {
            let limit = self.source.silence_timeout(self.policy.silence_timeout);
            let next = tokio::time::timeout_at(last + limit, self.source.next());
            let Some(next) = Self::guarded(&self.items, next).await else { return Err(Stop::Gone) };
            match next {
                Err(_) => {
                    tracing::warn!(silence_ms = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX), "stream silent for too long");
                    return Ok((DropReason::SilenceTimeout { after: limit }, healthy));
                }
                Ok(Signal::Event(e)) => {
                    healthy = true;
                    Self::emit(&self.items, StreamItem::Event(e)).await?;
                }
                Ok(Signal::Notice(e)) => Self::emit(&self.items, StreamItem::Event(e)).await?,
                Ok(Signal::KeepAlive) => {}
                Ok(Signal::Healthy) => healthy = true,
                Ok(Signal::Dropped(why)) => return Ok((why, healthy)),
                Ok(Signal::Finished) => return Err(Stop::Done),
            }
            last = Instant::now();
        }
    }
}
