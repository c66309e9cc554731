//! The ytx client: environments, configuration and the `call` every generated method uses.

use std::sync::Arc;

use conf_core::operation::encode_path_segment;
use conf_core::{Body, Client, ClientConfig, Error, Operation, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::envelope::YtxEnvelope;
use crate::sign::{Clock, YtxSigner, system_clock};

/// Content type ytx expects on request bodies.
pub const JSON_UTF8: &str = "application/json;charset=utf-8";

/// The TeleMeeting actions this crate knows (the generated operations are named after them).
const ACTIONS: [&str; 4] = ["createMeeting", "lockMeeting", "meetingState", "destroyMeeting"];

/// API version of TeleMeeting.wx.
pub const API_VERSION: &str = "201612";

/// Where the API lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environment {
    /// `http://api.ytx.net`: applications you created (once live).
    Production,
    /// `http://sandbox.ytx.net`: the trial application.
    Sandbox,
    /// Any other base URL (an emulator, a proxy).
    Custom(Url),
}

impl Environment {
    /// The base URL.
    pub fn base_url(&self) -> Url {
        match self {
            Self::Production => Url::parse("http://api.ytx.net").expect("static URL"),
            Self::Sandbox => Url::parse("http://sandbox.ytx.net").expect("static URL"),
            Self::Custom(u) => u.clone(),
        }
    }
}

/// Everything a client needs, in one value (see [`YtxClient::new`]).
#[derive(Clone)]
pub struct YtxConfig {
    /// Base URL (`http://api.ytx.net`, `http://sandbox.ytx.net`, or any).
    pub base_url: String,
    /// Account id (`accountSID`).
    pub account_sid: String,
    /// Account token (`authToken`).
    pub auth_token: SecretString,
    /// Application id (`appid`).
    pub app_id: String,
}

impl std::fmt::Debug for YtxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YtxConfig")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

impl YtxConfig {
    /// A configuration.
    pub fn new(base_url: impl Into<String>, account_sid: impl Into<String>, auth_token: SecretString, app_id: impl Into<String>) -> Self {
        Self { base_url: base_url.into(), account_sid: account_sid.into(), auth_token, app_id: app_id.into() }
    }
}

/// A ytx phone-meeting client. Cheap to clone.
#[derive(Clone)]
pub struct YtxClient {
    inner: Client,
    account_sid: Arc<str>,
    app_id: Arc<str>,
    version: Arc<str>,
}

impl std::fmt::Debug for YtxClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YtxClient")
            .field("account_sid", &self.account_sid)
            .field("app_id", &self.app_id)
            .field("base_url", &self.inner.config().base_url.as_str())
            .finish_non_exhaustive()
    }
}

/// Builds a [`YtxClient`].
pub struct YtxClientBuilder {
    account_sid: String,
    auth_token: SecretString,
    app_id: String,
    environment: Environment,
    version: String,
    clock: Clock,
    configure: Vec<Box<dyn FnOnce(ClientConfig) -> ClientConfig + Send>>,
    core_hook: Option<Box<dyn FnOnce(conf_core::ClientBuilder) -> conf_core::ClientBuilder + Send>>,
}

impl std::fmt::Debug for YtxClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YtxClientBuilder")
            .field("account_sid", &self.account_sid)
            .field("app_id", &self.app_id)
            .field("environment", &self.environment)
            .finish_non_exhaustive()
    }
}

impl YtxClientBuilder {
    /// Use this environment (default: production).
    pub fn environment(mut self, env: Environment) -> Self {
        self.environment = env;
        self
    }

    /// Use this base URL (`http://127.0.0.1:8080`); a bad URL is [`Error::InvalidInput`].
    pub fn base_url(mut self, url: &str) -> Result<Self, Error> {
        let u = ClientConfig::parse(url)?.base_url;
        self.environment = Environment::Custom(u);
        Ok(self)
    }

