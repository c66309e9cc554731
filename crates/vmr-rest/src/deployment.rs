//! Public cloud or enterprise cloud: which commands a deployment supports.
//!
//! The document's support table is data in the spec: every command the enterprise
//! cloud lacks carries `needs = ["deployment:public"]`. [`VmrNegotiator`] answers
//! `has_capability("deployment:public")` from the [`DeploymentProfile`], so conf-core
//! refuses such a command with [`conf_core::Error::Unsupported`] before anything is
//! sent. Deployments known to differ from the table are described with
//! [`DeploymentProfile::allow`] and [`DeploymentProfile::deny`].

use std::collections::BTreeSet;

use futures_util::future::BoxFuture;

use conf_core::{Client, Error, Negotiator, Operation};

/// Capability of a public-cloud deployment, named by the spec's `needs`.
pub const PUBLIC_CLOUD: &str = "deployment:public";
/// Capability of an enterprise-cloud deployment.
pub const ENTERPRISE_CLOUD: &str = "deployment:enterprise";

/// The kind of cloud a conference node belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Deployment {
    /// 公有云: every command of the document.
    #[default]
    PublicCloud,
    /// 企业专属云: no start_service, override_layout, spotlighton/off, participant
    /// unlock, role or transfer; no `presentation_frame` / `participant_create` events.
    EnterpriseCloud,
}

impl Deployment {
    /// Whether this deployment has `capability` (`deployment:public` / `deployment:enterprise`;
    /// any other capability is assumed present).
    pub fn has_capability(self, capability: &str) -> bool {
        match capability {
            PUBLIC_CLOUD => self == Self::PublicCloud,
            ENTERPRISE_CLOUD => self == Self::EnterpriseCloud,
            _ => true,
        }
    }

    /// Human-readable name.
    pub fn describe(self) -> &'static str {
        match self {
            Self::PublicCloud => "vmr public cloud",
            Self::EnterpriseCloud => "vmr enterprise cloud",
        }
    }
}

/// A deployment plus per-command overrides of the document's support table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeploymentProfile {
    deployment: Deployment,
    allow: BTreeSet<String>,
    deny: BTreeSet<String>,
}

impl From<Deployment> for DeploymentProfile {
    fn from(deployment: Deployment) -> Self {
        Self::new(deployment)
    }
}

impl DeploymentProfile {
    /// The document's table for `deployment`, no overrides.
    pub fn new(deployment: Deployment) -> Self {
        Self { deployment, allow: BTreeSet::new(), deny: BTreeSet::new() }
    }

    /// Declare a command (by its SDK name, e.g. `start_service`, `spotlight_on`) supported
    /// although the table says otherwise.
    pub fn allow(mut self, operation: impl Into<String>) -> Self {
        let op = operation.into();
        self.deny.remove(&op);
        self.allow.insert(op);
        self
    }

    /// Declare a command unsupported although the table says otherwise.
    pub fn deny(mut self, operation: impl Into<String>) -> Self {
        let op = operation.into();
        self.allow.remove(&op);
        self.deny.insert(op);
        self
    }

    /// The deployment.
    pub fn deployment(&self) -> Deployment {
        self.deployment
    }

    /// Whether the command named `operation` that needs `needs` is supported.
    pub fn supports(&self, operation: &str, needs: &[&str]) -> bool {
        if self.deny.contains(operation) {
            return false;
        }
        self.allow.contains(operation) || needs.iter().all(|n| self.deployment.has_capability(n))
    }

    /// Apply the overrides to an operation before it is sent: a denied command fails
    /// `Unsupported`; an allowed one loses its deployment needs (the negotiator then passes it).
    pub fn apply(&self, op: &mut Operation) -> Result<(), Error> {
        if self.deny.contains(op.name) {
            return Err(Error::Unsupported {
                operation: format!("{}.{}", op.vendor, op.name),
                needs: "a deployment that supports it (denied by the deployment profile)".into(),
                platform: self.deployment.describe().into(),
            });
        }
        if self.allow.contains(op.name) {
            op.needs = &[];
        }
        Ok(())
    }
}

/// The conf-core negotiator of a vmr node: no API-Level header, capabilities from the deployment.
#[derive(Debug, Clone, Copy)]
pub struct VmrNegotiator {
    deployment: Deployment,
}

impl VmrNegotiator {
    /// A negotiator for `deployment`.
    pub fn new(deployment: Deployment) -> Self {
        Self { deployment }
    }
}

impl Negotiator for VmrNegotiator {
    fn discover(&self, _client: Client, _app: &'static str) -> BoxFuture<'static, Result<u32, Error>> {
        // The vmr API has no API levels; no operation declares one.
        Box::pin(async { Ok(1) })
    }

    fn has_capability(&self, capability: &str) -> bool {
        self.deployment.has_capability(capability)
    }

    fn describe_platform(&self) -> String {
        self.deployment.describe().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_overrides() {
        let ent = DeploymentProfile::new(Deployment::EnterpriseCloud);
        assert!(!ent.supports("start_service", &[PUBLIC_CLOUD]));
        assert!(ent.supports("lock", &[]));
        let ent = ent.allow("start_service").deny("lock");
        assert!(ent.supports("start_service", &[PUBLIC_CLOUD]));
        assert!(!ent.supports("lock", &[]));
        let mut op = Operation::new("vmr", "lock", http::Method::POST, "/lock", "/lock");
        assert!(matches!(ent.apply(&mut op), Err(Error::Unsupported { .. })));
        let mut op = Operation::new("vmr", "start_service", http::Method::POST, "/s", "/s").needs(&[PUBLIC_CLOUD]);
        ent.apply(&mut op).unwrap();
        assert!(op.needs.is_empty());
        let n = VmrNegotiator::new(Deployment::EnterpriseCloud);
        assert!(!n.has_capability(PUBLIC_CLOUD));
        assert!(VmrNegotiator::new(Deployment::PublicCloud).has_capability(PUBLIC_CLOUD));
    }
}
