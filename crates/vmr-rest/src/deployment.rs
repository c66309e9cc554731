//! Public cloud or enterprise cloud: which commands a deployment supports.
//!
//! The document's support table is data in the spec: every command the enterprise
//! cloud lacks carries `needs = ["deployment:public"]`. [`VmrNegotiator`] answers
//! `has_capability("deployment:public")` from the [`DeploymentProfile`], so conf-core
//! refuses such a command with [`conf_core::Error::Unsupported`] before anything is
//! sent. Deployments known to differ from the table are described with
//! [`DeploymentProfile::allow`] and [`DeploymentProfile::deny`].
//!
//! Two rows of the table are not refusals:
//! - `start_service` on an enterprise cloud: the node answers 200 OK without acting
//!   ("视通先返回200 OK,保证不出错"). The SDK sends it, returns success and says so:
//!   [`StartServiceResult::acted`](crate::StartServiceResult) is `false`, and an `info` line is logged.
//! - `dial` on an enterprise cloud calls H.323 and SIP only ("视通目前可以呼叫H323和sip"):
//!   any other protocol is [`conf_core::Error::InvalidInput`] before anything is sent.

use std::collections::BTreeSet;

use futures_util::future::BoxFuture;

use conf_core::{Error, Negotiator, Operation};

/// Capability of a public-cloud deployment, named by the spec's `needs`.
pub const PUBLIC_CLOUD: &str = "deployment:public";
/// Capability of an enterprise-cloud deployment.
pub const ENTERPRISE_CLOUD: &str = "deployment:enterprise";
/// Commands an enterprise node answers with success without acting (support table:
/// "视通先返回200 OK,保证不出错").
pub const ENTERPRISE_NO_OP: &[&str] = &["start_service"];
/// The `dial` protocols an enterprise node can call (support table: "视通目前可以呼叫H323和sip").
pub const ENTERPRISE_DIAL_PROTOCOLS: &[&str] = &["sip", "h323"];

/// The kind of cloud a conference node belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[non_exhaustive]
pub enum Deployment {
    /// 公有云: every command of the document.
    #[default]
    PublicCloud,
    /// 企业专属云: no override_layout, spotlighton/off, participant unlock, role or
    /// transfer; start_service answered without effect; dial with SIP and H.323 only; no
    /// `presentation_frame` / `participant_create` events.
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

    /// Whether the node carries out `operation`: `false` for a command the enterprise cloud
    /// answers with success without acting ([`ENTERPRISE_NO_OP`]), unless declared with
    /// [`Self::allow`].
    pub fn acts(&self, operation: &str) -> bool {
        !(self.deployment == Deployment::EnterpriseCloud && ENTERPRISE_NO_OP.contains(&operation) && !self.allow.contains(operation))
    }

    /// Whether `dial` may use `protocol` (wire value, any case): every protocol on a public
    /// cloud (or with `allow("dial")`), [`ENTERPRISE_DIAL_PROTOCOLS`] on an enterprise cloud.
    pub fn dials(&self, protocol: &str) -> bool {
        self.deployment != Deployment::EnterpriseCloud
            || self.allow.contains("dial")
            || ENTERPRISE_DIAL_PROTOCOLS.iter().any(|p| p.eq_ignore_ascii_case(protocol.trim()))
    }

    /// Apply the overrides to an operation before it is sent: a denied command fails
    /// `Unsupported`; an allowed one loses its deployment needs (the negotiator then passes it);
    /// a `dial` with a protocol this deployment cannot call is `InvalidInput`.
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
        if op.name == "dial" {
            if let Some(protocol) = json_field(op, "protocol") {
                if !self.dials(&protocol) {
                    return Err(Error::invalid_input(
                        "protocol",
                        format!(
                            "{} dials {} only, not `{protocol}` (DeploymentProfile::allow(\"dial\") lifts this)",
                            self.deployment.describe(),
                            ENTERPRISE_DIAL_PROTOCOLS.join(" and ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A text field of an operation's JSON body.
fn json_field(op: &Operation, name: &str) -> Option<String> {
    let conf_core::Body::Json { bytes, .. } = &op.body else { return None };
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    v.get(name)?.as_str().map(str::to_string)
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
    fn discover(&self, _via: conf_core::negotiate::Discovery, _app: &'static str) -> BoxFuture<'static, Result<u32, Error>> {
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
        assert!(!ent.supports("override_layout", &[PUBLIC_CLOUD]));
        assert!(ent.supports("lock", &[]));
        let ent = ent.allow("override_layout").deny("lock");
        assert!(ent.supports("override_layout", &[PUBLIC_CLOUD]));
        assert!(!ent.supports("lock", &[]));
        let mut op = Operation::new("vmr", "lock", http::Method::POST, "/lock", "/lock");
        assert!(matches!(ent.apply(&mut op), Err(Error::Unsupported { .. })));
        let mut op = Operation::new("vmr", "override_layout", http::Method::POST, "/o", "/o").needs(&[PUBLIC_CLOUD]);
        ent.apply(&mut op).unwrap();
        assert!(op.needs.is_empty());
        assert!(!DeploymentProfile::new(Deployment::EnterpriseCloud).acts("start_service"));
        assert!(DeploymentProfile::new(Deployment::EnterpriseCloud).allow("start_service").acts("start_service"));
        assert!(DeploymentProfile::new(Deployment::PublicCloud).acts("start_service"));
        assert!(DeploymentProfile::new(Deployment::EnterpriseCloud).acts("lock"));
        let n = VmrNegotiator::new(Deployment::EnterpriseCloud);
        assert!(!n.has_capability(PUBLIC_CLOUD));
        assert!(VmrNegotiator::new(Deployment::PublicCloud).has_capability(PUBLIC_CLOUD));
    }

    #[test]
    fn enterprise_dials_sip_and_h323_only() {
        use crate::{DialProtocol, DialRequest, DialRole};
        let ent = DeploymentProfile::new(Deployment::EnterpriseCloud);
        for (protocol, ok) in [
            (DialProtocol::Sip, true),
            (DialProtocol::H323, true),
            (DialProtocol::Rtmp, false),
            (DialProtocol::Phone, false),
            (DialProtocol::Auto, false),
            (DialProtocol::Mssip, false),
            (DialProtocol::Rtsp, false),
        ] {
            let mut op = DialRequest::new(DialRole::Guest, "bob@example.com", protocol.clone()).into_operation().unwrap();
            let r = ent.apply(&mut op);
            assert_eq!(r.is_ok(), ok, "{protocol:?}: {r:?}");
            if let Err(e) = r {
                assert!(matches!(&e, Error::InvalidInput { field, .. } if field == "protocol"), "{e}");
            }
            let mut op = DialRequest::new(DialRole::Guest, "bob@example.com", protocol).into_operation().unwrap();
            DeploymentProfile::new(Deployment::PublicCloud).apply(&mut op).unwrap();
        }
        let mut op = DialRequest::new(DialRole::Guest, "x", DialProtocol::Rtmp).into_operation().unwrap();
        ent.allow("dial").apply(&mut op).unwrap();
    }
}
