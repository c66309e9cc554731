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

/// Decode JSON into `T`; failures become [`Error::Decode`] with an excerpt
/// (`sensitive` replaces the excerpt by its length).
pub fn decode_json<T: DeserializeOwned>(request: &RequestInfo, body: &[u8], sensitive: bool) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| decode_error(request, body, sensitive, e))
}

/// Decode a `serde_json::Value` already parsed from `body`.
pub fn decode_value<T: DeserializeOwned>(
    request: &RequestInfo,
    value: serde_json::Value,
    body: &[u8],
    sensitive: bool,
) -> Result<T, Error> {
    serde_json::from_value(value).map_err(|e| decode_error(request, body, sensitive, e))
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
    fn decode_errors_quote_or_redact() {
        let info = RequestInfo::none("t", "o");
        let e = decode_json::<u32>(&info, b"{\"token\":\"abc\"", false).unwrap_err();
        assert!(e.to_string().contains("abc"));
        let e = decode_json::<u32>(&info, b"{\"token\":\"abc\"", true).unwrap_err();
        assert!(!e.to_string().contains("abc"));
    }
}
