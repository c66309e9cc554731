//! Typed vmr error codes.
//!
//! The vmr document defines no code table: a node answers HTTP statuses and `status` /
//! `result` texts, the API server's join check a `code`. The SDK names what it recognises
//! ([`crate::wire`] decides) and keeps everything else as [`ErrorCode::Unknown`].
//! `err.vendor_code_as::<vmr_rest::ErrorCode>()` reads any vmr failure (also when wrapped
//! in an auth or outcome-unknown error) as this type.

use conf_core::{RequestInfo, VendorCode};

/// A vmr failure, as the SDK recognises it (the vendor's own text kept otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `pin_required`: the room needs the host PIN; guests may join without one.
    PinRequired,
    /// `pin_required_guest_pin_required`: the room needs a PIN from everyone (host or guest PIN).
    PinAndGuestPinRequired,
    /// `pin_invalid`: the room did not accept the PIN given.
    PinInvalid,
    /// `permission_denied`: the session's role may not run this command (HTTP 403).
    PermissionDenied,
    /// `conference_not_found`: the node knows no such room (HTTP 404 with a JSON body).
    ConferenceNotFound,
    /// `false`: the node answered `result: false`, the command was not carried out.
    NotCarriedOut,
    /// `403`: the join check refused the account or its password.
    JoinRefused,
    /// Any other code (a node `status` other than `success`, another join-check code), as sent.
    Unknown(String),
}

impl ErrorCode {
    /// The variant for a code as vmr errors carry it (`Unknown` when not recognised).
    pub fn from_code(code: &str) -> Self {
        match code {
            "pin_required" => Self::PinRequired,
            "pin_required_guest_pin_required" => Self::PinAndGuestPinRequired,
            "pin_invalid" => Self::PinInvalid,
            "permission_denied" => Self::PermissionDenied,
            "conference_not_found" => Self::ConferenceNotFound,
            "false" => Self::NotCarriedOut,
            "403" => Self::JoinRefused,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// The code as the error carries it.
    pub fn code(&self) -> &str {
        match self {
            Self::PinRequired => "pin_required",
            Self::PinAndGuestPinRequired => "pin_required_guest_pin_required",
            Self::PinInvalid => "pin_invalid",
            Self::PermissionDenied => "permission_denied",
            Self::ConferenceNotFound => "conference_not_found",
            Self::NotCarriedOut => "false",
            Self::JoinRefused => "403",
            Self::Unknown(code) => code,
        }
    }

    /// What the code means (`None` for `Unknown`).
    pub fn message(&self) -> Option<&'static str> {
        Some(match self {
            Self::PinRequired => "the room requires the host PIN (guests may join without one)",
            Self::PinAndGuestPinRequired => "the room requires a PIN (host or guest)",
            Self::PinInvalid => "the PIN was not accepted by the room",
            Self::PermissionDenied => "the session's role may not do this",
            Self::ConferenceNotFound => "no such conference on this node",
            Self::NotCarriedOut => "the node did not carry out the command",
            Self::JoinRefused => "the join check refused the account or password",
            Self::Unknown(_) => return None,
        })
    }

    /// Whether trying again can help: a join-check code starting with `5` (server trouble),
    /// as the join check's error says.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unknown(code) if code.starts_with('5'))
    }
}

impl VendorCode for ErrorCode {
    const VENDOR: &'static str = crate::wire::VENDOR;

    fn from_vendor_code(code: &str, _request: &RequestInfo) -> Self {
        Self::from_code(code)
    }

    fn code(&self) -> &str {
        ErrorCode::code(self)
    }

    fn meaning(&self) -> Option<&'static str> {
        self.message()
    }

    fn is_retryable(&self) -> bool {
        ErrorCode::is_retryable(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::PinError;

    #[test]
    fn pin_errors_read_as_their_codes_and_codes_round_trip() {
        let info = RequestInfo::none("vmr", "new_session");
        for (pin, code) in [
            (PinError::Required { guest_pin_required: false }, ErrorCode::PinRequired),
            (PinError::Required { guest_pin_required: true }, ErrorCode::PinAndGuestPinRequired),
            (PinError::Invalid, ErrorCode::PinInvalid),
        ] {
            assert_eq!(pin.into_error(info.clone()).vendor_code_as::<ErrorCode>(), Some(code));
        }
        for code in [
            "pin_required",
            "pin_required_guest_pin_required",
            "pin_invalid",
            "permission_denied",
            "conference_not_found",
            "false",
            "403",
            "busy",
        ] {
            assert_eq!(ErrorCode::from_code(code).code(), code);
        }
        assert!(ErrorCode::from_code("503").is_retryable());
        assert!(!ErrorCode::from_code("403").is_retryable() && !ErrorCode::from_code("failure").is_retryable());
        assert_eq!(ErrorCode::from_code("busy").message(), None);
    }
}
