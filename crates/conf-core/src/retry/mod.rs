//! Retry: a policy (how many attempts, how long to wait), a budget (whether a
//! struggling server may be asked again) and a classifier (whether this failure
//! is worth another attempt, and whether replaying is safe).

mod budget;
mod classify;

use std::time::{Duration, SystemTime};

pub use budget::RetryBudget;
pub use classify::{Decision, classify, classify_with};

/// How retries are spaced and bounded.
///
/// Start from [`RetryPolicy::default`] (or [`RetryPolicy::disabled`]) and change it with
/// the setters: `RetryPolicy::default().max_attempts(5).initial_backoff(Duration::from_millis(50))`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 disables retries).
    pub max_attempts: u32,
    /// First backoff ceiling; doubles per attempt.
    pub initial_backoff: Duration,
    /// Largest backoff ceiling.
    pub max_backoff: Duration,
    /// Longest `Retry-After` honoured; a longer one ends the retries.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn disabled() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// Set the number of attempts in all, the first included (1 disables retries).
    #[must_use]
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }

    /// Set the first backoff ceiling (it doubles per attempt).
    #[must_use]
    pub fn initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// Set the largest backoff ceiling.
    #[must_use]
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// Set the longest `Retry-After` honoured (a longer one ends the retries).
    #[must_use]
    pub fn max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = d;
        self
    }

    /// The wait before attempt `next_attempt` (2 for the first retry): full jitter,
    /// a uniform draw in `[0, min(max_backoff, initial * 2^(n-2))]`.
    pub fn backoff(&self, next_attempt: u32) -> Duration {
        let exp = next_attempt.saturating_sub(2).min(30);
        let ceiling = self.initial_backoff.saturating_mul(1u32 << exp).min(self.max_backoff);
        ceiling.mul_f64(rand::random::<f64>())
    }

    /// The wait to use given the server's `Retry-After`: the server's value when
    /// present (`None` if it exceeds [`max_retry_after`](Self::max_retry_after)),
    /// otherwise the jittered backoff.
    pub fn wait(&self, next_attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        match retry_after {
            Some(d) if d > self.max_retry_after => None,
            Some(d) => Some(d),
            None => Some(self.backoff(next_attempt)),
        }
    }
}

/// Parse a `Retry-After` value: delay-seconds or an HTTP-date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_is_bounded_and_capped() {
        let p = RetryPolicy::default().initial_backoff(Duration::from_millis(100)).max_backoff(Duration::from_millis(250));
        for _ in 0..200 {
            assert!(p.backoff(2) <= Duration::from_millis(100));
            assert!(p.backoff(3) <= Duration::from_millis(200));
            assert!(p.backoff(9) <= Duration::from_millis(250));
        }
        assert_eq!(p.wait(2, Some(Duration::from_secs(3))), Some(Duration::from_secs(3)));
        assert_eq!(p.wait(2, Some(Duration::from_secs(60))), None);
    }
}
