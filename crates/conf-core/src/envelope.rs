//! Envelopes: how a vendor's response says success or failure.
//!
//! Each vendor implements [`Envelope`]: `check` runs on every attempt's response
//! (so a transient vendor code can be retried and a rejected credential can be
//! refreshed), `payload` extracts the typed result once the call succeeded.

use serde::de::DeserializeOwned;

use crate::error::{Error, RequestInfo, excerpt};
use crate::request::RawResponse;

/// A vendor's success/failure convention.
pub trait Envelope: Send + Sync + 'static {
    /// `Ok(())` when `response` is a success; otherwise the error it carries.
    fn check(&self, request: &RequestInfo, response: &RawResponse) -> Result<(), Error>;

    /// Decode the successful payload (by default the whole body as JSON).
    fn payload<T: DeserializeOwned>(&self, request: &RequestInfo, response: &RawResponse) -> Result<T, Error>
    where
        Self: Sized,
    {
        decode_json(request, &response.body, false)
    }
}

/// The envelope of plain HTTP: 2xx is success.
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpStatusEnvelope;

impl Envelope for HttpStatusEnvelope {
    fn check(&self, request: &RequestInfo, response: &RawResponse) -> Result<(), Error> {
        check_http_status(request, response, false)
    }
}

/// Turn a non-2xx response into [`Error::HttpStatus`] (an HTML page is reduced to its title).
pub fn check_http_status(request: &RequestInfo, response: &RawResponse, sensitive: bool) -> Result<(), Error> {
    if response.status.is_success() {
        return Ok(());
    }
    let retry_after = response
        .headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| crate::retry::parse_retry_after(v, std::time::SystemTime::now()));
    Err(Error::HttpStatus {
        request: request.clone(),
        status: response.status.as_u16(),
        body_excerpt: if sensitive { redacted(&response.body) } else { excerpt(&response.body) },
        retry_after,
    })
}

/// Decode JSON into `T`, straight from the bytes (no intermediate `serde_json::Value`,
/// no copy of the body), refusing an array where an object is expected
/// ([`de::Strict`](crate::de::Strict)); failures become [`Error::Decode`] with an excerpt
/// (`sensitive` replaces the excerpt by its length).
pub fn decode_json<T: DeserializeOwned>(request: &RequestInfo, body: &[u8], sensitive: bool) -> Result<T, Error> {
    crate::de::from_slice_strict(body).map_err(|e| decode_error(request, body, sensitive, e))
}

