//! The vmr answer formats: `{"status":"success","result":..}` at a conference node,
//! `{"code":"200","results":{..}}` at the API server, and the typed PIN errors.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::Value;

use conf_core::de::parse_bool;
use conf_core::envelope::{check_http_status, decode_error, decode_value};
use conf_core::{Envelope, Error, RawResponse, RequestInfo};

/// Vendor name used in errors and spans.
pub const VENDOR: &str = "vmr";

/// Envelope of a conference node (`status` / `result`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeEnvelope;

impl Envelope for NodeEnvelope {
    fn check(&self, request: &RequestInfo, response: &RawResponse) -> Result<(), Error> {
        let status = response.status.as_u16();
        if response.status.is_success() {
            if let Ok(v) = serde_json::from_slice::<Value>(&response.body) {
                if let Some(s) = v.get("status").and_then(Value::as_str) {
                    if !s.eq_ignore_ascii_case("success") {
                        return Err(Error::Vendor {
                            request: request.clone(),
                            vendor: VENDOR,
                            code: s.to_string(),
                            message: format!("the node answered status `{s}`: {}", result_text(&v)),
                            retryable: false,
                        });
                    }
                }
            }
            return Ok(());
        }
        let json = serde_json::from_slice::<Value>(&response.body).ok();
        if status == 403 && request.operation == "new_session" {
            if let Some(pin) = json.as_ref().and_then(pin_error_of) {
                return Err(pin.into_error(request.clone()));
            }
        }
        if status == 403 {
            if let Some(v) = &json {
                let text = result_text(v);
                if text.to_ascii_lowercase().contains("permission") {
                    return Err(Error::Vendor {
                        request: request.clone(),
                        vendor: VENDOR,
                        code: "permission_denied".into(),
                        message: format!("the session's role may not do this: {text}"),
                        retryable: false,
                    });
                }
            }
        }
        if status == 404 {
            if let Some(v) = &json {
                return Err(Error::Vendor {
                    request: request.clone(),
                    vendor: VENDOR,
                    code: "conference_not_found".into(),
                    message: format!("no such conference (room alias or id unknown to this node): {}", result_text(v)),
                    retryable: false,
                });
            }
        }
        check_http_status(request, response, false)
    }
}

/// Envelope of the API server's join check (`code` / `results`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiEnvelope;

