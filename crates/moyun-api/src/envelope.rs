//! The Moyun response envelope and wire conventions.
//!
//! Every reply carries `success` (`1`/`0`, sometimes `true`/`false`); a failure adds
//! `error_code` (which has been seen as `0` on failures, so `success` alone decides).
//! Vendor errors take their meaning from the generated error table
//! ([`crate::ErrorCode`], 735 codes in the platform and VRS scopes).
//!
//! Also here: the `params=` encoding of the vendor's reference client (Python:
//! `json.dumps` with `", "`/`": "` separators and ASCII escapes, then `quote_plus`),
//! which `python_style_params` applies to an operation's `params` form field.

use conf_core::envelope::{check_http_status, decode_error, decode_json, top_level_fields};
use conf_core::{Body, Envelope, Error, Operation, RawResponse, RequestInfo};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::generated::ErrorCode;

/// Vendor name used in errors.
pub(crate) const VENDOR: &str = "moyun";

/// Path templates whose replies carry credentials (never quoted in errors).
const SENSITIVE_PATHS: &[&str] = &["/api/v1/system/token", "/api/v1/system/login", "/api/v2/vrs/login"];

/// Where a failure reply gives its own explanation, in order of preference.
const MESSAGE_KEYS: [&str; 6] = ["description", "describe", "message", "msg", "error_msg", "error"];

/// The top-level fields `check` reads: the verdict, the code, the body's own explanation
/// ([`MESSAGE_KEYS`]) and the debug list ([`crate::debug::DEBUG_LIST_KEYS`]).
const ENVELOPE_FIELDS: [&str; 11] =
    ["success", "error_code", "description", "describe", "message", "msg", "error_msg", "error", "debug_list", "debuglist", "dubug_list"];

/// The Moyun success/failure convention (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct MoyunEnvelope;

impl Envelope for MoyunEnvelope {
    fn check(&self, request: &RequestInfo, response: &RawResponse) -> Result<(), Error> {
        let sensitive = is_sensitive(request);
        check_http_status(request, response, sensitive)?;
        // Only the envelope's own fields are read here (the rest of the reply streams past
        // unbuilt); `payload` then decodes the body once, straight into its type.
        let value = top_level_fields(&response.body, &ENVELOPE_FIELDS).map_err(|e| decode_error(request, &response.body, sensitive, e))?;
        if crate::debug::debug_list(&value).is_some() {
            // A validate-only (`debug=1`) answer: the problems are the payload.
            return Ok(());
        }
        match verdict(&value) {
            Verdict::Success => Ok(()),
            Verdict::Failure => Err(vendor_error(request, &value)),
            Verdict::NotAnEnvelope => {
                Err(decode_error(request, &response.body, sensitive, "the reply is not a JSON object with `success`"))
            }
        }
    }

    fn payload<T: DeserializeOwned>(&self, request: &RequestInfo, response: &RawResponse) -> Result<T, Error> {
        // Typed responses describe the whole body (tolerant: unknown fields ignored,
        // every field optional), so decode it as is.
        decode_json(request, &response.body, is_sensitive(request))
    }
}

fn is_sensitive(request: &RequestInfo) -> bool {
    SENSITIVE_PATHS.contains(&request.path)
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Success,
    Failure,
    NotAnEnvelope,
}

fn verdict(value: &Value) -> Verdict {
    let Some(obj) = value.as_object() else {
        return Verdict::NotAnEnvelope;
    };
    match obj.get("success") {
        Some(Value::Bool(b)) => bool_verdict(*b),
        Some(Value::Number(n)) => bool_verdict(n.as_i64().is_some_and(|n| n != 0) || n.as_f64().is_some_and(|f| f != 0.0)),
        Some(Value::String(s)) => match conf_core::de::parse_bool(s) {
            Some(b) => bool_verdict(b),
            None => Verdict::Failure,
        },
        // No `success`: a failure only if a non-zero error code says so.
        None => match obj.get("error_code").and_then(code_text) {
            Some(code) if code != "0" => Verdict::Failure,
            _ => Verdict::Success,
        },
        Some(_) => Verdict::Failure,
    }
}

fn bool_verdict(ok: bool) -> Verdict {
    if ok { Verdict::Success } else { Verdict::Failure }
}