/// Only the named top-level fields of a JSON body, as a `serde_json::Value` object (other
/// fields are skipped as they stream past, never built): what an envelope's `check`
/// needs (`success`, `code`, `message`...) without building the whole reply as a
/// `Value`, which takes about nine times the body's size. A body that is not an object
/// gives its shape with the contents dropped (`[]` for an array); scalars are kept.
pub fn top_level_fields(body: &[u8], keys: &[&str]) -> Result<serde_json::Value, serde_json::Error> {
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde_json::Value;
    struct Fields<'k>(&'k [&'k str]);
    impl<'de> DeserializeSeed<'de> for Fields<'_> {
        type Value = Value;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Fields<'_> {
        type Value = Value;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_str<E>(self, v: &str) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Value::Array(Vec::new()))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut out = serde_json::Map::new();
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if self.0.contains(&key.as_ref()) {
                    out.insert(key.into_owned(), map.next_value::<Value>()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(Value::Object(out))
        }
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = Fields(keys).deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// The named top-level fields of a JSON object, as raw JSON text borrowed from the body
/// (see [`top_level_raw`]). A key sent twice keeps its last value, as a JSON object would.
#[derive(Debug, Clone, Default)]
pub struct RawFields<'b> {
    fields: Vec<(String, &'b serde_json::value::RawValue)>,
}

impl<'b> RawFields<'b> {
    /// The raw JSON text of `key`, if the object has it.
    pub fn get(&self, key: &str) -> Option<&'b serde_json::value::RawValue> {
        self.fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// Whether the object has `key` (whatever its value, `null` included).
    pub fn contains(&self, key: &str) -> bool {
        self.fields.iter().any(|(k, _)| k == key)
    }

    /// The text of `key` when it is a JSON string, or a number written as text; `None`
    /// for any other value or when absent.
    pub fn text(&self, key: &str) -> Option<String> {
        self.get(key).and_then(raw_text)
    }
}

/// The text of a raw JSON value when it is a string (unescaped) or a number (as written);
/// `None` for objects, arrays, booleans and `null`.
pub fn raw_text(raw: &serde_json::value::RawValue) -> Option<String> {
    let text = raw.get();
    match text.as_bytes().first()? {
        b'"' => serde_json::from_str::<String>(text).ok(),
        b'-' | b'0'..=b'9' => Some(text.to_owned()),
        _ => None,
    }
}

/// The named top-level fields of a JSON object body, each as raw JSON text borrowed from
/// `body`: the envelope fields of a reply are found, and only they are read, without
/// building anything else (skipped values are checked as they stream past). The data part
/// can then be decoded once, straight into its type. `Ok(None)` when the body is valid JSON
/// but not an object; an error when it is not valid JSON.
pub fn top_level_raw<'b>(body: &'b [u8], keys: &[&str]) -> Result<Option<RawFields<'b>>, serde_json::Error> {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde_json::value::RawValue;
    struct Fields<'k>(&'k [&'k str]);
    impl<'de> Visitor<'de> for Fields<'_> {
        type Value = Option<RawFields<'de>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = RawFields::default();
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if self.0.contains(&key.as_ref()) {
                    out.fields.push((key.into_owned(), map.next_value::<&'de RawValue>()?));
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(Some(out))
        }
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = (&mut de).deserialize_any(Fields(keys))?;
    de.end()?;
    Ok(value)
}

/// Decode a `serde_json::Value` already parsed from `body`.
pub fn decode_value<T: DeserializeOwned>(
    request: &RequestInfo,
    value: serde_json::Value,
    body: &[u8],
    sensitive: bool,
) -> Result<T, Error> {
    crate::de::from_value_strict(value).map_err(|e| decode_error(request, body, sensitive, e))
}

/// Build an [`Error::Decode`].
pub fn decode_error(request: &RequestInfo, body: &[u8], sensitive: bool, message: impl std::fmt::Display) -> Error {
    Error::Decode {
        request: request.clone(),
        excerpt: if sensitive { redacted(body) } else { excerpt(body) },
        message: message.to_string(),
    }
}

fn redacted(body: &[u8]) -> String {
    format!("<{} bytes, not shown: credential endpoint>", body.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn resp(status: u16, body: &'static str) -> RawResponse {
        RawResponse {
            status: http::StatusCode::from_u16(status).unwrap(),
            headers: http::HeaderMap::new(),
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    #[test]
    fn html_502_is_http_status() {
        let r = resp(502, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>");
        let e = HttpStatusEnvelope.check(&RequestInfo::none("t", "o"), &r).unwrap_err();
        assert!(matches!(&e, Error::HttpStatus { status: 502, body_excerpt, .. } if body_excerpt == "HTML page: 502 Bad Gateway"), "{e}");
    }

    #[test]
    fn top_level_fields_keep_only_what_is_asked() {
        let v = top_level_fields(br#"{"success":false,"error_code":20001,"data":[1,2,3],"msg":"x"}"#, &["success", "error_code"]).unwrap();
        assert_eq!(v, serde_json::json!({"success": false, "error_code": 20001}));
        assert_eq!(top_level_fields(b"[1,{}]", &["success"]).unwrap(), serde_json::json!([]));
        assert_eq!(top_level_fields(b"\"ok\"", &[]).unwrap(), serde_json::json!("ok"));
        assert!(top_level_fields(b"{\"success\":", &["success"]).is_err());
    }

    #[test]
    fn top_level_raw_borrows_only_what_is_asked() {
        let body = br#"{"code":"200","results":{"a":[1,2]},"msg":"o\u006b","n":-4,"code":201}"#;
        let f = top_level_raw(body, &["code", "results", "msg", "n", "absent"]).unwrap().unwrap();
        assert_eq!(f.text("code").as_deref(), Some("201"), "the last of a repeated key");
        assert_eq!(f.get("results").unwrap().get(), r#"{"a":[1,2]}"#);
        assert_eq!(f.text("msg").as_deref(), Some("ok"));
        assert_eq!(f.text("n").as_deref(), Some("-4"));
        assert_eq!(f.text("results"), None);
        assert!(!f.contains("absent") && f.get("absent").is_none());
        assert!(top_level_raw(b"[1,{}]", &["code"]).unwrap().is_none());
        assert!(top_level_raw(b" true ", &["code"]).unwrap().is_none());
        assert!(top_level_raw(b"{\"code\":", &["code"]).is_err());
        assert!(top_level_raw(b"{} x", &["code"]).is_err());
    }

    #[test]
    fn decode_errors_quote_or_redact() {
        let info = RequestInfo::none("t", "o");
        let e = decode_json::<u32>(&info, b"{\"token\":\"abc\"", false).unwrap_err();
        assert!(e.to_string().contains("abc"));
        let e = decode_json::<u32>(&info, b"{\"token\":\"abc\"", true).unwrap_err();
        assert!(!e.to_string().contains("abc"));
    }
}
