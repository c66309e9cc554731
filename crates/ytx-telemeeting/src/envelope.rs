//! ytx's reply convention: `{"statusCode": "0", "statusMsg": ...}`.
//!
//! `statusCode` is a string (`"0"` success); on failure `statusMsg` is a text, on
//! success it may be data (the member list of `meetingState`). Known codes get the
//! SDK's explanation appended; unknown codes keep the platform's code and message.

use conf_core::envelope::{check_http_status, decode_error};
use conf_core::{Envelope, Error, RawResponse, RequestInfo};
use serde_json::Value;

use crate::generated::ErrorCode;

/// The ytx envelope.
#[derive(Debug, Clone, Copy, Default)]
pub struct YtxEnvelope;

/// The `statusCode` of a reply as text (`"0"`, `"-205"`), whether sent as a string or a number.
pub(crate) fn status_code(v: &Value) -> Option<String> {
    match v.get("statusCode")? {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Envelope for YtxEnvelope {
    fn check(&self, request: &RequestInfo, response: &RawResponse) -> Result<(), Error> {
        check_http_status(request, response, false)?;
        let value: Value = serde_json::from_slice(&response.body).map_err(|e| decode_error(request, &response.body, false, e))?;
        let code = status_code(&value).ok_or_else(|| decode_error(request, &response.body, false, "no statusCode in reply"))?;
        if code == "0" {
            return Ok(());
        }
        let platform = match value.get("statusMsg") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let known = ErrorCode::from_code(&code);
        let message = match known.en() {
            None => platform,
            Some(hint) if platform.is_empty() => hint.to_string(),
            Some(hint) => format!("{platform} ({hint})"),
        };
        Err(Error::Vendor { request: request.clone(), vendor: "ytx", code, message, retryable: known.is_retryable() })
    }
}

/// The typed ytx code of an error, when it is a ytx vendor error.
pub fn error_code(error: &Error) -> Option<ErrorCode> {
    match error {
        Error::Vendor { vendor: "ytx", code, .. } => Some(ErrorCode::from_code(code)),
        Error::OutcomeUnknown { cause, .. } => error_code(cause),
        _ => None,
    }
}
