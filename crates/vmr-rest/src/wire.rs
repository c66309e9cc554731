//! The vmr answer formats: `{"status":"success","result":..}` at a conference node,
//! `{"code":"200","results":{..}}` at the API server, and the typed PIN errors.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

use conf_core::de::parse_bool;
use conf_core::envelope::{check_http_status, decode_error, raw_text, top_level_raw};
use conf_core::{Envelope, Error, RawResponse, RequestInfo};

/// Vendor name used in errors and spans.
pub const VENDOR: &str = "vmr";

/// Largest error answer (non-2xx) whose JSON is read for a PIN, permission or
/// conference-not-found reason; a larger one is reported by status and excerpt only.
pub const ERROR_JSON_LIMIT: usize = 64 * 1024;

/// Envelope of a conference node (`status` / `result`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeEnvelope;

impl Envelope for NodeEnvelope {
    fn check(&self, request: &RequestInfo, response: &RawResponse) -> Result<(), Error> {
        let status = response.status.as_u16();
        if response.status.is_success() {
            // Only `status` (and on failure `result`) is read: the result itself is
            // decoded once, later, straight into its type.
            if let Ok(Some(fields)) = top_level_raw(&response.body, &["status", "result"]) {
                if let Some(s) = fields.get("status").filter(|s| s.get().starts_with('"')).and_then(raw_text) {
                    if !s.eq_ignore_ascii_case("success") {
                        return Err(Error::Vendor {
                            request: request.clone(),
                            vendor: VENDOR,
                            code: s.clone(),
                            message: format!(
                                "the node answered status `{s}`: {}",
                                fields.get("result").map(raw_value_text).unwrap_or_default()
                            ),
                            retryable: false,
                            request_id: None,
                        });
                    }
                }
            }
            return Ok(());
        }
        // Error answers of the node are small JSON documents; a larger body is not parsed.
        let json = (response.body.len() <= ERROR_JSON_LIMIT).then(|| serde_json::from_slice::<Value>(&response.body).ok()).flatten();
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
                        request_id: None,
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
                    request_id: None,
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
        // The envelope's fields as raw text; `results` is decoded once, later, into its type.
        let fields = top_level_raw(&response.body, &["code", "message", "msg", "results"])
            .map_err(|e| decode_error(request, &response.body, true, e))?
            .unwrap_or_default();
        let Some(code) = fields.text("code").map(|c| c.trim().to_string()) else {
            return Err(decode_error(request, &response.body, true, "the join check answered no `code` (success is `\"code\": \"200\"`)"));
        };
        // The document's success test, as its public web clients apply it: `code == "200"`.
        if code == "200" {
            return Ok(());
        }
        let msg = ["message", "msg", "results"].iter().find_map(|k| fields.get(k)).map(raw_value_text).unwrap_or_default();
        Err(Error::Vendor {
            request: request.clone(),
            vendor: VENDOR,
            code: code.clone(),
            message: format!("join check refused (code {code}){}", if msg.is_empty() { String::new() } else { format!(": {msg}") }),
            retryable: code.starts_with('5'),
            request_id: None,
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

/// A raw JSON value as text: a string's contents, anything else as written.
fn raw_value_text(raw: &RawValue) -> String {
    if raw.get().starts_with('"') { raw_text(raw).unwrap_or_default() } else { raw.get().to_string() }
}

/// The raw JSON text `null`.
fn raw_null() -> &'static RawValue {
    // A valid JSON text, borrowed from a static string.
    serde_json::from_str("null").unwrap_or_else(|_| unreachable!("`null` is JSON"))
}

/// Decode a node answer's `result` into `T`.
///
/// Tolerates the shapes the document shows: a boolean result spelled `true`, `"true"` or
/// `'true'` (a `false` result is an error naming the command and what the node said: the
/// command was not carried out), a body without the `status`/`result` wrapper, and a list
/// result for a response type whose only field is that list. A JSON array where an object
/// with several fields is expected (e.g. `service_status`) is a decode error, never read
/// positionally.
pub fn decode_result<T: DeserializeOwned>(request: &RequestInfo, body: &Bytes, sensitive: bool) -> Result<T, Error> {
    let fail = |e: &dyn std::fmt::Display| decode_error(request, body, sensitive, e);
    // The wrapper's fields are borrowed as raw text (nothing else is built); the result is
    // then decoded once, straight into `T`.
    let (result, fields): (&RawValue, Option<conf_core::envelope::RawFields<'_>>) = if body.iter().all(u8::is_ascii_whitespace) {
        (raw_null(), None)
    } else {
        match top_level_raw(body, &["status", "result", "reason", "message", "msg", "error"]).map_err(|e| fail(&e))? {
            Some(f) if f.contains("status") || f.contains("result") => (f.get("result").unwrap_or_else(|| raw_null()), Some(f)),
            // No wrapper: the whole body is the result.
            _ => (serde_json::from_slice(body).map_err(|e| fail(&e))?, None),
        }
    };
    let text = result.get();
    let boolish = match text.as_bytes().first() {
        Some(b't' | b'f') => serde_json::from_str::<bool>(text).ok(),
        // A boolean spelled as a short string (`"true"`, `"'false'"`); long strings are data.
        Some(b'"') if text.len() <= 64 => raw_text(result).and_then(|s| parse_bool(&s).filter(|_| !s.trim().is_empty())),
        _ => None,
    };
    if boolish == Some(false) {
        let said = fields.as_ref().and_then(|f| ["reason", "message", "msg", "error"].iter().find_map(|k| f.get(k)).map(raw_value_text));
        let mut text = raw_value_text(result);
        if let Some(said) = said.filter(|s| !s.is_empty()) {
            text = format!("{text}, {said}");
        }
        let text = conf_core::text::sanitize_to(&text, 200).into_owned();
        return Err(Error::Vendor {
            request: request.clone(),
            vendor: VENDOR,
            code: "false".into(),
            message: format!("`{}` was not carried out: the node answered result {text}", request.operation),
            retryable: false,
            request_id: None,
        });
    }
    match T::deserialize(Shaped(result)) {
        Ok(t) => Ok(t),
        Err(first) => {
            if boolish == Some(true) || text == "null" {
                if let Ok(t) = T::deserialize(Shaped(raw_null())) {
                    return Ok(t);
                }
            }
            Err(fail(&first))
        }
    }
}

/// Decode the join check's `results` (an object) into `T`.
pub fn decode_results<T: DeserializeOwned>(request: &RequestInfo, body: &Bytes, sensitive: bool) -> Result<T, Error> {
    let fields = top_level_raw(body, &["results"]).map_err(|e| decode_error(request, body, sensitive, e))?;
    let Some(results) = fields.as_ref().and_then(|f| f.get("results")) else {
        return Err(decode_error(request, body, sensitive, "the join check answered no `results`"));
    };
    if !results.get().starts_with('{') {
        return Err(decode_error(request, body, sensitive, "the join check's `results` is not an object"));
    }
    T::deserialize(Shaped(results)).map_err(|e| decode_error(request, body, sensitive, e))
}

/// A raw JSON value whose top level decodes into a struct only from an object, or, for a
/// struct with exactly one field, from an array (the document's list results, e.g.
/// `dial`'s uuids): never positionally from an array. Below the top level
/// [`conf_core::de::Strict`] applies (an array is never an object there either).
struct Shaped<'de>(&'de RawValue);

impl<'de> Shaped<'de> {
    fn strict<R>(
        self,
        f: impl FnOnce(conf_core::de::Strict<&mut serde_json::Deserializer<serde_json::de::StrRead<'de>>>) -> Result<R, serde_json::Error>,
    ) -> Result<R, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(self.0.get());
        let value = f(conf_core::de::Strict(&mut de))?;
        de.end()?;
        Ok(value)
    }
}

macro_rules! forward {
    ($($m:ident)*) => {$(
        fn $m<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            self.strict(|d| d.$m(visitor))
        }
    )*};
}

impl<'de> serde::Deserializer<'de> for Shaped<'de> {
    type Error = serde_json::Error;

