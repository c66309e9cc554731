//! The form content type the platform document prescribes for every POST/PUT:
//! `application/x-www-form-urlencoded;charset=utf-8`, so Chinese conference and
//! terminal names never depend on a servlet container's default charset.

use conf_core::{AttemptParts, Body, Operation};
use http::HeaderValue;
use http::header::CONTENT_TYPE;

/// `Content-Type` of every form request (document 000, "修改类请求").
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded;charset=utf-8";

/// Give a form operation the platform's content type (other bodies are left alone).
pub(crate) fn with_form_charset(op: &mut Operation) {
    if matches!(op.body, Body::Form(_)) && !op.headers.contains_key(CONTENT_TYPE) {
        op.headers.insert(CONTENT_TYPE, HeaderValue::from_static(FORM_CONTENT_TYPE));
    }
}

/// The same for one attempt (a body that became a form when the token was added).
pub(crate) fn set_form_charset(parts: &mut AttemptParts) {
    if matches!(parts.body, Body::Form(_)) && !parts.headers.contains_key(CONTENT_TYPE) {
        parts.headers.insert(CONTENT_TYPE, HeaderValue::from_static(FORM_CONTENT_TYPE));
    }
}