    /// Use another API version in the path (default [`API_VERSION`]).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Read the time from `clock` (tests; the default is the system clock).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Adjust the transport configuration (timeouts, retry policy, TLS).
    pub fn configure(mut self, f: impl FnOnce(ClientConfig) -> ClientConfig + Send + 'static) -> Self {
        self.configure.push(Box::new(f));
        self
    }

    /// Adjust the conf-core client builder (attempt or call layers).
    pub fn with_core(mut self, f: impl FnOnce(conf_core::ClientBuilder) -> conf_core::ClientBuilder + Send + 'static) -> Self {
        self.core_hook = Some(Box::new(f));
        self
    }

    /// Build the client; empty credentials are [`Error::InvalidInput`].
    pub fn build(self) -> Result<YtxClient, Error> {
        use conf_core::ExposeSecret;
        if self.account_sid.trim().is_empty() {
            return Err(Error::invalid_input("account_sid", "must not be empty"));
        }
        if self.auth_token.expose_secret().is_empty() {
            return Err(Error::invalid_input("auth_token", "must not be empty"));
        }
        if self.app_id.trim().is_empty() {
            return Err(Error::invalid_input("app_id", "must not be empty"));
        }
        let mut config = ClientConfig::new(self.environment.base_url());
        for f in self.configure {
            config = f(config);
        }
        let signer = YtxSigner::new(self.account_sid.clone(), self.auth_token, self.clock);
        let mut builder = Client::builder(config).envelope(YtxEnvelope).authenticator(Arc::new(signer));
        if let Some(f) = self.core_hook {
            builder = f(builder);
        }
        Ok(YtxClient {
            inner: builder.build()?,
            account_sid: self.account_sid.into(),
            app_id: self.app_id.into(),
            version: self.version.into(),
        })
    }
}

impl YtxClient {
    /// Start building a client for an account (`accountSID`, `authToken`) and application (`appid`).
    pub fn builder(account_sid: impl Into<String>, auth_token: SecretString, app_id: impl Into<String>) -> YtxClientBuilder {
        YtxClientBuilder {
            account_sid: account_sid.into(),
            auth_token,
            app_id: app_id.into(),
            environment: Environment::Production,
            version: API_VERSION.to_string(),
            clock: system_clock(),
            configure: Vec::new(),
            core_hook: None,
        }
    }

    /// A client with default transport settings.
    pub fn new(config: YtxConfig) -> Result<Self, Error> {
        Self::builder(config.account_sid, config.auth_token, config.app_id).base_url(&config.base_url)?.build()
    }

    /// The conf-core client underneath.
    pub fn core(&self) -> &Client {
        &self.inner
    }

    /// The application id sent as `appid`.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// Run one TeleMeeting operation: prefix the path with `/{version}/sid/{accountSID}`,
    /// put `appid` into the JSON body, send (signed per attempt) and decode the reply.
    pub async fn call<T: DeserializeOwned>(&self, mut op: Operation) -> Result<T, Error> {
        op.path = format!("/{}/sid/{}{}", encode_path_segment(&self.version), encode_path_segment(&self.account_sid), op.path);
        let mut body = match &op.body {
            Body::Json { bytes, .. } => match serde_json::from_slice::<Value>(bytes) {
                Ok(Value::Object(m)) => m,
                _ => return Err(Error::invalid_input("body", "a TeleMeeting body must be a JSON object")),
            },
            Body::Empty => serde_json::Map::new(),
            _ => return Err(Error::invalid_input("body", "a TeleMeeting body must be JSON")),
        };
        if ACTIONS.contains(&op.name) && body.get("action").and_then(Value::as_str) != Some(op.name) {
            return Err(Error::invalid_input("action", format!("is set by the SDK; `{}` sends `{}`", op.name, op.name)));
        }
        body.insert("appid".into(), Value::String(self.app_id.to_string()));
        let bytes = serde_json::to_vec(&body).map_err(|e| Error::invalid_input("body", e.to_string()))?;
        op.body = Body::Json { bytes: bytes.into(), content_type: Some(JSON_UTF8) };
        let info = op.info(1);
        let raw = self.inner.execute(op).await?;
        decode_reply(&info, &raw.body)
    }
}

