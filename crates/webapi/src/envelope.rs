//! The WebAPI's reply convention: `result` (getRoomRecord: `code`) is 0 on success;
//! any other value is a vendor error carrying the code and the document's meaning.

use conf_core::envelope::{Envelope, check_http_status, top_level_fields};
use conf_core::{Error, RawResponse, RequestInfo};
use serde_json::Value;

use crate::generated::ErrorCode;

/// Checks every attempt's reply: HTTP status first, then `result` / `code`.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebApiEnvelope;

impl Envelope for WebApiEnvelope {
    fn check(&self, request: &RequestInfo, response: &RawResponse) -> Result<(), Error> {
        check_http_status(request, response, false)?;
        // A body that is not a JSON object is left to the payload decoder (a typed
        // `Error::Decode` with an excerpt). Only `result` and `code` are read here (the
        // rest streams past unbuilt); the payload decoder reads the body once into its type.
        let Ok(Value::Object(map)) = top_level_fields(&response.body, &["result", "code"]) else {
            return Ok(());
        };
        let Some(code) = ["result", "code"].iter().find_map(|k| map.get(*k).and_then(code_text)) else {
            return Ok(());
        };
        if code == "0" {
            return Ok(());
        }
        Err(vendor_error(request, &code))
    }
}

/// The status code as text: numbers and strings alike (`0`, `"0"`, `4007`, `"4007"`).
fn code_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => {
            let t = s.trim();
            Some(t.parse::<i64>().map_or_else(|_| t.to_owned(), |n| n.to_string()))
        }
        _ => None,
    }
}

/// An [`Error::Vendor`] for a non-zero code, explained from the document's table.
pub fn vendor_error(request: &RequestInfo, code: &str) -> Error {
    let known = ErrorCode::from_code(code);
    let message = match (known.zh(), known.en()) {
        (Some(zh), Some(en)) => format!("{en} ({zh})"),
        (Some(m), None) | (None, Some(m)) => m.to_owned(),
        (None, None) => "error code not in the vendor's table".to_owned(),
    };
    Error::vendor(request.clone(), "webapi", code, message, known.is_retryable())
}

/// The typed vendor code of a WebAPI error (also when wrapped, e.g. in an outcome-unknown
/// error); `None` for other errors, including other vendors'. Same as
/// `err.vendor_code_as::<ErrorCode>()` ([`conf_core::VendorCode`]).
pub fn error_code(err: &Error) -> Option<ErrorCode> {
    err.vendor_code_as::<ErrorCode>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &'static str) -> Result<(), Error> {
        let r = RawResponse::from_body(http::StatusCode::OK, bytes::Bytes::from_static(body.as_bytes()));
        WebApiEnvelope.check(&RequestInfo::none("webapi", "t"), &r)
    }

    #[test]
    fn zero_is_success_in_either_field_and_spelling() {
        assert!(check(r#"{"result":0}"#).is_ok());
        assert!(check(r#"{"result":"0"}"#).is_ok());
        assert!(check(r#"{"code":0,"records":[]}"#).is_ok());
    }

    #[test]
    fn non_zero_is_a_typed_vendor_error() {
        let e = check(r#"{"result":4007}"#).unwrap_err();
        assert_eq!(error_code(&e), Some(ErrorCode::MeetingNotFound));
        assert!(e.to_string().contains("4007") && e.to_string().contains("会议不存在"), "{e}");
        assert!(!e.is_retryable());
        let e = check(r#"{"code":"9999"}"#).unwrap_err();
        assert_eq!(error_code(&e), Some(ErrorCode::SystemBusy));
        assert!(e.is_retryable());
        let e = check(r#"{"result":123}"#).unwrap_err();
        assert_eq!(error_code(&e), Some(ErrorCode::Unknown("123".into())));
    }
}
