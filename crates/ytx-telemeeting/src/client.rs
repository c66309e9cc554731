//! The ytx client: environments, configuration and the `call` every generated method uses.

use std::sync::Arc;

use conf_core::operation::encode_path_segment;
use conf_core::{AttemptLayer, Body, CallLayer, Client, ClientConfig, EnvVars, Error, Operation, SecretString, UserLayers};
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

/// Builds a [`YtxClient`]: `YtxClient::builder(account_sid, auth_token, app_id)`, then
/// `.base_url(..)` (default: production, `http://api.ytx.net`), `.config(..)`,
/// `.layer(..)`, the ytx options, `.build()`.
pub struct YtxClientBuilder {
    account_sid: String,
    auth_token: SecretString,
    app_id: String,
    base_url: Option<String>,
    config: Option<ClientConfig>,
    layers: UserLayers,
    version: String,
    clock: Clock,
}

impl std::fmt::Debug for YtxClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YtxClientBuilder")
            .field("account_sid", &self.account_sid)
            .field("app_id", &self.app_id)
            .field("base_url", &self.base_url)
            .field("config", &self.config)
            .field("layers", &self.layers)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl YtxClientBuilder {
    /// The API's base URL (`http://api.ytx.net`, `http://sandbox.ytx.net`, an emulator, a
    /// proxy). Checked by [`build`](Self::build). Default: production.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Transport settings (timeouts, TLS, retry, limits). Its base URL is used unless
    /// [`base_url`](Self::base_url) (or [`environment`](Self::environment)) is set.
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// Add a tower layer around every call (it sees each [`conf_core::layers::Call`] once,
    /// whatever the retries).
    pub fn layer(mut self, layer: impl CallLayer) -> Self {
        self.layers.push_call(layer);
        self
    }

    /// Add a tower layer around every attempt (it sees each request as sent, signed).
    pub fn attempt_layer(mut self, layer: impl AttemptLayer) -> Self {
        self.layers.push_attempt(layer);
        self
    }

    /// Use this environment's base URL: the same as [`base_url`](Self::base_url) with
    /// [`Environment::base_url`].
    pub fn environment(self, env: Environment) -> Self {
        self.base_url(env.base_url().as_str())
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

    /// Build the client; a bad base URL or an empty credential is [`Error::InvalidInput`].
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
        let production = Environment::Production.base_url();
        let config = conf_core::vendor_builder::base_config(self.base_url.as_deref(), self.config, Some(production.as_str()), |c| c)?;
        let signer = YtxSigner::new(self.account_sid.clone(), self.auth_token, self.clock);
        let builder = Client::builder(config).envelope(YtxEnvelope).authenticator(Arc::new(signer));
        Ok(YtxClient {
            inner: self.layers.apply(builder).build()?,
            account_sid: self.account_sid.into(),
            app_id: self.app_id.into(),
            version: self.version.into(),
        })
    }
}

/// The variables [`YtxClient::from_env`] reads (the names `confctl ytx` reads).
pub mod env {
    /// The API's base URL (optional: production when unset).
    pub const BASE_URL: &str = "CONFCTL_YTX_BASE_URL";
    /// The account id, `accountSID` (required).
    pub const ACCOUNT_SID: &str = "CONFCTL_YTX_ACCOUNT_SID";
    /// The account token, `authToken` (required).
    pub const AUTH_TOKEN: &str = "CONFCTL_YTX_AUTH_TOKEN";
    /// The application id, `appid` (required).
    pub const APP_ID: &str = "CONFCTL_YTX_APP_ID";
}

impl YtxClient {
    /// Start building a client for an account (`accountSID`, `authToken`) and application
    /// (`appid`). See [`YtxClientBuilder`].
    pub fn builder(account_sid: impl Into<String>, auth_token: impl Into<SecretString>, app_id: impl Into<String>) -> YtxClientBuilder {
        YtxClientBuilder {
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            app_id: app_id.into(),
            base_url: None,
            config: None,
            layers: UserLayers::new(),
            version: API_VERSION.to_string(),
            clock: system_clock(),
        }
    }

    /// A client with default settings from the environment: `CONFCTL_YTX_ACCOUNT_SID`,
    /// `CONFCTL_YTX_AUTH_TOKEN`, `CONFCTL_YTX_APP_ID` (required) and
    /// `CONFCTL_YTX_BASE_URL` (optional; production when unset); see [`env`](mod@env). A missing
    /// one is [`Error::InvalidInput`] naming it.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) reading the variables through `lookup`.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let vars = EnvVars::new(lookup);
        let mut builder = Self::builder(vars.required(env::ACCOUNT_SID)?, vars.secret(env::AUTH_TOKEN)?, vars.required(env::APP_ID)?);
        if let Some(url) = vars.optional(env::BASE_URL) {
            builder = builder.base_url(url);
        }
        builder.build()
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
