//! The reconnecting stream on paused tokio time, driven by a scripted source: capped
//! backoff, the silence watchdog, the lifecycle order, the failure budget and the
//! credential rejected once (renewed) or twice (the end).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use conf_core::reconnect::{
    ConnectError, DropReason, ReconnectBuilder, ReconnectPolicy, ReconnectingStream, Signal, Source, StreamEnd, StreamItem,
};
use conf_core::{Error, RequestInfo, TransportKind};
use tokio::time::Instant;

/// What one read of a scripted connection does after its delay.
#[derive(Debug, Clone)]
enum Sig {
    Event(u32),
    KeepAlive,
    Closed,
}

/// One connection attempt of the script.
enum Attempt {
    Fail,
    Reject,
    /// Opens; then each read waits its delay and gives its signal; then silence.
    Open(Vec<(Duration, Sig)>),
}

struct Scripted {
    attempts: VecDeque<Attempt>,
    reads: VecDeque<(Duration, Sig)>,
    connects: Arc<AtomicU32>,
}

fn error(message: &str) -> Error {
    Error::transport(RequestInfo::none("test", "events"), TransportKind::Connect, message, false)
}

impl Source for Scripted {
    type Event = u32;

    async fn connect(&mut self) -> Result<(), ConnectError> {
        self.connects.fetch_add(1, Ordering::SeqCst);
        match self.attempts.pop_front() {
            None => Err(ConnectError::Closed),
            Some(Attempt::Fail) => Err(ConnectError::Failed(error("refused"))),
            Some(Attempt::Reject) => Err(ConnectError::Rejected(error("401: credential rejected"))),
            Some(Attempt::Open(reads)) => {
                self.reads = reads.into();
                Ok(())
            }
        }
    }

    async fn next(&mut self) -> Signal<u32> {
        let Some((delay, sig)) = self.reads.pop_front() else { return std::future::pending().await };
        tokio::time::sleep(delay).await;
        match sig {
            Sig::Event(n) => Signal::Event(n),
            Sig::KeepAlive => Signal::KeepAlive,
            Sig::Closed => Signal::Dropped(DropReason::ServerClosed),
        }
    }

    fn request(&self) -> RequestInfo {
        RequestInfo::none("test", "events")
    }
}

fn start(policy: ReconnectPolicy, attempts: Vec<Attempt>) -> (ReconnectingStream<u32>, Arc<AtomicU32>) {
    let connects = Arc::new(AtomicU32::new(0));
    let source = Scripted { attempts: attempts.into(), reads: VecDeque::new(), connects: connects.clone() };
    // A fixed "random" number: the jitter is deterministic (half of the jitter share is cut).
    (ReconnectBuilder::new(policy).random(|| 0.5).spawn(source), connects)
}

fn policy() -> ReconnectPolicy {
    ReconnectPolicy::default().backoff(Duration::from_millis(100), Duration::from_millis(400)).jitter_percent(0)
}

async fn item(s: &mut ReconnectingStream<u32>) -> StreamItem<u32> {
    s.next_item().await.expect("an item").expect("not an error")
}

#[tokio::test(start_paused = true)]
async fn backoff_doubles_up_to_its_cap_and_the_budget_ends_the_stream() {
    let (mut s, connects) = start(policy().max_failures(Some(6)), (0..10).map(|_| Attempt::Fail).collect());
    let t0 = Instant::now();
    let mut delays = Vec::new();
    for attempt in 1..=5 {
        match item(&mut s).await {
            StreamItem::Reconnecting { reason: DropReason::ConnectFailed(_), attempt: a, delay } => {
                assert_eq!(a, attempt);
                delays.push(delay);
            }
            other => panic!("{other:?}"),
        }
    }
    let ms = |v: &[u64]| v.iter().map(|m| Duration::from_millis(*m)).collect::<Vec<_>>();
    assert_eq!(delays, ms(&[100, 200, 400, 400, 400]));
    let err = s.next_item().await.expect("the final error").expect_err("an error");
    assert!(err.to_string().contains("gave up after 6 consecutive failed connections"), "{err}");
    assert!(s.next_item().await.is_none(), "nothing after the final error");
    assert!(matches!(s.end(), Some(StreamEnd::TooManyFailures { failures: 6, last: DropReason::ConnectFailed(_), .. })), "{:?}", s.end());
    assert_eq!(connects.load(Ordering::SeqCst), 6);
    // The waits really happened (virtual time): 100 + 200 + 400 * 3 ms.
    assert_eq!(t0.elapsed(), Duration::from_millis(1500));
}

