//! What moyun plugs into the conf-core pipeline: hooks on the conf-core client (registered when the
//! [`MoyunClient`](crate::MoyunClient) is built, so `client.core().execute(op)` applies
//! them too), and the moyun deserializer generated operations name.

use conf_core::{ClientHandle, Custom, Error, Hook, Operation, RawResponse};
use serde::de::DeserializeOwned;

use crate::envelope::{MoyunEnvelope, python_style_params};
use crate::form::with_form_charset;

/// The moyun form rules: the `params` field in the reference client's JSON style, and
/// the document's form content type (`charset=utf-8`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MoyunForms;

impl Hook for MoyunForms {
    fn name(&self) -> &'static str {
        "moyun.forms"
    }

    fn modify_operation(&self, op: &mut Operation) -> Result<(), Error> {
        python_style_params(op);
        with_form_charset(op);
        Ok(())
    }
}

/// The moyun deserializer: the reply (it passed the envelope) into `T`.
pub fn decode<T: DeserializeOwned>(op: &Operation, response: &RawResponse) -> Result<T, Error> {
    conf_core::Envelope::payload(&MoyunEnvelope, &op.info(1), response)
}

/// A hand-built moyun operation (an endpoint the spec does not describe), read with the
/// moyun deserializer: `client.send(moyun_api::custom::<serde_json::Value>(op))`.
pub fn custom<T: DeserializeOwned + Send + 'static>(op: Operation) -> Custom<T> {
    Custom::new(op, decode::<T>)
}

impl ClientHandle for crate::MoyunClient {
    fn core(&self) -> &conf_core::Client {
        self.core()
    }

    /// The limits set with `MoyunClientBuilder::page_limits` (paginators of every group).
    fn page_limits(&self) -> conf_core::codegen::PageLimits {
        crate::MoyunClient::page_limits(self)
    }
}