fn code_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

/// The body's own explanation, if it gives one.
fn body_message(obj: &serde_json::Map<String, Value>) -> Option<String> {
    MESSAGE_KEYS.iter().find_map(|k| obj.get(*k).and_then(Value::as_str)).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Build the vendor error of a failed reply.
pub(crate) fn vendor_error(request: &RequestInfo, value: &Value) -> Error {
    let empty = serde_json::Map::new();
    let obj = value.as_object().unwrap_or(&empty);
    let own = body_message(obj);
    let code = obj.get("error_code").and_then(code_text);
    let (code, message, retryable) = match code {
        None => ("unknown".to_string(), own.unwrap_or_else(|| "failure reported without an error code".to_string()), false),
        Some(code) if code == "0" => ("0".to_string(), own.unwrap_or_else(|| "failure reported with error code 0".to_string()), false),
        Some(code) => {
            let known = lookup(&code, is_vrs(request));
            let table = known.as_ref().map(|k| match (k.en(), k.zh()) {
                (Some(en), Some(zh)) => format!("{en} ({zh})"),
                (en, zh) => en.or(zh).unwrap_or_default().to_string(),
            });
            let message = match (table, own) {
                (Some(t), Some(own)) if !t.contains(own.as_str()) => format!("{t}; platform says: {own}"),
                (Some(t), _) => t,
                (None, Some(own)) => own,
                (None, None) => "error code not in the platform's documented table".to_string(),
            };
            let retryable = known.as_ref().is_some_and(ErrorCode::is_retryable);
            (code, message, retryable)
        }
    };
    Error::Vendor { request: request.clone(), vendor: VENDOR, code, message, retryable, request_id: None }
}

pub(crate) fn is_vrs(request: &RequestInfo) -> bool {
    request.path.starts_with("/api/v2/vrs") || request.path.starts_with("/api/vrs/")
}

/// Look a code up in the generated table, preferring the scope of the app that answered
/// (nine VRS codes reuse platform numbers with other wording).
pub fn lookup(code: &str, vrs: bool) -> Option<ErrorCode> {
    match ErrorCode::from_scoped_code(if vrs { "vrs" } else { "platform" }, code) {
        ErrorCode::Unknown(_) => None,
        known => Some(known),
    }
}

// ----------------------------------------------------------------- params encoding

/// Re-format compact JSON text in the reference client's style, keeping key order:
/// a space after every `,` and `:` outside strings, non-ASCII characters inside
/// strings escaped as `\uXXXX` (UTF-16 units, lower-case hex, as Python writes them).
pub fn python_json_text(json: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(json.len() + json.len() / 4);
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            if escaped {
                escaped = false;
                out.push(c);
            } else if c == '\\' {
                escaped = true;
                out.push(c);
            } else if c == '"' {
                in_string = false;
                out.push(c);
            } else if c.is_ascii() {
                out.push(c);
            } else {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            ',' => out.push_str(", "),
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// Re-serialize the `params` form field of `op` in the reference client's JSON style
/// (see [`python_json`]); other fields and bodies are left alone. The form encoding
/// itself (`quote_plus`: space as `+`, upper-case `%XX`) is conf-core's. Field order
/// inside `params` follows the spec, so a typed request reproduces the overview's
/// example byte for byte.
pub fn python_style_params(op: &mut Operation) {
    if let Body::Form(fields) = &mut op.body {
        for (name, value) in fields.iter_mut() {
            if name == "params" {
                if serde_json::from_str::<serde::de::IgnoredAny>(value).is_ok() {
                    *value = python_json_text(value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn info(path: &'static str) -> RequestInfo {
        RequestInfo::new(VENDOR, "test", http::Method::POST, path).attempts(1)
    }

    fn resp(status: u16, body: &str) -> RawResponse {
        RawResponse::from_body(http::StatusCode::from_u16(status).unwrap(), Bytes::from(body.to_string()))
    }

    fn check(path: &'static str, status: u16, body: &str) -> Result<(), Error> {
        MoyunEnvelope.check(&info(path), &resp(status, body))
    }

    #[test]
    fn success_forms() {
        for body in [r#"{"success": 1, "error_code": 0}"#, r#"{"success":true}"#, r#"{"success":"1"}"#, r#"{"version":"6","api_level":1}"#]
        {
            check("/api/v1/vc/confs", 200, body).unwrap_or_else(|e| panic!("{body}: {e}"));
        }
    }

    #[test]
    fn failure_takes_meaning_from_table() {
        let e = check("/api/v1/vc/confs/{conf_id}", 200, r#"{"success":0,"error_code":12103}"#).unwrap_err();
        match &e {
            Error::Vendor { code, message, retryable, vendor, .. } => {
                assert_eq!(code, "12103");
                assert_eq!(*vendor, "moyun");
                assert!(message.contains("Conference does not exist"), "{message}");
                assert!(message.contains("会议不存在"), "{message}");
                assert!(!retryable);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mcu_busy_codes_are_retryable() {
        for code in [20001, 20002, 20003, 20004] {
            let e = check("/api/v1/vc/confs/{conf_id}/mts", 200, &format!(r#"{{"success":0,"error_code":{code}}}"#)).unwrap_err();
            assert!(matches!(e, Error::Vendor { retryable: true, .. }), "{code}: {e:?}");
        }
        let e = check("/api/v1/vc/confs/{conf_id}/mts", 200, r#"{"success":0,"error_code":20005}"#).unwrap_err();
        assert!(matches!(e, Error::Vendor { retryable: false, .. }));
    }

    #[test]
    fn success_decides_even_with_code_zero() {
        let e = check("/api/v1/mc/confs", 200, r#"{"success":0,"error_code":0,"description":"quota"}"#).unwrap_err();
        assert!(matches!(&e, Error::Vendor { code, message, .. } if code == "0" && message == "quota"), "{e:?}");
        let e = check("/api/v1/mc/confs", 200, r#"{"success":false}"#).unwrap_err();
        assert!(matches!(&e, Error::Vendor { code, .. } if code == "unknown"), "{e:?}");
        // A non-zero error code next to success=1 is not a failure.
        check("/api/v1/mc/confs", 200, r#"{"success":1,"error_code":12103}"#).unwrap();
    }

    #[test]
    fn string_codes_and_unknown_codes() {
        let e = check("/api/v1/mc/confs", 200, r#"{"success":"0","error_code":"10102"}"#).unwrap_err();
        assert!(matches!(&e, Error::Vendor { code, message, .. } if code == "10102" && message.contains("log in again")), "{e:?}");
        let e = check("/api/v1/mc/confs", 200, r#"{"success":0,"error_code":777777,"describe":"odd"}"#).unwrap_err();
        assert!(matches!(&e, Error::Vendor { code, message, .. } if code == "777777" && message == "odd"), "{e:?}");
    }

    #[test]
    fn vrs_scope_preferred_for_vrs_paths() {
        let e = check("/api/v2/vrs/recroom", 200, r#"{"success":0,"error_code":24107}"#).unwrap_err();
        assert!(e.to_string().contains("remote capabilities"), "{e}");
        let e = check("/api/v1/vc/confs/{conf_id}/recorders", 200, r#"{"success":0,"error_code":24107}"#).unwrap_err();
        assert!(e.to_string().contains("does not match the conference"), "{e}");
        let e = check("/api/v2/vrs/program", 200, r#"{"success":0,"error_code":48}"#).unwrap_err();
        assert!(e.to_string().contains("Token expired"), "{e}");
    }

    #[test]
    fn http_errors_and_html() {
        let e = check("/api/v1/vc/confs", 502, "<html><head><title>502 Bad Gateway</title></head></html>").unwrap_err();
        assert!(matches!(&e, Error::HttpStatus { status: 502, body_excerpt, .. } if body_excerpt.contains("502 Bad Gateway")), "{e:?}");
        let e = check("/api/v1/vc/confs", 200, "<html><head><title>Login</title></head></html>").unwrap_err();
        assert!(matches!(&e, Error::Decode { excerpt, .. } if excerpt.contains("Login")), "{e:?}");
        let e = check("/api/v1/vc/confs", 200, "[1,2]").unwrap_err();
        assert!(matches!(e, Error::Decode { .. }));
    }

    #[test]
    fn the_check_reads_every_field_it_needs() {
        for key in MESSAGE_KEYS.iter().chain(&crate::debug::DEBUG_LIST_KEYS).chain(&["success", "error_code"]) {
            assert!(ENVELOPE_FIELDS.contains(key), "{key}");
        }
        // The data part is not needed to tell success from failure, whatever it holds.
        check("/api/v1/mc/confs", 200, r#"{"confs":[[1,2],{"a":"b"}],"success":1}"#).unwrap();
        let e = check("/api/v1/mc/confs", 200, r#"{"confs":[[1,2]],"success":0,"error_code":12103,"msg":"gone"}"#).unwrap_err();
        assert!(matches!(&e, Error::Vendor { code, message, .. } if code == "12103" && message.contains("gone")), "{e:?}");
    }

    #[test]
    fn credential_replies_are_never_quoted() {
        let e = check("/api/v1/system/token", 200, r#"{"success":1,"account_token":"abc"#).unwrap_err();
        assert!(!e.to_string().contains("abc"), "{e}");
    }

    #[test]
    fn python_json_matches_json_dumps() {
        let text = r#"{"mts":[{"account_type":5,"account":"2,3:4","ok":true,"n":null,"name":"会议 \"a\"\\"}]}"#;
        assert_eq!(
            python_json_text(text),
            r#"{"mts": [{"account_type": 5, "account": "2,3:4", "ok": true, "n": null, "name": "\u4f1a\u8bae \"a\"\\"}]}"#
        );
        assert_eq!(python_json_text(r#""😀""#), r#""\ud83d\ude00""#);
    }

    /// The overview's "add terminals" example, rebuilt from typed input.
    pub(crate) const OVERVIEW_ADD_MTS_BODY: &str = "params=%7B%22mts%22%3A+%5B%7B%22account_type%22%3A+5%2C+%22account\
        %22%3A+%222322231%22%2C+%22bitrate%22%3A+2048%2C+%22protocol%22%3A\
        +0%7D%2C+%7B%22account_type%22%3A+5%2C+%22account%22%3A+%222322232\
        %22%2C+%22bitrate%22%3A+2048%2C+%22protocol%22%3A+0%7D%5D%7D&\
        account_token=6567e24b425db665a3044db69f0c6fe4";

    #[test]
    fn overview_example_body_byte_for_byte() {
        use crate::{AccountType, MtSpec, Protocol, VcAddMtsRequest};
        let mt = |account: &str| MtSpec {
            account_type: AccountType::E164,
            account: account.into(),
            bitrate: 2048,
            protocol: Protocol::H323,
            ..MtSpec::default()
        };
        let op = VcAddMtsRequest::new("1118986", vec![mt("2322231"), mt("2322232")]).into_operation().unwrap();
        assert_eq!(op.method, http::Method::POST);
        assert_eq!(op.path, "/api/v1/vc/confs/1118986/mts");
        let mut op = op;
        python_style_params(&mut op);
        // The session appends the token after `params`, as the overview shows.
        op.body.push_field("account_token", "6567e24b425db665a3044db69f0c6fe4");
        let Body::Form(fields) = &op.body else { panic!("form body expected") };
        let body = Body::encode_form(fields);
        assert_eq!(body, OVERVIEW_ADD_MTS_BODY);
        assert_eq!(body.len(), 305, "the overview's Content-Length");
        // Applying the style twice changes nothing (the client may apply it again).
        let mut again = op.clone();
        python_style_params(&mut again);
        let Body::Form(again) = &again.body else { panic!() };
        assert_eq!(Body::encode_form(again), OVERVIEW_ADD_MTS_BODY);
    }

    #[test]
    fn python_style_params_rewrites_only_params() {
        let op = Operation::new("moyun", "t", http::Method::POST, "/x", "/x")
            .body(Body::Form(vec![("params".into(), r#"{"a":1,"b":[1,2]}"#.into()), ("name".into(), "x y".into())]));
        let mut op = op;
        python_style_params(&mut op);
        let Body::Form(fields) = &op.body else { panic!() };
        assert_eq!(fields[0].1, r#"{"a": 1, "b": [1, 2]}"#);
        assert_eq!(fields[1].1, "x y");
    }
}
