//! The retry budget: a token bucket shared by every call of a client.
//!
//! A retry costs tokens (a retry after a timeout costs more), a success returns
//! one. When the bucket is empty, failures are returned without retrying, so a
//! server that fails everything is not asked three times as often.

use std::sync::atomic::{AtomicU32, Ordering};

/// Token-bucket retry budget.
#[derive(Debug)]
pub struct RetryBudget {
    tokens: AtomicU32,
    capacity: u32,
    retry_cost: u32,
    timeout_cost: u32,
}

impl Default for RetryBudget {
    fn default() -> Self {
        Self::new(500, 5, 10)
    }
}

impl RetryBudget {
    /// A full bucket of `capacity` tokens.
    pub fn new(capacity: u32, retry_cost: u32, timeout_cost: u32) -> Self {
        Self { tokens: AtomicU32::new(capacity), capacity, retry_cost, timeout_cost }
    }

    /// Take the cost of one retry; false when the budget is exhausted.
    pub fn try_acquire(&self, after_timeout: bool) -> bool {
        let cost = if after_timeout { self.timeout_cost } else { self.retry_cost };
        self.tokens.fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost)).is_ok()
    }

    /// Return a token after a success.
    pub fn on_success(&self) {
        let _ = self.tokens.fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| (t < self.capacity).then_some(t + 1));
    }

    /// Tokens left.
    pub fn available(&self) -> u32 {
        self.tokens.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drains_and_refills() {
        let b = RetryBudget::new(12, 5, 10);
        assert!(b.try_acquire(false));
        assert!(!b.try_acquire(true));
        assert!(b.try_acquire(false));
        assert!(!b.try_acquire(false));
        b.on_success();
        b.on_success();
        b.on_success();
        assert_eq!(b.available(), 5);
        for _ in 0..100 {
            b.on_success();
        }
        assert_eq!(b.available(), 12);
    }
}
