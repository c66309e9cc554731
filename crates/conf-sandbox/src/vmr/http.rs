//! Request reading and the answers of the document's `{"status": ..., "result": ...}` family.

use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::config::ResultSpelling;
use super::state::Shared;

/// What a handler needs of a request.
pub(crate) struct Req {
    pub method: Method,
    pub headers: HeaderMap,
    pub query: Option<String>,
    pub body: Bytes,
}

impl Req {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `token` header.
    pub fn token(&self) -> Option<&str> {
        self.header("token").map(str::trim).filter(|t| !t.is_empty())
    }

    /// Candidate tokens of the query string: the percent-decoded value and the raw value
    /// (clients differ in whether they encode the token's own `%2B` / `%3D`).
    pub fn query_tokens(&self) -> Vec<String> {
        let Some(query) = self.query.as_deref() else { return Vec::new() };
        let mut out = Vec::new();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if key == "token" {
                out.push(value.into_owned());
            }
        }
        for pair in query.split('&') {
            if let Some(raw) = pair.strip_prefix("token=") {
                out.push(raw.to_owned());
            }
        }
        out
    }

    /// The JSON object body; an empty body is an empty object.
    pub fn json(&self) -> Result<Map<String, Value>, Response> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Map::new());
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(failed(StatusCode::BAD_REQUEST, "request body must be a JSON object")),
            Err(e) => Err(failed(StatusCode::BAD_REQUEST, &format!("malformed JSON body: {e}"))),
        }
    }

    /// Whether the request says its body is a form (`application/x-www-form-urlencoded`).
    pub fn is_form(&self) -> bool {
        self.header(header::CONTENT_TYPE.as_str()).is_some_and(|ct| ct.to_ascii_lowercase().contains("x-www-form-urlencoded"))
    }
}

/// A field by name, case-insensitively (the document capitalises some names in its tables).
pub(crate) fn field<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.get(name).or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

/// A text field (numbers and booleans as text); `None` when absent or null.
pub(crate) fn text(map: &Map<String, Value>, name: &str) -> Option<String> {
    match field(map, name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A lenient boolean field (`true`, `"yes"`, `"true"`, `1`).
pub(crate) fn flag(map: &Map<String, Value>, name: &str) -> Option<bool> {
    match field(map, name)? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => Some(n.as_f64() != Some(0.0)),
        Value::String(s) => {
            let t = s.trim().trim_matches('\'').to_ascii_lowercase();
            Some(matches!(t.as_str(), "yes" | "true" | "on" | "1"))
        }
        _ => None,
    }
}

/// A JSON answer.
pub(crate) fn json_response(status: StatusCode, value: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], value.to_string()).into_response()
}

/// `{"status": "success", "result": result}` with 200.
pub(crate) fn success(result: Value) -> Response {
    json_response(StatusCode::OK, &json!({"status": "success", "result": result}))
}

/// `{"status": "failed", "result": message}`.
pub(crate) fn failed(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({"status": "failed", "result": message}))
}

/// 403: missing, unknown, expired or replaced token.
pub(crate) fn invalid_token() -> Response {
    failed(StatusCode::FORBIDDEN, "Invalid token")
}

/// 403: a guest called a host command.
pub(crate) fn host_required() -> Response {
    failed(StatusCode::FORBIDDEN, "Permission denied: host role required")
}

/// 404 with JSON: no such conference on this node.
pub(crate) fn no_conference() -> Response {
    failed(StatusCode::NOT_FOUND, "Conference not found")
}

/// 400: the command is not available on an enterprise cloud.
pub(crate) fn unsupported(command: &str) -> Response {
    failed(StatusCode::BAD_REQUEST, &format!("{command} is not supported on enterprise cloud"))
}

/// 404 without JSON: no such resource on this node (what a web server answers).
pub(crate) fn not_found_node() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html")],
        "<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center></body></html>\n",
    )
        .into_response()
}

/// 405 without JSON.
pub(crate) fn method_not_allowed(allowed: &Method) -> Response {
    (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, allowed.as_str())], "405 Method Not Allowed\n").into_response()
}

/// A boolean `result` spelled per configuration.
pub(crate) fn bool_result(shared: &Shared, command: &str, value: bool) -> Response {
    success(spell(shared, command, value))
}

/// The spelling of one boolean result.
pub(crate) fn spell(shared: &Shared, command: &str, value: bool) -> Value {
    let spelling = match shared.cfg.result_spelling {
        ResultSpelling::Rotate => [ResultSpelling::Bool, ResultSpelling::QuotedString, ResultSpelling::SingleQuoted]
            [shared.rotate.fetch_add(1, Ordering::Relaxed) % 3],
        ResultSpelling::AsDocumented => match command {
            "message" => ResultSpelling::QuotedString,
            "end_session" => ResultSpelling::Bool,
            _ => ResultSpelling::SingleQuoted,
        },
        other => other,
    };
    match spelling {
        ResultSpelling::QuotedString => Value::String(value.to_string()),
        ResultSpelling::SingleQuoted => Value::String(format!("'{value}'")),
        _ => Value::Bool(value),
    }
}

/// `expires` as configured (string by default).
pub(crate) fn expires(shared: &Shared) -> Value {
    let secs = shared.cfg.expires_secs();
    if shared.cfg.expires_as_number { json!(secs) } else { Value::String(secs.to_string()) }
}
