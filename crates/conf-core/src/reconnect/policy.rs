//! [`ReconnectPolicy`]: when a dropped stream reconnects, and when it gives up.

use std::time::Duration;

/// Reconnection settings shared by every reconnecting stream (vmr events, moyun push):
/// `ReconnectPolicy::default()` and the setters.
///
/// After a drop the stream waits `initial_backoff`, doubled per consecutive failure and
/// capped at `max_backoff`, made up to `jitter_percent` % shorter at random (so many
/// clients dropped together do not reconnect in step). A connection that stays silent
/// for `silence_timeout` counts as dropped. After `max_failures` consecutive failures
/// the stream ends with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReconnectPolicy {
    /// First wait before reconnecting; doubled per consecutive failure. Default 250 ms.
    pub initial_backoff: Duration,
    /// Longest wait between two connection attempts. Default 5 s.
    pub max_backoff: Duration,
    /// Up to this share (0-100 %) of each wait is cut at random. Default 20.
    pub jitter_percent: u8,
    /// A connection that shows no sign of life for this long counts as dropped. What a
    /// sign of life is depends on the protocol (vmr: a complete SSE line; moyun: the
    /// margin over the server's advised long-poll hold time). Default 60 s.
    pub silence_timeout: Duration,
    /// Consecutive failures (refused, broken, silent, or ended without delivering
    /// anything) after which the stream ends with an error; `None`: never. Default 30.
    pub max_failures: Option<u32>,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(5),
            jitter_percent: 20,
            silence_timeout: Duration::from_secs(60),
            max_failures: Some(30),
        }
    }
}

impl ReconnectPolicy {
    /// Set the backoff bounds (`max` is raised to `initial` if lower).
    #[must_use]
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Set the first wait before reconnecting.
    #[must_use]
    pub fn initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// Set the longest wait between two connection attempts.
    #[must_use]
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// Set the random share cut from each wait, in percent (clamped to 100).
    #[must_use]
    pub fn jitter_percent(mut self, percent: u8) -> Self {
        self.jitter_percent = percent.min(100);
        self
    }

    /// Set the silence watchdog.
    #[must_use]
    pub fn silence_timeout(mut self, d: Duration) -> Self {
        self.silence_timeout = d;
        self
    }

    /// Set how many consecutive failures end the stream (`None`: never).
    #[must_use]
    pub fn max_failures(mut self, n: Option<u32>) -> Self {
        self.max_failures = n;
        self
    }

    /// The wait before attempt `failures` (1 after the first failure), given a random
    /// number `random` in `[0, 1)`: never more than `max_backoff`.
    #[must_use]
    pub fn delay(&self, failures: u32, random: f64) -> Duration {
        let base = self.initial_backoff.saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(16))).min(self.max_backoff);
        let share = f64::from(self.jitter_percent.min(100)) / 100.0 * random.clamp(0.0, 1.0);
        base.saturating_sub(base.mul_f64(share))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped_and_jitter_only_shortens() {
        let p = ReconnectPolicy::default().jitter_percent(0);
        assert_eq!(p.delay(1, 0.9), Duration::from_millis(250));
        assert_eq!(p.delay(2, 0.9), Duration::from_millis(500));
        assert_eq!(p.delay(30, 0.9), Duration::from_secs(5));
        assert_eq!(p.delay(u32::MAX, 0.9), Duration::from_secs(5));
        let p = p.jitter_percent(50);
        assert_eq!(p.delay(1, 0.0), Duration::from_millis(250));
        assert_eq!(p.delay(1, 0.5), Duration::from_micros(187_500));
        assert_eq!(p.delay(30, 1.0), Duration::from_millis(2500));
        assert_eq!(ReconnectPolicy::default().backoff(Duration::from_secs(2), Duration::from_secs(1)).max_backoff, Duration::from_secs(2));
    }
}
