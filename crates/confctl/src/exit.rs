//! Exit codes, the contract scripts rely on:
//! 0 success; 2 invalid input or usage (nothing was sent); 3 the vendor answered with an
//! error (code and message on stderr); 4 transport failure or timeout; 1 anything else.

use conf_core::Error;

/// Success.
pub const OK: u8 = 0;
/// Anything else.
pub const OTHER: u8 = 1;
/// Invalid input or usage; nothing was sent.
pub const USAGE: u8 = 2;
/// The vendor answered with an error.
pub const VENDOR: u8 = 3;
/// Transport failure or timeout.
pub const TRANSPORT: u8 = 4;

/// The exit code for an SDK error.
pub fn code_for(e: &Error) -> u8 {
    match e {
        Error::InvalidInput { .. } | Error::Unsupported { .. } => USAGE,
        // A redirect not followed is the server's answer, like any other HTTP status.
        Error::Vendor { .. } | Error::HttpStatus { .. } | Error::Redirect { .. } => VENDOR,
        Error::Transport { .. } | Error::Timeout { .. } | Error::OutcomeUnknown { .. } => TRANSPORT,
        // The operation was not sent; what kept it back decides.
        Error::Auth { source: Some(inner), .. } | Error::Discovery { cause: inner, .. } => code_for(inner),
        Error::Auth { source: None, .. } => VENDOR,
        _ => OTHER,
    }
}

/// The one-line stderr message for an SDK error (never a secret: errors carry none).
pub fn message_for(e: &Error) -> String {
    match e {
        Error::Vendor { vendor, code, message, request_id, .. } => match request_id {
            // Support tickets need the vendor's request id.
            Some(id) => format!("{vendor} error {code}: {message} (requestId {id})"),
            None => format!("{vendor} error {code}: {message}"),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use conf_core::{RequestInfo, TransportKind};

    #[test]
    fn mapping() {
        let req = RequestInfo::none("t", "o");
        assert_eq!(code_for(&Error::invalid_input("x", "y")), USAGE);
        assert_eq!(code_for(&Error::Unsupported { operation: "o".into(), needs: "n".into(), platform: "p".into() }), USAGE);
        let vendor = Error::Vendor {
            request: req.clone(),
            vendor: "ytx",
            code: "-205".into(),
            message: "m".into(),
            retryable: false,
            request_id: None,
        };
        assert_eq!(code_for(&vendor), VENDOR);
        assert_eq!(message_for(&vendor), "ytx error -205: m");
        assert_eq!(message_for(&vendor.clone().with_request_id("r-42")), "ytx error -205: m (requestId r-42)");
        let t = Error::transport(req.clone(), TransportKind::Connect, "refused", false);
        assert_eq!(code_for(&t), TRANSPORT);
        let discovery = |cause: &Error| Error::Discovery { request: req.clone(), app: "vc", cause: Box::new(cause.clone()) };
        assert_eq!(code_for(&discovery(&t)), TRANSPORT);
        assert_eq!(code_for(&discovery(&vendor)), VENDOR);
        let redirect =
            Error::Redirect { request: req.clone(), status: 302, from: "http://a:1".into(), to: "http://b:2".into(), reason: "r".into() };
        assert_eq!(code_for(&redirect), VENDOR);
        assert_eq!(code_for(&Error::Auth { request: req, message: "x".into(), source: Some(Box::new(t)) }), TRANSPORT);
        assert_eq!(code_for(&Error::other("x")), OTHER);
    }
}
