//! What vmr plugs into the conf-core pipeline: the node hook (deployment profile,
//! commands a deployment answers without acting) registered on every node's conf-core
//! client, the deserializers generated operations name, and the client handles
//! ([`VmrClient`] for the API server, [`Room`] and [`VmrSession`] for a room on its node).

use conf_core::{AuthMode, CallOptions, ClientHandle, Custom, Error, Hook, Operation, RawResponse};
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::client::{Room, VmrClient};
use crate::deployment::{DeploymentProfile, ENTERPRISE_NO_OP};
use crate::session::VmrSession;
use crate::wire::{decode_result, decode_results};

/// The deployment's rules on a conference node's calls.
#[derive(Debug)]
pub(crate) struct NodeRules {
    pub(crate) profile: DeploymentProfile,
}

impl Hook for NodeRules {
    fn name(&self) -> &'static str {
        "vmr.deployment"
    }

    /// A command the profile denies fails `Unsupported`; overrides apply (see
    /// [`DeploymentProfile::apply`]).
    fn modify_operation(&self, op: &mut Operation) -> Result<(), Error> {
        self.profile.apply(op)
    }

    /// A command the deployment answers without acting ([`ENTERPRISE_NO_OP`]): its
    /// boolean result is checked, then the answer becomes `{"acted": <whether the node
    /// acts>}` and the no-op is logged at `info`.
    fn modify_before_deserialization(&self, op: &Operation, response: &mut RawResponse) -> Result<(), Error> {
        if !ENTERPRISE_NO_OP.contains(&op.name) {
            return Ok(());
        }
        let _: IgnoredAny = decode_result(&op.info(1), &response.body, op.sensitive_response)?;
        let acted = self.profile.acts(op.name);
        if !acted {
            tracing::info!(
                operation = op.name,
                deployment = self.profile.deployment().describe(),
                "vmr: `{}` answered success without acting (no-op on this deployment, as its support table says)",
                op.name
            );
        }
        response.body = format!(r#"{{"status":"success","result":{{"acted":{acted}}}}}"#).into();
        Ok(())
    }
}

/// The conference-node deserializer: the answer's `result` into `T`.
pub fn decode_node<T: DeserializeOwned>(op: &Operation, response: &RawResponse) -> Result<T, Error> {
    decode_result(&op.info(1), &response.body, op.sensitive_response)
}

/// The API-server deserializer: the join check's `results` into `T`.
pub fn decode_api<T: DeserializeOwned>(op: &Operation, response: &RawResponse) -> Result<T, Error> {
    decode_results(&op.info(1), &response.body, op.sensitive_response)
}

/// A hand-built room command (one the spec does not describe), read like the generated
/// ones: `session.send(vmr_rest::custom::<serde_json::Value>(op))`.
pub fn custom<T: DeserializeOwned + Send + 'static>(op: Operation) -> Custom<T> {
    Custom::new(op, decode_node::<T>)
}

impl ClientHandle for VmrClient {
    fn core(&self) -> &conf_core::Client {
        self.api()
    }
}

impl ClientHandle for Room {
    fn core(&self) -> &conf_core::Client {
        self.mcu().client()
    }

    /// The room's base URL; no credential (only the session commands of `Room` exist).
    fn call_options(&self) -> CallOptions {
        CallOptions::new().base(self.base_url().clone())
    }
}

impl ClientHandle for VmrSession {
    fn core(&self) -> &conf_core::Client {
        self.room().mcu().client()
    }

    /// The room's base URL and this session's token.
    fn call_options(&self) -> CallOptions {
        CallOptions::new().base(self.room().base_url().clone()).auth(AuthMode::With(self.authenticator().clone()))
    }
}
