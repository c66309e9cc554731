//! Wake-ups: one pub/sub connection per store, re-established when Redis comes back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::Notify;

/// Waiters per channel.
#[derive(Default)]
pub(crate) struct Waiters {
    by_channel: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Waiters {
    pub(crate) fn get(&self, channel: &str) -> Arc<Notify> {
        self.by_channel.lock().expect("waiters poisoned").entry(channel.to_string()).or_default().clone()
    }

    fn wake(&self, channel: &str) {
        if let Some(n) = self.by_channel.lock().expect("waiters poisoned").get(channel) {
            n.notify_waiters();
        }
    }

    fn wake_all(&self) {
        for n in self.by_channel.lock().expect("waiters poisoned").values() {
            n.notify_waiters();
        }
    }
}

/// Listen on `pattern` until the store is dropped; reconnect after failures
/// (waiters poll meanwhile, so a lost notification only costs a poll interval).
pub(crate) async fn listen(client: redis::Client, pattern: String, waiters: Weak<Waiters>, timeout: Duration) {
    let mut backoff = Duration::from_millis(100);
    loop {
        if let Ok(Ok(mut ps)) = tokio::time::timeout(timeout, client.get_async_pubsub()).await {
            if ps.psubscribe(&pattern).await.is_ok() {
                backoff = Duration::from_millis(100);
                tracing::debug!("conf-redis: subscribed to credential notifications");
                // Anything published while we were away: let waiters re-read now.
                match waiters.upgrade() {
                    Some(w) => w.wake_all(),
                    None => return,
                }
                let mut messages = ps.into_on_message();
                while let Some(msg) = messages.next().await {
                    let Some(w) = waiters.upgrade() else { return };
                    w.wake(msg.get_channel_name());
                }
                tracing::debug!("conf-redis: notification connection lost: polling until it is back");
            }
        }
        if waiters.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}