    forward! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32 deserialize_f64
        deserialize_char deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_option deserialize_unit deserialize_seq deserialize_map deserialize_identifier
        deserialize_ignored_any deserialize_i128 deserialize_u128
    }

    fn deserialize_unit_struct<V: serde::de::Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, Self::Error> {
        self.strict(|d| d.deserialize_unit_struct(name, visitor))
    }

    fn deserialize_newtype_struct<V: serde::de::Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, Self::Error> {
        self.strict(|d| d.deserialize_newtype_struct(name, visitor))
    }

    fn deserialize_tuple<V: serde::de::Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Self::Error> {
        self.strict(|d| d.deserialize_tuple(len, visitor))
    }

    fn deserialize_tuple_struct<V: serde::de::Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.strict(|d| d.deserialize_tuple_struct(name, len, visitor))
    }

    fn deserialize_enum<V: serde::de::Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.strict(|d| d.deserialize_enum(name, variants, visitor))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        use serde::de::Error as _;
        if !self.0.get().starts_with('[') {
            return self.strict(|d| d.deserialize_struct(name, fields, visitor));
        }
        match fields {
            // `{"<only>": <the list>}`, decoded without copying the list.
            [only] => visitor.visit_map(OneField { key: Some(only), value: Some(self.0) }),
            _ => Err(serde_json::Error::invalid_type(serde::de::Unexpected::Seq, &"a JSON object")),
        }
    }
}

