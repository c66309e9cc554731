//! API-Level negotiation.
//!
//! The SDK announces its own level in the `API-Level` header of every request
//! (the platform then answers in that level's format). The platform's level of
//! each app (`system`, `mc`, `vc`, `nms`, `amc`, `vrs`) is discovered lazily with
//! `GET /api/{app}/version` and cached by conf-core; an endpoint whose minimum
//! level is above the platform's fails with `Error::Unsupported` before anything
//! is sent. `MoyunClient::levels().reset()` forgets the cache (e.g. after an upgrade).

use conf_core::de::u32_lenient;
use conf_core::envelope::decode_json;
use conf_core::negotiate::Discovery;
use conf_core::{AuthMode, Error, Negotiator, Operation};
use futures_util::future::BoxFuture;
use http::{HeaderName, HeaderValue, Method};
use serde::Deserialize;

/// The header, spelled as the document spells it (some wrappers write `Api_level`,
/// which proxies drop because of the underscore).
pub const API_LEVEL_HEADER: &str = "API-Level";

/// The path of an app's version endpoint.
pub fn version_path(app: &str) -> String {
    format!("/api/{app}/version")
}

/// What `GET /api/{app}/version` answers.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct VersionInfo {
    /// Platform version (`6.0.0.0.0.20190603`).
    #[serde(default)]
    pub version: Option<String>,
    /// API level of the app.
    #[serde(deserialize_with = "u32_lenient")]
    pub api_level: u32,
}

/// The Moyun negotiator: `API-Level: <sdk level>` on every request, discovery per app.
#[derive(Debug, Clone)]
pub(crate) struct MoyunNegotiator {
    level: HeaderValue,
}

impl MoyunNegotiator {
    pub(crate) fn new(sdk_level: u32) -> Self {
        Self { level: HeaderValue::from(sdk_level) }
    }
}

/// The operation that reads an app's version (no credential: the document lists no parameter).
pub(crate) fn version_operation(app: &'static str) -> Operation {
    let path = version_path(app);
    Operation::new("moyun", "system.version", Method::GET, "/api/{app}/version", path).auth(AuthMode::None)
}

impl Negotiator for MoyunNegotiator {
    fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        vec![(HeaderName::from_static("api-level"), self.level.clone())]
    }

    fn discover(&self, via: Discovery, app: &'static str) -> BoxFuture<'static, Result<u32, Error>> {
        Box::pin(async move {
            let op = version_operation(app);
            let info = op.info(1);
            let raw = via.execute(op).await?;
            let v: VersionInfo = decode_json(&info, &raw.body, false)?;
            tracing::debug!(app, level = v.api_level, version = v.version.as_deref().unwrap_or(""), "platform API-Level discovered");
            Ok(v.api_level)
        })
    }

    fn describe_platform(&self) -> String {
        "this Moyun platform".to_string()
    }
}