#[tokio::test(start_paused = true)]
async fn jitter_only_shortens_the_wait() {
    let (mut s, _) = start(policy().jitter_percent(50).max_failures(Some(2)), vec![Attempt::Fail, Attempt::Fail]);
    match item(&mut s).await {
        // random 0.5 of a 50 % share: a quarter off 100 ms.
        StreamItem::Reconnecting { delay, .. } => assert_eq!(delay, Duration::from_millis(75)),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn the_watchdog_drops_a_silent_connection_but_not_a_talking_one() {
    let reads = vec![(Duration::from_millis(700), Sig::KeepAlive), (Duration::from_millis(700), Sig::Event(1))];
    let (mut s, _) = start(policy().silence_timeout(Duration::from_secs(1)), vec![Attempt::Open(reads), Attempt::Open(vec![])]);
    let t0 = Instant::now();
    assert!(matches!(item(&mut s).await, StreamItem::Connected { connection: 1 }));
    // Keep-alives and events 700 ms apart (under the 1 s limit) keep it open.
    assert!(matches!(item(&mut s).await, StreamItem::Event(1)));
    assert_eq!(t0.elapsed(), Duration::from_millis(1400));
    match item(&mut s).await {
        StreamItem::Reconnecting { reason: DropReason::SilenceTimeout { after }, attempt: 1, .. } => {
            assert_eq!(after, Duration::from_secs(1));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(t0.elapsed(), Duration::from_millis(2400), "dropped 1 s after the last sign of life");
    assert!(matches!(item(&mut s).await, StreamItem::Connected { connection: 2 }));
}

#[tokio::test(start_paused = true)]
async fn lifecycle_order_and_next_event_skips_it() {
    let first = vec![(Duration::from_millis(10), Sig::Event(1)), (Duration::from_millis(10), Sig::Closed)];
    let second = vec![(Duration::from_millis(10), Sig::Event(2))];
    let (mut s, _) =
        start(policy(), vec![Attempt::Open(first), Attempt::Open(second), Attempt::Open(vec![(Duration::ZERO, Sig::Event(3))])]);
    assert!(matches!(item(&mut s).await, StreamItem::Connected { connection: 1 }));
    assert!(matches!(item(&mut s).await, StreamItem::Event(1)));
    match item(&mut s).await {
        // The connection had delivered: the count starts again at 1 (shortest wait).
        StreamItem::Reconnecting { reason: DropReason::ServerClosed, attempt: 1, delay } => assert_eq!(delay, Duration::from_millis(100)),
        other => panic!("{other:?}"),
    }
    assert!(matches!(item(&mut s).await, StreamItem::Connected { connection: 2 }));
    assert!(matches!(item(&mut s).await, StreamItem::Event(2)));
    // next_event skips the lifecycle (the silent second connection's drop, the third Connected).
    assert_eq!(s.next_event().await.unwrap().unwrap(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_rejected_credential_is_renewed_once_and_a_second_rejection_ends_the_stream() {
    let ok = || Attempt::Open(vec![(Duration::ZERO, Sig::Event(7)), (Duration::ZERO, Sig::Closed)]);
    let (mut s, _) = start(policy(), vec![Attempt::Reject, ok(), Attempt::Reject, Attempt::Reject, ok()]);
    match item(&mut s).await {
        StreamItem::Reconnecting { reason: DropReason::CredentialRejected(e), attempt: 1, .. } => assert!(e.to_string().contains("401")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(item(&mut s).await, StreamItem::Connected { connection: 1 }));
    assert!(matches!(item(&mut s).await, StreamItem::Event(7)));
    assert!(matches!(item(&mut s).await, StreamItem::Reconnecting { reason: DropReason::ServerClosed, .. }));
    assert!(matches!(item(&mut s).await, StreamItem::Reconnecting { reason: DropReason::CredentialRejected(_), attempt: 2, .. }));
    // Rejected again right after the renewal: the end, with an authentication error.
    let err = s.next_event().await.expect("the final error").expect_err("an error");
    assert!(matches!(&err, Error::Auth { .. }), "{err:?}");
    assert!(err.to_string().contains("refused the credential 2 times in a row"), "{err}");
    assert!(matches!(s.end(), Some(StreamEnd::CredentialRejected(_))));
    assert!(s.next_event().await.is_none());
}

#[tokio::test(start_paused = true)]
async fn a_closed_source_ends_the_stream_without_an_error() {
    let (mut s, _) = start(policy(), vec![Attempt::Open(vec![(Duration::ZERO, Sig::Closed)])]);
    assert!(matches!(item(&mut s).await, StreamItem::Connected { .. }));
    assert!(matches!(item(&mut s).await, StreamItem::Reconnecting { .. }));
    assert!(s.next_item().await.is_none());
    assert!(s.end().is_none());
}
