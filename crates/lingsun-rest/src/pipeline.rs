//! What lingsun plugs into the conf-core pipeline: the region hook (path prefix, the
//! cloud-recorder `header`, an empty body sent as `{}`) registered on the conf-core
//! client, so `client.core().execute(op)` applies it too; the client handle.

use bytes::Bytes;
use conf_core::envelope::top_level_raw;
use conf_core::{Body, ClientHandle, Custom, Error, Hook, Operation};
use serde::de::DeserializeOwned;

use crate::client::{LingsunClient, Region, request_header};

/// Every call of a region: `/agoralink/{region}` in front of the path; the
/// `header { traceId, timestamp }` the cloud-recorder calls carry; `{}` for no body.
#[derive(Debug)]
pub(crate) struct RegionPaths {
    prefix: String,
}

impl RegionPaths {
    pub(crate) fn new(region: Region) -> Self {
        Self { prefix: format!("/agoralink/{}", region.segment()) }
    }
}

impl Hook for RegionPaths {
    fn name(&self) -> &'static str {
        "lingsun.region"
    }

    /// The body is not rebuilt: a `header` member is spliced in after the opening brace.
    fn modify_operation(&self, op: &mut Operation) -> Result<(), Error> {
        op.path.insert_str(0, &self.prefix);
        if !op.path_template.contains("/cloud-recorder/") {
            if matches!(op.body, Body::Empty) {
                op.body = Body::Json { bytes: Bytes::from_static(b"{}"), content_type: None };
            }
            return Ok(());
        }
        let body: &[u8] = match &op.body {
            Body::Json { bytes, .. } => bytes,
            Body::Empty => b"{}",
            _ => return Err(Error::invalid_input("body", "a lingsun body must be JSON")),
        };
        let fields = top_level_raw(body, &["header"])
            .ok()
            .flatten()
            .ok_or_else(|| Error::invalid_input("body", "a lingsun body must be a JSON object"))?;
        if fields.contains("header") {
            return Err(Error::invalid_input("header", "is set by the client (traceId, timestamp)"));
        }
        let text = std::str::from_utf8(body).map_err(|_| Error::invalid_input("body", "not UTF-8"))?;
        let rest = text.trim_start().strip_prefix('{').unwrap_or_default();
        let sep = if rest.trim_start().starts_with('}') { "" } else { "," };
        let spliced = format!("{{\"header\":{}{sep}{rest}", request_header());
        op.body = Body::Json { bytes: spliced.into(), content_type: None };
        Ok(())
    }
}

/// A hand-built lingsun operation (one the spec does not describe), its whole reply read
/// as JSON: `client.send(lingsun_rest::custom::<serde_json::Value>(op))`.
pub fn custom<T: DeserializeOwned + Send + 'static>(op: Operation) -> Custom<T> {
    Custom::json(op)
}

impl ClientHandle for LingsunClient {
    fn core(&self) -> &conf_core::Client {
        self.core()
    }
}
