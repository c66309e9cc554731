//! ytx's reply convention: `{"statusCode": "0", "statusMsg": ...}`.
//!
//! `statusCode` is a string (`"0"` success); on failure `statusMsg` is a text, on
//! success it may be data (the member list of `meetingState`). Known codes get the
//! SDK's explanation appended; unknown codes keep the platform's code and message.
//! A failure's `requestId` is kept on the error ([`conf_core::Error::vendor_request_id`],
//! and in its text) for support tickets.

use conf_core::envelope::{check_http_status, decode_error, top_level_raw};
use conf_core::{Envelope, Error, RawResponse, RequestInfo};
use serde_json::Value;

use crate::generated::ErrorCode;

/// The ytx envelope.
#[derive(Debug, Clone, Copy, Default)]
pub struct YtxEnvelope;

impl Envelope for YtxEnvelope {
    fn check(&self, request: &RequestInfo, response: &RawResponse) -> Result<(), Error> {
        check_http_status(request, response, false)?;
        // The envelope's fields are borrowed as raw JSON text: on success `statusMsg` may be
        // the data (the member list), which is decoded once, later, straight into its type.
        let fields = top_level_raw(&response.body, &["statusCode", "statusMsg", "requestId"])
            .map_err(|e| decode_error(request, &response.body, false, e))?
            .unwrap_or_default();
        let code = fields
            .text("statusCode")
            .map(|c| c.trim().to_string())
            .ok_or_else(|| decode_error(request, &response.body, false, "no statusCode in reply"))?;
        if code == "0" {
            return Ok(());
        }
        // A failure: its `statusMsg` is a text (anything else is quoted as JSON).
        let platform = match fields.get("statusMsg").map(|raw| serde_json::from_str::<Value>(raw.get())) {
            Some(Ok(Value::String(s))) => s,
            Some(Ok(Value::Null)) | None => String::new(),
            Some(Ok(other)) => other.to_string(),
            Some(Err(e)) => return Err(decode_error(request, &response.body, false, e)),
        };
        let known = ErrorCode::from_code(&code);
        let message = match known.en() {
            None => platform,
            Some(hint) if platform.is_empty() => hint.to_string(),
            Some(hint) => format!("{platform} ({hint})"),
        };
        // Failure replies carry the platform's `requestId` (empty in the document's
        // example): kept on the error for support tickets.
        let request_id = fields.text("requestId").map(|id| id.trim().to_owned()).unwrap_or_default();
        Err(Error::vendor(request.clone(), "ytx", code, message, known.is_retryable()).with_request_id(request_id))
    }
}

/// The typed ytx code of an error, when it is a ytx vendor error (also when wrapped, e.g.
/// in an outcome-unknown error). Same as `error.vendor_code_as::<ErrorCode>()`
/// ([`conf_core::VendorCode`]).
pub fn error_code(error: &Error) -> Option<ErrorCode> {
    error.vendor_code_as::<ErrorCode>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &'static str) -> Result<(), Error> {
        let r = RawResponse::from_body(http::StatusCode::OK, bytes::Bytes::from_static(body.as_bytes()));
        YtxEnvelope.check(&RequestInfo::none("ytx", "lockMeeting"), &r)
    }

    #[test]
    fn request_id_is_kept_in_any_spelling() {
        let e = check(r#"{"statusCode":"-2","statusMsg":"缺少必要参数","requestId":"a1b2"}"#).unwrap_err();
        assert_eq!(e.vendor_request_id(), Some("a1b2"));
        assert!(e.to_string().ends_with("(requestId a1b2)"), "{e}");
        let e = check(r#"{"statusCode":-205,"requestId":7}"#).unwrap_err();
        assert_eq!(e.vendor_request_id(), Some("7"));
        for body in [r#"{"statusCode":"-2","requestId":""}"#, r#"{"statusCode":"-2"}"#, r#"{"statusCode":"-2","requestId":null}"#] {
            assert_eq!(check(body).unwrap_err().vendor_request_id(), None, "{body}");
        }
        assert!(check(r#"{"statusCode":"0","requestId":"x"}"#).is_ok());
    }

    #[test]
    fn codes_in_either_spelling_and_shapes() {
        assert!(check(r#"{"statusCode":" 0 ","statusMsg":[{"meid":"1","phone":"131****0000"}]}"#).is_ok());
        assert!(check(r#"{"statusCode":0}"#).is_ok());
        let e = check(r#"{"statusCode":"-205","statusMsg":{"why":"x"}}"#).unwrap_err();
        assert_eq!(e.vendor_code(), Some("-205"));
        assert!(e.to_string().contains(r#"{"why":"x"}"#), "{e}");
        for body in [r#"{"statusMsg":"x"}"#, r#"[{"statusCode":"0"}]"#, r#""0""#, r#"{"statusCode":"0""#] {
            assert!(matches!(check(body).unwrap_err(), Error::Decode { .. }), "{body}");
        }
    }
}