/// Decode a success reply into `T`, reading the body once: the few top-level fields the
/// `meid` rule needs are borrowed as raw text, then the body goes straight into its type.
///
/// The document names the created meeting's id `meid` without showing where the reply
/// carries it: a `meid` inside an object `statusMsg` is also put at the top level, and a
/// `createMeeting` reply without one is a decode error (the caller could not use the meeting).
fn decode_reply<T: DeserializeOwned>(info: &conf_core::RequestInfo, body: &[u8]) -> Result<T, Error> {
    use conf_core::envelope::{decode_error, decode_json, top_level_raw};
    let fields = top_level_raw(body, &["meid", "statusMsg"]).map_err(|e| decode_error(info, body, false, e))?.unwrap_or_default();
    let lifted = if fields.contains("meid") {
        None
    } else {
        fields
            .get("statusMsg")
            .filter(|m| m.get().starts_with('{'))
            .and_then(|m| top_level_raw(m.get().as_bytes(), &["meid"]).ok().flatten())
            .and_then(|inner| inner.get("meid"))
    };
    let meid = lifted.or_else(|| fields.get("meid"));
    if info.operation == "createMeeting" && !meid.is_some_and(|m| has_meid(m.get())) {
        return Err(decode_error(info, body, false, "the reply carries no meeting id (`meid`)"));
    }
    match lifted {
        // The body is an object (it has `statusMsg`) without a top-level `meid`: the same
        // object with `"meid": <inner meid>` first. A small reply (`createMeeting`'s).
        Some(meid) => {
            let text = std::str::from_utf8(body).map_err(|e| decode_error(info, body, false, e))?;
            let rest = text.trim_start().strip_prefix('{').unwrap_or_default();
            let patched = format!("{{\"meid\":{},{rest}", meid.get());
            decode_json(info, patched.as_bytes(), false)
        }
        None => decode_json(info, body, false),
    }
}

/// Whether a raw `meid` is a usable id: a non-blank string or a number.
fn has_meid(raw: &str) -> bool {
    match raw.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<String>(raw).is_ok_and(|s| !s.trim().is_empty()),
        Some(b'-' | b'0'..=b'9') => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Created {
        meid: String,
        #[serde(rename = "statusMsg")]
        status_msg: Value,
    }

    fn decode(operation: &'static str, body: &str) -> Result<Created, Error> {
        decode_reply(&conf_core::RequestInfo::none("ytx", operation), body.as_bytes())
    }

    #[test]
    fn meid_is_found_where_it_is() {
        let c = decode("createMeeting", r#" {"statusCode":"0","statusMsg":{"meid":"7"}}"#).unwrap();
        assert_eq!(c.meid, "7");
        assert_eq!(c.status_msg, serde_json::json!({"meid": "7"}));
        let c = decode("createMeeting", r#"{"statusCode":"0","statusMsg":"提交成功","meid":"8"}"#).unwrap();
        assert_eq!(c.meid, "8");
        let c = decode("createMeeting", r#"{"statusCode":"0","statusMsg":{"meid":"9"},"meid":"8"}"#).unwrap();
        assert_eq!(c.meid, "8", "a top-level meid wins");
        for body in [
            r#"{"statusCode":"0","statusMsg":"提交成功"}"#,
            r#"{"statusCode":"0","meid":" "}"#,
            r#"{"statusCode":"0","meid":null}"#,
            r#"{"statusCode":"0","statusMsg":{"meid":""}}"#,
        ] {
            let e = decode("createMeeting", body).unwrap_err();
            assert!(matches!(&e, Error::Decode { message, .. } if message.contains("meid")), "{body}: {e}");
        }
        // Other operations need no meid; an array is still not an object.
        assert!(decode_reply::<Value>(&conf_core::RequestInfo::none("ytx", "lockMeeting"), br#"{"statusCode":"0"}"#).is_ok());
        assert!(matches!(decode("lockMeeting", r#"[["7", "x"]]"#).unwrap_err(), Error::Decode { .. }));
    }
}
