//! Whether a failed attempt may be retried, and whether it is safe to.

use crate::error::{Error, TransportKind};

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Try again (subject to attempts, budget and deadline).
    Retry,
    /// Return the error as it is.
    Fail,
    /// The request may have taken effect and must not be replayed: report the outcome as unknown.
    OutcomeUnknown,
}

/// Classify an attempt's error for an operation that is (or is not) idempotent.
///
/// Failures before any byte was sent are always retryable. Timeouts, broken
/// connections, 429/502/503/504 and transient vendor codes are retried only for
/// idempotent operations; for the others a failure after sending becomes an
/// unknown outcome, and a server's answer is returned as it is, except a gateway
/// timeout (504): the proxy gave up waiting for a platform that may still have acted,
/// so a non-idempotent call answered 504 is an unknown outcome too.
pub fn classify(error: &Error, idempotent: bool) -> Decision {
    classify_with(error, idempotent, error.is_retryable())
}

/// [`classify`] with the verdict on an answered failure (HTTP status, vendor code)
/// given: `retryable` replaces [`Error::is_retryable`] (a hook's
/// [`classify_retry`](crate::Hook::classify_retry)).
pub fn classify_with(error: &Error, idempotent: bool, retryable: bool) -> Decision {
    match error {
        Error::Transport { sent: false, .. } | Error::Transport { kind: TransportKind::Connect | TransportKind::Dns, .. } => {
            Decision::Retry
        }
        Error::Transport { .. } | Error::Timeout { .. } => {
            if idempotent {
                Decision::Retry
            } else {
                Decision::OutcomeUnknown
            }
        }
        Error::HttpStatus { status: 504, .. } if !idempotent => Decision::OutcomeUnknown,
        Error::HttpStatus { .. } | Error::Vendor { .. } if retryable => {
            if idempotent {
                Decision::Retry
            } else {
                Decision::Fail
            }
        }
        _ => Decision::Fail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{RequestInfo, TimeoutKind};
    use std::time::Duration;

    fn info() -> RequestInfo {
        RequestInfo::none("t", "op")
    }

    #[test]
    fn matrix() {
        let connect = Error::transport(info(), TransportKind::Connect, String::new(), false);
        let reset = Error::transport(info(), TransportKind::Io, String::new(), true);
        let timeout = Error::Timeout { request: info(), kind: TimeoutKind::Attempt(Duration::from_secs(1)) };
        let s503 = Error::HttpStatus { request: info(), status: 503, body_excerpt: String::new(), retry_after: None };
        let s500 = Error::HttpStatus { request: info(), status: 500, body_excerpt: String::new(), retry_after: None };
        let busy =
            Error::Vendor { request: info(), vendor: "m", code: "20003".into(), message: String::new(), retryable: true, request_id: None };
        assert_eq!(classify(&connect, false), Decision::Retry);
        assert_eq!(classify(&reset, true), Decision::Retry);
        assert_eq!(classify(&reset, false), Decision::OutcomeUnknown);
        assert_eq!(classify(&timeout, false), Decision::OutcomeUnknown);
        assert_eq!(classify(&s503, true), Decision::Retry);
        assert_eq!(classify(&s503, false), Decision::Fail);
        let s504 = Error::HttpStatus { request: info(), status: 504, body_excerpt: String::new(), retry_after: None };
        assert_eq!(classify(&s504, true), Decision::Retry);
        assert_eq!(classify(&s504, false), Decision::OutcomeUnknown);
        assert_eq!(classify(&s500, true), Decision::Fail);
        assert_eq!(classify(&busy, true), Decision::Retry);
        assert_eq!(classify(&busy, false), Decision::Fail);
    }
}
