//! Background tasks (heartbeats, refresh loops) that end with their owner.

use std::future::Future;
use std::sync::Mutex;

use tokio::task::AbortHandle;

/// A set of spawned tasks, all aborted when the set is dropped.
///
/// Tasks should hold only weak references to their owner (see
/// [`Client::downgrade`](crate::Client::downgrade)), so dropping the owner drops the set.
#[derive(Default)]
pub struct BackgroundTasks {
    handles: Mutex<Vec<AbortHandle>>,
}

impl std::fmt::Debug for BackgroundTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackgroundTasks").field("tasks", &self.len()).finish()
    }
}

impl BackgroundTasks {
    /// Spawn `fut` on the current tokio runtime, tied to this set.
    pub fn spawn<F: Future<Output = ()> + Send + 'static>(&self, fut: F) {
        let handle = tokio::spawn(fut).abort_handle();
        let mut hs = self.handles.lock().expect("task set poisoned");
        hs.retain(|h| !h.is_finished());
        hs.push(handle);
    }

    /// Tasks still running.
    pub fn len(&self) -> usize {
        self.handles.lock().expect("task set poisoned").iter().filter(|h| !h.is_finished()).count()
    }

    /// Whether no task is running.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Abort every task now.
    pub fn abort_all(&self) {
        for h in self.handles.lock().expect("task set poisoned").drain(..) {
            h.abort();
        }
    }
}

impl Drop for BackgroundTasks {
    fn drop(&mut self) {
        self.abort_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn tasks_stop_on_drop() {
        let ticks = Arc::new(AtomicU32::new(0));
        let set = BackgroundTasks::default();
        let t = ticks.clone();
        set.spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                t.fetch_add(1, Ordering::SeqCst);
            }
        });
        tokio::time::sleep(Duration::from_millis(3500)).await;
        assert_eq!(ticks.load(Ordering::SeqCst), 3);
        drop(set);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(ticks.load(Ordering::SeqCst), 3);
    }
}