impl Envelope for ApiEnvelope {
    fn check(&self, request: &RequestInfo, response: &RawResponse) -> Result<(), Error> {
        check_http_status(request, response, false)?;
        let v: Value = serde_json::from_slice(&response.body).map_err(|e| decode_error(request, &response.body, true, e))?;
        let code = match v.get("code") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Ok(()),
        };
        if code == "200" || code == "0" {
            return Ok(());
        }
        let msg = ["message", "msg", "results"].iter().find_map(|k| v.get(*k)).map_or_else(String::new, |m| match m {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        Err(Error::Vendor {
            request: request.clone(),
            vendor: VENDOR,
            code: code.clone(),
            message: format!("join check refused (code {code}){}", if msg.is_empty() { String::new() } else { format!(": {msg}") }),
            retryable: code.starts_with('5'),
        })
    }
}

fn result_text(v: &Value) -> String {
    match v.get("result") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// Decode a node answer's `result` into `T`.
///
/// Tolerates the shapes the document shows: a boolean result spelled `true`, `"true"` or
/// `'true'` (a `false` result is an error: the command was not carried out), a body
/// without the `status`/`result` wrapper, and a list result for a response type whose
/// only field is that list.
pub fn decode_result<T: DeserializeOwned>(request: &RequestInfo, body: &Bytes, sensitive: bool) -> Result<T, Error> {
    let v: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        serde_json::from_slice(body).map_err(|e| decode_error(request, body, sensitive, e))?
    };
    let result = match v {
        Value::Object(mut m) if m.contains_key("status") || m.contains_key("result") => m.remove("result").unwrap_or(Value::Null),
        other => other,
    };
    let boolish = match &result {
        Value::Bool(b) => Some(*b),
        Value::String(s) => parse_bool(s).filter(|_| !s.trim().is_empty()),
        _ => None,
    };
    if boolish == Some(false) {
        return Err(Error::Vendor {
            request: request.clone(),
            vendor: VENDOR,
            code: "false".into(),
            message: "the node answered result false: the command was not carried out".into(),
            retryable: false,
        });
    }
    match serde_json::from_value::<T>(result.clone()) {
        Ok(t) => Ok(t),
        Err(first) => {
            if boolish == Some(true) || result.is_null() {
                if let Ok(t) = serde_json::from_value::<T>(Value::Null) {
                    return Ok(t);
                }
            }
            if result.is_array() {
                if let Ok(t) = serde_json::from_value::<T>(Value::Array(vec![result.clone()])) {
                    return Ok(t);
                }
            }
            Err(decode_error(request, body, sensitive, first))
        }
    }
}

/// Decode the join check's `results` into `T`.
pub fn decode_results<T: DeserializeOwned>(request: &RequestInfo, body: &Bytes, sensitive: bool) -> Result<T, Error> {
    let v: Value = serde_json::from_slice(body).map_err(|e| decode_error(request, body, sensitive, e))?;
    let results = match v {
        Value::Object(mut m) if m.contains_key("results") => m.remove("results").unwrap_or(Value::Null),
        other => other,
    };
    decode_value(request, results, body, sensitive)
}

/// Why `new_session` refused the PIN (HTTP 403 naming `pin` / `guest_pin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinError {
    /// The room needs a PIN and none was given.
    Required {
        /// Guests need a PIN too (`guest_pin: required`); `false`: guests may join without one.
        guest_pin_required: bool,
    },
    /// The PIN given is wrong.
    Invalid,
}

impl PinError {
    const REQUIRED: &'static str = "pin_required";
    const REQUIRED_GUEST: &'static str = "pin_required_guest_pin_required";
    const INVALID: &'static str = "pin_invalid";

    /// The PIN error carried by `error` (an [`Error::Auth`] from `new_session`), if any.
    pub fn from_error(error: &Error) -> Option<Self> {
        match error.vendor_code()? {
            Self::REQUIRED => Some(Self::Required { guest_pin_required: false }),
            Self::REQUIRED_GUEST => Some(Self::Required { guest_pin_required: true }),
            Self::INVALID => Some(Self::Invalid),
            _ => None,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Self::Required { guest_pin_required: false } => Self::REQUIRED,
            Self::Required { guest_pin_required: true } => Self::REQUIRED_GUEST,
            Self::Invalid => Self::INVALID,
        }
    }

    fn message(self) -> &'static str {
        match self {
            Self::Required { guest_pin_required: false } => "the room requires a host PIN (guests may join without one); give a PIN",
            Self::Required { guest_pin_required: true } => "the room requires a PIN; give the host or guest PIN",
            Self::Invalid => "the PIN was not accepted by the room",
        }
    }

    /// The typed error: [`Error::Auth`] whose source is a vmr [`Error::Vendor`] with this code.
    pub fn into_error(self, request: RequestInfo) -> Error {
        Error::Auth {
            request: request.clone(),
            message: self.message().to_string(),
            source: Some(Box::new(Error::Vendor {
                request,
                vendor: VENDOR,
                code: self.code().to_string(),
                message: self.message().to_string(),
                retryable: false,
            })),
        }
    }
}