/// A map of one entry whose value is raw JSON (decoded strictly).
struct OneField<'de> {
    key: Option<&'static str>,
    value: Option<&'de RawValue>,
}

impl<'de> serde::de::MapAccess<'de> for OneField<'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Self::Error> {
        use serde::de::IntoDeserializer as _;
        self.key.take().map(|k| seed.deserialize(k.into_deserializer())).transpose()
    }

    fn next_value_seed<S: serde::de::DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Self::Error> {
        use serde::de::Error as _;
        let raw = self.value.take().ok_or_else(|| serde_json::Error::custom("no value"))?;
        let mut de = serde_json::Deserializer::from_str(raw.get());
        let value = seed.deserialize(conf_core::de::Strict(&mut de))?;
        de.end()?;
        Ok(value)
    }
}

/// Why `new_session` refused the PIN (HTTP 403 naming `pin` / `guest_pin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
                request_id: None,
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
    fn false_result_names_the_command_and_what_the_node_said() {
        let e = decode_result::<()>(&info(), &Bytes::from(r#"{"status":"success","result":"false","reason":"not a host"}"#), false)
            .unwrap_err();
        let text = e.to_string();
        assert!(text.contains("`lock` was not carried out"), "{text}");
        assert!(text.contains("false, not a host"), "{text}");
    }

    #[test]
    fn an_array_is_not_a_status_object() {
        for body in [r#"{"status":"success","result":[true,true,true,true]}"#, "[true,true]", r#"{"status":"success","result":[]}"#] {
            let e = decode_result::<crate::ServiceStatus>(&info(), &Bytes::from(body), false).unwrap_err();
            assert!(matches!(e, Error::Decode { .. }), "{body}: {e}");
        }
        let s: crate::ServiceStatus =
            decode_result(&info(), &Bytes::from(r#"{"status":"success","result":{"locked":true}}"#), false).unwrap();
        assert_eq!(s.locked, Some(true));
        let e = decode_results::<crate::JoinInfo>(&info(), &Bytes::from(r#"{"code":"200","results":[1,2]}"#), false).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e}");
        let e = decode_results::<crate::JoinInfo>(&info(), &Bytes::from(r#"{"code":"200"}"#), false).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e}");
    }

    #[test]
    fn join_check_success_is_code_200_only() {
        let resp = |body: &'static str| RawResponse::from_body(http::StatusCode::OK, Bytes::from_static(body.as_bytes()));
        ApiEnvelope.check(&info(), &resp(r#"{"code":"200","results":{}}"#)).unwrap();
        ApiEnvelope.check(&info(), &resp(r#"{"code":200,"results":{}}"#)).unwrap();
        assert_eq!(ApiEnvelope.check(&info(), &resp(r#"{"code":"0","results":{}}"#)).unwrap_err().vendor_code(), Some("0"));
        assert!(matches!(ApiEnvelope.check(&info(), &resp(r#"{"results":{}}"#)).unwrap_err(), Error::Decode { .. }));
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
        let resp = |status: u16, body: &'static str| {
            RawResponse::from_body(http::StatusCode::from_u16(status).unwrap(), Bytes::from_static(body.as_bytes()))
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
