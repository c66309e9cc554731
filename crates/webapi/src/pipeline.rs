//! What webapi plugs into the conf-core pipeline: the time-order rule (a hook on the
//! conf-core client, so every path through it checks it), the deserializer generated
//! operations name, and the client handle.

use conf_core::{Body, ClientHandle, Custom, Error, Hook, Operation, PartKind, RawResponse};
use serde::de::DeserializeOwned;

use crate::client::WebApiClient;
use crate::envelope::WebApiEnvelope;

/// `endtime` must be after `starttime` (both Unix seconds) wherever a call carries both:
/// nothing is sent otherwise.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimeOrder;

impl Hook for TimeOrder {
    fn name(&self) -> &'static str {
        "webapi.time-order"
    }

    fn modify_operation(&self, op: &mut Operation) -> Result<(), Error> {
        check_times(op)
    }
}

fn check_times(op: &Operation) -> Result<(), Error> {
    let field = |name: &str| -> Option<i64> {
        match &op.body {
            Body::Multipart(parts) => parts.iter().find_map(|p| match &p.kind {
                PartKind::Text(v) if p.name == name => v.parse().ok(),
                _ => None,
            }),
            _ => op.query.iter().find(|(k, _)| k == name).and_then(|(_, v)| v.parse().ok()),
        }
    };
    if let (Some(start), Some(end)) = (field("starttime"), field("endtime")) {
        if end <= start {
            return Err(Error::invalid_input("endtime", format!("must be after starttime ({end} <= {start}, Unix seconds)")));
        }
    }
    Ok(())
}

/// The webapi deserializer: the reply (it passed the envelope) into `T`.
pub fn decode<T: DeserializeOwned>(op: &Operation, response: &RawResponse) -> Result<T, Error> {
    conf_core::Envelope::payload(&WebApiEnvelope, &op.info(1), response)
}

/// A hand-built webapi operation (one the spec does not describe), read like the
/// generated ones: `client.send(webapi::custom::<serde_json::Value>(op))`.
pub fn custom<T: DeserializeOwned + Send + 'static>(op: Operation) -> Custom<T> {
    Custom::new(op, decode::<T>)
}

impl ClientHandle for WebApiClient {
    fn core(&self) -> &conf_core::Client {
        self.core()
    }
}