impl std::fmt::Display for PinError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// Read a 403 body of `new_session`: `{"result": {"pin": "required", "guest_pin": "none"}}`
/// means a PIN is needed; a result text mentioning an invalid PIN means a wrong PIN.
fn pin_error_of(v: &Value) -> Option<PinError> {
    let result = v.get("result").unwrap_or(v);
    match result {
        Value::Object(m) => {
            let field = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_ascii_lowercase);
            let pin = field("pin");
            let guest = field("guest_pin");
            if pin.is_none() && guest.is_none() {
                return None;
            }
            if pin.as_deref().or(guest.as_deref()).is_some_and(|p| p.contains("invalid")) {
                return Some(PinError::Invalid);
            }
            Some(PinError::Required { guest_pin_required: guest.as_deref() == Some("required") })
        }
        Value::String(s) if s.to_ascii_lowercase().contains("pin") => Some(PinError::Invalid),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> RequestInfo {
        RequestInfo::none("vmr", "lock")
    }

    #[test]
    fn boolean_results_in_every_spelling() {
        for body in [
            r#"{"status":"success","result":true}"#,
            r#"{"status":"success","result":"true"}"#,
            r#"{"status":"success","result":"'true'"}"#,
        ] {
            decode_result::<()>(&info(), &Bytes::from(body), false).unwrap();
            assert!(decode_result::<serde_json::Value>(&info(), &Bytes::from(body), false).is_ok());
        }
        let e = decode_result::<()>(&info(), &Bytes::from(r#"{"status":"success","result":"'false'"}"#), false).unwrap_err();
        assert_eq!(e.vendor_code(), Some("false"));
    }

    #[test]
    fn list_result_fills_a_single_field_struct() {
        #[derive(serde::Deserialize)]
        struct Uuids {
            uuids: Vec<String>,
        }
        let u: Uuids = decode_result(&info(), &Bytes::from(r#"{"status":"success","result":["a","b"]}"#), false).unwrap();
        assert_eq!(u.uuids, ["a", "b"]);
    }

    #[test]
    fn forbidden_and_not_found() {
        let resp = |status: u16, body: &'static str| RawResponse {
            status: http::StatusCode::from_u16(status).unwrap(),
            headers: http::HeaderMap::new(),
            body: Bytes::from_static(body.as_bytes()),
        };
        let e =
            NodeEnvelope.check(&info(), &resp(403, r#"{"status":"failed","result":"Permission denied: host role required"}"#)).unwrap_err();
        assert_eq!(e.vendor_code(), Some("permission_denied"));
        let e = NodeEnvelope.check(&info(), &resp(403, r#"{"status":"failed","result":"Invalid token"}"#)).unwrap_err();
        assert_eq!(e.http_status(), Some(403));
        let e = NodeEnvelope.check(&info(), &resp(404, r#"{"status":"failed","result":"Conference not found"}"#)).unwrap_err();
        assert_eq!(e.vendor_code(), Some("conference_not_found"));
        let e = NodeEnvelope.check(&info(), &resp(404, "<html><title>404 Not Found</title></html>")).unwrap_err();
        assert_eq!(e.http_status(), Some(404));
        let e = NodeEnvelope.check(&info(), &resp(200, r#"{"status":"failed","result":"x"}"#)).unwrap_err();
        assert_eq!(e.vendor_code(), Some("failed"));
    }

    #[test]
    fn pin_errors() {
        let v: Value = serde_json::from_str(r#"{"status":"success","result":{"pin":"required","guest_pin":"none"}}"#).unwrap();
        assert_eq!(pin_error_of(&v), Some(PinError::Required { guest_pin_required: false }));
        let v: Value = serde_json::from_str(r#"{"status":"failed","result":{"pin":"required","guest_pin":"required"}}"#).unwrap();
        assert_eq!(pin_error_of(&v), Some(PinError::Required { guest_pin_required: true }));
        let v: Value = serde_json::from_str(r#"{"status":"failed","result":"Invalid PIN"}"#).unwrap();
        assert_eq!(pin_error_of(&v), Some(PinError::Invalid));
        let e = PinError::Invalid.into_error(info());
        assert!(matches!(e, Error::Auth { .. }));
        assert_eq!(PinError::from_error(&e), Some(PinError::Invalid));
    }
}
