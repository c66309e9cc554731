//! The lingsun reply `{ code, msg, timestamp, data, success }`.
//!
//! `success: false` or a non-zero `code` is a vendor error carrying `code` and `msg`.
//! HTTP 401 stays an HTTP error (the authenticator renews the token on it); other
//! non-2xx replies with the envelope are vendor errors, without it HTTP errors.

use conf_core::envelope::{check_http_status, decode_error, top_level_fields};
use conf_core::{Envelope, Error, RawResponse, RequestInfo};
use serde_json::Value;

/// The lingsun envelope.
#[derive(Debug, Clone, Copy, Default)]
pub struct LingsunEnvelope;

fn code_of(v: &Value) -> Option<String> {
    match v.get("code")? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.trim().to_string()),
        _ => None,
    }
}

fn success_of(v: &Value) -> Option<bool> {
    match v.get("success")? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => conf_core::de::parse_bool(s),
        Value::Number(n) => Some(n.as_i64() != Some(0)),
        _ => None,
    }
}

impl Envelope for LingsunEnvelope {
    fn check(&self, request: &RequestInfo, response: &RawResponse) -> Result<(), Error> {
        if response.status.as_u16() == 401 {
            return check_http_status(request, response, false);
        }
        // Only the envelope's fields are read (`data` streams past unbuilt); the caller
        // decodes the body once into its type.
        let value: Value = match top_level_fields(&response.body, &["code", "success", "msg"]) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                check_http_status(request, response, false)?;
                return Err(decode_error(request, &response.body, false, "reply is not a JSON object"));
            }
        };
        let code = code_of(&value);
        let success = success_of(&value);
        if code.is_none() && success.is_none() {
            check_http_status(request, response, false)?;
            return Err(decode_error(request, &response.body, false, "reply has neither `code` nor `success`"));
        }
        let code_ok = code.as_deref().is_none_or(|c| c == "0");
        if code_ok && success != Some(false) && response.status.is_success() {
            return Ok(());
        }
        let code = code.filter(|c| c != "0").unwrap_or_else(|| response.status.as_u16().to_string());
        let message = value.get("msg").and_then(Value::as_str).unwrap_or_default().to_string();
        let retryable = matches!(response.status.as_u16(), 429 | 502 | 503 | 504);
        Err(Error::Vendor { request: request.clone(), vendor: "lingsun", code, message, retryable, request_id: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> RawResponse {
        RawResponse::from_body(http::StatusCode::from_u16(status).unwrap(), body.to_string())
    }

    #[test]
    fn codes_and_success_flags() {
        let info = RequestInfo::none("lingsun", "t");
        let env = LingsunEnvelope;
        assert!(env.check(&info, &resp(200, r#"{"code":0,"msg":"SUCCESS","success":true}"#)).is_ok());
        let e = env.check(&info, &resp(200, r#"{"code":999999,"msg":"The user not exists.","success":false}"#)).unwrap_err();
        assert_eq!(e.vendor_code(), Some("999999"));
        let e = env.check(&info, &resp(200, r#"{"code":0,"msg":"odd","success":false}"#)).unwrap_err();
        assert!(matches!(e, Error::Vendor { .. }), "{e}");
        let e = env.check(&info, &resp(201, r#"{"code":400,"msg":"invalid_grant","success":false}"#)).unwrap_err();
        assert_eq!(e.vendor_code(), Some("400"));
        let e = env.check(&info, &resp(401, r#"{"code":401,"msg":"invalid_token","success":false}"#)).unwrap_err();
        assert_eq!(e.http_status(), Some(401));
        let e = env.check(&info, &resp(502, "<html><title>502 Bad Gateway</title></html>")).unwrap_err();
        assert_eq!(e.http_status(), Some(502));
    }
}
