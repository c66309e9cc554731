//! `GET events?token=...`: server-sent events. Every connection starts with the
//! `participant_sync_begin` ... `participant_sync_end` bracket resending the roster, then
//! carries the room's events addressed to everyone or to this session's participant, with
//! keep-alive comments in between. No per-stream task: the body is a stream polled by the
//! server's connection.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Bytes;
use futures_util::Stream;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::{Instant, Interval, MissedTickBehavior};
use uuid::Uuid;

use super::state::{Event, Shared, State};

/// Encodes one SSE event.
pub(crate) fn encode(name: &str, data: &str) -> Bytes {
    let mut out = String::with_capacity(name.len() + data.len() + 16);
    out.push_str("event: ");
    out.push_str(name);
    out.push('\n');
    for line in data.split('\n') {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    Bytes::from(out)
}

/// The keep-alive comment.
const KEEPALIVE: &[u8] = b":keepalive\n\n";

/// Counts a live stream while it exists.
struct LiveGuard(Arc<Shared>);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.live_streams.fetch_sub(1, Ordering::Relaxed);
    }
}

struct StreamState {
    initial: VecDeque<Bytes>,
    rx: broadcast::Receiver<Arc<Event>>,
    me: Uuid,
    keepalive: Interval,
    done: bool,
    _live: LiveGuard,
}

/// Builds the stream of one connection: the sync bracket of the room's roster (taken under
/// the lock, subscribed under the same lock so nothing is missed or doubled), then events.
pub(crate) fn open(
    shared: &Arc<Shared>,
    st: &State,
    room: usize,
    me: Uuid,
    keepalive: Duration,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    let r = &st.rooms[room];
    let create = if st.cfg.deployment == super::config::Deployment::Enterprise { "participant_update" } else { "participant_create" };
    let mut initial = VecDeque::new();
    initial.push_back(encode("participant_sync_begin", "{}"));
    for p in r.listed() {
        initial.push_back(encode(create, &p.to_json().to_string()));
    }
    initial.push_back(encode("participant_sync_end", "{}"));
    let rx = r.bus.subscribe();
    shared.streams_opened.fetch_add(1, Ordering::Relaxed);
    shared.live_streams.fetch_add(1, Ordering::Relaxed);
    let period = keepalive.max(Duration::from_millis(10));
    let mut keepalive = tokio::time::interval_at(Instant::now() + period, period);
    keepalive.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let state = StreamState { initial, rx, me, keepalive, done: false, _live: LiveGuard(Arc::clone(shared)) };
    futures_util::stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        if let Some(first) = s.initial.pop_front() {
            return Some((Ok(first), s));
        }
        loop {
            tokio::select! {
                received = s.rx.recv() => match received {
                    Ok(event) => {
                        if event.target.is_some_and(|t| t != s.me) {
                            continue;
                        }
                        if event.close {
                            s.done = true;
                            if event.name.is_empty() {
                                return None;
                            }
                        }
                        let bytes = encode(&event.name, &event.data);
                        return Some((Ok(bytes), s));
                    }
                    // Fell behind the bus or the room is gone: end, the client resyncs.
                    Err(RecvError::Lagged(_) | RecvError::Closed) => return None,
                },
                _ = s.keepalive.tick() => return Some((Ok(Bytes::from_static(KEEPALIVE)), s)),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_event_and_multiline_data() {
        assert_eq!(&super::encode("layout", "{\"view\":\"1:7\"}")[..], b"event: layout\ndata: {\"view\":\"1:7\"}\n\n");
        assert_eq!(&super::encode("x", "a\nb")[..], b"event: x\ndata: a\ndata: b\n\n");
    }
}
